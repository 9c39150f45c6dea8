"""Judging bounded by a deadline and a memory budget (conformance.judge.bounded; issue 22)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import default_catalog
from conformance.checks.registry import checks_for
from conformance.cli import main
from conformance.errors import VerificationFailed
from conformance.judge.bounded import JUDGING_GROWTH_BYTES, Bounded
from conformance.judge.pipeline import Judged
from conformance.verdicts import Finding, Outcome, Verdict


def _spin() -> int:
    n = 0
    while True:  # pure Python that never ends: only the cut stops it
        n += 1


def test_work_past_the_deadline_is_cut_where_it_is() -> None:
    started = time.monotonic()
    bounded = Bounded(_spin, until=started + 0.2, memory_bytes=None).run()
    assert bounded.cut is not None and "deadline" in bounded.cut
    # Said of the run (report.json's `stopped`) and of a rule not judged (its verdict), from one value.
    assert bounded.why == "the run's deadline came"
    assert bounded.cut == "the run's deadline came before this rule was judged"
    assert bounded.value is None
    assert time.monotonic() - started < 2


def _grow() -> None:
    held = []
    while True:  # memory that only the cut stops (at most the growth allowance and a poll's worth)
        held.append(bytearray(1 << 20))
        if len(held) > 4 * (JUDGING_GROWTH_BYTES >> 20):
            raise AssertionError("judging grew far past its allowance and was not cut")


def test_work_past_the_memory_budget_is_cut() -> None:
    bounded = Bounded(_grow, until=None, memory_bytes=1).run()
    assert bounded.cut is not None and "memory budget" in bounded.cut


def test_memory_the_process_held_before_judging_is_not_judgings() -> None:
    """The suite inside a bigger process (the pytest plugin, a test worker): an absolute budget
    below what the process already holds does not cut judging that adds little."""
    held = bytearray(64 << 20)  # the host process's own memory, held before judging begins
    assert Bounded(lambda: sum(range(10**6)), until=None, memory_bytes=1).run().value == sum(range(10**6))
    del held


def test_work_within_its_bounds_gives_its_value_and_its_errors() -> None:
    assert Bounded(lambda: 42, until=time.monotonic() + 30).run().value == 42

    def crash() -> None:
        raise ValueError("a suite bug")

    with pytest.raises(ValueError, match="a suite bug"):
        Bounded(crash, until=None).run()


class _Held:
    """A value whose destructor does Python work: a cut raised while it runs lands inside it."""

    def __del__(self) -> None:
        n = 0
        while n < 300:
            n += 1


def _churn() -> int:
    """Objects held in a WeakValueDictionary, made and dropped, so that most of the time goes
    to destructors and the dictionary's weakref callback; it ends by itself after 1.5 s (a cut
    swallowed, judging would run to that end and give its value)."""
    table: weakref.WeakValueDictionary[int, _Held] = weakref.WeakValueDictionary()
    made, end = 0, time.monotonic() + 1.5
    while time.monotonic() < end:
        held = _Held()
        table[made] = held
        del held
        made += 1
    return made


def test_a_cut_that_lands_in_a_destructor_is_not_printed_and_still_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python swallows an exception raised inside a destructor or weakref callback and prints
    "Exception ignored in ..." (sys.unraisablehook): the cut must neither be printed nor lost.
    20 cuts: most land in a destructor first (7 in 10 measured before the fix)."""
    seen: list[type[BaseException]] = []
    recorder = lambda unraisable: seen.append(unraisable.exc_type)  # noqa: E731 - the hook as a value
    monkeypatch.setattr(sys, "unraisablehook", recorder)
    for _ in range(20):
        started = time.monotonic()
        bounded = Bounded(_churn, until=started + 0.005, memory_bytes=None).run()
        assert bounded.why == "the run's deadline came"
        assert bounded.value is None, "the cut was swallowed and the work ran to its end"
        assert not bounded.abandoned
    assert seen == []
    assert sys.unraisablehook is recorder  # the hook that was there before, restored


def test_other_unraisable_exceptions_during_judging_go_to_the_hook_before(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: seen.append(unraisable.exc_type))

    class Broken:
        def __del__(self) -> None:
            raise ValueError("a destructor's own error")

    def work() -> int:
        Broken()
        return 1

    assert Bounded(work, until=None, memory_bytes=None).run().value == 1
    assert seen == [ValueError]


