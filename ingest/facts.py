"""Facts copied exactly from a section's text: sentences, speakers, contacts, funding amounts.

Phone numbers, e-mails, URLs and amounts are returned verbatim (as the guide prints them);
nothing here rewrites a figure.
"""

from __future__ import annotations

import re

from guide_assistant.details import printed
from guide_assistant.records import Contact, Funding, Speaker

_ROLE_HEADER = re.compile(r"^(Animat(?:eur|rice)s?|Intervenant(?:e)?s?|Participant(?:e)?s?)\s*:\s*$", re.I)
_END_SPEAKERS = re.compile(r"^(Pour (?:aller plus loin|en savoir plus))\s*:?", re.I)
_NAME_LINE = re.compile(
    r"^(?P<name>[A-ZÀ-Ý][\w'’-]+(?:\s+(?:de\s+|d['’])?[A-ZÀ-Ý][\w'’.-]+){1,3})\s*(?:,|–|-|;)\s*(?P<role>.*)$"
)
_CONTACT_WORDS = re.compile(r"\b(contact(?:ez|er)?|appelez)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?:;»)]$")
# Items of the "Pour aller plus loin" lists start with these words and have no final stop.
_LIST_ITEM = re.compile(r"^(Site |Contact|Tel\b|Numéro|Carte |https?://|Pour (?:aller plus loin|en savoir plus))")
# A line starting with a time ("14h55 → Fin …") or a bullet is an item of its own (schedules, lists).
_ITEM_START = re.compile(r"^(\d{1,2}\s?h\s?\d{0,2}\b|[-•→▪◦]\s)")
# A person's name alone on its line (« Eric Pélisson »), and a line opening with a French role noun, as
# contact blocks print them one under the other.
_PERSON = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ'’-]+(?:[ -][A-ZÀ-Ý][\wÀ-ÿ'’-]+){1,2}$")
_ROLE_START = re.compile(r"^(?:Commissaire|Directeur|Directrice|Pr[ée]f[eè]t|Pr[ée]f[eè]te|Sous-pr[ée]f[eè]te?|Maire|"
                         r"Adjointe?|Pr[ée]sidente?|Vice-pr[ée]sidente?|Charg[ée]e?|Responsable|Conseill[eè]re?|"
                         r"Cheffe?|D[ée]l[ée]gu[ée]e?|Secr[ée]taire|Coordinat(?:eur|rice)|Animat(?:eur|rice))\b")
WRAP_SHARE = 0.8  # a line at least this share of the text width was wrapped, not ended
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«\"])")
_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.?\s+\S")
VALUE_MAX_CHARS = 40  # a line this short after an announcing ":" is its value (a phone, a date, a name)
LABEL_MAX_CHARS = 60  # a line ending with ":" up to this long is a label ("Contact :", "Intervenants :")
HEADING_MAX_CHARS = 90  # a numbered line longer than this is a numbered sentence, not a heading
TITLE_MAX_WORDS = 12  # a title line without a stop is this short


def text_width(lines: list[str]) -> int:
    """Typical full line length of a text, in characters (90th percentile of line lengths;
    the maximum is skewed by long URLs)."""
    lengths = sorted(len(ln) for ln in lines)
    return lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0


def is_wrapped(line: str, width: int) -> bool:
    """True when the line is about as long as the text width, so its break is a wrap."""
    return len(line) >= WRAP_SHARE * width


