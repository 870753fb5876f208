"""Saved llama.cpp states of fixed prompt prefixes, so a question only pays for its own tokens.

Every prompt of the generative mode starts with the same system prompt followed by its first
source, the whole text of one section; that prefix is the same for every question whose best
section it is (about 300 + 200-900 tokens: 5-15 s of prompt evaluation for the 1.5B model on
2 cores). The first time a prefix is evaluated, its state (KV cache + tokens) is saved as a file
(`llama_state_save_file`); later questions load it (tens of milliseconds) and evaluate only
what follows: the second source, the question and the instruction.

Why our own code: llama-cpp-python's `LlamaRAMCache`/`LlamaDiskCache` save a state after every
completion, keyed on prompt + answer, and each state carries a copy of the logits buffer
(n_batch x 151,936 float32, about 300 MB for Qwen2.5); we need one small state per section,
saved once, before the question.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

from guide_assistant.atomic import atomic_path

log = logging.getLogger(__name__)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Number of leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class PrefixStates:
    """States of prompt prefixes for one llama.cpp model, one file each under `directory`.

    `llama` is a `llama_cpp.Llama` (the one inside llama-index's LlamaCPP, `llm._model`);
    `model_id` names the model file (e.g. its SHA-256), so states of another model or llama.cpp
    version are never loaded. A state file of a 800-token prefix is about 23 MB (Qwen2.5-1.5B,
    f16 KV cache). Not thread-safe: call under the lock that serialises generations.
    """

    def __init__(self, llama, directory: Path, model_id: str):
        import llama_cpp

        self.llama = llama
        self.directory = Path(directory) / f"{model_id[:16]}-llama-cpp-{llama_cpp.__version__}"
        self._api = llama_cpp

    def tokens(self, text: str) -> list[int]:
        """`text` tokenised exactly as llama-cpp-python tokenises a prompt."""
        return self.llama.tokenize(text.encode("utf-8"), special=True)

    def path(self, tokens: Sequence[int]) -> Path:
        digest = hashlib.sha256(" ".join(map(str, tokens)).encode()).hexdigest()[:32]
        return self.directory / f"{digest}.state"

    def target(self, prefix: str) -> list[int]:
        """The tokens of `prefix` whose state is kept: all but the last, which may merge with what
        follows it in a prompt (".\\n\\n" is one token)."""
        return self.tokens(prefix)[:-1]

    def key(self, prefix: str) -> Path:
        """The state file of `prefix`."""
        return self.path(self.target(prefix))

    def prune(self, keep: set[Path]) -> int:
        """Delete the state files not in `keep` (prefixes of texts that changed); returns how many."""
        stale = [f for f in self.directory.glob("*.state") if f not in keep]
        for f in stale:
            f.unlink(missing_ok=True)
        if stale:
            log.info("deleted %d prefix states no longer used", len(stale))
        return len(stale)

    def prime(self, prefix: str, prompt: str | None = None) -> str:
        """Bring the context to the state after `prefix` (a leading part of `prompt`; see
        `target`). Returns "live" (already in the context), "loaded" (read from its file) or
        "saved" (evaluated now and written, atomically, for next time).
        """
        target = self.target(prefix)
        if prompt is not None:
            full = self.tokens(prompt)
            target = target[:common_prefix(target, full)]
            log.info("prompt: %d tokens, %d of them the fixed prefix", len(full), len(target))
        if not target or self._live(target) == len(target):
            return "live"
        path = self.path(target)
        if path.exists() and self._load(path, target):
            return "loaded"
        self._evaluate_and_save(path, target)
        return "saved"

    def ensure(self, prefix: str) -> str:
        """Make sure the state of `prefix` is saved, without loading it: "present" or "saved"."""
        target = self.target(prefix)
        path = self.path(target)
        if path.exists():
            return "present"
        self._evaluate_and_save(path, target)
        return "saved"

    def _live(self, target: list[int]) -> int:
        return common_prefix(self.llama.input_ids[: self.llama.n_tokens].tolist(), target)

    def _evaluate_and_save(self, path: Path, target: list[int]) -> None:
        self.llama.n_tokens = self._live(target)  # keep the shared start (the system prompt); eval trims the rest
        self.llama.eval(target[self.llama.n_tokens:])
        self._save(path, target)

    def _load(self, path: Path, target: list[int]) -> bool:
        capacity = len(target) + 1
        out = (self._api.llama_token * capacity)()
        n = ctypes.c_size_t(0)
        ok = self._api.llama_state_load_file(self.llama.ctx, str(path).encode(), out, capacity, ctypes.byref(n))
        if not ok or list(out[: n.value]) != target:
            log.warning("Prefix state %s unusable; evaluating the prefix again.", path.name)
            self.llama.reset()  # the context may hold part of the file: start clean
            return False
        self.llama.input_ids[: len(target)] = target
        self.llama.n_tokens = len(target)
        return True

    def _save(self, path: Path, target: list[int]) -> None:
        tokens = (self._api.llama_token * len(target))(*target)
        try:
            with atomic_path(path) as tmp:
                if not self._api.llama_state_save_file(self.llama.ctx, str(tmp).encode(), tokens, len(target)):
                    raise OSError(f"llama.cpp could not write {tmp}")
        except OSError as exc:
            log.warning("Could not save prefix state %s (%s); it will be evaluated again next time.", path.name, exc)
            return
        log.info("saved prefix state %s (%d tokens, %.1f MB)", path.name, len(target), path.stat().st_size / 1e6)
