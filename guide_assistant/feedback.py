"""Officials' feedback and organisers' reviews: product state, stored in one SQLite file
(`app.review_db`; atomic, survives restarts), written by the chat page and the Revue.

Tables: `feedback` (thumbs up/down on a chat answer, optional reason and comment) and
`reviews` (an organiser's verdict on an answer of an eval run). A thumbs-down can be turned
into a candidate eval item, appended to a candidates file (never to the main eval set). The
evaluation only reads what is stored here.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guide_assistant.atomic import write_atomic

REASONS = ("wrong contact", "wrong amount", "wrong workshop", "incomplete", "other")
VERDICTS = ("correct", "incorrect", "incomplete")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, question TEXT NOT NULL,
    answer TEXT NOT NULL, language TEXT, sections TEXT, rating TEXT NOT NULL CHECK (rating IN ('up','down')),
    reason TEXT, comment TEXT, candidate INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, run TEXT NOT NULL, item_id TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('correct','incorrect','incomplete')), comment TEXT,
    UNIQUE (run, item_id)
);
"""


MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 50_000
MAX_COMMENT_CHARS = 2000


class Feedback(BaseModel):
    """An official's rating of one chat answer."""

    model_config = ConfigDict(extra="forbid")

    # bounded sizes, in characters: a question is at most answer.max_question_chars (2000) long, an
    # answer of several parts a few thousand; anything longer is not one of the chat's ratings
    question: str = Field(max_length=MAX_QUESTION_CHARS)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    rating: Literal["up", "down"]
    reason: Literal["wrong contact", "wrong amount", "wrong workshop", "incomplete", "other"] | None = None
    comment: str = Field("", max_length=MAX_COMMENT_CHARS)
    language: str = Field("", max_length=8)
    sections: list[str] = Field([], max_length=20)


class Review(BaseModel):
    """An organiser's verdict on one answer of an eval run (one per run and item; the last wins)."""

    model_config = ConfigDict(extra="forbid")

    run: str = Field(description="eval run folder name, e.g. 2026-11-29T10-30-00")
    item_id: str
    question: str
    answer: str
    verdict: Literal["correct", "incorrect", "incomplete"]
    comment: str = ""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# A spreadsheet reads a cell starting with one of these as a formula ("=HYPERLINK(…)"): the
# OWASP "CSV injection" list.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(row: dict) -> dict:
    """`row` with every text cell a spreadsheet would run as a formula prefixed by an apostrophe
    (shown as typed, never evaluated); numbers and other text unchanged."""
    return {k: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for k, v in row.items()}


class ReviewStore:
    """SQLite file at `path` (created with its tables on first use). Each write is one
    transaction, so a crash never leaves half a record."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def add_feedback(self, fb: Feedback) -> int:
        """Store a rating; returns its id."""
        with closing(self._connect()) as db, db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, question, answer, language, sections, rating, reason, comment)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (_now(), fb.question, fb.answer, fb.language, json.dumps(fb.sections, ensure_ascii=False),
                 fb.rating, fb.reason, fb.comment),
            )
            return int(cur.lastrowid)

    def add_review(self, review: Review) -> int:
        """Store (or replace) the verdict on one run item; returns its id."""
        with closing(self._connect()) as db, db:
            cur = db.execute(
                "INSERT INTO reviews (created_at, run, item_id, question, answer, verdict, comment)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT (run, item_id) DO UPDATE SET"
                " created_at=excluded.created_at, verdict=excluded.verdict, comment=excluded.comment",
                (_now(), review.run, review.item_id, review.question, review.answer, review.verdict, review.comment),
            )
            return int(cur.lastrowid)

    def feedback(self, rating: str | None = None) -> list[dict]:
        """All feedback rows, newest first (optionally only "up" or "down")."""
        sql = "SELECT * FROM feedback" + (" WHERE rating = ?" if rating else "") + " ORDER BY id DESC"
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute(sql, (rating,) if rating else ())]

    def reviews(self, run: str | None = None) -> list[dict]:
        """All reviews, newest first (optionally of one run)."""
        sql = "SELECT * FROM reviews" + (" WHERE run = ?" if run else "") + " ORDER BY id DESC"
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute(sql, (run,) if run else ())]

    def export_csv(self) -> str:
        """Reviews then feedback as one CSV text (a `table` column tells them apart)."""
        out = io.StringIO()
        cols = ["table", "id", "created_at", "run", "item_id", "question", "answer", "verdict", "rating",
                "reason", "comment"]
        writer = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for r in self.reviews():
            writer.writerow(inert({"table": "review", **r}))
        for r in self.feedback():
            writer.writerow(inert({"table": "feedback", **r}))
        return out.getvalue()

    def to_candidate(self, feedback_id: int, expected_source: str, expected_fact: str, candidates: Path) -> dict:
        """Turn a thumbs-down into a candidate eval item appended to `candidates` (JSON Lines,
        the eval-set format); the main eval set is never touched. Returns the item.

        Raises KeyError for an unknown id, ValueError when the feedback is not a thumbs-down.
        """
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM feedback WHERE id = ?", (feedback_id,)).fetchone()
        if row is None:
            raise KeyError(f"No feedback #{feedback_id}.")
        if row["rating"] != "down":
            raise ValueError(f"Feedback #{feedback_id} is a thumbs-up; only thumbs-down become candidates.")
        item = {
            "id": f"cand-{feedback_id}", "lang": row["language"] or "fr", "type": "factual",
            "question": row["question"], "expected_sources": [expected_source] if expected_source else [],
            "must_contain": [[expected_fact]] if expected_fact else [], "expect_refusal": not expected_source,
            "notes": f"from feedback #{feedback_id} ({row['reason'] or 'no reason'}): {row['comment'] or ''}".strip(),
        }
        append_jsonl_atomic(candidates, item)
        with closing(self._connect()) as db, db:
            db.execute("UPDATE feedback SET candidate = 1 WHERE id = ?", (feedback_id,))
        return item


def append_jsonl_atomic(path: Path, record: dict) -> None:
    """Append one JSON line by rewriting the file atomically (see `atomic.atomic_path`)."""
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    write_atomic(path, old + json.dumps(record, ensure_ascii=False) + "\n")
