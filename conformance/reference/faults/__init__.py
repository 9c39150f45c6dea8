"""Named faults the reference server can inject, to prove the suite catches them.

A fault replaces one or more decision points of :class:`Decisions` with a broken
variant, the kind of mistake a developer makes, and names the requirement IDs
(``spec/requirements.yaml``) a conformance run must then report: failed for a MUST,
warned for a SHOULD. ``docs/kill-matrix.md`` (``python -m conformance.selftest.kill_matrix``)
shows what the suite actually reports for each.

The catalog is also the diagnosis table (``conformance.judge.diagnosis``): each fault carries a
``title`` (one sentence a developer acts on) and a :class:`Signature` (the requirements and
the transcript observations that identify it). A new fault becomes diagnosable by
declaring both; ``tests/test_fault_matrix.py`` checks its run is diagnosed as itself.
"""

from __future__ import annotations

import dataclasses

from conformance.reference.decisions import Decisions
from conformance.reference.faults import auth, field, filtering, limit, pagination, protocol, schema, semantics
from conformance.reference.faults._base import Fault, Signature

__all__ = ["FAULTS", "Fault", "Signature", "decisions_for"]

_ALL: tuple[Fault, ...] = (
    *limit.FAULTS,
    *pagination.FAULTS,
    *filtering.FAULTS,
    *auth.FAULTS,
    *protocol.FAULTS,
    *schema.FAULTS,
    *semantics.FAULTS,
    *field.FAULTS,
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _ALL}
assert len(FAULTS) == len(_ALL), "fault names must be unique"


def decisions_for(fault: str | None) -> Decisions:
    """The decision table with ``fault`` injected (None: the correct behaviour)."""
    if fault is None:
        return Decisions()
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; known faults: {', '.join(sorted(FAULTS))}")
    return dataclasses.replace(Decisions(), **FAULTS[fault].overrides)
