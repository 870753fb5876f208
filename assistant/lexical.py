"""Lexical retriever: BM25 (bm25s) over the chunks with French-aware tokenisation.

Why not llama-index's BM25Retriever: it cannot fold accents (officials type "dejeuner",
"equipe"), and it drops stopwords from documents but not from queries. bm25s is the engine
under it; we give it our own tokens:
lower-case → words → stopwords (French + English) removed → French Snowball stem → accents
folded. English questions are also expanded with the guide's French terms (GLOSSARY), so
that "breakfast" finds "petit déjeuner".
"""

from __future__ import annotations

import logging
import re
import unicodedata

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

from guide_assistant.records import Chunk

# bm25s sets its logger to DEBUG on import, which prints on every index build; put it back.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = Stemmer.Stemmer("french")
_EXTRA_STOP = {"n", "l", "d", "qu", "c", "s", "j", "m", "t", "comment", "quel", "quelle", "quels", "quelles",
               "est", "sont", "faire", "peut", "peux", "how", "what", "which", "who", "where", "can", "do",
               "does", "my", "i", "guide", "please", "svp", "vers", "chez"}
STOPWORDS = {w for w in set(STOPWORDS_FRENCH) | set(STOPWORDS_EN) | _EXTRA_STOP}

# English → the guide's French words, for English questions. Source: the guide's vocabulary.
GLOSSARY = {
    "breakfast": "petit déjeuner", "breakfasts": "petits déjeuners", "canteen": "cantine scolaire",
    "canteens": "cantines scolaires", "lunch": "repas cantine", "meal": "repas", "meals": "repas",
    "school": "école scolaire", "schools": "écoles", "pupils": "élèves", "children": "enfants",
    "child": "enfant", "nursery": "crèche", "nurseries": "crèches", "daycare": "crèche accueil",
    "childcare": "petite enfance crèche", "family": "famille", "families": "familles",
    "young": "jeunes", "youth": "jeunes jeunesse", "teenager": "adolescents jeunes",
    "teenagers": "adolescents jeunes", "funding": "financement financer", "fund": "financer",
    "finance": "financer", "grant": "subvention aide", "subsidy": "subvention", "money": "financement",
    "amount": "montant", "cost": "coût", "price": "tarif prix", "pricing": "tarification",
    "debt": "surendettement endettement", "overindebtedness": "surendettement", "budget": "budget",
    "advice": "conseil", "housing": "logement", "home": "logement", "rent": "locative loyer",
    "landlord": "bailleurs", "tenant": "locataires", "job": "emploi", "jobs": "emploi",
    "employment": "emploi insertion", "work": "emploi travail", "unemployed": "demandeurs emploi",
    "companies": "entreprises", "businesses": "entreprises", "business": "entreprises",
    "training": "formation", "apprenticeship": "apprenti alternance", "health": "santé",
    "contract": "contrat", "violence": "violences", "domestic": "intra-familiales",
    "women": "femmes", "rights": "droits", "ombudsman": "défenseur droits", "digital": "numérique",
    "internet": "numérique", "online": "numérique", "culture": "culture", "cultural": "culturelle",
    "grocery": "épicerie", "food": "alimentaire aide alimentaire", "shop": "épicerie",
    "mobility": "mobilité", "transport": "mobilité transport", "driving": "permis conduire",
    "licence": "permis", "license": "permis", "car": "permis mobilité", "seasonal": "saisonniers",
    "workers": "salariés travailleurs", "rural": "rural ruraux", "village": "commune rurale",
    "town": "commune", "city": "ville", "mayor": "maire", "council": "conseil municipal",
    "social": "social sociale", "centre": "centre", "center": "centre", "poverty": "pauvreté",
    "isolation": "isolement", "lonely": "isolement", "registration": "inscription",
    "register": "inscription inscrire", "schedule": "planning déroulé", "programme": "programme",
    "helpline": "numéro vert", "hotline": "numéro vert", "phone": "numéro téléphone tel",
    "call": "contacter numéro", "contact": "contact contacter", "email": "mail",
    "prefect": "préfet", "commissioner": "commissaire", "conference": "conférence",
    "workshop": "atelier", "workshops": "ateliers", "round": "table ronde", "table": "table",
    "union": "union", "unions": "unions", "departmental": "départementales",
    "municipal": "communal", "agency": "agence", "estate": "immobilière", "listening": "écoute",
    "reception": "accueil", "points": "points", "insertion": "insertion", "integration": "insertion",
    "worksite": "chantier", "building": "bâtiment", "obligation": "obligation",
    "dropout": "décrochage déscolarisation", "dropouts": "décrochage déscolarisés",
    "seniors": "personnes âgées", "microcredit": "micro-crédit", "loan": "crédit",
    "benefit": "prestations protection sociale droits", "benefits": "prestations protection sociale droits",
    "allowance": "allocations", "unfair": "droits litiges", "unfairly": "droits litiges",
    "complaint": "saisir saisines", "complain": "saisir", "dispute": "litiges", "disputes": "litiges",
    "discrimination": "discriminations", "bus": "mobilité transport", "jobless": "demandeurs emploi",
    "unemployment": "emploi chômage", "homeless": "logement hébergement", "abuse": "violences",
    "battered": "violences", "partner": "couple violences", "teen": "jeunes adolescents",
    "dropped": "décrochage", "students": "élèves", "pupil": "élèves", "poor": "modestes défavorisées",
    "low-income": "modestes", "income": "ressources", "elderly": "personnes âgées", "lunch": "repas cantine",
}


