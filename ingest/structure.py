"""Where a guide's headings are, whatever its wording: from the PDF's outline, else from font
sizes, else from numbering patterns; and where its table of contents ends.

Each source gives `Heading`s over the document's cleaned lines (ingest/sections.py then names
them and cuts the sections). The sources, in the order they are tried:

1. The outline (bookmarks): each entry's title is found on the page it points to.
2. Font sizes: lines printed clearly larger than the body text (MIN_HEADINGS of them at least);
   consecutive large lines of one size are one heading. The larger a size, the higher its level.
3. Numbering patterns, for a PDF where headings look like body text (the Occitanie guide):
   a word followed by a number, roman numeral or letter ("Atelier n°2", "Table-ronde IV",
   "Fiche 3", "Groupe de travail B") that recurs with several numbers, the first among them;
   the guide's named parts (sections.NAMED_HEADINGS); « Je souhaite … » themes.

The table of contents is the first dense run of lines that restate a later heading or end with
a page reference ("Fiche 1 … 3"); everything up to its end (the cover, the contents) is front
matter, never a section's content.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from guide_assistant.ingest.pdf import OutlineEntry, StyledLine

LARGER = 1.15  # a line this many times the body's font size, or more, is a heading
MIN_HEADINGS = 3  # fewer large lines than this: font sizes are decoration, not structure
MAX_TITLE_LINES = 4  # a heading wraps over this many lines at most
TOC_GAP = 4  # lines between two entries of the table of contents, at most (wrapped entries, themes)
MIN_KEY = 8  # characters of a line's key needed to take it for a restated heading

_THEME_START = re.compile(r"^«\s*Je souhaite", re.IGNORECASE)
_TITLE_END = re.compile(r"[)»?]\s*$")
# A numbered heading: a capitalised word (and up to three more) then a number, a roman numeral
# or a capital letter, then a separator and the title.
NUMBERED = re.compile(
    r"^(?P<word>[A-ZÀ-Ý][\w'’-]*(?:[ -][\w'’-]+){0,3}?)\s+(?P<no>n°\s*)?"
    r"(?P<num>[1-9]\d{0,2}|[IVX]{1,5}|[A-Z])(?![\w°'’])\s*(?:\*\*)?\s*(?:[→–—:.-]\s*)?(?P<rest>.*)$"
)
_PAGE_REF = re.compile(r"(?:\.{3,}|…+|\t)\s*[\divxlcIVXLC]{1,6}\s*$")
_FIRST = {"1", "I", "A"}


@dataclass(frozen=True)
class Heading:
    """A heading over lines[start:end] (it may wrap), its text (those lines joined by spaces),
    its level (0 the highest) and whether it is a theme (« Je souhaite … »: it groups the
    sections after it rather than opening one)."""

    start: int
    end: int
    text: str
    level: int = 0
    theme: bool = False


def key(text: str) -> str:
    """Letters and digits of `text`, lower-cased, accents and ligatures folded: "Table Ronde I"
    and "Table-ronde I →" share a key."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _joined(lines: list[str], start: int, end: int) -> str:
    return " ".join(ln.strip() for ln in lines[start:end])


# --------------------------------------------------------------------------- outline


def outline_headings(lines: list[str], pages: list[int], outline: list[OutlineEntry]) -> list[Heading]:
    """Each outline entry found on its page: the first line (after the previous heading, on that
    page) whose key starts the title's key or is started by it; the heading spans the lines
    whose keys, joined, are still the start of the title's key. Entries not found are left out."""
    out: list[Heading] = []
    after = 0
    for entry in outline:
        want = key(entry.title)
        if not want:
            continue
        on_page = [i for i in range(len(lines)) if pages[i] == entry.page and i >= after]
        found = next((i for i in on_page if (k := key(lines[i])) and (want.startswith(k) or k.startswith(want))), None)
        if found is None:
            continue
        end, acc = found + 1, key(lines[found])
        while end < len(lines) and end - found < MAX_TITLE_LINES and acc != want and \
                want.startswith(acc + key(lines[end])) and key(lines[end]):
            acc += key(lines[end])
            end += 1
        out.append(Heading(found, end, _joined(lines, found, end), entry.level))
        after = end
    return out


# --------------------------------------------------------------------------- font sizes


def body_size(styled: list[list[StyledLine]]) -> float:
    """The font size most characters of the document have (points)."""
    weight: Counter[float] = Counter()
    for page in styled:
        for line in page:
            weight[line.size] += len(line.text)
    return weight.most_common(1)[0][0] if weight else 0.0


def line_sizes(lines: list[str], pages: list[int], styled: list[list[StyledLine]]) -> list[float]:
    """The font size of each cleaned line (0.0 when unknown): the lines of a page and its styled
    lines come from one extraction, so they are aligned in order, a cleaned line taking the next
    styled line whose key starts its own or is started by it (cleaning drops running lines and
    joins hyphenated ones)."""
    sizes = [0.0] * len(lines)
    cursor: dict[int, int] = {}
    for i, line in enumerate(lines):
        page = styled[pages[i] - 1] if pages[i] - 1 < len(styled) else []
        k, start = key(line), cursor.get(pages[i], 0)
        m = next((m for m in range(start, len(page)) if k and (sk := key(page[m].text))
                  and (k.startswith(sk) or sk.startswith(k))), None)
        if m is not None:
            sizes[i], cursor[pages[i]] = page[m].size, m + 1
    return sizes


