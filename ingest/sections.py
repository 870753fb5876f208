"""Clean lines and their headings → sections of a guide, each with its label, title, place,
theme and pages.

A guide of this kind: a cover and table of contents (not a section), headed parts (the
prefect's word, an introduction…), then workshops and round tables ("Atelier n°1", "Table-ronde
I →", "Fiche 3 –", "Groupe de travail B", …) grouped under themes, and a closing contact page.
Where the headings are comes from ingest/structure.py (outline, font sizes or numbering); this
module names them: labels, kinds, titles, places, themes and roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from guide_assistant.ingest.pdf import OutlineEntry, StyledLine
from guide_assistant.ingest.structure import NUMBERED, Heading, find_headings, key, toc_end

# Headings of the Occitanie guide's non-workshop parts, as printed on a line of their own, with
# the label each section gets (found by name in a PDF whose headings look like body text). The
# closing page's map title opens the "Contact" section.
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
# The guide's own unnumbered workshop label, printed before "**" or "→" and its title.
PARTNER = "Atelier partenaire"
# Kind of a numbered section, by its word's key (structure.key); other words: "atelier".
KINDS = {"tableronde": "table-ronde"}

_PLACE = re.compile(r"\(([^()]*)\)\s*$")


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


def split_title(heading: str) -> tuple[str, str]:
    """("Les petits déjeuners … –", "(Tarbes, Hautes-Pyrénées)") → title, place."""
    m = _PLACE.search(heading)
    if not m:
        return heading.strip(), ""
    title = heading[: m.start()].rstrip(" –-").strip()
    return title, m.group(1).strip()


def describe(heading: str) -> tuple[str, str, str, str]:
    """A heading's label, kind, title and place.

    A named part keeps its label ("Introduction"; the closing map's title gives "Contact"), kind
    "other", title = the heading. A numbered heading is labelled by its word and number as
    printed ("Atelier n°2", "Table-ronde IV", "Fiche 3", "Groupe de travail B"), kind
    "table-ronde" for a round table, else "atelier"; its title and place follow. Any other
    heading is its own label, kind "other".
    """
    text = heading.strip()
    if text in NAMED_HEADINGS:
        return NAMED_HEADINGS[text], "other", text, ""
    if (m := re.match(rf"{re.escape(PARTNER)}\s*(?:\*\*|→)\s*(?P<rest>.*)$", text)):
        return PARTNER, "atelier-partenaire", *split_title(m.group("rest"))
    if (m := NUMBERED.match(text)):
        label = f"{m.group('word')} {'n°' if m.group('no') else ''}{m.group('num')}"
        title, place = split_title(m.group("rest")) if m.group("rest") else (label, "")
        return label, KINDS.get(key(m.group("word")), "atelier"), title, place
    return text, "other", text, ""


def role(label: str, index: int, kinds: list[str]) -> str:
    """What a section is for (records.Section.role): the named parts' role (ROLES); a workshop or
    round table is "programme"; another part is "editorial" before the first workshop, "practical"
    after the last, else "programme" (a guide whose workshops are not numbered)."""
    if label in ROLES:
        return ROLES[label]
    programme = [k for k, kind in enumerate(kinds) if kind != "other"]
    if kinds[index] != "other" or not programme or programme[0] < index < programme[-1]:
        return "programme"
    return "editorial" if index < programme[0] else "practical"


def _is_theme(headings: list[Heading], k: int) -> bool:
    """A theme: marked so by its source, or a heading with no body that a lower-level heading follows."""
    h = headings[k]
    nxt = headings[k + 1] if k + 1 < len(headings) else None
    return h.theme or (nxt is not None and nxt.start == h.end and nxt.level > h.level)


def split_sections(lines: list[Line], headings: list[Heading]) -> list[RawSection]:
    """Cut the document's lines into sections at `headings` (structure.find_headings). The front
    matter (lines up to the end of the table of contents) and any line before the first heading
    are dropped; a theme's lines open no section, and its text is the theme of the workshops after it."""
    texts = [ln.text for ln in lines]
    start = toc_end(texts, headings)
    headings = [h for h in headings if h.start >= start]
    sections: list[RawSection] = []
    theme = ""
    for k, h in enumerate(headings):
        if _is_theme(headings, k):
            theme = h.text.strip("« »")
            continue
        end = headings[k + 1].start if k + 1 < len(headings) else len(lines)
        label, kind, title, place = describe(h.text)
        sections.append(RawSection(label, kind, title, place, theme if kind != "other" else "", lines[h.start:end]))
    return sections


def document_sections(lines: list[Line], outline: list[OutlineEntry], styled: list[list[StyledLine]]
                      ) -> tuple[str, list[RawSection]]:
    """The sections of one document and the source of its headings ("outline", "fonts" or
    "patterns"; structure.find_headings)."""
    source, headings = find_headings([ln.text for ln in lines], [ln.page for ln in lines], outline, styled,
                                     set(NAMED_HEADINGS), (PARTNER,))
    return source, split_sections(lines, headings)
