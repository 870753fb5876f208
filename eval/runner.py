"""`guide-assistant eval`: run the eval set through the assistant, score it, write a run folder.

One run = the assistant loaded once, every eval item asked (with its history) in every answer
mode, each answer scored by `metrics.score_item`, aggregated overall / by type / by language,
and three retrieval baselines (BM25 only, dense only, hybrid) ranked on the same retrieval
queries. The run folder (default `eval/runs/<timestamp>/`) holds:

* metrics.json  - settings, modes, embedder, counts, aggregates per mode, baselines, timing,
                  and the comparison summary when `--compare` was given;
* answers.jsonl - one line per item and mode: `Answer.to_public(id)` + "scores" (the
                  item's `ItemScore`) + "ranked_sections" (the hybrid ranking scored);
* report.md, report.html and the PNG charts they show (see `eval/report.py`).

The folder is written under a temporary name in the same parent and renamed at the end, so a
run folder either holds every file or does not exist.

Retrieval metrics
-----------------
* Per item (the "overall" hit@k / MRR of a mode): the sections the assistant itself ranked
  for the question: `group_sections(retriever.retrieve(query, english, prior_sections))` with
  the settings' `top_k` chunks, computed even when the assistant refused.
* Baselines: the same retrieval query, each retriever asked for `candidates` chunks (the same
  depth for all three, so hit@5 is comparable), chunk rankings mapped to their sections,
  deduplicated in rank order. "hybrid" is the assistant's fusion (named labels and the
  previous turn's sections included) at that depth.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import time
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm import tqdm

from guide_assistant.assistant.retrieval import group_sections
from guide_assistant.config import AnswerSettings, Settings
from guide_assistant.errors import GuideAssistantError
from guide_assistant.eval import metrics
from guide_assistant.eval.metrics import EvalItem, ItemScore


DEFAULT_RUNS_DIR = Path("eval/runs")
BASELINES = ("bm25", "dense", "hybrid")
RETRIEVAL_KEYS = ("hit@1", "hit@3", "hit@5", "mrr")
# Per-item checks whose flip from good to bad is a regression (ItemScore field, good value).
FLAGS: dict[str, Callable[[dict], bool | None]] = {
    "all_facts": lambda s: s.get("all_facts"),
    "citation_hit": lambda s: s.get("citation_hit"),
    "refusal_correct": lambda s: s.get("refusal_correct"),
    "no_forbidden": lambda s: None if s.get("forbidden") is None else not s["forbidden"],
    "no_invented": lambda s: None if s.get("invented") is None else not s["invented"],
}


class EvalRunError(GuideAssistantError):
    """The eval cannot run or compare: the message says what is wrong and what to do."""


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def default_questions() -> Path:
    """The packaged eval set (guide_assistant/eval/questions.jsonl, package data)."""
    return Path(str(resources.files("guide_assistant.eval").joinpath("questions.jsonl")))


def available_modes() -> list[str]:
    """Every answer mode the settings accept (the `AnswerSettings.mode` Literal), in order."""
    annotation = AnswerSettings.model_fields["mode"].annotation
    return list(typing.get_args(annotation)) or [AnswerSettings().mode]


def assistant_for_mode(base, mode: str):
    """An assistant answering in `mode` that shares `base`'s loaded index (loaded once).

    Raises EvalRunError when the assistant built for `mode` does not answer in it (a mode the
    settings accept but no answerer implements yet).
    """
    from guide_assistant.assistant.service import Assistant

    if base.answerer.mode == mode:
        return base
    settings = base.settings.model_copy(update={"answer": base.settings.answer.model_copy(update={"mode": mode})})
    other = Assistant(base.index, settings)
    if other.answerer.mode != mode:
        raise EvalRunError(f"Answer mode {mode!r} is not available: the assistant answers in "
                           f"{other.answerer.mode!r}.")
    return other


# --------------------------------------------------------------------------------------------
# Retrieval rankings
# --------------------------------------------------------------------------------------------


def _sections_of(chunk_ids: Iterable[int], chunks) -> list[str]:
    """Section labels of ranked chunk indices, deduplicated in rank order."""
    return list(dict.fromkeys(chunks[i].section for i in chunk_ids))


def _retrieval_context(assistant, item: EvalItem, language: str) -> tuple[str, bool, list[str]]:
    query = assistant.retrieval_query(item.question.strip(), list(item.history))
    prior = assistant.prior_sections(list(item.history)) if item.history else []
    return query, language == "en", prior


def assistant_ranking(assistant, item: EvalItem, language: str) -> list[str]:
    """The sections the assistant ranks for the item (its own top_k, as in `Assistant.ask`)."""
    query, english, prior = _retrieval_context(assistant, item, language)
    hits = assistant.retriever.retrieve(query, english=english, prior_sections=prior)
    return [h.label for h in group_sections(hits)]


def baseline_rankings(assistant, item: EvalItem, language: str) -> dict[str, list[str]]:
    """Section rankings of BM25 only, dense only and hybrid, each at `candidates` chunks."""
    retriever = assistant.retriever
    chunks = assistant.index.chunks
    depth = retriever.settings.candidates
    query, english, prior = _retrieval_context(assistant, item, language)
    deep = copy.copy(retriever)  # same BM25 and FAISS objects, fusion keeps `candidates` chunks
    deep.settings = retriever.settings.model_copy(update={"top_k": depth})
    return {
        "bm25": _sections_of((i for i, _ in retriever.lexical.retrieve(query, depth, expand_english=english)), chunks),
        "dense": _sections_of((i for i, _ in retriever.dense_ranked(query)), chunks),
        "hybrid": [h.label for h in group_sections(deep.retrieve(query, english=english, prior_sections=prior))],
    }


def retrieval_summary(rankings: Sequence[Sequence[str]], items: Sequence[EvalItem]) -> dict[str, Any]:
    """hit@1/3/5 and MRR over the items that expect a source (n = that count)."""
    rows = [(r, it) for r, it in zip(rankings, items, strict=True) if it.expected_sources]
    out: dict[str, Any] = {"n": len(rows)}
    for k in metrics.HIT_KS:
        vals = [metrics.hit_at_k(r, it.expected_sources, k) for r, it in rows]
        out[f"hit@{k}"] = sum(vals) / len(vals) if vals else None
    rr = [metrics.reciprocal_rank(r, it.expected_sources) for r, it in rows]
    out["mrr"] = sum(rr) / len(rr) if rr else None
    return out


def baseline_block(rankings: dict[str, list[list[str]]], items: Sequence[EvalItem]) -> dict[str, Any]:
    """{retriever: {"overall", "by_type", "by_lang"}} of `retrieval_summary`."""
    out: dict[str, Any] = {}
    for name, ranked in rankings.items():
        block: dict[str, Any] = {"overall": retrieval_summary(ranked, items)}
        for by in ("type", "lang"):
            groups: dict[str, list[int]] = {}
            for i, it in enumerate(items):
                groups.setdefault(getattr(it, by), []).append(i)
            block[f"by_{by}"] = {
                g: retrieval_summary([ranked[i] for i in idx], [items[i] for i in idx])
                for g, idx in sorted(groups.items())
            }
        out[name] = block
    return out


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


@dataclass
class ItemRun:
    """One item answered in one mode: its eval item, public answer, ranking and scores."""

    item: EvalItem
    mode: str
    public: dict
    ranked: list[str]
    score: ItemScore
    baselines: dict[str, list[str]] | None = None

    def record(self) -> dict:
        """The answers.jsonl line."""
        return self.public | {"scores": self.score.model_dump(mode="json"), "ranked_sections": self.ranked}


@dataclass
class RunResult:
    """What a run produced: its folder, metrics (as written), item runs and comparison."""

    run_dir: Path
    metrics: dict
    runs: dict[str, list[ItemRun]]
    comparison: dict | None = None
    summary_text: str = ""
    timing: dict = field(default_factory=dict)


def _answer_public(assistant, item: EvalItem) -> dict:
    """`assistant.ask` in the public shape; a question the assistant cannot read (QuestionError)
    is recorded as a refusal carrying the error message."""
    from guide_assistant.errors import QuestionError

    try:
        return assistant.ask(item.question, list(item.history)).to_public(id=item.id)
    except QuestionError as exc:
        return {"id": item.id, "question": item.question, "answer": str(exc), "refused": True,
                "language": item.lang, "mode": assistant.answerer.mode, "citations": [], "latency_s": 0.0}


def run_mode(assistant, items: Sequence[EvalItem], corpus_text: str, section_texts: dict[str, str],
             show_progress: bool | None = None, baselines: bool = False) -> tuple[list[ItemRun], float]:
    """Ask and score every item with `assistant` (one answer mode); with `baselines`, also rank
    each item with the three baseline retrievers. Returns the item runs and the seconds spent on
    the baselines.

    The rankings are computed right after the item's answer, while the embedder's query cache
    still holds the retrieval query (embedding a query is the slow step).
    """
    mode = assistant.answerer.mode
    # Generative mode: save every section's prompt-prefix state first (minutes on a first run), so
    # that the latencies measured are those of a running chat page.
    assistant.warm(show_progress=show_progress is not False)
    out, baseline_s = [], 0.0
    for item in tqdm(items, desc=f"Eval ({mode})", unit="q", disable=None if show_progress is None
                     else not show_progress):
        public = _answer_public(assistant, item)
        ranked = assistant_ranking(assistant, item, public["language"])
        score = metrics.score_item(item, public, ranked, corpus_text, section_texts)
        run = ItemRun(item, mode, public, ranked, score)
        if baselines:
            t0 = time.perf_counter()
            run.baselines = baseline_rankings(assistant, item, public["language"])
            baseline_s += time.perf_counter() - t0
        out.append(run)
    return out, baseline_s


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H-%M-%S")


def _fresh_run_dir(out_dir: Path) -> Path:
    base = out_dir / _timestamp()
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _index_info(assistant) -> dict:
    m = assistant.index.manifest
    keys = ("embedder", "dim", "chunk_size", "chunk_overlap", "n_chunks", "n_sections", "built_at", "corpus")
    return {k: m.get(k) for k in keys}


def linked_page_rate(records: Sequence[dict]) -> float:
    """Share of answers (0.0-1.0) citing at least one of the guide's linked pages."""
    cites = [any(c["title"].startswith("Page liée") for c in r.get("citations", [])) for r in records]
    return round(sum(cites) / len(cites), 4) if cites else 0.0


