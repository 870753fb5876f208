"""Hybrid retrieval: dense (FAISS via llama-index) + lexical (BM25) + labels named in the
question, fused by reciprocal rank, then grouped by section.

Why our own fusion rather than llama-index's QueryFusionRetriever: the refusal decision needs
each retriever's evidence (cosine, BM25 score) for every fused chunk, which that class drops,
and it resolves the global `Settings.llm` (a remote model) even when no query is generated.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from guide_assistant.assistant.lexical import LexicalRetriever
from guide_assistant.config import RetrievalSettings
from guide_assistant.index.store import LoadedIndex
from guide_assistant.ingest.chunking import heading
from guide_assistant.records import Retrieved, Section

_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "i": "I", "ii": "II", "iii": "III", "iv": "IV"}
_ATELIER = re.compile(r"\b(?:atelier|workshop)\s*(?:n\s*°|no\.?|n°|num[ée]ro|number|#)?\s*(\d{1,2})\b", re.I)
_TABLE = re.compile(r"\b(?:table[-\s]?ronde|round[-\s]?table)\s*(?:n\s*°|no\.?|#)?\s*(iv|iii|ii|i|[1-4])\b", re.I)
_PARTNER = re.compile(r"\batelier\s+partenaire\b|\bpartner\s+workshop\b", re.I)
LABEL_BONUS = 1.0  # larger than any RRF sum: a section named in the question comes first
HISTORY_BONUS_RANK = 3  # previous turn's sections enter the fusion as a list at this rank
LINKED_PAGE_RANK_SHIFT = 2  # a linked page counts as ranked 2 places lower: the guide's text ranks first
# An editorial section (the prefect's word, the introduction: they touch every topic in general
# terms) counts as ranked this many places lower, so that a programme question lands on the
# workshop; a question about the conference itself still finds them when nothing else matches.
EDITORIAL_RANK_SHIFT = 3
NAMED_RATIO = 0.6  # a section the question names is answered when its fused score is this close to the first's
# (chosen on eval/dev_questions.jsonl: fact recall 0.915 and citation precision 0.785 with 0.6; 0.905 / 0.791 with 0.8)


def named_labels(question: str, known: set[str]) -> list[str]:
    """Section labels the question names explicitly ("atelier 2", "table ronde IV", …)."""
    found = [f"Atelier n°{int(m.group(1))}" for m in _ATELIER.finditer(question)]
    found += [f"Table-ronde {_ROMAN[m.group(1).lower()]}" for m in _TABLE.finditer(question)]
    if _PARTNER.search(question):
        found.append("Atelier partenaire")
    return [label for label in dict.fromkeys(found) if label in known]


def rank_shift(section: Section) -> int:
    """Places a section's chunks lose in the fusion: linked pages and editorial sections rank
    below the guide's programme when they match as well."""
    if section.kind == "linked-page":
        return LINKED_PAGE_RANK_SHIFT
    return EDITORIAL_RANK_SHIFT if section.role == "editorial" else 0


@dataclass(frozen=True)
class SectionHit:
    """A section ranked for a question: its label, fused score, best evidence, and whether the
    question names it by its own topic words (see `mark_named`)."""

    label: str
    score: float
    dense: float
    lexical: float
    chunks: list[Retrieved]
    named: bool = False  # the question names this section by a topic word of its own


class HybridRetriever:
    """Dense + BM25 + named labels, reciprocal-rank fused (k = settings.rrf_k)."""

    def __init__(self, index: LoadedIndex, settings: RetrievalSettings):
        self.index = index
        self.settings = settings
        self.by_id = {c.id: i for i, c in enumerate(index.chunks)}
        self.shifts = [rank_shift(index.sections[c.section]) for c in index.chunks]
        self.lexical = LexicalRetriever(index.chunks, {k: heading(s) for k, s in index.sections.items()},
                                        index.word_map.translate)
        self.dense = index.vector_index.as_retriever(similarity_top_k=min(settings.candidates, len(index.chunks)))

    def dense_ranked(self, query: str) -> list[tuple[int, float]]:
        """(chunk index, cosine) best first."""
        return [(self.by_id[n.node.node_id], float(n.score)) for n in self.dense.retrieve(query)]

    def retrieve(self, query: str, english: bool = False, prior_sections: list[str] = (),
                 excluded: set[str] = frozenset()) -> list[Retrieved]:
        """Top-k chunks for `query`, fused. `prior_sections`: labels from the previous turn;
        `excluded`: labels whose chunks are left out before the top k are taken ("apart from…")."""
        dense = self.dense_ranked(query)
        lexical = self.lexical.retrieve(query, self.settings.candidates, expand=english)
        chunks = self.index.chunks
        scores: dict[int, float] = defaultdict(float)
        for ranked in (dense, lexical):
            for rank, (i, _) in enumerate(ranked):
                scores[i] += 1.0 / (self.settings.rrf_k + rank + 1 + self.shifts[i])
        for label in named_labels(query, set(self.index.sections)):
            for i, c in enumerate(chunks):
                if c.section == label:
                    scores[i] += LABEL_BONUS
        for i in list(scores):
            if chunks[i].section in prior_sections:
                scores[i] += 1.0 / (self.settings.rrf_k + HISTORY_BONUS_RANK)
        dense_of, lex_of = dict(dense), dict(lexical)
        best = sorted((i for i in scores if chunks[i].section not in excluded), key=scores.get,
                      reverse=True)[: self.settings.top_k]
        return [Retrieved(chunk=chunks[i], score=scores[i], dense=dense_of.get(i), lexical=lex_of.get(i)) for i in best]


def group_sections(hits: list[Retrieved]) -> list[SectionHit]:
    """Sections of the retrieved chunks, best first (score = best chunk's fused score)."""
    groups: dict[str, list[Retrieved]] = defaultdict(list)
    for h in hits:
        groups[h.chunk.section].append(h)
    out = [
        SectionHit(label, max(h.score for h in hs), max((h.dense or 0.0) for h in hs),
                   max((h.lexical or 0.0) for h in hs), hs)
        for label, hs in groups.items()
    ]
    return sorted(out, key=lambda s: s.score, reverse=True)


def topic_sections(hits: list[SectionHit], topics: dict[str, set[str]]) -> set[str]:
    """The hits (fused score within NAMED_RATIO of the first) that a topic word of the question
    points to alone among them (a word the guide uses in that one of them)."""
    labels = {h.label for h in hits if h.score >= NAMED_RATIO * hits[0].score}
    return {next(iter(found & labels)) for found in topics.values() if len(found & labels) == 1}


def mark_named(hits: list[SectionHit], named: set[str]) -> list[SectionHit]:
    """`hits` with `named` set on those sections when the question names two or more of them
    ("Compare l'aide par repas de cantine et par petit-déjeuner"); else unchanged."""
    if len(named & {h.label for h in hits}) < 2:
        return hits
    return [replace(h, named=h.label in named) for h in hits]
