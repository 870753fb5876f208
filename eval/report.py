"""Reports of an eval run: plain-text summary, report.md, report.html, PNG charts, and the
comparison with a previous run.

Every function takes the run's `metrics.json` data (see `eval/runner.py`) and, for the item
sections, the item runs ({set: {mode: [ItemRun]}}) or the answers.jsonl records; nothing here
asks the assistant. The reports open with the sets side by side (one column per set) and the
generalisation gap (dev − blind), then give, set by set, the tables per mode, type and
language, the charts and the failing items.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guide_assistant.eval.run_format import BASELINES, FLAGS, RETRIEVAL_KEYS, EvalRunError

# (aggregate key, short column name). Rates where LOWER is better are listed in LOWER_IS_BETTER.
COLUMNS: list[tuple[str, str]] = [
    ("n", "n"),
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("hit@5", "hit@5"),
    ("mrr", "MRR"),
    ("fact_recall", "facts"),
    ("all_facts", "all facts"),
    ("citation_hit", "cite hit"),
    ("citation_precision", "cite prec"),
    ("refusal_accuracy", "refusal ok"),
    ("refusal_recall", "refusal rec"),
    ("false_refusal_rate", "false ref↓"),
    ("language_match", "lang ok"),
    ("forbidden_rate", "forbid↓"),
    ("invented_rate", "invent↓"),
    ("unsupported_rate", "unsupp↓"),
    ("limit_stated_recall", "limit ok"),
    ("partial_limit_stated", "limit ok (partial)"),
    ("false_limit_rate", "false limit↓"),
    ("body_language_match", "body lang ok"),
    ("dated_rate", "dated"),
    ("latency_p50_s", "p50 s"),
    ("latency_p95_s", "p95 s"),
]
TERMINAL_COLUMNS = ["n", "hit@1", "hit@5", "mrr", "fact_recall", "all_facts", "citation_hit",
                    "citation_precision", "refusal_accuracy", "refusal_recall", "false_refusal_rate",
                    "limit_stated_recall", "body_language_match", "dated_rate", "invented_rate",
                    "latency_p50_s", "latency_p95_s"]
# Rows of the sets-side-by-side table: (aggregate key, label).
SET_ROWS: list[tuple[str, str]] = [
    ("n", "n"),
    ("fact_recall", "fact recall"),
    ("all_facts", "all facts"),
    ("citation_hit", "citation hit"),
    ("citation_precision", "citation precision"),
    ("refusal_recall", "refusal recall"),
    ("false_refusal_rate", "false refusal rate ↓"),
    ("limit_stated_recall", "limit stated recall"),
    ("partial_limit_stated", "limit stated (partial)"),
    ("false_limit_rate", "false limit rate ↓"),
    ("body_language_match", "body language match"),
    ("dated_rate", "dated rate"),
    ("invented_rate", "invented rate ↓"),
    ("latency_p50_s", "latency p50 s ↓"),
    ("latency_p95_s", "latency p95 s ↓"),
]
GAP_NAMES = {"fact_recall": "fact recall", "all_facts": "all facts", "citation_hit": "citation hit"}
LOWER_IS_BETTER = {"false_refusal_rate", "false_limit_rate", "forbidden_rate", "invented_rate", "unsupported_rate",
                   "latency_p50_s", "latency_p95_s", "invented_total", "unsupported_total"}
CHART_METRICS = ["hit@1", "mrr", "fact_recall", "all_facts", "citation_hit", "refusal_accuracy"]
_NAMES = dict(COLUMNS)
BASELINE_NAMES = {"bm25": "BM25 only", "dense": "dense only", "hybrid": "hybrid (RRF)"}


# --------------------------------------------------------------------------------------------
# Formatting and tables
# --------------------------------------------------------------------------------------------


def fmt(value: Any, key: str = "") -> str:
    """A table cell: "–" for None, integers as is, other numbers with 3 decimals."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or key == "n":
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def metric_rows(groups: dict[str, dict], keys: Sequence[str]) -> list[list[str]]:
    return [[name] + [fmt(summary.get(k), k) for k in keys] for name, summary in groups.items()]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Fixed-width plain-text table (first column left-aligned, the others right-aligned)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def esc(c: str) -> str:
        return str(c).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(esc, header)) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(lines)


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def baseline_rows(baselines: dict | None, by: str | None = None,
                  prefix: str = "") -> tuple[list[str], list[list[str]]]:
    """Rows of the baselines table: one per retriever (overall), or per retriever and group;
    `prefix` (e.g. the set's name) starts each row name."""
    header = ["retriever", "n", "hit@1", "hit@3", "hit@5", "MRR"]
    rows: list[list[str]] = []
    if not baselines:
        return header, rows
    for name in BASELINES:
        block = baselines.get(name)
        if block is None:
            continue
        label = f"{prefix}{BASELINE_NAMES.get(name, name)}"
        if by is None:
            groups = {label: block["overall"]}
        else:
            groups = {f"{label} · {g}": s for g, s in block[f"by_{by}"].items()}
        rows += metric_rows(groups, ["n", *RETRIEVAL_KEYS])
    return header, rows


