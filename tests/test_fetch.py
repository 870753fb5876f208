"""Fetching linked pages from a real HTTP server on 127.0.0.1: cache files, manifest,
attribution, robots.txt, redirects, failures, size cap, timeout, concurrency, offline
behaviour, and organisers' saved pages. No test touches a non-loopback address."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from conftest import GUIDE
from guide_assistant.ingest.linked_pages import cache as cache_mod
from guide_assistant.ingest.linked_pages.cache import cache_saved_texts, load_saved_pages, url_key
from guide_assistant.ingest.linked_pages.fetch import fetch_links
from guide_assistant.ingest.linked_pages.html_text import html_text
from guide_assistant.ingest.linked_pages.http import DEFAULT_USER_AGENT
from guide_assistant.ingest.linked_pages.manifest import MANIFEST_NAME
from guide_assistant.ingest.linked_pages.records import LinkedPage
from guide_assistant.ingest.links import Link

log = logging.getLogger(__name__)

ARTICLE = (
    "Depuis 2019, l'État soutient la mise en place de la tarification sociale dans les cantines "
    "scolaires, pour permettre aux enfants des familles les plus modestes de manger à la cantine "
    "pour un euro maximum. Une aide financière est accordée sur trois ans aux communes rurales. "
)
HTML = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Tarification sociale des cantines</title>
<script>var tracking = "ne pas garder";</script></head>
<body><nav><a href="/">Accueil</a> | <a href="/x">Menu du site</a></nav>
<main><article><h1>Tarification sociale des cantines scolaires</h1>
<p>{ARTICLE}</p><p>{ARTICLE}</p><p>L'ASP instruit les dossiers et paie l'aide de l'État.</p>
</article></main><footer>Mentions légales</footer></body></html>""".encode()
JS_ONLY = b"<!doctype html><html><head><title>App</title></head><body><div id='app'></div>" \
          b"<script>render()</script></body></html>"
ROBOTS = b"User-agent: *\nDisallow: /private.html\n"
MAX_BYTES = 1_000_000
BIG = b"<html><body><p>" + b"x" * (MAX_BYTES + 500_000) + b"</p></body></html>"
SLOW_S = 1.5
TIMEOUT_S = 0.5


def guide_page_pdf() -> bytes:
    """A real one-page PDF: page 6 of the guide (Atelier n°1), with a title."""
    writer = PdfWriter()
    writer.add_page(PdfReader(GUIDE).pages[5])
    writer.add_metadata({"/Title": "Page 6 du guide"})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


PDF = guide_page_pdf()


class Handler(BaseHTTPRequestHandler):
    """Routes from `server.routes`: path → (status, headers, body) or a callable(handler)."""

    def do_GET(self):  # noqa: N802 (http.server API)
        srv = self.server
        with srv.lock:
            srv.hits.append((self.path, self.headers.get("User-Agent", "")))
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        try:
            route = srv.routes.get(self.path)
            if route is None:
                self._send(404, {"Content-Type": "text/plain"}, b"not found")
            elif callable(route):
                route(self)
            else:
                self._send(*route)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size cap)
        finally:
            with srv.lock:
                srv.in_flight -= 1

    def _send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers and body is not None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, fmt, *args):
        log.debug("test server: " + fmt, *args)


def slow(handler):
    time.sleep(SLOW_S)
    handler._send(200, {"Content-Type": "text/html; charset=utf-8"}, HTML)


