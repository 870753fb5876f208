"""Concurrent conversations against a running chat page, over HTTP on loopback: N conversations
of 3 turns each (follow-ups sent with the chat so far, some turns refused), all started at once,
each in its own gradio_client session. Each conversation is first asked alone, as the reference;
prints the latency of a turn under load (p50, p95, max, in seconds) and the errors: a request
that failed, or an answer that differs from the reference.

Bounded: at most MAX_CONVERSATIONS conversations, loopback URLs only, REQUEST_TIMEOUT_S per turn.

Usage: start the page, e.g. `GUIDE_ASSISTANT_ANSWER__JUDGE=off .venv/bin/guide-assistant chat`, then
.venv/bin/python benchmarks/load.py [--url http://127.0.0.1:7860/] [--conversations 50]
"""

from __future__ import annotations

import argparse
import ipaddress
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import numpy as np
from gradio_client import Client

from guide_assistant.app import message_text

MAX_CONVERSATIONS = 200
REQUEST_TIMEOUT_S = 120.0
CONVERSATIONS = [
    ("Comment financer des petits déjeuners à l'école ?", "Et qui dois-je contacter ?",
     "Quel est le montant par petit-déjeuner ?"),
    ("Qui contacter pour la cantine à 1 € ?", "Quelles communes peuvent en bénéficier ?",
     "Recette de la tarte tatin ?"),
    ("How can my town help people in debt?", "Who should I call?", "Is it free?"),
    ("Qu'est-ce qui existe pour les 16-25 ans ?", "Qui porte ce dispositif ?", "Quel est le montant du RSA ?"),
    ("Quel temps fera-t-il demain à Toulouse ?", "Où a lieu la conférence ?", "Et à quelle heure ?"),
]


def loopback_url(url: str) -> str:
    """`url` if its host is loopback; raises SystemExit otherwise (this script loads a server)."""
    host = urlparse(url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise SystemExit(f"refused: {url} is not a loopback address")
    return url


def converse(client: Client, turns: tuple[str, ...], start: threading.Barrier | None = None) -> tuple[list[float], list[str]]:
    """Ask `turns` in one conversation (each with the chat so far), after `start` when given;
    returns each turn's latency (seconds) and answer text. Raises what the client raises."""
    if start is not None:
        start.wait()
    messages, latencies, answers = [], [], []
    for question in turns:
        t0 = time.perf_counter()
        job = client.submit(question, messages, api_name="/respond")
        messages, _, status = job.result(timeout=REQUEST_TIMEOUT_S)
        latencies.append(time.perf_counter() - t0)
        if status.startswith("Erreur"):
            raise RuntimeError(status)
        answers.append(message_text(messages[-1]["content"]))
    return latencies, answers


def run(url: str, n: int) -> None:
    """Reference answers alone, then `n` conversations at once; prints the figures."""
    scripts = [CONVERSATIONS[k % len(CONVERSATIONS)] for k in range(n)]
    alone = Client(url, verbose=False)
    reference = {turns: converse(alone, turns)[1] for turns in CONVERSATIONS}
    clients = [Client(url, verbose=False) for _ in range(n)]  # sessions opened before the clock starts
    start = threading.Barrier(n)
    latencies, failed, different = [], 0, 0
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(converse, c, turns, start) for c, turns in zip(clients, scripts)]
        for turns, future in zip(scripts, futures):
            try:
                times, answers = future.result()
            except Exception as exc:  # a failed conversation is counted, the others still measured
                print(f"error: {type(exc).__name__}: {exc}")
                failed += 1
                continue
            latencies += times
            different += answers != reference[turns]
    wall = time.perf_counter() - t0
    lat = np.array(latencies) if latencies else np.array([np.nan])
    print(f"{n} conversations x 3 turns at once against {url}: {len(latencies)} answers in {wall:.1f} s; "
          f"latency p50 {np.percentile(lat, 50):.2f} s, p95 {np.percentile(lat, 95):.2f} s, max {lat.max():.2f} s; "
          f"errors {failed + different} ({failed} failed conversations, {different} conversations answered unlike the reference)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--conversations", type=int, default=50)
    args = parser.parse_args()
    if not 1 <= args.conversations <= MAX_CONVERSATIONS:
        raise SystemExit(f"--conversations must be between 1 and {MAX_CONVERSATIONS}")
    run(loopback_url(args.url), args.conversations)


if __name__ == "__main__":
    main()
