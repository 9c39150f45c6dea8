"""Scale benchmark of the embedded reference server (not run in CI).

Builds 1k, 100k and 1M-session SQLite databases under /tmp (reused when already
built), then serves each and measures page latency over real HTTP:

- first page (limit 10 and 100), a deep cursor page (starting_after an id near the
  end), a deep backward page (ending_before), and a filtered page (status=complete,
  deep cursor).

Usage: python bench/reference_scale.py [--sizes 1000,100000,1000000] [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.reference.config import ReferenceConfig
from conformance.reference.server import start_background
from conformance.reference.store import SessionStore, open_store

SEED = 0
Params = dict[str, str | int]


def _db_path(count: int) -> str:
    return f"/tmp/checkout-reference-{count}-seed{SEED}.sqlite3"


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(http: requests.Session, url: str, params: Params,
             repeats: int) -> tuple[float, float]:
    for _ in range(5):  # warm-up: connection, page cache
        http.get(url, params=params, timeout=30).raise_for_status()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = http.get(url, params=params, timeout=30)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return statistics.median(samples), _percentile(samples, 0.99)


def _positions(path: str, count: int) -> tuple[str, str]:
    """A cursor near the end of the list order (the deepest page an OFFSET scheme
    would pay for) and one in the middle, read straight from SQLite."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        near_end = conn.execute("SELECT id FROM sessions ORDER BY created, id "
                                "LIMIT 1 OFFSET ?", (min(50, count - 1),)).fetchone()[0]
        middle = conn.execute("SELECT id FROM sessions ORDER BY created, id "
                              "LIMIT 1 OFFSET ?", (count // 2,)).fetchone()[0]
    return near_end, middle


def _measure_store(store: SessionStore, params: Params,
                   repeats: int) -> float:
    """Median time of the store query alone (SQLite + JSON decode), without HTTP."""
    kwargs = {k: v for k, v in params.items() if k != "limit"}
    limit = int(params["limit"])
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        store.page(limit, **kwargs)  # type: ignore[arg-type]
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def bench(count: int, repeats: int) -> None:
    path = _db_path(count)
    fresh = not os.path.exists(path)
    started = time.perf_counter()
    open_store(count, SEED, path=path).close()
    build = time.perf_counter() - started
    size_mb = os.path.getsize(path) / 1e6
    near_end, middle = _positions(path, count)
    cases: dict[str, Params] = {
        "first page, limit=10": {"limit": 10},
        "first page, limit=100": {"limit": 100},
        "deep starting_after, limit=10": {"limit": 10, "starting_after": near_end},
        "deep starting_after, limit=100": {"limit": 100, "starting_after": near_end},
        "mid ending_before, limit=10": {"limit": 10, "ending_before": middle},
        "filtered status=complete, limit=10": {"limit": 10, "status": "complete"},
        "filtered + deep cursor, limit=10": {"limit": 10, "status": "complete",
                                             "starting_after": near_end},
    }
    started = time.perf_counter()
    with start_background(ReferenceConfig(sessions=count, seed=SEED, db=path)) as server:
        startup = time.perf_counter() - started
        print(f"\n== {count:,} sessions: db {size_mb:.0f} MB, "
              f"{'built' if fresh else 'reused'} in {build:.2f} s, server up in {startup:.3f} s")
        http = requests.Session()
        http.auth = (server.api_key, "")
        url = server.base_url + "/v1/checkout/sessions"
        for name, params in cases.items():
            p50, p99 = _measure(http, url, params, repeats)
            print(f"  {name:36s} HTTP p50 {p50:6.2f} ms  p99 {p99:6.2f} ms", flush=True)
    store = open_store(count, SEED, path=path)
    for name, params in cases.items():
        print(f"  {name:36s} store-only p50 {_measure_store(store, params, repeats):.3f} ms")
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rebuild", action="store_true", help="delete cached dbs first")
    args = parser.parse_args()
    for count in (int(s) for s in args.sizes.split(",")):
        if args.rebuild and os.path.exists(_db_path(count)):
            os.remove(_db_path(count))
        bench(count, args.requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
