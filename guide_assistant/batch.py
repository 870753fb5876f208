"""`ask --batch`: JSON Lines in, JSON Lines out (public contract, version 1).

Input line: {"id", "question", "history"?: [{"role": "user"|"assistant", "content"}]}; other
keys are ignored. Output line: `Answer.to_public(id)`. The whole input is validated before
any question is answered, and the output file is written atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from tqdm import tqdm

from guide_assistant.errors import GuideAssistantError
from guide_assistant.records import Turn


class BatchItem(BaseModel):
    """One input line of `ask --batch` (unknown keys ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: str | int
    question: str
    history: list[Turn] = []


def read_batch(path: Path) -> list[BatchItem]:
    """Parse and validate every line; raises GuideAssistantError naming the bad lines (or the
    missing file)."""
    if not path.is_file():
        raise GuideAssistantError(f"Batch file not found: {path}. Give a JSON Lines file of "
                                  '{"id", "question", "history"?} objects.')
    items, errors = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(BatchItem.model_validate_json(line))
        except ValidationError as exc:
            errors.append(f"line {n}: {exc.errors()[0]['msg']} ({'.'.join(map(str, exc.errors()[0]['loc']))})")
    if errors:
        raise GuideAssistantError(f"{path}: invalid input, nothing answered:\n  " + "\n  ".join(errors[:10]))
    return items


def write_jsonl_atomic(path: Path, records: list[dict]) -> None:
    """Write records as JSON Lines via a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(path)


def run_batch(assistant, items: list[BatchItem], show_progress: bool = True) -> list[dict]:
    """Answer each item; returns the public dicts in input order."""
    out = []
    for item in tqdm(items, desc="Questions", unit="q", disable=not show_progress):
        answer = assistant.ask(item.question, item.history)
        out.append(answer.to_public(id=item.id))
    return out
