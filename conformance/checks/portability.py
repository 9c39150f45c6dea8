"""Leniency that breaks portability (CONTRACT.md, status filter): values a lenient server
might map onto the `status` enum. Accepting them conforms, but clients written against such
a server break on a strict one, so FLT-006 is a SHOULD: a warning, a failure under --strict.
(The key accepted in the password slot of Basic is the same kind of leniency: AUTH-004.)"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import judge_refused
from conformance.spec import Spec
from conformance.verdicts import Outcome, skipped

TAG = "filter:lenient"


def lenient_spellings(status: str) -> tuple[str, ...]:
    """What a trimming, case-folding parser maps onto `status`: upper case, a leading space."""
    return (status.upper(), f" {status}")


def probe_lenient_status(ctx: ProbeContext) -> None:
    # The operation's first partition filter (checkout sessions: `status`); none, nothing to ask.
    for partition in ctx.spec.partitions()[:1]:
        for value in lenient_spellings(partition.values[0]):
            ctx.get(TAG, [(partition.parameter, value), ("limit", "3")])


def _cost(ctx: ProbeContext) -> int:
    return sum(len(lenient_spellings(p.values[0])) for p in ctx.spec.partitions()[:1])


PROBES = (Probe("lenient-status", "filter", probe_lenient_status, cost=_cost, reads_record=False),)


LENIENT_CHECK = "filter.lenient"


def judge_lenient_status(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    partitions = spec.partitions()
    if not partitions:
        yield skipped("FLT-006", LENIENT_CHECK, f"{spec.operation_key} declares no enum filter")
        return
    what = "a status" if partitions[0].parameter == "status" else f"a {partitions[0].parameter}"
    yield judge_refused(LENIENT_CHECK, record.tagged(TAG), "FLT-006",
                        f"{what} a lenient server might map onto the enum", record=record)


CHECKS = (Check(LENIENT_CHECK, "filter", ("FLT-006",), judge_lenient_status),)
