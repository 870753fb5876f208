"""The real Gradio chat page, started on a free loopback port and driven over HTTP."""

from __future__ import annotations

import re
import socket
import threading
import time

import httpx
import pytest

from conftest import GUIDE, make_settings

BREAKFAST = "Comment financer des petits déjeuners à l'école ?"
SLOW = "Qui contacter pour la cantine à 1 € ?"
READY_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(index_dir, tmp, **stages):
    """The real page on a free loopback port, with `index_dir` and extra settings stages;
    whatever the page writes (feedback database, review files) goes to the folder `tmp`."""
    from guide_assistant.app import launch
    from guide_assistant.config import AppSettings

    app = {"host": "127.0.0.1", "port": free_port()}
    for key, value in {"review_db": tmp / "review.sqlite3", "runs_dir": tmp / "runs",
                       "candidates_file": tmp / "candidates.jsonl"}.items():
        if key in AppSettings.model_fields:
            app[key] = str(value)
    return launch(make_settings(index_dir, app=app, **stages), block=False)


@pytest.fixture(scope="module")
def app_url(index_dir, tmp_path_factory):
    server = start_app(index_dir, tmp_path_factory.mktemp("app"))
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    deadline = time.monotonic() + READY_TIMEOUT_S
    last_error = None
    while time.monotonic() < deadline:  # the assistant loads in a background thread
        try:
            client.predict("atelier 1", api_name="/ask")
            break
        except Exception as exc:  # AppError while the status says "loading"
            last_error = exc
            time.sleep(1)
    else:
        pytest.fail(f"the app did not become ready in {READY_TIMEOUT_S} s: {last_error}")
    return client


def text_of(content) -> str:
    from guide_assistant.app import message_text

    return message_text(content)


