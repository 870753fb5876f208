"""Typed records of the linked-page cache: a cached page ready to index, and fetch outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from guide_assistant.records import Record

Kind = Literal["html", "pdf"]


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


@dataclass(frozen=True)
class Fetched:
    """A downloaded page: the URL that answered (after redirects), its HTTP status, the hops,
    the full Content-Type header, the content's kind and its raw bytes."""

    final_url: str
    status: int
    redirects: list[Redirect]
    content_type: str
    kind: Kind
    data: bytes


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
        """URLs fetched and extracted in this run."""
        return sum(r.ok for r in self.results)

    @property
    def failed(self) -> int:
        """URLs attempted without success."""
        return sum(not r.ok and not r.skipped for r in self.results)

    @property
    def skipped(self) -> int:
        """URLs not attempted (organiser's copy, or network unreachable)."""
        return sum(r.skipped for r in self.results)
