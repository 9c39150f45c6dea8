"""The diagnosis vocabulary's registry: observations are declared here by name and read by name.

``conformance.judge.observations`` and ``conformance.judge.field_observations`` declare the
observations (the former imports the latter, so importing it gives the whole vocabulary);
both import this module, which imports neither, so the vocabulary has no import circle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from conformance.checks.base import Record
from conformance.spec import Spec

Reading = Callable[[Record, Spec], list[int]]


@dataclass(frozen=True)
class Observation:
    name: str
    text: str  # what it means, in one phrase (the vocabulary's documentation)
    read: Reading
    # The partition filter whose pages or values it reads (``"status"``: the catalog's filter
    # observations, said in `status` words), "" when it reads no filter's pages in particular.
    reads: str = ""


OBSERVATIONS: dict[str, Observation] = {}


def observation(name: str, text: str, reads: str = "") -> Callable[[Reading], Reading]:
    def register(read: Reading) -> Reading:
        assert name not in OBSERVATIONS, f"observation {name!r} declared twice"
        OBSERVATIONS[name] = Observation(name, text, read, reads)
        return read

    return register


def observe(name: str, record: Record, spec: Spec) -> list[int] | None:
    """The exchanges showing observation ``name`` (memoised on the record); KeyError if unknown.

    None when the observation cannot be made here: it reads a partition filter the operation
    does not declare (``reads``: a `status` observation on an operation filtering on `email` or
    `type`; docs/family.md, "Judging a family"), or the reading itself failed (a suite bug on an
    unforeseen transcript). The diagnosis then names no fault that rests on it (seen or unseen),
    rather than name a `status` defect for another filter's findings, or crash the run.
    """
    key = f"observation:{name}"
    if key not in record.memo:
        reads = OBSERVATIONS[name].reads
        if reads and reads not in {f.parameter for f in spec.partitions()}:
            record.memo[key] = None
            return None
        try:
            record.memo[key] = OBSERVATIONS[name].read(record, spec)
        except Exception:
            record.memo[key] = None
    seqs: list[int] | None = record.memo[key]
    return seqs


def first(seqs: Iterator[int], count: int = 2) -> list[int]:
    """The first ``count`` distinct sequence numbers of ``seqs``, in order: an observation's evidence."""
    found: list[int] = []
    for seq in seqs:
        if seq not in found:
            found.append(seq)
        if len(found) == count:
            break
    return found


__all__ = ["OBSERVATIONS", "Observation", "Reading", "first", "observation", "observe"]
