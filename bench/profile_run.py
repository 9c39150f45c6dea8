"""Where a conformance run spends its time (pyinstrument, not run in CI).

    python bench/profile_run.py [--sessions 57] [--profile standard] [--out /tmp/run-profile]

Starts the reference in this process (as `checkout-conformance run` does), makes one
warm-up run (imports, loading the OpenAPI document into Schemathesis), then profiles
one more run of the CLI with pyinstrument (pip install pyinstrument): the main thread
only, so the server's own work shows up as time the client waits on its socket.
Writes OUT.txt (call tree) and OUT.html.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

from conformance.cli import main as cli_main
from conformance.reference.server import ReferenceConfig, start_background


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=57)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--out", type=Path, default=Path("/tmp/run-profile"))
    args = parser.parse_args()
    from pyinstrument import Profiler

    work = Path(tempfile.mkdtemp(prefix="profile-run-"))
    config = ReferenceConfig(sessions=args.sessions, seed=0, db=str(work / "db.sqlite3"))
    with start_background(config) as server:
        argv = ["run", "--base-url", server.base_url, "--api-key", server.api_key, "--quiet",
                "--profile", args.profile, "--api-version", config.api_versions[0],
                "--report-dir", str(work / "reports")]
        with contextlib.redirect_stdout(io.StringIO()):
            cli_main(argv)
            profiler = Profiler(interval=0.001)
            profiler.start()
            t0 = time.perf_counter()
            cli_main(argv)
            wall = time.perf_counter() - t0
            profiler.stop()
    args.out.with_suffix(".txt").write_text(profiler.output_text(unicode=False, color=False))
    args.out.with_suffix(".html").write_text(profiler.output_html())
    print(f"profiled run: {wall:.2f} s (with profiler overhead); call tree in {args.out.with_suffix('.txt')}")
    print(profiler.output_text(unicode=False, color=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
