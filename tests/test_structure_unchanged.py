"""The real guide's sections are what they were before structure detection became generic.

tests/fixtures/occitanie_sections.json was written from the ingest of the real guide by the code
as it stood before (commit c04de7d): per section its label, kind, role, title, place, theme,
pages, the SHA-256 of its text, its contacts, amounts and speakers, and the SHA-256 of the whole
record's JSON. Any change to the real guide's sections, labels, pages or records fails here,
naming the section and the field.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "occitanie_sections.json"
# Fields a later version added to Section, with their default: left out of the record's hash.
ADDED_FIELDS = {"page_labels": []}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def snapshot(section) -> dict:
    """The fixture's shape for one Section."""
    return {
        "label": section.label, "kind": section.kind, "role": section.role, "title": section.title,
        "place": section.place, "theme": section.theme, "pages": section.pages, "text_sha256": sha(section.text),
        "contacts": [[c.kind, c.value] for c in section.contacts],
        "amounts": [a for f in section.funding for a in f.amounts],
        "speakers": [p.name for p in section.speakers],
        "record_sha256": sha(section.model_dump_json(exclude=set(ADDED_FIELDS) & set(type(section).model_fields))),
    }


EXPECTED = json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_same_labels_in_the_same_order(corpus):
    assert [s.label for s in corpus.sections] == [e["label"] for e in EXPECTED]


@pytest.mark.parametrize("expected", EXPECTED, ids=[e["label"] for e in EXPECTED])
def test_each_section_is_unchanged(corpus, expected):
    found = next(s for s in corpus.sections if s.label == expected["label"])
    got = snapshot(found)
    assert {k: (expected[k], v) for k, v in got.items() if v != expected[k]} == {}, found.label
    for field, default in ADDED_FIELDS.items():
        assert getattr(found, field, default) == default, (found.label, field)
