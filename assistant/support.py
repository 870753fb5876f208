"""Figures bound to their subject: a detail of a generated sentence (amount, phone, date, number
with a unit…) must stand in the guide's sentence that says what the generated clause says, not
merely somewhere in the cited sections.

The check that keeps only details found in the cited sections (assistant/generate.py,
`check_answer`) lets through "the State pays €3 per school breakfast" when the breakfast and
canteen workshops are both cited: 3 € is in the canteen's sentence. Here each detail is read in
its clause (the part of the sentence between ";", ", ", "et", "and"…), the clause without its
details is matched to the cited sentences (shared words, then the index's embedder), and the
detail must be in one of the two closest cited sentences or in a sentence next to one (a label
and its value are often printed as two lines: "Contactez l'ASP :" then "Tél. : 05 49 37 56
30"): the sentence-window idea of llama-index's
SentenceWindowNodeParser, applied to a claim instead of a query.
"""

from __future__ import annotations

import re

import bm25s
import numpy as np

from guide_assistant.assistant.details import Detail, Evidence, extract_details, nfkc
from guide_assistant.assistant.lexical import Translate, tokenize
from guide_assistant.index.embedders import BundledEmbedding

# Where a sentence's clauses part: ";", a comma followed by a space (not "1,30"), and the
# coordinating words of French and English.
_CLAUSE = re.compile(r";|,\s+|\s+(?:et|and|mais|but|tandis que|alors que|whereas|while|puis|then)\s+", re.I)
MIN_CLAUSE_WORDS = 3  # a clause with fewer words besides its detail ("et 3 €") is read in the whole sentence
TOP = 2  # closest cited sentences whose windows may hold the detail
WINDOW = 1  # sentences either side of the closest one that count as its context


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
    """Finds, for a generated clause, the cited sentences that say the same thing.

    sentence_vectors: section label → (its sentences in document order, (n, dim) float32
    L2-normalised passage embeddings), as stored in the index. translate: the index's
    WordMap.translate (an English clause's words as the guide's closest French words).
    """

    def __init__(self, embedder: BundledEmbedding, sentence_vectors: dict[str, tuple[list[str], np.ndarray]],
                 translate: Translate | None = None):
        self.embedder = embedder
        self.sentence_vectors = sentence_vectors
        self.translate = translate

    def window(self, clause: str, labels: list[str]) -> str:
        """The TOP cited sentences that best match the clause's words (BM25 over the cited
        sentences, stemmed words: a word rare among them, "repas", weighs more than one they all
        share, "cantine"; ties broken by the cosine of their embeddings), each with its WINDOW
        neighbours in its section, joined; "" when the sections have no sentences.

        Why words first: within one section the bundled embedder's cosines of a claim with the
        section's sentences lie within a few hundredths (0.80-0.85 for "l'État prend en charge …
        par repas servi", the sentence saying it ranking 7th of 11)."""
        pool = [(sents, k, vecs[k]) for label in labels
                for sents, vecs in [self.sentence_vectors.get(label, ([], None))] for k in range(len(sents))]
        if not pool:
            return ""
        bm25 = bm25s.BM25()
        bm25.index([tokenize(sents[k]) or ["∅"] for sents, k, _ in pool], show_progress=False)
        lexical = bm25.get_scores(tokenize(clause, self.translate) or ["∅"])
        q = np.asarray(self.embedder.get_text_embedding(clause), dtype=np.float32)
        order = sorted(range(len(pool)), key=lambda i: (-lexical[i], -float(pool[i][2] @ q)))[:TOP]
        return "\n\n".join("\n".join(pool[i][0][max(0, pool[i][1] - WINDOW): pool[i][1] + WINDOW + 1]) for i in order)

    def misbound(self, sentence: str, labels: list[str]) -> list[Detail]:
        """Details of `sentence` that the cited sections hold, but not in the sentence (window)
        closest to the detail's clause: a figure bound to another subject. Details the sections
        do not hold at all are `check_answer`'s to remove."""
        whole = Evidence("\n\n".join("\n".join(self.sentence_vectors.get(lab, ([], None))[0]) for lab in labels))
        out = []
        details = extract_details(sentence, dates=True, quantities=True)
        for d in details:
            if whole.supports(d) and not Evidence(self.window(subject(clause_of(sentence, d), details), labels)).supports(d):
                out.append(d)
        return out
