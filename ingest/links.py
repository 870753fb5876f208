"""Discover the web pages the guide points to, each tied to the sections and pages citing it.

Two sources, merged:

* **text** — URLs printed in a section's cleaned text (`details.WEB_URL`; the cleaning already joins
  URLs wrapped at a hyphen), plus bare domains printed after the word "site"-style pointers
  ("site logement.gouv.fr", `details.BARE_DOMAIN`), which become ``https://<domain>/``. E-mail domains are not links.
* **annotation** — the PDF's link annotations (``/Annots`` entries with ``/Subtype /Link`` and an
  ``/A`` action holding a ``/URI``). Most of the guide's link annotations have no URI (an empty
  ``/Dest``: the targets were lost when the PDF was made); they are skipped.

Attribution of an annotation (how the citing section is chosen):

1. the candidate sections are those whose ``pages`` include the annotation's page;
2. with one candidate, it is the one;
3. with several, the page's text is read with pypdf's ``extract_text(visitor_text=…)``, which gives
   each text fragment's position (PDF points from the page's bottom); fragments are grouped into
   lines by their baseline. Each candidate's heading is located on the page by matching the start
   of its first line on that page; the citing section is the last candidate (in reading order)
   whose heading lies above the annotation's rectangle. A section that began on an earlier page
   counts as starting above the page top;
4. when a heading cannot be located, the anchor text (the text inside the rectangle) or the URL
   is looked up in the candidates' text on that page; failing that, the first candidate is used
   and a debug message is logged.

The anchor text of an annotation is the text of the fragments whose baseline lies inside the
rectangle (with a 3-point tolerance); for a printed URL it is the text of its line without the
URL, extended with the previous line when that leaves fewer than three words. Anchors equal to a
URL are dropped.

URLs are normalised before merging: surrounding whitespace and trailing punctuation removed,
a trailing ``#`` (empty fragment) removed, scheme and host lower-cased. Anchors-only links
(``#…``) and non-HTTP schemes (``mailto:``…) are ignored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict
from pypdf import PdfReader

from guide_assistant.ingest.clean import normalise
from guide_assistant.details import BARE_DOMAIN, WEB_URL
from guide_assistant.records import Section

log = logging.getLogger(__name__)

Origin = Literal["text", "annotation", "both"]

_TRAILING = ".,;:!?)]}»>'\"’"
# Tolerance, in PDF points, around an annotation rectangle when collecting its text.
RECT_TOLERANCE = 3.0
# Two fragments whose baselines differ by less than this many points are on the same line.
LINE_TOLERANCE = 1.0
# Characters of a heading's first line compared when locating it on the page.
HEADING_PREFIX = 24
MIN_ANCHOR_WORDS = 3


class Link(BaseModel):
    """A web page the guide points to.

    url: normalised absolute http(s) URL. sections: labels of the citing sections, in document
    order. pages: 1-based pages citing it, ascending. anchors: the text near it in the guide (may
    be empty). origin: printed in the text, a PDF link annotation, or both.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    sections: list[str]
    pages: list[int]
    anchors: list[str] = []
    origin: Origin


@dataclass
class _Found:
    url: str
    section: str
    page: int
    anchor: str
    origin: Literal["text", "annotation"]


@dataclass
class _TextLine:
    y: float  # baseline, PDF points from the page bottom
    text: str
    fragments: list[tuple[float, str]]  # (x of the fragment's start, its text)


def normalise_url(raw: str) -> str | None:
    """The URL as used for merging and fetching, or None when it is not an http(s) page link.

    Strips whitespace and trailing punctuation, an empty trailing fragment ("…/page#"), and
    lower-cases the scheme and host. Anchors-only ("#top") and other schemes return None.
    """
    url = raw.strip()
    while url and (url[-1] in _TRAILING or url[-1] == "#"):
        # keep a closing parenthesis that has its opening one inside the URL
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    if not url or url.startswith("#"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, parts.fragment))


def _squash(text: str) -> str:
    """Lower-cased text without whitespace, for fuzzy containment tests."""
    return re.sub(r"\s+", "", normalise(text)).lower()


# --------------------------------------------------------------------------- printed URLs


def _line_anchor(lines: list[str], k: int, printed: str) -> str:
    rest = lines[k].replace(printed, " ").strip(" :–-\t")
    rest = re.sub(r"\s+", " ", rest)
    if len(rest.split()) < MIN_ANCHOR_WORDS and k > 0 and not WEB_URL.search(lines[k - 1]):
        rest = f"{lines[k - 1].strip()} {rest}".strip(" :–-")
    return rest


