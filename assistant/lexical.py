"""Lexical retriever: BM25 (bm25s) over the chunks with French-aware tokenisation.

Why not llama-index's BM25Retriever: it cannot fold accents (officials type "dejeuner",
"equipe"), and it drops stopwords from documents but not from queries. bm25s is the engine
under it; we give it our own tokens:
lower-case → words → stopwords (French + English) removed → French Snowball stem → accents
folded. A question's words the guide never prints are also searched as the guide's closest
words (the index's WordMap, a multilingual embedder), so that "breakfast" finds "déjeuner".
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable

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

def fold(text: str) -> str:
    """Lower-case, accents removed ("Défenseur" → "defenseur")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


Translate = Callable[[list[str]], list[str]]


def tokenize(text: str, translate: Translate | None = None) -> list[str]:
    """BM25 tokens of `text`: stopwords dropped, French stems, accents folded. translate: maps
    the text's content words to the guide's words (WordMap.translate), searched too."""
    words = [w for w in _WORD.findall(text.lower())]
    if translate:
        words += translate([w for w in words if w not in STOPWORDS])
    kept = [w for w in words if w not in STOPWORDS and fold(w) not in STOPWORDS]
    return [fold(s) for s in _STEMMER.stemWords(kept)]


TOPICAL_MAX_SECTIONS = 2  # a word found in at most this many sections names a topic of the guide
_PLURAL = re.compile(r"(\w{3,})[sx]\b")  # a plural's singular ("déjeuners" → "déjeuner")
# A name as printed: an acronym, or a capitalised word after a lower-case word or a comma (not a
# sentence's first word): "UDAF", "Kalipolys", "Défenseur des droits".
NAME = re.compile(r"\b[A-ZÀ-Ý]{2,}\b|(?<=[a-zà-ÿ,] )[A-ZÀ-Ý][\w-]+")


class LexicalRetriever:
    """BM25 over chunk texts (with their section heading). `retrieve` returns (chunk index,
    BM25 score > 0) best first; scores are raw BM25 (unbounded, ≥ 0)."""

    def __init__(self, chunks: list[Chunk], headings: dict[str, str], translate: Translate | None = None):
        """translate: the index's WordMap.translate, used by `retrieve(…, expand=True)`."""
        self.chunks = chunks
        self.translate = translate
        corpus = [tokenize(f"{headings.get(c.section, c.section)}\n{c.text}") for c in chunks]
        # what names a section: its heading's words (title, place; singular and plural, which
        # stem apart: "déjeuners"/"déjeuner"), not its number, and the names the guide prints
        self.naming = {t for h in headings.values() for t in tokenize(h + " " + _PLURAL.sub(r"\1", h))
                       if not t.isdigit()}
        self.naming |= {t for c in chunks for t in tokenize(" ".join(NAME.findall(c.text)))}
        self.vocab = {t for doc in corpus for t in doc}
        self.sections_of: dict[str, set[str]] = {}
        for c, doc in zip(chunks, corpus):
            for t in doc:
                self.sections_of.setdefault(t, set()).add(c.section)
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)

    def retrieve(self, query: str, k: int, expand: bool = False) -> list[tuple[int, float]]:
        """expand: search the query's words the guide never prints as the guide's closest words
        (on for English questions)."""
        tokens = [t for t in tokenize(query, self.translate if expand else None) if t in self.vocab]
        if not tokens:
            return []
        k = min(k, len(self.chunks))
        idx, scores = self.bm25.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(idx[0], scores[0]) if s > 0]

    def section_scores(self, text: str, expand: bool = False) -> list[tuple[str, float]]:
        """Sections by the best BM25 score of their chunks for `text`'s own words (and, with
        `expand`, the guide's words for those it never prints), best first."""
        best: dict[str, float] = {}
        for i, score in self.retrieve(text, len(self.chunks), expand):
            label = self.chunks[i].section
            best[label] = max(best.get(label, 0.0), score)
        return sorted(best.items(), key=lambda kv: kv[1], reverse=True)

    def topical_terms(self, text: str, expand: bool = False) -> dict[str, set[str]]:
        """Tokens of `text` that name a topic of the guide (found in at most
        TOPICAL_MAX_SECTIONS sections), each with the labels of the sections that use it.
        "Défenseur des droits" names one; "qui dois-je contacter" names none. expand: also the
        guide's words standing for those it never prints ("breakfast" → "déjeuner")."""
        return {t: self.sections_of[t] for t in tokenize(text, self.translate if expand else None)
                if 0 < len(self.sections_of.get(t, ())) <= TOPICAL_MAX_SECTIONS}

    def naming_terms(self, text: str, expand: bool = False) -> dict[str, set[str]]:
        """The `topical_terms` of `text` that name their sections: a word of a section's heading
        ("PAEJ", "cantines", "Lourdes") or a name the guide prints ("UDAF", "Kalipolys"), not an
        everyday word the guide happens to use once ("journée", "rien", "village")."""
        return {t: labels for t, labels in self.topical_terms(text, expand).items() if t in self.naming}
