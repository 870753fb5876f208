"""What the runner writes and the report reads back: the retrieval baselines and their metric
keys, the per-item checks compared between two runs, and the error of a run that cannot be
made or read. A leaf module, so that the runner imports the report and not the reverse."""

from __future__ import annotations

from collections.abc import Callable

from guide_assistant.errors import GuideAssistantError

BASELINES = ("bm25", "dense", "hybrid")
RETRIEVAL_KEYS = ("hit@1", "hit@3", "hit@5", "mrr")
# Per-item checks whose flip from good to bad is a regression (ItemScore field, good value).
FLAGS: dict[str, Callable[[dict], bool | None]] = {
    "all_facts": lambda s: s.get("all_facts"),
    "citation_hit": lambda s: s.get("citation_hit"),
    "refusal_correct": lambda s: s.get("refusal_correct"),
    "no_forbidden": lambda s: None if s.get("forbidden") is None else not s["forbidden"],
    "no_invented": lambda s: None if s.get("invented") is None else not s["invented"],
    "limit_stated": lambda s: s.get("limit_stated"),
    "body_language_match": lambda s: s.get("body_language_match"),
    "dated": lambda s: s.get("dated"),
}


class EvalRunError(GuideAssistantError):
    """The eval cannot run or compare: the message says what is wrong and what to do."""
