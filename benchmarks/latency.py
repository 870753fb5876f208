"""Answer latency per mode: time to the first piece of text shown (first token of the draft in
mode "llm"; the whole answer in mode "extractive") and total time, p50/p95, on a question set.
Mode "llm" first saves every section's prompt-prefix state (as the chat page does at start-up)
and prints how long that took; the latencies are those of a warmed page.

With --judge, each mode is measured again with the answerability judge on (its states are the
same as the generative mode's), and the judge's added latency is printed.

Usage: .venv/bin/python benchmarks/latency.py [--questions eval/dev_questions.jsonl] [--modes extractive llm] [--judge]
Settings come from the environment (e.g. GUIDE_ASSISTANT_LLM__MODEL=qwen2.5-coder-0.5b).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from guide_assistant.assistant.service import Assistant, make_answerer, make_judge
from guide_assistant.config import AnswerSettings, Settings
from guide_assistant.eval.metrics import load_eval_set


def measure(assistant: Assistant, items) -> tuple[list[float], list[float], int]:
    """(first-text seconds, total seconds, refusals) over the items."""
    firsts, totals, refused = [], [], 0
    for it in items:
        t0 = time.perf_counter()
        first = None
        for event in assistant.ask_stream(it.question, list(it.history)):
            if first is None:
                first = time.perf_counter() - t0
            answer = event
        totals.append(time.perf_counter() - t0)
        firsts.append(first)
        refused += answer.refused
    return firsts, totals, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("eval/dev_questions.jsonl"))
    parser.add_argument("--modes", nargs="+", default=["extractive", "llm"])
    parser.add_argument("--judge", action="store_true", help="also measure each mode with the judge on")
    args = parser.parse_args()
    items = load_eval_set(args.questions)
    base = Settings()
    assistant = Assistant.from_settings(base, show_progress=False)
    print(f"{len(items)} questions from {args.questions}; llm model {base.llm.model} ({base.llm.backend})")
    for mode in args.modes:
        plain = None
        for judge in (["off", "on"] if args.judge else [base.answer.judge]):
            answer = AnswerSettings(**(base.answer.model_dump() | {"mode": mode, "judge": judge}))
            settings = base.model_copy(update={"answer": answer})
            assistant.settings, assistant.judge = settings, make_judge(settings)
            assistant.answerer = make_answerer(assistant.index, settings, assistant.judge)
            t0 = time.perf_counter()
            counts = assistant.warm(show_progress=True)
            if counts:
                print(f"{mode:<10} prompt-prefix states {counts} in {time.perf_counter() - t0:.1f} s")
            firsts, totals, refused = measure(assistant, items)
            f, t = np.array(firsts), np.array(totals)
            name = f"{mode}{'+judge' if judge == 'on' else ''}"
            print(f"{name:<16} first text p50 {np.percentile(f, 50):6.2f} s  p95 {np.percentile(f, 95):6.2f} s | "
                  f"total p50 {np.percentile(t, 50):6.2f} s  p95 {np.percentile(t, 95):6.2f} s | refused {refused}")
            if plain is not None:
                added = t - plain
                print(f"{'judge adds':<16} p50 {np.percentile(added, 50):6.2f} s  p95 {np.percentile(added, 95):6.2f} s")
            plain = t


if __name__ == "__main__":
    main()
