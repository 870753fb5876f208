"""Extractive answers: a short lead with the key facts of the best section(s), the guide's
sentences quoted verbatim, and the section's contact card rendered from its record.

Nothing here writes a figure: amounts, phone numbers, e-mails and URLs are copied from the
section records. The `Answerer` protocol is what a generative mode plugs into.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from guide_assistant.assistant import conditions
from guide_assistant.details import (AMOUNT, EMAIL, PHONE, TIME, WEB_URL, Detail, extract_details, phone_value,
                                     printed)
from guide_assistant.assistant.lexical import NAME, Translate, tokenize
from guide_assistant.assistant.retrieval import SectionHit
from guide_assistant.assistant.scope import Edition
from guide_assistant.index.embedders import BundledEmbedding
from guide_assistant.ingest import facts
from guide_assistant.ingest.chunking import chunk_pages, page_offsets
from guide_assistant.records import Citation, Section, Turn

MONEY_WORDS = re.compile(r"financ|fund|\bco[uû]t|cost|combien|how much|montant|amount|€|euro|subvention|grant|"
                         r"aide|prix|price|tarif|pay|paie|budget|money|argent", re.I)
CONTACT_WORDS = re.compile(r"contact|appeler|call|phone|t[ée]l[ée]phone|num[ée]ro|qui |who|e-?mail|joindre|"
                           r"adresse|reach|s'adresser|interlocut", re.I)
# A question asking who (a person, a speaker), not whom to contact ("qui contacter", "who do I call"),
# who pays or who can benefit: French and English grammar. The question word opens the question or
# a clause ("…, et qui l'anime ?", "tell me who runs it", "c'est qui"); after a noun it is a
# relative pronoun ("les familles qui ont des dettes", "people who have been out of work").
WHO_WORDS = re.compile(r"(?:^|[,;:?!.(]\s*|\b(?:et|and|mais|but|so|alors|savoir|know|tell me|dites-moi|dis-moi|c'est|"
                       r"est-ce|is it|was it|of|de|par|by|with|avec|pour|for)\s+)(qui|who|whom)\b(?! ?(dois|doit|faut|peut|peuvent|contacter|appeler|joindre|financ|paie|paye|should|do i|can|"
                       r"to (call|contact)|funds?|pays?))"
                       r"(?<!\b[àa] qui)|intervenant|animat|speaker", re.I)
# Who carries a project, as French writes it ("porté par le Grand Cahors", "animé par la CAF").
CARRIED_BY = re.compile(r"\b(?:port|anim|pilot|g[ée]r|organis|men|cr[ée])[ée]e?s? par\b", re.I)
# A person's name as the guide prints it: "Eric PÉLISSON", "Étienne Guyot" after a title, or a first
# name and surname opening a sentence before the role ("Eric Pélisson, Commissaire à …").
PERSON = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)? [A-ZÀ-Ý]{2,}(?:-[A-ZÀ-Ý]{2,})?\b|"
                    r"\b(?:Monsieur|Madame|M\.|Mme) (?:[A-ZÀ-Ý][\wà-ÿ-]+ ?){1,3}|"
                    r"^(?!(?:Les?|La|L|Une?|Des|Du|De|En|Au|Aux|Dans|Pour|Sur|The|An?|In|On)\b)"
                    r"[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)? [A-ZÀ-Ý][\wà-ÿ'’-]+(?: [A-ZÀ-Ý][\wà-ÿ'’-]+)?(?=, )")
# A question asking for a list of sections ("quels ateliers…", "which workshops…", "all the…"):
# French and English grammar of a plural question about the guide's parts.
# The plural noun follows the question word within two words ("quels ateliers", "which of the
# workshops", "tous les ateliers"), so "what time does the second round of workshops end" is not one;
# "where does the guide mention X" asks for every section mentioning X.
_PART_NOUNS = r"ateliers|tables?[- ]rondes|workshops|round[- ]tables|sessions|sections"  # the guide's parts
LIST_WORDS = re.compile(r"\b(quel(le)?s|lesquel(le)?s|which|what|tous|toutes|all|list\w*)"
                        rf"(?:\s+[\w'-]+){{0,2}}?\s*\b({_PART_NOUNS}|"
                        r"dispositifs|programmes|schemes|initiatives|actions|solutions|passages|parties|parts)\b|"
                        # a count of the guide's parts ("combien d'ateliers"), not of what a part holds ("how many actions")
                        rf"\b(combien d'?|how many)(?:\s+[\w'-]+){{0,2}}?\s*\b({_PART_NOUNS})\b|"
                        # "où (d'autre) le guide parle-t-il de…", "where (else) does the guide mention…"
                        r"\b(o[uù]|where)\b(?: else| d'autre| ailleurs)?.{0,20}\b(le guide|the guide)\b.{0,12}?"
                        r"\b(parle|mentionne|[ée]voque|cite|traite|mention|talk|discuss|refer|cover)", re.I)
# A yes/no question (French and English grammar): it opens with "est-ce que", an inverted verb
# ("Les PAEJ sont-ils…", "Y a-t-il…") or an English auxiliary, and asks no question word.
YES_NO = re.compile(r"^(?!.*\b(?:qui|quoi|quel(?:le)?s?|comment|combien|o[uù]|quand|pourquoi|what|who|whom|how|"
                    r"where|when|why|which)\b)(?:.*\best-ce qu|.*\b\w+-(?:t-)?(?:il|elle|on|ils|elles|je|nous|vous)\b|"
                    r"\s*(?:is|are|does|do|did|can|could|will|would|should|has|have|was|were)\b)", re.I)
# What a question asks for, by its question words (French and English grammar), and the detail
# that answers it. Checked in order: "how many" before "number", "what time" before "helpline",
# "phone number" before "when".
ASKS: list[tuple[str, re.Pattern]] = [
    # "combien de PAEJ", "combien d'élus", "combien y a-t-il de points…" (not "combien de temps",
    # nor "combien coûte un repas de…")
    # "the phone number of the agency" asks for a phone, not a count
    ("count", re.compile(r"\b(how many|(?<!phone )(?<!telephone )(?<!contact )(?<!fax )number of|nombre de|combien (?:y )?(?:\w+-t-(?:il|elle|on|ils|elles) )?d(?:e |')(?!temps)\w+(?! co[uû]t))",
                         re.I)),
    ("time", re.compile(r"\b(([àa] )?quelle heure|what time|horaires?|when (does|do|will|is)\b.{0,40}\b(start|end|finish|begin|close)"
                        r"|quand (commence|d[ée]bute|se termine|finit|ferme))", re.I)),
    ("phone", re.compile(r"\b(num[ée]ro|t[ée]l[ée]phone|t[ée]l\b|appeler|phone|call|hotline|helpline|freephone|"
                         r"contacter\b|joindre\b|contact\b)", re.I)),
    ("email", re.compile(r"\b(e-?mail|courriel|mail)\b", re.I)),
    ("url", re.compile(r"\b(site|lien|link|website|url|plateforme|platform)\b", re.I)),
    ("date", re.compile(r"\b(quand|quelle date|jusqu'[àa] quand|when|what date|deadline|date limite)\b", re.I)),
    ("share", re.compile(r"\b(quelle part|quel pourcentage|quelle proportion|what share|what percentage|"
                         r"what proportion|how much of)\b", re.I)),
    ("amount", re.compile(r"(\bcombien\b|how much|montant|amount|\bprix\b|price|\bco[uû]te?\b|cost|\btarifs?\b|€|euros?\b)", re.I)),
    # whether a case meets a scheme's conditions ("Is my town of 15 000 people eligible?")
    ("condition", re.compile(r"\b([ée]ligib\w*|eligib\w*|(?:ai|a|avons|avez|ont)-(?:je|t-il|t-elle|t-on|nous|vous|ils|elles) droit|"
                             r"avoir droit|qualif(?:y|ies|ied)|conditions?|crit[èe]res?|criteria|entitled|concern[ée]e?s?|"
                             r"s'applique|appl(?:y|ies) to|"
                             r"b[ée]n[ée]ficier|can (?:my|our) (?:\w+ ){1,2}(?:get|apply|benefit|receive)|"
                             r"can (?:we|i|he|she|they) (?:apply|benefit|receive))\b", re.I)),
    ("person", WHO_WORDS),
]
_NUMBER = re.compile(r"\d")
_NUMBER_RUN = re.compile(r"\d+(?:[  .,]\d+)*")
# Numbers that do not count things: years ("créée en 2011"), and durations, ages and percentages,
# alone or as a range ("pendant 3 ans", "de 12 à 25 ans", "80 %"): French and English units.
_NOT_COUNT = re.compile(r"(?<![\d.,])(?<!\d[  ])(?:19|20)\d{2}(?![\d])|\d+(?:,\d+)?(?:\s?(?:à|a|-|to)\s?\d+)?\s?"
                        r"(?:%|ans?\b|années?\b|mois\b|jours?\b|semaines?\b|heures?\b|minutes?\b|"
                        r"years?\b|months?\b|days?\b|weeks?\b|hours?\b)", re.I)
# A count in words, as French writes an approximate one ("une soixantaine d'UDCCAS").
_ROUGH_COUNT = re.compile(r"\b(?:une? )?(?:dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|cinquantaine|"
                          r"soixantaine|centaine|milliers?|millions?|deux tiers|moitié)\b", re.I)
# A question asking for an approximate count (French and English).
_ROUGHLY = re.compile(r"\b(?:roughly|approximately|approx\.?|around|environ|[àa] peu pr[èe]s|grosso modo|"
                      r"en gros|ballpark)\b", re.I)
# Negation in French and English ("ne … pas", "sans", "aucun", "no", "not", "without"): a count
# of what has not happened is answered by a sentence that also denies.
NEGATION = re.compile(r"\b(?:n'|ne\s)(?:\S+\s){1,3}?(?:pas|plus|jamais|aucun\w*|gu[èe]re)\b|\b(?:sans|aucun\w*|no|not|"
                      r"without|none|never)\b|n't\b", re.I)
# What a count question counts: the words after "how many", "combien de" ("combien de PAEJ",
# "how many pilgrims"); a sentence giving a number of it leads ("il existe 20 PAEJ").
_COUNTED = re.compile(r"\b(?:how many|number of|nombre d(?:e |')|combien d(?:e |'))\s*((?:[\w'-]+\s*){1,3})", re.I)
# What an amount is paid per, as the guide prints it ("3 € par repas servi", "15 000€ par
# structure") and as a question asks it ("per canteen meal", "par enfant", "for each breakfast").
_PER_SENTENCE = re.compile(r"(?:€|euros?)\s+(?:[\w'-]+\s+)?par\s+([\w'-]+)", re.I)
_PER_QUESTION = re.compile(r"\b(?:par|per|pour chaque|for each|for every|chaque|each)\s+((?:[\w'-]+\s*){1,3})", re.I)
COUNTED_SPAN = 4  # a counted word may follow the number by this many words ("4 000 jeunes", "20 points conseil")
_FIGURE = re.compile(r"(?<![\w,.])\d{1,3}(?:[  .]\d{3})+(?![\d])|(?<![\w,.])\d+(?:,\d+)?(?:\s?%)?(?![\d])")
MAX_MONEY_LINES = 2
# The asked details whose absence from the answering section the answer states (French and
# English wording): a contact is given by the contact card, a person by the speakers card.
ABSENT_KINDS = {"count": ("Ce nombre", "This number"), "amount": ("Ce montant", "This amount"),
                "date": ("Cette date", "This date"), "time": ("Cet horaire", "This time"),
                "share": ("Cette part", "This share")}
RUNNER_UP_WORDS = 2  # a runner-up section's sentence answers the asked detail when it shares this many question words
LEAD_POOL = 8  # the asked fact's sentence is looked for among this many best sentences
LIST_RATIO = 0.6  # on a list question, sections whose fused score is this close to the first's are listed
MAX_LIST = 8
MAX_SECTIONS = 3
SECOND_SECTION_RATIO = 0.95  # a second section is used when its fused score is this close to the first's (eval: same recall, better precision than 0.9)
SECOND_SECTION_DENSE_GAP = 0.02  # … and its cosine at most this far below the first's


def asked(question: str) -> str | None:
    """What the question asks for: "count", "time", "phone", "email", "url", "date", "share" (a
    percentage), "amount", "condition" (eligibility), "person", or None (an open question). An amount the question states
    ("Is my town eligible for the 1 euro canteen?") names a scheme: it does not ask for one."""
    unstated = question
    for amount in stated_amounts(question):
        unstated = unstated.replace(amount.text, " ")
    return next((kind for kind, pattern in ASKS if pattern.search(unstated)), None)


def stated_amounts(text: str) -> list[Detail]:
    """The euro amounts `text` states, read as details.extract_details reads them ("€1.30" is
    "1,30 €")."""
    return [d for d in extract_details(text) if d.kind == "amount"]


def claimed_amounts(question: str) -> list[Detail]:
    """The amounts a question states as a claim ("the State pays €1.30"), not those that name a
    scheme: "la cantine à 1 €", "the 1 euro canteen" (French "à", or an English article before it)."""
    return [d for d in stated_amounts(question)
            if not re.search(r"(?:\b[àa]|\bthe|\bla|\ble)\s*$", question[: question.find(d.text)], re.I)]


def without_details(text: str, durations: bool = True) -> str:
    """`text` with its phone numbers, URLs, amounts and times blanked (and, with `durations`,
    its years, durations, ages and percentages): what is left of its numbers may count things."""
    for pattern in (PHONE, WEB_URL, AMOUNT, TIME) + ((_NOT_COUNT,) if durations else ()):
        text = pattern.sub(" ", text)
    for date in (d.text for d in extract_details(text, dates=True) if d.kind == "date"):
        text = text.replace(date, " ")  # "lundi 28 juin" counts nothing
    return text


def count_numbers(text: str) -> list[str]:
    """The numbers of `text` that may count things, as written ("20", "95 000"): not a phone
    number, URL, amount, time, year, duration, age or percentage."""
    return _NUMBER_RUN.findall(without_details(text))


def has_figure(sentence: str) -> bool:
    """The sentence states an amount, a date, a time or another number (a phone number aside)."""
    return bool(AMOUNT.search(sentence) or TIME.search(sentence)
                or _NUMBER.search(PHONE.sub("", WEB_URL.sub("", sentence))))


class SourceRefusal(Exception):
    """The answerer found no answer in its sources, or nothing of its answer could be verified."""


@dataclass(frozen=True)
class Reply:
    """An answer's final text and its citations (the last item `Answerer.respond` yields)."""

    text: str
    citations: list[Citation]


