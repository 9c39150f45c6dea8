"""What judging costs per MiB of page read, worst case (a wide page) and usual (not run in CI).

    python bench/judging_cost.py            # wide pages, then the reference's own pages
    python bench/judging_cost.py --pages 8  # how many wide pages the transcript holds
    python bench/judging_cost.py --items 100000  # sessions on each wide page (default 270,000)

Wide: a target answering every request with a page of 270,000 tiny sessions (``{"id":"<hex>"}``,
3.8 MiB, just under the 4 MiB body cap; tests/robustness/hostile.py `wide_page`). A quick run
with `--max-requests` records a transcript; that transcript is then judged in this process with
no deadline and no memory budget (conformance.judge.pipeline.judge, the whole of judging), timed, its peak RSS
polled every 20 ms. Usual: the same for a standard run against the embedded reference.
Prints seconds and peak RSS per MiB of 200 bodies judged. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from conformance.catalog import default_catalog  # noqa: E402
from conformance.checks.base import Record, RunContext  # noqa: E402
from conformance.exchange import Exchange  # noqa: E402
from conformance.judge.bounded import resident_bytes  # noqa: E402
from conformance.judge.pipeline import judge  # noqa: E402
from conformance.profiles import PROFILES  # noqa: E402
from conformance.spec import default_spec  # noqa: E402
from tests.robustness import hostile  # noqa: E402

KEY = "sk_test_BENCH_JUDGING_0123456789"


def transcript(args: list[str], report_dir: Path) -> list[Exchange]:
    subprocess.run([sys.executable, "-m", "conformance", "run", "--api-key", KEY, "--quiet",
                    "--report-dir", str(report_dir), *args], cwd=REPO, check=False,
                   stdout=subprocess.DEVNULL)
    with (report_dir / "exchanges.jsonl").open(encoding="utf-8") as handle:
        return [Exchange.from_dict(json.loads(line)) for line in handle if line.strip()]


def judged(exchanges: list[Exchange], profile: str) -> dict[str, float]:
    peak = [resident_bytes()]
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], resident_bytes())

    threading.Thread(target=poll, daemon=True).start()
    mib = sum(len(e.body.encode()) for e in exchanges if e.status == 200) / 2**20
    context = RunContext(PROFILES[profile], None, True, 0, None)
    started = time.monotonic()
    judge(Record(exchanges), context, default_spec(), default_catalog())
    seconds = time.monotonic() - started
    done.set()
    return {"mib_judged": round(mib, 1), "seconds": round(seconds, 1),
            "seconds_per_mib": round(seconds / mib, 2) if mib else 0.0,
            "peak_rss_mb": round(peak[0] / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=16, help="wide pages in the transcript (default 16)")
    parser.add_argument("--items", type=int, default=270_000, help="sessions on a wide page (default 270,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with hostile.serving(hostile.wide_page(args.items), "wide") as server:
            wide = transcript(["--base-url", server.base_url, "--profile", "quick", "--concurrency", "1",
                               "--max-requests", str(args.pages + 1), "--deadline", "3600"], Path(tmp) / "wide")
        print("wide pages:", json.dumps(judged(wide, "quick")))
        usual = transcript(["--profile", "standard"], Path(tmp) / "usual")
        print("reference pages:", json.dumps(judged(usual, "standard")))


if __name__ == "__main__":
    main()
