"""Questions answered from the section records rather than from similarity alone: several
questions in one message, sections excluded by the question ("en dehors des Hautes-Pyrénées"),
and sections listed by place ("quels ateliers se tiennent dans l'Aude ?").

The cues are French and English grammar (question words, "except", "other than"); the places
come from the sections' own records and France's list of places (geography.py).
"""

from __future__ import annotations

import re
from dataclasses import replace

from guide_assistant.assistant.answer import LIST_WORDS
from guide_assistant.assistant.conversation import REFERS_BACK
from guide_assistant.assistant.geography import places_in
from guide_assistant.assistant.lexical import LexicalRetriever, fold
from guide_assistant.assistant.retrieval import SectionHit, named_labels
from guide_assistant.assistant.scope import name_pattern, written_names
from guide_assistant.records import Section

_QUESTION_WORD = (r"(?:quel(?:le)?s?|qui|combien|comment|o[uù]|quand|pourquoi|est-ce|y a-t-il|"
                  r"\w+-t-(?:il|elle|on)|\w+-(?:je|on|ils|elles|vous)|what|who|how|where|when|"
                  r"which|why|is|are|can|could|do|does)")  # French inverted verbs: "y a-t-il", "peut-on", "dois-je"
_PREPOSITION = r"(?:with|in|to|for|from|at|by|on|avec|dans|pour|à|a|de|en|par|sur|chez|depuis|jusqu'à)\s+"
# "…, et quel est le numéro vert …" / "… and who runs …": a second question joined by "et"/"and";
# or by a preposition and a question word when a clause follows ("… and with how many
# départements did the State sign agreements?"), not a bare complement ("… et à quel numéro ?")
_JOINED = re.compile(rf"(?:,\s*|\s+)(?:et|and|puis|also)\s+(?={_QUESTION_WORD}\b|{_PREPOSITION}{_QUESTION_WORD}\b(?:\s+\S+){{4}})",
                     re.I)
_OPENS_PREPOSITION = re.compile(_PREPOSITION, re.I)
_EXCLUDE = re.compile(
    r"\b(?:en dehors d(?:e la|e l'|es|u|e)|hors|sauf|hormis|à part|a part|autres? que|except(?:é|e)?|"
    r"exception faite d[eu']|apart from|other than|outside(?: of)?|besides|excluding|except for|not in)\s+"
    r"(?P<what>[^,?;.]+)", re.I)
_STARTS_QUESTION = re.compile(rf"\s*(?:(?:et|and|puis|also)\s+)?(?:{_PREPOSITION})?{_QUESTION_WORD}\b", re.I)
MIN_PART_WORDS = 3
MENTION_RATIO = 0.5  # on a list question, sections whose words match at least this share of the best one's


def split_questions(question: str) -> list[str]:
    """The questions of one message: split after "?" and before "et/and + question word"; a
    part shorter than MIN_PART_WORDS stays with its neighbour, and so does a statement after the
    last question ("… leur budget ? Je donne environ 50 € par mois."): it is that question's
    context, not a question. One question gives [question]."""
    parts = [p.strip() for p in re.split(r"(?<=\?)\s+", question) if p.strip()]
    if len(parts) > 1 and not parts[-1].endswith("?") and not _STARTS_QUESTION.match(parts[-1]):
        parts[-2:] = [f"{parts[-2]} {parts[-1]}"]
    parts = [x.strip(" ,") for p in parts for x in joined_parts(p)]
    merged: list[str] = []
    for p in parts:
        if merged and (len(p.split()) < MIN_PART_WORDS or len(merged[-1].split()) < MIN_PART_WORDS):
            merged[-1] = f"{merged[-1]} {p}"
        else:
            merged.append(p)
    return merged or [question]


def joined_parts(text: str) -> list[str]:
    """`text` cut before each "et/and + question word" (`_JOINED`); a part opened by a preposition
    that refers back ("… which green number do I call and from what time is it staffed?") stays
    whole: its subject is in the other part."""
    cuts = [m for m in _JOINED.finditer(text)
            if not (_OPENS_PREPOSITION.match(text, m.end()) and REFERS_BACK.search(text, m.end()))]
    bounds = [0] + [x for m in cuts for x in (m.start(), m.end())] + [len(text)]
    return [text[a:b] for a, b in zip(bounds[::2], bounds[1::2])]


class RecordFilter:
    """Narrows a retrieved ranking with the section records (places, labels) and, on a list
    question, with the sections the question's words are found in (`lexical`)."""

    def __init__(self, sections: list[Section], lexical: LexicalRetriever):
        self.sections = {s.label: s for s in sections}
        self.lexical = lexical
        self.places = {s.label: {name for name, _ in places_in(s.place)} for s in sections if s.place}
        self.folded = {s.label: fold(s.text) for s in sections if s.kind != "linked-page"}

    def excluded(self, question: str) -> set[str]:
        """Labels the question excludes: named after "except", "en dehors de"…, by label or place."""
        out: set[str] = set()
        for m in _EXCLUDE.finditer(question):
            what = m.group("what")
            out |= set(named_labels(what, set(self.sections)))
            names = {name for name, _ in places_in(what)}
            out |= {label for label, places in self.places.items() if places & names}
        return out

    def placed(self, question: str, excluded: set[str]) -> list[str]:
        """Labels of every section held in a place the question names (outside an exclusion)."""
        names = {name for name, _ in places_in(question)}
        return [label for label, places in self.places.items() if places & names and label not in excluded]

    def printing(self, question: str, excluded: set[str]) -> list[str]:
        """Labels of every section of the guide printing each name the question writes as a name
        (an acronym, a quoted name), outside an exclusion, and the guide prints: "Which sessions involve a UDAF?" is
        answered from the text, exhaustively. Case, accents, punctuation between words and a
        number glued to the name ("Caf32") are ignored. [] when the question writes no such name."""
        found: list[set[str]] = []
        for name in written_names(_EXCLUDE.sub(" ", question)):
            pattern = name_pattern(name, numbered=True)
            labels = {label for label, text in self.folded.items() if pattern.search(text)} - excluded
            if labels:
                found.append(labels)
        labels = set.intersection(*found) if found else set()
        return [label for label in self.sections if label in labels]

    def narrow(self, question: str, hits: list[SectionHit], english: bool = False) -> list[SectionHit]:
        """`hits` without the excluded sections. On a list question: exactly the sections held
        in the places it names (the records are exhaustive where similarity is not), or printing
        the names it writes (`printing`), else every
        section that mentions its words about as much as the best one (by the BM25 score of the
        question's own words, and in English the guide's words for them), retrieval's order kept."""
        excluded = self.excluded(question)
        kept = [h for h in hits if h.label not in excluded]
        if not kept or not LIST_WORDS.search(question):
            return kept or hits
        listed = self.placed(question, excluded) or self.printing(question, excluded)
        mentions = [] if listed else self.lexical.section_scores(question, expand=english)
        if mentions:
            best = mentions[0][1]
            listed = [label for label, score in mentions if score >= MENTION_RATIO * best and label not in excluded]
            listed = [h.label for h in kept if h.label in listed] + [x for x in listed if x not in
                                                                      {h.label for h in kept}]
        if not listed:
            return kept
        top = kept[0]
        by_label = {h.label: h for h in kept}
        return [replace(by_label.get(label) or replace(top, label=label, chunks=[]), score=top.score)
                for label in listed]
