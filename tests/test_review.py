"""The Revue tab and the chat feedback, driven over HTTP on the real Gradio app; a review and a
feedback survive a restart of the app (SQLite on disk); a thumbs-down becomes a candidate item
in the candidates file, never in the main eval set."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

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


def start_app(index_dir, review_dir):
    """Launch the real app on a free loopback port; returns (demo, ready gradio client)."""
    from gradio_client import Client

    from guide_assistant.app import launch

    port = free_port()
    settings = make_settings(index_dir, app={
        "host": "127.0.0.1", "port": port, "review_db": str(review_dir / "review.sqlite3"),
        "runs_dir": str(review_dir / "runs"), "candidates_file": str(review_dir / "candidates.jsonl")})
    demo = launch(settings, block=False)
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    deadline = time.monotonic() + 120
    while True:
        try:
            client.predict("atelier 1", api_name="/ask")
            return demo, client
        except Exception:
            if time.monotonic() > deadline:
                demo.close()
                raise
            time.sleep(1)


def exported_rows(client) -> list[dict]:
    path = client.predict(api_name="/export")
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def test_review_and_feedback_survive_a_restart(index_dir, review_dir):
    demo, client = start_app(index_dir, review_dir)
    try:
        status, table = client.predict(RUN, "q002", "incomplete", "manque l'e-mail", api_name="/review")
        assert "q002" in status and "incomplete" in status
        assert ["q002", "contact", "en"] == table["data"][1][:3] and table["data"][1][-1] == "incomplete"
        fid = client.predict("Qui contacter pour la cantine ?", "Appelez le 05 11 22 33 44.", "down",
                             "wrong contact", "numéro faux", api_name="/feedback")
        assert isinstance(fid, int)
        with pytest.raises(Exception, match="comment"):  # bounded sizes: a 1 MB comment is not stored
            client.predict("q", "a", "down", "other", "x" * 1_000_000, api_name="/feedback")
        with pytest.raises(Exception):  # a run item that does not exist is refused
            client.predict(RUN, "q999", "correct", "", api_name="/review")
    finally:
        demo.close()

    demo, client = start_app(index_dir, review_dir)  # a new app on the same files
    try:
        rows = exported_rows(client)
        reviews = [r for r in rows if r["table"] == "review"]
        feedback = [r for r in rows if r["table"] == "feedback"]
        assert [(r["item_id"], r["verdict"], r["comment"]) for r in reviews] == [("q002", "incomplete",
                                                                                   "manque l'e-mail")]
        assert feedback[0]["rating"] == "down" and feedback[0]["reason"] == "wrong contact"
        assert len(feedback) == 1

        status, _ = client.predict(fid, "Atelier n°1", "05 49 37 56 30", api_name="/candidate")
        assert "cand-" in status
        lines = (review_dir / "candidates.jsonl").read_text(encoding="utf-8").splitlines()
        item = json.loads(lines[-1])
        assert item["question"] == "Qui contacter pour la cantine ?"
        assert item["expected_sources"] == ["Atelier n°1"] and item["must_contain"] == [["05 49 37 56 30"]]
    finally:
        demo.close()


def test_a_thumbs_up_cannot_become_a_candidate(index_dir, review_dir, tmp_path):
    from guide_assistant.eval.review_store import Feedback, ReviewStore

    store = ReviewStore(tmp_path / "r.sqlite3")
    fid = store.add_feedback(Feedback(question="q", answer="a", rating="up"))
    with pytest.raises(ValueError, match="thumbs-up"):
        store.to_candidate(fid, "Atelier n°1", "x", tmp_path / "c.jsonl")
    assert not (tmp_path / "c.jsonl").exists()


def test_a_comment_written_as_a_formula_is_exported_as_text(tmp_path):
    from guide_assistant.eval.review_store import Feedback, ReviewStore

    store = ReviewStore(tmp_path / "review.sqlite3")
    store.add_feedback(Feedback(question="=1+1", answer="ASP", rating="down", reason="other",
                                comment='=HYPERLINK("http://evil.example","clic")'))
    store.add_feedback(Feedback(question="Numéro de l'ASP ?", answer="-", rating="up", comment="+33 5 49"))
    rows = list(csv.DictReader(io.StringIO(store.export_csv())))
    assert rows[0]["comment"] == "'+33 5 49" and rows[0]["answer"] == "'-"
    assert rows[1]["comment"] == '\'=HYPERLINK("http://evil.example","clic")' and rows[1]["question"] == "'=1+1"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)
    assert store.feedback()[1]["comment"].startswith("=HYPERLINK")  # stored as typed: only the export is inert
