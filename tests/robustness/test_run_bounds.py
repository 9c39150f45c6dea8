"""A run is bounded in time (a deadline, connect and TLS included) and in memory and disk
(an evidence budget), whatever the target does."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reference.server import RunningServer
from conformance.run.lanes import DEFAULT_CONCURRENCY

from . import hostile
from .conftest import run_cli
from .test_hostile_targets import assert_hygiene, assert_one_sentence, assert_reports_say_why


def slow(base_url: str, seconds: float) -> hostile.Behaviour:
    """The reference's answers, each after `seconds` (just under the per-request timeout)."""
    forward = hostile.forward_to(base_url)

    def behaviour(conn: hostile.Connection) -> None:
        if not conn.stop.wait(seconds):
            forward(conn)

    return behaviour


def test_the_deadline_stops_the_run_and_the_rest_is_inconclusive(tmp_path: Path, reference: RunningServer) -> None:
    # Each answer well inside --timeout (even on a loaded machine), so only the deadline stops the run.
    with hostile.serving(slow(reference.base_url, 0.5), "slow") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "5", "--deadline", "4", timeout=60)
    assert_hygiene(run, server)
    assert run.returncode == 3, run.describe()
    # The deadline covers the whole run: 2.8 s of asking, then judging and writing (the interpreter's
    # start comes before it, and the run ends within it).
    assert run.seconds < 4 + 3, run.describe()
    report = run.report
    assert report is not None
    assert report["gate_verdict"] == "inconclusive"
    assert "deadline (4 s)" in report["verdict_reason"], report["verdict_reason"]
    assert "fail" not in set(run.verdicts().values()), run.verdicts()
    assert report["stopped"] == ("the run's deadline (4 s) was near: the suite stopped asking at 2.8 s "
                                 "and kept the rest for judging and writing the reports")
    assert main(["verify", str(run.report_dir)]) == 0  # verify re-judges a stopped run the same way
    # Nothing is sent after the deadline (it counts from before the first request).
    arrivals = [r.at for r in server.received]
    assert len(arrivals) >= 3 and max(arrivals) - min(arrivals) <= 3.3, [round(a - arrivals[0], 2) for a in arrivals]


def test_a_deadline_that_cuts_the_first_answer_is_named_not_blamed_on_the_target(
    tmp_path: Path, reference: RunningServer
) -> None:
    # The target answers (after 1 s): only --deadline 0.3 stops the run, and the report says so.
    with hostile.serving(slow(reference.base_url, 1.0), "slow") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "5", "--deadline", "0.3", timeout=60)
    assert run.returncode == 3, run.describe()
    report = run.report
    assert report is not None
    assert report["stopped"].startswith("the run's deadline (0.3 s) was near"), report["stopped"]
    assert "Cannot reach" not in report["aborted"] and "--deadline" in report["aborted"], report["aborted"]


@contextlib.contextmanager
def trickling_tls_handshake(interval: float = 0.3) -> Iterator[tuple[int, list[int]]]:
    """A port that answers a TLS ClientHello with the header of a 16 KiB handshake record,
    then its bytes one every `interval` seconds: every read gets a byte before its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    accepted: list[int] = []

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)
            conn.sendall(b"\x16\x03\x03\x40\x00")
            while not stop.wait(interval):
                conn.sendall(b"\x00")

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_trickled_tls_handshake_is_cut(tmp_path: Path) -> None:
    with trickling_tls_handshake() as (port, accepted):
        run = run_cli(tmp_path, f"https://127.0.0.1:{port}", "--timeout", "1", timeout=30)
    assert_hygiene(run)
    assert run.returncode == 3, run.describe()
    assert run.seconds < 10, run.describe()
    # The handshake is under the per-request timeout and the watchdog, both 1 s: whichever
    # of the two cuts it first names the same second.
    assert "response within 1 s" in assert_one_sentence(run)
    assert_reports_say_why(run, "Cannot reach")
    assert len(accepted) == 1


def padded(base_url: str, size: int) -> hostile.Behaviour:
    """The reference's answers, each 200 list padded with an extra envelope key to `size` bytes."""
    filler = b"x" * size

    def behaviour(conn: hostile.Connection) -> None:
        up = hostile.fetch_upstream(base_url, conn.request)
        body = up.body
        if up.status == 200 and body.endswith(b"}"):
            pad = size - len(body) - len(b',"padding":""')
            body = body[:-1] + b',"padding":"' + filler[:max(0, pad)] + b'"}'
        conn.respond(up.status, body, up.headers, up.reason)

    return behaviour