def run_sets(data: dict) -> dict[str, dict]:
    """The run's sets {name: {"questions", "n_items", "counts", "results",
    "retrieval_baselines"}}; a run written before the sets existed is read as its one set."""
    if data.get("sets"):
        return data["sets"]
    name = Path(str(data.get("questions", "questions"))).stem
    return {name: {"questions": data.get("questions"), "n_items": data.get("n_items"), "counts": data.get("counts"),
                   "results": data["results"], "retrieval_baselines": data.get("retrieval_baselines")}}


def sets_table(data: dict, mode: str) -> tuple[list[str], list[list[str]]]:
    """The sets side by side in `mode`: one row per SET_ROWS metric, one column per set."""
    sets = run_sets(data)
    header = ["metric", *sets]
    overall = {name: (block["results"].get(mode) or {}).get("overall") or {} for name, block in sets.items()}
    rows = [[label, *[fmt(overall[name].get(key), key) for name in sets]] for key, label in SET_ROWS]
    return header, rows


def gap_line(data: dict) -> str:
    """The generalisation gap (dev − blind) in one line per run."""
    gap = data.get("generalisation_gap")
    if not gap:
        return "Generalisation gap (dev − blind): not computed (needs both the dev and the blind set)."
    parts = []
    for mode, values in gap.items():
        cells = ", ".join(f"{GAP_NAMES.get(k, k)} {'–' if v is None else f'{v:+.3f}'}" for k, v in values.items())
        parts.append(f"{mode}: {cells}")
    return ("Generalisation gap (dev − blind; positive = the blind set scores lower): " + "; ".join(parts) + ".")


