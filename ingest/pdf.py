"""Read the corpus folder: PDF files → raw page texts and what the PDF says of its structure
(outline, printed page labels, font size of each line), with pypdf. Bad files and byte-identical
duplicates are skipped with a warning. Also the pages of PDF bytes (linked pages)."""

from __future__ import annotations

import hashlib
import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

from guide_assistant.errors import CorpusError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutlineEntry:
    """One bookmark of the PDF's outline: its title, the 1-based page it points to, its depth
    (0 for a top-level entry)."""

    title: str
    page: int
    level: int


@dataclass(frozen=True)
class StyledLine:
    """One printed line of a page as pypdf's text visitor sees it: its text and font size (in
    PDF points, the text and current transformation matrices applied; the size most of its
    characters have)."""

    text: str
    size: float


@dataclass(frozen=True)
class RawPdf:
    """A readable PDF: file name, SHA-256 of its bytes, raw text of each page (1-based order),
    and its structure as the file states it: `page_labels` (the printed label of each page,
    "i", "ii", "1"…, from the PDF's /PageLabels; empty when the PDF has none), `outline` (its
    bookmarks in document order; empty when none) and `lines` (each page's lines with their
    font size)."""

    name: str
    sha256: str
    pages: list[str]
    page_labels: list[str] = field(default_factory=list)
    outline: list[OutlineEntry] = field(default_factory=list)
    lines: list[list[StyledLine]] = field(default_factory=list)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The PDF files of the corpus folder, sorted by name.

    Raises CorpusError when the folder is missing or holds no `.pdf` file.
    """
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"Corpus folder not found: {corpus_dir.resolve()}. Run from the project folder, or set "
            "GUIDE_ASSISTANT_INGEST__CORPUS_DIR to the folder holding the guide PDF "
            "(a copy lies in the repository's corpus/)."
        )
    files = sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() == ".pdf" and p.is_file())
    if not files:
        raise CorpusError(
            f"No PDF in {corpus_dir.resolve()}. Copy the guide (guide-elus-occitanie-2021.pdf) into it."
        )
    return files


def open_pdf(data: bytes) -> PdfReader:
    """A reader of PDF bytes (lenient: pypdf's strict=False). Raises ValueError for an encrypted
    PDF, and pypdf's errors for a damaged one."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise ValueError("encrypted PDF; save an unencrypted copy")
    return reader


def pdf_pages(data: bytes) -> tuple[list[str], str]:
    """(raw text of each page in order, the document's title or "") of PDF bytes.

    Raises ValueError saying what is wrong when the bytes are not a readable, unencrypted PDF.
    """
    try:
        reader = open_pdf(data)
        pages = [page.extract_text() or "" for page in reader.pages]
    except ValueError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise ValueError(f"unreadable PDF ({exc})") from exc
    return pages, _title(reader)


def _title(reader: PdfReader) -> str:
    """The document information's title, "" when absent or unreadable."""
    try:
        meta = reader.metadata
        return str(meta.title).strip() if meta is not None and meta.title else ""
    except Exception as exc:  # a damaged information dictionary only loses the title
        log.debug("PDF title unreadable: %s", exc)
        return ""


def read_pdf(path: Path) -> RawPdf | None:
    """Text of every page of `path`, or None (with a warning naming the file) when the file is
    not a PDF, is encrypted, truncated, or has no extractable text."""
    data = path.read_bytes()
    try:
        if not data.startswith(b"%PDF"):
            raise ValueError("not a PDF file (no %PDF header)")
        reader = open_pdf(data)
        pages, lines = zip(*(styled_text(page) for page in reader.pages)) if reader.pages else ((), ())
        labels, outline = printed_labels(reader), outline_entries(reader)
    except Exception as exc:  # pypdf raises many types on damaged files
        why = exc if isinstance(exc, ValueError) else f"unreadable PDF ({exc})"
        log.warning("Skipping %s: %s. The other files are still indexed.", path.name, why)
        return None
    if not any(p.strip() for p in pages):
        log.warning("Skipping %s: no text layer (scanned PDF?). The other files are still indexed.", path.name)
        return None
    return RawPdf(name=path.name, sha256=hashlib.sha256(data).hexdigest(), pages=list(pages),
                  page_labels=labels, outline=outline, lines=list(lines))


def styled_text(page) -> tuple[str, list[StyledLine]]:
    """The page's text (pypdf's `extract_text`) and its lines with their font sizes, from the
    same extraction (`visitor_text` sees each text run with its matrices and font size)."""
    runs: list[tuple[float, float, str]] = []  # (baseline y, size, text) in reading order

    def visit(text, cm, tm, _font, font_size):
        if text.strip():
            c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((y, font_size * math.hypot(c, d), text))

    text = page.extract_text(visitor_text=visit) or ""
    return text, styled_lines(runs)


def styled_lines(runs: list[tuple[float, float, str]]) -> list[StyledLine]:
    """Runs sharing a baseline (within half their size) joined into lines; a line's size is the
    one most of its characters have."""
    out: list[StyledLine] = []
    group: list[tuple[float, float, str]] = []
    for run in runs + [(math.inf, 1.0, "")]:
        if group and (abs(run[0] - group[-1][0]) > 0.5 * max(run[1], group[-1][1]) or not run[2]):
            weight: dict[float, int] = {}
            for _, size, txt in group:
                weight[round(size, 1)] = weight.get(round(size, 1), 0) + len(txt.strip())
            out.append(StyledLine("".join(t for _, _, t in group).strip(), max(weight, key=weight.get)))
            group = []
        if run[2]:
            group.append(run)
    return out


def printed_labels(reader: PdfReader) -> list[str]:
    """The printed label of each page ("i", "ii", "1", …) when the PDF defines /PageLabels and
    they differ from the page positions; else [] (citations then use page positions)."""
    if "/PageLabels" not in reader.root_object:
        return []
    labels = list(reader.page_labels)
    return [] if labels == [str(n) for n in range(1, len(labels) + 1)] else labels


def outline_entries(reader: PdfReader) -> list[OutlineEntry]:
    """The PDF's bookmarks, flattened in document order with their depth; an entry whose
    destination is not a page of the file is left out."""
    out: list[OutlineEntry] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0:
                out.append(OutlineEntry(str(item.title or "").strip(), page + 1, level))

    walk(reader.outline or [], 0)
    return out


def read_corpus(corpus_dir: Path) -> list[RawPdf]:
    """All readable PDFs of the corpus, each content once: a file byte-identical to one read
    before it (same SHA-256) is skipped with a warning naming both. Raises CorpusError when
    none is readable."""
    pdfs: list[RawPdf] = []
    for path in corpus_files(corpus_dir):
        if (pdf := read_pdf(path)) is None:
            continue
        first = next((p for p in pdfs if p.sha256 == pdf.sha256), None)
        if first is not None:
            log.warning("Skipping %s: the same file as %s (byte-identical); it is indexed once.", pdf.name, first.name)
            continue
        pdfs.append(pdf)
    if not pdfs:
        raise CorpusError(
            f"No readable PDF in {corpus_dir.resolve()} (see the warnings above). "
            "Put an unencrypted copy of the guide there."
        )
    return pdfs