def text_links(section: Section, *, bare_domains: bool = True) -> list[_Found]:
    """URLs printed in one section's text, with the page of the line holding each."""
    found: list[_Found] = []
    lines = section.text.splitlines()
    for k, line in enumerate(lines):
        page = section.line_pages[k] if k < len(section.line_pages) else section.pages[0]
        rest = line
        for m in WEB_URL.finditer(line):
            url = normalise_url(m.group())
            rest = rest.replace(m.group(), " ")
            if url:
                found.append(_Found(url, section.label, page, _line_anchor(lines, k, m.group()), "text"))
        if not bare_domains:
            continue
        for m in BARE_DOMAIN.finditer(rest):
            url = normalise_url(f"https://{m.group('domain')}{m.group('path') or '/'}")
            if url:
                found.append(_Found(url, section.label, page, re.sub(r"\s+", " ", line.strip()), "text"))
    return found


# --------------------------------------------------------------------------- annotations


def _page_lines(page) -> list[_TextLine]:
    """The page's text lines in content order, each with its baseline y (points)."""
    frags: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):  # pypdf visitor signature
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        frags.append((float(x), float(y), text))

    try:
        page.extract_text(visitor_text=visit)
    except Exception as exc:  # pypdf raises many types on odd content streams
        log.debug("No text positions for a page: %s", exc)
        return []
    lines: list[_TextLine] = []
    for x, y, text in frags:
        text = normalise(text.replace("\n", " "))
        if lines and abs(lines[-1].y - y) < LINE_TOLERANCE:
            lines[-1].text += text
            lines[-1].fragments.append((x, text))
        else:
            lines.append(_TextLine(y, text, [(x, text)]))
    for ln in lines:
        ln.text = ln.text.strip()
    return lines


def _rect(annot) -> tuple[float, float, float, float] | None:
    try:
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    except Exception:
        return None
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _anchor_in_rect(lines: list[_TextLine], rect: tuple[float, float, float, float]) -> str:
    x1, y1, x2, y2 = rect
    inside = [
        text
        for ln in lines
        if y1 - RECT_TOLERANCE <= ln.y <= y2 + RECT_TOLERANCE
        for x, text in ln.fragments
        if x1 - RECT_TOLERANCE <= x <= x2
    ]
    return re.sub(r"\s+", " ", "".join(inside)).strip()


def _uri_annotations(page) -> list[tuple[str, tuple[float, float, float, float] | None]]:
    """(raw URI, rectangle) of the page's /Link annotations that carry a URI action."""
    out = []
    annots = page.get("/Annots")
    if annots is None:
        return out
    try:
        annots = annots.get_object()
    except AttributeError:
        pass
    for ref in annots:
        try:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            action = action.get_object() if action is not None else None
            uri = action.get("/URI") if action is not None else None
        except Exception as exc:
            log.debug("Unreadable annotation skipped: %s", exc)
            continue
        if uri:
            out.append((str(uri), _rect(annot)))
    return out


def _heading_y(lines: list[_TextLine], section: Section, page: int) -> float | None:
    """Baseline of the section's first line on `page`; +inf when the section began earlier."""
    if section.pages[0] < page:
        return float("inf")
    first = next(
        (t for t, p in zip(section.text.splitlines(), section.line_pages or [section.pages[0]]) if p == page),
        None,
    )
    if not first:
        return None
    prefix = _squash(first)[:HEADING_PREFIX]
    for ln in lines:
        if prefix and _squash(ln.text).startswith(prefix):
            return ln.y
    return None


def _page_text(section: Section, page: int) -> str:
    if not section.line_pages:
        return section.text
    return "\n".join(t for t, p in zip(section.text.splitlines(), section.line_pages) if p == page)


def citing_section(
    candidates: list[Section], page: int, rect, lines: list[_TextLine], anchor: str, url: str
) -> Section:
    """The section that holds an annotation (see the module docstring for the method)."""
    if len(candidates) == 1:
        return candidates[0]
    if rect is not None:
        top = rect[3]
        heads = [(s, _heading_y(lines, s, page)) for s in candidates]
        if all(y is not None for _, y in heads):
            above = [s for s, y in heads if y >= top - RECT_TOLERANCE]
            if above:
                return above[-1]
    for needle in (anchor, url):
        key = _squash(needle) if needle else ""
        hits = [s for s in candidates if key and key in _squash(_page_text(s, page))]
        if len(hits) == 1:
            return hits[0]
    log.debug("Annotation %s on page %d: section not located; using %s", url, page, candidates[0].label)
    return candidates[0]


