"""limit: the default, the accepted range, page fullness, and what must be rejected."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.common import (
    first_unanswered,
    judge_refusal_shape,
    judge_refused,
    not_a_page,
    not_asked,
    unanswered,
    unless_cut_short,
)
from conformance.checks.history import History
from conformance.checks.pagination import BACKWARD_WALK, FORWARD_WALKS
from conformance.checks.walks import cursor_sent, limit_bounds, limit_sent
from conformance.exchange import Exchange
from conformance.profiles import limits_to_try
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, too_little_data, violated
from conformance.wording import plural

# Past 64 bits too: a server that parses into an int64 before its range check must still refuse.
OUT_OF_RANGE = ("0", "-1", "101", "1000", "99999999999999999999")
# Exponent notation is no integer either (`1e1`, read by a float parser as 10).
NOT_INTEGERS = ("abc", "1.5", "", "1e1")


def accepted_limits(ctx: ProbeContext) -> list[int]:
    """The profile's limits to try, within the operation's bounds, both bounds included (checkout
    sessions: 1 and 100, as always)."""
    low, high, _default = limit_bounds(ctx.spec)
    tried = limits_to_try(ctx.profile)
    if (low, high) == (1, 100):
        return tried
    return sorted({low, high, *(n for n in tried if low <= n <= high)})


def out_of_range(spec: Spec) -> tuple[str, ...]:
    """Limits outside the operation's bounds (checkout sessions: OUT_OF_RANGE)."""
    low, high, _default = limit_bounds(spec)
    if (low, high) == (1, 100):
        return OUT_OF_RANGE
    return tuple(dict.fromkeys((str(low - 1), "-1", str(high + 1), str(high * 10), OUT_OF_RANGE[-1])))


def probe_limits(ctx: ProbeContext) -> None:
    for limit in accepted_limits(ctx):
        ctx.get("limit:accept", [("limit", str(limit))])
    for value in out_of_range(ctx.spec):
        ctx.get("limit:range", [("limit", value)])
    for value in NOT_INTEGERS:
        ctx.get("limit:type", [("limit", value)])


PROBES = (Probe("limits", "limit", probe_limits,
                cost=lambda ctx: len(accepted_limits(ctx)) + len(out_of_range(ctx.spec)) + len(NOT_INTEGERS),
                reads_record=False),)


def _pages_with_valid_limit(record: Record) -> list[Exchange]:
    """200 list pages asked with no limit or an integer limit the suite meant as valid."""
    return [
        e for e in record
        if e.page_ids is not None and not e.tag.startswith(("limit:range", "limit:type", "generated"))
        and (limit_sent(e) or 0) >= 1
    ]


DEFAULT_CHECK = "limit.default"


