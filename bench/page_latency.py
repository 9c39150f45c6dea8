"""Page latency at 1k, 100k and 1M sessions, measured side by side.

    python bench/page_latency.py [--sizes 1000,100000,1000000] [--requests 500]

bench/reference_scale.py measures one size after the other, so on a shared machine a
change of load between sizes shows up as a difference between sizes. Here every size
is served at once (`checkout-conformance serve --db /tmp/checkout-reference-N-seed0.sqlite3`,
child processes; files reused, building 1M takes about a minute), and each round sends
one request to every size in turn: load drifts hit all sizes alike. Cursors are taken
near the end of the list order (the deepest page an OFFSET scheme would pay for).
Not run in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import API_KEY, LIST_PATH, db_path, prebuild, running, uptime


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _deep_id(n: int) -> str:
    with contextlib.closing(sqlite3.connect(f"file:{db_path(n)}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT id FROM sessions ORDER BY created, id LIMIT 1 OFFSET ?",
                           (min(50, n - 1),)).fetchone()
    return str(row[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--requests", type=int, default=500, help="per size and case")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not 1 <= args.requests <= 20_000:
        raise SystemExit("--requests 1..20000")
    for n in sizes:
        prebuild(n)
    deep = {n: _deep_id(n) for n in sizes}
    cases = {
        "first page, limit=10": lambda n: {"limit": 10},
        "first page, limit=100": lambda n: {"limit": 100},
        "deep starting_after, limit=10": lambda n: {"limit": 10, "starting_after": deep[n]},
        "filtered status=complete + deep cursor": lambda n: {"limit": 10, "status": "complete",
                                                             "starting_after": deep[n]},
    }
    with contextlib.ExitStack() as stack:
        servers = {n: stack.enter_context(running("reference", n)) for n in sizes}
        sessions = {n: stack.enter_context(requests.Session()) for n in sizes}
        for s in sessions.values():
            s.auth = (API_KEY, "")
        print(f"{len(sizes)} servers up; load avg {uptime()}; {args.requests} requests per size and case, "
              "sizes interleaved\n")
        header = " | ".join(f"{n:,} p50 / p99 (ms)" for n in sizes)
        print(f"| case | {header} | p50 {sizes[-1]:,} / {sizes[0]:,} |")
        print("|---|" + "---:|" * (len(sizes) + 1))
        for name, params in cases.items():
            samples: dict[int, list[float]] = {n: [] for n in sizes}
            for n in sizes:  # warm-up
                for _ in range(10):
                    sessions[n].get(servers[n].base_url + LIST_PATH, params=params(n), timeout=30).raise_for_status()
            for i in range(args.requests):
                order = sizes if i % 2 == 0 else sizes[::-1]
                for n in order:
                    t0 = time.perf_counter()
                    r = sessions[n].get(servers[n].base_url + LIST_PATH, params=params(n), timeout=30)
                    samples[n].append((time.perf_counter() - t0) * 1000)
                    r.raise_for_status()
            cells = " | ".join(f"{statistics.median(samples[n]):.2f} / {_pct(samples[n], 0.99):.2f}" for n in sizes)
            ratio = statistics.median(samples[sizes[-1]]) / statistics.median(samples[sizes[0]])
            print(f"| {name} | {cells} | {ratio:.2f}x |", flush=True)
        print(f"\nload avg at the end {uptime()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
