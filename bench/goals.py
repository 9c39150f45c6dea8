"""The speed goals of issue 12, each printed with the command that reproduces it.

    python bench/goals.py [--repeat 3] [--only slow,scale,cold,budget]

- slow:   a standard run against a target whose every response takes ~40 ms
          (bench/slow_proxy.py in front of `checkout-conformance serve`), at
          --concurrency 1 and 4. Goal: wall <= 0.35 x requests x 40 ms.
- scale:  a standard run against 1,000,000 sessions vs 57, one bench run, alternating.
          Goal: <= 1.5x.
- cold:   `checkout-conformance run` in a fresh process with an empty
          CONFORMANCE_CACHE_DIR (a new machine) vs a warm one. Goal: cold <= 2x warm.
- budget: requests of a standard run <= 600, and exactly --max-requests when it binds.
- with slow: Schemathesis, `st run spec/openapi.yaml` against the same 40 ms target
          (requests counted by the proxy), side by side with the suite.

Each suite run is a fresh `python -m conformance run` process (what a user types), timed
from outside; for the slow and scale targets the time of the run inside the process
(`runner.run`, read from report.json's started/finished) is printed beside it, since
process start-up (imports, loading the spec) is the same whatever the target. Servers
are child processes on 127.0.0.1 stopped by their own process-group id; every wait is
bounded. The 1M SQLite file is built on first use (about a minute). Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _servers import API_KEY, REPO, prebuild, running, slow_proxy, uptime

DELAY_MS = 40.0
WORK = Path(tempfile.mkdtemp(prefix="bench-goals-"))


def suite(base_url: str | None, *extra: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """One `checkout-conformance run` in a fresh process: wall s, in-run s, requests, exit code."""
    report_dir = Path(tempfile.mkdtemp(dir=WORK))
    command = [sys.executable, "-m", "conformance", "run", "--quiet", "--report-dir", str(report_dir), *extra]
    if base_url:
        command += ["--base-url", base_url]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env={**os.environ, "CONFORMANCE_API_KEY": API_KEY, **(env or {})},
                          capture_output=True, timeout=600, check=False)
    wall = time.perf_counter() - started
    report = json.loads((report_dir / "report.json").read_text())
    inside = (datetime.fromisoformat(report["finished_at"]) - datetime.fromisoformat(report["started_at"]))
    return {"wall": wall, "run": inside.total_seconds(), "requests": report["requests"], "exit": done.returncode}


def show(command: str) -> None:
    print(f"\n$ {command}    (load {uptime()})")


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def walls(runs: list[dict[str, float]]) -> str:
    return ", ".join(f"{r['wall']:.2f}" for r in runs)


def bench_slow(repeat: int) -> None:
    print("\n## Against a target with ~40 ms per response (bench/slow_proxy.py)")
    with running("reference", 57) as reference, slow_proxy(reference.base_url, DELAY_MS) as slow:
        rows = []
        for concurrency in ("1", "4"):
            command = f"checkout-conformance run --base-url {slow.base_url} --concurrency {concurrency}"
            show(command)
            runs = [suite(slow.base_url, "--concurrency", concurrency) for _ in range(repeat)]
            rows.append((concurrency, runs))
        print("\n| --concurrency | requests | wall (s, median) | in-run (s) | requests x 40 ms (s) "
              "| wall / (requests x 40 ms) | in-run / (requests x 40 ms) | exit |")
        print("|---:|---:|---:|---:|---:|---:|---:|---|")
        for concurrency, runs in rows:
            n = runs[0]["requests"]
            serial = n * DELAY_MS / 1000
            print(f"| {concurrency} | {n:.0f} | {median(runs, 'wall'):.2f} | {median(runs, 'run'):.2f} | "
                  f"{serial:.2f} | **{median(runs, 'wall') / serial:.2f}** | {median(runs, 'run') / serial:.2f} | "
                  f"{','.join(str(int(r['exit'])) for r in runs)} |")
        print("goal: wall <= 0.35 x requests x 40 ms")
        bench_schemathesis(slow.base_url, repeat)


def bench_schemathesis(base_url: str, repeat: int) -> None:
    """`st run` on the same spec and the same 40 ms target; requests counted by the proxy."""
    print("\n## Schemathesis on the same target, side by side")
    st = str(Path(sys.executable).with_name("st"))
    spec = str(REPO / "spec" / "openapi.yaml")
    auth = f"Authorization: Basic {__import__('base64').b64encode(f'{API_KEY}:'.encode()).decode()}"
    variants = {
        "st run (defaults)": [st, "run", spec, "--url", base_url, "-H", auth, "--seed", "0"],
        "st run -w 4": [st, "run", spec, "--url", base_url, "-H", auth, "--seed", "0", "-w", "4"],
    }
    rows = []
    for label, command in variants.items():
        show(" ".join(shlex.quote(c) if not c.startswith("Authorization") else "'Authorization: Basic ...'"
                      for c in command))
        walls, counts = [], []
        for _ in range(1):  # a minute or more each, and steady: once is enough
            before = requests.get(base_url + "/_bench/count", timeout=5).json()["count"]
            started = time.perf_counter()
            subprocess.run(command, cwd=WORK, capture_output=True, timeout=900, check=False)
            walls.append(time.perf_counter() - started)
            counts.append(requests.get(base_url + "/_bench/count", timeout=5).json()["count"] - before)
        rows.append((label, statistics.median(walls), statistics.median(counts)))
    for concurrency in ("1", "4"):
        show(f"checkout-conformance run --base-url {base_url} --concurrency {concurrency}")
        walls, counts = [], []
        for _ in range(repeat):
            before = requests.get(base_url + "/_bench/count", timeout=5).json()["count"]
            result = suite(base_url, "--concurrency", concurrency)
            walls.append(result["wall"])
            counts.append(requests.get(base_url + "/_bench/count", timeout=5).json()["count"] - before)
        rows.append((f"checkout-conformance run --concurrency {concurrency}", statistics.median(walls),
                     statistics.median(counts)))
    print("\n| tool | requests (counted by the proxy) | wall (s; st once, the suite median) | requests/s |")
    print("|---|---:|---:|---:|")
    for label, wall, count in rows:
        print(f"| {label} | {count:.0f} | {wall:.2f} | {count / wall:.1f} |")


def bench_scale(repeat: int) -> None:
    print("\n## 1,000,000 sessions vs 57, one bench run, alternating")
    for n in (57, 1_000_000):
        print(f"{n:,} sessions: db ready in {prebuild(n):.1f} s", flush=True)
    with running("reference", 57) as small, running("reference", 1_000_000) as large:
        urls = {57: small.base_url, 1_000_000: large.base_url}
        suite(small.base_url)  # warm-up: page cache, generation cache
        runs: dict[int, list[dict[str, float]]] = {57: [], 1_000_000: []}
        for _ in range(repeat):
            for n, url in urls.items():
                runs[n].append(suite(url))
        show("checkout-conformance run --base-url <serve --sessions N --db ...>   (57 and 1,000,000, alternating)")
        print("\n| sessions | requests | wall (s, median) | runs (s) | in-run (s, median) | wall vs 57 "
              "| in-run vs 57 |")
        print("|---:|---:|---:|---|---:|---:|---:|")
        for n in urls:
            print(f"| {n:,} | {runs[n][0]['requests']:.0f} | {median(runs[n], 'wall'):.2f} | "
                  f"{walls(runs[n])} | {median(runs[n], 'run'):.2f} | "
                  f"**{median(runs[n], 'wall') / median(runs[57], 'wall'):.2f}x** | "
                  f"{median(runs[n], 'run') / median(runs[57], 'run'):.2f}x |")
        print("goal: 1M <= 1.5x 57")


def bench_cold(repeat: int) -> None:
    print("\n## Cold first run (empty generation cache, new process) vs warm")
    show("CONFORMANCE_CACHE_DIR=$(mktemp -d) checkout-conformance run   (then the same again, warm)")
    cold, warm = [], []
    for _ in range(repeat):
        cache = tempfile.mkdtemp(dir=WORK)
        cold.append(suite(None, env={"CONFORMANCE_CACHE_DIR": cache}))
        warm.append(suite(None, env={"CONFORMANCE_CACHE_DIR": cache}))
    other = tempfile.mkdtemp(dir=WORK)
    seed7 = [suite(None, "--seed", "7", env={"CONFORMANCE_CACHE_DIR": other}),
             suite(None, "--seed", "7", env={"CONFORMANCE_CACHE_DIR": other})]
    print("\n| run | wall (s, median) | runs (s) |")
    print("|---|---:|---|")
    for label, runs in (("cold (seed 0, shipped cases)", cold), ("warm (seed 0)", warm),
                        ("cold, --seed 7 (drawn)", seed7[:1]), ("warm, --seed 7", seed7[1:])):
        print(f"| {label} | {median(runs, 'wall'):.2f} | {walls(runs)} |")
    print(f"cold / warm: **{median(cold, 'wall') / median(warm, 'wall'):.2f}x** (goal <= 2x); "
          f"--seed 7: {seed7[0]['wall'] / seed7[1]['wall']:.2f}x")


def bench_budget() -> None:
    print("\n## Requests per standard run, and --max-requests")
    show("checkout-conformance run [--max-requests 100]")
    plain = suite(None)
    capped = suite(None, "--max-requests", "100")
    print(f"\nstandard run: {plain['requests']:.0f} requests (goal <= 600); "
          f"--max-requests 100: {capped['requests']:.0f} requests sent, exit {capped['exit']:.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="slow,scale,cold,budget")
    args = parser.parse_args()
    if not 1 <= args.repeat <= 10:
        raise SystemExit("--repeat 1..10")
    wanted = set(args.only.split(","))
    print(f"# bench/goals.py  {datetime.now().isoformat(timespec='seconds')}  load {uptime()}  reports in {WORK}")
    if "slow" in wanted:
        bench_slow(args.repeat)
    if "scale" in wanted:
        bench_scale(args.repeat)
    if "cold" in wanted:
        bench_cold(args.repeat)
    if "budget" in wanted:
        bench_budget()
    print(f"\nend: load {uptime()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
