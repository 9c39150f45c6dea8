"""Which catalog faults a profile's page budgets catch on a collection larger than they read.

    python bench/budget_detection.py [--sessions 2000] [--processes 2]

On the kill matrix's 57 sessions no walk budget binds, so the matrix cannot tell whether a
budget is too small. This serves every catalog fault (as the kill matrix does) on a
collection of ``--sessions`` sessions, where every walk of the standard profile is cut by
its budget, and judges it twice: with the standard profile as it is, and with the budgets
of 2026-11-30's first pass (reference walk 20 pages, walks at 7 30 pages, default 15,
filtered 20 per status). A fault is caught when every requirement it declares is reported
(failed or warned), the kill matrix's reading. The script prints the faults caught by one
and not the other, and the requests and seconds of each. Not run in CI.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.profiles import PROFILES, Profile

BEFORE = dataclasses.replace(PROFILES["standard"], name="standard-before", pages_limit_100=20, pages_limit_7=30,
                             pages_default=15, pages_filtered=20)


def judge_fault(job: tuple[str | None, int, Profile]) -> tuple[str | None, str, bool, int, float]:
    """(fault, profile name, caught, requests, seconds) for one fault served on ``sessions``."""
    import logging

    from conformance.catalog import default_catalog
    from conformance.reference import ReferenceConfig, start_background
    from conformance.reference.faults import FAULTS
    from conformance.run.runner import RunOptions, run
    from conformance.selftest.kill_matrix import missed

    logging.getLogger("conformance.reference").setLevel(logging.CRITICAL)
    fault, sessions, profile = job
    dataset = FAULTS[fault].dataset if fault is not None else None
    config = ReferenceConfig(fault=fault, dataset=dataset, sessions=sessions)
    started = time.perf_counter()
    with start_background(config) as server:
        result = run(RunOptions(base_url=server.base_url, api_key=server.api_key,
                                api_version=config.api_versions[0], profile=profile, expect_dataset=dataset))
    seconds = time.perf_counter() - started
    by_id = {v.requirement: v.verdict for v in result.verdicts}
    caught = fault is not None and not missed(FAULTS[fault].breaks, by_id, default_catalog())
    return fault, profile.name, caught, result.requests_sent, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    from conformance.reference.faults import FAULTS

    faults = sorted(FAULTS)
    jobs = [(f, args.sessions, p) for f in faults for p in (PROFILES["standard"], BEFORE)]
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with ProcessPoolExecutor(args.processes, mp_context=context) as pool:
        results = list(pool.map(judge_fault, jobs))
    caught = {(f, name): c for f, name, c, _, _ in results}
    names = ("standard", BEFORE.name)
    requests = {name: sum(r for _, n, _, r, _ in results if n == name) / len(faults) for name in names}
    seconds = {name: sum(s for _, n, _, _, s in results if n == name) / len(faults) for name in names}
    print(f"# {len(faults)} catalog faults on {args.sessions:,} sessions ({time.perf_counter() - started:.0f} s)")
    print(f"$ python bench/budget_detection.py --sessions {args.sessions}\n")
    print("| profile | caught | mean requests | mean seconds per run |")
    print("|---|---:|---:|---:|")
    for name in ("standard", BEFORE.name):
        print(f"| {name} | {sum(caught[(f, name)] for f in faults)} of {len(faults)} | {requests[name]:.0f} | "
              f"{seconds[name]:.2f} |")
    only_before = [f for f in faults if caught[(f, BEFORE.name)] and not caught[(f, "standard")]]
    only_now = [f for f in faults if caught[(f, "standard")] and not caught[(f, BEFORE.name)]]
    print(f"\ncaught only with the earlier budgets: {', '.join(only_before) or 'none'}")
    print(f"caught only with the standard profile's budgets: {', '.join(only_now) or 'none'}")
    missed_both = [f for f in faults if not caught[(f, BEFORE.name)] and not caught[(f, "standard")]]
    print(f"missed by both: {', '.join(missed_both) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
