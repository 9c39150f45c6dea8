"""The suite client's cost per request, next to a plain `requests.Session` GET.

    python bench/client_overhead.py [--requests 400] [--rounds 5]

Serves 57 sessions with `checkout-conformance serve` in a child process, then sends the
same GET (limit=10) `--requests` times per round in three ways, rounds interleaved:
plain `requests.Session().get(...).content`, `conformance.record.client.Client.get`, and
`Client.get` with its per-attempt watchdog timer replaced by a no-op (to price the
`threading.Timer` each attempt starts). Prints the median per-request time. Not run in CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import API_KEY, LIST_PATH, prebuild, running, uptime

import conformance.record.client as client_module
from conformance.record.client import Client, ClientSettings


class _NoTimer:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.daemon = True

    def start(self) -> None:
        pass

    def cancel(self) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not 1 <= args.requests <= 10_000 or not 1 <= args.rounds <= 50:
        raise SystemExit("--requests 1..10000, --rounds 1..50")
    prebuild(57)
    results: dict[str, list[float]] = {"plain requests.Session": [], "Client.get": [],
                                       "Client.get, watchdog timer off": []}
    with running("reference", 57) as server:
        url = server.base_url + LIST_PATH
        plain = requests.Session()
        client = Client(server.base_url, API_KEY, ClientSettings(max_requests=10**9))
        for _ in range(20):  # warm-up: connections, imports
            plain.get(url, params={"limit": "10"}, auth=(API_KEY, "")).raise_for_status()
            client.get("warm-up", {"limit": "10"})
        load = uptime()
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for _ in range(args.requests):
                _ = plain.get(url, params={"limit": "10"}, auth=(API_KEY, "")).content
            results["plain requests.Session"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for _ in range(args.requests):
                client.get("bench", {"limit": "10"})
            results["Client.get"].append(time.perf_counter() - t0)
            saved = client_module.threading.Timer
            client_module.threading.Timer = _NoTimer  # type: ignore[misc,assignment]
            try:
                t0 = time.perf_counter()
                for _ in range(args.requests):
                    client.get("bench", {"limit": "10"})
                results["Client.get, watchdog timer off"].append(time.perf_counter() - t0)
            finally:
                client_module.threading.Timer = saved  # type: ignore[misc]
            client.forget_transcript()
        client.close()
        plain.close()
    assert threading.Timer is saved
    base = statistics.median(results["plain requests.Session"]) / args.requests * 1000
    print(f"GET {LIST_PATH}?limit=10 x {args.requests}, {args.rounds} interleaved rounds; "
          f"load avg {load} → {uptime()}\n")
    print("| how | ms per request (median round) | vs plain |")
    print("|---|---:|---:|")
    for name, rounds in results.items():
        ms = statistics.median(rounds) / args.requests * 1000
        print(f"| {name} | {ms:.3f} | {ms / base:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
