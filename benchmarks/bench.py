"""Main-job benchmark: prints extraction fidelity, ingest time, index build time, cold start,
p50/p95 `ask` latency and peak memory. Figures, not pass/fail.

Usage: .venv/bin/python benchmarks/bench.py [--reference PATH] [--questions eval/dev_questions.jsonl]
The reference text (../shared/reference/…source.md) is a measuring stick only, never an input.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from guide_assistant.config import Settings
from guide_assistant.ingest.clean import clean_pages
from guide_assistant.ingest.pdf import read_corpus

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def reference_words(md: str) -> list[str]:
    """Words of the markdown reference, markup removed ([text](#) → text, ** and # dropped)."""
    md = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", md)
    md = re.sub(r"[*#>_`|]", " ", md)
    return [w.lower() for w in _WORD.findall(md)]


def fidelity(extracted: str, reference: str) -> dict:
    """Share of reference words found in order in the extraction (recall), share of extracted
    words that are in that alignment (precision), and tokens absent from the reference
    vocabulary (glued or split words show up there)."""
    ext = [w.lower() for w in _WORD.findall(extracted)]
    ref = reference_words(reference)
    matcher = difflib.SequenceMatcher(None, ref, ext, autojunk=False)
    matched = sum(b.size for b in matcher.get_matching_blocks())
    vocab = set(ref)
    odd = sorted({w for w in ext if w not in vocab})
    return {"recall": matched / len(ref), "precision": matched / len(ext), "ref_words": len(ref),
            "extracted_words": len(ext), "unknown_tokens": len(odd), "unknown_examples": odd[:15]}


def cold_start(settings_env: dict, question: str) -> float:
    """Seconds from process start to the printed answer of `guide-assistant ask` (index exists)."""
    exe = Path(sys.executable).with_name("guide-assistant")
    t0 = time.perf_counter()
    subprocess.run([str(exe), "ask", "--json", question], check=True, capture_output=True, env=settings_env)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path,
                        default=Path("../shared/reference/guide-elus-occitanie-2021.source.md"))
    parser.add_argument("--questions", type=Path, default=Path("eval/dev_questions.jsonl"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index={"index_dir": Path(tmp) / "index"})
        t0 = time.perf_counter()
        pdfs = read_corpus(settings.ingest.corpus_dir)
        from guide_assistant.ingest.pipeline import ingest

        ingest(settings.ingest.corpus_dir)
        t_ingest = time.perf_counter() - t0
        if args.reference.exists():
            text = "\n".join("\n".join(clean_pages(p.pages)) for p in pdfs)
            fid = fidelity(text, args.reference.read_text(encoding="utf-8"))
            print(f"extraction fidelity: recall {fid['recall']:.4f}, precision {fid['precision']:.4f} "
                  f"({fid['ref_words']} reference words, {fid['extracted_words']} extracted); "
                  f"{fid['unknown_tokens']} tokens not in the reference, e.g. {fid['unknown_examples']}")
        print(f"ingest (read + clean + sections + facts): {t_ingest:.2f} s")

        from guide_assistant.index.store import build_index

        t0 = time.perf_counter()
        build_index(settings, show_progress=False)
        print(f"index build (embedder load + chunk + embed + persist): {time.perf_counter() - t0:.1f} s")

        env = dict(os.environ, GUIDE_ASSISTANT_INDEX__INDEX_DIR=str(settings.index.index_dir), HF_HUB_OFFLINE="1")
        print(f"cold start (process start → first answer, index on disk): "
              f"{cold_start(env, 'Comment financer des petits déjeuners à l’école ?'):.1f} s")

        from guide_assistant.assistant.service import Assistant
        from guide_assistant.records import Turn

        assistant = Assistant.from_settings(settings, show_progress=False)
        items = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        latencies = []
        for it in items:
            t0 = time.perf_counter()
            assistant.ask(it["question"], [Turn(**t) for t in it.get("history") or []])
            latencies.append(time.perf_counter() - t0)
        lat = np.array(latencies)
        print(f"ask latency over {len(lat)} questions ({args.questions}): p50 {np.percentile(lat, 50):.3f} s, "
              f"p95 {np.percentile(lat, 95):.3f} s, max {lat.max():.3f} s")
        print(f"peak memory (this process, max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
