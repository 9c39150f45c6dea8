"""Outcomes of judgements, and how they fold into per-requirement verdicts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from conformance.operations import CHECKOUT_SESSIONS


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"  # a MUST was broken
    WARN = "warn"  # a SHOULD was broken
    SKIP = "skip"  # not applicable, or too little data to judge
    INCONCLUSIVE = "inconclusive"  # the target could not answer
    ERROR = "error"  # a bug in the suite; never blamed on the target
    WAIVED = "waived"  # a fail or warn the user waived (conformance.judge.waivers); never fails the run


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
    # A skip because the target holds too few sessions, as opposed to "does not apply".
    lacks_data: bool = False
    # Sequence numbers of the exchanges the finding rests on. A HELD outcome without any
    # is no evidence of anything: `fold` turns it into a skip (no pass without evidence).
    exchanges: list[int] = field(default_factory=list)


def held(requirement: str, check: str, reason: str, exchanges: Iterable[int]) -> Outcome:
    """The requirement held on the exchanges named by their sequence numbers.

    `reason` says what was seen ("12 pages checked"); `exchanges` must name what shows it:
    with none, ``fold`` reports the requirement skipped, never passed.
    """
    return Outcome(requirement, Finding.HELD, check, reason, exchanges=sorted(set(exchanges)))


def seqs(exchanges: Iterable[Any]) -> list[int]:
    """The sequence numbers of recorded exchanges (anything with a ``seq``), for ``held``."""
    return [e.seq for e in exchanges]


def violated(requirement: str, check: str, *evidence: Evidence) -> Outcome:
    return Outcome(requirement, Finding.VIOLATED, check, evidence[0].message, list(evidence),
                   exchanges=sorted({s for e in evidence for s in e.exchanges}))


def skipped(requirement: str, check: str, reason: str) -> Outcome:
    return Outcome(requirement, Finding.SKIPPED, check, reason)


def too_little_data(requirement: str, check: str, reason: str) -> Outcome:
    return Outcome(requirement, Finding.SKIPPED, check, reason, lacks_data=True)


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
    lacks_data: bool = False
    # What the verdict rests on (report.json `exchanges`): every pass names at least one.
    exchanges: list[int] = field(default_factory=list)
    # Set by conformance.judge.waivers only: {reason, expires, verdict (the one it replaced)}.
    waiver: dict[str, str] | None = None
    # The list operation judged, as ``"GET /path"`` (conformance.operations.ListOperation.key).
    operation: str = CHECKOUT_SESSIONS


def by_operation(verdicts: Iterable[RequirementVerdict]) -> dict[str, list[RequirementVerdict]]:
    """``verdicts`` grouped by their ``operation`` (``"GET /path"``), each group in the given order,
    the groups in the order their operation first appears."""
    groups: dict[str, list[RequirementVerdict]] = {}
    for verdict in verdicts:
        groups.setdefault(verdict.operation, []).append(verdict)
    return groups


# At most this many sequence numbers per verdict: enough to find the evidence, while a
# pass that read 2,000 pages does not carry 2,000 numbers into every report.
MAX_EXCHANGES = 50

# Evidence of a broken rule outweighs everything; a suite bug outweighs "could not tell".
_PRECEDENCE = (Finding.VIOLATED, Finding.ERROR, Finding.INCONCLUSIVE, Finding.HELD, Finding.SKIPPED)


def fold(requirement: str, level: str, outcomes: Iterable[Outcome]) -> RequirementVerdict:
    """Combine every check's outcome for one requirement into its verdict.

    No pass without evidence: a HELD outcome that names no exchange is demoted to a skip
    ("nothing shows it"), so a requirement passes only if some judgement names the
    exchanges it held on. The verdict's ``exchanges`` are those of the chosen outcomes.
    """
    outcomes = [_unevidenced(o) for o in outcomes]
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
    lacks_data = worst == Finding.SKIPPED and all(o.lacks_data for o in chosen)
    exchanges = sorted({s for o in chosen for s in o.exchanges})[:MAX_EXCHANGES]
    return RequirementVerdict(requirement, level, verdict, reason, checks, evidence, lacks_data, exchanges)


def _unevidenced(outcome: Outcome) -> Outcome:
    """A HELD outcome that names no exchange becomes SKIPPED: nothing shows that it held."""
    if outcome.finding != Finding.HELD or outcome.exchanges:
        return outcome
    what = f" ({outcome.reason})" if outcome.reason else ""
    return Outcome(outcome.requirement, Finding.SKIPPED, outcome.check,
                   f"{outcome.check} found nothing to judge it on{what}")


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
    if not kinds & {Verdict.PASS, Verdict.WARN, Verdict.WAIVED}:
        return "inconclusive"
    if any(v.verdict == Verdict.INCONCLUSIVE and v.level == "MUST" for v in verdicts):
        return "inconclusive"
    if any(v.requirement == DATA_GATE and v.lacks_data for v in verdicts):
        return "inconclusive"
    return "conformant"


# A target that lists fewer than two sessions cannot show a walk across pages, the heart of
# a list API: whatever else passed, such a run certifies nothing (exit 3, with the reason).
DATA_GATE = "PAG-001"
# How conformance.judge.spent_budget begins the reason it gives (it imports this name).
BUDGET_REASON_PREFIX = "not judged: the request budget"


def verdict_reason(verdicts: Iterable[RequirementVerdict], verdict: str) -> str:
    """One sentence a person can act on, for runs that are not simply conformant."""
    verdicts = list(verdicts)
    if verdict == "inconclusive":
        gate = next((v for v in verdicts if v.requirement == DATA_GATE and v.lacks_data), None)
        if gate is not None:
            return (f"Too little data to judge: {gate.reason}. Seed the target with at least 20 sessions "
                    "across all three statuses, some created in the same second.")
        lost = next((v for v in verdicts if v.verdict == Verdict.INCONCLUSIVE and v.level == "MUST"), None)
        if lost is not None and lost.reason.startswith(BUDGET_REASON_PREFIX):
            unjudged = sum(v.verdict == Verdict.INCONCLUSIVE for v in verdicts)
            budget = lost.reason.removeprefix("not judged: ")
            return (f"{unjudged} requirement{'' if unjudged == 1 else 's'} could not be judged: {budget}; "
                    "raise --max-requests, or judge fewer areas with --only.")
        if lost is not None:
            return f"{lost.requirement} could not be judged: {lost.reason}."
        return "Nothing could be judged."
    if verdict == "error":
        failed = next(v for v in verdicts if v.verdict == Verdict.ERROR)
        return f"A bug in the suite (not the target) stopped {failed.requirement}: {failed.reason}."
    return ""
