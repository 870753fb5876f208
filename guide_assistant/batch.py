"""`ask --batch`: JSON Lines in, JSON Lines out (public contract, version 1).

Input line: {"id", "question", "history"?: [{"role": "user"|"assistant", "content"}]}; other
keys are ignored. Output line: `Answer.to_public(id)`. The whole input is validated before
any question is answered (UTF-8, JSON, a non-empty question, ids unique), and the output file is
written atomically. Each answer is also appended, as it comes, to `OUT.partial` beside it: a
batch that is killed keeps its answers, and the same command resumes after them.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from tqdm import tqdm

from guide_assistant.atomic import atomic_open
from guide_assistant.errors import GuideAssistantError
from guide_assistant.records import Turn

log = logging.getLogger(__name__)


class BatchItem(BaseModel):
    """One input line of `ask --batch` (unknown keys ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: str | int
    question: str
    history: list[Turn] = []

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the question is empty")
        return v


def read_batch(path: Path) -> list[BatchItem]:
    """Parse and validate every line; raises GuideAssistantError naming the bad lines (or the
    missing file)."""
    if not path.is_file():
        raise GuideAssistantError(f"Batch file not found: {path}. Give a JSON Lines file of "
                                  '{"id", "question", "history"?} objects.')
    items, errors, first_line = [], [], {}
    for n, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(f"line {n}: not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8")
            continue
        if not line.strip():
            continue
        try:
            item = BatchItem.model_validate_json(line)
        except ValidationError as exc:
            errors.append(f"line {n}: {exc.errors()[0]['msg']} ({'.'.join(map(str, exc.errors()[0]['loc']))})")
            continue
        if item.id in first_line:
            errors.append(f"line {n}: id {item.id!r} already used on line {first_line[item.id]}; ids must be unique")
        first_line.setdefault(item.id, n)
        items.append(item)
    if errors:
        raise GuideAssistantError(f"{path}: invalid input, nothing answered:\n  " + "\n  ".join(errors[:10]))
    return items


def write_jsonl_atomic(path: Path, records: list[dict]) -> None:
    """Write records as JSON Lines, atomically (see `atomic.atomic_path`)."""
    with atomic_open(path) as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def partial_path(out: Path) -> Path:
    """Where a batch writing `out` keeps its answers as they come ("answers.jsonl.partial")."""
    return out.with_name(out.name + ".partial")


def done_answers(partial: Path, items: list[BatchItem]) -> dict[str | int, dict]:
    """Answers a killed run left in `partial`, by id, for the items whose question they answer
    (a line cut by the kill, or an answer to another question under the same id, is not kept)."""
    questions = {item.id: item.question for item in items}
    done = {}
    for line in partial.read_text(encoding="utf-8").splitlines() if partial.is_file() else []:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if questions.get(record.get("id")) == record.get("question"):
            done[record["id"]] = record
    return done


def run_batch(assistant, items: list[BatchItem], partial: Path, show_progress: bool = True) -> list[dict]:
    """Answer each item, appending each answer to `partial` as it comes (flushed to disk), after
    those a killed run left there; returns the public dicts in input order."""
    done = done_answers(partial, items)
    if done:
        log.info("resuming: %d answers already in %s", len(done), partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    cut = partial.is_file() and not partial.read_bytes().endswith(b"\n") and partial.stat().st_size > 0
    with partial.open("a", encoding="utf-8") as f:
        if cut:  # a line the kill cut short stays alone on its line
            f.write("\n")
        for item in tqdm([i for i in items if i.id not in done], desc="Questions", unit="q",
                         disable=not show_progress):
            done[item.id] = assistant.ask(item.question, item.history).to_public(id=item.id)
            f.write(json.dumps(done[item.id], ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
    return [done[item.id] for item in items]