def judge_default(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = DEFAULT_CHECK
    collection = Collection.from_record(record)
    pages = [e for e in record if e.page_ids is not None and "limit" not in e.params
             and not e.tag.startswith("generated") and not e.tag.startswith("auth")]
    if not pages:
        yield not_asked("LIM-001", name, "no page without `limit` was answered", record)
        return
    default = limit_bounds(spec)[2]
    if collection.complete and len(collection) <= default:
        yield too_little_data("LIM-001", name, f"the target lists {plural(len(collection), 'session')}; telling a "
                              f"default page of {default} from 'everything' needs more than {default}")
        return
    # On a live account, sessions created meanwhile may take places on a page: the page holds
    # min(10, remaining) with them counted, and the others are the sessions that existed throughout.
    history = History.of(record)
    judged: list[Exchange] = []
    for page in pages:
        cursor = cursor_sent(page)
        if "ending_before" in page.params or "status" in page.params or any(
                f.parameter in page.params for f in spec.filters):
            continue
        remaining = (collection.ids if cursor is None else collection.after(cursor, 10**9) or [])
        if cursor is not None and (collection.position(cursor) is None or history.excluded(cursor)):
            continue
        if cursor is not None and page.page_ids and page.page_ids[:1] != collection.after(cursor, 1):
            continue  # the page does not start right after its cursor: PAG-004's finding, not the default's
        known = collection.complete or len(remaining) >= default
        if not known:
            continue
        ids = page.page_ids or []
        newcomers = history.young_in(ids)
        expected = newcomers + min(default - newcomers, len(history.stable(remaining)))
        judged.append(page)
        if len(ids) != expected:
            yield violated("LIM-001", name, Evidence(
                f"without `limit` the page held {plural(listed(page), 'session')}",
                expected=f"min({default}, {len(remaining)} remaining) = {expected}",
                actual=str(listed(page)), exchanges=[page.seq]))
            return
    yield held("LIM-001", name, f"{plural(len(judged), 'page')} checked", seqs(judged)) if judged else too_little_data(
        "LIM-001", name, "the collection could not be seen far enough to know what a default page holds")


ACCEPTED_CHECK = "limit.accepted"


def judge_accepted(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = ACCEPTED_CHECK
    tried = record.tagged("limit:accept")
    collection = Collection.from_record(record)
    history = History.of(record)
    existed = len(history.stable(collection.ids))  # sessions created meanwhile may join a page
    if (lost := first_unanswered(tried)) is not None or not tried:
        yield unanswered("LIM-002", name, lost) if lost else not_asked("LIM-002", name, "no limit was tried", record)
    else:
        refused = [e for e in tried if e.page_ids is None]
        wrong_size = [
            e for e in tried if e.page_ids is not None and (collection.complete or len(collection) >= 100)
            and len(e.page_ids) != min(limit_sent(e) or 0, existed + history.young_in(e.page_ids))
        ]
        evidence = [Evidence(f"limit={e.params['limit']} was not answered with a list page",
                             expected="200 with a list page", actual=not_a_page(e), exchanges=[e.seq])
                    for e in refused]
        evidence += [Evidence(
            f"limit={e.params['limit']} returned {plural(listed(e), 'session')}",
            expected=f"min(limit, {plural(len(collection), 'session')}) = {min(limit_sent(e) or 0, len(collection))}",
            actual=str(listed(e)), exchanges=[e.seq]) for e in wrong_size]
        yield violated("LIM-002", name, *evidence) if evidence else held(
            "LIM-002", name, f"limits {', '.join(e.params['limit'] for e in tried)} accepted", seqs(tried))

    pages = _pages_with_valid_limit(record)
    over = [e for e in pages if len(e.page_ids or []) > (limit_sent(e) or 0)]
    # A page the limit did not bind (fewer items than asked for) shows nothing about LIM-003.
    bound = [e for e in pages if len(e.page_ids or []) == limit_sent(e)]
    if over:
        yield violated("LIM-003", name, *[Evidence(
            f"a page asked for {limit_sent(e)} sessions held {listed(e)}",
            expected=f"at most {limit_sent(e)}", actual=str(listed(e)), exchanges=[e.seq])
            for e in over[:5]])
    elif not pages:
        yield not_asked("LIM-003", name, "no page was answered", record)
    elif not bound:
        yield too_little_data("LIM-003", name, "no page held as many sessions as its limit")
    else:
        yield held("LIM-003", name, f"{plural(len(pages), 'page')} checked, {len(bound)} full", seqs(bound))

    short = [e for e in pages if e.has_more is True and len(e.page_ids or []) != limit_sent(e)]
    full_pages = [e for e in pages if e.has_more is True]
    # The walks, forward and backward, and the cursor probe's pages (limit 5, both directions) are
    # where pages say has_more: true in every profile; a run cut before they ended has not shown them all.
    walks = [record.tagged(tag) for tag in (*FORWARD_WALKS, BACKWARD_WALK)
             if tag != BACKWARD_WALK or spec.declares("ending_before")]
    walks.append(record.tagged("cursor:after") + record.tagged("cursor:before"))
    yield unless_cut_short(violated("LIM-004", name, *[Evidence(
        f"a page with has_more true held {plural(listed(e), 'session')}, not {limit_sent(e)}",
        expected=f"exactly {limit_sent(e)}", actual=str(listed(e)), exchanges=[e.seq])
        for e in short[:5]]) if short else (held("LIM-004", name, f"{plural(len(full_pages), 'page')} checked",
                                                 seqs(full_pages))
                                            if full_pages
                                            else too_little_data("LIM-004", name, "no page said has_more: true")),
                           record, "the walks or the cursor probe", *walks)


REJECTED_CHECK = "limit.rejected"


def listed(page: Exchange) -> int:
    """The sessions a list page holds, for evidence: all of them, also past what judging keeps
    of a very wide page (conformance.exchange.ITEMS_JUDGED)."""
    return page.items_listed or len(page.page_ids or [])


def judge_rejected(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = REJECTED_CHECK
    out_of_range, not_integers = record.tagged("limit:range"), record.tagged("limit:type")
    yield judge_refused(name, out_of_range, "LIM-005", "an out-of-range limit", record=record)
    yield judge_refused(name, not_integers, "LIM-006", "a non-integer limit", record=record)
    yield judge_refusal_shape(name, out_of_range + not_integers, "LIM-007", "limit", "an invalid limit",
                              record=record)


CHECKS = (
    Check(DEFAULT_CHECK, "limit", ("LIM-001",), judge_default, compares=("LIM-001",)),
    Check(ACCEPTED_CHECK, "limit", ("LIM-002", "LIM-003", "LIM-004"), judge_accepted, compares=("LIM-002",)),
    Check(REJECTED_CHECK, "limit", ("LIM-005", "LIM-006", "LIM-007"), judge_rejected),
)
