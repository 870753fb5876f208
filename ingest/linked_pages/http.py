"""HTTP for the linked pages: one polite client, one download (redirects followed and recorded,
robots.txt checked at every hop, size cap, timeouts, HTML and PDF only), failures with reasons."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx

from guide_assistant.ingest.linked_pages.extract import sniff_kind
from guide_assistant.ingest.linked_pages.records import Fetched, Redirect

if TYPE_CHECKING:
    from guide_assistant.ingest.linked_pages.robots import Robots

DEFAULT_USER_AGENT = (
    "guide-assistant/0.1 (link cache of the assistant for elected officials on the Occitanie "
    "2021 poverty-strategy guide; fetches only pages the guide cites; honours robots.txt)"
)
MAX_REDIRECTS = 10


class FetchFailure(Exception):
    """A failed fetch: `reason` for the manifest; `network` when the connection itself failed;
    `status` of the last response (None without one); the redirect hops followed before it."""

    def __init__(self, reason: str, *, status: int | None = None, network: bool = False,
                 redirects: list[Redirect] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.network = network
        self.redirects = redirects or []


def transport_failure(exc: Exception, what: str) -> FetchFailure:
    """The FetchFailure for an exception raised while talking to a server about `what`
    ("page", "robots.txt"): connection failures are `network` ones."""
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchFailure(f"{what}: connection timed out", network=True)
    if isinstance(exc, httpx.ConnectError):
        return FetchFailure(f"{what}: connection failed ({exc})", network=True)
    if isinstance(exc, httpx.TimeoutException):
        return FetchFailure(f"{what}: timed out")
    if isinstance(exc, httpx.HTTPError):
        return FetchFailure(f"{what}: transfer failed ({type(exc).__name__}: {exc})")
    return FetchFailure(f"{what}: {type(exc).__name__}: {exc}")


def new_client(user_agent: str, timeout_s: float, concurrency: int) -> httpx.Client:
    """An httpx client sending `user_agent`, asking for HTML or PDF in French, `timeout_s`
    seconds to connect and between two received pieces, at most `concurrency` connections,
    redirects left to `download`."""
    return httpx.Client(
        headers={"User-Agent": user_agent,
                 "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.1",
                 "Accept-Language": "fr,en;q=0.5"},
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


def download(client: httpx.Client, robots: Robots, url: str, *, max_bytes: int,
             total_timeout_s: float) -> Fetched:
    """GET `url`, following and recording redirects (robots.txt checked at every hop).

    max_bytes: a longer body fails as "too large"; total_timeout_s: seconds allowed from the
    first request to the end of the body. Raises FetchFailure (with the hops followed) for an
    HTTP error, robots.txt, a redirect loop or to a non-HTTP address, a timeout, the size cap, or
    content that is neither HTML nor PDF.
    """
    redirects: list[Redirect] = []
    current = url
    start = time.monotonic()
    try:
        for _ in range(MAX_REDIRECTS + 1):
            robots.check(current)
            try:
                with client.stream("GET", current) as resp:
                    location = resp.headers.get("location")
                    if resp.is_redirect and location:
                        target = urljoin(current, location)
                        redirects.append(Redirect(url=current, status=resp.status_code, location=target))
                        if urlsplit(target).scheme not in ("http", "https"):
                            raise FetchFailure(f"redirect to a non-HTTP address: {target}", status=resp.status_code)
                        current = target
                        continue
                    return _read_body(resp, current, redirects, max_bytes, start, total_timeout_s)
            except FetchFailure:
                raise
            except Exception as exc:
                raise transport_failure(exc, "page") from exc
        raise FetchFailure(f"too many redirects (more than {MAX_REDIRECTS})")
    except FetchFailure as failure:
        failure.redirects = redirects
        raise


def _read_body(resp: httpx.Response, url: str, redirects: list[Redirect], max_bytes: int,
               start: float, total_timeout_s: float) -> Fetched:
    """The body of a final (non-redirect) response, checked; `start` on time.monotonic()."""
    status = resp.status_code
    if not 200 <= status < 300:
        raise FetchFailure(f"HTTP {status}", status=status)
    content_type = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    kind = sniff_kind(b"", content_type) if content_type else None
    if content_type and kind is None:
        raise FetchFailure(f"unsupported content type: {content_type}", status=status)
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailure(f"too large: {declared} bytes > {max_bytes}", status=status)
    buf = bytearray()
    for chunk in resp.iter_bytes():
        buf += chunk
        if len(buf) > max_bytes:
            raise FetchFailure(f"too large: more than {max_bytes} bytes", status=status)
        if time.monotonic() - start > total_timeout_s:
            raise FetchFailure(f"timed out: download longer than {total_timeout_s:g} s", status=status)
    data = bytes(buf)
    kind = kind or sniff_kind(data)
    if kind is None:
        raise FetchFailure("unsupported content: neither HTML nor PDF", status=status)
    full_type = resp.headers.get("content-type", "") or ("application/pdf" if kind == "pdf" else "text/html")
    return Fetched(url, status, redirects, full_type, kind, data)
