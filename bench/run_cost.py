"""Run cost: wall time and requests of a conformance run, and the suite's own overhead.

    python bench/run_cost.py [--sessions 57 10000] [--profile standard] [--repeat 3]

For each collection size: starts the reference server (file-backed SQLite in a temp
dir, so a large collection is generated once), runs the suite `--repeat` times, then
replays the very same URLs with a plain `requests.Session` GET loop against the same
server. The ratio suite/plain is the suite's own overhead (probing logic, recording,
judging, report writing).

The server runs in this process, as in `checkout-conformance run` without --base-url;
the first run of a process also pays imports and loading the OpenAPI document into
Schemathesis (reported separately as "first run"), the median is over all repeats.
A second table splits the median run into phases, timed by wrapping the functions
named there (no profiler overhead).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from conformance.cli import main as cli_main
from conformance.reference.server import ReferenceConfig, start_background

# (label, module, attributes): the first attribute that exists is timed (inclusive) in every run.
PHASES = (
    ("HTTP exchanges (client send + server + read)", "conformance.record.client", ("Client._attempt",)),
    ("generated cases (disk cache or Schemathesis)", "conformance.checks.generated",
     ("cached_requests", "generate_requests")),
    ("judging (all checks)", "conformance.judge.pipeline", ("judge",)),
    ("report writing", "conformance.reports.writer", ("write_reports",)),
)
CACHE_ENV = "CONFORMANCE_CACHE_DIR"  # conformance/generation_cache.py


@contextlib.contextmanager
def timed_phases(totals: dict[str, float]) -> Iterator[None]:
    import importlib

    undo: list[Callable[[], None]] = []
    for label, module_name, candidates in PHASES:
        for attr in candidates:
            owner: Any = importlib.import_module(module_name)
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part, None)
            original = getattr(owner, name, None)
            if original is not None:
                break
        if original is None:  # renamed since: that phase reads 0 and counts as "everything else"
            continue

        def wrapper(*args: Any, _f: Callable[..., Any] = original, _l: str = label, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                totals[_l] += time.perf_counter() - t0

        setattr(owner, name, functools.wraps(original)(wrapper))
        undo.append(functools.partial(setattr, owner, name, original))
    try:
        yield
    finally:
        for restore in undo:
            restore()


def measure(sessions: int, profile: str, repeat: int, workdir: Path, cache: str) -> dict[str, Any]:
    """``cache``: "cold" gives every run an empty generation cache, "warm" one filled by an
    untimed run first."""
    config = ReferenceConfig(sessions=sessions, seed=0, db=str(workdir / f"bench-{sessions}.sqlite3"))
    started = time.perf_counter()
    with start_background(config) as server:
        setup = time.perf_counter() - started
        times, requests_sent, phases = [], 0, []
        report_dir = workdir / f"report-{sessions}"
        warm_dir = tempfile.mkdtemp(prefix="gen-cache-warm-", dir=workdir)
        argv = ["run", "--base-url", server.base_url, "--api-key", server.api_key, "--quiet",
                "--profile", profile, "--api-version", config.api_versions[0], "--report-dir", str(report_dir)]
        if cache == "warm":
            os.environ[CACHE_ENV] = warm_dir
            with contextlib.redirect_stdout(io.StringIO()):
                cli_main(argv)
        for _ in range(repeat):
            if cache == "cold":
                os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="gen-cache-cold-", dir=workdir)
            totals: dict[str, float] = defaultdict(float)
            with timed_phases(totals):
                t0 = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):  # the per-run summary
                    code = cli_main(argv)
                times.append(time.perf_counter() - t0)
            phases.append(dict(totals))
            assert code == 0, f"the reference was judged {code}"
            requests_sent = json.loads((report_dir / "report.json").read_text())["requests"]
        exchanges = [json.loads(line) for line in (report_dir / "exchanges.jsonl").read_text().splitlines()]
        plain = []
        with requests.Session() as session:
            for _ in range(repeat):
                t0 = time.perf_counter()
                for e in exchanges:
                    _ = session.get(server.base_url + e["path"], params=e["query"], auth=(server.api_key, ""),
                                    headers=e["request_headers"]).content
                plain.append(time.perf_counter() - t0)
    suite, replay = statistics.median(times), statistics.median(plain)
    median_run = phases[times.index(sorted(times)[len(times) // 2])]
    os.environ.pop(CACHE_ENV, None)
    return {"sessions": sessions, "cache": cache, "server_setup_s": round(setup, 2), "first_run_s": round(times[0], 3),
            "run_s": round(suite, 3), "requests": requests_sent, "plain_gets_s": round(replay, 3),
            "overhead_ratio": round(suite / replay, 2), "phases": median_run, "exchanges": len(exchanges)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[57, 10_000])
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "conformance-bench")
    parser.add_argument("--cache", choices=["cold", "warm", "both"], default="both",
                        help="generated-requests disk cache: empty for every run, filled first, or both")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for sessions in args.sessions:
        for cache in (["cold", "warm"] if args.cache == "both" else [args.cache]):
            load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
            results.append({**measure(sessions, args.profile, args.repeat, args.workdir, cache), "load": load})
    print("| sessions | generation cache | server setup (s) | first run (s) | run wall (s, median) | requests "
          "| plain GETs (s) | overhead | load avg at start |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(f"| {r['sessions']:,} | {r['cache']} | {r['server_setup_s']} | {r['first_run_s']} | {r['run_s']} | "
              f"{r['requests']} | {r['plain_gets_s']} | {r['overhead_ratio']}x | {r['load']} |")
    print("\nThe median run, by phase (s; phases do not overlap):\n")
    print("| phase | " + " | ".join(f"{r['sessions']:,}, {r['cache']}" for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    for label, _, _ in PHASES:
        print(f"| {label} | " + " | ".join(f"{r['phases'].get(label, 0.0):.3f}" for r in results) + " |")
    print("| everything else (probe logic, recording, CLI) | " + " | ".join(
        f"{r['run_s'] - sum(r['phases'].values()):.3f}" for r in results) + " |")
    print("| plain GET replay of the same URLs | " + " | ".join(f"{r['plain_gets_s']:.3f}" for r in results)
          + " |")


if __name__ == "__main__":
    main()