def test_4_mib_bodies_keep_memory_and_reports_bounded(tmp_path: Path, reference: RunningServer) -> None:
    """Each body just under the 4 MiB cap: all kept, 86 of them took 1.5 GB of memory and
    344 MiB of exchanges.jsonl. The evidence budget (64 MiB) stops the run instead: what
    was answered is judged whole, the rest is inconclusive, and report.json says why."""
    with hostile.serving(padded(reference.base_url, 4_000_000), "padded") as server:
        run = run_cli(tmp_path, server.base_url, timeout=180)
    assert_hygiene(run, server)
    exchanges = (run.report_dir / "exchanges.jsonl").stat().st_size
    assert run.max_rss_mb < 400, run.describe()
    # The budget is checked before each request: each lane may have one body in flight past it.
    assert exchanges < 64 * 2**20 + DEFAULT_CONCURRENCY * 4_100_000, exchanges
    assert run.returncode == 3, run.describe()
    report = run.report
    assert report is not None
    assert "evidence budget (64 MiB of bodies) is used up" in report["verdict_reason"], report["verdict_reason"]
    # What was answered was read whole: the padded envelope is still a list, no rule fails on it.
    assert run.verdicts()["ENV-002"] == "pass", run.verdicts()
    assert "fail" not in set(run.verdicts().values()), run.verdicts()
    print(f"peak RSS {run.max_rss_mb:.0f} MB, exchanges.jsonl {exchanges / 2**20:.1f} MiB, "
          f"{len(server.received)} requests, {run.seconds:.1f} s")


@pytest.mark.parametrize("items", [100_000, 270_000])
def test_a_wide_page_is_judged_within_the_deadline_and_the_memory_bound(tmp_path: Path, items: int) -> None:
    # Tiny sessions on every page, up to just under the 4 MiB body cap: cheap to send, and it was
    # minutes and gigabytes to judge, then every rule inconclusive at the memory budget. Each page
    # is now judged on its first sessions (conformance.exchange.ITEMS_JUDGED), so judging costs the
    # parse of the bytes read: every rule is judged, and the deadline and memory bounds hold.
    with hostile.serving(hostile.wide_page(items), "wide") as server:
        run = run_cli(tmp_path, server.base_url, "--deadline", "120", timeout=400)
    assert_hygiene(run, server)
    assert run.returncode == 1, run.describe()
    # The deadline counts from the first request, after the interpreter started (a second or two).
    assert run.seconds <= 125, run.describe()
    assert run.max_rss_mb < 350, run.describe()  # measured 180 MB (100,000) and 245 MB (270,000)
    names = {p.name for p in run.report_dir.iterdir()}
    assert names >= {"report.json", "exchanges.jsonl", "junit.xml", "report.html", "summary.md",
                     "certificate.json"}, names
    report = run.report
    assert report is not None
    assert "judging" not in (report["stopped"] or ""), report["stopped"]
    assert not [r["id"] for r in report["requirements"] if "before this rule was judged" in r["reason"]]
    verdicts = run.verdicts()
    # The target answers 200 with sessions to a request without credentials and to an unknown key.
    assert verdicts["AUTH-001"] == verdicts["AUTH-002"] == "fail", verdicts
    assert verdicts["ERR-002"] == "pass", verdicts
    # Evidence gives the true count, and the cut is named where a verdict rests on a cut page.
    lim = next(r for r in report["requirements"] if r["id"] == "LIM-003")
    assert lim["verdict"] == "fail" and f"held {items}" in lim["evidence"][0]["message"], lim
    assert "judged on the first 1,000 sessions" in lim["reason"] and f"lists {items:,})" in lim["reason"], lim
    assert main(["verify", str(run.report_dir)]) == 0


def escape_bomb(api_key: str, size: int = 3_900_000) -> hostile.Behaviour:
    """A 200 list padded with `size` bytes of `%41&#66;\\u0043` (three spellings of escapes, to
    be undone in every combination) with the key echoed inside and at the end."""
    unit = "%41&#66;\\u0043"
    filler = unit * (size // len(unit) // 2)
    pad = filler + api_key + filler + api_key
    body = hostile.json_body({"object": "list", "url": hostile.LIST_PATH, "has_more": False,
                              "next_cursor": None, "data": [], "pad": pad})

    def behaviour(conn: hostile.Connection) -> None:
        conn.respond(200, body, {"Content-Type": "application/json"})

    return behaviour


def test_an_escape_dense_body_is_masked_off_the_targets_clock(tmp_path: Path) -> None:
    # Masking the key in such a body is the suite's slow work: it used to run inside the timed
    # attempt (four lanes at once), so the target was recorded as not answering in time.
    from .conftest import API_KEY

    with hostile.serving(escape_bomb(API_KEY), "escapes") as server:
        run = run_cli(tmp_path, server.base_url, "--deadline", "90", timeout=300)
    assert_hygiene(run, server)  # the key in no spelling anywhere
    assert run.seconds <= 95, run.describe()
    assert run.max_rss_mb <= 400, run.describe()
    assert run.report is not None
    timed_out = [e["error"] for e in run.exchanges() if "no complete response" in (e["error"] or "")
                 or "no response within" in (e["error"] or "")]
    assert not timed_out, timed_out[:3]
    kept = [e for e in run.exchanges() if e["status"] == 200]
    assert kept and all(e["body"] or (e["body_error"] or "").startswith("not kept:") for e in kept)
    # Whatever was not kept is said to be the suite's bound, with the digest of what came.
    for e in kept:
        if not e["body"]:
            assert "SHA-256" in e["body_error"] and "not the target's fault" in e["body_error"]
