"""Throughput of the reference server under concurrent load, against Stoplight Prism.

    python bench/load.py [--targets reference,uvicorn-2w,prism] [--sessions 57]
                         [--connections 10] [--duration 10] [--query limit=10]

For each target: start it on 127.0.0.1 (a child process), warm it up with a short
`wrk` run, then measure with `wrk -t1 -c C -d D --latency` and an HTTP Basic
`Authorization` header. One wrk thread: on a 2-core machine the load generator
should not take the server's second core.

Targets:
  reference     `checkout-conformance serve --sessions N --db /tmp/...` (one process)
  uvicorn-Nw    the same app under uvicorn's own runner with N worker processes,
                uvloop and httptools (what a `serve --workers N` flag would run)
  prism         `npx --prefix /tmp/prism prism mock spec/openapi.yaml` (static mock)

Needs `wrk` (Debian: apt-get install -y wrk) and, for prism,
`npm install --prefix /tmp/prism @stoplight/prism-cli`. Not run in CI.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import AUTH_HEADER, LIST_PATH, prebuild, running, uptime

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def wrk(url: str, connections: int, duration: int, threads: int = 1) -> dict[str, float | int | str]:
    """Run wrk once and parse its summary."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
               "--latency", "--timeout", "5s", "-H", AUTH_HEADER, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True,
                         timeout=duration + 60).stdout
    result: dict[str, float | int | str] = {"raw": out}
    result["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        result[f"p{pct}"] = _ms(m.group(1)) if m else float("nan")
    m = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    result["max"] = _ms(m.group(1)) if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="reference,uvicorn-2w,prism")
    parser.add_argument("--sessions", type=int, default=57)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--duration", type=int, default=10, help="seconds of measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up first")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--query", default="limit=10", help="query string of the listed URL")
    parser.add_argument("--prism-dir", default="/tmp/prism")
    parser.add_argument("--show-wrk", action="store_true", help="print wrk's own output too")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    if not 1 <= args.duration <= 600 or not 1 <= args.connections <= 1000:
        print("--duration 1..600 s, --connections 1..1000", file=sys.stderr)
        return 2
    prebuild(args.sessions)
    print(f"GET {LIST_PATH}?{args.query}, {args.sessions:,} sessions, wrk -t{args.threads} "
          f"-c{args.connections} -d{args.duration}s (after a {args.warmup} s warm-up)\n")
    print("| target | req/s | p50 ms | p90 ms | p99 ms | max ms | requests | non-2xx | socket errors "
          "| load avg before → after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for kind in args.targets.split(","):
        with running(kind, args.sessions, args.prism_dir) as server:
            url = f"{server.base_url}{LIST_PATH}?{args.query}"
            if args.warmup:
                wrk(url, args.connections, args.warmup, args.threads)
            before = uptime()
            r = wrk(url, args.connections, args.duration, args.threads)
            after = uptime()
        print(f"| {kind} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | "
              f"{r['max']:.1f} | {r['requests']:,} | {r['non2xx']} | {r['socket_errors']} "
              f"| {before} → {after} |", flush=True)
        if args.show_wrk:
            print("\n```\n" + str(r["raw"]).strip() + "\n```\n", flush=True)
        time.sleep(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
