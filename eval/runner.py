"""`guide-assistant eval`: run eval sets through the assistant, score them, write a run folder.

One run = the assistant loaded once; one or several eval sets (default: every packaged set that
exists, in the order main, dev, blind, beyond; or the `--questions` files), each answered and
scored separately: every item asked (with its history) in every answer mode, each answer scored
by `metrics.score_item`, aggregated per set overall / by type / by language, and three retrieval
baselines (BM25 only, dense only, hybrid) ranked on the assistant's own retrieval queries. The
run folder (default `eval/runs/<timestamp>/`) holds:

* metrics.json  - settings, modes, embedder, timing; the FIRST set's "questions", "n_items",
                  "counts", "results" (per mode) and "retrieval_baselines" under the keys a
                  one-set run always had (so `--compare` and existing readers keep working);
                  "sets": {name: {"questions", "n_items", "counts", "results": {mode:
                  {"overall", "by_type", "by_lang", …}}, "retrieval_baselines"}}, in run order;
                  "generalisation_gap": {mode: {"fact_recall", "all_facts", "citation_hit"}},
                  each dev − blind (None unless both the dev and the blind set ran); and the
                  comparison summary when `--compare` was given;
* answers.jsonl - one line per set, item and mode: `Answer.to_public(id)` + "set" (the set's
                  name) + "scores" (the item's `ItemScore`) + "ranked_sections" (the ranking
                  scored);
* report.md, report.html and the PNG charts they show (see `eval/report.py`).

A set's name is its file's stem ("--questions my/blind.jsonl" -> "blind"); the packaged files
keep their set names (questions.jsonl -> "main", dev_questions.jsonl -> "dev",
blind_questions.jsonl -> "blind", beyond_questions.jsonl -> "beyond") wherever they are read
from, so the dev − blind gap is computed whichever way they are given.

The folder is written under a temporary name in the same parent and renamed at the end, so a
run folder either holds every file or does not exist. Until then, each answer is appended as
it comes to `<out_dir>/<timestamp>.partial.jsonl` (the answers.jsonl line shape, flushed to
disk), so that a killed run keeps what it answered; the file is removed when the run folder is
written.

Retrieval metrics
-----------------
The eval reads what the assistant did instead of re-running its retrieval: `Assistant.ask`
returns an `Answer` whose `debug` holds "query" (the retrieval query it used), "prior" (labels
of the previous turn's sections; optional) and "sections" (its ranked sections as
[label, fused, cosine, bm25], best first).

* Per item (the "overall" hit@k / MRR of a mode): the labels of `debug["sections"]`, kept even
  when the assistant refused after retrieving; empty when it refused by rule before retrieval
  (no "sections" in the debug).
* Baselines: `debug["query"]` and `debug.get("prior", [])` (the question itself and no prior
  sections when the debug holds no "sections"), each retriever asked for `candidates` chunks
  (the same depth for all three, so hit@5 is comparable), chunk rankings mapped to their
  sections, deduplicated in rank order. "hybrid" is the assistant's fusion (named labels and
  the previous turn's sections included) at that depth.
"""

from __future__ import annotations

import copy
import json
import os
import logging
import shutil
import time
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm import tqdm

from guide_assistant.assistant.retrieval import group_sections
from guide_assistant.atomic import fsync_dir
from guide_assistant.config import AnswerSettings, Settings
from guide_assistant.eval import metrics, report
from guide_assistant.eval.metrics import EvalItem, ItemScore
from guide_assistant.eval.run_format import BASELINES, EvalRunError

log = logging.getLogger(__name__)
DEFAULT_RUNS_DIR = Path("eval/runs")
# The packaged eval sets (package data of guide_assistant.eval): (set name, file name), in run order.
PACKAGED_SETS: tuple[tuple[str, str], ...] = (
    ("main", "questions.jsonl"),
    ("dev", "dev_questions.jsonl"),
    ("blind", "blind_questions.jsonl"),
    ("beyond", "beyond_questions.jsonl"),
)
GAP_SETS = ("dev", "blind")
GAP_KEYS = ("fact_recall", "all_facts", "citation_hit")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def default_questions() -> Path:
    """The packaged main eval set (guide_assistant/eval/questions.jsonl, package data)."""
    return Path(str(resources.files("guide_assistant.eval").joinpath("questions.jsonl")))


