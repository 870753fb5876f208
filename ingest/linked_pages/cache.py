"""The cache folder's pages: storing a fetched page, and loading every cached or saved page.

Loading only reads (every index build loads the cache): a saved file whose text is not cached,
or changed since, is extracted in memory; `cache_saved_texts` is the step that writes it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from guide_assistant.atomic import write_atomic
from guide_assistant.ingest.linked_pages.extract import extract, sniff_kind
from guide_assistant.ingest.linked_pages.manifest import MANIFEST_NAME, Manifest
from guide_assistant.ingest.linked_pages.records import Fetched, LinkedPage
from guide_assistant.ingest.links import Link, merge_links, normalise_url

log = logging.getLogger(__name__)

DEFAULT_PAGES_DIR = Path("corpus/pages")
KEY_HEX = 24


def url_key(url: str) -> str:
    """Cache file stem of a URL: first 24 hex digits of SHA-256 of its normalised form."""
    return hashlib.sha256((normalise_url(url) or url).encode("utf-8")).hexdigest()[:KEY_HEX]


def store_fetched(pages_dir: Path, link: Link, fetched: Fetched, title: str, text: str, old: dict,
                  attempt: str) -> dict:
    """Write a fetched page's raw content and its text (atomically) as ``<key>.<kind>`` and
    ``<key>.txt``; remove the URL's previous raw file when its kind changed. Returns the new
    manifest entry (`attempt`: ISO 8601 time of this run). Raises OSError when the folder cannot
    be written."""
    key = url_key(link.url)
    raw_name, text_name = f"{key}.{fetched.kind}", f"{key}.txt"
    write_atomic(pages_dir / raw_name, fetched.data)
    write_atomic(pages_dir / text_name, text.encode("utf-8"))
    stale = old.get("file")
    if stale and stale != raw_name and old.get("origin") == "fetched" and Path(stale).name == stale:
        (pages_dir / stale).unlink(missing_ok=True)  # the page changed from HTML to PDF or back
    return {
        "url": link.url, "origin": "fetched", "final_url": fetched.final_url,
        "redirects": [r.model_dump() for r in fetched.redirects], "status": fetched.status, "ok": True,
        "reason": None, "fetched_at": attempt, "last_attempt": attempt, "last_status": fetched.status,
        "content_type": fetched.content_type, "sha256": hashlib.sha256(fetched.data).hexdigest(),
        "title": title, "file": raw_name, "text_file": text_name,
        "sections": link.sections, "pages": link.pages,
    }


@dataclass(frozen=True)
class _Read:
    """One manifest line's file, read: its text is `cached` when the line's text file matches."""

    url: str
    name: str
    raw_path: Path
    sha256: str
    title: str
    text: str
    cached: bool


def _inside(pages_dir: Path, name: str) -> Path | None:
    """pages_dir/name when it stays inside pages_dir, else None."""
    path = (pages_dir / name).resolve()
    try:
        path.relative_to(pages_dir.resolve())
    except ValueError:
        return None
    return path


def _as_list(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, (str, int)) else list(value)


def _read(pages_dir: Path, manifest: Manifest, entry: dict) -> _Read | None:
    """The file of a manifest line with its text (the cached text when current, else extracted
    now); None, with a warning, when it is missing, outside the folder, unreadable or textless."""
    url = normalise_url(entry["url"]) or entry["url"]
    name = str(entry["file"])
    raw_path = _inside(pages_dir, name)
    if raw_path is None or not raw_path.is_file():
        log.warning("%s: file %r for %s not found; page skipped.", manifest.path, name, url)
        return None
    data = raw_path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    text_path = _inside(pages_dir, str(entry["text_file"])) if entry.get("text_file") else None
    if text_path is not None and text_path.is_file() and entry.get("sha256") == sha:
        return _Read(url, name, raw_path, sha, entry.get("title") or "", text_path.read_text(encoding="utf-8"), True)
    content_type = str(entry.get("content_type") or "")
    kind = sniff_kind(data, content_type, name) or sniff_kind(data, "", "")
    if kind is None:
        log.warning("%s: %s is neither HTML nor PDF; page skipped.", manifest.path, name)
        return None
    try:
        title, text = extract(data, kind, url, content_type)
    except ValueError as exc:
        log.warning("%s: %s: %s; page skipped.", manifest.path, name, exc)
        return None
    if not text.strip():
        log.warning("%s: no text in %s; page skipped.", manifest.path, name)
        return None
    log.info("Extracted the text of saved page %s (%s)", name, url)
    return _Read(url, name, raw_path, sha, entry.get("title") or title, text, False)


def load_saved_pages(pages_dir: Path = DEFAULT_PAGES_DIR, links: Iterable[Link] | None = None) -> list[LinkedPage]:
    """Every page of the cache with its text: pages fetched by `fetch_links` and pages saved by
    organisers (format in the package docstring), in manifest order. Writes nothing.

    links: discovered links, used for the citing sections and pages of lines that give none.
    Lines whose file is missing, unreadable or textless are skipped with a warning; so are files
    of the folder that no line names. An absent folder or manifest gives an empty list.
    """
    pages_dir = Path(pages_dir)
    if not pages_dir.is_dir():
        return []
    manifest = Manifest.read(pages_dir)
    known = merge_links(links or [])
    pages: list[LinkedPage] = []
    for entry in manifest.entries():
        if not entry.get("file"):
            continue  # a failed fetch with nothing cached
        read = _read(pages_dir, manifest, entry)
        if read is None:
            continue
        link = known.get(read.url)
        sections = [str(s) for s in _as_list(entry.get("sections") or entry.get("section"))]
        cited = [int(p) for p in _as_list(entry.get("pages"))]
        pages.append(LinkedPage(
            url=read.url, title=read.title, text=read.text, sha256=read.sha256,
            citing_sections=sections or (link.sections if link else []),
            pages=sorted(set(cited or (link.pages if link else []))),
            source_file=read.name, fetched_at=entry.get("fetched_at") or _mtime(read.raw_path),
        ))
    _warn_unnamed(pages_dir, manifest)
    return pages


def cache_saved_texts(pages_dir: Path = DEFAULT_PAGES_DIR) -> int:
    """Write the text of every saved file whose text is not cached or is stale into
    ``<key>.txt`` and complete its manifest line (sha256, title, text_file, fetched_at: the
    file's modification time unless given), the manifest rewritten atomically. Returns how many
    texts were written (0 for an absent folder). Raises OSError when the folder cannot be
    written."""
    pages_dir = Path(pages_dir)
    if not pages_dir.is_dir():
        return 0
    manifest = Manifest.read(pages_dir)
    written = 0
    for entry in manifest.entries():
        read = _read(pages_dir, manifest, entry) if entry.get("file") else None
        if read is None or read.cached:
            continue
        text_name = f"{url_key(read.url)}.txt"
        write_atomic(pages_dir / text_name, read.text.encode("utf-8"))
        entry.update({"sha256": read.sha256, "title": read.title, "text_file": text_name,
                      "fetched_at": entry.get("fetched_at") or _mtime(read.raw_path)})
        written += 1
    if written:
        manifest.write()
    return written


def _mtime(path: Path) -> str:
    """A file's modification time, ISO 8601 UTC to the second."""
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")


def _warn_unnamed(pages_dir: Path, manifest: Manifest) -> None:
    """Warn about each file of the folder that no manifest line names (cache-named files aside)."""
    named = {MANIFEST_NAME} | {str(e[k]) for e in manifest.entries() for k in ("file", "text_file") if e.get(k)}
    for path in sorted(pages_dir.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.name not in named \
                and not re.fullmatch(rf"[0-9a-f]{{{KEY_HEX}}}\.(txt|html|pdf)", path.name):
            log.warning("%s is in %s but no manifest line names its URL; skipped. Add a line such as "
                        '{"url": "https://…", "file": "%s"}.', path.name, pages_dir, path.name)
