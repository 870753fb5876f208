"""Fetch the pages the guide links to, cache them with provenance, and load the cache.

The cache folder (``pages_dir``, default ``corpus/pages/``) holds, per URL, the raw content
(``<key>.html`` or ``<key>.pdf``) and its extracted main text (``<key>.txt``), where ``<key>`` is
the first 24 hex digits of the SHA-256 of the normalised URL, and one manifest,
``manifest.jsonl``: one JSON object per line, one line per URL. Every write is atomic (a
temporary file in the same folder, then a rename), so an interrupted run leaves the old file.

Saved pages (public format for organisers)
------------------------------------------
When a site cannot be fetched (no network, robots.txt forbids it, a login wall), save the page
(HTML or PDF) into ``corpus/pages/`` and add one line to ``corpus/pages/manifest.jsonl``::

    {"url": "https://www.asp-public.fr/tarification-sociale-des-cantines-scolaires", "file": "asp.html", "sections": ["Atelier n°1"]}

* ``url`` (required): the address of the page, as the guide cites it.
* ``file`` (required): the saved file's name inside ``corpus/pages/`` (``.html``, ``.htm`` or
  ``.pdf``; other names are recognised by their content).
* ``sections`` (optional): labels of the guide's sections citing the page ("Atelier n°1",
  "Table-ronde I", …); a single string is accepted too. When missing, the sections that
  `discover_links` finds for the URL are used (pass ``links`` to `load_saved_pages`).
* ``pages`` (optional): the guide's pages citing it; ``title`` (optional): the page's title.

`load_saved_pages` extracts the text of such a file (into ``<key>.txt``) the first time it sees
it, and again whenever the file changes (its SHA-256 no longer matches the manifest). It then
adds ``sha256``, ``title``, ``text_file`` and ``fetched_at`` (the file's modification time) to
the line. `fetch_links` never fetches over an organiser's line (a line with a ``file`` and no
``"origin": "fetched"``): the organiser's copy wins.

Lines written by `fetch_links` carry: url, origin ("fetched"), final_url, redirects (list of
{url, status, location}), status (HTTP status of the cached content), ok (did the last attempt
succeed), reason (why it failed, else null), fetched_at (ISO 8601 UTC time of the cached
content), last_attempt, last_status, content_type, sha256 (of the raw content), title, file,
text_file, sections (citing section labels) and pages (citing guide pages). A failed refresh
never drops cached content: only ok, reason, last_attempt, last_status, sections and pages
change. A line that is not valid JSON is kept verbatim (and reported) when the manifest is
rewritten.

Fetching is polite: one user agent naming the project, robots.txt honoured for every URL and
redirect hop (a missing robots.txt, i.e. HTTP 4xx other than 401/403, allows all; 401/403 and
5xx forbid all, as RFC 9309 says), at most `concurrency` requests at a time, HTML and PDF only,
a size cap and timeouts. When every attempted URL fails to connect (DNS failure, connection
refused, connect timeout), the network is taken as unreachable: nothing is written and the
report says "network unreachable; cache kept".

Only one process should write a given cache folder at a time.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable, Literal
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from pypdf import PdfReader

from guide_assistant.atomic import write_atomic
from guide_assistant.ingest.clean import normalise
from guide_assistant.ingest.links import Link, normalise_url
from guide_assistant.records import Record

log = logging.getLogger(__name__)

DEFAULT_PAGES_DIR = Path("corpus/pages")
MANIFEST_NAME = "manifest.jsonl"
ROBOTS_TOKEN = "guide-assistant"
DEFAULT_USER_AGENT = (
    "guide-assistant/0.1 (link cache of the assistant for elected officials on the Occitanie "
    "2021 poverty-strategy guide; fetches only pages the guide cites; honours robots.txt)"
)
MAX_REDIRECTS = 10
ROBOTS_MAX_BYTES = 512_000  # robots.txt bodies are read up to this many bytes
KEY_HEX = 24
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
# Content fields of a manifest line: kept as they are when a refresh fails.
CONTENT_FIELDS = ("final_url", "redirects", "status", "fetched_at", "content_type", "sha256", "title",
                  "file", "text_file")

Kind = Literal["html", "pdf"]


# --------------------------------------------------------------------------- records


class LinkedPage(Record):
    """A cached page cited by the guide, ready to index.

    url: the URL as the guide cites it (normalised). text: the page's main text. sha256: of the
    raw file. citing_sections: labels of the guide's sections citing it; pages: guide pages
    citing it. source_file: the raw file's name inside the cache folder. fetched_at: ISO 8601
    time the content was fetched (or the saved file's modification time), None when unknown.
    """

    url: str
    title: str
    text: str
    sha256: str
    citing_sections: list[str]
    pages: list[int]
    source_file: str
    fetched_at: str | None = None


class Redirect(Record):
    """One redirect hop: `url` answered HTTP `status` pointing to `location` (absolute)."""

    url: str
    status: int
    location: str


class FetchResult(Record):
    """What happened to one URL in a `fetch_links` run.

    ok: fetched and extracted now. skipped: not attempted (an organiser's saved copy exists, or
    the network was unreachable). reason: why it failed or was skipped. status: HTTP status of
    the last response (None without a response). cached: the cache holds content for the URL
    after the run (possibly from an earlier run).
    """

    url: str
    ok: bool
    skipped: bool = False
    reason: str | None = None
    status: int | None = None
    final_url: str | None = None
    redirects: list[Redirect] = []
    content_type: str | None = None
    sha256: str | None = None
    title: str | None = None
    file: str | None = None
    text_file: str | None = None
    cached: bool = False
    sections: list[str] = []
    pages: list[int] = []


class FetchReport(Record):
    """Outcome of a `fetch_links` run.

    network_unreachable: every attempt failed to connect; nothing was written. message: one
    line for the user. manifest: path of the manifest.
    """

    network_unreachable: bool
    message: str
    manifest: str
    results: list[FetchResult]

    @property
    def fetched(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.ok and not r.skipped for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(r.skipped for r in self.results)


# --------------------------------------------------------------------------- helpers


def url_key(url: str) -> str:
    """Cache file stem of a URL: first 24 hex digits of SHA-256 of its normalised form."""
    return hashlib.sha256((normalise_url(url) or url).encode("utf-8")).hexdigest()[:KEY_HEX]


def now_iso() -> str:
    """Current UTC time, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sniff_kind(data: bytes, content_type: str = "", name: str = "") -> Kind | None:
    """"html", "pdf" or None, from the media type, else the file name, else the first bytes."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in PDF_TYPES:
        return "pdf"
    if ctype in HTML_TYPES:
        return "html"
    if ctype:
        return None
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    head = data[:1024].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head or b"<head" in head:
        return "html"
    return None


# --------------------------------------------------------------------------- text extraction


_BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "main", "h1", "h2",
          "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "dl", "figcaption", "hr"}
_SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "template",
         "iframe", "head", "button", "select", "menu"}
_MAIN = {"main", "article"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}


class _Stripper(HTMLParser):
    """Readability-style text: skips scripts, navigation, headers, footers and forms; prefers
    the text inside <main>/<article> when the page has one; keeps the <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.main = 0
        self.in_title = False
        self.title = ""
        self.all: list[str] = []
        self.main_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        if tag in _VOID:
            if tag in _BLOCK:
                self._emit("\n")
            return
        if tag in _SKIP:
            self.skip += 1
        elif tag in _MAIN:
            self.main += 1
        if tag in _BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in _VOID:
            return
        if tag in _SKIP and self.skip:
            self.skip -= 1
        elif tag in _MAIN and self.main:
            self.main -= 1
        if tag in _BLOCK:
            self._emit("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
            return
        self._emit(data)

    def _emit(self, text: str) -> None:
        if self.skip:
            return
        self.all.append(text)
        if self.main:
            self.main_text.append(text)


def _tidy(text: str) -> str:
    lines = (re.sub(r"[ \t\r\f\v ]+", " ", ln).strip() for ln in text.splitlines())
    return normalise("\n".join(ln for ln in lines if ln))


def strip_html(html: str) -> tuple[str, str]:
    """(title, main text) of an HTML document, without any third-party library."""
    parser = _Stripper()
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # HTMLParser is lenient; be safe on odd input
        log.debug("HTML parser stopped early: %s", exc)
    main = _tidy("".join(parser.main_text))
    return _tidy(parser.title).replace("\n", " "), main or _tidy("".join(parser.all))


def decode_html(data: bytes, content_type: str = "") -> str:
    """HTML bytes → str: the header's charset, else a <meta> charset, else UTF-8, else cp1252."""
    candidates = []
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    if m:
        candidates.append(m.group(1))
    m = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", data[:4096], re.I)
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    candidates += ["utf-8", "cp1252"]
    for enc in candidates:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


_TRAFILATURA_MISSING = False


def html_text(data: bytes, url: str = "", content_type: str = "") -> tuple[str, str]:
    """(title, main text) of an HTML page: trafilatura, or `strip_html` when trafilatura is not
    installed or finds nothing (short pages)."""
    global _TRAFILATURA_MISSING
    html = decode_html(data, content_type)
    title, fallback = strip_html(html)
    text = ""
    try:
        import trafilatura

        text = trafilatura.extract(html, url=url or None, include_comments=False, include_tables=True,
                                   favor_recall=True) or ""
        if not title:
            meta = trafilatura.extract_metadata(html, default_url=url or None)
            title = (meta.title or "") if meta is not None else ""
    except ImportError:
        if not _TRAFILATURA_MISSING:
            log.warning("trafilatura is not installed; using the simple HTML text extractor.")
            _TRAFILATURA_MISSING = True
    except Exception as exc:  # trafilatura/lxml on broken markup
        log.debug("trafilatura failed on %s: %s", url, exc)
    text = _tidy(text) if text.strip() else fallback
    return title.strip(), text


def pdf_text(data: bytes) -> tuple[str, str]:
    """(title, text) of a PDF: the document title (else its first line) and every page's text.

    Raises ValueError when the bytes are not a readable, unencrypted PDF.
    """
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValueError("encrypted PDF")
        pages = [normalise(p.extract_text() or "").strip() for p in reader.pages]
        meta = reader.metadata
        title = str(meta.title).strip() if meta is not None and meta.title else ""
    except ValueError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise ValueError(f"unreadable PDF ({exc})") from exc
    text = "\n\n".join(p for p in pages if p)
    if not title and text:
        title = text.splitlines()[0].strip()
    return title, text


def extract(data: bytes, kind: Kind, url: str = "", content_type: str = "") -> tuple[str, str]:
    """(title, main text) of raw content of the given kind. Raises ValueError for a bad PDF."""
    return pdf_text(data) if kind == "pdf" else html_text(data, url, content_type)


# --------------------------------------------------------------------------- manifest


@dataclass
class Manifest:
    """The cache manifest: entries (dicts) and unreadable lines (kept verbatim), in file order."""

    path: Path
    items: list[dict | str] = field(default_factory=list)

    @staticmethod
    def key(url: str) -> str:
        return normalise_url(url) or url.strip()

    @classmethod
    def read(cls, pages_dir: Path) -> "Manifest":
        """Read `pages_dir/manifest.jsonl` (an absent file is an empty manifest). Later lines for
        the same URL replace earlier ones; a bad line is logged and kept verbatim."""
        path = Path(pages_dir) / MANIFEST_NAME
        manifest = cls(path)
        if not path.exists():
            return manifest
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                    raise ValueError('not an object with a "url" string')
            except ValueError as exc:
                log.warning("%s line %d ignored (%s); it is kept as is.", path, n, exc)
                manifest.items.append(line)
                continue
            manifest.put(entry)
        return manifest

    def find(self, url: str) -> dict | None:
        key = self.key(url)
        return next((e for e in self.items if isinstance(e, dict) and self.key(e["url"]) == key), None)

    def put(self, entry: dict) -> None:
        """Replace the entry for the same URL (keeping its position) or append it."""
        key = self.key(entry["url"])
        for i, item in enumerate(self.items):
            if isinstance(item, dict) and self.key(item["url"]) == key:
                self.items[i] = entry
                return
        self.items.append(entry)

    def entries(self) -> list[dict]:
        return [e for e in self.items if isinstance(e, dict)]

    def write(self) -> None:
        """Rewrite the manifest atomically (one JSON object per line, UTF-8)."""
        lines = [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in self.items]
        write_atomic(self.path, ("\n".join(lines) + "\n").encode("utf-8"))


def is_saved_by_organiser(entry: dict) -> bool:
    """An organiser's line: it names a file and was not written by `fetch_links`."""
    return bool(entry.get("file")) and entry.get("origin") != "fetched"


def has_content(entry: dict | None, pages_dir: Path) -> bool:
    return bool(entry and entry.get("text_file") and (pages_dir / entry["text_file"]).exists())


# --------------------------------------------------------------------------- fetching


class _Failure(Exception):
    """A failed fetch: `reason` for the manifest; `network` when the connection itself failed."""

    def __init__(self, reason: str, *, status: int | None = None, network: bool = False,
                 redirects: list[Redirect] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.network = network
        self.redirects = redirects or []


@dataclass
class _Fetched:
    final_url: str
    status: int
    redirects: list[Redirect]
    content_type: str
    kind: Kind
    data: bytes


def _transport_failure(exc: Exception, what: str) -> _Failure:
    if isinstance(exc, httpx.ConnectTimeout):
        return _Failure(f"{what}: connection timed out", network=True)
    if isinstance(exc, httpx.ConnectError):
        return _Failure(f"{what}: connection failed ({exc})", network=True)
    if isinstance(exc, httpx.TimeoutException):
        return _Failure(f"{what}: timed out")
    if isinstance(exc, httpx.HTTPError):
        return _Failure(f"{what}: transfer failed ({type(exc).__name__}: {exc})")
    return _Failure(f"{what}: {type(exc).__name__}: {exc}")


class _Robots:
    """robots.txt per origin (scheme://host:port), fetched once with the shared client."""

    def __init__(self, client: httpx.Client, user_agent: str, timeout_s: float):
        self.client = client
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.lock = threading.Lock()
        self.origin_locks: dict[str, threading.Lock] = {}
        self.cache: dict[str, RobotFileParser | _Failure] = {}

    def check(self, url: str) -> None:
        """Raises _Failure when robots.txt forbids `url` or its host cannot be reached."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self.lock:
            origin_lock = self.origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            if origin not in self.cache:
                self.cache[origin] = self._load(origin)
        rules = self.cache[origin]
        if isinstance(rules, _Failure):
            raise _Failure(rules.reason, status=rules.status, network=rules.network)
        if not (rules.can_fetch(self.user_agent, url) and rules.can_fetch(ROBOTS_TOKEN, url)):
            raise _Failure("disallowed by robots.txt")

    def _load(self, origin: str) -> RobotFileParser | _Failure:
        rules = RobotFileParser(origin + "/robots.txt")
        try:
            with self.client.stream("GET", origin + "/robots.txt", follow_redirects=True) as resp:
                status = resp.status_code
                body = b""
                if 200 <= status < 300:
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) > ROBOTS_MAX_BYTES:
                            break
        except Exception as exc:
            return _transport_failure(exc, "robots.txt")
        if status in (401, 403):
            rules.disallow_all = True
        elif 400 <= status < 500:
            rules.allow_all = True  # no robots.txt: everything allowed
        elif status >= 500 or not 200 <= status < 300:
            return _Failure(f"robots.txt unavailable (HTTP {status}); not fetched", status=status)
        else:
            rules.parse(body.decode("utf-8", errors="replace").splitlines())
        log.debug("robots.txt of %s: HTTP %d", origin, status)
        return rules


def _download(client: httpx.Client, robots: _Robots, url: str, *, max_bytes: int,
              total_timeout_s: float) -> _Fetched:
    """GET `url`, following and recording redirects (robots.txt checked at every hop)."""
    redirects: list[Redirect] = []
    current = url
    start = time.monotonic()
    try:
        for _ in range(MAX_REDIRECTS + 1):
            robots.check(current)
            try:
                with client.stream("GET", current) as resp:
                    status = resp.status_code
                    location = resp.headers.get("location")
                    if resp.is_redirect and location:
                        target = urljoin(current, location)
                        redirects.append(Redirect(url=current, status=status, location=target))
                        if urlsplit(target).scheme not in ("http", "https"):
                            raise _Failure(f"redirect to a non-HTTP address: {target}", status=status)
                        current = target
                        continue
                    if not 200 <= status < 300:
                        raise _Failure(f"HTTP {status}", status=status)
                    content_type = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    kind = sniff_kind(b"", content_type) if content_type else None
                    if content_type and kind is None:
                        raise _Failure(f"unsupported content type: {content_type}", status=status)
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise _Failure(f"too large: {declared} bytes > {max_bytes}", status=status)
                    buf = bytearray()
                    for chunk in resp.iter_bytes():
                        buf += chunk
                        if len(buf) > max_bytes:
                            raise _Failure(f"too large: more than {max_bytes} bytes", status=status)
                        if time.monotonic() - start > total_timeout_s:
                            raise _Failure(f"timed out: download longer than {total_timeout_s:g} s", status=status)
                    data = bytes(buf)
                    kind = kind or sniff_kind(data)
                    if kind is None:
                        raise _Failure("unsupported content: neither HTML nor PDF", status=status)
                    full_type = resp.headers.get("content-type", "") or ("application/pdf" if kind == "pdf" else "text/html")
                    return _Fetched(current, status, redirects, full_type, kind, data)
            except _Failure:
                raise
            except Exception as exc:
                raise _transport_failure(exc, "page") from exc
        raise _Failure(f"too many redirects (more than {MAX_REDIRECTS})")
    except _Failure as failure:
        failure.redirects = redirects
        raise


@dataclass
class _Outcome:
    url: str
    fetched: _Fetched | None = None
    title: str = ""
    text: str = ""
    failure: _Failure | None = None


def _fetch_one(client: httpx.Client, robots: _Robots, url: str, *, max_bytes: int,
               total_timeout_s: float) -> _Outcome:
    try:
        fetched = _download(client, robots, url, max_bytes=max_bytes, total_timeout_s=total_timeout_s)
        title, text = extract(fetched.data, fetched.kind, fetched.final_url, fetched.content_type)
    except _Failure as failure:
        log.info("Not fetched %s: %s", url, failure.reason)
        return _Outcome(url, failure=failure)
    except ValueError as exc:  # unreadable PDF
        log.info("Not fetched %s: %s", url, exc)
        return _Outcome(url, failure=_Failure(f"no text extracted: {exc}"))
    if not text.strip():
        reason = "no text extracted (page built by JavaScript? save it by hand)"
        return _Outcome(url, failure=_Failure(reason, status=fetched.status, redirects=fetched.redirects))
    log.info("Fetched %s (%d bytes, %s)", url, len(fetched.data), fetched.kind)
    return _Outcome(url, fetched=fetched, title=title, text=text)


def _merge_links(links: Iterable[Link]) -> dict[str, Link]:
    """Links by normalised URL (duplicates merged); links without an http(s) URL dropped."""
    merged: dict[str, Link] = {}
    for link in links:
        url = normalise_url(link.url)
        if not url:
            log.debug("Not an http(s) page, skipped: %s", link.url)
            continue
        if url in merged:
            old = merged[url]
            link = Link(url=url, sections=old.sections + [s for s in link.sections if s not in old.sections],
                        pages=sorted(set(old.pages) | set(link.pages)),
                        anchors=old.anchors + [a for a in link.anchors if a not in old.anchors],
                        origin=old.origin if old.origin == link.origin else "both")
        merged[url] = link.model_copy(update={"url": url})
    return merged


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
    wanted = _merge_links(links)
    skipped: list[FetchResult] = []
    to_fetch: list[str] = []
    for url, link in wanted.items():
        entry = manifest.find(url)
        if entry is not None and is_saved_by_organiser(entry):
            skipped.append(_result(entry, False, pages_dir, skipped=True, reason="saved by organiser; not fetched"))
        else:
            to_fetch.append(url)

    outcomes: list[_Outcome] = []
    if to_fetch:
        client = httpx.Client(
            headers={"User-Agent": user_agent,
                     "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.1",
                     "Accept-Language": "fr,en;q=0.5"},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        robots = _Robots(client, user_agent, timeout_s)
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
    attempt = now_iso()
    for outcome in outcomes:
        link = wanted[outcome.url]
        old = manifest.find(outcome.url) or {}
        if outcome.fetched is not None:
            entry = _store(pages_dir, link, outcome, old, attempt)
            results.append(_result(entry, True, pages_dir, status=outcome.fetched.status))
        else:
            failure = outcome.failure
            entry = {"url": link.url, "origin": "fetched"}
            entry |= {k: old.get(k) for k in CONTENT_FIELDS}
            if not has_content(old, pages_dir):  # nothing cached: show this attempt's hops
                entry["redirects"] = [r.model_dump() for r in failure.redirects]
            entry |= {"ok": False, "reason": failure.reason, "last_attempt": attempt,
                      "last_status": failure.status, "sections": link.sections, "pages": link.pages}
            results.append(_result(entry, False, pages_dir, reason=failure.reason, status=failure.status))
        manifest.put(entry)
    if outcomes:
        manifest.write()
    report = FetchReport(network_unreachable=False, message="", manifest=str(manifest.path), results=results)
    message = (f"{report.fetched} fetched, {report.failed} failed, {report.skipped} skipped; "
               f"manifest {manifest.path}")
    log.info(message)
    return report.model_copy(update={"message": message})


def _store(pages_dir: Path, link: Link, outcome: _Outcome, old: dict, attempt: str) -> dict:
    """Write the raw content and its text (atomically); the new manifest entry."""
    fetched = outcome.fetched
    key = url_key(link.url)
    raw_name, text_name = f"{key}.{fetched.kind}", f"{key}.txt"
    write_atomic(pages_dir / raw_name, fetched.data)
    write_atomic(pages_dir / text_name, outcome.text.encode("utf-8"))
    stale = old.get("file")
    if stale and stale != raw_name and old.get("origin") == "fetched" and Path(stale).name == stale:
        (pages_dir / stale).unlink(missing_ok=True)  # the page changed from HTML to PDF or back
    return {
        "url": link.url, "origin": "fetched", "final_url": fetched.final_url,
        "redirects": [r.model_dump() for r in fetched.redirects], "status": fetched.status, "ok": True,
        "reason": None, "fetched_at": attempt, "last_attempt": attempt, "last_status": fetched.status,
        "content_type": fetched.content_type, "sha256": hashlib.sha256(fetched.data).hexdigest(),
        "title": outcome.title, "file": raw_name, "text_file": text_name,
        "sections": link.sections, "pages": link.pages,
    }


# --------------------------------------------------------------------------- loading the cache


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


def load_saved_pages(pages_dir: Path = DEFAULT_PAGES_DIR, links: Iterable[Link] | None = None) -> list[LinkedPage]:
    """Every page of the cache with its text: pages fetched by `fetch_links` and pages saved by
    organisers (format in the module docstring), in manifest order.

    A saved file without text yet, or changed since its text was extracted, is extracted now
    (text into ``<key>.txt``; sha256, title, text_file and fetched_at added to its line, the
    manifest rewritten atomically). links: discovered links, used for the citing sections and
    pages of lines that give none. Lines whose file is missing, unreadable or textless are
    skipped with a warning; so are files of the folder that no line names. An absent folder or
    manifest gives an empty list. Raises OSError when a text file cannot be written.
    """
    pages_dir = Path(pages_dir)
    if not pages_dir.is_dir():
        return []
    manifest = Manifest.read(pages_dir)
    known = _merge_links(links or [])
    pages: list[LinkedPage] = []
    named: set[str] = {MANIFEST_NAME}
    changed = False
    for entry in manifest.entries():
        url = normalise_url(entry["url"]) or entry["url"]
        name = entry.get("file")
        if not name:
            continue  # a failed fetch with nothing cached
        named.add(str(name))
        if entry.get("text_file"):
            named.add(str(entry["text_file"]))
        raw_path = _inside(pages_dir, str(name))
        if raw_path is None or not raw_path.is_file():
            log.warning("%s: file %r for %s not found; page skipped.", manifest.path, name, url)
            continue
        data = raw_path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        text_path = _inside(pages_dir, str(entry["text_file"])) if entry.get("text_file") else None
        if text_path is not None and text_path.is_file() and entry.get("sha256") == sha:
            text = text_path.read_text(encoding="utf-8")
            title = entry.get("title") or ""
        else:
            kind = sniff_kind(data, str(entry.get("content_type") or ""), str(name)) or sniff_kind(data, "", "")
            if kind is None:
                log.warning("%s: %s is neither HTML nor PDF; page skipped.", manifest.path, name)
                continue
            try:
                title, text = extract(data, kind, url, str(entry.get("content_type") or ""))
            except ValueError as exc:
                log.warning("%s: %s: %s; page skipped.", manifest.path, name, exc)
                continue
            if not text.strip():
                log.warning("%s: no text in %s; page skipped.", manifest.path, name)
                continue
            title = entry.get("title") or title
            text_name = f"{url_key(url)}.txt"
            write_atomic(pages_dir / text_name, text.encode("utf-8"))
            named.add(text_name)
            mtime = datetime.fromtimestamp(raw_path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
            entry.update({"sha256": sha, "title": title, "text_file": text_name,
                          "fetched_at": entry.get("fetched_at") or mtime})
            changed = True
            log.info("Extracted the text of saved page %s (%s)", name, url)
        link = known.get(url)
        sections = [str(s) for s in _as_list(entry.get("sections") or entry.get("section"))]
        cited = [int(p) for p in _as_list(entry.get("pages"))]
        pages.append(LinkedPage(
            url=url, title=title, text=text, sha256=sha,
            citing_sections=sections or (link.sections if link else []),
            pages=sorted(set(cited or (link.pages if link else []))),
            source_file=str(name), fetched_at=entry.get("fetched_at"),
        ))
    if changed:
        manifest.write()
    for path in sorted(pages_dir.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.name not in named \
                and not re.fullmatch(rf"[0-9a-f]{{{KEY_HEX}}}\.(txt|html|pdf)", path.name):
            log.warning("%s is in %s but no manifest line names its URL; skipped. Add a line such as "
                        '{"url": "https://…", "file": "%s"}.', path.name, pages_dir, path.name)
    return pages
