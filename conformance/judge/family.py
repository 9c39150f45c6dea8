"""Judging a family of list operations (issue 24): one judgement per operation, one run's conclusion.

`run` and `verify` both call :func:`judge_operations`, so the two cannot drift. Each operation is
judged by :func:`conformance.judge.pipeline.judge_run` over its own exchanges (those sent to its
path; their ``seq`` stay the transcript's) with the document seen from it
(:meth:`conformance.spec.Spec.for_operation`); its verdicts and causes carry its ``"GET /path"``.
The run's gate verdict is the worst over the operations (nonconformant, then error, then
inconclusive, then conformant) and its reason names the operation it comes from. A run judging
one operation gives exactly that operation's judgement, so today's runs are unchanged.
Each operation's own verdict, as the console and report.json `by_operation` state it and `verify`
re-checks it, is :func:`operation_verdicts`, computed here once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from conformance.catalog import Catalog
from conformance.checks.base import Record, RunContext
from conformance.checks.history import describe
from conformance.exchange import Exchange
from conformance.judge.coverage import Coverage, coverage_of
from conformance.judge.judgement import Conclusion, Scope, run_reason, run_wide_reason
from conformance.judge.pipeline import Judged, RunJudgement, judge_cut_short, judge_run
from conformance.operations import CHECKOUT_SESSIONS, items_noun
from conformance.spec import Spec
from conformance.verdicts import RequirementVerdict, Verdict, by_operation, overall

# Worst first: the run's verdict is the first of these any operation has.
GATE_ORDER = ("nonconformant", "error", "inconclusive", "conformant")
SCOPE_ORDER = ("nonconformant", "error", "inconclusive", "partial-with-waivers", "partial",
               "conformant-with-waivers", "conformant")
# A waiver named by several operations' records: the status that says most, first.
_WAIVER_STATUS = ("applied", "expired", "stale", "unused")


def path_of(operation: str) -> str:
    """``"GET /v1/customers"`` -> ``"/v1/customers"``."""
    return operation.split(" ", 1)[1]


def probe_name(name: str, operation: str) -> str:
    """A probe's name in a run judging ``operation``: checkout sessions' keep theirs (so their random
    draws, hence their requests, are those of every run before families), another's is ``NAME@/path``."""
    return name if operation == CHECKOUT_SESSIONS else f"{name}@{path_of(operation)}"


def own_failures(failed: Mapping[str, str], operation: str, operations: Sequence[str]) -> dict[str, str]:
    """The crashed probes (name -> error) of ``operation``, under their plain names: a probe that
    crashed on one operation blames that operation's requirements only."""
    if len(operations) <= 1:
        return dict(failed)
    own = {}
    for name, error in failed.items():
        plain, at, path = name.partition("@")
        if (at and path == path_of(operation)) or (not at and operation == CHECKOUT_SESSIONS):
            own[plain] = error
    return own


def records_by_operation(record: Record, operations: Sequence[str]) -> dict[str, Record]:
    """Each operation's exchanges (those sent to its path), in transcript order, global seq kept.
    One operation reads the whole record (its readings shared): every exchange of such a run is its own."""
    if len(operations) == 1:
        return {operations[0]: record}
    by_path: dict[str, list[Any]] = {path_of(key): [] for key in operations}
    for exchange in record.exchanges:
        if exchange.path in by_path:
            by_path[exchange.path].append(exchange)
    return {key: Record(by_path[path_of(key)]) for key in operations}


def coverage_of_operations(exchanges: Sequence[Exchange], operations: Sequence[str] = ()) -> Coverage:
    """What a run of ``operations`` (default: checkout sessions alone) saw, each operation's items
    called by its own noun (conformance.operations.items_noun). One operation: its coverage, as every
    run before families stated it. Several: each one's coverage of its own exchanges, its statement
    and each phrase of what it did not probe prefixed with its key (``GET /v1/invoices: saw all 60
    invoices: ...``), the counts summed (the size unknown if any is). Read from the exchanges alone,
    so `verify` recomputes it."""
    operations = list(operations) or [CHECKOUT_SESSIONS]
    if len(operations) == 1:
        return coverage_of(exchanges, items_noun(operations[0]))
    parts = [(key, coverage_of(sub.exchanges, items_noun(key)))
             for key, sub in records_by_operation(Record(exchanges), operations).items()]
    sizes = [c.collection_size for _, c in parts]
    return Coverage(
        sessions_seen=sum(c.sessions_seen for _, c in parts),
        collection_size=None if None in sizes else sum(s for s in sizes if s is not None),
        collection_at_least=sum(c.collection_at_least for _, c in parts),
        statement="; ".join(f"{key}: {c.statement}" for key, c in parts),
        not_probed=tuple(f"{key}: {phrase}" for key, c in parts for phrase in c.not_probed))


