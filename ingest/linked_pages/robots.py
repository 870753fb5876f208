"""robots.txt rules per origin, fetched once per run (RFC 9309: a missing robots.txt, HTTP 4xx
other than 401/403, allows all; 401/403 forbid all; 5xx or no answer means not fetched)."""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from guide_assistant.ingest.linked_pages.http import FetchFailure, transport_failure

log = logging.getLogger(__name__)

ROBOTS_TOKEN = "guide-assistant"
ROBOTS_MAX_BYTES = 512_000  # robots.txt bodies are read up to this many bytes


class Robots:
    """robots.txt per origin (scheme://host:port), fetched once with the shared client; safe to
    share between threads. Rules for `user_agent` and for "guide-assistant" both apply."""

    def __init__(self, client: httpx.Client, user_agent: str):
        self.client = client
        self.user_agent = user_agent
        self.lock = threading.Lock()
        self.origin_locks: dict[str, threading.Lock] = {}
        self.cache: dict[str, RobotFileParser | FetchFailure] = {}

    def check(self, url: str) -> None:
        """Raises FetchFailure when robots.txt forbids `url` or its host cannot be reached."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self.lock:
            origin_lock = self.origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            if origin not in self.cache:
                self.cache[origin] = self._load(origin)
        rules = self.cache[origin]
        if isinstance(rules, FetchFailure):
            raise FetchFailure(rules.reason, status=rules.status, network=rules.network)
        if not (rules.can_fetch(self.user_agent, url) and rules.can_fetch(ROBOTS_TOKEN, url)):
            raise FetchFailure("disallowed by robots.txt")

    def _load(self, origin: str) -> RobotFileParser | FetchFailure:
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
            return transport_failure(exc, "robots.txt")
        if status in (401, 403):
            rules.disallow_all = True
        elif 400 <= status < 500:
            rules.allow_all = True  # no robots.txt: everything allowed
        elif status >= 500 or not 200 <= status < 300:
            return FetchFailure(f"robots.txt unavailable (HTTP {status}); not fetched", status=status)
        else:
            rules.parse(body.decode("utf-8", errors="replace").splitlines())
        log.debug("robots.txt of %s: HTTP %d", origin, status)
        return rules
