"""The judge: from a recorded transcript to the run's verdicts, diagnosis and conclusion, in one place.

`run` calls :func:`judge_run` once its probes are done and `verify` calls it again on the saved
transcript, so the two cannot drift: the checks' outcomes, the premises, the spent budget, the
crashed probes, the diagnosis, then the waivers, the stopped suffix and the scope
(:func:`conformance.judge.judgement.conclude`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.catalog import Catalog, default_catalog
from conformance.checks.base import Check, Record, RunContext
from conformance.checks.common import cut_reason, run_cut
from conformance.checks.history import History
from conformance.checks.identity import ids_changed
from conformance.checks.registry import PROBES, checks_for
from conformance.checks.stability import RECHECK_TAG
from conformance.exchange import ITEMS_JUDGED, Exchange
from conformance.judge.diagnosis import Cause, diagnose
from conformance.judge.judgement import Conclusion, conclude
from conformance.judge.premises import apply_premises, exchange_at
from conformance.judge.spent_budget import name_spent_budget
from conformance.judge.waivers import Waiver
from conformance.not_sent import Kind, Stopped
from conformance.spec import Spec
from conformance.verdicts import Finding, Outcome, RequirementVerdict, Unjudged, Verdict, fold, skipped


@dataclass(frozen=True)
class RunJudgement:
    """What judging a transcript gives: `judged`, the requirement verdicts before any waiver (what
    the diagnosis reads); `diagnosis`, the likely causes; `conclusion`, the verdicts with the
    waivers applied, the gate verdict and its reason, the scope; `activity`, what the account did
    during the run (checks/history.py)."""

    judged: list[RequirementVerdict]
    diagnosis: list[Cause]
    conclusion: Conclusion
    activity: dict[str, Any]


def judge_run(
    exchanges: Sequence[Exchange] | Record, context: RunContext, spec: Spec, catalog: Catalog, *,
    only: tuple[str, ...] = (), failed_probes: Mapping[str, str] | None = None, aborted: str | None = None,
    stopped: Stopped | None = None, strict: bool = False, waivers: Sequence[Waiver] = (), target: str = "",
    on: dt.date | None = None, so_far: Judged | None = None,
) -> RunJudgement:
    """The one judging function of `run` and `verify`.

    `aborted`: why the preflight found nothing to judge (every selected requirement is then
    inconclusive for that reason); `stopped`: why the run stopped asking early (the reason's
    suffix); `waivers` apply for `target` on the day `on`, the run's start (UTC); `so_far`
    collects each check's outcomes as it is judged, for a run whose judging a bound may cut
    (conformance.judge.bounded; then :func:`judge_cut_short` concludes from what it holds). Pure:
    the same transcript and inputs give the same judgement. Raises nothing for a target's
    answers; a crashing check becomes an ERROR verdict.
    """
    record = Record.of(exchanges)
    if aborted is None:
        judged = judge(record, context, spec, catalog, only, failed_probes, so_far)
    else:
        judged = nothing_judged(catalog, only, aborted)
    # Named by the operation `spec` views before the waivers apply: a waiver may name one (issue 24).
    judged = [replace(v, operation=spec.operation_key) for v in judged]
    # The diagnosis reads the judgement itself, before any waiver.
    diagnosis = [replace(c, operation=spec.operation_key) for c in diagnose(judged, record, spec)]
    conclusion = conclude(judged, catalog, strict=strict, only=only, aborted=aborted, stopped=stopped,
                          waivers=waivers, target=target, on=on)
    activity = {**History.of(record).summary(), "rechecked": _rechecked(record.exchanges)}
    return RunJudgement(judged, diagnosis, conclusion, activity)


def judge(
    exchanges: Sequence[Exchange] | Record,
    context: RunContext,
    spec: Spec,
    catalog: Catalog,
    only: tuple[str, ...] = (),
    failed_probes: Mapping[str, str] | None = None,
    so_far: Judged | None = None,
) -> list[RequirementVerdict]:
    """Every selected requirement's verdict from recorded exchanges alone (also used by verify).

    `failed_probes` (probe name -> error) are suite crashes during probing; their
    requirements become ERROR (see blame_crashed_probes). Given a `Record`, its readings (the
    collection, the history) are shared with whoever reads it after. `so_far` collects each
    check's outcomes as it is judged, for a run whose judging a bound may cut.
    """
    record = Record.of(exchanges)
    so_far = so_far if so_far is not None else Judged()
    for _ in judging_steps(record, context, spec, only, so_far, catalog):
        pass
    return so_far.verdicts(catalog, only, failed_probes or {}, record.exchanges)


def judging_steps(record: Record, context: RunContext, spec: Spec, only: tuple[str, ...],
                  so_far: Judged, catalog: Catalog | None = None) -> Iterator[int]:
    """Judge the selected checks one by one in judging_order into `so_far`, yielding how many are
    judged: 0 first, then after each check. Run to its end, it also reads why comparisons are
    distrusted (for verdict reasons) if no check did. A bound stops judging between two checks, so
    what it leaves judged is always a prefix of the order: `verify` steps through the same prefixes
    to find the one a cut run's report was judged on. A requirement `spec`'s operation does not
    have (`_not_here`, from `catalog`, default the shipped one) is skipped with the reason."""
    comparisons = _Comparisons(record)
    elsewhere = _not_here(catalog if catalog is not None else default_catalog(), spec)
    yield 0
    for number, check in enumerate(judging_order(checks_for(only)), 1):
        if elsewhere and set(check.verifies) <= set(elsewhere):
            so_far.add(check, [skipped(r, check.name, elsewhere[r]) for r in check.verifies],
                       comparisons.distrust_if_read())
            yield number
            continue
        outcomes = _distrust_comparisons(check, _judge_one(check, record, context, spec), comparisons)
        if elsewhere:
            outcomes = [skipped(o.requirement, check.name, elsewhere[o.requirement])
                        if o.requirement in elsewhere else o for o in outcomes]
        # Premises check by check (each outcome on its own, as over the whole list): what a cut
        # leaves judged is already final.
        outcomes = _unkept_bodies_blame_no_one(apply_premises(outcomes, record), record)
        so_far.add(check, _cut_pages_named(outcomes, record), comparisons.distrust_if_read())
        yield number
    so_far.distrust = comparisons.distrust()


# Checks that read statuses, headers and error bodies, never the sessions a page lists: judged
# first, so that a bound that cuts judging short (a page of 100,000 sessions) leaves only the rules
# that read sessions inconclusive. The rest keep the registry's order. The verdicts do not depend on
# the order: Judged.verdicts folds each requirement's outcomes in the registry's order.
ITEM_FREE_CHECKS = ("auth.refusals", "version.header", "errors.no-5xx", "errors.shape", "limit.rejected",
                    "filter.invalid", "filter.lenient", "pagination.bad-cursors", "generated.valid-accepted",
                    "generated.invalid-rejected")


def judging_order(checks: Sequence[Check]) -> list[Check]:
    """`checks` with the ITEM_FREE_CHECKS first (stable otherwise)."""
    return sorted(checks, key=lambda c: c.name not in ITEM_FREE_CHECKS)


# The rules about `ending_before`: an operation that does not declare it (a list operation needs
# `limit` and one cursor: docs/family.md) is not asked with it, and they are skipped there.
NEEDS_ENDING_BEFORE = ("PAG-005", "PAG-006", "PAG-008", "PAG-012", "PAG-014")


def _not_here(catalog: Catalog, spec: Spec) -> dict[str, str]:
    """Requirement ID -> why it is not judged for the view's operation: the rules
    spec/requirements.yaml declares for other operations only (``operations:``), e.g. the checkout
    session's fields, and those about a cursor the operation does not declare."""
    operation = spec.operation_key
    found = {r.id: f"applies to {' and '.join(r.operations)} only, not {operation}"
             for r in catalog.requirements if not r.applies_to(operation)}
    if not spec.declares("ending_before"):
        found.update({r: f"{operation} declares no `ending_before`" for r in NEEDS_ENDING_BEFORE if r in catalog})
    return found


