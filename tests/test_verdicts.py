"""How outcomes fold into requirement verdicts, and verdicts into the run's verdict."""

from __future__ import annotations

import pytest

from conformance.verdicts import (
    Evidence,
    Finding,
    Outcome,
    RequirementVerdict,
    Verdict,
    fold,
    held,
    inconclusive,
    overall,
    skipped,
    violated,
)


def _v(verdict: Verdict, level: str = "MUST") -> RequirementVerdict:
    return RequirementVerdict("X-001", level, verdict, "", [], [])


def test_a_violation_outweighs_everything_and_keeps_its_evidence() -> None:
    outcomes = [held("R", "a"), inconclusive("R", "b", "lost"), violated("R", "c", Evidence("broken"))]
    verdict = fold("R", "MUST", outcomes)
    assert verdict.verdict == Verdict.FAIL
    assert [e.message for e in verdict.evidence] == ["broken"]


def test_a_broken_should_is_a_warning() -> None:
    assert fold("R", "SHOULD", [violated("R", "c", Evidence("x"))]).verdict == Verdict.WARN


def test_a_suite_bug_is_an_error_not_a_failure() -> None:
    assert fold("R", "MUST", [Outcome("R", Finding.ERROR, "c", "crash"), held("R", "a")]).verdict == Verdict.ERROR


def test_nothing_judged_is_a_skip_with_its_reason() -> None:
    verdict = fold("R", "MUST", [skipped("R", "a", "only one session")])
    assert (verdict.verdict, verdict.reason) == (Verdict.SKIP, "only one session")


@pytest.mark.parametrize(
    ("verdicts", "strict", "expected"),
    [
        pytest.param([Verdict.PASS, Verdict.SKIP], False, "conformant", id="pass"),
        pytest.param([Verdict.PASS, Verdict.FAIL], False, "nonconformant", id="fail"),
        pytest.param([Verdict.PASS, Verdict.WARN], False, "conformant", id="warn-lenient"),
        pytest.param([Verdict.PASS, Verdict.WARN], True, "nonconformant", id="warn-strict"),
        pytest.param([Verdict.INCONCLUSIVE, Verdict.SKIP], False, "inconclusive", id="nothing-judged"),
        pytest.param([Verdict.PASS, Verdict.INCONCLUSIVE], False, "inconclusive", id="a-must-unanswered"),
        pytest.param([Verdict.PASS, Verdict.ERROR], False, "error", id="suite-bug"),
    ],
)
def test_overall(verdicts: list[Verdict], strict: bool, expected: str) -> None:
    assert overall([_v(v) for v in verdicts], strict) == expected


def test_an_unanswered_should_does_not_block_conformance() -> None:
    assert overall([_v(Verdict.PASS), _v(Verdict.INCONCLUSIVE, "SHOULD")], False) == "conformant"