def font_headings(lines: list[str], pages: list[int], styled: list[list[StyledLine]]) -> list[Heading]:
    """Lines printed at LARGER × the body size or more (matched to the cleaned lines of their
    page by key); consecutive ones of one size form one heading. Level: rank of the size among
    heading sizes, largest first. [] when fewer than MIN_HEADINGS are found."""
    body = body_size(styled)
    size_of = {i: size for i, size in enumerate(line_sizes(lines, pages, styled)) if size >= LARGER * body}
    out: list[Heading] = []
    for i in sorted(size_of):
        last = out[-1] if out else None
        if last and last.end == i and size_of[last.start] == size_of[i] and pages[last.start] == pages[i] \
                and i - last.start < MAX_TITLE_LINES:
            out[-1] = Heading(last.start, i + 1, _joined(lines, last.start, i + 1))
        else:
            out.append(Heading(i, i + 1, lines[i].strip()))
    if len(out) < MIN_HEADINGS:
        return []
    sizes = sorted({size_of[h.start] for h in out}, reverse=True)
    return [Heading(h.start, h.end, h.text, sizes.index(size_of[h.start])) for h in out]


# --------------------------------------------------------------------------- numbering patterns


def _heading_span(lines: list[str], i: int) -> int:
    """Index after a numbered heading starting at line i: it wraps until a line ending with ) » ?
    (MAX_TITLE_LINES at most); without such an end the heading is its first line."""
    j = i + 1
    while not _TITLE_END.search(lines[j - 1]) and j < len(lines) and j - i < MAX_TITLE_LINES:
        j += 1
    return j if _TITLE_END.search(lines[j - 1]) else i + 1


def _theme_span(lines: list[str], i: int) -> int:
    """Index after a « Je souhaite … » theme starting at line i (it may wrap over 3 lines)."""
    j = i + 1
    while "»" not in lines[j - 1] and j < len(lines) and j - i < 3:
        j += 1
    return j


def numbered_families(lines: list[str]) -> set[str]:
    """Words that head numbered lines with at least two numbers, the first (1, I or A) among them."""
    numbers: dict[str, set[str]] = {}
    for line in lines:
        m = NUMBERED.match(line.strip())
        if m and m.group("rest"):
            numbers.setdefault(key(m.group("word")), set()).add(m.group("num"))
    return {word for word, nums in numbers.items() if len(nums) >= 2 and nums & _FIRST}


def pattern_headings(lines: list[str], named: set[str], prefixes: tuple[str, ...] = ()) -> list[Heading]:
    """Headings of a PDF whose headings look like body text: themes, lines equal to a `named`
    heading, numbered headings of a recurring family, and lines starting with one of `prefixes`
    followed by "**" or "→" (a guide's own unnumbered workshop label, "Atelier partenaire →")."""
    families = numbered_families(lines)
    out: list[Heading] = []
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        m = NUMBERED.match(text)
        if _THEME_START.match(text):
            end = _theme_span(lines, i)
            out.append(Heading(i, end, _joined(lines, i, end), theme=True))
        elif text in named:
            end = i + 1
            out.append(Heading(i, end, text))
        elif (m and m.group("rest") and key(m.group("word")) in families) or \
                any(re.match(rf"{re.escape(p)}\s*(?:\*\*|→)\s*\S", text) for p in prefixes):
            end = _heading_span(lines, i)
            out.append(Heading(i, end, _joined(lines, i, end)))
        else:
            end = i + 1
        i = end
    return out


# --------------------------------------------------------------------------- table of contents


def _entry_key(line: str) -> str:
    """A contents line's key, its page reference left out."""
    return key(_PAGE_REF.sub("", line))


def toc_end(lines: list[str], headings: list[Heading]) -> int:
    """Index after the table of contents (0 when there is none): the first run of at least two
    entries at most TOC_GAP lines apart, an entry being a line that restates a heading printed
    later (its key starts that heading's key, or the reverse) or ends with a page reference
    ("… 3", dot leaders); the wrapped lines of its last entry are included."""
    keys = [(h.start, key(h.text)) for h in headings]
    first = last = None
    restated = ""
    for i, line in enumerate(lines):
        if first is not None and i - last > TOC_GAP:
            break
        k = _entry_key(line)
        hit = next((hk for start, hk in keys if start > i and hk and (hk.startswith(k) or k.startswith(hk))), None) \
            if len(k) >= MIN_KEY else None
        if hit is not None or (_PAGE_REF.search(line) and len(k) >= MIN_KEY):
            first = i if first is None else first
            last, restated = i, hit or ""
    if first is None or last == first:
        return 0
    end, acc = last + 1, _entry_key(lines[last])
    while restated and end < len(lines) and end - last < MAX_TITLE_LINES and key(lines[end]) and \
            restated.startswith(acc + key(lines[end])):
        acc += key(lines[end])
        end += 1
    return end


def find_headings(lines: list[str], pages: list[int], outline: list[OutlineEntry],
                  styled: list[list[StyledLine]], named: set[str], prefixes: tuple[str, ...] = ()
                  ) -> tuple[str, list[Heading]]:
    """The document's headings from its best source: ("outline" | "fonts" | "patterns", headings).
    `lines`: the cleaned lines, `pages`: the 1-based page of each."""
    found = outline_headings(lines, pages, outline) if outline else []
    if len(found) >= 2:
        return "outline", found
    found = font_headings(lines, pages, styled)
    if found:
        return "fonts", found
    return "patterns", pattern_headings(lines, named, prefixes)
