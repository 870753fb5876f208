"""Figures bound to their subject: a detail of a generated sentence (amount, phone, date, number
with a unit…) must stand in the guide's sentence that says what the generated clause says, not
merely somewhere in the cited sections.

The check that keeps only details found in the cited sections (assistant/generate.py,
`check_answer`) lets through "the State pays €3 per school breakfast" when the breakfast and
canteen workshops are both cited: 3 € is in the canteen's sentence. Here each detail is read in
its clause (the part of the sentence between ";", ", ", "et", "and"…); the clause without its
details is matched to the cited sentences by their words (BM25), and a cited sentence holding
the detail must match it about as well as the best one does. A sentence is scored with its
neighbours (a label and its value are often printed as two lines: "Contactez l'ASP :" then
"Tél. : 05 49 37 56 30"): the sentence-window idea of llama-index's SentenceWindowNodeParser,
applied to a claim instead of a query.

Why words and not the embedder: within one section the bundled embedder's cosines of a claim
with the section's sentences lie within a few hundredths (0.80-0.85 for "l'État prend en
charge … par repas servi", the sentence saying it ranking 7th of 11 in Atelier n°1).
"""

from __future__ import annotations

import re

import bm25s
import numpy as np

from guide_assistant.details import Detail, Evidence, extract_details, nfkc
from guide_assistant.assistant.lexical import Translate, tokenize

# Where a sentence's clauses part: ";", a comma followed by a space (not "1,30"), and the
# coordinating words of French and English.
_CLAUSE = re.compile(r";|,\s+|\s+(?:et|and|mais|but|tandis que|alors que|whereas|while|puis|then)\s+", re.I)
MIN_CLAUSE_WORDS = 3  # a clause with fewer words besides its detail ("et 3 €") is read in the whole sentence
BOUND_RATIO = 0.5  # least share of the best cited sentence's match a detail's own sentence must reach
WINDOW = 1  # neighbours either side whose words count for a sentence


def clause_of(sentence: str, detail: Detail) -> str:
    """The clause of `sentence` that holds `detail` (the whole sentence when the clause has fewer
    than MIN_CLAUSE_WORDS words besides the detail, or when the detail is not found as written)."""
    text = nfkc(sentence)
    at = text.find(detail.text)
    if at < 0:
        return text
    start = 0
    for m in _CLAUSE.finditer(text):
        if m.start() > at:
            end = m.start()
            break
        if m.end() <= at:
            start = m.end()
    else:
        end = len(text)
    clause = text[start:end]
    return clause if len(re.findall(r"\w+", clause.replace(detail.text, ""))) >= MIN_CLAUSE_WORDS else text


def subject(clause: str, details: list[Detail]) -> str:
    """The clause without its details: what it says something about ("the State pays … per
    school breakfast"), so that the closest guide sentence is found by subject, not by a figure
    that looks like another one."""
    for d in details:
        clause = clause.replace(d.text, "…")
    return clause


class ClauseEvidence:
    """Tells, for a generated clause, whether the cited sentence holding its detail says what the
    clause says.

    sentence_vectors: section label → (its sentences in document order, embeddings), as stored in
    the index (only the sentences are read). translate: the index's WordMap.translate (an English
    clause's words as the guide's closest French words).
    """

    def __init__(self, sentence_vectors: dict[str, tuple[list[str], np.ndarray]], translate: Translate | None = None):
        self.sentence_vectors = sentence_vectors
        self.translate = translate

    def misbound(self, sentence: str, labels: list[str]) -> list[Detail]:
        """Details of `sentence` that the cited sections hold, but only in sentences that match
        the detail's clause (its words, BM25 over the cited sentences, each sentence scored with
        its WINDOW neighbours) less than BOUND_RATIO as well as the best-matching cited sentence
        does: a figure bound to another subject. Details the sections do not hold at all are
        `check_answer`'s to remove; a clause sharing no word with the cited sentences (an English
        word the guide's vocabulary cannot map) is not judged."""
        pool = [(label, k, sentence_) for label in labels
                for k, sentence_ in enumerate(self.sentence_vectors.get(label, ([], None))[0])]
        details = extract_details(sentence, dates=True, quantities=True)
        if not pool or not details:
            return []
        bm25 = bm25s.BM25()
        bm25.index([tokenize(text) or ["∅"] for _, _, text in pool], show_progress=False)
        evidence = [Evidence(text) for _, _, text in pool]
        out = []
        for d in details:
            lexical = bm25.get_scores(tokenize(subject(clause_of(sentence, d), details), self.translate) or ["∅"])
            holding = [self.windowed(lexical, pool, i) for i, ev in enumerate(evidence) if ev.supports(d)]
            best = max(lexical)
            if holding and best > 0 and max(holding) < BOUND_RATIO * best:
                out.append(d)
        return out

    @staticmethod
    def windowed(lexical: np.ndarray, pool: list[tuple[str, int, str]], i: int) -> float:
        """The best score of pool sentence i and its WINDOW neighbours of the same section (the
        pool lists each section's sentences in document order)."""
        near = range(max(0, i - WINDOW), min(len(pool), i + WINDOW + 1))
        return float(max(lexical[j] for j in near if pool[j][0] == pool[i][0]))
