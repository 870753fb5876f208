"""Raw content of a linked page → its kind (HTML or PDF) and its (title, main text)."""

from __future__ import annotations

from pathlib import Path

from guide_assistant.ingest.clean import normalise
from guide_assistant.ingest.linked_pages.html_text import html_text
from guide_assistant.ingest.linked_pages.records import Kind
from guide_assistant.ingest.pdf import pdf_pages

HTML_TYPES = {"text/html", "application/xhtml+xml"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}


def sniff_kind(data: bytes, content_type: str = "", name: str = "") -> Kind | None:
    """"html", "pdf" or None, from the media type, else the file name, else the first bytes."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in PDF_TYPES:
        return "pdf"
    if ctype in HTML_TYPES:
        return "html"
    if ctype:
        return None
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    head = data[:1024].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head or b"<head" in head:
        return "html"
    return None


def pdf_text(data: bytes) -> tuple[str, str]:
    """(title, text) of a PDF: the document title (else its first line) and every page's text
    (`ingest.pdf.pdf_pages`, normalised), pages separated by a blank line.

    Raises ValueError when the bytes are not a readable, unencrypted PDF.
    """
    raw_pages, title = pdf_pages(data)
    pages = [normalise(p).strip() for p in raw_pages]
    text = "\n\n".join(p for p in pages if p)
    if not title and text:
        title = text.splitlines()[0].strip()
    return title, text


def extract(data: bytes, kind: Kind, url: str = "", content_type: str = "") -> tuple[str, str]:
    """(title, main text) of raw content of the given kind. Raises ValueError for a bad PDF."""
    return pdf_text(data) if kind == "pdf" else html_text(data, url, content_type)