def judge_cut_short(
    record: Record, so_far: Judged, catalog: Catalog, cut: str, *, only: tuple[str, ...] = (),
    failed_probes: Mapping[str, str] | None = None, aborted: str | None = None, stopped: Stopped | None = None,
    strict: bool = False, waivers: Sequence[Waiver] = (), target: str = "", on: dt.date | None = None,
    activity: dict[str, Any] | None = None,
) -> RunJudgement:
    """The judgement of a run whose judging a bound stopped (conformance.judge.bounded): the
    checks judged in `so_far` stand, every requirement of a check not judged is inconclusive
    for `cut`, and the conclusion comes from :func:`conclude` like any run's (`stopped` should
    name the cut, so that `verify` concludes the same). No diagnosis: it would rest on rules not
    judged. `activity`: what the account did, if judging got that far."""
    if aborted is None:
        judged = so_far.verdicts(catalog, only, failed_probes or {}, record.exchanges, cut=cut)
    else:
        judged = nothing_judged(catalog, only, aborted)
    conclusion = conclude(judged, catalog, strict=strict, only=only, aborted=aborted, stopped=stopped,
                          waivers=waivers, target=target, on=on)
    return RunJudgement(judged, [], conclusion, activity or {})


def _unkept_bodies_blame_no_one(outcomes: list[Outcome], record: Record) -> list[Outcome]:
    """A violation whose evidence is only bodies the suite did not keep (masking the key took
    too long: conformance.record.client.Client._keep_body) is inconclusive: what they held is
    unknown, and the bound was the suite's. Violations shown by other exchanges stand."""
    unkept = {e.seq for e in record if e.body_not_kept}
    if not unkept:
        return outcomes
    judged = []
    for o in outcomes:
        seqs = set(o.exchanges) | {s for item in o.evidence for s in item.exchanges}
        if o.finding == Finding.VIOLATED and seqs and seqs <= unkept:
            o = Outcome(o.requirement, Finding.INCONCLUSIVE, o.check,
                        f"its evidence is bodies the suite did not keep ({record.by_seq(min(seqs)).body_error})")
        judged.append(o)
    return judged


