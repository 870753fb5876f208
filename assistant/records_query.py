"""Questions answered from the section records rather than from similarity alone: several
questions in one message, sections excluded by the question ("en dehors des Hautes-Pyrénées"),
sections listed by place ("quels ateliers se tiennent dans l'Aude ?"), and record questions:
a list or a count over the whole guide ("tous les numéros de téléphone du guide", "combien
d'ateliers ?", "which workshops have a contact at a DDETS?"), read into a typed `RecordQuery`
and answered by `RecordFilter.matches`, exhaustively.

The cues are French and English grammar (question words, "except", "other than", "all", "how
many"); the places come from the sections' own records and France's list of places
(geography.py); what is listed comes from the records (kinds, places, contacts, amounts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from guide_assistant.assistant.answer import LIST_WORDS
from guide_assistant.assistant.conversation import REFERS_BACK
from guide_assistant.assistant.geography import places_in, region_of
from guide_assistant.assistant.lexical import LexicalRetriever, fold, tokenize
from guide_assistant.assistant.retrieval import SectionHit, named_labels
from guide_assistant.assistant.scope import name_pattern, written_names
from guide_assistant.details import AMOUNT, amount_value
from guide_assistant.ingest import facts
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
_NAME = re.compile(r"\b[A-ZÀ-Ý][\w'’-]+(?:[ -][A-ZÀ-Ý][\w'’-]+)*")  # a capitalised name ("Lourdes", "Grand Cahors")
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


# ------------------------------------------------------------------------------------------
# Record questions: a list or a count over the whole guide, answered from the records
# ------------------------------------------------------------------------------------------

# What a record question lists or counts, by the noun that names it after "tous les", "quels",
# "combien de", "all", "which", "how many"… (French and English). Plural: a singular noun asks
# for one thing ("quel est le numéro de l'ASP ?"), except after "every". The guide's parts by
# their section kind; the records' contact details and amounts.
ITEMS: dict[str, tuple[str, str]] = {  # item → (plural nouns, singular nouns after "every")
    "atelier": (r"ateliers|workshops", r"workshop"),
    "table-ronde": (r"tables?[- ]rondes|round[- ]?tables", r"round[- ]?table"),
    "session": (r"sessions", r"session"),
    "phone": (r"num[ée]ros(?: de (?:t[ée]l[ée]phone|contact))?|t[ée]l[ée]phones|(?:tele)?phone numbers|phones",
              r"(?:tele)?phone(?: number)?"),
    "email": (r"adresses (?:e-?mail|mail|[ée]lectroniques)|e-?mail addresses|e-?mails|courriels",
              r"e-?mail(?: address)?"),
    "url": (r"sites(?: internet| web)?|adresses (?:internet|web)|liens|urls|websites|web addresses|links",
            r"website|web address|link|url"),
    "contact": (r"contacts", r"contact"),
    "amount": (r"montants|sommes|amounts|sums", r"amount"),
}
# The section kinds each part noun lists ("ateliers": the numbered and the partner workshops).
PART_KINDS = {"atelier": ("atelier", "atelier-partenaire"), "table-ronde": ("table-ronde",),
              "session": ("atelier", "atelier-partenaire", "table-ronde")}
CONTACT_KINDS = ("phone", "email", "url", "contact")
# A contact detail asked as a condition on the listed parts ("which workshops have a contact at
# a DDETS?", "quels ateliers donnent un numéro de téléphone ?"): singular or plural.
_CONTACT_FILTER = re.compile(r"\b(?:(?P<phone>num[ée]ros?(?: de t[ée]l[ée]phone)?|t[ée]l[ée]phones?|"
                             r"(?:tele)?phone(?: numbers?)?|phones)|(?P<email>adresses? (?:e-?mail|mail|[ée]lectroniques?)|"
                             r"e-?mail(?: address)?(?:es|s)?|courriels?)|(?P<url>sites?(?: internet| web)?|liens?|"
                             r"urls?|websites?|links?)|(?P<contact>contacts?))\b", re.I)
_CUE = r"tou(?:te)?s|all|every|list\w*|[ée]num[ée]r\w*|quel(?:le)?s|lesquel(?:le)?s|which|what|combien|how many|nombre|number"
_COUNT_CUE = re.compile(r"combien|how many|nombre|number", re.I)


def _item_pattern(nouns: int) -> re.Pattern:
    groups = "|".join(f"(?P<{item.replace('-', '_')}>{forms[nouns]})" for item, forms in ITEMS.items())
    cue = _CUE if nouns == 0 else "every"
    # up to three words between, an elided one first ("combien d'ateliers et de tables rondes")
    return re.compile(rf"\b(?P<cue>{cue})(?:\s+(?:[\w-]+['’]|[\w'’-]+)){{0,3}}?\s*\b(?:{groups})\b", re.I)


_ITEM_CUES = (_item_pattern(0), _item_pattern(1))
_ITEM_NOUNS = re.compile(r"\b(?:" + "|".join(f for forms in ITEMS.values() for f in forms) + r")\b", re.I)
# The question is about the whole guide, not the topic of the conversation ("quels sont les
# numéros ?" after a question on one workshop asks for that workshop's).
_WHOLE_GUIDE = re.compile(r"\b(?:tou(?:te)?s|all|every|list\w*|[ée]num[ée]r\w*|combien|how many|nombre|number|"
                          r"(?:du|dans le|de ce) guide|(?:in|of) the guide)\b", re.I)
# A bound on an amount ("plus de 1 000 €", "more than €10,000"): French and English comparatives.
_AMOUNT_BOUND = re.compile(r"\b(?:(?P<above>plus de|au moins|sup[ée]rieure?s? [àa]|more than|over|above|at least|"
                           r"greater than|exceeding)|(?P<below>moins de|au plus|inf[ée]rieure?s? [àa]|less than|under|"
                           r"below|at most|jusqu'[àa]|up to))\s*", re.I)
# The words of a record question that ask nothing of their own (French and English grammar:
# asking, listing, counting, being held, mentioning, having; the guide and the conference or
# programme it describes), folded: once they, the item nouns
# and the filters are read, nothing may be left; otherwise the question has a topic of its own
# ("quels ateliers parlent des jeunes ?") and retrieval answers it.
_GRAMMAR = re.compile(
    r"\b(?:donn\w*|moi|liste[rz]?|listing|enumere[rz]?|enumeration|cite[rz]?|citent|indique[rz]?|montre[rz]?|"
    r"affiche[rz]?|peux|pouvez|pourriez|pourrais|voudrais|voudrait|aimerais|souhaite|connaitre|savoir|exist\w*|"
    r"compte(?:nt)?|contien(?:t|nent)|present\w*|propos\w*|tien(?:t|nent)|tenu\w*|deroul\w*|organis\w*|prevu\w*|"
    r"lieu|mentionn\w*|parl\w*|evoqu\w*|impliqu\w*|concern\w*|intervien\w*|figur\w*|ensemble|total|tout|toute|"
    r"tous|toutes|complete?|exhaustive?|quel(?:le)?s?|lesquel(?:le)?s|combien|nombre|give|show|tell|name|could|"
    r"would|please|there|held|take|takes|taking|place|located|based|run|mention\w*|cites?|cited|talk\w*|about|"
    r"refer\w*|involv\w*|featur\w*|have|has|contain\w*|includ\w*|full|entire|whole|altogether|overall|listed|"
    r"given|printed|appear\w*|found|all|every|many|number|list|guide|conference|programme|program)\b")
# Verbs of paying, grammar when the question bounds an amount ("quels ateliers financent plus
# de 1 000 € ?", "which workshops offer more than €1,000?"), folded.
_PAYING = re.compile(r"\b(?:financ\w*|vers\w*|accord\w*|attribu\w*|subventionn\w*|offr\w*|offer\w*|provid\w*|"
                     r"pa(?:y|ys|id|ying)|fund(?:s|ed|ing)?|grant(?:s|ed|ing)?|award\w*)\b")


@dataclass(frozen=True)
class RecordQuery:
    """A list or a count over the guide's section records.

    item: what is listed, one of ITEMS ("atelier", "table-ronde", "session": sections of
    PART_KINDS; "phone", "email", "url": contact details; "contact": every contact line;
    "amount": the euro amounts). count: the question asks how many (a list says it too).
    places: the places a listed thing's section must be held in (France's places and the
    records' communes, as written there). names: names its text must print (acronyms, quoted
    names), in `contact` scope when a contact is asked ("a contact at a DDETS"). contact: a
    contact detail the listed parts must give ("phone", "email", "url", "contact"; "" none).
    above / below: bounds on an amount, in euros (None: no bound), `bound` as the question
    writes it without the currency ("more than 1,000"). excluded: labels the question excludes, `except_text` as it writes them.
    kinds: the section kinds of what is listed (a part's, or the parts whose details are
    listed: "les numéros des ateliers"; () any section of the guide).
    """

    item: str
    count: bool = False
    places: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    contact: str = ""
    above: float | None = None
    below: float | None = None
    bound: str = ""
    excluded: frozenset[str] = frozenset()
    except_text: str = ""
    kinds: tuple[str, ...] = ()

    @property
    def parts(self) -> bool:
        """The query lists sections (workshops, round tables), not details of them."""
        return self.item in PART_KINDS


@dataclass(frozen=True)
class RecordMatch:
    """One listed thing: its section, its value as printed (a phone number, the amounts; "" for a
    section) and the guide's sentence it stands in (the quote; "" for a section listed by its
    kind and place alone)."""

    section: Section
    value: str = ""
    quote: str = ""
    amounts: int = 0  # the number of amounts counted on this line (item "amount")


def prints(text: str, names: tuple[str, ...]) -> bool:
    """`text` prints every one of `names` (see `scope.name_pattern`; "Caf32" prints "CAF")."""
    folded = fold(text)
    return all(name_pattern(n, numbered=True).search(folded) for n in names)


def in_bounds(amount: str, query: RecordQuery) -> bool:
    """The printed amount lies within the query's bounds (inclusive)."""
    value = amount_value(amount)
    return value is not None and (query.above is None or value >= query.above) and \
        (query.below is None or value <= query.below)


