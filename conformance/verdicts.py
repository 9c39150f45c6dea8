"""Outcomes of judgements, and how they fold into per-requirement verdicts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"  # a MUST was broken
    WARN = "warn"  # a SHOULD was broken
    SKIP = "skip"  # not applicable, or too little data to judge
    INCONCLUSIVE = "inconclusive"  # the target could not answer
    ERROR = "error"  # a bug in the suite; never blamed on the target


class Finding(StrEnum):
    """What one judgement says about one requirement, before the level is applied."""

    HELD = "held"
    VIOLATED = "violated"
    SKIPPED = "skipped"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


@dataclass
class Evidence:
    """Why a requirement was violated: expected vs actual, and the exchanges that show it."""

    message: str
    expected: str = ""
    actual: str = ""
    exchanges: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "exchanges": list(self.exchanges),
        }


@dataclass
class Outcome:
    requirement: str
    finding: Finding
    check: str
    reason: str = ""
    evidence: list[Evidence] = field(default_factory=list)


def held(requirement: str, check: str, reason: str = "") -> Outcome:
    return Outcome(requirement, Finding.HELD, check, reason)


def violated(requirement: str, check: str, *evidence: Evidence) -> Outcome:
    return Outcome(requirement, Finding.VIOLATED, check, evidence[0].message, list(evidence))


def skipped(requirement: str, check: str, reason: str) -> Outcome:
    return Outcome(requirement, Finding.SKIPPED, check, reason)


def inconclusive(requirement: str, check: str, reason: str) -> Outcome:
    return Outcome(requirement, Finding.INCONCLUSIVE, check, reason)


@dataclass
class RequirementVerdict:
    requirement: str
    level: str
    verdict: Verdict
    reason: str
    checks: list[str]
    evidence: list[Evidence]


# Evidence of a broken rule outweighs everything; a suite bug outweighs "could not tell".
_PRECEDENCE = (Finding.VIOLATED, Finding.ERROR, Finding.INCONCLUSIVE, Finding.HELD, Finding.SKIPPED)


def fold(requirement: str, level: str, outcomes: Iterable[Outcome]) -> RequirementVerdict:
    """Combine every check's outcome for one requirement into its verdict."""
    outcomes = list(outcomes)
    checks = sorted({o.check for o in outcomes})
    if not outcomes:
        return RequirementVerdict(requirement, level, Verdict.SKIP, "no check ran for it", checks, [])
    worst = min(outcomes, key=lambda o: _PRECEDENCE.index(o.finding)).finding
    chosen = [o for o in outcomes if o.finding == worst]
    evidence = [e for o in chosen for e in o.evidence][:10]
    reason = "; ".join(dict.fromkeys(o.reason for o in chosen if o.reason)) or ""
    verdict = {
        Finding.VIOLATED: Verdict.FAIL if level == "MUST" else Verdict.WARN,
        Finding.ERROR: Verdict.ERROR,
        Finding.INCONCLUSIVE: Verdict.INCONCLUSIVE,
        Finding.HELD: Verdict.PASS,
        Finding.SKIPPED: Verdict.SKIP,
    }[worst]
    return RequirementVerdict(requirement, level, verdict, reason, checks, evidence)


def overall(verdicts: Iterable[RequirementVerdict], strict: bool) -> str:
    """conformant / nonconformant / inconclusive / error, as the exit code reports it.

    Conformant means every MUST was judged (or could not apply, SKIP) and held: a MUST the
    target did not answer for leaves the run inconclusive, never a pass.
    """
    verdicts = list(verdicts)
    kinds = {v.verdict for v in verdicts}
    if Verdict.FAIL in kinds or (strict and Verdict.WARN in kinds):
        return "nonconformant"
    if Verdict.ERROR in kinds:
        return "error"
    if not kinds & {Verdict.PASS, Verdict.WARN}:
        return "inconclusive"
    if any(v.verdict == Verdict.INCONCLUSIVE and v.level == "MUST" for v in verdicts):
        return "inconclusive"
    return "conformant"