def _cut_pages_named(outcomes: list[Outcome], record: Record) -> list[Outcome]:
    """A finding that rests on a page judged on its first sessions only (it listed more than
    conformance.exchange.ITEMS_JUDGED) says so in its reason: what it found holds for those.
    The ITEM_FREE_CHECKS read no session, so theirs rest on the whole page."""
    judged = []
    for o in outcomes:
        seqs = sorted(set(o.exchanges) | {s for item in o.evidence for s in item.exchanges})
        cut = [e for s in seqs if (e := exchange_at(record, s)) is not None and e.items_listed]
        if cut and o.finding in (Finding.HELD, Finding.VIOLATED) and o.check not in ITEM_FREE_CHECKS:
            most = max(cut, key=lambda e: e.items_listed or 0)
            pages = "a page" if len(cut) == 1 else f"{len(cut)} pages"
            o = replace(o, reason=f"{o.reason} (judged on the first {ITEMS_JUDGED:,} sessions of {pages} listing "
                                  f"more: exchange {most.seq} lists {most.items_listed:,})")
        judged.append(o)
    return judged


@dataclass
class Judged:
    """The outcomes of the checks judged so far (judge() fills it, check by check; a bounded
    judging's caller reads it from another thread, hence the lock)."""

    done: set[str] = field(default_factory=set)
    distrust: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # The outcomes by the check that gave them: folded in the registry's order, whatever order the
    # checks were judged in (judging_order).
    by_check: dict[str, list[Outcome]] = field(default_factory=dict)

    def add(self, check: Check, outcomes: list[Outcome], distrust: str | None) -> None:
        with self._lock:
            self.by_check[check.name] = self.by_check.get(check.name, []) + outcomes
            self.done.add(check.name)
            self.distrust = distrust

    def copy(self) -> Judged:
        """What was judged so far, copied under the lock: for a caller that must not read this
        one while the judging thread may still add to it (conformance.run.runner._judge_bounded)."""
        with self._lock:
            return Judged(set(self.done), self.distrust, by_check={k: list(v) for k, v in self.by_check.items()})

    def verdicts(self, catalog: Catalog, only: tuple[str, ...], failed_probes: Mapping[str, str],
                 exchanges: Sequence[Exchange], cut: str | None = None) -> list[RequirementVerdict]:
        """The verdicts folded from what was judged; with `cut` (why judging stopped), every
        requirement of a check not judged is inconclusive for that reason."""
        checks = checks_for(only)
        with self._lock:
            outcomes = [o for c in checks for o in self.by_check.get(c.name, [])]
            done = set(self.done)
        if cut is not None:
            outcomes += [Outcome(r, Finding.INCONCLUSIVE, c.name, cut, unjudged=Unjudged.JUDGING_CUT)
                         for c in checks if c.name not in done for r in c.verifies]
        selected = _selected_requirements(catalog, checks, only)
        verdicts = [
            fold(req.id, req.level, (o for o in outcomes if o.requirement == req.id))
            for req in catalog.requirements if req.id in selected
        ]
        verdicts = _cut_run_reasons(verdicts, exchanges)
        verdicts = name_spent_budget(verdicts, exchanges)
        return blame_crashed_probes(verdicts, failed_probes, only)