def _tables(res: dict, keys: Sequence[str]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Overall, by type and by language tables of one set's results in one mode."""
    header = [_NAMES.get(k, k) for k in keys]
    return {
        "overall": (["", *header], metric_rows({"overall": res["overall"]}, keys)),
        "by_type": (["type", *header], metric_rows(res["by_type"], keys)),
        "by_lang": (["language", *header], metric_rows(res["by_lang"], keys)),
    }


def summary_text(data: dict) -> str:
    """The terminal summary: the sets side by side (each mode) and the generalisation gap; then,
    per set, the tables by type and by language (each mode); the baselines; timing."""
    out = []
    sets = run_sets(data)
    for mode in data["modes"]:
        out.append(f"Sets side by side, answer mode {mode}   (↓ = lower is better)\n"
                   + text_table(*sets_table(data, mode)) + "\n")
    out.append(gap_line(data))
    for name, block in sets.items():
        out.append(f"\n=== Set {name}: {block['questions']} ({block['n_items']} items)")
        for mode in data["modes"]:
            res = block["results"].get(mode)
            if res is None:
                continue
            t = _tables(res, TERMINAL_COLUMNS)
            out.append(f"Answer mode: {mode}   (↓ = lower is better; hit@k/MRR = the assistant's own ranking)")
            for title, key in (("By type", "by_type"), ("By language", "by_lang")):
                out.append(f"\n{title}\n" + text_table(*t[key]))
            rate = res.get("linked_page_citation_rate")
            if rate is not None:
                out.append(f"\nAnswers citing a linked page: {rate:.1%}")
    baseline_sets = {name: block["retrieval_baselines"] for name, block in sets.items()
                     if block.get("retrieval_baselines")}
    if baseline_sets:
        header, rows = baseline_rows(None)
        for name, b in baseline_sets.items():
            rows += baseline_rows(b, prefix=f"{name} · " if len(sets) > 1 else "")[1]
        out.append(f"\nRetrieval baselines (section level, {data.get('baseline_depth_chunks')} chunks per retriever)\n"
                   + text_table(header, rows))
    timing = data.get("timing", {})
    answer_s = ", ".join(f"{m} {s:.1f} s" for m, s in timing.get("answer_s", {}).items())
    out.append(f"\nTiming: load {timing.get('load_s', 0):.1f} s; answering {answer_s}; "
               f"baselines {timing.get('baselines_s', 0):.1f} s; total {timing.get('total_s', 0):.1f} s")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Failing items
# --------------------------------------------------------------------------------------------


def failure_reasons(scores: dict) -> list[str]:
    """Why an item fails (empty when it passes): missing fact, missed citation, wrong refusal,
    forbidden string, invented detail, limit of the guide not stated (beyond_guide items),
    answer body in the other language, amount not dated."""
    reasons = []
    if scores.get("all_facts") is False:
        reasons.append("missing fact")
    if scores.get("citation_hit") is False:
        reasons.append("missed citation")
    if not scores.get("refusal_correct", True):
        reasons.append("wrong refusal (answered an out-of-scope question)" if scores.get("expect_refusal")
                       else "wrong refusal (refused an answerable question)")
    if scores.get("forbidden"):
        reasons.append("forbidden string")
    if scores.get("invented"):
        reasons.append("invented detail")
    if scores.get("limit_stated") is False:
        reasons.append("guide's limit not stated")
    if scores.get("body_language_match") is False:
        reasons.append("answer's own words in the other language")
    if scores.get("dated") is False:
        reasons.append("amount without the guide's date (2021)")
    return reasons


def _failing(runs: dict) -> dict[str, list]:
    return {mode: [r for r in rs if failure_reasons(r.score.model_dump(mode="json"))] for mode, rs in runs.items()}


def _facts_text(facts: Sequence[Sequence[str]]) -> str:
    return "; ".join(" | ".join(f) for f in facts) or "–"


def _item_fields(r) -> list[tuple[str, str]]:
    """(label, text) pairs describing one failing item run."""
    s = r.score.model_dump(mode="json")
    pages: dict[str, set[int]] = {}
    for c in r.public.get("citations", []):
        pages.setdefault(c["section"], set()).update(c["pages"])
    cited = [f"{label} (p. {', '.join(map(str, sorted(p)))})" for label, p in pages.items()]
    history = " / ".join(f"{t.role}: {t.content}" for t in r.item.history)
    fields = [
        ("Reasons", ", ".join(failure_reasons(s))),
        ("Question", r.item.question),
    ]
    if history:
        fields.append(("History", history))
    fields += [
        ("Expected sources", ", ".join(r.item.expected_sources) or "–"),
        ("Expected facts", _facts_text(r.item.must_contain)),
        ("Expect refusal", "yes" if r.item.expect_refusal else "no"),
    ]
    if s["missing_facts"]:
        fields.append(("Missing facts", _facts_text(s["missing_facts"])))
    if s["forbidden_found"]:
        fields.append(("Forbidden found", ", ".join(s["forbidden_found"])))
    if s["invented"]:
        fields.append(("Invented details", ", ".join(f"{d['kind']}: {d['text']}" for d in s["invented"])))
    if s["unsupported"]:
        fields.append(("Unsupported details", ", ".join(f"{d['kind']}: {d['text']}" for d in s["unsupported"])))
    fields += [
        ("Refused", "yes" if r.public.get("refused") else "no"),
        ("Body language", f"{s.get('body_language') or '–'} (question: {r.item.lang})"),
        ("Cited sections", ", ".join(cited) or "–"),
        ("Ranked sections", ", ".join(r.ranked[:5]) or "–"),
        ("Answer", r.public.get("answer", "")),
    ]
    return fields


# --------------------------------------------------------------------------------------------
# Comparison with a previous run
# --------------------------------------------------------------------------------------------


def load_run(path: Path) -> dict:
    """A previous run folder's metrics.json and answers.jsonl.

    Raises EvalRunError when the folder, a file or the scores are missing or unreadable.
    """
    path = Path(path)
    mpath, apath = path / "metrics.json", path / "answers.jsonl"
    if not mpath.is_file() or not apath.is_file():
        raise EvalRunError(f"--compare {path}: not an eval run folder (needs metrics.json and answers.jsonl).")
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
        answers = [json.loads(line) for line in apath.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise EvalRunError(f"--compare {path}: cannot read the run ({exc}).") from exc
    if "results" not in data or any("scores" not in a for a in answers):
        raise EvalRunError(f"--compare {path}: metrics.json or answers.jsonl lacks the eval results "
                           "(was it written by `guide-assistant eval`?).")
    return {"path": str(path), "metrics": data, "answers": answers}


def _delta(prev: Any, cur: Any) -> float | None:
    if isinstance(prev, (int, float)) and isinstance(cur, (int, float)) and prev is not None and cur is not None:
        return cur - prev
    return None


def _overall_deltas(cur_results: dict, prev_results: dict) -> dict[str, dict]:
    """{mode: {key: {previous, current, delta}}} over COLUMNS, for the modes of both."""
    deltas: dict[str, dict] = {}
    for mode, res in cur_results.items():
        before = prev_results.get(mode)
        if before is None:
            continue
        deltas[mode] = {k: {"previous": before["overall"].get(k), "current": res["overall"].get(k),
                            "delta": _delta(before["overall"].get(k), res["overall"].get(k))}
                        for k, _ in COLUMNS}
    return deltas


def item_label(set_name: str | None, id_: str, mode: str | None) -> str:
    """"set:id/mode" ("id/mode" for a run without sets)."""
    return f"{set_name}:{id_}/{mode}" if set_name else f"{id_}/{mode}"


def compare_runs(current: dict, current_answers: Sequence[dict], previous: dict) -> dict:
    """Metric deltas (overall, per mode in both runs, of the first set; per set for the sets of
    both runs; baselines of the first set) and the items whose checks (FLAGS) flipped:
    regressed = some check went from good to bad; improved = bad to good.

    Items are matched by (set, id, mode); the answers of a run written before the sets existed
    (no "set") are taken as its first set, and that set is compared with the current first set.
    Returns {"summary", "deltas", "set_deltas", "baseline_deltas", "regressed", "improved"};
    each item entry has set, id, mode, question, went_bad, went_good, the previous and current
    answers.
    """
    prev_data = previous["metrics"]
    deltas = _overall_deltas(current["results"], prev_data["results"])
    set_deltas: dict[str, dict] = {}
    if current.get("sets") and prev_data.get("sets"):
        for name, block in current["sets"].items():
            if name in prev_data["sets"]:
                set_deltas[name] = _overall_deltas(block["results"], prev_data["sets"][name]["results"])
    baseline_deltas: dict[str, dict] = {}
    cur_b, prev_b = current.get("retrieval_baselines") or {}, prev_data.get("retrieval_baselines") or {}
    for name in BASELINES:
        if name in cur_b and name in prev_b:
            baseline_deltas[name] = {k: {"previous": prev_b[name]["overall"].get(k),
                                         "current": cur_b[name]["overall"].get(k),
                                         "delta": _delta(prev_b[name]["overall"].get(k), cur_b[name]["overall"].get(k))}
                                     for k in RETRIEVAL_KEYS}
    cur_first = next(iter(current.get("sets") or {}), None)
    prev_first = next(iter(prev_data.get("sets") or {}), None) or cur_first
    prev_by = {(a.get("set") or prev_first, str(a["id"]), a.get("mode")): a for a in previous["answers"]}
    cur_by = {(a.get("set") or cur_first, str(a["id"]), a.get("mode")): a for a in current_answers}
    regressed, improved = [], []
    for key, cur in cur_by.items():
        prev = prev_by.get(key)
        if prev is None:
            continue
        went_bad, went_good = [], []
        for flag, get in FLAGS.items():
            a, b = get(prev["scores"]), get(cur["scores"])
            if a is True and b is False:
                went_bad.append(flag)
            elif a is False and b is True:
                went_good.append(flag)
        entry = {"set": key[0], "id": key[1], "mode": key[2], "question": cur.get("question"), "went_bad": went_bad,
                 "went_good": went_good, "previous_answer": prev.get("answer"), "current_answer": cur.get("answer"),
                 "previous_refused": prev.get("refused"), "current_refused": cur.get("refused")}
        if went_bad:
            regressed.append(entry)
        if went_good:
            improved.append(entry)
    summary = {
        "against": previous["path"],
        "previous_created_at": prev_data.get("created_at"),
        "n_common": len(set(cur_by) & set(prev_by)),
        "only_current": sorted(item_label(*k) for k in set(cur_by) - set(prev_by)),
        "only_previous": sorted(item_label(*k) for k in set(prev_by) - set(cur_by)),
        "regressed": [item_label(e["set"], e["id"], e["mode"]) for e in regressed],
        "improved": [item_label(e["set"], e["id"], e["mode"]) for e in improved],
        "overall_delta": {m: {k: v["delta"] for k, v in d.items()} for m, d in deltas.items()},
    }
    return {"summary": summary, "deltas": deltas, "set_deltas": set_deltas, "baseline_deltas": baseline_deltas,
            "regressed": regressed, "improved": improved}


def _delta_text(key: str, d: dict) -> str:
    delta = d["delta"]
    if delta is None:
        return "–"
    if abs(delta) < 1e-12:
        return "0"
    better = (delta < 0) if key in LOWER_IS_BETTER else (delta > 0)
    return f"{delta:+.3f} ({'better' if better else 'worse'})"


def comparison_tables(comparison: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of the comparison section: overall deltas per set and mode (the
    first set's when the previous run had no sets), baseline deltas, flipped items."""
    out = []
    per_set = comparison.get("set_deltas") or {None: comparison["deltas"]}
    for name, by_mode in per_set.items():
        for mode, d in by_mode.items():
            rows = [[_NAMES.get(k, k), fmt(v["previous"], k), fmt(v["current"], k), _delta_text(k, v)]
                    for k, v in d.items()]
            where = f"{name}, {mode}" if name else mode
            out.append((f"Overall deltas ({where})", ["metric", "previous", "current", "delta"], rows))
    if comparison["baseline_deltas"]:
        rows = [[f"{BASELINE_NAMES.get(n, n)} {k}", fmt(v["previous"], k), fmt(v["current"], k), _delta_text(k, v)]
                for n, d in comparison["baseline_deltas"].items() for k, v in d.items()]
        out.append(("Retrieval baseline deltas (first set)", ["metric", "previous", "current", "delta"], rows))
    for title, key, flags in (("Regressed items", "regressed", "went_bad"), ("Improved items", "improved", "went_good")):
        rows = [[e.get("set") or "–", e["id"], e["mode"], ", ".join(e[flags]), e["question"] or ""]
                for e in comparison[key]]
        out.append((f"{title} ({len(rows)})", ["set", "id", "mode", "checks flipped", "question"], rows))
    return out


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chart_by_type(path: Path, by_type: dict[str, dict], title: str) -> None:
    """Grouped bars: the CHART_METRICS for each item type (missing values = no bar)."""
    import numpy as np

    plt = _plt()
    types = list(by_type)
    x = np.arange(len(types))
    width = 0.8 / len(CHART_METRICS)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.1 * len(types) + 2), 4.5))
    for i, key in enumerate(CHART_METRICS):
        vals = [by_type[t].get(key) for t in types]
        ax.bar(x + (i - (len(CHART_METRICS) - 1) / 2) * width, [np.nan if v is None else v for v in vals],
               width, label=_NAMES.get(key, key))
    ax.set_xticks(x, [f"{t}\n(n={by_type[t]['n']})" for t in types], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (0-1, higher is better)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=len(CHART_METRICS), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def chart_latency(path: Path, latencies: Sequence[float], p50: float | None, p95: float | None, title: str) -> None:
    """Histogram of per-question latency with p50/p95 lines."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#4477aa")
    for value, name, style in ((p50, "p50", "--"), (p95, "p95", ":")):
        if value is not None:
            ax.axvline(value, color="black", linestyle=style, label=f"{name} = {value:.3f} s")
    ax.set_xlabel("latency per question (s)")
    ax.set_ylabel("questions")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def chart_baselines(path: Path, baselines: dict) -> None:
    """Grouped bars: hit@1/3/5 and MRR of each retriever."""
    import numpy as np

    plt = _plt()
    names = [n for n in BASELINES if n in baselines]
    x = np.arange(len(RETRIEVAL_KEYS))
    width = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, name in enumerate(names):
        vals = [baselines[name]["overall"].get(k) for k in RETRIEVAL_KEYS]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, [np.nan if v is None else v for v in vals], width,
               label=BASELINE_NAMES.get(name, name))
    ax.set_xticks(x, [_NAMES.get(k, k) for k in RETRIEVAL_KEYS])
    ax.set_ylim(0, 1.05)
    ax.set_title("Retrieval baselines (section level)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def write_charts(folder: Path, data: dict, set_runs: dict) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Write the PNGs of every set; returns {set: {mode or "baselines": [(file name, caption)]}}."""
    charts: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for name, block in run_sets(data).items():
        slug, charts[name] = _slug(name), {}
        for mode in data["modes"]:
            res = block["results"].get(mode)
            if res is None:
                continue
            by_type_png, latency_png = f"by_type_{slug}_{mode}.png", f"latency_{slug}_{mode}.png"
            chart_by_type(folder / by_type_png, res["by_type"], f"Main metrics by question type ({name}, {mode})")
            lat = [r.score.latency_s for r in set_runs[name][mode] if r.score.latency_s is not None]
            chart_latency(folder / latency_png, lat, res["overall"]["latency_p50_s"], res["overall"]["latency_p95_s"],
                          f"Latency per question ({name}, {mode})")
            charts[name][mode] = [(by_type_png, "Main metrics by question type"), (latency_png, "Latency histogram")]
        if block.get("retrieval_baselines"):
            chart_baselines(folder / f"baselines_{slug}.png", block["retrieval_baselines"])
            charts[name]["baselines"] = [(f"baselines_{slug}.png", "Retrieval baselines")]
    return charts


# --------------------------------------------------------------------------------------------
# report.md and report.html
# --------------------------------------------------------------------------------------------

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px}
td{text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}
.item{border:1px solid #ddd;border-left:4px solid #c33;padding:.5em 1em;margin:1em 0}
.item dt{font-weight:600;margin-top:.4em}.item dd{margin-left:1.5em;white-space:pre-wrap}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}.meta{color:#555;font-size:13px}"""


def _meta_lines(data: dict) -> list[str]:
    timing = data.get("timing", {})
    answer_s = ", ".join(f"{m} {s:.1f} s" for m, s in timing.get("answer_s", {}).items())
    r = data["settings"]["retrieval"]
    sets = ", ".join(f"{name} ({b['questions']}, {b['n_items']} items)" for name, b in run_sets(data).items())
    return [
        f"Created: {data['created_at']}",
        f"Sets: {sets}",
        f"Modes: {', '.join(data['modes'])}; embedder: {data['embedder']}; index: "
        f"{data['index'].get('n_chunks')} chunks, {data['index'].get('n_sections')} sections",
        f"Retrieval: top_k {r['top_k']}, candidates {r['candidates']}, rrf_k {r['rrf_k']}, refusal thresholds "
        f"fr {r['refusal_threshold_fr'] or 'embedder default'} / en {r['refusal_threshold_en'] or 'embedder default'}",
        f"Timing: load {timing.get('load_s', 0):.1f} s; answering {answer_s}; baselines "
        f"{timing.get('baselines_s', 0):.1f} s; total {timing.get('total_s', 0):.1f} s",
    ]


_NOTE = ("Each set is answered and scored separately. hit@k and MRR in the mode tables rank the sections the "
         "assistant retrieved (its own top_k chunks, named labels and previous-turn sections included), over the "
         "items with an expected source. Rates marked ↓ are lower-is-better (share of items with the problem). "
         "Limit stated: beyond-the-guide items refused or saying what the guide cannot say (wholly beyond; "
         "'partial' = partly beyond). Body language: the answer's own words (quotes of the guide removed) in the "
         "question's language. Dated: answers stating a euro amount whose every amount line gives the guide's "
         "year (2021). Baselines rank sections from each retriever asked for the same number of chunks, on the "
         "assistant's retrieval query.")


def write_report(folder: Path, data: dict, set_runs: dict, comparison: dict | None = None) -> None:
    """Write report.md, report.html and the charts into `folder` (set_runs: {set: {mode:
    [ItemRun]}})."""
    charts = write_charts(folder, data, set_runs)
    sets = run_sets(data)
    keys = [k for k, _ in COLUMNS]
    md: list[str] = ["# Eval report", "", *[f"- {line}" for line in _meta_lines(data)], "", _NOTE, ""]
    h: list[str] = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Eval report</title>",
                    f"<style>{_CSS}</style></head><body><h1>Eval report</h1><ul class='meta'>",
                    *[f"<li>{html.escape(line)}</li>" for line in _meta_lines(data)],
                    f"</ul><p class='meta'>{html.escape(_NOTE)}</p>"]

    def section(title: str, level: int = 2) -> None:
        md.extend([f"{'#' * level} {title}", ""])
        h.append(f"<h{level}>{html.escape(title)}</h{level}>")

    def paragraph(text: str) -> None:
        md.extend([text, ""])
        h.append(f"<p>{html.escape(text)}</p>")

    def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        md.extend([md_table(header, rows) if rows else "(none)", ""])
        h.append(html_table(header, rows) if rows else "<p>(none)</p>")

    def image(name: str, caption: str) -> None:
        md.extend([f"![{caption}]({name})", ""])
        h.append(f"<figure><img src='{html.escape(name)}' alt='{html.escape(caption)}'>"
                 f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    section("Sets side by side")
    for mode in data["modes"]:
        if len(data["modes"]) > 1:
            section(f"Mode {mode}", 3)
        table(*sets_table(data, mode))
    paragraph(gap_line(data))

    if comparison is not None:
        s = comparison["summary"]
        section("Comparison with a previous run")
        paragraph(f"Against {s['against']} (created {s['previous_created_at']}): {s['n_common']} items in both, "
                  f"{len(s['regressed'])} regressed, {len(s['improved'])} improved, {len(s['only_current'])} new, "
                  f"{len(s['only_previous'])} gone.")
        for title, header, rows in comparison_tables(comparison):
            section(title, 3)
            table(header, rows)

    for name, block in sets.items():
        section(f"Set {name}")
        paragraph(f"{block['questions']}: {block['n_items']} items ("
                  + ", ".join(f"{k} {v}" for k, v in block["counts"]["by_type"].items()) + ").")
        modes = [m for m in data["modes"] if m in block["results"]]
        section(f"Summary ({name})", 3)
        rows = [[mode, *[fmt(block["results"][mode]["overall"].get(k), k) for k in keys],
                 fmt(block["results"][mode].get("linked_page_citation_rate"))] for mode in modes]
        table(["mode", *[_NAMES[k] for k in keys], "cites a linked page"], rows)
        if block.get("retrieval_baselines"):
            section(f"Retrieval baselines ({name}; section level, {data.get('baseline_depth_chunks')} chunks "
                    "per retriever)", 3)
            table(*baseline_rows(block["retrieval_baselines"]))
            table(*baseline_rows(block["retrieval_baselines"], by="lang"))
            for file, caption in charts[name].get("baselines", []):
                image(file, caption)
        for mode in modes:
            t = _tables(block["results"][mode], keys)
            section(f"By type ({name}, {mode})", 3)
            table(*t["by_type"])
            section(f"By language ({name}, {mode})", 3)
            table(*t["by_lang"])
            for file, caption in charts[name].get(mode, []):
                image(file, caption)

        for mode, items in _failing(set_runs[name]).items():
            section(f"Failing items ({name}, {mode}): {len(items)} of {len(set_runs[name][mode])}", 3)
            counts: dict[str, int] = {}
            for r in items:
                for reason in failure_reasons(r.score.model_dump(mode="json")):
                    counts[reason] = counts.get(reason, 0) + 1
            table(["reason", "items"], [[k, str(v)] for k, v in sorted(counts.items())])
            for r in items:
                title = f"{r.item.id} · {r.item.type} · {r.item.lang}"
                fields = _item_fields(r)
                md.append(f"#### {title}")
                md.append("")
                for label, text in fields:
                    if label == "Answer":
                        quoted = "\n".join("  > " + line for line in text.splitlines())
                        md.append(f"- **{label}**:\n{quoted}")
                    else:
                        md.append(f"- **{label}**: {text}")
                md.append("")
                anchor = f"{name}-{r.item.id}-{mode}"
                h.append(f"<div class='item' id='{html.escape(anchor)}'><h4>{html.escape(title)}"
                         "</h4><dl>" + "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd>"
                                               for label, text in fields) + "</dl></div>")

    h.append("</body></html>")
    (folder / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (folder / "report.html").write_text("\n".join(h) + "\n", encoding="utf-8")
