"""The answer to a record question (a list or a count over the guide, see records_query.py):
how many, then every match on a line of its own with its section, page and the guide's
sentence, each line cited. The frame is in the question's language; the guide's values and
sentences are copied verbatim from the section records, figures dated with the edition.
"""

from __future__ import annotations

from collections import Counter

from guide_assistant.assistant.answer import dated_quote, pages_text, section_citations, sentence_pages, where
from guide_assistant.assistant.records_query import PART_KINDS, RecordMatch, RecordQuery
from guide_assistant.assistant.scope import Edition
from guide_assistant.records import Citation

# What is counted, singular and plural, in French and English; and "none of it".
NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "atelier": {"fr": ("atelier", "ateliers"), "en": ("workshop", "workshops")},
    "atelier-partenaire": {"fr": ("atelier partenaire", "ateliers partenaires"),
                           "en": ("partner workshop", "partner workshops")},
    "table-ronde": {"fr": ("table ronde", "tables rondes"), "en": ("round table", "round tables")},
    "phone": {"fr": ("numéro de téléphone", "numéros de téléphone"), "en": ("phone number", "phone numbers")},
    "email": {"fr": ("adresse e-mail", "adresses e-mail"), "en": ("e-mail address", "e-mail addresses")},
    "url": {"fr": ("adresse web", "adresses web"), "en": ("web address", "web addresses")},
    "contact": {"fr": ("contact", "contacts"), "en": ("contact", "contacts")},
    "amount": {"fr": ("montant en euros", "montants en euros"), "en": ("euro amount", "euro amounts")},
}
NONE = {
    "fr": {"atelier": "aucun atelier", "table-ronde": "aucune table ronde",
           "session": "aucun atelier ni aucune table ronde", "phone": "aucun numéro de téléphone",
           "email": "aucune adresse e-mail", "url": "aucune adresse web", "contact": "aucun contact",
           "amount": "aucun montant en euros"},
    "en": {"atelier": "no workshop", "table-ronde": "no round table", "session": "no workshop or round table",
           "phone": "no phone number", "email": "no e-mail address", "url": "no web address",
           "contact": "no contact", "amount": "no euro amount"},
}
WITH = {"fr": {"contact": "avec un contact", "phone": "avec un numéro de téléphone",
               "email": "avec une adresse e-mail", "url": "avec une adresse web"},
        "en": {"contact": "with a contact", "phone": "with a phone number", "email": "with an e-mail address",
               "url": "with a web address"}}
TEXTS = {
    "fr": {"head": "Le guide compte {counts}{filters} :", "none": "Le guide ne compte {none}{filters}.",
           "also": "Hors {parts}, le guide compte aussi {counts}{filters} :", "and": "et",
           "place": "lieu : {x}", "names": "mentionnant {x}", "amount": "montant : {x}", "except": "sauf : {x}",
           "in": "dans les {x}"},
    "en": {"head": "The guide has {counts}{filters}{quoted}:", "none": "The guide has {none}{filters}.",
           "also": "Besides {parts}, the guide also has {counts}{filters}{quoted}:", "and": "and",
           "place": "place: {x}", "names": "mentioning {x}", "amount": "amount: {x}", "except": "except: {x}",
           "in": "in the {x}", "quoted": " — quoted in French"},
}


def counted(matches: list[RecordMatch], query: RecordQuery, language: str) -> str:
    """"18 ateliers et 1 atelier partenaire", "4 phone numbers": how many of each thing listed."""
    if query.parts:
        counts = Counter(m.section.kind for m in matches)
        kinds = [k for k in dict.fromkeys(query.kinds + tuple(counts)) if counts[k]]
        parts = [f"{counts[k]} {NOUNS[k][language][counts[k] > 1]}" for k in kinds]
    else:
        n = sum(m.amounts for m in matches) if query.item == "amount" else len(matches)
        parts = [f"{n} {NOUNS[query.item][language][n > 1]}"]
    joined = ", ".join(parts[:-1])
    return f"{joined} {TEXTS[language]['and']} {parts[-1]}" if joined else parts[0]


def filters_text(query: RecordQuery, language: str) -> str:
    """The query's filters as the answer states them: " (lieu : Hérault ; mentionnant « CAF »)"."""
    t = TEXTS[language]
    names = ", ".join(f"« {n} »" for n in query.names)
    out = [t["place"].format(x=", ".join(query.places))] if query.places else []
    if query.contact:
        out.append(WITH[language][query.contact] + (f" {names}" if names else ""))
    elif names:
        out.append(t["names"].format(x=names))
    if query.bound:
        out.append(t["amount"].format(x=query.bound))
    if query.kinds and not query.parts:
        out.append(t["in"].format(x=NOUNS[query.kinds[0]][language][1]))
    if query.except_text:
        out.append(t["except"].format(x=query.except_text))
    return f" ({' ; '.join(out) if language == 'fr' else '; '.join(out)})" if out else ""


def line(match: RecordMatch, parts: bool, edition: Edition | None, language: str) -> str:
    """"- Atelier n°3 « … » (Sète, Hérault), p. 7-8 : « quote »" for a part; "- 05 49 37 56 30 —
    Atelier n°1 « … », p. 6 : « quote »" for a detail."""
    s = match.section
    quote = f" : {dated_quote(match.quote, edition, language)}" if match.quote else ""
    if parts:
        return f"- {where(s)}{quote}"
    title = "" if s.title == s.label else f" « {s.title} »"
    value = f"{match.value} — " if match.value else ""
    return f"- {value}{s.label}{title}, {pages_text(sentence_pages(s, match.quote))}{quote}"


def render_records(query: RecordQuery, matches: list[RecordMatch], others: list[RecordMatch], language: str,
                   edition: Edition | None = None) -> tuple[str, list[Citation]]:
    """How many, then a line per match, each cited; then the other programme parts meeting the
    same filters (`others`: "no workshop is held in the Gers, but Table-ronde IV is")."""
    t, filters = TEXTS[language], filters_text(query, language)
    quoted = t.get("quoted", "") if any(m.quote for m in matches + others) else ""
    blocks = []
    if matches:
        blocks.append("\n".join([t["head"].format(counts=counted(matches, query, language), filters=filters,
                                                  quoted=quoted)]
                                + [line(m, query.parts, edition, language) for m in matches]))
    else:
        blocks.append(t["none"].format(none=NONE[language][query.item], filters=filters))
    if others:
        parts = NOUNS[query.kinds[0]][language][1]
        also = RecordQuery(item="session", kinds=PART_KINDS["session"])
        blocks.append("\n".join([t["also"].format(parts=parts, counts=counted(others, also, language),
                                                  filters=filters, quoted=quoted)]
                                + [line(m, True, edition, language) for m in others]))
    # a line's citation: its sentence on that sentence's pages, or the section's heading
    return "\n\n".join(blocks), [c for m in matches + others
                                  for c in section_citations(m.section, [m.quote] if m.quote else [])]
