"""What a dated, regional guide cannot say about a question: later years and today's status,
other regions, names it never uses. Also the guide's edition, for dating every figure.

Retrieval similarity cannot see these limits (such questions are close to a workshop in
wording), so they are read from the question against facts about the guide: its date (found
in its text), its region (from its sections' places), its vocabulary. Wording cues of time
("still", "toujours", "depuis") are facts of French and English, not of any question set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from guide_assistant.assistant.geography import places_in, region_of
from guide_assistant.assistant.lexical import fold
from guide_assistant.records import Section

MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
# Month and day names are capitalised in English without naming anything.
CALENDAR = {fold(w) for w in MONTHS_EN + MONTHS_FR + ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                    "Saturday", "Sunday"]}
_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS_FR) + r")\s+((?:19|20)\d\d)\b", re.I)
_YEAR = re.compile(r"\b(20\d\d)\b")
_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)")  # a sentence and its closing marks
# A period starting at a year ("since 2021", « depuis 2021 », « après 2021 »): it runs past the guide when
# the year is the guide's own or later.
_FROM_YEAR = re.compile(r"\b(?:after|since|post|depuis|apr[èe]s|au-del[àa] de)\s+(?:l'ann[ée]e\s+|the end of\s+|la fin\s+(?:de\s+)?)?(20\d\d)\b", re.I)
# Asking about the present or about change since the guide (French and English time words).
_NOW = re.compile(
    r"\b(aujourd'hui|actuellement|actuel(?:le)?s?|toujours|encore|d[ée]sormais|maintenant|à ce jour|"
    r"depuis (?:la conf[ée]rence|le webinaire|l'atelier|la table-ronde|le guide|lors|cette date|ce moment|\d{4})|cette ann[ée]e(?!-l[àa])|l'an prochain|"
    r"l'ann[ée]e prochaine|prochaine rentr[ée]e|revaloris\w*|augment[ée]\w*|a[- ]t[- ]il (chang|évolu)\w*|"
    r"nouveau montant|dernier[s]? chiffres?|bilan|r[ée]sultats? (?:de|des|du)|apr[èe]s la conf[ée]rence|"
    r"still|currently|current|today|nowadays|now|since (?:the conference|the webinar|the workshop|the guide|then|\d{4})|this year|next year|"
    r"latest|raised|increased|updated|changed|new amount|results? of|outcome|"
    r"after the conference|these days|at present|right now|de nos jours|en ce moment|à l'heure actuelle|"
    r"demain|tomorrow|next week|la semaine prochaine|l'ann[ée]e derni[èe]re|last year|r[ée]cents?|recent(?:ly)?|"
    r"des nouvelles|any news|so far|jusqu'ici|trop tard|too late|replay|rediffusion|recording|depuis\s*\?|"
    # a scheme or event renewed, ended or moved since ("has it been renewed?", "a-t-il été supprimé ?")
    r"reconduit\w*|reconduire|prolong[ée]e?s?\b|prolonger|renouvel[ée]e?s?\b|renouveler|supprim[ée]e?s?\b|annul[ée]e?s?\b|report[ée]e?s? (?:à|au)|"
    r"renewed|extended|discontinued|scrapped|abolished|cancell?ed|postponed|"
    r"(?:did|has|have)\b[^?.!]{1,150}\b(?:actually|ever|yet)\b|\byet(?=\s*\?)|by now|up[- ]to[- ]date|"
    # an announced plan's outcome ("a fini par ouvrir", "ended up"), a bare "since" or « depuis »
    r"(?:a|ont|avez|avons)(?:[- ]t[- ](?:il|elle|on)|-(?:ils|elles))? fini par|end(?:ed|s)? up|eventually|since(?=\s*(?:[?.!,;]|$))|depuis(?=\s*(?:[?.!,;]|$))|depuis lors|"
    # what came of it, and what replaced it (« ça a donné quoi ? », "what came after it", "wound down")
    r"(?:ça|cela) a donné quoi|qu'est-ce que (?:ça|cela) a donné|quoi finalement|finalement(?=\s*\?)|"
    r"what came (?:of|after)|how did it (?:go|turn out)|turned out|wound down|successor|remplac[ée]e?s? par|a pris la suite|"
    # ended or halted since ("a été arrêté ou pas ?", "has it been shut down?")
    r"(?:a|ont|a-t-il|a-t-elle|aurait|auraient) (?:été )?(?:arr[êe]t[ée]|ferm[ée]|stopp[ée]|abandonn[ée]|suspendu|cess[ée])e?s?|"
    r"been (?:stopped|closed|shut|halted|suspended|abandoned|dropped)|(?:closed|shut) down|"
    # a recent past the guide cannot know ("last week", « hier »)
    r"last week|la semaine derni[èe]re|\bhier\b|yesterday|l'an (?:dernier|pass[ée])|l'ann[ée]e pass[ée]e|"
    r"(?:this|next|last) month|ce mois-ci|le mois (?:prochain|dernier)|à l'avenir|in (?:the )?future|"
    r"(?:a|ont|avez|avons)(?:[- ]t[- ](?:il|elle|on)|-(?:ils|elles))? (?:r[ée]ellement|vraiment|effectivement|finalement) (?:[ée]t[ée] )?\w+(?:[ée]e?s?|ie?s?|ue?s?|erte?s?)\b|au final|"
    r"(?:how did|comment s'est pass[ée]e?)\b.{1,60}|(?:a[- ]t[- ](?:il|elle|on)|ont[- ](?:ils|elles)) (?:bien |finalement |vraiment )?"
    r"(?:ouvert|d[ée]marr[ée]|eu lieu|vu le jour)|"
    # a payment or a case running now ("ça fait trois mois qu'on attend le versement")
    r"(?:ça|cela) fait \w+ (?:mois|semaines|jours)|on attend|nous attendons|en retard|retard de paiement|"
    r"pas (?:encore )?(?:re[çc]u|vers[ée])|(?:been )?waiting|delayed|not (?:yet )?(?:received|paid))\b",
    re.I,
)
# "Still" next to a negation is "not yet": the state the question describes, which the guide gives at
# its date (« combien sont encore sans centre social ? », "which departments still don't have one?",
# « je n'ai toujours pas reçu le lien »), not a question about what changed since.
_STILL = re.compile(r"still|encore|toujours", re.I)
_NOT_YET = re.compile(r"\b(?:pas|jamais|sans|aucun\w*|manque\w*|plus|not|no|never|without|lack\w*|\w+n't)\b|\bn'", re.I)
# How the law settles one case (lawsuits, liability, penalties, taxes, tenancy, employment,
# family law): the words of those fields in French and English. A programme guide gives schemes
# and their conditions, never a ruling on someone's case; a word the guide itself uses (its
# "responsabilité", "recours") is no such limit (see ScopeReader.legal).
_LEGAL = {
    "fr": re.compile(
        r"\b(?:en justice|proc[èe]s|poursuites?(?: judiciaires| p[ée]nales)?|plainte|avocats?|tribunal|juges?|"
        r"responsabilit[ée] (?:p[ée]nale|civile|personnelle)|p[ée]nal(?:e|ement)?|condamn[ée]e?s?|amendes?|"
        r"sanctionn[ée]e?s?|sanctions?|imp[ôo]ts?|d[ée]duire|d[ée]ductibles?|d[ée]duction|fiscal(?:e|ement)?|"
        r"bail|locataires?|loyers? impay[ée]s|propri[ée]taire|expuls\w+|licenci\w+|divorce|h[ée]ritage|succession|juridique(?:ment)?|"
        r"ill[ée]gal\w*|l[ée]gal(?:e|ement)?|litiges?|prud'?hommes|notaire|pension alimentaire|"
        # one decision on one case, and its appeal
        r"faire appel|contester|contestation|s'est vu refuser|refus(?:ée?s?)?|revenir sur (?:ce|cette|sa|son|la|le) \w+)\b", re.I),
    "en": re.compile(
        r"\b(?:sue[sd]?|suing|lawsuits?|court|lawyers?|attorneys?|solicitors?|liable|liability|(?:il)?legal(?:ly)?|"
        r"fined|penalt(?:y|ies)|penali[sz]ed|sanctioned|prosecuted|tax(?:es)?|deduct\w*|landlord|tenan(?:t|cy)|"
        r"lease|evict\w*|fired|dismiss(?:ed|al)|inheritance|divorce|custody|have the right to|"
        r"(?:am i|are we|is (?:he|she)) legally allowed|"
        # one decision on one case, and its appeal
        r"appeal(?:s|ed|ing)?|overturn\w*|reversed?|turned down|rejected|refused)\b", re.I),
}
# What will be decided for one person ("ses dettes vont-elles être effacées ?", "que va décider Pôle
# emploi pour lui ?", "will the UDAF find him a flat?"): a decision verb in the future, read only
# when the question also points at one person or at the asker's own file (see `_ONE_PERSON`:
# "will our CCAS's application be selected?"). The guide describes schemes; it
# cannot tell how one case will end.
_DECIDED = {
    "fr": re.compile(r"\b(?:va|vont)(?:[- ]t[- ](?:il|elle|on)|-(?:ils|elles))?\s+(?:[\w]+\s+)?"
                     r"(?:[êe]tre|se voir|d[ée]cider|accepter|refuser|obtenir|avoir|recevoir|toucher|garder|perdre)\b|\b(?:sera|seront)(?:[- ]t[- ](?:il|elle)|-(?:ils|elles))?\s+"
                     r"\w+[ée]e?s?\b|\b(?:paiera|paieront|d[ée]cidera|d[ée]cideront|acceptera|refusera|obtiendra)\b", re.I),
    "en": re.compile(r"\b(?:will|is (?:he|she|it) going to|are they going to)\b[^?.!]{0,100}?\b(?:be|get|find|decide|pay|accept|"
                     r"refuse|lose|keep)\b", re.I),
}
_ONE_PERSON = {
    "fr": re.compile(r"\b(?:lui|son|sa|ses|elle|leur)\b|\b(?:notre|mon|ma) (?:dossier|candidature|demande|projet)\b", re.I),
    "en": re.compile(r"\b(?:him|her|his|she|he)\b|\b(?:our|my)\b(?:\s+\w+'s)?\s+(?:application|file|request|bid|project)\b", re.I),
}
# Places outside any one region named without a place name: other regions, the rest of the
# country, overseas (French and English).
_OTHER_PLACES = re.compile(
    r"\b(?:(?:other|another) (?:regions?|departments?|départements?|countr(?:y|ies))(?! (?:of|in) (?:the|our|this) region)|"
    r"(?:the )?rest of (?:France|the country)|elsewhere in France|abroad|"
    r"(?:the )?(?:north|south|east|west) of France|(?:northern|southern|eastern|western) France|overseas|outre-mer|"
    r"DOM-TOM|(?:les |d'|une? )?autres? (?:r[ée]gions?|d[ée]partements?|pays)(?! de (?:la|notre|cette) r[ée]gion)|"
    r"(?:le )?reste de la France|ailleurs en France|à l'[ée]tranger|(?:le )?(?:nord|sud|est|ouest) de la France)\b",
    re.I)
# Acronyms of everyday French used as common nouns (social housing, homeless people) and the
# interjection "OK": topics a guide covers in other words, or no topic, not names of a scheme it omits.
EVERYDAY_ACRONYMS = {"HLM", "SDF", "OK"}
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,6}\+?(?![\w])")
_ROMAN = re.compile(r"^[IVX]+$")
# A scheme named by a scheme noun and the word after it ("contrat d'engagement", "prime
# d'activité", "pass Sport"): French and English nouns that name schemes.
_SCHEME = re.compile(
    r"\b(?:dispositif|programme|plan|pass|contrat|label|fonds|prime|ch[èe]que|bonus|allocation|carte|garantie|"
    r"scheme|program|fund|allowance|card|contract|guarantee)\s+(?:(?:de la|de l'|d'|de|du|des)\s*)?[\w’'-]{3,}", re.I)
_QUOTED = re.compile(r"[«\"“]\s*([^»\"”]{3,60}?)\s*[»\"”]|(?<![\w’'])['‘]([^'’‘]{3,60}?)['’](?![\w’'])")
_CAPITALISED = re.compile(r"(?<=[\w,;:] )([A-ZÀ-Ý][\w’'-]+(?: (?:de |d'|du |des )?[A-ZÀ-Ý][\w’'-]+)*)")
# A person's name follows a civility ("Mme Dupont", "Mr Smith"): a resident, not a scheme the guide omits.
_CIVILITY = re.compile(r"\b(?:M|Mme|Mlle|Mr|Mrs|Ms|Dr|Madame|Monsieur|Mademoiselle)\.?\s*$")
_ENGLISH_SCHEME_NOUNS = {"scheme", "program", "programme", "fund", "allowance", "card", "contract", "plan", "guarantee"}
# Words that qualify a scheme noun without naming a scheme ("des bonus spécifiques", "a special fund"):
# French and English adjectives of kind, novelty and level.
_QUALIFIERS = {"specifique", "specifiques", "particulier", "particuliers", "particuliere", "particulieres",
               "special", "speciale", "speciaux", "speciales", "supplementaire", "supplementaires",
               "exceptionnel", "exceptionnelle", "exceptionnels", "exceptionnelles", "existant", "existants",
               "existante", "existantes", "possible", "possibles", "eventuel", "eventuelle", "eventuels",
               "eventuelles", "nouveau", "nouvelle", "nouveaux", "nouvelles", "autre", "autres", "dedie", "dedies",
               "dediee", "dediees", "adapte", "adaptes", "adaptee", "adaptees", "national", "nationale", "nationaux",
               "nationales", "local", "locale", "locaux", "locales", "regional", "regionale", "regionaux",
               "regionales", "departemental", "departementale", "departementaux", "departementales", "communal",
               "communale", "communaux", "communales", "municipal", "municipale", "municipaux", "municipales",
               "specific", "special", "additional", "existing", "new", "other", "local", "national", "regional",
               "dedicated", "extra", "particular", "similar", "similaires", "semblable", "semblables", "pareil"}
_STOP_EN = {"with", "to", "in", "on", "at", "my", "our", "your", "their", "this", "that", "a", "an", "is", "are"}
_STOP_INITIALS = {"de", "des", "du", "d", "la", "le", "les", "l", "a", "à", "au", "aux", "et", "en", "pour", "of",
                  "the", "and", "for"}


def name_pattern(name: str, numbered: bool = False) -> re.Pattern:
    """How a name is found in folded text (see `lexical.fold`): its words in order, any
    punctuation, space or line break between them, case and accents ignored; `numbered`: a
    number may be glued to it ("Caf32" for "CAF")."""
    words = re.findall(r"\w+", fold(name))
    return re.compile(r"\b" + r"\W+".join(map(re.escape, words)) + (r"\d*" if numbered else "") + r"\b")


def written_names(question: str) -> list[str]:
    """Names as the question writes them: acronyms ("UDAF", "REP+"; Roman numerals aside) and
    quoted names (« 1 jeune 1 solution », 'Territoires zéro chômeur'), in order."""
    acronyms = [a for a in _ACRONYM.findall(question) if not _ROMAN.match(a)]
    return acronyms + [a or b for a, b in _QUOTED.findall(question)]


def scheme_name(match: str, language: str) -> bool:
    """A `_SCHEME` match names a scheme: its last word is no small word ("fund for") nor a
    qualifier ("bonus spécifiques"), and in
    English it is capitalised ("the Youth Fund", not "the programme apply") unless the noun is
    French ("the contrat d'engagement jeune")."""
    noun, last = match.split()[0], match.split()[-1]
    if fold(last) in _STOP_INITIALS | _STOP_EN | _QUALIFIERS:
        return False
    return language != "en" or fold(noun) not in _ENGLISH_SCHEME_NOUNS or last[:1].isupper()


def asked_sentences(text: str) -> str:
    """`text` from its first question on (the first sentence ending with "?"); all of `text` when
    none does. The statements before a question are the asker's situation, not what they ask:
    "every winter our seasonal staff end up in money trouble. Who runs the desk?" asks nothing
    of an outcome, « les familles passent toujours après. C'est qui le bon interlocuteur ? »
    nothing of today; a statement after it belongs to it ("Who took over from him? I'd like to
    invite whoever has the job now.")."""
    first = next((m for m in _SENTENCE.finditer(text) if m.group(0).rstrip().endswith("?")), None)
    return text[first.start():] if first else text


def _ends(words: str) -> str:
    """A long match shown by its first and last words ("will … be"), as the limit note quotes it."""
    parts = words.split()
    return words if len(parts) <= 6 else f"{parts[0]} … {parts[-1]}"


@dataclass(frozen=True)
class Edition:
    """The guide's date as printed ("07 juillet 2021") and its short forms."""

    date: str
    day: int
    year: int
    month_fr: str
    month_en: str

    def long(self, language: str) -> str:
        """"7 juillet 2021" / "7 July 2021"."""
        return f"{self.day} {self.month_fr if language == 'fr' else self.month_en} {self.year}"

    def month_year(self, language: str) -> str:
        """"juillet 2021" / "July 2021"."""
        return f"{self.month_fr if language == 'fr' else self.month_en} {self.year}"

    def label(self, language: str) -> str:
        """"guide de juillet 2021" / "guide of July 2021": the mark put beside every figure."""
        if language != "fr":
            return f"guide of {self.month_year('en')}"
        de = "d'" if self.month_fr[0] in "aeiouy" else "de "  # « guide d'avril », « guide d'octobre »
        return f"guide {de}{self.month_year('fr')}"


def edition(sections: list[Section]) -> Edition | None:
    """The first full date printed in the guide's sections (the conference's day for this guide:
    « Planning du 07 juillet 2021 »); None when the guide prints none."""
    for s in sections:
        if s.kind == "linked-page":
            continue
        m = _DATE.search(s.text)
        if m:
            month = m.group(2).lower()
            return Edition(m.group(0), int(m.group(1)), int(m.group(3)), month, MONTHS_EN[MONTHS_FR.index(month)])
    return None


@dataclass(frozen=True)
class Limits:
    """What the guide cannot say about a question. later: it asks about a year after the guide
    or about today's status; elsewhere: places outside the guide's region it names; unnamed:
    names (acronyms, capitalised or quoted names) the guide never uses; legal: words asking how
    the law settles one case (a lawsuit, liability, taxes, a lease) that the guide never uses."""

    later: bool = False
    elsewhere: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)
    legal: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.later or bool(self.elsewhere) or bool(self.unnamed) or bool(self.legal)