def packaged_sets(folder: Path | None = None) -> list[tuple[str, Path]]:
    """The packaged eval sets that exist in `folder` (default: the package's own folder), as
    (name, path) in run order: main, dev, blind, beyond."""
    root = Path(folder) if folder is not None else Path(str(resources.files("guide_assistant.eval")))
    return [(name, root / file) for name, file in PACKAGED_SETS if (root / file).is_file()]


def set_name(path: Path) -> str:
    """A set's name: the file's stem, except that a packaged set's file keeps its set name."""
    path = Path(path)
    return next((name for name, file in PACKAGED_SETS if path.name == file), path.stem)


def eval_sets(questions: str | Path | Sequence[str | Path] | None = None) -> list[tuple[str, Path]]:
    """The (name, path) of the sets to run: the given file(s) in order (one path or several),
    else every packaged set that exists. Names repeated by files of the same stem get "-2",
    "-3"… Raises EvalRunError when no set is given and none is packaged."""
    if questions is None or (not isinstance(questions, (str, Path)) and not list(questions)):
        sets = packaged_sets()
        if not sets:
            raise EvalRunError("No eval set found: the package holds no eval/questions.jsonl; "
                               "give one with --questions FILE.")
        return sets
    paths = [Path(questions)] if isinstance(questions, (str, Path)) else [Path(q) for q in questions]
    out: list[tuple[str, Path]] = []
    used: set[str] = set()
    for path in paths:
        name, n = set_name(path), 1
        while name in used:
            n += 1
            name = f"{set_name(path)}-{n}"
        used.add(name)
        out.append((name, path))
    return out


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


def ranking_from_debug(debug: dict) -> list[str]:
    """The sections the assistant ranked (the labels of `debug["sections"]`, best first,
    deduplicated); empty when it refused before retrieval (no "sections")."""
    return list(dict.fromkeys(str(row[0]) for row in debug.get("sections") or []))


def retrieval_inputs(debug: dict, item: EvalItem) -> tuple[str, list[str]]:
    """(retrieval query, previous turn's sections) the assistant used, read from its debug; the
    question itself and no prior sections when it did not retrieve (no "sections")."""
    if "sections" not in debug:
        return item.question.strip(), []
    return str(debug.get("query") or item.question.strip()), [str(p) for p in debug.get("prior") or []]