def test_a_run_cut_in_destructors_prints_nothing_on_the_terminal(tmp_path: Path) -> None:
    """The user's view: stderr of a process whose judging is cut 20 times (the default hook)."""
    script = tmp_path / "cut.py"
    script.write_text(
        "import sys, time\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from test_judging import Bounded, _churn\n"
        "for _ in range(20):\n"
        "    assert Bounded(_churn, until=time.monotonic() + 0.005, memory_bytes=None).run().value is None\n"
        "print('cut 20 times')\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "cut 20 times\n", "")


def test_a_thread_that_does_not_stop_is_abandoned_and_keeps_the_hook_until_it_ends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One long C call (a sleep here) cannot be cut: past the grace the caller goes on without the
    thread (`abandoned`: conformance.run.runner then reads copies only); the hook stays until the
    thread ends, then the one before is back."""
    recorder = lambda _unraisable: None  # noqa: E731 - the hook as a value
    monkeypatch.setattr(sys, "unraisablehook", recorder)
    bounded = Bounded(lambda: time.sleep(0.6), until=time.monotonic() + 0.01, memory_bytes=None, grace=0.05).run()
    assert bounded.why is not None and bounded.abandoned
    assert sys.unraisablehook is not recorder
    end = time.monotonic() + 5
    while sys.unraisablehook is not recorder and time.monotonic() < end:
        time.sleep(0.01)
    assert sys.unraisablehook is recorder


def test_the_rules_of_checks_not_judged_are_inconclusive_with_the_reason() -> None:
    checks = checks_for(())
    judged, rest = checks[0], checks[1:]
    so_far = Judged()
    so_far.add(judged, [Outcome(r, Finding.HELD, judged.name, "held", exchanges=[0]) for r in judged.verifies], None)
    verdicts = {v.requirement: v for v in so_far.verdicts(default_catalog(), (), {}, [], cut="the deadline came")}
    for requirement in judged.verifies:
        assert verdicts[requirement].verdict == Verdict.PASS
    for check in rest:
        for requirement in check.verifies:
            if requirement not in judged.verifies:
                assert verdicts[requirement].verdict == Verdict.INCONCLUSIVE, requirement
                assert "the deadline came" in verdicts[requirement].reason


def _cut_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int, *argv: str,
             where: list[tuple[str, str]] | None = None, in_c_call: bool = False) -> tuple[Path, list[str]]:
    """A quick run of the embedded reference whose judging the memory budget cuts while the check
    after the first `after` (in judging order) is judged: that check stalls until the watcher,
    told the budget is past, stops it (the cut a wide page brings, made deterministic). Returns the
    report directory and the names of the checks judged; `where`, if given, gets each judged
    check's (operation, name). `argv`: more `run` arguments (`--spec`, `--operation`). `in_c_call`: the
    stalled check sits in one C call longer than the grace the cut is given, so the run is abandoned."""
    from conformance.judge import bounded, pipeline

    stall = threading.Event()
    judged: list[str] = []
    judge_one = pipeline._judge_one

    def stalling(check: Any, *args: Any) -> Any:
        if len(judged) == after:
            stall.set()
            if in_c_call:  # one C call the cut cannot interrupt, longer than the grace
                time.sleep(1.0)
            while True:  # only the cut ends it
                time.sleep(0.001)
        judged.append(check.name)
        if where is not None:
            where.append((args[2].operation_key, check.name))
        return judge_one(check, *args)

    real_exceeded = bounded.Bounded._exceeded

    def exceeded(self: Any) -> str | None:
        if stall.is_set():
            return "judging reached the suite's memory budget (370 MB)"  # what _exceeded says: the why
        return real_exceeded(self)

    monkeypatch.setattr(pipeline, "_judge_one", stalling)
    monkeypatch.setattr(bounded.Bounded, "_exceeded", exceeded)
    if in_c_call:
        monkeypatch.setattr(bounded, "GRACE_SECONDS", 0.05)
    report_dir = tmp_path / "reports"
    assert main(["run", "--quiet", "--profile", "quick", "--report-dir", str(report_dir), *argv]) == 3
    monkeypatch.undo()
    return report_dir, judged


def test_a_cut_run_verifies_as_it_was_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.judge import pipeline

    report_dir, judged = _cut_run(tmp_path, monkeypatch, after=14)
    report = json.loads((report_dir / "report.json").read_text())
    assert report["stopped"].endswith("judging reached the suite's memory budget (370 MB): judging was cut short")
    cut = {r["id"] for r in report["requirements"] if r["reason"].endswith("before this rule was judged")}
    assert cut and all(r["verdict"] == "inconclusive" for r in report["requirements"] if r["id"] in cut)
    assert "pass" in {r["verdict"] for r in report["requirements"]}  # what was judged stands
    # Unbounded, the rules it cut would be judged (and pass): verify judges them as the run did,
    # and judges no check the run did not judge.
    rejudged: list[str] = []
    judge_one = pipeline._judge_one

    def counting(check: Any, *args: Any) -> Any:
        rejudged.append(check.name)
        return judge_one(check, *args)

    monkeypatch.setattr(pipeline, "_judge_one", counting)
    assert main(["verify", str(report_dir)]) == 0
    assert rejudged == judged


def _rejudging(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each check verify judges from now on, as (operation, name)."""
    from conformance.judge import pipeline

    rejudged: list[tuple[str, str]] = []
    judge_one = pipeline._judge_one

    def counting(check: Any, *args: Any) -> Any:
        rejudged.append((args[2].operation_key, check.name))
        return judge_one(check, *args)

    monkeypatch.setattr(pipeline, "_judge_one", counting)
    return rejudged


CUT_REASON = "before this rule was judged"


def test_a_cut_family_run_verifies_each_operation_as_it_was_cut(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The run judges its operations one after the other: a cut in the second leaves the first
    judged whole, the second up to the cut, the third not at all; verify judges each the same way
    (and no check the run did not judge), not the whole run afresh."""
    from conformance.judge.pipeline import judging_order
    from conformance.resources import family_path

    first = len(judging_order(checks_for(())))  # checkout sessions: every check applies there
    where: list[tuple[str, str]] = []
    report_dir, _ = _cut_run(tmp_path, monkeypatch, first + 5, "--spec", str(family_path()), where=where)
    report = json.loads((report_dir / "report.json").read_text())
    cut = {(r["operation"], r["id"]) for r in report["requirements"] if r["reason"].endswith(CUT_REASON)}
    assert not {op for op, _ in cut} & {"GET /v1/checkout/sessions"}
    customers = [r for r in report["requirements"] if r["operation"] == "GET /v1/customers"]
    assert any(r["reason"].endswith(CUT_REASON) for r in customers) and any(r["verdict"] == "pass" for r in customers)
    assert {r["verdict"] for r in report["requirements"] if r["operation"] == "GET /v1/invoices"} == {"inconclusive"}
    assert [op for op, _ in where][first:] == ["GET /v1/customers"] * 5
    rejudged = _rejudging(monkeypatch)
    assert main(["verify", str(report_dir), "--spec", str(family_path())]) == 0
    assert rejudged == where


def test_a_cut_run_of_another_operation_verifies_as_it_was_cut(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.resources import family_path

    where: list[tuple[str, str]] = []
    report_dir, _ = _cut_run(tmp_path, monkeypatch, 14, "--spec", str(family_path()), "--operation",
                             "GET /v1/invoices", where=where)
    report = json.loads((report_dir / "report.json").read_text())
    assert any(r["reason"].endswith(CUT_REASON) for r in report["requirements"])
    rejudged = _rejudging(monkeypatch)
    assert main(["verify", str(report_dir), "--spec", str(family_path())]) == 0
    assert rejudged == where


def test_a_run_whose_judging_does_not_stop_in_time_concludes_from_copies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The judging thread inside one long C call when the cut comes is left behind (Bounded's
    `abandoned`): the run concludes from copies of what was judged and of the exchanges, while
    that thread still runs on the originals, and the report verifies as an ordinary cut run's."""
    from conformance.run import runner

    copies: list[int] = []
    unread_copy = runner._unread_copy

    def counted(exchange: Any) -> Any:
        copies.append(exchange.seq)
        return unread_copy(exchange)

    monkeypatch.setattr(runner, "_unread_copy", counted)
    report_dir, judged = _cut_run(tmp_path, monkeypatch, after=3, in_c_call=True)
    assert len(judged) == 3 and copies  # cut in the fourth check; the reports read copies
    report = json.loads((report_dir / "report.json").read_text())
    assert report["stopped_judging"]
    by_id = {r["id"]: r for r in report["requirements"]}
    for check in checks_for(()):
        if check.name in judged:
            assert {by_id[r]["verdict"] for r in check.verifies} == {"pass"}, check.name
    assert main(["verify", str(report_dir)]) == 0


def test_a_cut_run_whose_report_claims_more_fails_verification(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A cut run's report that says a rule passed where the cut left it unjudged is not what any
    prefix of the judging gives: verify names it (the certificate is rebuilt so only the claim differs)."""
    from conformance.reports.certificate import write_certificate
    from conformance.verify import verify_report_dir

    report_dir, _judged = _cut_run(tmp_path, monkeypatch, after=3)
    path = report_dir / "report.json"
    report = json.loads(path.read_text())
    entry = next(r for r in report["requirements"] if r["reason"].endswith("before this rule was judged"))
    passed = next(r for r in report["requirements"] if r["verdict"] == "pass")
    entry["verdict"], entry["reason"], entry["exchanges"] = "pass", "held", passed["exchanges"]
    report["counts"]["inconclusive"] -= 1
    report["counts"]["pass"] += 1
    path.write_text(json.dumps(report, indent=2) + "\n")
    evidence = [report_dir / n for n in ("report.json", "exchanges.jsonl", "junit.xml", "report.html", "summary.md")]
    write_certificate(report, report_dir, evidence, report_dir / "certificate.json")
    with pytest.raises(VerificationFailed, match=entry["id"]):
        verify_report_dir(report_dir, io.StringIO())


def test_a_cut_leaves_the_rules_that_read_no_session_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks that read no session are judged first (pipeline.ITEM_FREE_CHECKS): a cut right
    after them (what a wide page's cost would bring) leaves auth, version and errors judged."""
    from conformance.judge.pipeline import ITEM_FREE_CHECKS

    report_dir, judged = _cut_run(tmp_path, monkeypatch, after=len(ITEM_FREE_CHECKS))
    assert set(judged) == set(ITEM_FREE_CHECKS)
    report = json.loads((report_dir / "report.json").read_text())
    by_id = {r["id"]: r for r in report["requirements"]}
    for check in checks_for(()):
        for requirement in check.verifies:
            cut = by_id[requirement]["reason"].endswith("before this rule was judged")
            assert cut == (check.name not in ITEM_FREE_CHECKS), (requirement, by_id[requirement]["reason"])
    assert {by_id[r]["verdict"] for r in ("AUTH-001", "AUTH-002", "AUTH-003", "ERR-002", "VER-001")} == {"pass"}
    assert main(["verify", str(report_dir)]) == 0


def test_a_violation_shown_only_by_bodies_the_suite_did_not_keep_blames_no_one() -> None:
    # The judge asks the exchange whether its body was kept (Exchange.body_not_kept), as the
    # client wrote it; a body that is not JSON for another reason is the target's own.
    from conformance.checks.base import Record
    from conformance.exchange import BODY_NOT_KEPT, Exchange
    from conformance.judge.pipeline import _unkept_bodies_blame_no_one
    from conformance.verdicts import Evidence, Finding, violated

    def page(seq: int, body_error: str | None) -> Exchange:
        return Exchange(seq=seq, tag="walk:100", path="/v1/checkout/sessions", query=[], status=200,
                        body="", body_truncated=body_error is not None, body_error=body_error)

    record = Record([page(0, f"{BODY_NOT_KEPT} masking the key took over 5 s"), page(1, "not UTF-8 at byte 3")])
    assert [e.body_not_kept for e in record] == [True, False]
    outcomes = [violated("ENV-001", "envelope", Evidence("bad", exchanges=[0])),
                violated("ENV-002", "envelope", Evidence("bad", exchanges=[1]))]
    judged = _unkept_bodies_blame_no_one(outcomes, record)
    assert [o.finding for o in judged] == [Finding.INCONCLUSIVE, Finding.VIOLATED]
    assert judged[0].reason == ("its evidence is bodies the suite did not keep "
                                f"({BODY_NOT_KEPT} masking the key took over 5 s)")