def _expansions_at(letters: str, words: list[str], i: int) -> str | None:
    """The words from `words[i]` whose initials spell `letters` (small words skipped), or None."""
    k, j, picked = 1, i + 1, [words[i]]
    while k < len(letters) and j < len(words) and j - i < 3 * len(letters):
        w = words[j]
        if w in _STOP_INITIALS:
            picked.append(w)
        elif len(w) >= MIN_EXPANSION_WORD and w[0] == letters[k]:
            picked.append(w)
            k += 1
        else:
            return None
        j += 1
    return " ".join(picked) if k == len(letters) else None


MIN_EXPANSION_WORD = 3  # letters of a word an acronym's initial may stand for
MIN_EXPANSION_COUNT = 2  # a 3-letter acronym's spelt-out form must occur this often (chance matches occur once)


def expand_acronym(acronym: str, words: list[str]) -> str | None:
    """The guide's words whose initials spell `acronym` ("VIF" → "violences intra familiales",
    "AMI" → "appels a manifestation d interet"), small words skipped: the most frequent such
    run; for acronyms of 3 letters or fewer, only one that occurs at least twice. None when none."""
    letters = acronym.lower().rstrip("+")
    if len(letters) < 3:
        return None
    counts: dict[str, list] = {}  # singular form → [first spelling, occurrences]
    for i, w in enumerate(words):
        if w and w[0] == letters[0] and w not in _STOP_INITIALS and len(w) >= MIN_EXPANSION_WORD:
            found = _expansions_at(letters, words, i)
            if found:  # "appel à …" and "appels à …" are one expansion
                key = " ".join(w.rstrip("sx") for w in found.split())
                counts.setdefault(key, [found, 0])[1] += 1
    if not counts:
        return None
    best, n = max(counts.values(), key=lambda v: v[1])
    return best if len(letters) > 3 or n >= MIN_EXPANSION_COUNT else None


