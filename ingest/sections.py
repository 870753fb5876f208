"""Clean pages → sections of the guide, each with its label, title, place, theme and pages.

The guide's structure: a cover and table of contents (pages 1-2, not a section), then
headed parts ("Le mot du préfet de région", "Introduction", …), then round tables and
workshops ("Table-ronde I →", "Atelier n°1", …, "Atelier partenaire →") grouped under
« Je souhaite … » themes, and a closing contact page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Headings of the guide's non-workshop parts, as printed on a line of their own, with the
# label each section gets. The closing page's map title opens the "Contact" section.
NAMED_HEADINGS = {
    "Le mot du préfet de région": "Le mot du préfet de région",
    "Introduction": "Introduction",
    "Déroulé de la conférence régionale": "Déroulé de la conférence régionale",
    "Informations pratiques": "Informations pratiques",
    "Les ateliers et tables-rondes en région": "Contact",
}
# What each non-workshop part is for (records.Section.role); workshops are "programme".
ROLES = {
    "Le mot du préfet de région": "editorial",
    "Introduction": "editorial",
    "Déroulé de la conférence régionale": "practical",
    "Informations pratiques": "practical",
    "Contact": "practical",
}
# The table of contents ends where the first part after it begins.
TOC_END = "Le mot du préfet de région"

_WORKSHOP = re.compile(
    r"^(?P<label>Atelier\s+n°\s*(?P<num>\d+)|Table[-\s]?ronde\s+(?P<roman>[IVX]+)|Atelier\s+partenaire)"
    r"\s*(?:\*\*)?\s*(?:→)?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_THEME_START = re.compile(r"^«\s*Je souhaite", re.IGNORECASE)
_TITLE_END = re.compile(r"[)»?]\s*$")
_PLACE = re.compile(r"\(([^()]*)\)\s*$")
MAX_TITLE_LINES = 4


@dataclass
class Line:
    """One line of cleaned text with its 1-based page number."""

    page: int
    text: str


@dataclass
class RawSection:
    """A section before fact extraction: label, title, place, theme and its lines."""

    label: str
    kind: str
    title: str
    place: str
    theme: str
    lines: list[Line] = field(default_factory=list)

    @property
    def pages(self) -> list[int]:
        return sorted({ln.page for ln in self.lines})

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


def workshop_label(match: re.Match) -> tuple[str, str]:
    """Canonical label and kind: "Atelier n°2"/atelier, "Table-ronde IV"/table-ronde, …"""
    if match.group("num"):
        return f"Atelier n°{int(match.group('num'))}", "atelier"
    if match.group("roman"):
        return f"Table-ronde {match.group('roman').upper()}", "table-ronde"
    return "Atelier partenaire", "atelier-partenaire"


def _heading_span(lines: list[Line], i: int, first: str) -> tuple[str, int]:
    """The heading's full title text (it may wrap over lines) and the index after it."""
    parts, j = [first], i + 1
    while not _TITLE_END.search(parts[-1]) and j < len(lines) and len(parts) < MAX_TITLE_LINES:
        parts.append(lines[j].text.strip())
        j += 1
    if not _TITLE_END.search(parts[-1]):  # no closing mark: the title is the first line only
        return first, i + 1
    return " ".join(parts), j


def split_title(heading: str) -> tuple[str, str]:
    """("Les petits déjeuners … –", "(Tarbes, Hautes-Pyrénées)") → title, place."""
    m = _PLACE.search(heading)
    if not m:
        return heading.strip(), ""
    title = heading[: m.start()].rstrip(" –-").strip()
    return title, m.group(1).strip()


def _theme_span(lines: list[Line], i: int) -> tuple[str, int]:
    """A « Je souhaite … » theme (it may wrap) and the index after it."""
    parts, j = [lines[i].text.strip()], i + 1
    while "»" not in parts[-1] and j < len(lines) and len(parts) < 3:
        parts.append(lines[j].text.strip())
        j += 1
    return " ".join(parts).strip("« »"), j


def split_sections(lines: list[Line]) -> list[RawSection]:
    """Cut the document's lines into sections; the cover and table of contents are dropped."""
    start = next((k for k, ln in enumerate(lines) if ln.text.strip() == TOC_END), 0)
    sections: list[RawSection] = []
    theme, i = "", start
    while i < len(lines):
        text = lines[i].text.strip()
        if _THEME_START.match(text):
            theme, i = _theme_span(lines, i)
            continue
        if text in NAMED_HEADINGS:
            label = NAMED_HEADINGS[text]
            sections.append(RawSection(label, "other", label if label != "Contact" else text, "", "", [lines[i]]))
            i += 1
            continue
        m = _WORKSHOP.match(text)
        if m and m.group("rest"):
            label, kind = workshop_label(m)
            heading, j = _heading_span(lines, i, m.group("rest").strip())
            title, place = split_title(heading)
            sections.append(RawSection(label, kind, title, place, theme, lines[i:j]))
            i = j
            continue
        if sections:
            sections[-1].lines.append(lines[i])
        i += 1
    return sections
