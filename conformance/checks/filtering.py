"""Filters: each filtered walk is the unfiltered walk restricted to its value.

For checkout sessions, the `status` walks (one per value). For any list operation, every filter
its document declares (conformance.checks.filters): a partition's values, an equality filter's
value seen on items and a value no item carries; the same requirement IDs, the evidence naming
the parameter (issue 24).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection, expected_pages
from conformance.checks.common import first_unanswered, is_4xx, judge_rejections, not_asked, unanswered
from conformance.checks.filters import FilterWalk, walks_asked, walks_to_ask
from conformance.checks.history import History
from conformance.checks.walks import DEFAULT_LIMIT, Walk, limit_sent, walk_forward
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, too_little_data, violated
from conformance.wording import capped, plural

# Clearly outside the enum. Left out on purpose, as lenient rather than wrong (the
# catalog's `either:` records it): "OPEN" (case-insensitive matching) and "open,complete"
# (a comma-list extension).
INVALID_STATUSES = ("pending", "cancelled", "unknown_status")
INVALID = "filter:invalid"
EMPTY = "filter:empty"


TAIL = "filter-tail"
TAIL_LIMIT = 2


def tail_tag(walk: FilterWalk) -> str:
    """The tag of the full last page asked after a filtered walk (`filter-tail:open` for status)."""
    return f"{TAIL}:{walk.value}" if walk.parameter == "status" else f"{TAIL}:{walk.tag.removeprefix('filter:')}"


def invalid_tag(parameter: str) -> str:
    return INVALID if parameter == "status" else f"{INVALID}:{parameter}"


def invalid_values(values: tuple[str, ...]) -> tuple[str, ...]:
    """Values clearly outside a partition's enum (those it happens to hold left out)."""
    return tuple(v for v in (*INVALID_STATUSES, "unknown_value") if v not in values)[:len(INVALID_STATUSES)]


def probe_filter(ctx: ProbeContext) -> None:
    # One probe, the walks in the enum's order (open first): on a live account a session that left
    # `open` before the open walk reached it is met again by a later walk (FLT-002, history.py).
    for walk_asked in walks_to_ask(ctx.spec, ctx.record):
        walk_forward(ctx, walk_asked.tag, limit=ctx.profile.filtered_limit,
                     max_pages=ctx.profile.pages_filtered, where=walk_asked.pair)
        # A full last page whatever the account's counts: the walk's last page is full only when
        # the number of S-sessions divides by the limit, and on a live account that number moves.
        # After the S-session with two more behind it, `limit=2` is full and must say has_more
        # false (FLT-003): a server computing has_more as `len(page) == limit` is met every time.
        walk = Walk.read(ctx.record, walk_asked.tag)
        ended = bool(walk.usable_pages) and walk.usable_pages[-1].has_more is False
        ids = walk.ids if ended else []
        if len(ids) > TAIL_LIMIT:
            ctx.get(tail_tag(walk_asked), [("limit", str(TAIL_LIMIT)), walk_asked.pair,
                                           ("starting_after", ids[-TAIL_LIMIT - 1])])
    for f in ctx.spec.partitions():
        for value in invalid_values(f.values):
            ctx.get(invalid_tag(f.parameter), [(f.parameter, value)])
    for f in ctx.spec.equalities():
        # An empty value: refused with a 4xx, or read as no filter (docs/family.md).
        ctx.get(f"{EMPTY}:{f.parameter}", [(f.parameter, "")])


def _cost(ctx: ProbeContext) -> int:
    walks = walks_to_ask(ctx.spec, ctx.record)
    return (sum(expected_pages(ctx, ctx.profile.filtered_limit, ctx.profile.pages_filtered, w.value, w.field)
                + _tail_expected(ctx, w) for w in walks)
            + sum(len(invalid_values(f.values)) for f in ctx.spec.partitions()) + len(ctx.spec.equalities()))