def _cut_run_reasons(verdicts: list[RequirementVerdict], exchanges: Sequence[Exchange]) -> list[RequirementVerdict]:
    """In a run its own bounds cut (conformance.checks.common.run_cut), too little data is
    inconclusive (the data may be what it never asked for), and, when the deadline cut it, a
    verdict that rests on a request the run left undone (`unjudged` LEFT_UNDONE, set where the
    check wrote its reason) is named as such, never as the target's silence."""
    if (cut := run_cut(exchanges)) is None:
        return verdicts
    verdicts = [replace(v, verdict=Verdict.INCONCLUSIVE, lacks_data=False, unjudged=Unjudged.RUN_CUT,
                        reason=cut_reason(v.reason, cut))
                if v.verdict == Verdict.SKIP and v.lacks_data else v for v in verdicts]
    if cut.kind is Kind.DEADLINE:
        verdicts = [replace(v, reason=f"its requests were not sent: {cut.why}")
                    if v.verdict == Verdict.INCONCLUSIVE and v.unjudged is Unjudged.LEFT_UNDONE else v
                    for v in verdicts]
    return verdicts


def _rechecked(exchanges: Sequence[Exchange]) -> bool:
    """Whether the run's last walk (walk:recheck) was answered: a quiet account is only seen so
    when the end of the run was looked at too (a cut run may never send it)."""
    return any(e.tag == RECHECK_TAG and e.status is not None for e in exchanges)


def _judge_one(check: Check, record: Record, context: RunContext, spec: Spec) -> list[Outcome]:
    try:
        outcomes = list(check.judge(record, context, spec))
    except Exception as exc:  # a suite bug: reported as such, never blamed on the target
        return [Outcome(r, Finding.ERROR, check.name, f"the check {check.name} crashed: {exc!r}")
                for r in check.verifies]
    stray = [o.requirement for o in outcomes if o.requirement not in check.verifies]
    if stray:
        return [Outcome(r, Finding.ERROR, check.name, f"the check {check.name} judged undeclared {stray}")
                for r in check.verifies]
    # A declared requirement left unjudged would fold into a silent skip: a suite bug, said as one.
    judged = {o.requirement for o in outcomes}
    outcomes += [Outcome(r, Finding.ERROR, check.name, f"the check {check.name} declares {r} but did not judge it")
                 for r in check.verifies if r not in judged]
    return outcomes


class _Comparisons:
    """The collection's history and why comparisons are distrusted, read only when a judgement
    needs them: reading the history reads every session of every page, which a page of 100,000
    sessions makes the costliest reading of all (and item-free checks never need it)."""

    def __init__(self, record: Record) -> None:
        self._record = record
        self._read = False
        self._distrust: str | None = None

    @property
    def history(self) -> History:
        return History.of(self._record)

    def distrust(self) -> str | None:
        if not self._read:
            self._distrust = _comparisons_distrusted(self._record, self.history)
            self._read = True
        return self._distrust

    def distrust_if_read(self) -> str | None:
        return self._distrust


