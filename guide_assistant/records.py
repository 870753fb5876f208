"""Typed records passed from stage to stage: pages → sections → chunks → retrieved → answer.

Every record is a pydantic model defined once here. Stages import these and nothing else
crosses a stage boundary (no loose dicts).
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["fr", "en"]


class Record(BaseModel):
    """Base: immutable, rejects unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Page(Record):
    """One PDF page after cleaning.

    `number` is 1-based as printed in the guide ("Page N / 21"); `text` is NFC, headers and
    footers removed, line-end hyphenation repaired, newlines kept between lines.
    """

    source: str = Field(description="file name of the PDF in corpus/")
    number: int = Field(ge=1, description="1-based page number")
    text: str


class Speaker(Record):
    """A person listed under Animateur(s) / Intervenant(s) / Participants of a section."""

    name: str
    role: str = ""


class Contact(Record):
    """A way to reach someone, copied exactly as the guide prints it.

    kind: "phone" (e.g. "05 49 37 56 30"), "email", "url", or "organisation" (a sentence
    such as "Contactez la DSDEN de votre département …").
    """

    kind: Literal["phone", "email", "url", "organisation"]
    value: str
    context: str = Field("", description="the guide's sentence or line the contact comes from")


class Funding(Record):
    """A sentence of the guide that states an amount in euros.

    `amounts` are the amount strings exactly as printed ("1,30 €", "15 000€", "300€").
    """

    sentence: str
    amounts: list[str]


class Section(Record):
    """A section of the guide: a workshop, a round table or another headed part.

    label: the guide's own label ("Atelier n°2", "Table-ronde IV", "Atelier partenaire",
    "Introduction", "Contact", …). role: what the section is for (see the field); retrieval ranks
    editorial sections below the programme. pages: 1-based page numbers the section spans,
    ascending.
    text: the section's cleaned body, heading included.
    """

    source: str
    label: str
    title: str
    kind: Literal["atelier", "table-ronde", "atelier-partenaire", "other", "linked-page"]
    role: Literal["programme", "editorial", "practical"] = Field(
        "programme", description="programme: a workshop, round table or linked page (what officials ask "
        "about); editorial: the prefect's word, the introduction; practical: the conference's schedule, "
        "practical information and closing contact page")
    place: str = Field("", description='e.g. "Tarbes, Hautes-Pyrénées"')
    theme: str = Field("", description="the « Je souhaite … » heading the section falls under")
    pages: list[int]
    speakers: list[Speaker] = []
    contacts: list[Contact] = []
    funding: list[Funding] = []
    text: str
    line_pages: list[int] = Field(default=[], description="page of each line of `text`, 1-based")
    url: str = Field("", description="for a linked page: its URL (then `label` is the URL too)")
    cited_by: list[str] = Field(default=[], description="for a linked page: labels of the sections citing it")
    page_labels: list[str] = Field(default=[], description="the printed label of each page of `pages`, same "
                                   'order ("ii", "1"…), when the PDF defines page labels; empty: pages are '
                                   "cited by their position")

    def page_span(self, pages: list[int] | None = None) -> str:
        """"p. 7", "p. 15-16" for `pages` (default: the section's), by their printed labels when the
        PDF has them ("p. ii", "p. 2-3"); a page outside the section is cited by its position."""
        pages = pages or self.pages
        printed = dict(zip(self.pages, self.page_labels))
        first, last = (printed.get(p, str(p)) for p in (pages[0], pages[-1]))
        return f"p. {first}" if first == last else f"p. {first}-{last}"

    @property
    def citation(self) -> str:
        """Human citation name, e.g. "Atelier n°2, p. 7", "Atelier n°12, p. 15-16", "Fiche 2, p. ii"
        (printed page labels), or for a linked page "page liée depuis Atelier n°1, p. 6"."""
        span = self.page_span()
        if self.kind == "linked-page":
            return f"page liée depuis {', '.join(self.cited_by)}, {span}"
        return f"{self.label}, {span}"


class Chunk(Record):
    """A piece of one section's text, sized in the embedder's own tokens.

    id: SHA-256 (hex, first 16 chars) of source, section label and text, so a re-ingest never
    duplicates a chunk. pages: the pages this chunk's text lies on.
    """

    id: str
    source: str
    section: str = Field(description="section label")
    title: str
    pages: list[int]
    text: str
    n_tokens: int = Field(ge=1, description="length in the embedder's tokenizer's tokens")

    @staticmethod
    def make_id(source: str, section: str, text: str) -> str:
        """Content-derived id: sha256(source \\0 section \\0 text)[:16]."""
        return hashlib.sha256(f"{source}\0{section}\0{text}".encode()).hexdigest()[:16]


class Retrieved(Record):
    """A chunk returned by a retriever, with its fused score and the per-retriever evidence.

    score: the score that ranked it (RRF sum for hybrid, cosine for dense, BM25 for lexical).
    dense: cosine similarity in [-1, 1] (None when the dense retriever did not return it).
    lexical: raw BM25 score ≥ 0 (None when BM25 did not return it).
    """

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None


class Citation(Record):
    """One source of an answer, in the public `ask --batch` shape.

    section: label; pages: 1-based; quote: the passage quoted from the guide, verbatim.
    """

    section: str
    title: str
    pages: list[int]
    quote: str


class Turn(Record):
    """One message of a conversation history."""

    role: Literal["user", "assistant"]
    content: str


class Answer(Record):
    """What the assistant returns for a question.

    `to_public()` gives the stable JSON shape of `ask --json` and `ask --batch` (contract
    version 1): id, question, answer, refused, language, mode, citations, latency_s.
    sections: the labels the answer drew on (kept for follow-ups; not part of the contract).
    """

    question: str
    answer: str
    refused: bool
    language: Language
    mode: str
    citations: list[Citation]
    sections: list[str] = []
    latency_s: float = 0.0
    debug: dict = Field(default_factory=dict, description="retrieval scores etc.; not in the contract")

    def to_public(self, id: str | None = None) -> dict:
        """The public contract (version 1) as a plain dict; `id` is echoed from the input."""
        return {
            "id": id,
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "language": self.language,
            "mode": self.mode,
            "citations": [c.model_dump() for c in self.citations],
            "latency_s": round(self.latency_s, 4),
        }