def sentences(text: str) -> list[str]:
    """The section's sentences, lines unwrapped.

    A line break is a sentence boundary when the line ends with . ! ? : ; » ), when the next
    line starts a "Pour aller plus loin" list item (they have no final stop), a time or a bullet
    (schedule lines: "14h55 → Fin de la première session"), or when the line
    is clearly shorter than the text width and the next line starts with a capital. Blocks are
    then split after . ! ? followed by a capital.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    width = text_width(lines)
    blocks: list[str] = []
    current = ""
    for k, line in enumerate(lines):
        current = f"{current} {line}".strip()
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        ended = _SENTENCE_END.search(line) or _LIST_ITEM.match(nxt) or _ITEM_START.match(nxt)
        if not nxt or ended or (not is_wrapped(line, width) and nxt[:1].isupper()):
            blocks.append(current)
            current = ""
    return [s.strip() for block in blocks for s in _SENTENCE_SPLIT.split(block) if s.strip()]


def is_heading(sentence: str) -> bool:
    """A heading rather than a sentence: numbered ("1.4 Engagements du bénéficiaire"), or a
    short title line with no stop, digit or punctuation inside ("Modalités d'inscription et
    réception du lien de la visioconférence", "Liberté Égalité Fraternité"). Quoting it would push
    out the sentence it announces."""
    s = sentence.strip()
    if s.endswith((".", "!", "?", "»", ":", ";", ")")) or len(s) > HEADING_MAX_CHARS:
        return False
    if _NUMBERED.match(s):
        return True
    return len(s.split()) <= TITLE_MAX_WORDS and not re.search(r"[\d,:;→()«»/@]", s) and s[:1].isupper()


def quotable(text: str, skip_heading: bool = True) -> list[str]:
    """Sentences of a section worth quoting: longer than 25 characters, not a bare "Label :"
    line (a sentence announcing a value with ":" is kept: « un numéro vert sera à votre
    disposition à compter du mercredi 07 juillet à 9h … : »), not a numbered heading, and (with
    skip_heading) not the section's heading line."""
    heading_line = text.split("\n", 1)[0][:30] if skip_heading else "\0"
    return [s for s in announced(sentences(text)) if len(s) > 25
            and not (s.endswith(":") and len(s) <= LABEL_MAX_CHARS)
            and not s.startswith(heading_line) and not is_heading(s)]


def announced(sents: list[str]) -> list[str]:
    """Sentences with the value a sentence announces by ":" joined to it, when that value is a
    short line of its own (« … pas d'image, pas de son...) : » + « 05 34 45 36 39 »), so that the
    quote carries the number it announces; and a person's name on a line of its own joined to
    the role that follows it (« Eric Pélisson » + « Commissaire à la prévention… »), so that the
    quote says who holds the role."""
    out: list[str] = []
    for s in sents:
        if out and out[-1].endswith(":") and len(out[-1]) > LABEL_MAX_CHARS and len(s) <= VALUE_MAX_CHARS:
            out[-1] = f"{out[-1]} {s}"
        elif out and _PERSON.match(out[-1]) and _ROLE_START.match(s):
            out[-1] = f"{out[-1]}, {s}"
        else:
            out.append(s)
    return out


def speakers(text: str) -> list[Speaker]:
    """People listed after "Animateur(s) :", "Intervenant(s) :", "Participants :"."""
    found: list[Speaker] = []
    active = False
    for raw in text.splitlines():
        line = raw.strip()
        if _ROLE_HEADER.match(line):
            active = True
            continue
        if not active or not line:
            continue
        if _END_SPEAKERS.match(line):
            active = False
            continue
        m = _NAME_LINE.match(line)
        if m:
            found.append(Speaker(name=m.group("name"), role=m.group("role").strip(" ;")))
        elif found:  # a wrapped role line
            last = found[-1]
            found[-1] = Speaker(name=last.name, role=f"{last.role} {line}".strip(" ;"))
    return found


def contacts(sentence_list: list[str]) -> list[Contact]:
    """Phones, e-mails, URLs (verbatim) and the guide's "contact …" sentences, deduplicated."""
    out: list[Contact] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, value: str, context: str) -> None:
        if (kind, value) not in seen:
            seen.add((kind, value))
            out.append(Contact(kind=kind, value=value, context=context))

    for s in sentence_list:
        for kind in ("phone", "email", "url"):
            for value in printed(s, kind):
                add(kind, value, s)
        if _CONTACT_WORDS.search(s):
            add("organisation", s, s)
    return out


def funding(sentence_list: list[str]) -> list[Funding]:
    """Sentences stating an amount in euros, with the amounts as printed."""
    return [Funding(sentence=s, amounts=amounts) for s in sentence_list if (amounts := printed(s, "amount"))]
