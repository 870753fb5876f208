"""One HTTP server (FastAPI under uvicorn) for the Gradio apps of the page: the officials' chat
at "/" and, when a login is configured, the organisers' Revue at "/revue" behind it."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

from guide_assistant.errors import GuideAssistantError

START_TIMEOUT_S = 30.0


class ServerStartError(GuideAssistantError):
    """The page's server did not start (the port is taken, the address cannot be bound)."""


class PageServer:
    """`app` served on host:port; `run()` blocks (Ctrl-C stops it), `start()` returns once the
    server accepts connections and `close()` stops it. Unless `quiet`, uvicorn logs the URL it
    serves (no access log)."""

    def __init__(self, app: FastAPI, host: str, port: int, quiet: bool = False):
        self.url = f"http://{host}:{port}/"
        config = uvicorn.Config(app, host=host, port=port, log_level="warning" if quiet else "info",
                                access_log=False, timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.run()

    def start(self) -> "PageServer":
        """Serve in a background thread; returns once started. Raises ServerStartError when the
        server has not started within START_TIMEOUT_S seconds or stopped while starting."""
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="page-server")
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ServerStartError(f"The page's server did not start on {self.url} (is the port taken?).")
            time.sleep(0.05)
        return self

    def close(self) -> None:
        """Stop serving and wait for the server thread (at most a few seconds)."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
