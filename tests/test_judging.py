"""Judging bounded by a deadline and a memory budget (conformance.judge.bounded; issue 22)."""

from __future__ import annotations

import time

import pytest

from conformance.catalog import default_catalog
from conformance.checks.registry import checks_for
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