@dataclass(frozen=True)
class OperationVerdict:
    """One list operation's part of a run: its key (``"GET /path"``), its verdict (conformant,
    nonconformant, inconclusive or error) and the requirement verdicts it is folded from."""

    operation: str
    verdict: str
    verdicts: tuple[RequirementVerdict, ...]

    @property
    def counts(self) -> Counter[Verdict]:
        """How many of its requirement verdicts are of each kind."""
        return Counter(v.verdict for v in self.verdicts)


def operation_verdicts(verdicts: Iterable[RequirementVerdict], operations: Sequence[str],
                       strict: bool) -> list[OperationVerdict]:
    """Each operation's verdict in a run: one entry per operation in ``operations``' order, then
    any other a verdict names (an operation without verdicts gets an empty one), its verdict
    folded over its own requirement verdicts as the run's is (:func:`conformance.verdicts.overall`;
    ``strict``: a SHOULD that fails fails it). The one place the console's ``operations:`` lines,
    report.json `by_operation` and `verify`'s re-check of it read an operation's verdict from.
    Pure; raises nothing."""
    groups = by_operation(verdicts)
    keys = [*dict.fromkeys(operations), *(k for k in groups if k not in operations)]
    return [OperationVerdict(key, overall(groups.get(key, []), strict), tuple(groups.get(key, []))) for key in keys]


def judge_operations(
    record: Record, context: RunContext, spec: Spec, catalog: Catalog, operations: Sequence[str] = (),
    *, so_far: dict[str, Judged] | None = None, **common: Any,
) -> RunJudgement:
    """The run's judgement over ``operations`` (``"GET /path"``; default: checkout sessions alone).

    ``common`` goes to every ``judge_run`` (only, failed_probes, aborted, stopped, strict, waivers,
    target, on). ``so_far``: each operation's `Judged`, filled as it is judged, for a run whose
    judging a bound may cut (then :func:`judge_operations_cut_short`). Pure, as judge_run is.
    """
    operations = list(operations) or [CHECKOUT_SESSIONS]
    failed = common.pop("failed_probes", None) or {}
    parts: list[tuple[str, RunJudgement]] = []
    for key, sub in records_by_operation(record, operations).items():
        judged = judge_run(sub, context, spec.for_operation(path_of(key)), catalog,
                           failed_probes=own_failures(failed, key, operations),
                           so_far=None if so_far is None else so_far.setdefault(key, Judged()), **common)
        parts.append((key, tagged(judged, key)))
    return combined(parts)


def judge_operations_cut_short(
    record: Record, so_far: Mapping[str, Judged], catalog: Catalog, cut: str, operations: Sequence[str] = (),
    **common: Any,
) -> RunJudgement:
    """:func:`conformance.judge.pipeline.judge_cut_short` per operation, combined like a whole run's."""
    operations = list(operations) or [CHECKOUT_SESSIONS]
    failed = common.pop("failed_probes", None) or {}
    parts = [(key, tagged(judge_cut_short(sub, so_far.get(key) or Judged(), catalog, cut,
                                          failed_probes=own_failures(failed, key, operations), **common), key))
             for key, sub in records_by_operation(record, operations).items()]
    return combined(parts)


def tagged(judged: RunJudgement, operation: str) -> RunJudgement:
    """``judged`` with every verdict and cause naming ``operation``."""
    conclusion = replace(judged.conclusion,
                         verdicts=[replace(v, operation=operation) for v in judged.conclusion.verdicts])
    return RunJudgement([replace(v, operation=operation) for v in judged.judged],
                        [replace(c, operation=operation) for c in judged.diagnosis], conclusion, judged.activity)