def contact_quote(section: Section, value: str, context: str) -> str:
    """The guide's sentence giving a contact detail, with the short sentence announcing it by ":"
    before it when it has no label of its own ("Contactez l'Agence de services et de paiement
    (ASP) : Tel 05 49 37 56 30 …", not "Pour aller plus loin : URHAJ Occitanie : https://…");
    the record's context when the value is in no sentence."""
    sents = facts.announced(facts.sentences(section.text))
    at = next((i for i, x in enumerate(sents) if value in x), None)
    if at is None:
        return context
    before = sents[at - 1] if at else ""
    announces = before.endswith(":") and len(before) <= facts.LABEL_MAX_CHARS and ":" not in sents[at]
    return f"{before} {sents[at]}" if announces else sents[at]


def naming_sentence(section: Section, names: tuple[str, ...]) -> str:
    """The section's sentence printing `names`: one printing them as the question writes them
    ("la Caisse d'allocations familiales (CAF)" before "https://www.caf.fr/…"), a quotable one
    before its heading; else one printing the first name."""
    sents = facts.quotable(section.text) + facts.sentences(section.text)
    as_written = [x for x in sents if all(re.search(rf"\b{re.escape(n)}", x) for n in names)]
    return next((x for x in as_written + sents if prints(x, names)),
                next((x for x in sents if prints(x, names[:1])), ""))


