"""Corpus folder → section records (the ingest stage's entry point)."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from guide_assistant.ingest import facts
from guide_assistant.ingest.clean import clean_pages
from guide_assistant.ingest.pdf import RawPdf, read_corpus
from guide_assistant.ingest.sections import Line, RawSection, split_sections
from guide_assistant.records import Section

log = logging.getLogger(__name__)


class IngestedCorpus(BaseModel):
    """The ingest stage's output: every section of every readable PDF, and the files' hashes.

    file_hashes: file name → SHA-256 hex of the PDF bytes (goes into the index manifest).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sections: list[Section]
    file_hashes: dict[str, str]


def to_record(source: str, raw: RawSection) -> Section:
    """Attach the extracted facts to a raw section."""
    sents = facts.sentences(raw.text)
    return Section(
        source=source,
        label=raw.label,
        title=raw.title,
        kind=raw.kind,
        place=raw.place,
        theme=raw.theme,
        pages=raw.pages,
        speakers=facts.speakers(raw.text),
        contacts=facts.contacts(sents),
        funding=facts.funding(sents),
        text=raw.text,
        line_pages=[ln.page for ln in raw.lines],
    )


def pdf_sections(pdf: RawPdf) -> list[Section]:
    """Sections of one PDF (cleaned pages, cover and table of contents dropped)."""
    pages = clean_pages(pdf.pages)
    lines = [Line(n, text) for n, page in enumerate(pages, start=1) for text in page.splitlines()]
    sections = [to_record(pdf.name, raw) for raw in split_sections(lines)]
    if not sections:
        log.warning("%s: no section heading found; indexed as one section.", pdf.name)
        sections = [to_record(pdf.name, RawSection(pdf.name, "other", pdf.name, "", "", lines))]
    return sections


def ingest(corpus_dir: Path) -> IngestedCorpus:
    """Read every PDF of `corpus_dir` into section records.

    Raises CorpusError (missing/empty folder, no readable PDF); unreadable files are skipped
    with a warning naming them.
    """
    pdfs = read_corpus(corpus_dir)
    sections = [s for pdf in pdfs for s in pdf_sections(pdf)]
    log.info("Ingested %d sections from %d PDF(s)", len(sections), len(pdfs))
    return IngestedCorpus(sections=sections, file_hashes={p.name: p.sha256 for p in pdfs})