def _comparisons_distrusted(record: Record, history: History) -> str | None:
    """Why responses taken at different moments cannot be compared at all, or None: a change
    outside the contract's model of a live account, or sessions that came back under other ids."""
    if (outside := history.outside_reason()) is not None:
        return outside
    if ids_changed(record):  # the server's fault (OBJ-015), not a busy account
        return ("the same sessions came back under other ids (OBJ-015), so responses taken at different "
                "moments cannot be compared until ids are stable")
    return None


def _distrust_comparisons(check: Check, outcomes: list[Outcome], comparisons: _Comparisons) -> list[Outcome]:
    """A comparison's violation is no evidence when the collection changed outside the contract's
    model of a live account (CONTRACT.md, "A live collection"), or ids changed: inconclusive, the
    reason named. Change inside the model is the judgements' own business (checks/history.py)."""
    if not any(o.finding == Finding.VIOLATED and o.requirement in (*check.compares, *check.quiet_only)
               for o in outcomes):
        return outcomes  # nothing to distrust: the history is not read for it
    outside = comparisons.distrust()
    live = ("the account was live during the run (sessions created or statuses changed), and this rule "
            "needs a quiet collection") if comparisons.history.live else None
    if outside is None and live is None:
        return outcomes
    judged = []
    for o in outcomes:
        reason = (outside if o.requirement in check.compares else None) or (
            live if o.requirement in check.quiet_only else None)
        # Distrusted only for the change outside the model (the spent budget does not rename it);
        # a live account's reason is a rule needing quiet, not distrust.
        why = Unjudged.DISTRUSTED if reason is not None and reason == outside else None
        judged.append(Outcome(o.requirement, Finding.INCONCLUSIVE, o.check, reason, unjudged=why)
                      if o.finding == Finding.VIOLATED and reason else o)
    return judged


def _selected_requirements(catalog: Catalog, checks: tuple[Check, ...], only: tuple[str, ...]) -> set[str]:
    """The requirements `only` names, by ID or by their area in the catalog (not by the area
    of the check that happens to judge them: OBJ-005 belongs to `--only object`)."""
    if not only:
        return {r.id for r in catalog.requirements}
    return {r.id for r in catalog.requirements if r.id in only or r.area in only}


def nothing_judged(catalog: Catalog, only: tuple[str, ...], why: str) -> list[RequirementVerdict]:
    """Every selected requirement inconclusive, for a run whose preflight found nothing to judge."""
    selected = _selected_requirements(catalog, checks_for(only), only)
    return [RequirementVerdict(r.id, r.level, Verdict.INCONCLUSIVE, why, [], [])
            for r in catalog.requirements if r.id in selected]


def blame_crashed_probes(
    verdicts: list[RequirementVerdict], failed_probes: Mapping[str, str], only: tuple[str, ...] = ()
) -> list[RequirementVerdict]:
    """The verdicts with those a crashed probe left without data turned into ERROR.

    A probe that crashed asked less than its checks expect, so what they concluded from
    the rest is not to be trusted, and the fault is the suite's, never the target's. The
    requirements of the checks of the probe's area are blamed; should the selection hold
    none (the walks serve every area), all selected ones are, so that a crash is never
    silent. A violation stays one: its evidence was really answered (as in ``fold``).
    """
    if not failed_probes:
        return verdicts
    areas = {probe.name: probe.area for probe in PROBES}
    selected = checks_for(only)
    blamed: dict[str, str] = {}
    for name, error in failed_probes.items():
        checks = [c for c in selected if c.area == areas.get(name)] or list(selected)
        for check in checks:
            for requirement in check.verifies:
                blamed.setdefault(requirement, f"probe {name} crashed: {error}")
    return [
        replace(v, verdict=Verdict.ERROR, reason=blamed[v.requirement], evidence=[], lacks_data=False)
        if v.requirement in blamed and v.verdict not in (Verdict.FAIL, Verdict.WARN) else v
        for v in verdicts
    ]