def baseline_rankings(assistant, query: str, english: bool, prior: Sequence[str] = ()) -> dict[str, list[str]]:
    """Section rankings of BM25 only, dense only and hybrid for `query`, each at `candidates`
    chunks (`prior`: the previous turn's sections, used by the hybrid fusion)."""
    retriever = assistant.retriever
    chunks = assistant.index.chunks
    depth = retriever.settings.candidates
    deep = copy.copy(retriever)  # same BM25 and FAISS objects, fusion keeps `candidates` chunks
    deep.settings = retriever.settings.model_copy(update={"top_k": depth})
    return {
        "bm25": _sections_of((i for i, _ in retriever.lexical.retrieve(query, depth, expand=english)), chunks),
        "dense": _sections_of((i for i, _ in retriever.dense_ranked(query)), chunks),
        "hybrid": [h.label for h in group_sections(deep.retrieve(query, english=english, prior_sections=list(prior)))],
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
    """One item of one set answered in one mode: its eval item, public answer, ranking, scores."""

    item: EvalItem
    mode: str
    public: dict
    ranked: list[str]
    score: ItemScore
    baselines: dict[str, list[str]] | None = None
    set: str = ""
    debug: dict = field(default_factory=dict)

    def record(self) -> dict:
        """The answers.jsonl line."""
        return self.public | {"set": self.set, "scores": self.score.model_dump(mode="json"),
                              "ranked_sections": self.ranked}


@dataclass
class RunResult:
    """What a run produced: its folder, metrics (as written), item runs and comparison.

    runs: the first set's item runs by mode; set_runs: {set: {mode: item runs}}, in run order."""

    run_dir: Path
    metrics: dict
    runs: dict[str, list[ItemRun]]
    comparison: dict | None = None
    summary_text: str = ""
    timing: dict = field(default_factory=dict)
    set_runs: dict[str, dict[str, list[ItemRun]]] = field(default_factory=dict)


def _answer(assistant, item: EvalItem) -> tuple[dict, dict]:
    """`assistant.ask` in the public shape, and its debug dict; a question the assistant cannot
    read (QuestionError) is recorded as a refusal carrying the error message (empty debug)."""
    from guide_assistant.errors import QuestionError

    try:
        answer = assistant.ask(item.question, list(item.history))
    except QuestionError as exc:
        return ({"id": item.id, "question": item.question, "answer": str(exc), "refused": True,
                 "language": item.lang, "mode": assistant.answerer.mode, "citations": [], "latency_s": 0.0}, {})
    return answer.to_public(id=item.id), dict(answer.debug or {})


def run_mode(assistant, items: Sequence[EvalItem], corpus_text: str, section_texts: dict[str, str],
             show_progress: bool | None = None, baselines: bool = False, set_name: str = "",
             warm: bool = True, partial: Path | None = None) -> tuple[list[ItemRun], float]:
    """Ask and score every item with `assistant` (one answer mode); with `baselines`, also rank
    each item with the three baseline retrievers on the assistant's own retrieval query. Returns
    the item runs and the seconds spent on the baselines. partial: a file each item's
    answers.jsonl line is appended to as it comes (flushed to disk).

    The rankings are computed right after the item's answer, while the embedder's query cache
    still holds the retrieval query (embedding a query is the slow step).
    """
    mode = assistant.answerer.mode
    # Generative mode: save every section's prompt-prefix state first (minutes on a first run), so
    # that the latencies measured are those of a running chat page.
    if warm:
        assistant.warm(show_progress=show_progress is not False)
    out, baseline_s = [], 0.0
    desc = f"Eval {set_name} ({mode})" if set_name else f"Eval ({mode})"
    for item in tqdm(items, desc=desc, unit="q", disable=None if show_progress is None else not show_progress):
        public, debug = _answer(assistant, item)
        ranked = ranking_from_debug(debug)
        score = metrics.score_item(item, public, ranked, corpus_text, section_texts)
        run = ItemRun(item, mode, public, ranked, score, set=set_name, debug=debug)
        if baselines:
            t0 = time.perf_counter()
            query, prior = retrieval_inputs(debug, item)
            run.baselines = baseline_rankings(assistant, query, public["language"] == "en", prior)
            baseline_s += time.perf_counter() - t0
        out.append(run)
        if partial is not None:
            append_line(partial, run.record())
    return out, baseline_s


def append_line(path: Path, record: dict) -> None:
    """Append `record` to `path` as one JSON line, flushed to disk."""
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


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


def counts(items: Sequence[EvalItem]) -> dict[str, Any]:
    """The "counts" block of a set: items, by type, by language, refusals expected, histories."""
    return {
        "items": len(items),
        "by_type": _count(it.type for it in items),
        "by_lang": _count(it.lang for it in items),
        "expect_refusal": sum(it.expect_refusal for it in items),
        "with_history": sum(bool(it.history) for it in items),
    }


def mode_results(runs: Sequence[ItemRun], seconds: float) -> dict[str, Any]:
    """One set's results in one mode: overall, by type, by language, linked-page rate, seconds."""
    scores = [r.score for r in runs]
    return {
        "linked_page_citation_rate": linked_page_rate([r.record() for r in runs]),
        "overall": metrics.aggregate(scores),
        "by_type": metrics.aggregate(scores, by="type"),
        "by_lang": metrics.aggregate(scores, by="lang"),
        "seconds": round(seconds, 3),
    }


def generalisation_gap(sets: dict[str, dict]) -> dict[str, dict[str, float | None]] | None:
    """{mode: {key: dev − blind}} for GAP_KEYS (overall means; None when either is None), in
    the modes both sets ran; None unless both the "dev" and the "blind" set are in `sets`.
    Positive = the set used to tune scores higher than the blind one."""
    if not all(name in sets for name in GAP_SETS):
        return None
    dev, blind = (sets[name]["results"] for name in GAP_SETS)
    out: dict[str, dict[str, float | None]] = {}
    for mode in dev:
        if mode not in blind:
            continue
        d, b = dev[mode]["overall"], blind[mode]["overall"]
        out[mode] = {k: None if d.get(k) is None or b.get(k) is None else d[k] - b[k] for k in GAP_KEYS}
    return out


def run_eval(
    questions: str | Path | Sequence[str | Path] | None = None,
    out_dir: Path = DEFAULT_RUNS_DIR,
    compare: Path | None = None,
    baselines: bool = True,
    settings: Settings | None = None,
    assistant=None,
    modes: Sequence[str] | None = None,
    show_progress: bool | None = None,
) -> RunResult:
    """Run the eval set(s) and write the run folder under `out_dir`; returns the RunResult.

    questions: one JSONL eval set or several (each answered and scored separately, named by
    `set_name`); default: every packaged set that exists (main, dev, blind, beyond).
    compare: a previous run folder. assistant: an already loaded Assistant (else one is loaded
    from `settings`, once for every set). modes: answer modes to run (default: the configured
    mode). show_progress: None = when stderr is a tty.
    Raises EvalSetError (bad eval set), EvalRunError (no set, bad --compare folder, unavailable
    mode) and the index errors of `Assistant.from_settings`.
    """
    t_start = time.perf_counter()
    sets = eval_sets(questions)
    items_by_set = {name: metrics.load_eval_set(path) for name, path in sets}  # fail before the long part
    paths = dict(sets)
    previous = report.load_run(compare) if compare is not None else None

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
    partial = Path(out_dir) / f"{_timestamp()}.partial.jsonl"
    partial.parent.mkdir(parents=True, exist_ok=True)
    log.info("answers are kept in %s as they come", partial)
    set_runs: dict[str, dict[str, list[ItemRun]]] = {name: {} for name in items_by_set}
    seconds: dict[str, dict[str, float]] = {name: {} for name in items_by_set}
    baseline_s = 0.0
    for n, mode in enumerate(modes):
        mode_assistant = assistant_for_mode(assistant, mode)
        for i, (name, items) in enumerate(items_by_set.items()):
            t0 = time.perf_counter()
            set_runs[name][mode], b_s = run_mode(mode_assistant, items, corpus_text, section_texts, show_progress,
                                                 baselines=baselines and n == 0, set_name=name, warm=i == 0,
                                                 partial=partial)
            baseline_s += b_s
            seconds[name][mode] = time.perf_counter() - t0 - b_s

    sets_data: dict[str, dict] = {}
    for name, items in items_by_set.items():
        baseline_data = None
        if baselines:  # retrieval does not depend on the answer mode: ranked once, in the first mode
            rankings = {b: [r.baselines[b] for r in set_runs[name][modes[0]]] for b in BASELINES}
            baseline_data = baseline_block(rankings, items)
        sets_data[name] = {
            "questions": str(paths[name]),
            "n_items": len(items),
            "counts": counts(items),
            "results": {mode: mode_results(rs, seconds[name][mode]) for mode, rs in set_runs[name].items()},
            "retrieval_baselines": baseline_data,
        }
    first = next(iter(sets_data))
    timing = {"load_s": round(load_s, 3),
              "answer_s": {m: round(sum(seconds[name][m] for name in seconds), 3) for m in modes},
              "baselines_s": round(baseline_s, 3)}
    data = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # the first set, under the keys of a one-set run
        "questions": sets_data[first]["questions"],
        "n_items": sets_data[first]["n_items"],
        "counts": sets_data[first]["counts"],
        "mode": modes[0],
        "modes": modes,
        "embedder": assistant.index.manifest.get("embedder", settings.index.embedder),
        "index": _index_info(assistant),
        "settings": settings.model_dump(mode="json"),
        "results": sets_data[first]["results"],
        "retrieval_baselines": sets_data[first]["retrieval_baselines"],
        "baseline_depth_chunks": settings.retrieval.candidates,
        "timing": timing,
        # every set side by side
        "sets": sets_data,
        "generalisation_gap": generalisation_gap(sets_data),
    }

    records = [r.record() for by_mode in set_runs.values() for rs in by_mode.values() for r in rs]
    comparison = report.compare_runs(data, records, previous) if previous is not None else None
    if comparison is not None:
        data["comparison"] = comparison["summary"]

    run_dir = _fresh_run_dir(Path(out_dir))
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = run_dir.with_name(f".{run_dir.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir()
        timing["total_s"] = round(time.perf_counter() - t_start, 3)  # before writing: report shows it
        report.write_report(tmp, data, set_runs, comparison)
        with (tmp / "answers.jsonl").open("w", encoding="utf-8") as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        (tmp / "metrics.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.rename(run_dir)
        fsync_dir(run_dir.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    partial.unlink(missing_ok=True)
    return RunResult(run_dir=run_dir, metrics=data, runs=set_runs[first], comparison=comparison,
                     summary_text=report.summary_text(data), timing=timing, set_runs=set_runs)


def _count(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
