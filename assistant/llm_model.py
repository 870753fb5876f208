"""Running the local language model: a llama-index `LlamaCPP` over the file `model_parts`
provisions, with Qwen's ChatML prompt format.

`load_llm` returns a llama-index `LlamaCPP` with the model path given explicitly (never a
download), Qwen's ChatML prompt format and a low temperature, loaded once per process.

Optional dependencies (the "llm" extra): llama-cpp-python (built from source here, with
CMAKE_ARGS="-DGGML_NATIVE=OFF") and llama-index-llms-llama-cpp. `scripts/install.sh` installs them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guide_assistant.assistant.model_parts import ModelProvisionError, PartLocator, ensure_model, get_model

if TYPE_CHECKING:  # pragma: no cover - typing only
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.llms.llama_cpp import LlamaCPP

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- ChatML prompts

QWEN_DEFAULT_SYSTEM_PROMPT = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."


def messages_to_prompt(messages: Sequence[ChatMessage], system_prompt: str | None = None) -> str:
    """Qwen2.5's ChatML, exactly as its chat template renders it with a generation prompt.

    A leading system message is used as is; without one, `system_prompt` or Qwen's default.
    Every message becomes "<|im_start|>{role}\\n{content}<|im_end|>\\n" (roles as given:
    system, user, assistant, tool), and the prompt ends with "<|im_start|>assistant\\n".
    """
    out: list[str] = []
    msgs = list(messages)
    if not msgs or _role(msgs[0]) != "system":
        out.append(f"<|im_start|>system\n{system_prompt or QWEN_DEFAULT_SYSTEM_PROMPT}<|im_end|>\n")
    for m in msgs:
        out.append(f"<|im_start|>{_role(m)}\n{m.content or ''}<|im_end|>\n")
    out.append("<|im_start|>assistant\n")
    return "".join(out)


def completion_to_prompt(completion: str, system_prompt: str | None = None) -> str:
    """A single user turn in Qwen2.5's ChatML (see `messages_to_prompt`)."""
    return (
        f"<|im_start|>system\n{system_prompt or QWEN_DEFAULT_SYSTEM_PROMPT}<|im_end|>\n"
        f"<|im_start|>user\n{completion}<|im_end|>\n<|im_start|>assistant\n"
    )


def _role(message: Any) -> str:
    role = message.role
    return str(getattr(role, "value", role))


# ChatML end markers; llama.cpp also stops on the model's EOS token (<|im_end|> for Qwen2.5).
CHATML_STOP = ["<|im_end|>", "<|endoftext|>", "<|im_start|>"]

# --------------------------------------------------------------------------- load_llm

_LLM_CACHE: dict[tuple, LlamaCPP] = {}
_LLM_CACHE_LOCK = threading.Lock()


def load_llm(
    name: str,
    cache_dir: str | os.PathLike[str],
    n_ctx: int = 4096,
    n_threads: int = 2,
    *,
    max_new_tokens: int = 512,
    temperature: float = 0.1,
    n_batch: int = 512,
    seed: int = 0,
    progress: bool = True,
    locate_parts: PartLocator | None = None,
) -> LlamaCPP:
    """A llama-index LlamaCPP for bundled model `name`, loaded at most once per process.

    n_ctx: context window, in tokens (prompt + answer). n_threads: CPU threads for prompt
    evaluation and generation. max_new_tokens: answer length cap, in tokens (fixed at load:
    LlamaCPP.complete ignores per-call keyword arguments). temperature: sampling temperature.
    n_batch: prompt tokens evaluated per batch. seed: sampling seed.

    The model file comes from `ensure_model` (model path given explicitly: nothing is ever
    downloaded); prompts use Qwen's ChatML. llama-index's global `Settings` are not touched.
    The instance is cached per (file, arguments): a second call returns the same object.
    Loading takes about 0.5-3 s (memory-mapped; 2.7 s for either model with a cold page cache).
    llama.cpp contexts are not thread-safe: callers sharing the instance across threads serialise
    generations (assistant/generate.py holds one lock around each).

    Raises ModelProvisionError: the model cannot be provisioned (see `ensure_model`),
    llama-cpp-python or llama-index-llms-llama-cpp is not installed, or llama.cpp cannot
    load the file.
    """
    model = get_model(name)
    cache = Path(cache_dir).expanduser().resolve()
    key = (model.name, str(cache), n_ctx, n_threads, max_new_tokens, temperature, n_batch, seed)
    with _LLM_CACHE_LOCK:
        cached = _LLM_CACHE.get(key)
        if cached is not None:
            return cached
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError as exc:
            raise ModelProvisionError(
                "The local language model needs llama-cpp-python and llama-index-llms-llama-cpp "
                f"({exc}). Install them with: EXTRAS=dev,llm bash scripts/install.sh"
            ) from exc
        path = ensure_model(model, cache, locate_parts=locate_parts, progress=progress)
        t0 = time.perf_counter()
        try:
            llm = LlamaCPP(
                model_path=str(path),
                temperature=temperature,
                max_new_tokens=max_new_tokens,
                context_window=n_ctx,
                generate_kwargs={"stop": list(CHATML_STOP)},
                model_kwargs={
                    "n_threads": n_threads,
                    "n_threads_batch": n_threads,
                    "n_batch": n_batch,
                    "seed": seed,
                },
                messages_to_prompt=messages_to_prompt,
                completion_to_prompt=completion_to_prompt,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelProvisionError(
                f"llama.cpp could not load the language model {model.name} from {path}: {exc}. "
                f"Delete that file to rebuild it from the installed parts."
            ) from exc
        log.info("loaded %s (n_ctx=%d, n_threads=%d) in %.1f s",
                 model.name, n_ctx, n_threads, time.perf_counter() - t0)
        _LLM_CACHE[key] = llm
        return llm


def clear_llm_cache() -> None:
    """Forget the loaded models (their memory is freed once no one else holds them)."""
    with _LLM_CACHE_LOCK:
        _LLM_CACHE.clear()
