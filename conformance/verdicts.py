"""Outcomes of judgements, and how they fold into per-requirement verdicts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
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


class Unjudged(Enum):
    """Why the suite (not the target) left a requirement inconclusive, set where its reason is
    written: the judge decides on this value, never on the reason's words (issue 23)."""

    REQUEST_BUDGET = "request budget"  # --max-requests was used up (conformance.judge.spent_budget)
    JUDGING_CUT = "judging cut"  # a bound cut judging before its check (conformance.judge.bounded)
    DISTRUSTED = "distrusted"  # the collection changed outside the contract's model, or ids changed
    # A request it rests on was left undone by the run's own bounds (conformance.not_sent: a budget,
    # the deadline, a stop): its reason quotes that request (conformance.checks.common.unanswered).
    LEFT_UNDONE = "left undone"
    # Too little data in a run its own bounds cut: the data may be what it never asked for
    # (conformance.checks.common.lacking); its reason names the cut.
    RUN_CUT = "run cut"


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
    # Why the suite left it inconclusive, when it did (an INCONCLUSIVE finding only).
    unjudged: Unjudged | None = None


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


def inconclusive(requirement: str, check: str, reason: str, unjudged: Unjudged | None = None) -> Outcome:
    """The requirement could not be judged, for `reason`; `unjudged`: the suite's own cause, when it is one."""
    return Outcome(requirement, Finding.INCONCLUSIVE, check, reason, unjudged=unjudged)


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
    # Why the suite left it inconclusive (not written to report.json: the reason says it in words).
    unjudged: Unjudged | None = None


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
    # Any chosen outcome's cause names the verdict's: its reason says that cause among the others.
    unjudged = next((u for u in Unjudged if any(o.unjudged is u for o in chosen)), None)
    return RequirementVerdict(requirement, level, verdict, reason, checks, evidence, lacks_data, exchanges,
                              unjudged=unjudged)


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


def spent_budget_words(limit: int) -> str:
    """How a spent --max-requests budget of `limit` is named, in a verdict's reason (after
    ``not judged: ``, conformance.judge.spent_budget) and in the run's reason."""
    return f"the request budget (--max-requests {limit}) was used up before its requests were sent"


NOT_JUDGED = "not judged: "


def spent_budget_reason(limit: int) -> str:
    """The reason of a requirement the spent --max-requests budget `limit` left unjudged."""
    return NOT_JUDGED + spent_budget_words(limit)


def budget_lost(verdicts: Iterable[RequirementVerdict]) -> RequirementVerdict | None:
    """The first MUST left inconclusive, when the spent request budget is why (its `unjudged`), else None."""
    lost = next((v for v in verdicts if v.verdict == Verdict.INCONCLUSIVE and v.level == "MUST"), None)
    return lost if lost is not None and lost.unjudged is Unjudged.REQUEST_BUDGET else None


def names_spent_budget(verdicts: Iterable[RequirementVerdict], verdict: str) -> bool:
    """Whether :func:`verdict_reason` names the spent request budget for these verdicts."""
    verdicts = list(verdicts)
    return verdict == "inconclusive" and _gate(verdicts) is None and budget_lost(verdicts) is not None


def names_own_cut(verdicts: Iterable[RequirementVerdict], verdict: str) -> bool:
    """Whether :func:`verdict_reason` quotes, for these verdicts, a requirement the run's own bounds
    left unjudged (`unjudged` LEFT_UNDONE or RUN_CUT: its reason names the budget, deadline or stop
    that left its requests undone), so the reason already says why the run stopped early."""
    verdicts = list(verdicts)
    if verdict != "inconclusive" or _gate(verdicts) is not None or budget_lost(verdicts) is not None:
        return False
    lost = next((v for v in verdicts if v.verdict == Verdict.INCONCLUSIVE and v.level == "MUST"), None)
    return lost is not None and lost.unjudged in (Unjudged.LEFT_UNDONE, Unjudged.RUN_CUT)


def _gate(verdicts: list[RequirementVerdict]) -> RequirementVerdict | None:
    """DATA_GATE's verdict when it lacks data (the run then certifies nothing), else None."""
    return next((v for v in verdicts if v.requirement == DATA_GATE and v.lacks_data), None)


def verdict_reason(verdicts: Iterable[RequirementVerdict], verdict: str) -> str:
    """One sentence a person can act on, for runs that are not simply conformant."""
    verdicts = list(verdicts)
    if verdict == "inconclusive":
        if (gate := _gate(verdicts)) is not None:
            return (f"Too little data to judge: {gate.reason}. Seed the target with at least 20 sessions "
                    "across all three statuses, some created in the same second.")
        if (spent := budget_lost(verdicts)) is not None:
            unjudged = sum(v.verdict == Verdict.INCONCLUSIVE for v in verdicts)
            # Its reason is spent_budget_reason's: the words after NOT_JUDGED name the budget.
            budget = spent.reason[len(NOT_JUDGED):]
            return (f"{unjudged} requirement{'' if unjudged == 1 else 's'} could not be judged: {budget}; "
                    "raise --max-requests, or judge fewer areas with --only.")
        lost = next((v for v in verdicts if v.verdict == Verdict.INCONCLUSIVE and v.level == "MUST"), None)
        if lost is not None:
            return f"{lost.requirement} could not be judged: {lost.reason}."
        return "Nothing could be judged."
    if verdict == "error":
        failed = next(v for v in verdicts if v.verdict == Verdict.ERROR)
        return f"A bug in the suite (not the target) stopped {failed.requirement}: {failed.reason}."
    return ""
