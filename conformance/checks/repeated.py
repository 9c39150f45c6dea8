"""A query parameter given twice with differing values (ERR-004).

HTTP frameworks read a repeated name differently (the first value, the last, a list), and a
server that validates one copy and queries with another serves what it never checked:
`limit=5&limit=1000` answered with every session in one page. The reading recorded in
docs/contract.md: such a request is refused with a 4xx, or read one way for validation and
query alike, so a 200 obeys one of the values sent; never a 5xx (ERR-002 too).
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.common import answer, first_unanswered, is_4xx, not_a_page, unanswered
from conformance.checks.history import History
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, inconclusive, seqs, violated
from conformance.wording import capped, plural

TAG = "repeated"
# One valid value and one the server must refuse, in both orders: whichever copy a framework
# keeps, a server that validates one and queries with the other serves the refused one.
LIMITS = (("5", "1000"), ("1000", "5"))
CURSOR_LIMIT = "3"


def probe_repeated(ctx: ProbeContext) -> None:
    for first, second in LIMITS:
        ctx.get(TAG, [("limit", first), ("limit", second)])
    # The first enum filter's first two values (checkout sessions: status=open&status=complete).
    for partition in ctx.spec.partitions()[:1]:
        if len(partition.values) >= 2:
            ctx.get(TAG, [("limit", "3"), *((partition.parameter, s) for s in partition.values[:2])])
    ids = Collection.from_record(ctx.record).ids
    if len(ids) > 4:
        ctx.get(TAG, [("limit", CURSOR_LIMIT), ("starting_after", ids[0]), ("starting_after", ids[2])])


PROBES = (Probe("repeated-params", "errors", probe_repeated, cost=lambda _ctx: len(LIMITS) + 2),)


def _values(exchange: Exchange, name: str) -> list[str]:
    return [v for k, v in exchange.query if k == name]


def _alone(record: Record, name: str, value: str) -> list[int]:
    """Page lengths of the 200s the record holds for `name=value` asked alone (`limit` only)."""
    return [e.items_listed or len(e.page_ids) for e in record if e.page_ids is not None and e.status == 200
            and e.query == [(name, value)]]


def _cursor_alone(record: Record, cursor: str) -> list[list[str]]:
    """The 200 pages the record holds for `starting_after=cursor` asked with `limit` alone."""
    return [e.page_ids for e in record if e.page_ids is not None and e.status == 200
            and sorted(k for k, _ in e.query) == ["limit", "starting_after"]
            and e.params.get("starting_after") == cursor]


def _problem(exchange: Exchange, record: Record, collection: Collection, history: History,
             spec: Spec) -> str | None:
    """Why a 200 to a repeated-parameter request obeys none of the values sent, or None."""
    ids = exchange.page_ids or []
    listed = exchange.items_listed or len(ids)  # all it lists, also past what judging keeps (ITEMS_JUDGED)
    limits = _values(exchange, "limit")
    valid = [int(v) for v in limits if v.isdigit() and 1 <= int(v) <= 100]
    # One consistent reading: the page is as long as the server makes it for one of the values
    # asked alone. A server that clamps `limit=1000` to 100 alone and here too reads one value one
    # way; what it does with 1000 is LIM-005's finding, not a second one of repeated parameters.
    consistent = any(listed in _alone(record, "limit", v) for v in limits)
    if len(limits) > 1 and (not valid or listed > max(valid)) and not consistent:
        largest = f"the largest valid `limit` sent ({max(valid)})" if valid else "any valid `limit` (none was sent)"
        return f"it holds {plural(listed, 'session')}, more than {largest}; `limit` was sent as {', '.join(limits)}"
    for partition in spec.partitions()[:1]:
        statuses = _values(exchange, partition.parameter)
        field = partition.field
        if len(statuses) > 1:
            other = [i for i in ids if collection.value_of(i, field) not in statuses and i not in history.moved
                     and not history.excluded(i)]
            if other:
                return f"it lists {other[0]}, whose {field} is {collection.value_of(other[0], field)!r}"
    cursors = _values(exchange, "starting_after")
    if len(cursors) > 1 and collection.complete:
        stable = history.stable(ids)
        readings = [history.stable(collection.ids[pos + 1:])[:len(stable)]
                    for c in cursors if (pos := collection.position(c)) is not None]
        # As for `limit`: a page that begins as the server's own answer to one cursor asked alone
        # reads one copy one way, even where that answer is wrong (PAG-004's finding, not this one's).
        alone = [history.stable(page)[:len(stable)] for c in cursors for page in _cursor_alone(record, c)]
        if readings and stable not in readings and not any(stable and a == stable for a in alone):
            return f"it lists {capped(stable, 4)}, the page after none of the cursors sent"
    return None


REPEATED_PARAMS_CHECK = "errors.repeated-params"


def judge_repeated(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """ERR-004: refused with a 4xx, or a 200 that obeys one of the values sent."""
    name = REPEATED_PARAMS_CHECK
    exchanges = record.tagged(TAG)
    if not exchanges:
        yield inconclusive("ERR-004", name, "no request repeated a parameter")
        return
    if (lost := first_unanswered(exchanges)) is not None:
        yield unanswered("ERR-004", name, lost)
        return
    collection, history = Collection.from_record(record), History.of(record)
    wrong = []
    for exchange in exchanges:
        if is_4xx(exchange):
            continue
        why = (_problem(exchange, record, collection, history, spec) if exchange.page_ids is not None
               else not_a_page(exchange) if exchange.status == 200 else answer(exchange))
        if why is not None:
            wrong.append(Evidence(f"{exchange.summary()} obeys none of the values sent: {why}",
                                  expected="a 4xx, or a page that obeys one of the values",
                                  actual=why, exchanges=[exchange.seq]))
    if wrong:
        yield violated("ERR-004", name, *wrong[:5])
    else:
        refused = sum(is_4xx(e) for e in exchanges)
        yield held("ERR-004", name, f"{plural(len(exchanges), 'request')} repeating a parameter: {refused} refused, "
                                    f"{len(exchanges) - refused} read one way", seqs(exchanges))


CHECKS = (Check(REPEATED_PARAMS_CHECK, "errors", ("ERR-004",), judge_repeated, compares=("ERR-004",)),)
