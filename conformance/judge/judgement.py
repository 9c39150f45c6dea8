"""A run's conclusion, computed once: waivers applied, the overall verdict, its reason, and its scope.

`run`, `verify` (and through report.json, every report and `diff`) take the verdict from
``conclude`` alone, so the rules for waivers, a run stopped early (--deadline, a budget) and an
aborted run cannot drift apart between the one that judged and the one that re-judges
(issue 23: a --waivers run stopped by --deadline used to fail `verify`).

Two verdicts come out of it:

- the *gate* verdict (``Conclusion.verdict``: conformant, nonconformant, inconclusive, error),
  which `run`'s exit code reports: a gate on ``--only auth`` passes when auth passes;
- the *scoped* verdict (``Scope.verdict``), what a certificate, `verify`, the HTML banner,
  summary.md and the Action's ``verdict`` output say: ``conformant`` only when every MUST of the
  catalog (spec/requirements.yaml; and every SHOULD under --strict) was judged and held,
  ``conformant-with-waivers`` when a waiver turned such a failure, ``partial`` when some were left
  unjudged (--only, too little data, inconclusive, a run cut by --deadline or --max-requests),
  ``partial-with-waivers`` when some were left unjudged and a waiver turned a failure among the
  judged ones (so the verdict word alone never hides an accepted failure), ``nonconformant``,
  ``inconclusive`` (nothing could be judged) and ``error`` (a suite bug).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.catalog import Catalog
from conformance.judge.waivers import Waiver, apply_waivers
from conformance.not_sent import Kind, Stopped
from conformance.verdicts import (
    DATA_GATE,
    RequirementVerdict,
    Verdict,
    names_own_cut,
    names_spent_budget,
    overall,
    verdict_reason,
)
from conformance.wording import capped

SCOPED_VERDICTS = ("conformant", "conformant-with-waivers", "partial", "partial-with-waivers", "nonconformant",
                   "inconclusive", "error")
# The scoped verdicts that rest on accepted failures (waivers).
WITH_WAIVERS = ("conformant-with-waivers", "partial-with-waivers")

# Why a requirement of the catalog was not judged (report.json and certificate.json `scope.not_judged`).
NOT_SELECTED = "not selected"  # --only left it out
TOO_LITTLE_DATA = "too little data"  # the target holds too few sessions to show it
INCONCLUSIVE = "inconclusive"  # the target did not answer for it, or the run was cut (deadline, budget)
SUITE_ERROR = "suite error"  # a bug in the suite
DOES_NOT_APPLY = "does not apply"  # e.g. DATA-001 without --expect-dataset: no gap in the scope


@dataclass(frozen=True)
class Scope:
    """What the run's verdict covers. `counted`: the levels that must all be judged (MUST, and
    SHOULD under --strict); `judged`/`total`: how many of the catalog's requirements of those
    levels were judged (passed, failed, warned or waived), of how many the catalog holds (those
    that do not apply to the run are counted apart, `inapplicable`); `not_judged`: every
    requirement of the catalog not judged, {id, level, why, reason}, in catalog order."""

    verdict: str
    counted: tuple[str, ...]
    judged: int
    total: int
    not_judged: list[dict[str, str]] = field(default_factory=list)
    # Why the run stopped early (--deadline, --max-requests, a judging cut), or None.
    stopped: Stopped | None = None

    @property
    def gaps(self) -> list[dict[str, str]]:
        """The not-judged requirements that narrow the verdict (of a counted level, and applicable)."""
        return [n for n in self.not_judged if n["level"] in self.counted and n["why"] != DOES_NOT_APPLY]

    @property
    def inapplicable(self) -> list[str]:
        """The counted requirements that do not apply to this run (e.g. DATA-001 without --expect-dataset)."""
        return [_named(n) for n in self.not_judged if n["level"] in self.counted and n["why"] == DOES_NOT_APPLY]

    def statement(self) -> str:
        """One sentence: how much of the catalog was judged (of a total fixed by the catalog, so runs
        compare), which counted ones do not apply, which were not judged, and why."""
        levels = " and ".join(self.counted)
        said = f"judged {self.judged} of the catalog's {self.total} {levels} requirements"
        if self.inapplicable:
            n = len(self.inapplicable)
            said += f"; {n} {'does' if n == 1 else 'do'} not apply ({capped(self.inapplicable, 6, ', ')})"
        gaps = self.gaps
        cut = ""
        if self.stopped is not None and self.stopped.asking_finished:
            # Only judging was cut (conformance.judge.bounded): no request was left unsent.
            cut = f"; every request was sent, but {self.stopped.text()}"
        elif self.stopped is not None:
            cut = f"; the run was cut before all its requests were sent ({self.stopped.text()})"
        if not gaps:
            return said + ("; every one that applies was judged" if self.stopped is None else "") + cut
        by_why: dict[str, list[str]] = {}
        for gap in gaps:
            by_why.setdefault(gap["why"], []).append(_named(gap))
        parts = [f"{capped(ids, 6, ', ')} ({why})" for why, ids in by_why.items()]
        return f"{said}; not judged: {'; '.join(parts)}{cut}"

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "counted_levels": list(self.counted), "judged": self.judged,
                "total": self.total, "does_not_apply": len(self.inapplicable), "statement": self.statement(),
                "not_judged": list(self.not_judged)}


def _named(entry: dict[str, str]) -> str:
    """A not-judged entry as the statement names it: its ID, and in a family run (whose entries name
    their operation, conformance.judge.family.combined) the operation too: "VER-002 on GET /v1/invoices"."""
    return f"{entry['id']} on {entry['operation']}" if entry.get("operation") else entry["id"]


@dataclass(frozen=True)
class Conclusion:
    """`verdicts` with the waivers applied; `waivers`: one record per waiver with its status;
    `verdict` and `reason`: the gate verdict and its sentence (with why the run stopped early);
    `scope`: the scoped verdict and what it covers."""

    verdicts: list[RequirementVerdict]
    waivers: list[dict[str, Any]]
    verdict: str
    reason: str
    scope: Scope


def conclude(
    verdicts: Sequence[RequirementVerdict], catalog: Catalog, *, strict: bool, only: Sequence[str] = (),
    aborted: str | None = None, stopped: Stopped | None = None, waivers: Sequence[Waiver] = (),
    target: str = "", on: dt.date | None = None,
) -> Conclusion:
    """The conclusion of a run from its requirement verdicts (before any waiver).

    `aborted`: why nothing was judged (the verdict is then inconclusive, for that reason);
    `stopped`: why the run stopped asking early, added to the reason; `waivers` are applied
    (conformance.judge.waivers.apply_waivers) for `target` on the day `on` (the run's start, UTC).
    Pure: the same inputs give the same conclusion, in `run` and in `verify`.
    """
    records: list[dict[str, Any]] = []
    waived = list(verdicts)
    if waivers:
        waived, records = apply_waivers(verdicts, waivers, target, on or dt.datetime.now(dt.UTC).date())
    if aborted is not None:
        verdict, reason = "inconclusive", aborted
    else:
        verdict = overall(waived, strict)
        reason = run_reason(waived, verdict, stopped)
    return Conclusion(waived, records, verdict, reason, scope_of(waived, catalog, verdict, strict, only,
                                                                    aborted is not None, stopped))


def run_reason(verdicts: Sequence[RequirementVerdict], verdict: str, stopped: Stopped | None) -> str:
    """The sentence of a run whose gate verdict over `verdicts` (waivers applied) is `verdict`
    (conformance.verdicts.verdict_reason), with why it stopped early (`stopped`) said once."""
    reason = verdict_reason(verdicts, verdict)
    if stopped is not None and not _says(verdicts, verdict, stopped):
        reason = f"{reason} ({stopped.text()})" if reason else f"The run stopped early: {stopped.text()}."
    return reason


def run_wide_reason(verdicts: Sequence[RequirementVerdict], verdict: str) -> bool:
    """Whether the sentence of `verdict` over `verdicts` is about the run as a whole rather than one
    requirement: the spent request budget, or nothing but why the run stopped early. In a family run
    that sentence is said once for every operation, not as one operation's (conformance.judge.family)."""
    return names_spent_budget(verdicts, verdict) or not verdict_reason(verdicts, verdict)


def _says(verdicts: Sequence[RequirementVerdict], verdict: str, stopped: Stopped) -> bool:
    """Whether the run's reason (conformance.verdicts.verdict_reason) already names why it stopped,
    so it is said once: it quotes a requirement whose requests the stopped asking left undone, or,
    for the request budget, the verdicts' naming of it (conformance.judge.spent_budget). Decided on
    the verdicts' typed causes (`unjudged`) and the stop's kind, never on the sentences' words."""
    if stopped.asking_finished:  # only judging was cut: no verdict's reason quotes that
        return False
    return (names_own_cut(verdicts, verdict)
            or (stopped.kind is Kind.REQUEST_BUDGET and names_spent_budget(verdicts, verdict)))


def scope_of(verdicts: Sequence[RequirementVerdict], catalog: Catalog, gate: str, strict: bool,
             only: Sequence[str] = (), aborted: bool = False, stopped: Stopped | None = None) -> Scope:
    """The scoped verdict of a run whose gate verdict is `gate` (see the module's docstring). `stopped`:
    why the run was cut before all its requests were sent; what was judged may rest on fewer
    exchanges than the run meant to send (the activity seen rests on the last walk), so it is partial."""
    counted = ("MUST", "SHOULD") if strict else ("MUST",)
    by_id = {v.requirement: v for v in verdicts}
    not_judged: list[dict[str, str]] = []
    for requirement in catalog.requirements:
        verdict = by_id.get(requirement.id)
        if verdict is None:
            why, reason = NOT_SELECTED, f"not selected (--only {' '.join(only)})" if only else "not selected"
        elif verdict.verdict == Verdict.SKIP:
            why, reason = (TOO_LITTLE_DATA if verdict.lacks_data else DOES_NOT_APPLY), verdict.reason
        elif verdict.verdict == Verdict.INCONCLUSIVE:
            why, reason = INCONCLUSIVE, verdict.reason
        elif verdict.verdict == Verdict.ERROR:
            why, reason = SUITE_ERROR, verdict.reason
        else:
            continue
        not_judged.append({"id": requirement.id, "level": requirement.level, "why": why, "reason": reason})
    absent = {n["id"] for n in not_judged}
    counted_ids = [r.id for r in catalog.requirements if r.level in counted]
    total = len(counted_ids)  # the catalog's count, whatever applies: one fixed total across runs
    judged = sum(1 for i in counted_ids if i not in absent)
    scope = Scope("", counted, judged, total, not_judged, stopped)
    return Scope(_scoped(verdicts, gate, strict, scope, aborted), counted, judged, total, not_judged, stopped)


def _scoped(verdicts: Sequence[RequirementVerdict], gate: str, strict: bool, scope: Scope, aborted: bool) -> str:
    if gate in ("nonconformant", "error"):  # a broken MUST is one whatever the scope
        return gate
    judged_any = any(v.verdict in (Verdict.PASS, Verdict.WARN, Verdict.WAIVED, Verdict.FAIL) for v in verdicts)
    data_gate = any(v.requirement == DATA_GATE and v.lacks_data for v in verdicts)
    if aborted or not judged_any or (gate == "inconclusive" and data_gate):
        return "inconclusive"  # nothing, or nothing that certifies anything, was judged
    counted = ("fail", "warn") if strict else ("fail",)
    waived = any(v.verdict == Verdict.WAIVED and v.waiver and v.waiver.get("verdict") in counted for v in verdicts)
    if scope.gaps or scope.stopped is not None:
        return "partial-with-waivers" if waived else "partial"
    return "conformant-with-waivers" if waived else "conformant"


def scoped_line(scope: dict[str, Any], strict: bool, waived: Sequence[str] = ()) -> str:
    """The scoped verdict as a person reads it first (the console): `PARTIAL: judged 12 of 66 MUST
    requirements of the catalog; not judged: ...`. `scope` is Scope.to_dict(); `waived`: the IDs waived."""
    word = str(scope["verdict"]).upper() + (" (strict)" if strict else "")
    accepted = f"{capped(list(waived), 8, ', ')} failed and {'is' if len(waived) == 1 else 'are'} waived"
    if scope["verdict"] == "partial":
        return f"{word}: {scope['statement']}"
    if scope["verdict"] == "partial-with-waivers":
        return f"{word}: {accepted}; {scope['statement']}"
    if scope["verdict"] == "conformant-with-waivers":
        return f"{word}: {accepted}"
    return word
