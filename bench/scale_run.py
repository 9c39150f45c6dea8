"""Scale of the target: a standard run against 1M sessions vs a small collection.

    python bench/scale_run.py [--small 1000] [--large 1000000] [--repeat 3] [--profile standard]

Serves each collection with `checkout-conformance serve --db /tmp/checkout-reference-N-seed0.sqlite3`
in a child process (the same files bench/reference_scale.py builds; an existing file is
reused, building 1M takes about 90 s), runs the suite against it in this process
(`checkout-conformance run --base-url ...`), alternating small and large, after one
discarded warm-up run (imports, loading the OpenAPI document). Target: the large run
within 1.5x the small one. Not run in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import API_KEY, prebuild, running, uptime

from conformance.cli import main as cli_main


def one_run(base_url: str, profile: str, report_dir: Path) -> tuple[float, int, float]:
    """(wall seconds, requests, median per-request ms as the client saw it)."""
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the per-run summary
        code = cli_main(["run", "--base-url", base_url, "--api-key", API_KEY, "--quiet", "--profile", profile,
                         "--report-dir", str(report_dir)])
    wall = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"the reference at {base_url} was judged {code}; see {report_dir}")
    requests_sent = json.loads((report_dir / "report.json").read_text())["requests"]
    elapsed = [json.loads(line).get("elapsed_ms") for line in
               (report_dir / "exchanges.jsonl").read_text().splitlines()]
    return wall, requests_sent, statistics.median(e for e in elapsed if e is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="standard")
    args = parser.parse_args()
    if not 1 <= args.repeat <= 20:
        raise SystemExit("--repeat 1..20")
    sizes = (args.small, args.large)
    for n in sizes:
        print(f"{n:,} sessions: db ready in {prebuild(n):.1f} s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="scale-run-"))
    runs: dict[int, list[tuple[float, int, float]]] = {n: [] for n in sizes}
    loads: dict[int, list[str]] = {n: [] for n in sizes}
    with running("reference", args.small) as small, running("reference", args.large) as large:
        urls = {args.small: small.base_url, args.large: large.base_url}
        one_run(small.base_url, args.profile, work / "warm-up")
        for i in range(args.repeat):
            for n in sizes:
                loads[n].append(uptime())
                runs[n].append(one_run(urls[n], args.profile, work / f"{n}-{i}"))
    base = statistics.median(r[0] for r in runs[args.small])
    print(f"\nstandard runs ({args.profile}), median of {args.repeat}, alternating; reports in {work}\n")
    print("| target sessions | run wall (s, median) | runs (s) | requests | median request (ms) "
          "| vs small | load avg at each run start |")
    print("|---:|---:|---|---:|---:|---:|---|")
    for n in sizes:
        walls = [r[0] for r in runs[n]]
        median = statistics.median(walls)
        print(f"| {n:,} | {median:.2f} | {', '.join(f'{w:.2f}' for w in walls)} | {runs[n][-1][1]} | "
              f"{statistics.median(r[2] for r in runs[n]):.2f} | {median / base:.2f}x | {'; '.join(loads[n])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
