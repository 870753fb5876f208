"""Choose the default embedder by numbers: for each bundled embedder, build an index and print
section-level hit@1, hit@3 and MRR of dense-only and hybrid retrieval on the project's
answerable questions, per language, with build time.

Usage: .venv/bin/python benchmarks/embedders.py [QUESTIONS.jsonl …]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from guide_assistant.assistant.language import detect_language
from guide_assistant.assistant.retrieval import group_sections
from guide_assistant.assistant.service import Assistant
from guide_assistant.config import Settings
from guide_assistant.eval.metrics import hit_at_k, load_eval_set, reciprocal_rank
from guide_assistant.index.embedders import EMBEDDERS
from guide_assistant.index.store import build_index


def ranked_dense(assistant: Assistant, query: str) -> list[str]:
    chunks = assistant.index.chunks
    return list(dict.fromkeys(chunks[i].section for i, _ in assistant.retriever.dense_ranked(query)))


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [Path("eval/dev_questions.jsonl"), Path("eval/questions.jsonl")]
    items = [it for p in paths for it in load_eval_set(p) if it.expected_sources and not it.expect_refusal]
    print(f"{len(items)} answerable questions from {', '.join(map(str, paths))}")
    print(f"{'embedder':<8} {'build s':>7} | {'retriever':<7} {'lang':<4} {'n':>3} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}")
    for embedder in EMBEDDERS:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(index={"index_dir": Path(tmp) / "i", "embedder": embedder})
            t0 = time.perf_counter()
            assistant = Assistant(build_index(settings, show_progress=False), settings)
            build = time.perf_counter() - t0
            rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
            for it in items:
                lang = detect_language(it.question)
                thread = assistant.thread(it.question, list(it.history), lang)
                query = thread.query
                hybrid = [h.label for h in group_sections(assistant.retriever.retrieve(
                    query, english=lang == "en", prior_sections=thread.prior))]
                for name, ranked in (("dense", ranked_dense(assistant, query)), ("hybrid", hybrid)):
                    score = (hit_at_k(ranked, it.expected_sources, 1), hit_at_k(ranked, it.expected_sources, 3),
                             reciprocal_rank(ranked, it.expected_sources))
                    for key in ((name, it.lang), (name, "all")):
                        rows.setdefault(key, []).append(score)
            for (name, lang), scores in sorted(rows.items()):
                n = len(scores)
                means = [sum(s[k] for s in scores) / n for k in range(3)]
                print(f"{embedder:<8} {build:7.1f} | {name:<7} {lang:<4} {n:3d} " + " ".join(f"{m:6.3f}" for m in means))


if __name__ == "__main__":
    main()
