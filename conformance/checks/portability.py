"""Leniency that breaks portability (CONTRACT.md, status filter): values a lenient server
might map onto the `status` enum. Accepting them conforms, but clients written against such
a server break on a strict one, so FLT-006 is a SHOULD: a warning, a failure under --strict.
(The key accepted in the password slot of Basic is the same kind of leniency: AUTH-004.)"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import judge_refused
from conformance.spec import Spec
from conformance.verdicts import Outcome

TAG = "filter:lenient"


def lenient_spellings(status: str) -> tuple[str, ...]:
    """What a trimming, case-folding parser maps onto `status`: upper case, a leading space."""
    return (status.upper(), f" {status}")


def probe_lenient_status(ctx: ProbeContext) -> None:
    first = ctx.spec.enum_of("status")[0]
    for value in lenient_spellings(first):
        ctx.get(TAG, [("status", value), ("limit", "3")])


PROBES = (Probe("lenient-status", "filter", probe_lenient_status,
                cost=lambda ctx: len(lenient_spellings(ctx.spec.enum_of("status")[0])), reads_record=False),)


def judge_lenient_status(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    yield judge_refused("filter.lenient", record.tagged(TAG), "FLT-006",
                        "a status a lenient server might map onto the enum")


CHECKS = (Check("filter.lenient", "filter", ("FLT-006",), judge_lenient_status),)