def run_eval(
    questions: Path | None = None,
    out_dir: Path = DEFAULT_RUNS_DIR,
    compare: Path | None = None,
    baselines: bool = True,
    settings: Settings | None = None,
    assistant=None,
    modes: Sequence[str] | None = None,
    show_progress: bool | None = None,
) -> RunResult:
    """Run the eval and write its folder under `out_dir`; returns the RunResult.

    questions: a JSONL eval set (default: the packaged one). compare: a previous run folder.
    assistant: an already loaded Assistant (else one is loaded from `settings`). modes: answer
    modes to run (default: every available mode). show_progress: None = when stderr is a tty.
    Raises EvalSetError (bad eval set), EvalRunError (bad --compare folder, unavailable mode)
    and the index errors of `Assistant.from_settings`.
    """
    from guide_assistant.eval import report

    t_start = time.perf_counter()
    questions = Path(questions) if questions is not None else default_questions()
    items = metrics.load_eval_set(questions)
    previous = report.load_run(compare) if compare is not None else None  # fail before the long part

    t0 = time.perf_counter()
    if assistant is None:
        from guide_assistant.assistant.service import Assistant

        assistant = Assistant.from_settings(settings or Settings(), show_progress=bool(show_progress))
    settings = assistant.settings
    load_s = time.perf_counter() - t0

    sections = assistant.index.sections
    section_texts = {label: s.text for label, s in sections.items()}
    corpus_text = "\n\n".join(section_texts.values())

    modes = list(modes) if modes is not None else [settings.answer.mode]
    runs: dict[str, list[ItemRun]] = {}
    mode_seconds: dict[str, float] = {}
    baseline_s = 0.0
    for n, mode in enumerate(modes):
        t0 = time.perf_counter()
        runs[mode], b_s = run_mode(assistant_for_mode(assistant, mode), items, corpus_text, section_texts,
                                   show_progress, baselines=baselines and n == 0)
        baseline_s += b_s
        mode_seconds[mode] = time.perf_counter() - t0 - b_s

    baseline_data = None
    if baselines:  # retrieval does not depend on the answer mode: ranked once, in the first mode
        rankings = {name: [r.baselines[name] for r in runs[modes[0]]] for name in BASELINES}
        baseline_data = baseline_block(rankings, items)

    results = {}
    for mode, rs in runs.items():
        scores = [r.score for r in rs]
        records = [r.record() for r in rs]
        results[mode] = {
            "linked_page_citation_rate": linked_page_rate(records),
            "overall": metrics.aggregate(scores),
            "by_type": metrics.aggregate(scores, by="type"),
            "by_lang": metrics.aggregate(scores, by="lang"),
            "seconds": round(mode_seconds[mode], 3),
        }
    timing = {"load_s": round(load_s, 3), "answer_s": {m: round(s, 3) for m, s in mode_seconds.items()},
              "baselines_s": round(baseline_s, 3)}
    data = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "questions": str(questions),
        "n_items": len(items),
        "counts": {
            "items": len(items),
            "by_type": _count(it.type for it in items),
            "by_lang": _count(it.lang for it in items),
            "expect_refusal": sum(it.expect_refusal for it in items),
            "with_history": sum(bool(it.history) for it in items),
        },
        "mode": modes[0],
        "modes": modes,
        "embedder": assistant.index.manifest.get("embedder", settings.index.embedder),
        "index": _index_info(assistant),
        "settings": settings.model_dump(mode="json"),
        "results": results,
        "retrieval_baselines": baseline_data,
        "baseline_depth_chunks": settings.retrieval.candidates,
        "timing": timing,
    }

    comparison = report.compare_runs(data, [r.record() for rs in runs.values() for r in rs], previous) \
        if previous is not None else None
    if comparison is not None:
        data["comparison"] = comparison["summary"]

    run_dir = _fresh_run_dir(Path(out_dir))
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = run_dir.with_name(f".{run_dir.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir()
        timing["total_s"] = round(time.perf_counter() - t_start, 3)  # before writing: report shows it
        report.write_report(tmp, data, runs, comparison)
        with (tmp / "answers.jsonl").open("w", encoding="utf-8") as f:
            for rs in runs.values():
                for r in rs:
                    f.write(json.dumps(r.record(), ensure_ascii=False) + "\n")
        (tmp / "metrics.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.rename(run_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RunResult(run_dir=run_dir, metrics=data, runs=runs, comparison=comparison,
                     summary_text=report.summary_text(data), timing=timing)


def _count(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
