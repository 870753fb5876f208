"""Corpus folder → section records (the ingest stage's entry point)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from guide_assistant.ingest import facts
from guide_assistant.ingest.clean import clean_pages
from guide_assistant.ingest.linked_pages.cache import load_saved_pages
from guide_assistant.ingest.linked_pages.records import LinkedPage
from guide_assistant.ingest.links import Link, discover_links
from guide_assistant.ingest.pdf import RawPdf, read_corpus
from guide_assistant.ingest.sections import ROLES, Line, RawSection, document_sections, role
from guide_assistant.instructions import without_orders
from guide_assistant.records import Section

log = logging.getLogger(__name__)


class IngestedCorpus(BaseModel):
    """The ingest stage's output: every section of every readable PDF (then one section per
    cached linked page, kind "linked-page"), the files' hashes and the links the guide cites.

    file_hashes: file name → SHA-256 hex of the PDF bytes (goes into the index manifest).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sections: list[Section]
    file_hashes: dict[str, str]
    links: list[Link] = []


def to_record(source: str, raw: RawSection, section_role: str | None = None,
              page_labels: list[str] | None = None) -> Section:
    """Attach the extracted facts to a raw section. Sentences giving orders to an assistant
    (instructions.gives_orders) are removed first, with a warning: a document is data, so they
    reach no record, chunk, quote or prompt. `section_role`: sections.role (default: the named
    part's role, else "programme"); `page_labels`: the document's printed label of each page
    (pdf.RawPdf.page_labels; none: citations use page positions)."""
    text, removed = without_orders(raw.text, facts.sentences(raw.text))
    for sentence in removed:
        log.warning("%s, %s: a sentence giving orders to an assistant is not indexed: %.120s",
                    source, raw.label, sentence)
    sents = facts.sentences(text)
    return Section(
        source=source,
        label=raw.label,
        title=raw.title,
        kind=raw.kind,
        role=section_role or ROLES.get(raw.label, "programme"),
        place=raw.place,
        theme=raw.theme,
        pages=raw.pages,
        speakers=facts.speakers(raw.text),
        contacts=facts.contacts(sents),
        funding=facts.funding(sents),
        text=text,
        line_pages=[ln.page for ln in raw.lines],
        page_labels=[page_labels[p - 1] for p in raw.pages] if page_labels else [],
    )


def pdf_sections(pdf: RawPdf) -> list[Section]:
    """Sections of one PDF (cleaned pages, cover and table of contents dropped), their headings
    found from its outline, font sizes or numbering (ingest/structure.py)."""
    pages = clean_pages(pdf.pages, pdf.page_labels)
    lines = [Line(n, text) for n, page in enumerate(pages, start=1) for text in page.splitlines()]
    source, raws = document_sections(lines, pdf.outline, pdf.lines)
    kinds = [raw.kind for raw in raws]
    sections = [to_record(pdf.name, raw, role(raw.label, k, kinds), pdf.page_labels) for k, raw in enumerate(raws)]
    if not sections:
        log.warning("%s: no section heading found; indexed as one section.", pdf.name)
        return [to_record(pdf.name, RawSection(pdf.name, "other", pdf.name, "", "", lines), page_labels=pdf.page_labels)]
    log.info("%s: %d sections, headings from its %s", pdf.name, len(sections), source)
    return sections


def linked_section(page: LinkedPage) -> Section:
    """A cached linked page as a section record (label = its URL)."""
    pages = page.pages or [1]
    text = page.text.strip()
    return Section(source=page.url, label=page.url, title=page.title or page.url, kind="linked-page",
                   pages=pages, text=text, line_pages=[pages[0]] * len(text.split("\n")), url=page.url,
                   cited_by=page.citing_sections)


def ingest(corpus_dir: Path, pages_dir: Path | None = None) -> IngestedCorpus:
    """Read every PDF of `corpus_dir` into section records, then the linked pages cached in
    `pages_dir` (if given and present), attributed to the sections that cite them.

    Raises CorpusError (missing/empty folder, no readable PDF); unreadable files are skipped
    with a warning naming them.
    """
    pdfs = read_corpus(corpus_dir)
    sections, links = [], []
    for pdf in pdfs:
        found = pdf_sections(pdf)
        sections += found
        links += discover_links(corpus_dir / pdf.name, found)
    repeated = sorted(label for label, n in Counter(s.label for s in sections).items() if n > 1)
    if repeated:
        log.warning("Several sections share a label (%s): a question can reach only one of them. "
                    "Keep one guide per corpus folder, or guides whose workshops are labelled apart.",
                    ", ".join(repeated))
    known = {s.label for s in sections}
    linked = [p for p in (load_saved_pages(pages_dir, links) if pages_dir else []) if p.text.strip()]
    for page in linked:
        if not any(label in known for label in page.citing_sections):
            log.warning("Linked page %s names no section of the guide (%s); indexed without attribution.",
                        page.url, page.citing_sections)
    sections += [linked_section(p) for p in linked]
    log.info("Ingested %d sections from %d PDF(s) and %d linked page(s)", len(sections), len(pdfs), len(linked))
    return IngestedCorpus(sections=sections, file_hashes={p.name: p.sha256 for p in pdfs}, links=links)
