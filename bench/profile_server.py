"""Where the reference server spends its time under load (py-spy, not run in CI).

    python bench/profile_server.py [--sessions 57] [--connections 10] [--duration 10]
                                   [--query limit=10] [--out /tmp/reference-profile]

Starts `checkout-conformance serve`, loads it with `wrk -t1 -cC`, and samples it
with `py-spy record` (pip install py-spy) for the whole run. Writes the raw collapsed
stacks (OUT.txt, for flamegraph.pl or speedscope) and prints the functions with the
most samples: own time (the frame on top) and inclusive time (anywhere on the stack).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import AUTH_HEADER, LIST_PATH, prebuild, running, uptime


def _short(frame: str) -> str:
    return re.sub(r"/\S*/(site-packages|lib/python3\.\d+|conformance)/", r"\1/", frame).replace(
        "site-packages/", "").replace("lib/python3.11/", "")


def summarize(collapsed: Path, top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "serve_forever" in stack:  # the main thread, which only waits for a signal
            continue
        n, frames = int(count), stack.split(";")
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{total} samples of the server thread\n\nown time (top of stack):")
    for frame, n in own.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {_short(frame)}")
    print("\ninclusive time (request handling only):")
    for frame, n in inclusive.most_common(top * 3):
        if any(k in frame for k in ("conformance/", "starlette", "json", "httptools", "selector")):
            print(f"  {100 * n / total:5.1f}%  {_short(frame)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=57)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--query", default="limit=10")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("/tmp/reference-profile"))
    args = parser.parse_args()
    for tool in ("wrk", "py-spy"):
        if shutil.which(tool) is None:
            print(f"{tool} not found (wrk: apt-get install -y wrk; py-spy: pip install py-spy)",
                  file=sys.stderr)
            return 2
    prebuild(args.sessions)
    collapsed = args.out.with_suffix(".txt")
    with running("reference", args.sessions) as server:
        url = f"{server.base_url}{LIST_PATH}?{args.query}"
        load = subprocess.Popen(["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration + 2}s",
                                 "-H", AUTH_HEADER, url], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        print(f"load avg {uptime()}; sampling pid {server.pid} for {args.duration} s")
        subprocess.run(["py-spy", "record", "--pid", str(server.pid), "-d", str(args.duration),
                        "-r", str(args.rate), "-f", "raw", "-o", str(collapsed)],
                       check=True, capture_output=True, timeout=args.duration + 60)
        out, _ = load.communicate(timeout=args.duration + 60)
    rps = re.search(r"Requests/sec:\s+(\S+)", out)
    print(f"wrk under the profiler: {rps.group(1) if rps else '?'} req/s; stacks in {collapsed}\n")
    summarize(collapsed, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