def annotation_links(pdf_path: Path, sections: list[Section]) -> list[_Found]:
    """URI link annotations of the PDF, each tied to its citing section.

    Raises pypdf's errors when the file cannot be opened as a PDF.
    """
    reader = PdfReader(pdf_path, strict=False)
    source_sections = [s for s in sections if s.source == pdf_path.name] or sections
    found: list[_Found] = []
    for number, page in enumerate(reader.pages, start=1):
        annots = _uri_annotations(page)
        if not annots:
            continue
        candidates = [s for s in source_sections if number in s.pages]
        if not candidates:
            log.debug("Page %d holds links but no section (cover or contents); skipped", number)
            continue
        lines = _page_lines(page) if len(candidates) > 1 or any(r for _, r in annots) else []
        for raw, rect in annots:
            url = normalise_url(raw)
            if not url:
                continue
            anchor = _anchor_in_rect(lines, rect) if rect else ""
            if anchor and (normalise_url(anchor) or _squash(anchor) in _squash(raw) or WEB_URL.match(anchor)):
                anchor = ""  # the anchor is the URL itself (or a piece of it)
            section = citing_section(candidates, number, rect, lines, anchor, url)
            found.append(_Found(url, section.label, number, anchor, "annotation"))
    return found


# --------------------------------------------------------------------------- merge


def merge(found: list[_Found], order: list[str]) -> list[Link]:
    """One Link per normalised URL, keeping every citing section, page and anchor.

    Links come out in the order they are first cited in the guide (page, then section order).
    """
    rank = {label: i for i, label in enumerate(order)}
    found = sorted(found, key=lambda f: (f.page, rank.get(f.section, len(rank))))
    by_url: dict[str, dict] = {}
    for f in found:
        entry = by_url.setdefault(f.url, {"sections": [], "pages": set(), "anchors": [], "origins": set()})
        if f.section not in entry["sections"]:
            entry["sections"].append(f.section)
        entry["pages"].add(f.page)
        if f.anchor and f.anchor not in entry["anchors"]:
            entry["anchors"].append(f.anchor)
        entry["origins"].add(f.origin)
    links = []
    for url, e in by_url.items():
        origin = "both" if len(e["origins"]) == 2 else next(iter(e["origins"]))
        sections = sorted(e["sections"], key=lambda s: rank.get(s, len(rank)))
        links.append(Link(url=url, sections=sections, pages=sorted(e["pages"]), anchors=e["anchors"], origin=origin))
    return links


def merge_links(links: Iterable[Link]) -> dict[str, Link]:
    """Links by normalised URL, in first-seen order: the same page cited from several PDFs is
    one Link with every section, page and anchor; links without an http(s) URL are dropped."""
    merged: dict[str, Link] = {}
    for link in links:
        url = normalise_url(link.url)
        if not url:
            log.debug("Not an http(s) page, skipped: %s", link.url)
            continue
        if url in merged:
            old = merged[url]
            link = Link(url=url, sections=old.sections + [s for s in link.sections if s not in old.sections],
                        pages=sorted(set(old.pages) | set(link.pages)),
                        anchors=old.anchors + [a for a in link.anchors if a not in old.anchors],
                        origin=old.origin if old.origin == link.origin else "both")
        merged[url] = link.model_copy(update={"url": url})
    return merged


def discover_links(pdf_path: Path, sections: list[Section], *, bare_domains: bool = True) -> list[Link]:
    """Every web page the PDF points to, merged by normalised URL.

    pdf_path: the guide PDF (its annotations are read). sections: the sections ingested from that
    PDF (their text gives the printed URLs and their pages the attribution). bare_domains: also
    keep domains printed without a scheme ("site logement.gouv.fr" → https://logement.gouv.fr/).

    Raises FileNotFoundError when pdf_path does not exist, and pypdf's PdfReadError when it is not
    a readable PDF.
    """
    pdf_path = Path(pdf_path)
    own = [s for s in sections if s.source == pdf_path.name] or list(sections)
    found = [f for s in own for f in text_links(s, bare_domains=bare_domains)]
    found += annotation_links(pdf_path, own)
    links = merge(found, [s.label for s in own])
    log.info("%s: %d distinct links (%d citations)", pdf_path.name, len(links), len(found))
    return links
