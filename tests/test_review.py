"""The Revue tab and the chat feedback, driven over HTTP on the real Gradio app; a review and a
feedback survive a restart of the app (SQLite on disk); a thumbs-down becomes a candidate item
in the candidates file, never in the main eval set."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import httpx
import pytest

from conftest import make_settings
from test_app import free_port

RUN = "2026-11-29T10-00-00"
ANSWERS = [
    {"id": "q001", "question": "Comment financer des petits déjeuners à l'école ?",
     "answer": "Soutien financier de l'Etat : 1,30 € par petit-déjeuner.", "refused": False, "language": "fr",
     "mode": "extractive", "citations": [], "latency_s": 0.1,
     "scores": {"type": "funding", "lang": "fr", "all_facts": True, "citation_hit": True}},
    {"id": "q002", "question": "Who do I call about the 1 € canteen?", "answer": "ASP: 05 49 37 56 30",
     "refused": False, "language": "en", "mode": "extractive", "citations": [], "latency_s": 0.1,
     "scores": {"type": "contact", "lang": "en", "all_facts": True, "citation_hit": True}},
]


@pytest.fixture(scope="module")
def review_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("review")
    run = root / "runs" / RUN
    run.mkdir(parents=True)
    (run / "answers.jsonl").write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ANSWERS),
                                       encoding="utf-8")
    return root


REVIEW_USER = "organisatrice"
PASSWORD_ENV = "GUIDE_ASSISTANT_TEST_REVIEW_PASSWORD"  # the tests' own variable, set with monkeypatch
PASSWORD = "pas-de-mot-de-passe-par-défaut"


def start_app(index_dir, review_dir, login: bool = False):
    """Launch the real app on a free loopback port, with the Revue login when `login` (its
    password must then be in PASSWORD_ENV); returns (server, ready gradio client of the chat)."""
    from gradio_client import Client

    from guide_assistant.app import launch

    port = free_port()
    app = {"host": "127.0.0.1", "port": port, "review_db": str(review_dir / "review.sqlite3"),
           "runs_dir": str(review_dir / "runs"), "candidates_file": str(review_dir / "candidates.jsonl")}
    if login:
        app |= {"review_user": REVIEW_USER, "review_password_env": PASSWORD_ENV}
    server = launch(make_settings(index_dir, app=app), block=False)
    client = Client(server.url, verbose=False)
    deadline = time.monotonic() + 120
    while True:
        try:
            client.predict("atelier 1", api_name="/ask")
            return server, client
        except Exception:
            if time.monotonic() > deadline:
                server.close()
                raise
            time.sleep(1)


def revue_client(server, password: str = PASSWORD, **kwargs):
    """A gradio client of the Revue app, logged in as REVIEW_USER with `password`."""
    from gradio_client import Client

    return Client(server.url + "revue/", auth=(REVIEW_USER, password), verbose=False, **kwargs)


@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def exported_rows(client) -> list[dict]:
    path = client.predict(api_name="/export")
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def test_review_and_feedback_survive_a_restart(index_dir, review_dir, password_env):
    server, client = start_app(index_dir, review_dir, login=True)
    try:
        revue = revue_client(server)
        status, table = revue.predict(RUN, "q002", "incomplete", "manque l'e-mail", api_name="/review")
        assert "q002" in status and "incomplete" in status
        assert ["q002", "contact", "en"] == table["data"][1][:3] and table["data"][1][-1] == "incomplete"
        fid = client.predict("Qui contacter pour la cantine ?", "Appelez le 05 11 22 33 44.", "down",
                             "wrong contact", "numéro faux", api_name="/feedback")
        assert isinstance(fid, int)
        with pytest.raises(Exception, match="comment"):  # bounded sizes: a 1 MB comment is not stored
            client.predict("q", "a", "down", "other", "x" * 1_000_000, api_name="/feedback")
        with pytest.raises(Exception):  # a run item that does not exist is refused
            revue.predict(RUN, "q999", "correct", "", api_name="/review")
    finally:
        server.close()

    server, client = start_app(index_dir, review_dir, login=True)  # a new app on the same files
    try:
        revue = revue_client(server)
        rows = exported_rows(revue)
        reviews = [r for r in rows if r["table"] == "review"]
        feedback = [r for r in rows if r["table"] == "feedback"]
        assert [(r["item_id"], r["verdict"], r["comment"]) for r in reviews] == [("q002", "incomplete",
                                                                                   "manque l'e-mail")]
        assert feedback[0]["rating"] == "down" and feedback[0]["reason"] == "wrong contact"
        assert len(feedback) == 1

        status, _ = revue.predict(fid, "Atelier n°1", "05 49 37 56 30", api_name="/candidate")
        assert "cand-" in status
        lines = (review_dir / "candidates.jsonl").read_text(encoding="utf-8").splitlines()
        item = json.loads(lines[-1])
        assert item["question"] == "Qui contacter pour la cantine ?"
        assert item["expected_sources"] == ["Atelier n°1"] and item["must_contain"] == [["05 49 37 56 30"]]
    finally:
        server.close()


def test_the_revue_demands_its_login_and_the_chat_exposes_none_of_it(index_dir, review_dir, password_env):
    from gradio_client import Client

    server, client = start_app(index_dir, review_dir, login=True)
    try:
        base = server.url.rstrip("/")
        # without the login: no page, no API listing, no event, whatever the route
        page = httpx.get(base + "/revue/", timeout=30)
        assert "auth_required" in page.text and "Exporter avis" not in page.text  # the login form only
        for route in ("/revue/gradio_api/info", "/revue/config"):
            assert httpx.get(base + route, timeout=30).status_code == 401, route
        joined = httpx.post(base + "/revue/gradio_api/queue/join", timeout=30,
                            json={"data": [], "fn_index": 0, "session_hash": "x"})
        assert joined.status_code == 401
        with pytest.raises(Exception):
            Client(base + "/revue/", verbose=False)
        with pytest.raises(Exception):
            revue_client(server, password="mauvais-mot-de-passe")
        # with it: the export works, and its file is served by the Revue only
        revue = revue_client(server, download_files=False)
        export = revue.predict(api_name="/export")
        assert export["path"].endswith("revue.csv")
        assert httpx.get(base + "/gradio_api/file=" + export["path"], timeout=30).status_code in (403, 404)
        assert httpx.get(base + "/revue/gradio_api/file=" + export["path"], timeout=30).status_code in (401, 403)
        # the chat's public API lists and runs none of the Revue's functions
        named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert set(named) == {"/respond", "/ask", "/feedback"}
        for api_name in ("/export", "/review", "/candidate"):
            with pytest.raises(Exception):
                client.predict(api_name=api_name)
    finally:
        server.close()


def test_a_revue_user_without_a_password_is_refused(monkeypatch):
    from guide_assistant.config import AppSettings
    from guide_assistant.errors import ReviewLoginError
    from guide_assistant.review_login import review_login

    app = AppSettings(review_user=REVIEW_USER, review_password_env=PASSWORD_ENV)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(ReviewLoginError, match="unset"):
        review_login(app)
    monkeypatch.setenv(PASSWORD_ENV, "court")
    with pytest.raises(ReviewLoginError, match="too short"):
        review_login(app)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    login = review_login(app)
    assert login.check(REVIEW_USER, PASSWORD) and not login.check(REVIEW_USER, PASSWORD + "x")
    assert not login.check("intrus", PASSWORD) and PASSWORD not in repr(login)
    assert review_login(AppSettings()) is None  # no user: no Revue, whatever the environment


def test_a_thumbs_up_cannot_become_a_candidate(index_dir, review_dir, tmp_path):
    from guide_assistant.feedback import Feedback, ReviewStore

    store = ReviewStore(tmp_path / "r.sqlite3")
    fid = store.add_feedback(Feedback(question="q", answer="a", rating="up"))
    with pytest.raises(ValueError, match="thumbs-up"):
        store.to_candidate(fid, "Atelier n°1", "x", tmp_path / "c.jsonl")
    assert not (tmp_path / "c.jsonl").exists()


def test_a_comment_written_as_a_formula_is_exported_as_text(tmp_path):
    from guide_assistant.feedback import Feedback, ReviewStore

    store = ReviewStore(tmp_path / "review.sqlite3")
    store.add_feedback(Feedback(question="=1+1", answer="ASP", rating="down", reason="other",
                                comment='=HYPERLINK("http://evil.example","clic")'))
    store.add_feedback(Feedback(question="Numéro de l'ASP ?", answer="-", rating="up", comment="+33 5 49"))
    rows = list(csv.DictReader(io.StringIO(store.export_csv())))
    assert rows[0]["comment"] == "'+33 5 49" and rows[0]["answer"] == "'-"
    assert rows[1]["comment"] == '\'=HYPERLINK("http://evil.example","clic")' and rows[1]["question"] == "'=1+1"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)
    assert store.feedback()[1]["comment"].startswith("=HYPERLINK")  # stored as typed: only the export is inert