class Answerer(Protocol):
    """Turns retrieved sections into an answer text and its citations. The service uses only
    what is declared here, whichever answerer it holds (extractive or generative)."""

    mode: str
    splits_parts: bool  # the service answers each question of a message apart (False: the answerer reads it whole)

    def condense(self, question: str, history: list[Turn], language: str) -> str | None:
        """A follow-up rewritten to stand alone; None keeps the conversation's own reading."""

    def warm(self, sections: list[Section], progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Save what later answers reuse (the model's prefix states); {} when there is nothing."""

    def respond(self, question: str, standalone: str, language: str, hits: list[SectionHit],
                sections: dict[str, Section], trace: dict) -> Iterator[str | Reply]:
        """Draft text as it comes (unchecked, for display), then the checked `Reply`. `question`
        is the user's words, `standalone` the follow-up read with its conversation; what the
        answerer did goes into `trace`. Raises SourceRefusal when nothing verifiable is left."""

    def answer(self, question: str, language: str, hits: list[SectionHit],
               sections: dict[str, Section]) -> tuple[str, list[Citation]]: ...


def pages_text(pages: list[int]) -> str:
    return f"p. {pages[0]}" if len(pages) == 1 else f"p. {pages[0]}-{pages[-1]}"


def sentence_pages(section: Section, sentence: str) -> list[int]:
    """Pages a quoted sentence lies on (located in the section text, lines unwrapped)."""
    start = section.text.replace("\n", " ").find(sentence[:30])
    if start < 0:
        return section.pages
    return chunk_pages(page_offsets(section), start, start + len(sentence))


class ExtractiveAnswerer:
    """Grounded extractive answers (mode "extractive"); quotes are ranked by cosine similarity to
    the question (the index's embedder) plus word overlap, with a boost for amounts on money
    questions and for contacts on contact questions. When the question asks for a detail (how
    many, how much, when, which phone…), the best sentence carrying that kind of detail leads.
    Every quoted figure is marked with the guide's edition ("guide de juillet 2021")."""

    mode = "extractive"

    def __init__(self, embedder: BundledEmbedding, sentence_vectors: dict[str, tuple[list[str], np.ndarray]],
                 max_quotes: int = 3, edition: Edition | None = None, translate: Translate | None = None):
        """sentence_vectors: section label → (quotable sentences, their (n, dim) embeddings),
        as persisted with the index. edition: the guide's date (None: figures are not dated).
        translate: the index's WordMap.translate (a question's words → the guide's words), read
        to match what an amount is paid per ("per meal" → "par repas")."""
        self.embedder = embedder
        self.max_quotes = max_quotes
        self.sentence_vectors = sentence_vectors
        self.edition = edition
        self.translate = translate

    splits_parts = True

    def condense(self, question: str, history: list[Turn], language: str) -> None:
        """No rewrite: the conversation's own reading of a follow-up chooses the sections."""
        return None

    def warm(self, sections: list[Section], progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Nothing to save: the quotes are ranked with the index's sentence embeddings."""
        return {}

    def respond(self, question: str, standalone: str, language: str, hits: list[SectionHit],
                sections: dict[str, Section], trace: dict) -> Iterator[Reply]:
        """The whole answer at once (see `Answerer.respond`): the thread chose the sections, the
        user's own words (`question`, not `standalone`) choose what to quote from them."""
        yield Reply(*self.answer(question, language, hits, sections))

    def ranked_sentences(self, question: str, section: Section, qvec: np.ndarray) -> list[str]:
        """Every quotable sentence of `section`, best match for `question` first."""
        sents, vecs = self.sentence_vectors.get(section.label, ([], None))
        if not sents:
            return []
        qtok = set(tokenize(question))
        money, contact = bool(MONEY_WORDS.search(question)), bool(CONTACT_WORDS.search(question))
        scores = []
        for s, v in zip(sents, vecs):
            score = float(v @ qvec) + 0.03 * len(qtok & set(tokenize(s)))
            if money and AMOUNT.search(s):
                score += 0.08
            if contact and (PHONE.search(s) or EMAIL.search(s) or re.search(r"contact", s, re.I)):
                score += 0.08
            scores.append(score)
        return [sents[i] for i in np.argsort(scores)[::-1]]

    def best_sentences(self, question: str, section: Section, qvec: np.ndarray) -> list[str]:
        """Up to `max_quotes` sentences of `section` that answer `question`, in document order."""
        sents = self.sentence_vectors.get(section.label, ([], None))[0]
        top = set(self.ranked_sentences(question, section, qvec)[: self.max_quotes])
        return [s for s in sents if s in top]

    def lead_and_quotes(self, question: str, section: Section, qvec: np.ndarray) -> tuple[str | None, list[str]]:
        """The sentence carrying the asked detail (None for an open question, or when no good
        sentence has one) and the other quotes, in document order."""
        ranked = self.ranked_sentences(question, section, qvec)
        kind = asked(question)
        yes_no = kind is None and bool(YES_NO.match(question))
        # a population or an age the question states that the guide bounds ("12 500 habitants")
        bounding = [s for s in ranked[:LEAD_POOL] if conditions.failed(question, s)] + \
            [s for s in ranked[:LEAD_POOL] if conditions.bounds_stated(question, s)] \
            if kind == "condition" or yes_no else []
        if bounding:
            lead = bounding[0]
        elif kind == "condition":  # how the guide states who may benefit
            lead = next((s for s in ranked[:LEAD_POOL] if DETAILS["condition"](s)), None)
        elif yes_no:  # "Les PAEJ sont-ils payants ?": the best sentence answers
            lead = ranked[0] if ranked else None
        elif kind == "person":  # a speaker of the section's record, a name as printed, or who carries it
            lead = next((s for s in ranked[:LEAD_POOL] if any(p.name in s for p in section.speakers)
                         or PERSON.search(s) or CARRIED_BY.search(s)), None)
        elif kind is None and (claimed := claimed_amounts(question)):  # "Is it true the State pays €1.30…?"
            values = {d.value for d in claimed}  # the sentence stating it leads
            lead = next((s for s in ranked[:LEAD_POOL] if values & {d.value for d in stated_amounts(s)}), None)
        else:  # a count: a number of what is counted first, else any number the question does not state
            counting = [s for s in ranked[:LEAD_POOL] if counts_asked(s, question, self.translate)] \
                if kind == "count" else []
            # "how many … still have no social centre": the sentence that counts those without it
            counted = next(iter([s for s in counting if NEGATION.search(s)] if NEGATION.search(question) else []
                                + counting), None)
            if kind == "count" and _ROUGHLY.search(question):  # "roughly how many": the guide's rough count
                counted = next((s for s in ranked if _ROUGH_COUNT.search(s)), counted)  # a short one ranks low
            found = [s for s in ranked[:LEAD_POOL] if new_detail(kind, s, question)] if kind else []
            per = [s for s in found if kind == "amount" and per_unit_asked(s, question, self.translate)]
            lead = counted or next(iter(per + found), None)
        top = set([s for s in ranked if s != lead][: self.max_quotes - (lead is not None)])
        sents = self.sentence_vectors.get(section.label, ([], None))[0]
        return lead, [s for s in sents if s in top]

    def answer(self, question: str, language: str, hits: list[SectionHit],
               sections: dict[str, Section]) -> tuple[str, list[Citation]]:
        qvec = np.asarray(self.embedder.get_query_embedding(question), dtype=np.float32)
        if LIST_WORDS.search(question) and len(hits) > 1:
            return self.list_answer(question, language, hits, sections, qvec)
        parts, citations = [], []
        selected = select_sections(question, hits, sections)
        first = self.lead_and_quotes(question, sections[selected[0].label], qvec)
        if (fact := self.runner_up_fact(question, first[0], hits, selected, sections, qvec)):
            selected, first = [fact[0]] + selected, fact[1]
        for k, hit in enumerate(selected):
            section = sections[hit.label]
            if section.kind == "linked-page":
                quotes = self.best_sentences(question, section, qvec)
                parts.append(render_linked_page(language, section, quotes, sections, primary=k == 0))
                citations += linked_page_citations(section, quotes, sections)
                continue
            lead, quotes = first if k == 0 else (None, self.best_sentences(question, section, qvec))
            absent = k == 0 and lead is None and not self.gives_asked(question, section)
            parts.append(render_section(question, language, section, lead, quotes, k == 0, self.edition, absent))
            citations += section_citations(section, ([lead] if lead else []) + quotes)
        return "\n\n".join(parts), citations

    def gives_asked(self, question: str, section: Section) -> bool:
        """Whether some sentence of `section` carries the detail the question asks for (see
        ABSENT_KINDS): a count, an amount, a date, a time or a share it does not itself state.
        True for the other kinds (contacts are in the contact card)."""
        kind = asked(question)
        # a bare "combien" may ask for a count as well as an amount: only money words make it one
        unsure = kind == "amount" and not MONEY_WORDS.search(re.sub(r"\bcombien\b", " ", question, flags=re.I))
        # "Is the State still paying 1,30 €…?" asks about a figure it states, not for another one
        if kind not in ABSENT_KINDS or unsure or ASKED_DETAILS[kind](question):
            return True
        sents = self.sentence_vectors.get(section.label, ([], None))[0]
        return any(new_detail(kind, s, question) for s in sents)

    def runner_up_fact(self, question: str, lead: str | None, hits: list[SectionHit], selected: list[SectionHit],
                       sections: dict[str, Section], qvec: np.ndarray
                       ) -> tuple[SectionHit, tuple[str | None, list[str]]] | None:
        """When the question asks for a detail (a date, a phone, an amount…) that the best
        section does not carry, the next section (of the first MAX_SECTIONS) stating it about the question's subject
        (its sentence shares RUNNER_UP_WORDS of the question's words, in English through the
        word map), with its lead and quotes: "Depuis quand l'obligation de formation des 16-18
        ans s'applique-t-elle ?" is dated by the introduction (« obligation légale nouvelle depuis
        septembre 2020 »), not by the workshop that presents it. None otherwise."""
        kind = asked(question)
        if lead is not None or kind in (None, "person", "condition") or ASKED_DETAILS[kind](question):
            return None  # a question stating the detail ("L'ASP, c'est bien le 05…?") checks it, asks no other
        words = set(tokenize(question, self.translate))
        taken = {h.label for h in selected}
        for runner in hits[1:MAX_SECTIONS]:
            if runner.label in taken or sections[runner.label].kind == "linked-page":
                continue
            found = self.lead_and_quotes(question, sections[runner.label], qvec)
            if found[0] is not None and len(words & set(tokenize(found[0]))) >= RUNNER_UP_WORDS:
                return runner, found
        return None

    def list_answer(self, question: str, language: str, hits: list[SectionHit], sections: dict[str, Section],
                    qvec: np.ndarray) -> tuple[str, list[Citation]]:
        """One line per section for a question asking for several: the sections that print a name
        the question writes, else every section whose fused score is close to the first's
        (programme sections first, at most MAX_LIST), each with its best sentence (one printing
        the name when there is one) and citation."""
        pool = [(h, sections[h.label]) for h in hits if sections[h.label].kind != "linked-page"]
        # a name few sections print ("CAF", "France Services"; not the region every one prints)
        # lists the sections that print it; else the sections scored close to the first
        asked = named_tokens(question)
        printed = {label: tokenize(s.text) for label, s in sections.items()} if asked else {}  # once per section
        names = [n for n in asked if 0 < sum(mentions(t, [n]) for t in printed.values()) <= MAX_LIST]
        ordered = list({s.label: s for s in [s for _, s in pool] + list(sections.values())
                        if s.kind != "linked-page"}.values())  # retrieval's order, then the guide's
        listed = [s for s in ordered if names and mentions(printed[s.label], names)] or \
            [s for h, s in pool if h.score >= LIST_RATIO * hits[0].score][:MAX_LIST]
        listed = ([s for s in listed if s.role == "programme"] or listed)[:MAX_LIST]
        head = (f"D'après le guide, {len(listed)} section(s) :" if language == "fr"
                else f"From the guide, {len(listed)} section(s) (quoted in French):")
        lines, citations = [head], []
        for section in listed:
            ranked = self.ranked_sentences(question, section, qvec) or [section.text.split("\n")[0]]
            # "which workshops involve the CAF?": each line shows where the section names it
            quote = next((q for q in ranked if mentions(tokenize(q), names)), ranked[0])
            lines.append(f"- {where(section)} : {dated_quote(quote, self.edition, language)}")
            citations += section_citations(section, [quote])
        return "\n".join(lines), citations


def named_tokens(question: str) -> list[list[str]]:
    """The names the question writes (acronyms, capitalised words inside a sentence: "CAF",
    "France Services"), each as its BM25 tokens in order; a capitalised run is one name."""
    runs = re.findall(r"(?:" + NAME.pattern + r")(?:[ -](?:" + NAME.pattern + r"))*", question)
    return [t for t in (tokenize(r) for r in runs) if t]


def mentions(tokens: list[str], names: list[list[str]]) -> bool:
    """Whether a text, as its BM25 `tokens` (`tokenize`), writes one of `names`: their tokens in
    a row (stopwords aside), a number glued to the last allowed ("Caf32" writes "CAF"); singular
    and plural stem alike ("Maison France Service" writes "France Services")."""
    return any(any(tokens[i:i + len(n) - 1] == n[:-1] and re.fullmatch(re.escape(n[-1]) + r"\d*", tokens[i + len(n) - 1])
                   for i in range(len(tokens) - len(n) + 1)) for n in names)


def section_citations(section: Section, quotes: list[str]) -> list[Citation]:
    """A citation per quote (its own pages), or the section's first line when nothing is quoted."""
    if not quotes:
        return [Citation(section=section.label, title=section.title, pages=section.pages,
                         quote=section.text.split("\n")[0])]
    return [Citation(section=section.label, title=section.title, pages=sentence_pages(section, q), quote=q)
            for q in quotes]


def select_sections(question: str, hits: list[SectionHit], sections: dict[str, Section]) -> list[SectionHit]:
    """The sections an answer draws on: the best one, then the others the question names by
    their own topic words (SectionHit.named: "l'obligation de formation, les PAEJ et le pass
    Culture", up to MAX_SECTIONS), else a runner-up only when nearly tied and on the same side
    (programme, or the conference itself: a workshop's answer never adds the prefect's word as
    "see also"; the schedule's may add the introduction)."""
    top = hits[0]
    named = [h for h in hits[1:] if h.named]
    if top.named and named:
        return [top] + named[: MAX_SECTIONS - 1]
    return [top] + [h for h in hits[1:2] if h.score >= SECOND_SECTION_RATIO * top.score
                    and h.dense >= top.dense - SECOND_SECTION_DENSE_GAP
                    and (sections[h.label].role == "programme") == (sections[top.label].role == "programme")]


def speakers_card(section: Section, language: str) -> str:
    """The section's speakers and their roles, verbatim from its record."""
    if not section.speakers:
        return ""
    head = f"Intervenants ({section.label})" if language == "fr" else f"Speakers ({section.label})"
    return head + "\n" + "\n".join(f"- {p.name}" + (f", {p.role}" if p.role else "") for p in section.speakers)


def premise_warning(question: str, section: Section, language: str, edition: Edition | None = None) -> str:
    """A correction when the question states an amount, or a phone number, that the section does
    not give: the guide's amounts (dated with its edition) or phone numbers, from its record."""
    return " ".join(x for x in (amount_warning(question, section, language, edition),
                                phone_warning(question, section, language)) if x)


def amount_warning(question: str, section: Section, language: str, edition: Edition | None) -> str:
    """The amount half of `premise_warning`."""
    # values as details.extract_details reads them: both decimal marks, thousands separators and
    # multipliers ("€1.30" = "1,30 €", "15 000€" = "15.000 €", "7 milliards d'€"); an amount that
    # names a scheme ("la cantine à 1 €") is no claim about this section's amounts
    claimed = {d.value for d in claimed_amounts(question)}
    given = {d.value for f in section.funding for d in extract_details(f.sentence) if d.kind == "amount"}
    wrong = claimed - given
    if not wrong or not given:
        return ""
    amounts = " ".join(dated_quote(f.sentence, edition, language) for f in section.funding)
    if language == "en":
        return f"Note: the amount in your question is not the one in the guide. The guide says: {amounts}"
    return f"Attention : le montant de votre question n'est pas celui du guide. Le guide indique : {amounts}"


def phone_warning(question: str, section: Section, language: str) -> str:
    """The phone half of `premise_warning`: a number of the question that is none of the
    section's (digits compared, spaces and dots aside)."""
    asked = [d for d in extract_details(question) if d.kind == "phone"]
    given = {c.value: phone_value(c.value) for c in section.contacts if c.kind == "phone"}
    if not given or all(d.value in given.values() for d in asked):
        return ""
    phones = ", ".join(given)
    if language == "en":
        return f"Note: the phone number in your question is not the one in the guide. The guide gives: {phones}."
    return f"Attention : le numéro de votre question n'est pas celui du guide. Le guide indique : {phones}."


def contact_card(section: Section, language: str) -> str:
    """The section's contacts, verbatim from its record (empty when it lists none)."""
    lines = []
    for c in section.contacts:
        if c.kind == "organisation":
            lines.append(f"- {c.value}")
        elif not any(c.value in x for x in lines):
            label = {"phone": "Tél." if language == "fr" else "Phone", "email": "E-mail", "url": "Site"}[c.kind]
            lines.append(f"- {label} : {c.value}" if language == "fr" else f"- {label}: {c.value}")
    if not lines:
        return ""
    head = f"Contacts ({section.label})" if language == "fr" else f"Who to contact ({section.label})"
    return head + "\n" + "\n".join(lines)


def where(section: Section) -> str:
    """"Atelier n°2 « title » (place), p. 7": a section as a citation line names it."""
    place = f" ({section.place})" if section.place else ""
    title = "" if section.title == section.label else f" « {section.title} »"
    return f"{section.label}{title}{place}, {section.page_span()}"


def dated_quote(quote: str, edition: Edition | None, language: str) -> str:
    """« quote », followed by the guide's edition when the quote states a figure."""
    mark = f" ({edition.label(language)})" if edition and has_figure(quote) else ""
    return f"« {quote} »{mark}"


# How the guide states who may benefit (French grammar): "communes éligibles", "la mesure est
# applicable", "destinées à", "réservé aux".
_CONDITION_WORDS = re.compile(r"\b([ée]ligibles?|applicable|r[ée]serv[ée]e?s?|destin[ée]e?s?|conditions?|crit[èe]res?|"
                              r"accord[ée]e? (?:sur \w+ ans )?aux|ouverte?s? [àa]|peuvent b[ée]n[ée]ficier)\b", re.I)
# The details that answer each kind of question, as printed in a sentence.
ASKED_DETAILS: dict[str, Callable[[str], list[str]]] = {
    "amount": lambda s: printed(s, "amount"),
    "phone": lambda s: printed(s, "phone"),
    "email": lambda s: printed(s, "email"),
    "url": lambda s: WEB_URL.findall(s),
    "time": lambda s: [m.group().strip() for m in TIME.finditer(s)],
    "person": lambda s: [m.strip() for m in PERSON.findall(s)],
    "share": lambda s: re.findall(r"\d+(?:,\d+)?\s?%", s),
    "count": lambda s: [m.group().strip() for m in _ROUGH_COUNT.finditer(s)] + count_numbers(s),
    "date": lambda s: [d.text for d in extract_details(s, dates=True) if d.kind == "date"]
    + [m.group().strip() for m in TIME.finditer(s)],
}
# Whether a sentence carries the asked kind of detail: it has one of ASKED_DETAILS; a count is any
# number but a phone's, and a site may be written without its scheme ("www.…", "….gouv.fr").
DETAILS: dict[str, Callable[[str], bool]] = {kind: (lambda s, find=find: bool(find(s)))
                                             for kind, find in ASKED_DETAILS.items()} | {
    "count": lambda s: bool(_NUMBER.search(PHONE.sub("", s)) or _ROUGH_COUNT.search(s)),
    "url": lambda s: bool(WEB_URL.search(s) or re.search(r"\bwww\.|\.(fr|org|gouv|com)\b", s)),
    "condition": lambda s: bool(conditions.bounds(s) or _CONDITION_WORDS.search(s)),
}


def _detail_key(text: str) -> str:
    return re.sub(r"\W", "", text.lower())


def new_detail(kind: str, sentence: str, question: str) -> bool:
    """The sentence carries a detail of the asked kind that the question does not already state:
    in "Combien l'État donne-t-il par repas pour la cantine à 1 € ?" the « 1 € » names the
    scheme, so a sentence whose only amount is 1 € does not answer it; in "combien de jeunes de
    16 à 18 ans…" the answer is a number other than 16 and 18."""
    if not DETAILS[kind](sentence):
        return False
    if kind == "count":  # a number of things, not a year, a duration or an amount ("créée en 2011")
        stated = set(_NUMBER_RUN.findall(question))
        return bool(_ROUGH_COUNT.search(sentence)) or any(n not in stated for n in count_numbers(sentence))
    if kind == "url":  # a site written without its scheme is no ASKED_DETAILS match: keep it
        return True
    if kind == "amount":  # compared by value: "1 euro" in the question is the guide's "1€"
        stated_values = {d.value for d in stated_amounts(question)}
        return any(d.value not in stated_values for d in stated_amounts(sentence))
    stated = {_detail_key(x) for x in ASKED_DETAILS[kind](question)}
    return any(_detail_key(x) not in stated for x in ASKED_DETAILS[kind](sentence))


def per_unit_asked(sentence: str, question: str, translate: Translate | None = None) -> bool:
    """The sentence states an amount per the unit the question asks about: "3 € par repas
    servi" for "How much does the State pay per canteen meal?" (the question's words after
    per/par/for each, and the guide's words for them, against the word after "par")."""
    m = _PER_QUESTION.search(question)
    if not m:
        return False
    asked_units = set(tokenize(m.group(1), translate))
    return any(asked_units & set(tokenize(unit)) for unit in _PER_SENTENCE.findall(sentence))


def counts_asked(sentence: str, question: str, translate: Translate | None = None) -> bool:
    """The sentence gives a number, other than those the question states, followed within
    COUNTED_SPAN words by a word of what the question counts ("Dans notre région il existe 20
    PAEJ" for "how many PAEJ…"; not "de 12 à 25 ans")."""
    m = _COUNTED.search(question)  # what is counted, and through `translate` the guide's words for it
    counted = {t for t in tokenize(m.group(1), translate) if not t.isdigit()} if m else set()
    if not counted:
        return False
    stated = set(_NUMBER_RUN.findall(question))
    text = without_details(sentence, durations=False)  # "15 000€ par structure" counts no structure
    numbers = [*_NUMBER_RUN.finditer(text), *_ROUGH_COUNT.finditer(text)]  # "20 PAEJ", "une trentaine de quartiers"
    return any(n.group() not in stated and counted & set(tokenize(" ".join(text[n.end():].split()[:COUNTED_SPAN])))
               for n in numbers)


def key_facts(sentence: str, kind: str | None = None) -> str:
    """The details of a French sentence for an English lead: those of the asked kind (the
    amounts of "how much", the times of "what time"…) when it has some; else its figures,
    contacts and names (amounts, numbers with units, dates, phones, e-mails, URLs, acronyms)."""
    asked_only = ASKED_DETAILS.get(kind, lambda s: [])(sentence)
    if asked_only:
        return ", ".join(dict.fromkeys(asked_only))
    found = [d.text for d in extract_details(sentence, dates=True, quantities=True)]
    rest = PHONE.sub(" ", WEB_URL.sub(" ", sentence))
    found += [n for n in _FIGURE.findall(rest) if not any(n in f for f in found)]
    found += re.findall(r"\b[A-Z]{2,}[a-z]?\b", sentence)
    return ", ".join(dict.fromkeys(found))


def verdict_line(question: str, language: str, lead: str) -> str:
    """"No" when a figure of the question falls outside a condition the lead sentence states
    (see conditions.failed); "" otherwise: the guide's conditions are quoted, never a "yes"."""
    fails = conditions.failed(question, lead)
    if not fails:
        return ""
    bound, figure = fails[0]
    if language == "en":
        return (f"No, going by the guide: its condition is « {bound.text} » (in French), "
                f"and your question states « {figure} ».")
    return f"Non, d'après le guide : sa condition est « {bound.text} », et votre question indique « {figure} »."


def lead_line(language: str, section: Section, lead: str, edition: Edition | None, kind: str | None = None) -> str:
    """The asked fact first: the sentence that carries it, cited; in English, its key facts too."""
    cite = f"{section.label}, {section.page_span(sentence_pages(section, lead))}"
    if language == "en":
        names = [p.name for p in section.speakers if p.name in lead] if kind == "person" else []
        facts_text = ", ".join(names) or key_facts(lead, kind)
        head = f"Answer: {facts_text} — " if facts_text else "Answer: "
        return f"{head}the guide ({cite}, in French) says {dated_quote(lead, edition, language)}"
    return f"Réponse du guide ({cite}) : {dated_quote(lead, edition, language)}"


def age_line(question: str, language: str, sentence: str) -> str:
    """The plain statement that the guide does not say what applies at the question's age, when
    `sentence` (the lead, else the first quote) is about other ages (see conditions.ages_outside):
    the pass Culture's « jeunes de 18 ans » quoted for "15 to 17 year olds"; "" otherwise."""
    outside = conditions.ages_outside(question, sentence)
    if not outside:
        return ""
    bound, asked_age = outside[0]
    if language == "en":
        return (f"The guide does not say what applies to « {asked_age} »: the passage below is about "
                f"« {bound.text} » (in French).")
    return f"Le guide ne dit pas ce qui vaut pour « {asked_age} » : le passage ci-dessous concerne « {bound.text} »."


def absent_line(kind: str, language: str) -> str:
    """The plain statement that the guide does not give the asked detail."""
    what_fr, what_en = ABSENT_KINDS[kind]
    if language == "en":
        return f"{what_en} is not given in the passages of the guide (July 2021) nearest to your question:"
    return f"{what_fr} ne figure pas dans les passages du guide (juillet 2021) les plus proches de votre question :"


def render_section(question: str, language: str, section: Section, lead: str | None, quotes: list[str],
                   primary: bool, edition: Edition | None = None, absent: bool = False) -> str:
    """Asked fact (or, when `absent`, the statement that the guide does not give it), section
    line, quotes and contact card for one section."""
    if language == "en":
        intro = ("The guide covers this in " if primary else "See also ") + where(section) + "."
        if quotes:
            intro += " What the guide says (quoted in French):"
    else:
        intro = ("D'après le guide, voir " if primary else "Voir aussi ") + where(section) + "."
        if quotes:
            intro += " Ce que dit le guide :"
    warning = premise_warning(question, section, language, edition) if primary else ""
    kind = asked(question)
    lead_text = lead_line(language, section, lead, edition, kind) if lead else ""
    verdict = verdict_line(question, language, lead) if lead and kind in (None, "condition") else ""
    ages = age_line(question, language, lead or quotes[0]) if primary and (lead or quotes) and not verdict else ""
    missing = absent_line(kind, language) if absent and kind in ABSENT_KINDS else ""
    out = [warning, verdict, ages, missing, lead_text, intro]  # a correction of the question comes first
    out.append(quote_block([q for q in quotes if q not in warning], edition, language))
    money_lines = [f.sentence for f in section.funding if f.sentence not in quotes and f.sentence != lead]
    # The section's amounts are key facts for officials: given when asked about, and always when
    # the section states only one or two.
    if money_lines and primary and (MONEY_WORDS.search(question) or len(section.funding) <= MAX_MONEY_LINES):
        head = "Montants cités" if language == "fr" else "Amounts in the guide"
        out.append(f"{head} : " if language == "fr" else f"{head}: ")
        out[-1] += " ".join(dated_quote(m, edition, language) for m in money_lines)
    # every section of a who-question names its speakers; so does the first section of an open
    # question ("un exemple de ce qui marche ?"): the guide's workshops are experiences that these
    # speakers present and "rendront compte de leur action aux participants intéressés"
    if WHO_WORDS.search(question) or (primary and kind is None):
        out.append(speakers_card(section, language))
    out.append(contact_card(section, language))
    return "\n\n".join(x for x in out if x)


def quote_block(quotes: list[str], edition: Edition | None = None, language: str = "fr") -> str:
    """Quotes as one Markdown block quote, a line each (blank lines around it keep the next
    paragraph out of it); a quote stating a figure is marked with the guide's edition."""
    return "\n".join(f"> {dated_quote(q, edition, language)}  " for q in quotes)


def citing_sentence(workshop: Section, url: str) -> str:
    """The guide's sentence of `workshop` that cites `url` (or its first line when not found)."""
    host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    return next((s for s in facts.sentences(workshop.text) if host and host in s), workshop.text.split("\n")[0])


def linked_page_citations(page: Section, quotes: list[str], sections: dict[str, Section]) -> list[Citation]:
    """Citations of a linked page's quotes, then of each workshop that cites the page."""
    citing = [sections[label] for label in page.cited_by if label in sections]
    owner = citing[0].label if citing else page.label
    out = [Citation(section=owner, title=f"Page liée depuis {owner} : {page.title} — {page.url}",
                    pages=page.pages, quote=q) for q in quotes]
    out += [Citation(section=w.label, title=w.title, pages=page.pages, quote=citing_sentence(w, page.url))
            for w in citing]
    return out


def render_linked_page(language: str, page: Section, quotes: list[str], sections: dict[str, Section],
                       primary: bool) -> str:
    """A linked page's lead (which workshop cites it, its URL), quotes, and the citing workshop's
    contact card."""
    citing = [sections[label] for label in page.cited_by if label in sections]
    names = ", ".join(f"{w.label} ({pages_text(page.pages)})" for w in citing) or "le guide"
    if language == "en":
        lead = (f"{'From' if primary else 'See also'} a page linked from {names} of the guide: "
                f"« {page.title} » — {page.url}.")
        lead += " What it says (quoted):" if quotes else ""
    else:
        lead = (f"{'D’après' if primary else 'Voir aussi'} une page liée depuis {names} du guide : "
                f"« {page.title} » — {page.url}.")
        lead += " Ce qu'elle indique :" if quotes else ""
    out = [lead, quote_block(quotes)] + [contact_card(w, language) for w in citing[:1]]
    return "\n\n".join(x for x in out if x)
