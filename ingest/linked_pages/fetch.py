"""Fetch the pages the guide links to into the cache and update its manifest (the
``guide-assistant fetch-links`` command's library function)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import httpx

from guide_assistant.ingest.linked_pages.cache import DEFAULT_PAGES_DIR, store_fetched
from guide_assistant.ingest.linked_pages.extract import extract
from guide_assistant.ingest.linked_pages.http import DEFAULT_USER_AGENT, FetchFailure, download, new_client
from guide_assistant.ingest.linked_pages.manifest import Manifest, has_content, is_saved_by_organiser
from guide_assistant.ingest.linked_pages.records import Fetched, FetchReport, FetchResult, Redirect
from guide_assistant.ingest.linked_pages.robots import Robots
from guide_assistant.ingest.links import Link, merge_links

log = logging.getLogger(__name__)

# Content fields of a manifest line: kept as they are when a refresh fails.
CONTENT_FIELDS = ("final_url", "redirects", "status", "fetched_at", "content_type", "sha256", "title",
                  "file", "text_file")


@dataclass
class _Outcome:
    url: str
    fetched: Fetched | None = None
    title: str = ""
    text: str = ""
    failure: FetchFailure | None = None


def _fetch_one(client: httpx.Client, robots: Robots, url: str, *, max_bytes: int,
               total_timeout_s: float) -> _Outcome:
    try:
        fetched = download(client, robots, url, max_bytes=max_bytes, total_timeout_s=total_timeout_s)
        title, text = extract(fetched.data, fetched.kind, fetched.final_url, fetched.content_type)
    except FetchFailure as failure:
        log.info("Not fetched %s: %s", url, failure.reason)
        return _Outcome(url, failure=failure)
    except ValueError as exc:  # unreadable PDF
        log.info("Not fetched %s: %s", url, exc)
        return _Outcome(url, failure=FetchFailure(f"no text extracted: {exc}"))
    if not text.strip():
        reason = "no text extracted (page built by JavaScript? save it by hand)"
        return _Outcome(url, failure=FetchFailure(reason, status=fetched.status, redirects=fetched.redirects))
    log.info("Fetched %s (%d bytes, %s)", url, len(fetched.data), fetched.kind)
    return _Outcome(url, fetched=fetched, title=title, text=text)


def _result(entry: dict, ok: bool, pages_dir: Path, *, skipped: bool = False, reason: str | None = None,
            status: int | None = None) -> FetchResult:
    redirects = [Redirect(**r) for r in entry.get("redirects") or [] if isinstance(r, dict)]
    sections = entry.get("sections") or []
    return FetchResult(
        url=entry["url"], ok=ok, skipped=skipped, reason=reason, status=status,
        final_url=entry.get("final_url"), redirects=redirects, content_type=entry.get("content_type"),
        sha256=entry.get("sha256"), title=entry.get("title"), file=entry.get("file"),
        text_file=entry.get("text_file"), cached=has_content(entry, pages_dir),
        sections=[sections] if isinstance(sections, str) else list(sections),
        pages=[int(p) for p in entry.get("pages") or []],
    )


def _failed_entry(link: Link, failure: FetchFailure, old: dict, pages_dir: Path, attempt: str) -> dict:
    """The manifest line after a failed attempt: the cached content's fields kept as they were."""
    entry = {"url": link.url, "origin": "fetched"}
    entry |= {k: old.get(k) for k in CONTENT_FIELDS}
    if not has_content(old, pages_dir):  # nothing cached: show this attempt's hops
        entry["redirects"] = [r.model_dump() for r in failure.redirects]
    return entry | {"ok": False, "reason": failure.reason, "last_attempt": attempt,
                    "last_status": failure.status, "sections": link.sections, "pages": link.pages}


def fetch_links(
    links: Iterable[Link],
    pages_dir: Path = DEFAULT_PAGES_DIR,
    *,
    timeout_s: float = 10,
    total_timeout_s: float = 60,
    max_bytes: int = 5_000_000,
    concurrency: int = 4,
    user_agent: str = DEFAULT_USER_AGENT,
) -> FetchReport:
    """Fetch every link's page into the cache `pages_dir` and update its manifest.

    timeout_s: seconds allowed to connect and between two received pieces of a response.
    total_timeout_s: seconds allowed for one response's whole body. max_bytes: a response body
    (after content decoding) longer than this many bytes fails as "too large". concurrency: at
    most this many requests at a time (≥ 1). user_agent: sent with every request (robots.txt
    rules for it and for "guide-assistant" both apply).

    Failures (HTTP errors, robots.txt, timeouts, size, content type, no text) are recorded in
    the manifest with their reason and never delete earlier content. When every attempted URL
    fails to connect, nothing is written and the report's `network_unreachable` is True.
    Lines saved by organisers are skipped. Raises ValueError for a bad argument and OSError when
    the cache folder cannot be written.
    """
    if concurrency < 1 or max_bytes < 1 or timeout_s <= 0 or total_timeout_s <= 0:
        raise ValueError("concurrency and max_bytes must be ≥ 1, timeouts > 0 seconds")
    pages_dir = Path(pages_dir)
    manifest = Manifest.read(pages_dir)
    wanted = merge_links(links)
    skipped: list[FetchResult] = []
    to_fetch: list[str] = []
    for url in wanted:
        entry = manifest.find(url)
        if entry is not None and is_saved_by_organiser(entry):
            skipped.append(_result(entry, False, pages_dir, skipped=True, reason="saved by organiser; not fetched"))
        else:
            to_fetch.append(url)

    outcomes: list[_Outcome] = []
    if to_fetch:
        client = new_client(user_agent, timeout_s, concurrency)
        robots = Robots(client, user_agent)
        with client, ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fetch") as pool:
            outcomes = list(pool.map(
                lambda u: _fetch_one(client, robots, u, max_bytes=max_bytes, total_timeout_s=total_timeout_s),
                to_fetch,
            ))

    if outcomes and all(o.failure is not None and o.failure.network for o in outcomes):
        message = f"network unreachable; cache kept ({len(outcomes)} URL(s) not fetched, manifest unchanged)"
        log.warning(message)
        results = skipped + [
            _result(manifest.find(o.url) or {"url": o.url}, False, pages_dir, skipped=True, reason=o.failure.reason)
            for o in outcomes
        ]
        return FetchReport(network_unreachable=True, message=message, manifest=str(manifest.path), results=results)

    results = list(skipped)
    attempt = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for outcome in outcomes:
        link = wanted[outcome.url]
        old = manifest.find(outcome.url) or {}
        if outcome.fetched is not None:
            entry = store_fetched(pages_dir, link, outcome.fetched, outcome.title, outcome.text, old, attempt)
            results.append(_result(entry, True, pages_dir, status=outcome.fetched.status))
        else:
            failure = outcome.failure
            entry = _failed_entry(link, failure, old, pages_dir, attempt)
            results.append(_result(entry, False, pages_dir, reason=failure.reason, status=failure.status))
        manifest.put(entry)
    if outcomes:
        manifest.write()
    report = FetchReport(network_unreachable=False, message="", manifest=str(manifest.path), results=results)
    message = (f"{report.fetched} fetched, {report.failed} failed, {report.skipped} skipped; "
               f"manifest {manifest.path}")
    log.info(message)
    return report.model_copy(update={"message": message})
