"""A cursor of another status under a filter (FLT-007).

CONTRACT.md, "status filter": a cursor that names an existing session whose status is not
S, sent with ``status=S``, is either refused with a 4xx, or answered with the S-sessions
right after (for ``ending_before``: right before) that session's place in the unfiltered
order. A live client meets exactly this: the session it holds as its cursor moved from
``open`` between two pages of its ``status=open`` walk.

The probe takes its anchors from the reference walk: per status S, the session of another
status that has the most S-sessions on both sides of it (so that a page which starts one
S-session late, or early, shows it), asked both ways.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.common import answer, first_unanswered, is_4xx, not_a_page, unanswered
from conformance.checks.filters import FilterWalk, filter_of, walks_to_ask
from conformance.checks.history import History
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, too_little_data, violated
from conformance.wording import capped

TAG = "foreign-cursor"
# Small pages: the anchor needs this many S-sessions on each side to be judged in full.
LIMIT = 3


def anchor(collection: Collection, status: str, field: str = "status") -> str | None:
    """The session of another status than ``status`` with the most ``status`` sessions on its
    poorer side (first such in walk order), or None when no session has them on both sides.

    Input: the collection the reference walk read. Source: FLT-007.
    """
    matching = set(collection.restricted(status, field))
    before = 0
    total = len(matching)
    best: tuple[int, str] | None = None
    for item_id in collection.ids:
        if item_id in matching:
            before += 1
            continue
        if collection.value_of(item_id, field) is None:
            continue
        # After the anchor only what the walk read is known: the poorer side is counted on that.
        score = min(before, total - before, LIMIT)
        if score > 0 and (best is None or score > best[0]):
            best = (score, item_id)
    return best[1] if best else None


def _anchored(ctx: ProbeContext) -> list[tuple[FilterWalk, str]]:
    """(filtered walk, its anchor) for every filter value with one: each partition value, each
    equality filter's seen value (issue 24: CONTRACT.md's status rule, for every filter)."""
    collection = Collection.from_record(ctx.record)
    found = []
    for walk in walks_to_ask(ctx.spec, collection):
        if not walk.absent and (cursor := anchor(collection, walk.value, walk.field)) is not None:
            found.append((walk, cursor))
    return found


def probe_foreign_cursor(ctx: ProbeContext) -> None:
    for walk, cursor in _anchored(ctx):
        for param in ("starting_after", "ending_before"):
            if ctx.spec.declares(param):
                ctx.get(TAG, [walk.pair, (param, cursor), ("limit", str(LIMIT))])


def _cost(ctx: ProbeContext) -> int:
    return 2 * len(_anchored(ctx))


PROBES = (Probe("foreign-cursor", "filter", probe_foreign_cursor, cost=_cost),)


def expected_page(collection: Collection, history: History, exchange: Exchange,
                  spec: Spec | None = None) -> tuple[list[str], bool] | None:
    """(the S-sessions the page may hold, in walk order; whether that list is all of them on
    that side) for a ``status=S`` request with a cursor, read from the reference walk; None
    when the cursor is not in it. Sessions created or moved during the run are left out
    (``History``): only those that kept one status throughout are compared."""
    params = exchange.params
    found = filter_of(spec, params) if spec is not None else None
    field = found[1] if found else "status"
    status = found[2] if found else params.get("status")
    backward = "ending_before" in params
    cursor = params.get("ending_before") if backward else params.get("starting_after")
    pos = collection.position(cursor) if cursor is not None else None
    if status is None or pos is None:
        return None
    side = collection.ids[:pos] if backward else collection.ids[pos + 1:]
    kept = [i for i in history.stable(side) if i not in history.moved and collection.value_of(i, field) == status]
    return kept, backward or collection.complete


FOREIGN_CURSOR_CHECK = "filter.foreign-cursor"


def judge_foreign_cursor(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """FLT-007: each ``status=S`` page asked with a cursor of another status is refused with a 4xx,
    or holds the S-sessions right after (``ending_before``: right before) the cursor's place."""
    name = FOREIGN_CURSOR_CHECK
    exchanges = record.tagged(TAG)
    if not exchanges and not spec.filters:
        yield skipped("FLT-007", name, f"{spec.operation_key} declares no filter the suite can judge")
        return
    if not exchanges:
        yield too_little_data("FLT-007", name, "no session has sessions of another status on both sides "
                                               "of it in the walk, so no such cursor was sent")
        return
    if (lost := first_unanswered(exchanges)) is not None:
        yield unanswered("FLT-007", name, lost)
        return
    collection = Collection.from_record(record)
    history = History.of(record)
    wrong: list[Evidence] = []
    answered = refused = 0
    for exchange in exchanges:
        if is_4xx(exchange):
            refused += 1  # the first reading: such a cursor may be refused
            continue
        if exchange.page_ids is None:
            wrong.append(Evidence(f"{exchange.summary()} was neither refused nor a list page",
                                  expected="a 4xx, or the page right beside the cursor",
                                  actual=answer(exchange) if exchange.status != 200 else not_a_page(exchange),
                                  exchanges=[exchange.seq]))
            continue
        seen = expected_page(collection, history, exchange, spec)
        if seen is None:
            continue
        answered += 1
        kept, whole = seen
        got = [i for i in history.stable(exchange.page_ids) if i not in history.moved]
        backward = "ending_before" in exchange.params
        # The page holds a run of them next to the cursor, and all of them when it says it is the
        # last and is not full. How many it holds is the limit rules' concern (LIM-003, LIM-004).
        last = exchange.has_more is False and len(exchange.page_ids) < LIMIT
        if backward:
            fits = (not last or got == kept) and (not got or got == kept[len(kept) - len(got):])
        else:
            known = kept[:len(got)]
            fits = (got[:len(known)] == known and (not whole or len(got) <= len(kept))
                    and (not last or not whole or got == kept))
        if not fits:
            side = "right before" if backward else "right after"
            shown = kept[-LIMIT:] if backward else kept[:LIMIT]
            found = filter_of(spec, exchange.params)
            which = found[2] if found and found[0] == "status" else f"{found[0]}={found[2]}" if found else "filtered"
            wrong.append(Evidence(
                f"{exchange.summary()} did not answer with the {which} sessions "
                f"{side} the cursor's place in the unfiltered order",
                expected=f"a 4xx, or {capped(shown, LIMIT)}",
                actual=capped(exchange.page_ids, LIMIT + 2),
                exchanges=[exchange.seq]))
    if wrong:
        yield violated("FLT-007", name, *wrong[:5])
    elif answered or refused:
        how = ", ".join(part for part in (f"{refused} refused" if refused else "",
                                          f"{answered} answered from the cursor's place" if answered else "")
                        if part)
        yield held("FLT-007", name, f"cursors of another status under a filter: {how}", seqs(exchanges))
    else:
        yield too_little_data("FLT-007", name, "no cursor sent under a filter is in the walk")


CHECKS = (Check(FOREIGN_CURSOR_CHECK, "filter", ("FLT-007",), judge_foreign_cursor, compares=("FLT-007",)),)
