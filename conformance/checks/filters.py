"""The filtered walks of a list operation, from its own parameters (issue 24; docs/family.md).

A *partition* filter (an enum parameter, e.g. checkout sessions' ``status``) is walked once per
value. An *equality* filter (a string parameter naming an item field, e.g. ``email``) is walked
twice: with the value most items of the reference walk carry (so that the walk lists several,
when any two share one), and with a value no item listed carries (a 200 with an empty page is
the reading). The rules are the same for both (FLT-001..003, FLT-007): every item carries the
value exactly; the walk is the unfiltered walk restricted to it.

Checkout sessions' ``status`` walks keep their tags (``filter:open``), so a run judging checkout
sessions sends and reads exactly what it did before families.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from conformance.checks.base import Record
from conformance.checks.collection import Collection
from conformance.spec import Spec

SEEN, ABSENT = "seen", "absent"


@dataclass(frozen=True)
class FilterWalk:
    """One filtered walk: ``parameter=value`` sent on every page, compared on the item ``field``.
    ``absent``: the value is one no item listed carries (the walk must list nothing)."""

    parameter: str
    field: str
    kind: str  # "partition" or "equality" (conformance.operations.Filter.kind)
    value: str
    tag: str
    absent: bool = False

    @property
    def pair(self) -> tuple[str, str]:
        return (self.parameter, self.value)

    @property
    def said(self) -> str:
        return f"{self.parameter}={self.value}"


def partition_tag(parameter: str, value: str) -> str:
    """``filter:open`` for checkout's ``status`` (the tags runs always used), else ``filter:P=V``."""
    return f"filter:{value}" if parameter == "status" else f"filter:{parameter}={value}"


def equality_tag(parameter: str, which: str) -> str:
    return f"filter:{parameter}:{which}"


def partition_walks(spec: Spec) -> list[FilterWalk]:
    """Every value of every partition filter the operation declares, in document order."""
    return [FilterWalk(f.parameter, f.field, f.kind, value, partition_tag(f.parameter, value))
            for f in spec.partitions() for value in f.values]


def equality_value(collection: Collection, field: str) -> str | None:
    """The non-empty string value of ``field`` most items of the reference walk carry (the first
    such in walk order on a tie); None when no item carries one. Input: the reference walk."""
    counts: Counter[str] = Counter()
    for item_id in collection.ids:
        value = collection.value_of(item_id, field)
        if isinstance(value, str) and value:
            counts[value] += 1
    if not counts:
        return None
    most = max(counts.values())
    return next(value for value, n in counts.items() if n == most)


def absent_value(value: str, carried: set[object]) -> str:
    """``value`` with its last run of letters and digits (before any ``@``) replaced by ``z``s (then
    ``y``s, ...), keeping the shape a server may validate (an id's ``cus_`` prefix, an e-mail's
    domain), and carried by no item listed."""
    head, at, domain = value.partition("@")
    runs = list(re.finditer(r"[A-Za-z0-9]+", head))
    if runs:
        run = runs[-1]
        for letter in "zyxwvu":
            candidate = f"{head[:run.start()]}{letter * len(run.group())}{head[run.end():]}{at}{domain}"
            if candidate not in carried:
                return candidate
    return f"{head}-absent{at}{domain}"


def equality_walks(spec: Spec, collection: Collection) -> list[FilterWalk]:
    """The two walks of each equality filter, their values picked from the reference walk."""
    walks: list[FilterWalk] = []
    for f in spec.equalities():
        value = equality_value(collection, f.field)
        if value is None:
            continue
        carried = {collection.value_of(i, f.field) for i in collection.ids}
        walks.append(FilterWalk(f.parameter, f.field, f.kind, value, equality_tag(f.parameter, SEEN)))
        walks.append(FilterWalk(f.parameter, f.field, f.kind, absent_value(value, carried),
                                equality_tag(f.parameter, ABSENT), absent=True))
    return walks


def walks_to_ask(spec: Spec, source: Record | Collection) -> list[FilterWalk]:
    """The filtered walks a probe asks: the partitions', then the equality filters' (their values
    from the reference walk's collection, read from ``source`` only when the operation has one:
    reading a collection of wide pages costs memory and time)."""
    if not spec.equalities():
        return partition_walks(spec)
    collection = source if isinstance(source, Collection) else Collection.from_record(source)
    return [*partition_walks(spec), *equality_walks(spec, collection)]


def walks_asked(spec: Spec, record: Record) -> list[FilterWalk]:
    """The filtered walks as judged: the partitions' from the document; each equality walk's value
    read back from what was sent (so judging never re-picks it)."""
    walks = partition_walks(spec)
    for f in spec.equalities():
        for which in (SEEN, ABSENT):
            tag = equality_tag(f.parameter, which)
            sent = record.tagged(tag)
            if sent and f.parameter in sent[0].params:
                walks.append(FilterWalk(f.parameter, f.field, f.kind, sent[0].params[f.parameter], tag,
                                        absent=which == ABSENT))
    return walks


def filter_of(spec: Spec, params: dict[str, str]) -> tuple[str, str, str] | None:
    """(parameter, field, value) of the operation's filter a request carries, or None."""
    for f in spec.filters:
        if f.parameter in params:
            return f.parameter, f.field, params[f.parameter]
    return None