class ScopeReader:
    """Reads a question's limits against one guide (its date, region, text and vocabulary)."""

    def __init__(self, sections: list[Section]):
        guide = [s for s in sections if s.kind != "linked-page"]
        self.edition = edition(guide)
        self.region = region_of([s.place for s in guide if s.place])
        self.raw = "\n".join(s.text for s in sections)
        self.text = fold(self.raw)
        self.words = re.findall(r"\w+", self.text)
        self.own_places = {name for s in guide for name, _ in places_in(s.place)}

    def uses(self, name: str) -> bool:
        """The guide's text holds `name` as a word or phrase (see `name_pattern`)."""
        return bool(name_pattern(name).search(self.text))

    def known(self, name: str) -> bool:
        """The guide uses `name`, or spells out the acronym, or prints every capitalised word of a
        name put together, capitalised ("Kalipolys de Langogne": the guide names Kalipolys and
        Langogne; "Grand Est" is not known from "Grand Cahors" and the verb "est")."""
        if self.uses(name) or (name.isupper() and expand_acronym(name, self.words) is not None):
            return True
        parts = [w for w in re.split(r"[\s'’]+", name) if w[:1].isupper()]
        return len(parts) > 1 and all(re.search(r"\b" + re.escape(w) + r"\b", self.raw) for w in parts)

    def later(self, question: str) -> bool:
        """The question asks about a year after the guide, a period from the guide's year on
        ("since 2021", « après 2021 »), or the present or a change."""
        years = [int(y) for y in _YEAR.findall(question)]
        if self.edition and any(y > self.edition.year for y in years):
            return True
        if self.edition and any(int(y) >= self.edition.year for y in _FROM_YEAR.findall(question)):
            return True
        asked = asked_sentences(question)
        return any(not _NOT_YET.search(asked[max(0, m.start() - 24): m.end() + 24])
                   or not _STILL.fullmatch(m.group(0)) for m in _NOW.finditer(asked))

    def elsewhere(self, question: str) -> list[str]:
        """Places of the question in another region than the guide's, and the words that point
        outside it without a place name ("other regions", "outside Occitanie", "outre-mer");
        none when the guide's region is unknown."""
        if not self.region:
            return []
        outside = re.search(rf"\b(?:outside(?: of)?|hors(?: de)?|en dehors de)\s+(?:l'|la |the )?{re.escape(self.region)}\b",
                            question, re.I)
        return [name for name, region in places_in(question)
                if region != self.region and name not in self.own_places] + \
            [m.group(0) for m in _OTHER_PLACES.finditer(question)] + ([outside.group(0)] if outside else [])

    def unnamed(self, question: str, language: str = "fr") -> list[str]:
        """Acronyms, quoted and capitalised names, and scheme names ("contrat d'engagement jeune":
        a scheme noun and the word naming it) of the question that the guide never uses."""
        capitalised = [c for c in _CAPITALISED.findall(question) if not _CIVILITY.search(question.split(c)[0])]
        if language == "en":  # English capitalises common nouns ("the State"): only multiword names,
            # and a word with a capital inside it, which only a name has ("MaPrimeRénov'", "FranceConnect",
            # "Pass'Sport")
            capitalised = [c for c in capitalised if " " in c or re.search(r"[a-zà-ÿ]['’-]?[A-ZÀ-Ý]", c)]
        names = written_names(question) + capitalised
        names += [m.group(0) for m in _SCHEME.finditer(question) if scheme_name(m.group(0), language)]
        places = {fold(p) for p, _ in places_in(question)}
        found = [n for n in dict.fromkeys(names) if n not in EVERYDAY_ACRONYMS
                 and fold(n) not in places and fold(n) not in CALENDAR and not self.known(n)]
        return [n for n in found if not any(n != m and n in m for m in found)]  # "Fonds" within "Fonds vert"

    def legal(self, question: str, language: str = "fr") -> list[str]:
        """Words of the question asking how the law settles one case ("attaque en justice", "income
        tax", "le droit de rester" after "bail") or what will be decided for one person ("ses dettes
        vont être effacées"), that the guide's text never uses, in order."""
        if language not in _LEGAL:
            return []
        # both languages' words: officials quote French terms in English ("taxe d'habitation", "bail")
        found = [m.group(0) for lang in sorted(_LEGAL, key=lambda lang: lang != language)
                 for m in _LEGAL[lang].finditer(question)]
        if _ONE_PERSON[language].search(question):
            found += [_ends(m.group(0)) for m in _DECIDED[language].finditer(question)]
        return [w for w in dict.fromkeys(found) if not self.uses(w)]

    def read(self, question: str, language: str = "fr") -> Limits:
        """The question's Limits (empty when the guide can answer it as asked)."""
        return Limits(self.later(question), self.elsewhere(question), self.unnamed(question, language),
                      self.legal(question, language))

    def acronym_expansions(self, question: str) -> list[str]:
        """The guide's words for the question's acronyms it never writes as such."""
        out = []
        for a in _ACRONYM.findall(question):
            if not _ROMAN.match(a) and not self.uses(a):
                expansion = expand_acronym(a, self.words)
                if expansion:
                    out.append(expansion)
        return out
