"""Run cost: wall time and requests of a conformance run, and the suite's own overhead.

    python bench/run_cost.py [--sessions 57 10000] [--profile standard] [--repeat 3]

For each collection size: starts the reference server (file-backed SQLite in a temp
dir, so a large collection is generated once), runs the suite `--repeat` times, then
replays the very same URLs with a plain `requests.Session` GET loop against the same
server. The ratio suite/plain is the suite's own overhead (probing logic, recording,
judging, report writing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests

from conformance.cli import main as cli_main
from conformance.reference.server import ReferenceConfig, start_background


def measure(sessions: int, profile: str, repeat: int, workdir: Path) -> dict[str, float]:
    config = ReferenceConfig(sessions=sessions, seed=0, db=str(workdir / f"bench-{sessions}.sqlite3"))
    started = time.perf_counter()
    with start_background(config) as server:
        setup = time.perf_counter() - started
        times, requests_sent = [], 0
        report_dir = workdir / f"report-{sessions}"
        for _ in range(repeat):
            t0 = time.perf_counter()
            code = cli_main(["run", "--base-url", server.base_url, "--api-key", server.api_key, "--quiet",
                             "--profile", profile, "--api-version", config.api_versions[0],
                             "--report-dir", str(report_dir)])
            times.append(time.perf_counter() - t0)
            assert code == 0, f"the reference was judged {code}"
            requests_sent = json.loads((report_dir / "report.json").read_text())["requests"]
        exchanges = [json.loads(line) for line in (report_dir / "exchanges.jsonl").read_text().splitlines()]
        plain = []
        with requests.Session() as session:
            for _ in range(repeat):
                t0 = time.perf_counter()
                for e in exchanges:
                    session.get(server.base_url + e["path"], params=e["query"], auth=(server.api_key, ""),
                                headers=e["request_headers"]).content
                plain.append(time.perf_counter() - t0)
    suite, replay = statistics.median(times), statistics.median(plain)
    return {"sessions": sessions, "server_setup_s": round(setup, 2), "run_s": round(suite, 3),
            "requests": requests_sent, "plain_gets_s": round(replay, 3), "overhead_ratio": round(suite / replay, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[57, 10_000])
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "conformance-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print("| sessions | server setup (s) | run wall (s, median) | requests | plain GETs (s) | overhead |")
    print("|---:|---:|---:|---:|---:|---:|")
    for sessions in args.sessions:
        r = measure(sessions, args.profile, args.repeat, args.workdir)
        print(f"| {r['sessions']:,} | {r['server_setup_s']} | {r['run_s']} | {r['requests']} | "
              f"{r['plain_gets_s']} | {r['overhead_ratio']}× |", flush=True)


if __name__ == "__main__":
    main()
