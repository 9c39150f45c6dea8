"""What the diagnosis adds to a run: `diagnose` timed against `judge` on the same transcript.

    python bench/diagnosis_cost.py [--sessions 57 1000] [--faults - cursor-inclusive ties-unstable] [--repeat 5]

Each target is an embedded reference server (``-`` = the correct one) judged in process with
the ``thorough`` profile (the longest transcripts). Both steps then run again on the recorded
exchanges (their bodies already parsed by the run, as in a real run), ``--repeat`` times, each
on a fresh record (nothing the record memoises carries over); the table gives the medians.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.judge.diagnosis import diagnose
from conformance.judge.pipeline import judge
from conformance.profiles import PROFILES
from conformance.reference import ReferenceConfig, start_background
from conformance.run.runner import RunOptions, RunResult, run


def _median_ms(step: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _row(sessions: int, fault: str, result: RunResult, repeat: int) -> str:
    exchanges = result.exchanges
    judged = _median_ms(lambda: judge(exchanges, result.context, result.spec, result.catalog), repeat)
    diagnosed = _median_ms(lambda: diagnose(result.verdicts, exchanges, result.spec), repeat)
    causes = ", ".join(c.fault for c in result.diagnosis) or "none"
    return f"| {sessions} | {fault} | {len(exchanges)} | {judged:.1f} | {diagnosed:.1f} | {causes} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[57, 1000])
    parser.add_argument("--faults", nargs="+", default=["-", "cursor-inclusive", "ties-unstable"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("conformance.reference").setLevel(logging.CRITICAL)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| sessions | fault | exchanges | judge (ms) | diagnose (ms) | causes |")
    print("|---:|---|---:|---:|---:|---|")
    for sessions in args.sessions:
        for fault in args.faults:
            config = ReferenceConfig(sessions=sessions, fault=None if fault == "-" else fault)
            with start_background(config) as server:
                result = run(RunOptions(base_url=server.base_url, api_key=server.api_key,
                                        api_version=config.api_versions[0], profile=PROFILES["thorough"]))
            print(_row(sessions, fault, result, args.repeat), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