def combined(parts: Sequence[tuple[str, RunJudgement]]) -> RunJudgement:
    """One run's judgement from its operations': verdicts and causes in operation order, the worst
    gate and scoped verdicts, the reason of the operation the gate verdict comes from (named)."""
    if len(parts) == 1:
        return parts[0][1]
    conclusions = [(key, j.conclusion) for key, j in parts]
    worst_key, worst = min(conclusions, key=lambda kc: _rank(GATE_ORDER, kc[1].verdict))
    if worst.reason and all(c.reason == worst.reason for _, c in conclusions):
        # One reason for the whole run (a usage error the preflight found, named with its own
        # operation): prefixing the first operation would point at the wrong one.
        reason = worst.reason
    elif worst.verdict == "nonconformant":
        failing = [key for key, c in conclusions if c.verdict == "nonconformant"]
        stopped = worst.scope.stopped  # the whole run's, whichever operation says it
        reason = f"Nonconformant on {', '.join(failing)}." + (
            f" The run stopped early: {stopped.text()}." if stopped is not None else "")
    elif worst.reason and run_wide_reason(worst.verdicts, worst.verdict):
        # The budget, or the run's stop, is the whole run's: said once, over every operation's verdicts.
        reason = run_reason([v for _, c in conclusions for v in c.verdicts], worst.verdict, worst.scope.stopped)
    elif worst.reason:
        reason = f"{worst_key}: {worst.reason}"
    else:
        reason = ""
    scopes = [c.scope for _, c in conclusions]
    scope = Scope(
        verdict=min((s.verdict for s in scopes), key=lambda v: _rank(SCOPE_ORDER, v)),
        counted=scopes[0].counted, judged=sum(s.judged for s in scopes), total=sum(s.total for s in scopes),
        # Each entry names its operation: "PAG-005 not judged" alone would not say where.
        not_judged=[{**n, "operation": key} for (key, _), s in zip(conclusions, scopes, strict=True)
                    for n in s.not_judged], stopped=scopes[0].stopped,
    )
    conclusion = Conclusion(
        verdicts=[v for _, c in conclusions for v in c.verdicts], waivers=_waiver_records(conclusions),
        verdict=worst.verdict, reason=reason, scope=scope,
    )
    return RunJudgement([v for _, j in parts for v in j.judged], [c for _, j in parts for c in j.diagnosis],
                        conclusion, _activity(parts))


def _activity(parts: Sequence[tuple[str, RunJudgement]]) -> dict[str, Any]:
    """The activity of a run of several operations: each one's (``operations``, in run order) and,
    for a reader of the counts alone, their sums: live if any was, rechecked unless one was not,
    the changes outside the model each named with its operation. {} when none was judged that far."""
    each = [(key, j.activity) for key, j in parts if j.activity]
    if not each:
        return {}
    merged: dict[str, Any] = {
        "live": any(a["live"] for _, a in each),
        **{count: sum(a[count] for _, a in each) for count in ("sessions_created", "status_changes",
                                                              "sessions_judged")},
        "outside_model": [f"{key}: {m}" for key, a in each for m in a["outside_model"]][:10],
        "ids_change_per_response": any(a.get("ids_change_per_response") for _, a in each),
    }
    if any("rechecked" in a for _, a in each):
        merged["rechecked"] = all(a.get("rechecked") is not False for _, a in each)
    return {**merged, "operations": [{"operation": key, **a} for key, a in each]}


def activity_text(activity: Mapping[str, Any], operations: Sequence[str] = ()) -> str:
    """The sentence the console, summary.md and report.html say of a run's ``activity``: one
    operation's (the first of ``operations``; default checkout sessions) with its items' own noun
    (conformance.operations.items_noun); of several, each one's, named by its key."""
    each = activity.get("operations")
    if isinstance(each, list) and each:
        return "; ".join(f"{entry['operation']}: {describe(entry, items_noun(entry['operation']))}" for entry in each)
    return describe(dict(activity), items_noun(operations[0] if operations else CHECKOUT_SESSIONS))


def _rank(order: Sequence[str], verdict: str) -> int:
    return order.index(verdict) if verdict in order else len(order)


def _waiver_records(conclusions: Sequence[tuple[str, Conclusion]]) -> list[dict[str, Any]]:
    """One record per waiver: every operation's conclusion holds the same waivers in the same
    order, each with its status there; the one kept says most (applied anywhere is applied)."""
    records = [list(c.waivers) for _, c in conclusions]
    merged = []
    for same in zip(*records, strict=True):
        merged.append(min(same, key=lambda r: _rank(_WAIVER_STATUS, str(r.get("status")))))
    return merged
