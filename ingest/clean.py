"""Raw page text → clean page text: ligatures, NFC, running headers/footers, line-end hyphens."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# Typographic ligatures pypdf leaves in the text. œ/Œ are real French letters and are kept.
LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_LIG_RE = re.compile("|".join(LIGATURES))
_HYPHEN_END = re.compile(r"(\w)-$")
_WORD = re.compile(r"\w+(?:-\w+)*")

# A line repeated at the top or bottom of this share of pages is a running header/footer.
BOILERPLATE_SHARE = 0.6
EDGE_LINES = 3


def normalise(text: str) -> str:
    """Ligatures expanded (ﬁ → fi), NFC, non-breaking spaces kept, trailing spaces removed."""
    text = unicodedata.normalize("NFC", _LIG_RE.sub(lambda m: LIGATURES[m.group()], text))
    return "\n".join(line.rstrip() for line in text.splitlines())


def _shape(line: str, label: str = "") -> str:
    """Line with digits masked, so "Page 3 / 21" and "Page 4 / 21" share a shape; the page's
    printed label (`label`, e.g. "ii") is masked too, so "— ii —" and "— 3 —" share one."""
    line = line.strip()
    if label:
        line = re.sub(rf"(?<!\w){re.escape(label)}(?!\w)", "#", line)
    return re.sub(r"\d+", "#", line)


def boilerplate_shapes(pages: list[str], labels: list[str] | None = None) -> set[str]:
    """Shapes of lines found among the first/last EDGE_LINES lines of ≥ BOILERPLATE_SHARE of pages
    (`labels`: each page's printed label, masked in its lines; None when the PDF has none)."""
    if len(pages) < 3:
        return set()
    labels = labels or [""] * len(pages)
    counts: Counter[str] = Counter()
    for page, label in zip(pages, labels):
        lines = [ln for ln in page.splitlines() if ln.strip()]
        counts.update({_shape(ln, label) for ln in lines[:EDGE_LINES] + lines[-EDGE_LINES:]})
    return {shape for shape, n in counts.items() if n >= BOILERPLATE_SHARE * len(pages)}


def strip_boilerplate(page: str, shapes: set[str], label: str = "") -> str:
    """The page without its header/footer lines (only at the page's edges) and blank lines."""
    lines = [ln for ln in page.splitlines() if ln.strip()]
    edges = set(range(EDGE_LINES)) | set(range(len(lines) - EDGE_LINES, len(lines)))
    return "\n".join(ln for i, ln in enumerate(lines) if not (i in edges and _shape(ln, label) in shapes))


def vocabulary(pages: list[str]) -> set[str]:
    """Lower-cased words (hyphenated compounds kept whole) of the whole document."""
    return {w.lower() for page in pages for w in _WORD.findall(page)}


def join_hyphenated(page: str, vocab: set[str]) -> str:
    """Join lines that end with a hyphen to the next line.

    The guide is typeset without word division: a line-end hyphen is almost always a real
    compound (Hautes-Pyrénées, tables-rondes, a URL). The hyphen is dropped only when the
    document itself spells the joined word without it elsewhere and never with it.
    """
    lines = page.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        while _HYPHEN_END.search(line) and i + 1 < len(lines):
            head, tail = line[:-1], lines[i + 1].lstrip()
            left = _WORD.findall(head)[-1] if _WORD.findall(head) else ""
            right = _WORD.findall(tail)[0] if _WORD.findall(tail) else ""
            split_word = (left + right).lower()
            keep = not (split_word in vocab and f"{left}-{right}".lower() not in vocab)
            line = head + ("-" if keep else "") + tail
            i += 1
        out.append(line)
        i += 1
    return "\n".join(out)


def clean_pages(raw_pages: list[str], labels: list[str] | None = None) -> list[str]:
    """Clean every page of one document; returns texts in the same order (1-based pages).
    `labels`: each page's printed label when the PDF defines them (a footer printing it is
    then recognised as one running line on every page)."""
    pages = [normalise(p) for p in raw_pages]
    labels = labels or [""] * len(pages)
    shapes = boilerplate_shapes(pages, labels)
    pages = [strip_boilerplate(p, shapes, label) for p, label in zip(pages, labels)]
    vocab = vocabulary(pages)
    return [join_hyphenated(p, vocab) for p in pages]
