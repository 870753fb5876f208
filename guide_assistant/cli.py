"""`guide-assistant`: a thin command line over the library (ingest, index, ask, chat)."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from guide_assistant.config import AnswerSettings, Settings
from guide_assistant.errors import GuideAssistantError, IndexMismatchError, IndexMissingError

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Assistant for local elected officials on the poverty-prevention strategy guide.")


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log progress and retrieval details")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "faiss.loader", "llama_index.core.indices.loading"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(exc: Exception) -> None:
    typer.echo(f"Error: {exc}", err=True)
    raise typer.Exit(code=2)


def _ingested():
    """The ingested corpus of the configured folder, or exit 2 with the error's message."""
    from guide_assistant.ingest.pipeline import ingest as run_ingest

    try:
        return run_ingest(Settings().ingest.corpus_dir)
    except GuideAssistantError as exc:
        _fail(exc)


@app.command()
def ingest(as_json: bool = typer.Option(False, "--json", help="print the section records as JSON")) -> None:
    """Read the corpus PDFs and print the sections found (nothing is written)."""
    corpus = _ingested()
    if as_json:
        typer.echo(json.dumps([s.model_dump() for s in corpus.sections], ensure_ascii=False, indent=1))
        return
    for s in corpus.sections:
        facts = f"{len(s.speakers)} speakers, {len(s.contacts)} contacts, {len(s.funding)} amounts"
        typer.echo(f"{s.citation:<32} {s.title[:60]:<60} {facts}")


@app.command()
def index(rebuild: bool = typer.Option(False, "--rebuild", help="rebuild even if the index is up to date")) -> None:
    """Build the index (embeddings + FAISS) unless an up-to-date one exists."""
    from guide_assistant.index.store import build_index, load_index

    settings = Settings()
    try:
        if not rebuild:
            try:
                loaded = load_index(settings)
                typer.echo(f"Index up to date: {len(loaded.chunks)} chunks in {settings.index.index_dir}")
                return
            except (IndexMissingError, IndexMismatchError) as exc:
                typer.echo(f"{exc}\nBuilding…" if isinstance(exc, IndexMismatchError) else "Building the index…")
        loaded = build_index(settings)
    except GuideAssistantError as exc:
        _fail(exc)
    typer.echo(f"Index built: {len(loaded.chunks)} chunks, {len(loaded.sections)} sections, "
               f"embedder {loaded.manifest['embedder']}, in {settings.index.index_dir}")


def with_mode(settings: Settings, mode: str | None) -> Settings:
    """`settings` with the answer mode replaced (validated) when `mode` is given."""
    if mode is None:
        return settings
    answer = AnswerSettings(**(settings.answer.model_dump() | {"mode": mode}))
    return settings.model_copy(update={"answer": answer})


def _print_answer(answer, sections: dict) -> None:
    """The answer, then its sources, each cited by its section's printed page labels when the
    guide has them (`sections`: the index's records by label)."""
    typer.echo(answer.answer)
    if answer.citations:
        typer.echo("\nSources:")
        for c in answer.citations:
            pages = sections[c.section].page_span(c.pages) if c.section in sections else f"p. {c.pages[0]}"
            typer.echo(f"  - {c.section} — {c.title} ({pages}): « {c.quote[:160]} »")


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="the question, in French or English"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object (public contract v1)"),
    batch: Optional[Path] = typer.Option(None, "--batch", help="JSON Lines file of {id, question, history?}"),
    out: Optional[Path] = typer.Option(None, "--out", help="where --batch writes its JSON Lines"),
    mode: Optional[str] = typer.Option(None, "--mode", help="answer mode: extractive or llm (default: settings)"),
) -> None:
    """Answer a question (or a batch of questions) from the guide, with sources."""
    from guide_assistant.assistant.service import Assistant
    from guide_assistant.batch import partial_path, read_batch, run_batch, write_jsonl_atomic

    if (batch is None) == (question is None):
        _fail(GuideAssistantError("Give either a QUESTION or --batch IN.jsonl --out OUT.jsonl."))
    if batch is not None and out is None:
        _fail(GuideAssistantError("--batch needs --out OUT.jsonl."))
    try:
        settings = with_mode(Settings(), mode)
        items = read_batch(batch) if batch is not None else None
        assistant = Assistant.from_settings(settings)
        if items is not None:
            partial = partial_path(out)
            try:
                # the local model's section states first, with their own progress bar: saved once
                # (minutes on a first run), they would otherwise stall the first questions unseen
                assistant.warm(show_progress=sys.stderr.isatty())
                records = run_batch(assistant, items, partial, show_progress=sys.stderr.isatty())
            except KeyboardInterrupt:
                _fail(GuideAssistantError(f"Interrupted: the answers so far are in {partial}; "
                                          "the same command resumes after them."))
            write_jsonl_atomic(out, records)
            partial.unlink(missing_ok=True)
            typer.echo(f"{len(records)} answers written to {out}")
            return
        answer = assistant.ask(question)
    except GuideAssistantError as exc:
        _fail(exc)
    except ValueError as exc:  # pydantic: e.g. an unknown --mode
        _fail(GuideAssistantError(f"Invalid option: {exc}"))
    if as_json:
        typer.echo(json.dumps(answer.to_public(), ensure_ascii=False, indent=1))
    else:
        _print_answer(answer, assistant.index.sections)
    logging.getLogger(__name__).info("retrieval: %s", answer.debug)