def test_api_lists_the_chat_endpoints_only(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/ask", "/respond", "/feedback"}  # no export, review or candidate


def test_without_a_login_the_revue_is_not_served(client, app_url):
    for route in ("revue/", "revue/gradio_api/info", "revue/config"):
        assert httpx.get(app_url + route, timeout=30).status_code == 404, route
    info = httpx.get(app_url + "gradio_api/info", timeout=30).json()
    assert not {"/export", "/review", "/candidate"} & set(info["named_endpoints"])


def test_ask_returns_public_json(client):
    out = client.predict(BREAKFAST, api_name="/ask")
    assert list(out) == ["id", "question", "answer", "refused", "language", "mode", "citations", "latency_s"]
    assert out["refused"] is False
    assert out["language"] == "fr"
    assert out["citations"][0]["section"] == "Atelier n°2"
    assert out["citations"][0]["pages"] == [7]
    assert set(out["citations"][0]) == {"section", "title", "pages", "quote"}
    assert "1,30 €" in out["answer"]


def test_ask_refusal_over_http(client):
    out = client.predict("recette de la tarte tatin", api_name="/ask")
    assert out["refused"] is True
    assert out["citations"] == []
    assert "eric.pelisson@occitanie.gouv.fr" in out["answer"]


def test_ask_empty_question_is_an_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as err:
        client.predict("   ", api_name="/ask")
    assert "empty" in str(err.value)


def test_respond_chat_sources_and_pdf_link(client, app_url):
    messages, sources, status = client.predict(BREAKFAST, [], api_name="/respond")
    assert "Prêt" in status and "28 sections" in status
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert text_of(messages[0]["content"]) == BREAKFAST
    assert "1,30 €" in text_of(messages[1]["content"])
    assert "Atelier n°2" in sources
    links = re.findall(r"\((/gradio_api/file=[^)\s]+)\)", sources)
    assert links, sources
    assert all(link.endswith("#page=7") for link in links)
    path = links[0].split("#")[0]
    assert path.endswith(GUIDE.name)
    resp = httpx.get(app_url.rstrip("/") + path, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/pdf")
    assert resp.content == GUIDE.read_bytes()


def test_respond_follow_up_uses_chat_history(client):
    messages, _, _ = client.predict(BREAKFAST, [], api_name="/respond")
    messages, sources, _ = client.predict("Et qui dois-je contacter ?", messages, api_name="/respond")
    assert len(messages) == 4
    assert text_of(messages[2]["content"]) == "Et qui dois-je contacter ?"
    assert "DSDEN" in text_of(messages[3]["content"])
    assert sources.startswith("**Atelier n°2**")


def test_respond_refusal_has_no_sources(client):
    messages, sources, _ = client.predict("Quel est le montant du RSA ?", [], api_name="/respond")
    assert "eric.pelisson@occitanie.gouv.fr" in text_of(messages[-1]["content"])
    assert sources == "*Aucune source : le guide ne couvre pas cette question.*"


def test_a_slow_answer_does_not_hold_up_the_others(client, app_url, monkeypatch):
    # the slow answer's work (the local model's, in production) is stood in for by a wait: what is
    # under test is the page's queue, which used to answer one request at a time
    from gradio_client import Client

    from guide_assistant.assistant.service import Assistant

    started, release, real = threading.Event(), threading.Event(), Assistant.ask_stream

    def ask_stream(self, question, history=None):
        if question == SLOW:
            started.set()
            release.wait(60)
        yield from real(self, question, history)

    monkeypatch.setattr(Assistant, "ask_stream", ask_stream)
    slow = Client(app_url, verbose=False).submit(SLOW, [], api_name="/respond")
    try:
        assert started.wait(30)
        t0 = time.monotonic()
        messages, _, _ = client.predict(BREAKFAST, [], api_name="/respond")
        assert time.monotonic() - t0 < 10 and "1,30 €" in text_of(messages[-1]["content"])
        assert not slow.done()
    finally:
        release.set()
    messages, _, _ = slow.result(timeout=60)
    assert text_of(messages[0]["content"]) == SLOW


def test_file_route_serves_only_the_corpus(client, app_url):
    resp = httpx.get(app_url.rstrip("/") + "/gradio_api/file=/etc/passwd", timeout=30)
    assert resp.status_code in (403, 404)


def test_an_unexpected_loading_error_ends_the_loading_status(settings, monkeypatch):
    # the failure is faked (what is under test is the page's loader, not the failing stage)
    from guide_assistant.app import AssistantHolder
    from guide_assistant.assistant.service import Assistant

    def broken(*args, **kwargs):
        raise ValueError("chunk too long")

    monkeypatch.setattr(Assistant, "from_settings", broken)
    holder = AssistantHolder(settings).start()
    holder._thread.join(timeout=30)
    assert holder.done and holder.assistant is None
    assert holder.status.startswith("Erreur inattendue") and "chunk too long" in holder.status


def test_an_index_build_error_reaches_the_status_line(tmp_path):
    """A real failure of the page's background index build (llama-index's splitter refuses an
    overlap larger than the chunk size with a bare ValueError) ends « Chargement… » with a
    message naming the setting to change, on the page's status line and from /ask."""
    from gradio_client import Client

    server = start_app(tmp_path / "index", tmp_path, ingest={"chunk_size": 32, "chunk_overlap": 100})
    try:
        client = Client(server.url, verbose=False)
        deadline = time.monotonic() + READY_TIMEOUT_S
        status = ""
        while time.monotonic() < deadline:
            _, _, status = client.predict(BREAKFAST, [], api_name="/respond")
            if not status.startswith("Chargement"):
                break
            time.sleep(0.5)
        assert status.startswith("Erreur : "), status
        assert "GUIDE_ASSISTANT_INGEST__CHUNK_OVERLAP" in status and "inattendue" not in status
        with pytest.raises(Exception, match="CHUNK_OVERLAP"):
            client.predict("atelier 1", api_name="/ask")
    finally:
        server.close()
    assert not (tmp_path / "index").exists()


def test_the_chat_page_imports_nothing_of_the_evaluation():
    """Feedback is product state (guide_assistant/feedback.py): the page and the Revue load no
    module of the evaluation."""
    import subprocess
    import sys

    code = ("import sys, guide_assistant.app; "
            "print(sorted(m for m in sys.modules if m.startswith('guide_assistant.eval')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "[]", out.stdout