def position(section: Section, quote: str) -> int:
    """Where a quote starts in the section's text (lines unwrapped): for document order."""
    return section.text.replace("\n", " ").find(quote[:30])


def contact_lines(section: Section, kind: str, speakers: bool = False) -> list[tuple[str, str]]:
    """(value, quote) for each contact of `kind` of the section ("phone", "email", "url", or
    "contact": its phones, e-mails and "contactez …" sentences, a line each), and with
    `speakers` the lines naming its speakers, in document order. A sentence is one line: an
    organisation sentence already in another line's quote, or a bare "Contact :", is no line."""
    kinds = ("phone", "email", "organisation") if kind == "contact" else (kind,)
    lines: list[tuple[str, str]] = []
    for c in section.contacts:
        if c.kind not in kinds:
            continue
        quote = c.value if c.kind == "organisation" else contact_quote(section, c.value, c.context)
        lines.append(("" if c.kind == "organisation" else c.value, quote))
    if speakers:
        sents = facts.sentences(section.text)
        lines += [("", next((x for x in sents if p.name in x), p.name)) for p in section.speakers]
    kept: dict[str, list[str]] = {}  # quote → the values it gives
    for value, quote in lines:
        bare = quote.endswith(":") and len(quote.split()) <= 2
        if not bare and not any(quote != other and quote in other for _, other in lines):
            kept.setdefault(quote, [])
            if value and value not in kept[quote]:
                kept[quote].append(value)
    return sorted(((", ".join(values), quote) for quote, values in kept.items()),
                  key=lambda vq: position(section, vq[1]))