@app.command()
def chat(
    host: Optional[str] = typer.Option(None, "--host", help="address to bind (default 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="TCP port (default 7860)"),
) -> None:
    """Start the chat page (builds the index on first run)."""
    from guide_assistant.app import launch

    settings = Settings()
    app_settings = settings.app.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v})
    try:
        launch(settings.model_copy(update={"app": app_settings}))
    except GuideAssistantError as exc:
        _fail(exc)


@app.command("eval")
def eval_(
    questions: Optional[list[Path]] = typer.Option(
        None, "--questions", help="JSONL eval set, repeatable: each set (named by the file's stem) is answered and "
        "scored separately (default: every packaged set that exists: main, dev, blind, beyond)"),
    out: Path = typer.Option(Path("eval/runs"), "--out", help="folder receiving the timestamped run folder"),
    compare: Optional[Path] = typer.Option(None, "--compare", help="a previous run folder to compare with"),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="also score BM25-only, dense-only "
                                   "and hybrid retrieval"),
    mode: Optional[list[str]] = typer.Option(None, "--mode", help="answer mode(s) to run, repeatable: "
                                             "extractive, llm (default: the configured mode)"),
    all_modes: bool = typer.Option(False, "--all-modes", help="run every answer mode side by side"),
) -> None:
    """Run the eval sets side by side, score every answer, write metrics, answers and an HTML/Markdown report."""
    from guide_assistant.eval.runner import available_modes, run_eval

    modes = available_modes() if all_modes else mode or None
    try:
        result = run_eval(questions=questions or None, out_dir=out, compare=compare, baselines=baselines,
                          settings=Settings(), modes=modes, show_progress=sys.stderr.isatty())
    except GuideAssistantError as exc:
        _fail(exc)
    typer.echo(result.summary_text)
    if result.comparison is not None:
        s = result.comparison["summary"]
        typer.echo(f"\nCompared with {s['against']}: {len(s['regressed'])} regressed, {len(s['improved'])} improved.")
    typer.echo(f"\nReport: {result.run_dir / 'report.html'}")


@app.command()
def links(as_json: bool = typer.Option(False, "--json", help="print the links as JSON")) -> None:
    """List the pages the guide links to, with the sections and pages that cite them."""
    corpus = _ingested()
    if as_json:
        typer.echo(json.dumps([lk.model_dump() for lk in corpus.links], ensure_ascii=False, indent=1))
        return
    for lk in corpus.links:
        typer.echo(f"{lk.url}\n    cited by {', '.join(lk.sections)} (p. {', '.join(map(str, lk.pages))})")


@app.command("fetch-links")
def fetch_links_cmd() -> None:
    """Fetch the guide's linked pages into the cache (corpus/pages/), politely; offline, the
    cache is kept and saved pages can be placed there by hand (see README). The text of pages
    saved by hand is cached too."""
    from guide_assistant.ingest.linked_pages.cache import cache_saved_texts
    from guide_assistant.ingest.linked_pages.fetch import fetch_links

    s = Settings().ingest
    corpus = _ingested()
    if n_saved := cache_saved_texts(s.pages_dir):
        typer.echo(f"Text of {n_saved} page(s) saved by hand cached in {s.pages_dir}.")
    report = fetch_links(corpus.links, s.pages_dir, timeout_s=s.fetch_timeout_s, max_bytes=s.fetch_max_bytes,
                         concurrency=s.fetch_concurrency)
    typer.echo(report.message)
    for r in report.results:
        if not r.ok and not r.skipped:
            typer.echo(f"  failed: {r.url}: {r.reason}")
    typer.echo("Run `guide-assistant index` to index the cached pages.")
