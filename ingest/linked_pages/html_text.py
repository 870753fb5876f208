"""The title and main text of an HTML page: trafilatura, with a small readability-style
extractor for the title and for the short pages trafilatura finds nothing in."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

from guide_assistant.ingest.clean import normalise

log = logging.getLogger(__name__)

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "main", "h1", "h2",
          "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "dl", "figcaption", "hr"}
_SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "template",
         "iframe", "head", "button", "select", "menu"}
_MAIN = {"main", "article"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}


class _Stripper(HTMLParser):
    """Readability-style text: skips scripts, navigation, headers, footers and forms; prefers
    the text inside <main>/<article> when the page has one; keeps the <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.main = 0
        self.in_title = False
        self.title = ""
        self.all: list[str] = []
        self.main_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        if tag in _VOID:
            if tag in _BLOCK:
                self._emit("\n")
            return
        if tag in _SKIP:
            self.skip += 1
        elif tag in _MAIN:
            self.main += 1
        if tag in _BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in _VOID:
            return
        if tag in _SKIP and self.skip:
            self.skip -= 1
        elif tag in _MAIN and self.main:
            self.main -= 1
        if tag in _BLOCK:
            self._emit("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
            return
        self._emit(data)

    def _emit(self, text: str) -> None:
        if self.skip:
            return
        self.all.append(text)
        if self.main:
            self.main_text.append(text)


def _tidy(text: str) -> str:
    lines = (re.sub(r"[ \t\r\f\v ]+", " ", ln).strip() for ln in text.splitlines())
    return normalise("\n".join(ln for ln in lines if ln))


def strip_html(html: str) -> tuple[str, str]:
    """(title, main text) of an HTML document, without any third-party library."""
    parser = _Stripper()
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # HTMLParser is lenient; be safe on odd input
        log.debug("HTML parser stopped early: %s", exc)
    main = _tidy("".join(parser.main_text))
    return _tidy(parser.title).replace("\n", " "), main or _tidy("".join(parser.all))


def decode_html(data: bytes, content_type: str = "") -> str:
    """HTML bytes → str: the header's charset, else a <meta> charset, else UTF-8, else cp1252."""
    candidates = []
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    if m:
        candidates.append(m.group(1))
    m = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", data[:4096], re.I)
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    candidates += ["utf-8", "cp1252"]
    for enc in candidates:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def html_text(data: bytes, url: str = "", content_type: str = "") -> tuple[str, str]:
    """(title, main text) of an HTML page: trafilatura's main text, or `strip_html`'s when
    trafilatura finds nothing (short pages) or fails; the <title>, else trafilatura's."""
    html = decode_html(data, content_type)
    title, fallback = strip_html(html)
    text = ""
    try:
        import trafilatura  # imported on first use: index builds without HTML pages skip its load time

        text = trafilatura.extract(html, url=url or None, include_comments=False, include_tables=True,
                                   favor_recall=True) or ""
        if not title:
            meta = trafilatura.extract_metadata(html, default_url=url or None)
            title = (meta.title or "") if meta is not None else ""
    except Exception as exc:  # trafilatura/lxml on broken markup
        log.debug("trafilatura failed on %s: %s", url, exc)
    text = _tidy(text) if text.strip() else fallback
    return title.strip(), text