def _tail_expected(ctx: ProbeContext, walk: FilterWalk) -> int:
    """1 when the filtered walk is expected to reach its end with more than TAIL_LIMIT items
    (the tail page is asked after it), else 0."""
    collection = Collection.from_record(ctx.record)
    if not collection.complete:
        return 0
    size, limit = len(collection.restricted(walk.value, walk.field)), ctx.profile.filtered_limit or DEFAULT_LIMIT
    return int(size > TAIL_LIMIT and -(-size // limit) <= ctx.profile.pages_filtered)


PROBES = (Probe("filter", "filter", probe_filter, cost=_cost),)


WALKS_CHECK = "filter.walks"


def judge_filter(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = WALKS_CHECK
    collection = Collection.from_record(record)
    asked = walks_asked(spec, record)
    if not spec.filters:
        for req in ("FLT-001", "FLT-002", "FLT-003"):
            yield skipped(req, name, f"{spec.operation_key} declares no filter the suite can judge")
        return
    walks = [Walk.read(record, w.tag) for w in asked]
    if (lost := first_unanswered(p for w in walks for p in w.pages)) is not None:
        for req in ("FLT-001", "FLT-002", "FLT-003"):
            yield unanswered(req, name, lost)
        return
    if not any(w.pages for w in walks):
        for req in ("FLT-001", "FLT-002", "FLT-003"):
            if spec.partitions():
                yield not_asked(req, name, "no filtered walk was made", record)
            else:  # equality filters take their value from items: none listed one
                yield too_little_data(req, name, "no item listed carries a value to filter on")
        return

    # FLT-001: nothing of another value.
    strays = []
    for fw, walk in zip(asked, walks, strict=True):
        for page in walk.usable_pages:
            for item in page.json["data"]:
                if isinstance(item, dict) and item.get(fw.field) != fw.value:
                    strays.append(Evidence(
                        f"{fw.said} listed {item.get('id')} whose {fw.field} is {item.get(fw.field)!r}",
                        expected=f"only items whose {fw.field} is {fw.value!r}" if fw.parameter != "status"
                        else f"only {fw.value} sessions", actual=f"{item.get(fw.field)!r}",
                        exchanges=[page.seq]))
                    break
    broken = [w.broken_page for w in walks if w.broken_page is not None]
    strays += [Evidence(f"{b.summary()} is not a usable list", expected="200 with a list",
                        actual=f"status {b.status}", exchanges=[b.seq]) for b in broken if b]
    filtered = sum(len(p.page_ids or []) for w in walks for p in w.usable_pages)
    answered_empty = any(fw.absent and w.usable_pages for fw, w in zip(asked, walks, strict=True))
    if strays:
        yield violated("FLT-001", name, *strays[:5])
    elif not filtered and not answered_empty:
        yield too_little_data("FLT-001", name, "no filtered walk listed any session")
    else:
        yield held("FLT-001", name, f"{filtered} filtered sessions checked",
                   seqs(p for w in walks for p in w.usable_pages))

    # FLT-002: exactly the restriction, in the same order. On a live account a filtered walk may
    # differ from the unfiltered one only by sessions created meanwhile, or listed with two
    # statuses (the forward move from `open`): the comparison is made on the others. A session
    # listed in one status only kept it throughout, so it belongs to that walk (history.py).
    history = History.of(record)

    def fixed(ids: list[str]) -> list[str]:
        return [i for i in history.stable(ids) if i not in history.moved] if history.moved else history.stable(ids)

    mismatches = []
    judged = 0
    for fw, walk in zip(asked, walks, strict=True):
        expected = fixed(collection.restricted(fw.value, fw.field))
        got = fixed(walk.ids)
        ended = walk.complete or _stalled(walk)
        if not collection.complete:
            # Only the prefix the reference walk saw is known; compare that far.
            n = len(expected)
            got_known = [i for i in got if collection.position(i) is not None]
            if got_known[:n] != expected[: len(got_known[:n])] or (ended and got_known != expected):
                mismatches.append((fw, walk, expected, got))
            judged += 1
            continue
        if not expected and not got and not fw.absent:
            continue
        judged += 1
        if (ended and got != expected) or (not ended and got != expected[: len(got)]):
            mismatches.append((fw, walk, expected, got))
    if mismatches:
        fw, walk, expected, got = mismatches[0]
        last = walk.usable_pages[-1] if walk.usable_pages else None
        what = f"{fw.field} {fw.value!r}" if fw.parameter != "status" else fw.value
        yield violated("FLT-002", name, Evidence(
            f"the {fw.said} walk is not the unfiltered walk restricted to {what}",
            expected=f"{plural(len(expected), 'session')} in walk order",
            actual=f"{plural(len(got), 'session')}: {_difference(expected, got)}",
            exchanges=[last.seq] if last else []))
    elif judged:
        yield held("FLT-002", name, f"{judged} filtered walks compared with the unfiltered walk",
                   seqs(p for w in walks for p in w.usable_pages if p.page_ids))
    else:
        yield too_little_data("FLT-002", name, "no status has any session to filter")

    # FLT-003: size, fullness and exact has_more on the filtered collection (the walks' pages and
    # the full last page asked after each walk).
    problems = []
    for fw, walk in zip(asked, walks, strict=True):
        expected = collection.restricted(fw.value, fw.field)
        tail = [e for e in record.tagged(tail_tag(fw)) if e.page_ids is not None]
        for page in [*walk.usable_pages, *tail]:
            if history.live and page.page_ids:
                # The live reading knows status moves only (CONTRACT.md, a live collection).
                problems += _live_has_more(fw.value, page, collection, history) if fw.field == "status" else []
            ids = page.page_ids or []
            limit = limit_sent(page) or 0
            if len(ids) > limit or (page.has_more is True and len(ids) != limit):
                problems.append(Evidence(
                    f"a {fw.said} page held {plural(page.items_listed or len(ids), 'session')} "
                    f"with has_more {page.has_more}",
                    expected=f"at most {limit}, exactly {limit} when has_more is true",
                    actual=str(page.items_listed or len(ids)), exchanges=[page.seq]))
            if collection.complete and ids and ids[-1] in expected and not history.live:
                more = expected.index(ids[-1]) + 1 < len(expected)
                if page.has_more is not more:
                    problems.append(Evidence(
                        f"a {fw.said} page said has_more {page.has_more}",
                        expected=f"has_more: {str(more).lower()}",
                        actual=f"has_more: {str(page.has_more).lower()}", exchanges=[page.seq]))
            if fw.absent and collection.complete and not ids and page.has_more is True:
                problems.append(Evidence(
                    f"a {fw.said} page, a value no item carries, said has_more true",
                    expected="has_more: false", actual="has_more: true", exchanges=[page.seq]))
    if problems:
        yield violated("FLT-003", name, *problems[:5])
    elif not filtered:
        yield too_little_data("FLT-003", name, "no filtered walk listed any session")
    else:
        yield held("FLT-003", name, f"{filtered} filtered sessions on pages of the right size",
                   seqs(p for w in walks for p in w.usable_pages))


def _stalled(walk: Walk) -> bool:
    """The walk cannot go on: its last page is an empty list that says `has_more: true` (a filter
    applied after the page was cut). A client's filtered walk ends there, with what it listed, so
    the walk is compared as a whole (FLT-002), not as a prefix cut by the page budget."""
    pages = walk.usable_pages
    return (bool(pages) and len(pages) == len(walk.pages) and pages[-1].page_ids == []
            and pages[-1].has_more is True)


def _live_has_more(status: str, page: Exchange, collection: Collection, history: History) -> list[Evidence]:
    """has_more of a filtered page on a live account. `false` while a session that kept `status`
    throughout follows is wrong; `true` needs a follower that has the status now or may have
    gained it (listed with it somewhere, after a move), or a place where new sessions join."""
    last = (page.page_ids or [])[-1]
    pos = collection.position(last)
    if pos is None or history.excluded(last) or not collection.complete:
        return []
    later = history.stable(collection.ids[pos + 1:])
    kept = [i for i in later if i not in history.moved and collection.status_of(i) == status]
    maybe = [i for i in later if i in history.moved and history.seen_with(i, status)]
    second = history.created.get(last)
    at_head = history.oldest_head is not None and isinstance(second, int) and second >= history.oldest_head
    if page.has_more is False and kept:
        return [Evidence(f"a status={status} page said has_more false although {kept[0]} ({status} throughout) "
                         "follows", expected="has_more: true", actual="has_more: false", exchanges=[page.seq])]
    if page.has_more is True and not kept and not maybe and not at_head:
        return [Evidence(f"a status={status} page said has_more true but no {status} session follows it",
                         expected="has_more: false", actual="has_more: true", exchanges=[page.seq])]
    return []


INVALID_CHECK = "filter.invalid"


def judge_invalid(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """FLT-004/005: a partition value outside its enum is refused (a 400 naming the parameter);
    an equality filter's empty value is refused with a 4xx, or read as no filter (docs/family.md)."""
    name = INVALID_CHECK
    if not spec.filters:
        for req in ("FLT-004", "FLT-005"):
            yield skipped(req, name, f"{spec.operation_key} declares no filter the suite can judge")
        return
    for f in spec.partitions():
        what = "an unknown status" if f.parameter == "status" else f"an unknown {f.parameter}"
        yield from judge_rejections(name, record.tagged(invalid_tag(f.parameter)), "FLT-004", "FLT-005",
                                    f.parameter, what, record=record)
    for f in spec.equalities():
        yield from _judge_empty(name, record, f.parameter)


def _judge_empty(name: str, record: Record, parameter: str) -> Iterable[Outcome]:
    """An empty ``parameter=``: a 4xx (then FLT-005 judges its shape), or a 200 whose page is the
    unfiltered first page at the default limit (the `walk:default` page, asked the same way)."""
    sent = record.tagged(f"{EMPTY}:{parameter}")
    what = f"an empty {parameter}"
    refused = [e for e in sent if is_4xx(e)]
    if not sent or first_unanswered(sent) is not None:
        yield from judge_rejections(name, sent, "FLT-004", "FLT-005", parameter, what, record=record)
        return
    if refused:
        yield from judge_rejections(name, refused, "FLT-004", "FLT-005", parameter, what, record=record)
    unfiltered = next((e for e in record.tagged("walk:default") if e.page_ids is not None
                       and "starting_after" not in e.params), None)
    history = History.of(record)
    wrong = []
    for exchange in sent:
        if is_4xx(exchange):
            continue
        if exchange.page_ids is None or unfiltered is None or not history.pages_agree(exchange, unfiltered):
            wrong.append(Evidence(
                f"{exchange.summary()} was neither refused nor read as no filter",
                expected="a 4xx, or the unfiltered first page" + (f" ({unfiltered.summary()})" if unfiltered else ""),
                actual=f"status {exchange.status}" if exchange.page_ids is None
                else " ".join(exchange.page_ids) or "an empty page",
                exchanges=[exchange.seq] + ([unfiltered.seq] if unfiltered else [])))
    if wrong:
        yield violated("FLT-004", name, *wrong[:3])
        if not refused:
            yield skipped("FLT-005", name, f"{what} was not refused, so no refusal's shape to judge")
    elif not refused:
        shown = [*sent, *([unfiltered] if unfiltered else [])]
        yield held("FLT-004", name, f"{what} was read as no filter", seqs(shown))
        yield skipped("FLT-005", name, f"{what} was not refused, so no refusal's shape to judge")


CHECKS = (
    Check(WALKS_CHECK, "filter", ("FLT-001", "FLT-002", "FLT-003"), judge_filter,
          compares=("FLT-002", "FLT-003")),
    Check(INVALID_CHECK, "filter", ("FLT-004", "FLT-005"), judge_invalid),
)


def _difference(expected: list[str], got: list[str]) -> str:
    """How ``got`` differs from ``expected``, naming only what is really there: missing ids,
    extra ids, ids listed more than once; else "the same sessions in another order"."""
    got_set, expected_set = set(got), set(expected)
    parts = []
    if missing := [i for i in expected if i not in got_set]:
        parts.append(f"missing {capped(missing, 5, ', ')}")
    if extra := [i for i in dict.fromkeys(got) if i not in expected_set]:
        parts.append(f"extra {capped(extra, 5, ', ')}")
    if repeated := [i for i, n in Counter(got).items() if n > 1]:
        parts.append(f"listed more than once {capped(repeated, 5, ', ')}")
    return "; ".join(parts) or "the same sessions in another order"
