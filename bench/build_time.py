"""Generation time of the reference dataset: build N sessions into a fresh SQLite file.

    python bench/build_time.py [--sessions 1000 100000 1000000]

Builds into a scratch file (removed afterwards), so the cached databases under /tmp
that the other benchmarks reuse are left alone. Not run in CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.reference.store import open_store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    args = parser.parse_args()
    print("| sessions | build (s) | sessions/s | file (MB) | load avg after |")
    print("|---:|---:|---:|---:|---|")
    for n in args.sessions:
        path = os.path.join(tempfile.gettempdir(), f"bench-build-{n}-{os.getpid()}.sqlite3")
        try:
            t0 = time.perf_counter()
            open_store(n, 0, path=path).close()
            took = time.perf_counter() - t0
            size = os.path.getsize(path) / 1e6
        finally:
            if os.path.exists(path):
                os.remove(path)
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"| {n:,} | {took:.2f} | {n / took:,.0f} | {size:,.0f} | {load} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