class RecordFilter:
    """Narrows a retrieved ranking with the section records (places, labels) and, on a list
    question, with the sections the question's words are found in (`lexical`); reads a record
    question (`query`) and answers it from the records alone (`matches`, `others`)."""

    def __init__(self, sections: list[Section], lexical: LexicalRetriever):
        self.sections = {s.label: s for s in sections}
        self.lexical = lexical
        self.places = {s.label: {name for name, _ in places_in(s.place)} for s in sections if s.place}
        self.folded = {s.label: fold(s.text) for s in sections if s.kind != "linked-page"}
        self.guide = [s for s in sections if s.kind != "linked-page"]
        self.region = region_of([s.place for s in self.guide if s.place])
        # the communes a section's place names ("Lafrançaise et Montech, Tarn-et-Garonne"): its
        # capitalised parts that are no acronym ("CAF, Haute-Garonne", "ARS, régional")
        self.communes = {s.label: {p for p in re.split(r",\s*|\s+et\s+", s.place) if p[:1].isupper() and not p.isupper()}
                         for s in self.guide if s.place}

    def excluded(self, question: str) -> set[str]:
        """Labels the question excludes: named after "except", "en dehors de"…, by label, by
        place, or by a name its heading prints ("apart from Lourdes": « … l'exemple de Lourdes »)."""
        out: set[str] = set()
        for m in _EXCLUDE.finditer(question):
            what = m.group("what")
            out |= set(named_labels(what, set(self.sections)))
            names = {name for name, _ in places_in(what)}
            out |= {label for label, places in self.places.items() if places & names}
            for name in _NAME.findall(what):
                pattern = name_pattern(name)
                out |= {label for label, s in self.sections.items()
                        if s.kind != "linked-page" and pattern.search(fold(f"{s.title} {s.place}"))}
        return out

    @staticmethod
    def without_exclusions(question: str) -> str:
        """The question without what it excludes ("En dehors de la Lozère, quel atelier parle de
        milieu rural ?" → "quel atelier parle de milieu rural ?"): the words of an excluded place or
        section would otherwise draw retrieval to it, or to the sections that name it. The question
        itself when nothing else is left."""
        core = _EXCLUDE.sub(" ", question).strip(" ,;")
        return core if len(core.split()) >= MIN_PART_WORDS else question

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

    def narrow(self, question: str, hits: list[SectionHit], excluded: set[str],
               english: bool = False) -> list[SectionHit]:
        """`hits` without the `excluded` sections (see `excluded`). On a list question: exactly the sections held
        in the places it names (the records are exhaustive where similarity is not), or printing
        the names it writes (`printing`), else every
        section that mentions its words about as much as the best one (by the BM25 score of the
        question's own words, and in English the guide's words for them), retrieval's order kept."""
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

    def query(self, question: str, follow_up: bool = False) -> RecordQuery | None:
        """The question as a RecordQuery when it asks for a list or a count of the guide's parts
        or of their contacts or amounts ("tous les numéros de téléphone du guide", "combien
        d'ateliers ?", "which workshops are held in the Gers?") and nothing else: every other
        word of it is grammar or a filter the records answer (a place, a name, a contact, an
        amount bound, an exclusion). None otherwise, and for a follow-up ("quels sont les
        numéros ?" after a question on one workshop) that neither says "all"/"du guide"/"how
        many" nor names a filter."""
        excluded = self.excluded(question)
        except_text = ", ".join(m.group("what").strip() for m in _EXCLUDE.finditer(question))
        text = _EXCLUDE.sub(" ", question)
        asked = next((m for pattern in _ITEM_CUES for m in pattern.finditer(text)), None)
        if asked is None:
            return None
        item = next(k for k in ITEMS if asked.group(k.replace("-", "_")))
        rest = text[:asked.start()] + " " + text[asked.end():]
        above = below = None
        bound = ""
        for m in _AMOUNT_BOUND.finditer(rest):
            amount = AMOUNT.match(rest, m.end())
            if amount:
                value = amount_value(amount.group())
                above, below = (value, below) if m.group("above") else (above, value)
                # the bound as written, without its currency: the answer prints no amount the guide does not
                bound = " ".join(x for x in (m.group().strip(), amount.group("n1") or amount.group("n2"),
                                             amount.group("m1") or amount.group("m2")) if x)
                rest = rest[:m.start()] + " " + rest[amount.end():]
                break
        places = [name for name, _ in places_in(rest) if name != self.region]
        places += [c for c in sorted({c for cs in self.communes.values() for c in cs})
                   if name_pattern(c).search(fold(rest)) and c not in places]
        names = [n for n in written_names(rest) if fold(n) not in {fold(p) for p in places}]
        contact = ""
        if item in PART_KINDS and (m := _CONTACT_FILTER.search(rest)):
            contact = next(k for k in CONTACT_KINDS if m.group(k))
        folded = fold(rest.replace("’", "'"))
        for name in places + names:
            folded = name_pattern(name, numbered=True).sub(" ", folded)
        for pattern in _ITEM_CUES + (_CONTACT_FILTER, _ITEM_NOUNS, _GRAMMAR) + ((_PAYING,) if bound else ()):
            folded = pattern.sub(" ", folded)
        if tokenize(folded):  # a topic of its own: retrieval answers it
            return None
        if follow_up and not (_WHOLE_GUIDE.search(text) or places or names or contact or bound):
            return None
        return RecordQuery(item=item, count=bool(_COUNT_CUE.search(asked.group("cue"))), places=tuple(places),
                           names=tuple(names), contact=contact, above=above, below=below, bound=bound,
                           excluded=frozenset(excluded), except_text=except_text,
                           kinds=tuple(dict.fromkeys(PART_KINDS.get(item, ()) + self.part_kinds(rest))))

    @staticmethod
    def part_kinds(text: str) -> tuple[str, ...]:
        """The section kinds of the parts `text` names besides what is listed ("les numéros des
        ateliers": the workshops'); () when it names none."""
        found = [k for k in PART_KINDS if re.search(rf"\b(?:{ITEMS[k][0]}|{ITEMS[k][1]})\b", text, re.I)]
        return tuple(dict.fromkeys(kind for k in found for kind in PART_KINDS[k]))

    def others(self, query: RecordQuery) -> list[RecordMatch]:
        """For a list of parts with a filter, the guide's other programme parts meeting it ("which
        workshops are held in the Gers?": none, but Table-ronde IV is); [] otherwise."""
        filtered = query.places or query.names or query.contact or query.bound
        rest = tuple(k for k in PART_KINDS["session"] if k not in query.kinds)
        return self.matches(replace(query, kinds=rest)) if query.parts and filtered and rest else []

    def held_in(self, section: Section, places: tuple[str, ...]) -> bool:
        """The section is held in one of `places` (its record's places and communes); True when
        no place is asked."""
        return not places or bool(set(places) & (self.places.get(section.label, set())
                                                 | self.communes.get(section.label, set())))

    def matches(self, query: RecordQuery) -> list[RecordMatch]:
        """Every thing of the guide the query asks for, in the guide's order: each section of the
        query's kinds held in its places, outside its exclusions, meeting its filters (a part);
        or each contact detail or amount of such a section (a detail). Exhaustive: the records
        are read, not ranked."""
        out: list[RecordMatch] = []
        for section in self.guide:
            if section.label in query.excluded or (query.kinds and section.kind not in query.kinds) \
                    or not self.held_in(section, query.places):
                continue
            out += self.part_match(section, query) if query.parts else self.detail_matches(section, query)
        return out

    def part_match(self, section: Section, query: RecordQuery) -> list[RecordMatch]:
        """[the section] when it meets the query's filters, quoting the sentence that meets the
        first (its contact, the sentence printing the names, its amount); [] otherwise."""
        quotes: list[str] = []
        if query.contact:  # "a contact at a DDETS": the names in its contact lines or speakers
            lines = [q for _, q in contact_lines(section, query.contact, speakers=bool(query.names))
                     if prints(q, query.names)]
            if not lines:
                return []
            quotes.append(lines[0])
        elif query.names:
            if not prints(section.text, query.names):
                return []
            quotes.append(naming_sentence(section, query.names))
        if query.above is not None or query.below is not None:
            funded = [f.sentence for f in section.funding if any(in_bounds(a, query) for a in f.amounts)]
            if not funded:
                return []
            quotes.append(funded[0])
        return [RecordMatch(section, "", quotes[0] if quotes else "")]

    def detail_matches(self, section: Section, query: RecordQuery) -> list[RecordMatch]:
        """The section's contact details or amounts the query asks for, a match per line (a
        line stating two amounts is one match counting both); with names, those whose sentence
        prints them."""
        if query.item == "amount":
            found = [(f, [a for a in f.amounts if in_bounds(a, query)]) for f in section.funding]
            return [RecordMatch(section, ", ".join(amounts), f.sentence, len(amounts)) for f, amounts in found
                    if amounts and prints(f.sentence, query.names)]
        return [RecordMatch(section, value, quote) for value, quote in contact_lines(section, query.item)
                if prints(quote, query.names)]