def fold(text: str) -> str:
    """Lower-case, accents removed ("Défenseur" → "defenseur")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str, expand_english: bool = False) -> list[str]:
    """BM25 tokens of `text`: stopwords dropped, French stems, accents folded."""
    words = [w for w in _WORD.findall(text.lower())]
    if expand_english:
        words += [x for w in words if w in GLOSSARY for x in _WORD.findall(GLOSSARY[w])]
    kept = [w for w in words if w not in STOPWORDS and fold(w) not in STOPWORDS]
    return [fold(s) for s in _STEMMER.stemWords(kept)]


TOPICAL_MAX_SECTIONS = 2  # a word found in at most this many sections names a topic of the guide


class LexicalRetriever:
    """BM25 over chunk texts (with their section heading). `retrieve` returns (chunk index,
    BM25 score > 0) best first; scores are raw BM25 (unbounded, ≥ 0)."""

    def __init__(self, chunks: list[Chunk], headings: dict[str, str]):
        self.chunks = chunks
        corpus = [tokenize(f"{headings.get(c.section, c.section)}\n{c.text}") for c in chunks]
        self.vocab = {t for doc in corpus for t in doc}
        self.sections_of: dict[str, set[str]] = {}
        for c, doc in zip(chunks, corpus):
            for t in doc:
                self.sections_of.setdefault(t, set()).add(c.section)
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)

    def retrieve(self, query: str, k: int, expand_english: bool = False) -> list[tuple[int, float]]:
        tokens = [t for t in tokenize(query, expand_english) if t in self.vocab]
        if not tokens:
            return []
        k = min(k, len(self.chunks))
        idx, scores = self.bm25.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(idx[0], scores[0]) if s > 0]

    def section_scores(self, text: str) -> list[tuple[str, float]]:
        """Sections by the best BM25 score of their chunks for `text`'s own words, best first."""
        best: dict[str, float] = {}
        for i, score in self.retrieve(text, len(self.chunks)):
            label = self.chunks[i].section
            best[label] = max(best.get(label, 0.0), score)
        return sorted(best.items(), key=lambda kv: kv[1], reverse=True)

    def topical_terms(self, text: str, expand_english: bool = False) -> dict[str, set[str]]:
        """Tokens of `text` that name a topic of the guide (found in at most
        TOPICAL_MAX_SECTIONS sections), each with the labels of the sections that use it.
        "Défenseur des droits" names one; "qui dois-je contacter" names none."""
        return {t: self.sections_of[t] for t in tokenize(text, expand_english)
                if 0 < len(self.sections_of.get(t, ())) <= TOPICAL_MAX_SECTIONS}
