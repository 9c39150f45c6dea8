"""What a hostile or slow target costs a run: peak memory, report size, wall time (not run in CI).

    python bench/hostile_runs.py bodies   # every 200 list padded to ~4 MiB (just under the body cap)
    python bench/hostile_runs.py slow     # every response held 2 s, default --deadline

`bodies`: the embedded reference server behind a proxy that pads each 200 list with an
extra envelope key to 4,000,000 bytes. A standard run's peak RSS (VmHWM of the CLI
process, polled every 20 ms) and the size of each report file are printed.

`slow`: the reference behind bench/slow_proxy.py holding every response 2 s; a standard
run with the default --deadline; its wall time, requests and the verdict's reason.
Binds 127.0.0.1 only; every server is stopped by its own pid.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from _servers import API_KEY, REPO, running, slow_proxy, uptime

sys.path.insert(0, str(REPO))  # the tests' loopback server and forwarding, rather than a copy here

from tests.support.scripted import Received, Reply, forward, scripted_server

PADDED_SIZE = 4_000_000


@contextlib.contextmanager
def padding_proxy(upstream: str, size: int) -> Iterator[str]:
    """A proxy to `upstream` whose 200 list bodies are padded to `size` bytes."""
    filler = b"x" * size
    http = requests.Session()

    def answer(_index: int, request: Received) -> Reply:
        reply = forward(upstream, request, http)
        if reply.status == 200 and reply.body.endswith(b"}"):
            pad = size - len(reply.body) - len(b',"padding":""')
            reply.body = reply.body[:-1] + b',"padding":"' + filler[:max(0, pad)] + b'"}'
        return reply

    with scripted_server(answer) as target:
        yield target.base_url


def measured_run(base_url: str, report_dir: Path, *extra: str) -> dict[str, object]:
    """`checkout-conformance run` (standard profile) as a child: exit, seconds, peak RSS."""
    args = [sys.executable, "-m", "conformance", "run", "--base-url", base_url, "--api-key", API_KEY,
            "--quiet", "--report-dir", str(report_dir), *extra]
    started = time.monotonic()
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_kb = 0
    while process.poll() is None:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        time.sleep(0.02)
    report = json.loads((report_dir / "report.json").read_text())
    return {
        "exit": process.returncode, "seconds": round(time.monotonic() - started, 1),
        "peak_rss_mb": round(peak_kb / 1024), "requests": report["requests"],
        "verdict": report.get("gate_verdict", report["verdict"]),  # the gate (report.json format 3)
        "reason": report["verdict_reason"][:200], "stopped": report.get("stopped"),
        "files_mib": {p.name: round(p.stat().st_size / 2**20, 2) for p in sorted(report_dir.iterdir()) if p.is_file()},
        "load": uptime(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=["bodies", "slow"])
    args = parser.parse_args()
    with running("reference") as reference, tempfile.TemporaryDirectory() as tmp:
        if args.case == "bodies":
            with padding_proxy(reference.base_url, PADDED_SIZE) as target:
                result = measured_run(target, Path(tmp))
        else:
            with slow_proxy(reference.base_url, 2000) as target:
                result = measured_run(target.base_url, Path(tmp))
    print(json.dumps({"case": args.case, **result}, indent=2))


if __name__ == "__main__":
    main()