def stream_big(handler):
    """Oversize body with no Content-Length, sent in pieces (HTTP/1.0: ends at close)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    for _ in range(30):
        handler.wfile.write(b"<p>" + b"y" * 65_536 + b"</p>")


def paced(handler):
    time.sleep(0.3)
    handler._send(200, {"Content-Type": "text/html; charset=utf-8"}, HTML)


def base_routes() -> dict:
    html = {"Content-Type": "text/html; charset=utf-8"}
    return {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, ROBOTS),
        "/page.html": (200, html, HTML),
        "/doc.pdf": (200, {"Content-Type": "application/pdf"}, PDF),
        "/redirect": (302, {"Location": "/page.html"}, b""),
        "/missing": (404, {"Content-Type": "text/plain"}, b"no"),
        "/slow": slow,
        "/big": (200, {"Content-Type": "text/html"}, BIG),
        "/big-stream": stream_big,
        "/private.html": (200, html, HTML),
        "/image.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n"),
        "/app.html": (200, html, JS_ONLY),
        **{f"/c/{i}": paced for i in range(6)},
    }


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.routes = base_routes()
    srv.hits = []
    srv.lock = threading.Lock()
    srv.in_flight = srv.max_in_flight = 0
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to 127.0.0.1 must not go through a proxy named in the environment."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def link(url: str, section: str = "Atelier n°1", page: int = 6) -> Link:
    return Link(url=url, sections=[section], pages=[page], anchors=[], origin="annotation")


def manifest(pages_dir: Path) -> dict[str, dict]:
    lines = (pages_dir / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    assert len(entries) == len({e["url"] for e in entries}), "one line per URL"
    return {e["url"]: e for e in entries}


def run(links, pages_dir, **kw):
    kw = {"timeout_s": TIMEOUT_S, "max_bytes": MAX_BYTES} | kw
    return fetch_links(links, pages_dir, **kw)


# --------------------------------------------------------------------------- fetching


def test_html_page_cached_with_provenance(server, tmp_path):
    url = server.base + "/page.html"
    report = run([link(url, "Atelier n°1", 6)], tmp_path)
    assert not report.network_unreachable and report.fetched == 1, report
    entry = manifest(tmp_path)[url]
    key = url_key(url)
    assert entry["file"] == f"{key}.html" and entry["text_file"] == f"{key}.txt"
    raw = (tmp_path / entry["file"]).read_bytes()
    assert raw == HTML
    assert entry["sha256"] == hashlib.sha256(HTML).hexdigest()
    assert entry["ok"] is True and entry["reason"] is None and entry["status"] == 200
    assert entry["final_url"] == url and entry["redirects"] == []
    assert entry["content_type"].startswith("text/html")
    assert entry["title"] == "Tarification sociale des cantines"
    assert entry["sections"] == ["Atelier n°1"] and entry["pages"] == [6]
    assert entry["fetched_at"].endswith("+00:00") and "T" in entry["fetched_at"]
    text = (tmp_path / entry["text_file"]).read_text(encoding="utf-8")
    assert "tarification sociale dans les cantines" in text
    assert "tracking" not in text  # scripts dropped
    # polite: robots.txt asked once, the project's user agent on every request
    paths = [p for p, _ in server.hits]
    assert paths.count("/robots.txt") == 1
    assert all(ua == DEFAULT_USER_AGENT for _, ua in server.hits)
    assert "guide-assistant" in DEFAULT_USER_AGENT
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left"


def test_pdf_page_text_extracted(server, tmp_path):
    url = server.base + "/doc.pdf"
    report = run([link(url, "Atelier n°1", 6)], tmp_path)
    assert report.fetched == 1, report
    entry = manifest(tmp_path)[url]
    assert entry["file"].endswith(".pdf") and entry["content_type"] == "application/pdf"
    assert entry["title"] == "Page 6 du guide"
    text = (tmp_path / entry["text_file"]).read_text(encoding="utf-8")
    assert "cantines" in text and "Capendu" in text


def test_redirect_followed_and_recorded(server, tmp_path):
    url = server.base + "/redirect"
    report = run([link(url, "Table-ronde I", 6)], tmp_path)
    assert report.fetched == 1, report
    entry = manifest(tmp_path)[url]
    assert entry["final_url"] == server.base + "/page.html"
    assert entry["redirects"] == [{"url": url, "status": 302, "location": server.base + "/page.html"}]
    assert entry["sections"] == ["Table-ronde I"]
    assert (tmp_path / entry["file"]).read_bytes() == HTML


@pytest.mark.parametrize(
    ("path", "reason_part", "status"),
    [
        ("/missing", "HTTP 404", 404),
        ("/private.html", "robots.txt", None),
        ("/big", "too large", 200),
        ("/big-stream", "too large", 200),
        ("/image.png", "unsupported content type: image/png", 200),
        ("/app.html", "no text extracted", 200),
    ],
)
def test_failures_recorded_with_reason(server, tmp_path, path, reason_part, status):
    url = server.base + path
    report = run([link(url, "Atelier n°8", 13), link(server.base + "/page.html")], tmp_path)
    result = next(r for r in report.results if r.url == url)
    assert not result.ok and reason_part in result.reason and not result.cached
    entry = manifest(tmp_path)[url]
    assert entry["ok"] is False and reason_part in entry["reason"]
    assert entry["last_status"] == status
    assert entry["file"] is None and entry["sha256"] is None and entry["text_file"] is None
    assert entry["sections"] == ["Atelier n°8"] and entry["pages"] == [13]
    assert entry["last_attempt"]
    assert not list(tmp_path.glob(f"{url_key(url)}.*"))
    if path == "/private.html":
        assert "/private.html" not in [p for p, _ in server.hits], "robots.txt honoured"


def test_timeout(server, tmp_path):
    url = server.base + "/slow"
    start = time.monotonic()
    report = run([link(url), link(server.base + "/page.html")], tmp_path)
    assert time.monotonic() - start < SLOW_S + 1
    result = next(r for r in report.results if r.url == url)
    assert not result.ok and "timed out" in result.reason
    assert not report.network_unreachable  # the server answered other requests


def test_concurrency_limit(server, tmp_path):
    links = [link(f"{server.base}/c/{i}") for i in range(6)]
    report = run(links, tmp_path, concurrency=2, timeout_s=5)
    assert report.fetched == 6, report
    assert server.max_in_flight == 2


def test_failed_refresh_keeps_cached_content(server, tmp_path):
    url = server.base + "/page.html"
    assert run([link(url, "Atelier n°1", 6)], tmp_path).fetched == 1
    before = manifest(tmp_path)[url]
    raw_before = (tmp_path / before["file"]).read_bytes()
    text_before = (tmp_path / before["text_file"]).read_text(encoding="utf-8")

    server.routes["/page.html"] = (500, {"Content-Type": "text/plain"}, b"boom")
    report = run([link(url, "Atelier n°1", 6)], tmp_path)
    result = report.results[0]
    assert not result.ok and result.reason == "HTTP 500" and result.cached
    after = manifest(tmp_path)[url]
    for field in ("sha256", "file", "text_file", "title", "fetched_at", "final_url", "status", "content_type"):
        assert after[field] == before[field], field
    assert after["ok"] is False and after["reason"] == "HTTP 500" and after["last_status"] == 500
    assert after["last_attempt"] >= before["last_attempt"]
    assert (tmp_path / after["file"]).read_bytes() == raw_before
    assert (tmp_path / after["text_file"]).read_text(encoding="utf-8") == text_before
    # and the cached page is still served to the index, with its attribution
    pages = load_saved_pages(tmp_path)
    assert [p.url for p in pages] == [url]
    assert pages[0].citing_sections == ["Atelier n°1"] and pages[0].text == text_before


def test_server_gone_means_network_unreachable_and_cache_kept(server, tmp_path):
    links = [link(server.base + "/page.html"), link(server.base + "/doc.pdf", "Atelier n°8", 13)]
    assert run(links, tmp_path).fetched == 2
    snapshot = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    server.shutdown()
    server.server_close()  # the port now refuses connections

    report = run(links, tmp_path)
    assert report.network_unreachable
    assert "network unreachable; cache kept" in report.message
    assert all(r.skipped and r.cached for r in report.results)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == snapshot


def test_unresolvable_hosts_mocked_resolver(tmp_path, monkeypatch):
    """DNS failure for every host (mocked: no real lookup happens) → network unreachable."""
    real = socket.getaddrinfo
    asked = []

    def fake_getaddrinfo(host, *args, **kwargs):
        if host in ("127.0.0.1", "::1", "localhost"):
            return real(host, *args, **kwargs)
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (test resolver)")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    (tmp_path / MANIFEST_NAME).write_text('{"url": "https://www.caf.fr/partenaires", "ok": false}\n')
    before = (tmp_path / MANIFEST_NAME).read_bytes()
    links = [link("https://www.caf.fr/partenaires", "Table-ronde I"),
             link("https://www.france-microcredit.org/", "Atelier n°13", 17)]
    report = run(links, tmp_path)
    assert sorted(set(asked)) == ["www.caf.fr", "www.france-microcredit.org"]
    assert report.network_unreachable and "network unreachable; cache kept" in report.message
    assert (tmp_path / MANIFEST_NAME).read_bytes() == before


def test_closed_loopback_port_is_unreachable(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    report = run([link(f"http://127.0.0.1:{port}/page.html")], tmp_path)
    assert report.network_unreachable
    assert not (tmp_path / MANIFEST_NAME).exists()


def test_arguments_checked(tmp_path):
    with pytest.raises(ValueError):
        fetch_links([], tmp_path, concurrency=0)


# --------------------------------------------------------------------------- saved pages


def test_saved_pages_loaded_without_writing_then_cached_once(tmp_path, monkeypatch):
    (tmp_path / "asp.html").write_bytes(HTML)
    (tmp_path / "pcb.pdf").write_bytes(PDF)
    (tmp_path / "stray.html").write_bytes(HTML)
    asp = "https://www.asp-public.fr/tarification-sociale-des-cantines-scolaires"
    pcb = "https://www.mesquestionsdargent.fr/intervenants-sociaux-et-pcb/point-conseil-budget#"
    (tmp_path / MANIFEST_NAME).write_text(
        json.dumps({"url": asp, "file": "asp.html", "sections": ["Atelier n°1"]}, ensure_ascii=False) + "\n"
        + json.dumps({"url": pcb, "file": "pcb.pdf"}) + "\n"
        + "this line is not json\n",
        encoding="utf-8",
    )
    folder = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    discovered = [Link(url=pcb.rstrip("#"), sections=["Atelier n°8"], pages=[13], origin="both")]
    pages = load_saved_pages(tmp_path, discovered)
    assert [p.url for p in pages] == [asp, pcb.rstrip("#")]
    first, second = pages
    assert isinstance(first, LinkedPage)
    assert first.citing_sections == ["Atelier n°1"] and first.pages == []
    assert first.title == "Tarification sociale des cantines" and "cantines" in first.text
    assert first.sha256 == hashlib.sha256(HTML).hexdigest() and first.source_file == "asp.html"
    assert first.fetched_at  # the file's modification time
    assert second.citing_sections == ["Atelier n°8"] and second.pages == [13]
    assert "Capendu" in second.text
    # loading (what every index build does) wrote nothing
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == folder

    # the fetch-links step caches the texts and completes the organiser's lines; the bad line is kept
    assert cache_saved_texts(tmp_path) == 2
    lines = (tmp_path / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
    assert "this line is not json" in lines
    entries = manifest_entries(lines)
    assert entries[asp]["text_file"] == f"{url_key(asp)}.txt" and entries[asp]["file"] == "asp.html"
    assert (tmp_path / entries[asp]["text_file"]).exists()
    assert cache_saved_texts(tmp_path) == 0

    # cached: no extraction, same pages
    def boom(*a, **k):
        raise AssertionError("extracted again")

    monkeypatch.setattr(cache_mod, "extract", boom)
    assert load_saved_pages(tmp_path, discovered) == pages
    # the organiser replaces a file: its text is extracted again, in memory until cached
    monkeypatch.undo()
    (tmp_path / "asp.html").write_bytes(HTML.replace(b"ASP instruit", b"Agence instruit"))
    again = load_saved_pages(tmp_path, discovered)
    assert "Agence instruit" in again[0].text and again[0].sha256 != first.sha256
    assert "Agence instruit" not in (tmp_path / entries[asp]["text_file"]).read_text(encoding="utf-8")
    assert cache_saved_texts(tmp_path) == 1
    assert "Agence instruit" in (tmp_path / entries[asp]["text_file"]).read_text(encoding="utf-8")


def manifest_entries(lines):
    out = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        out[entry["url"]] = entry
    return out


def test_stray_and_missing_files_warned(tmp_path, caplog):
    (tmp_path / "stray.html").write_bytes(HTML)
    (tmp_path / MANIFEST_NAME).write_text('{"url": "https://a.fr/x", "file": "gone.html"}\n'
                                          '{"url": "https://b.fr/y", "file": "../outside.html"}\n')
    with caplog.at_level(logging.WARNING):
        assert load_saved_pages(tmp_path) == []
    text = caplog.text
    assert "stray.html" in text and "gone.html" in text and "outside.html" in text


def test_fetch_does_not_overwrite_organiser_page(server, tmp_path):
    url = server.base + "/page.html"
    (tmp_path / "mine.html").write_bytes(HTML.replace(b"ASP instruit", b"Copie de l'organisateur"))
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"url": url, "file": "mine.html", "sections": "Atelier n°1"}) + "\n")
    report = run([link(url), link(server.base + "/doc.pdf")], tmp_path)
    mine = next(r for r in report.results if r.url == url)
    assert mine.skipped and "organiser" in mine.reason
    assert "/page.html" not in [p for p, _ in server.hits]
    pages = {p.url: p for p in load_saved_pages(tmp_path)}
    assert "Copie de l'organisateur" in pages[url].text
    assert pages[url].citing_sections == ["Atelier n°1"]
    assert pages[server.base + "/doc.pdf"].citing_sections == ["Atelier n°1"]


def test_absent_folder_gives_no_pages(tmp_path):
    assert load_saved_pages(tmp_path / "nope") == []


def test_html_fallback_without_trafilatura(monkeypatch):
    """Without trafilatura (or when it finds nothing), the simple extractor keeps the <main>
    text and drops scripts, navigation and footers."""
    import sys

    monkeypatch.setitem(sys.modules, "trafilatura", None)  # import raises ImportError
    title, text = html_text(HTML, "http://127.0.0.1/page.html", "text/html; charset=utf-8")
    assert title == "Tarification sociale des cantines"
    assert "L'ASP instruit les dossiers" in text
    for dropped in ("tracking", "Menu du site", "Mentions légales"):
        assert dropped not in text
