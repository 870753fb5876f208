"""Read PDF files: raw page texts (pypdf); the corpus folder's bad files skipped with a warning."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from guide_assistant.errors import CorpusError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawPdf:
    """A readable PDF: file name, SHA-256 of its bytes, raw text of each page (1-based order)."""

    name: str
    sha256: str
    pages: list[str]


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


def pdf_pages(data: bytes) -> tuple[list[str], str]:
    """(raw text of each page in order, the document's title or "") of PDF bytes.

    Raises ValueError saying what is wrong when the bytes are not a readable, unencrypted PDF.
    """
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValueError("encrypted PDF; save an unencrypted copy")
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
        pages, _ = pdf_pages(data)
    except ValueError as exc:
        log.warning("Skipping %s: %s. The other files are still indexed.", path.name, exc)
        return None
    if not any(p.strip() for p in pages):
        log.warning("Skipping %s: no text layer (scanned PDF?). The other files are still indexed.", path.name)
        return None
    return RawPdf(name=path.name, sha256=hashlib.sha256(data).hexdigest(), pages=pages)


def read_corpus(corpus_dir: Path) -> list[RawPdf]:
    """All readable PDFs of the corpus. Raises CorpusError when none is readable."""
    pdfs = [pdf for path in corpus_files(corpus_dir) if (pdf := read_pdf(path)) is not None]
    if not pdfs:
        raise CorpusError(
            f"No readable PDF in {corpus_dir.resolve()} (see the warnings above). "
            "Put an unencrypted copy of the guide there."
        )
    return pdfs
