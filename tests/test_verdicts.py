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
    outcomes = [held("R", "a", "seen", [1]), inconclusive("R", "b", "lost"), violated("R", "c", Evidence("broken"))]
    verdict = fold("R", "MUST", outcomes)
    assert verdict.verdict == Verdict.FAIL
    assert [e.message for e in verdict.evidence] == ["broken"]


def test_a_broken_should_is_a_warning() -> None:
    assert fold("R", "SHOULD", [violated("R", "c", Evidence("x"))]).verdict == Verdict.WARN


def test_a_suite_bug_is_an_error_not_a_failure() -> None:
    outcomes = [Outcome("R", Finding.ERROR, "c", "crash"), held("R", "a", "seen", [1])]
    assert fold("R", "MUST", outcomes).verdict == Verdict.ERROR


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


def test_a_pass_names_the_exchanges_it_rests_on() -> None:
    verdict = fold("R", "MUST", [held("R", "a", "3 pages", [4, 2]), held("R", "b", "1 page", [2, 9])])
    assert (verdict.verdict, verdict.exchanges) == (Verdict.PASS, [2, 4, 9])


def test_a_held_outcome_without_exchanges_cannot_pass() -> None:
    verdict = fold("R", "MUST", [held("R", "a", "nothing refused", [])])
    assert verdict.verdict == Verdict.SKIP
    assert verdict.exchanges == []
    assert verdict.reason == "a found nothing to judge it on (nothing refused)"


def test_an_unevidenced_hold_does_not_hide_an_evidenced_one() -> None:
    verdict = fold("R", "MUST", [held("R", "a", "empty", []), held("R", "b", "2 pages", [7])])
    assert (verdict.verdict, verdict.exchanges, verdict.reason) == (Verdict.PASS, [7], "2 pages")


def test_a_failure_names_its_evidence_exchanges() -> None:
    verdict = fold("R", "MUST", [violated("R", "c", Evidence("broken", exchanges=[5, 3]))])
    assert verdict.exchanges == [3, 5]
