"""Cursors and order: walks at several page sizes, both directions, targeted cursors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection, expected_pages, pages_holding
from conformance.checks.common import (
    answer,
    first_unanswered,
    is_4xx,
    is_error_object,
    lacking,
    not_a_page,
    not_asked,
    run_cut,
    unanswered,
    unless_cut_short,
)
from conformance.checks.history import History
from conformance.checks.walks import (
    NEXT_CURSOR_WALK,
    REFERENCE_WALK,
    Walk,
    cursor_sent,
    largest_page,
    limit_sent,
    walk_backward,
    walk_forward,
)
from conformance.exchange import Exchange
from conformance.profiles import Profile
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, Unjudged, held, inconclusive, seqs, too_little_data, violated
from conformance.wording import capped, plural

FORWARD_WALKS = (REFERENCE_WALK, "walk:7", "walk:1", "walk:default")
BACKWARD_WALK = "walk:back:7"
CURSOR_LIMIT = 5


# -- probes -----------------------------------------------------------------------------------
def probe_reference_walk(ctx: ProbeContext) -> None:
    # Alone and first: the other probes pick their cursors from what it saw.
    walk_forward(ctx, REFERENCE_WALK, limit=largest_page(ctx.spec), max_pages=ctx.profile.pages_limit_100)


def _pages_7(profile: Profile) -> int:
    return profile.pages_limit_7


def _pages_1(profile: Profile) -> int:
    return profile.pages_limit_1


def _pages_default(profile: Profile) -> int:
    return profile.pages_default


def _forward_walk(tag: str, limit: int | None, budget: Callable[[Profile], int]) -> Probe:
    """A probe walking forward at one page size: each walk is its own probe, so the walks
    at other page sizes go side by side with the rest (conformance.run.lanes)."""
    def probe(ctx: ProbeContext) -> None:
        walk_forward(ctx, tag, limit=limit, max_pages=budget(ctx.profile))
    return Probe(tag, "pagination", probe, cost=lambda ctx: expected_pages(ctx, limit, budget(ctx.profile)))


def _backward_pages(ctx: ProbeContext) -> int:
    # The sessions before the reference walk's last one, 7 a page: known even on a large target.
    if not ctx.spec.declares("ending_before"):
        return 0
    before = len(Collection.from_record(ctx.record).ids) - 1
    return pages_holding(before, 7, ctx.profile.pages_limit_7) if before > 0 else 0


def _cursor_pages(ctx: ProbeContext) -> int:
    ids = Collection.from_record(ctx.record).ids
    return 2 * min(len(set(ids)), ctx.profile.cursor_samples + 4) if len(ids) >= 2 else 0


def probe_backward_walk(ctx: ProbeContext) -> None:
    ids = Collection.from_record(ctx.record).ids
    if len(ids) < 2 or not ctx.spec.declares("ending_before"):  # an operation without it: not asked
        return
    # Start from the last item the reference walk saw: on a large target that is the
    # far end of the sampled prefix, so the backward walk covers the same ground.
    walk_backward(ctx, BACKWARD_WALK, limit=7, before=ids[-1], max_pages=ctx.profile.pages_limit_7)


def probe_cursors(ctx: ProbeContext) -> None:
    collection = Collection.from_record(ctx.record)
    ids = collection.ids
    if len(ids) < 2:
        return
    picks = {ids[0], ids[1], ids[-1], ids[len(ids) // 2]}
    if collection.complete and len(ids) > CURSOR_LIMIT:
        # The edges as full pages: `starting_after` the one that leaves exactly one page to the
        # end, `ending_before` the one that leaves exactly one page to the head. A full last page
        # is where `has_more = len(page) == limit` shows (PAG-007/008), whatever the walks' page
        # sizes make of the account's size, in every profile.
        picks |= {ids[-CURSOR_LIMIT - 1], ids[CURSOR_LIMIT]}
    for group in collection.tie_groups()[:2]:
        picks.add(group[0])
    # Distinct ids bound the loop: a target that repeats ids must not make it spin forever.
    while len(picks) < min(len(set(ids)), ctx.profile.cursor_samples + 4):
        picks.add(ctx.rng.choice(ids))
    backward = ctx.spec.declares("ending_before")
    for item_id in sorted(picks, key=ids.index):
        ctx.get("cursor:after", [("limit", str(CURSOR_LIMIT)), ("starting_after", item_id)])
        if backward:
            ctx.get("cursor:before", [("limit", str(CURSOR_LIMIT)), ("ending_before", item_id)])


def probe_bad_cursors(ctx: ProbeContext) -> None:
    unknown = f"cs_conformance_unknown_{ctx.rng.getrandbits(32):08x}"
    ctx.get("cursor:unknown", [("starting_after", unknown)])
    if not ctx.spec.declares("ending_before"):  # neither it nor both cursors mean anything there
        return
    ctx.get("cursor:unknown", [("ending_before", unknown)])
    ids = Collection.from_record(ctx.record).ids
    a, b = (ids[0], ids[-1]) if ids else (unknown, unknown)
    ctx.get("cursor:both", [("starting_after", a), ("ending_before", b)])


PROBES = (
    Probe(REFERENCE_WALK, "pagination", probe_reference_walk, order="first"),
    _forward_walk("walk:7", 7, _pages_7),
    _forward_walk("walk:1", 1, _pages_1),
    _forward_walk("walk:default", None, _pages_default),
    Probe("walk:back", "pagination", probe_backward_walk, cost=_backward_pages),
    Probe("cursors", "pagination", probe_cursors, cost=_cursor_pages),
    Probe("bad-cursors", "pagination", probe_bad_cursors, cost=lambda _ctx: 3),
)


# -- judgements -------------------------------------------------------------------------------
def _unanswered(walks: Iterable[Walk]) -> Exchange | None:
    for walk in walks:
        if (page := walk.unanswered) is not None:
            return page
    return None


WALKS_CHECK = "pagination.walks"


def judge_walks(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """PAG-001/002/003/006/009/010 over the forward and backward walks."""
    name = WALKS_CHECK
    walks = [Walk.read(record, tag) for tag in FORWARD_WALKS]
    backward = Walk.read(record, BACKWARD_WALK, backward=True)
    reference = walks[0]
    collection = Collection.from_record(record)
    if (lost := _unanswered([*walks, backward])) is not None:
        for req in ("PAG-001", "PAG-002", "PAG-003", "PAG-006", "PAG-009", "PAG-010"):
            yield unanswered(req, name, lost)
        return
    if (broken := next((w.broken_page for w in walks if w.broken_page), None)) is not None:
        # The target answered, but not with a list: the walk cannot visit every item (a
        # cursor the target itself handed out was refused, or the page is not a list).
        refused = cursor_sent(broken) if is_4xx(broken) else None
        why = (f": the server refused {refused}, an id it had just listed, as a cursor (PAG-016)"
               if refused in History.of(record).created else "")
        yield violated("PAG-001", name, Evidence(
            f"the walk stopped at {broken.summary()}, which is not a list page{why}",
            expected="200 with a list for every cursor taken from the previous page",
            actual=f"status {broken.status}, body {broken.body[:120]!r}", exchanges=[broken.seq]))
        reason = f"a walk page was not a usable list: {broken.summary()}"
        for req in ("PAG-002", "PAG-003", "PAG-006", "PAG-009", "PAG-010"):
            yield inconclusive(req, name, reason)
        return
    if len(reference.ids) < 2 and reference.complete:
        reason = f"the target lists {plural(len(reference.ids), 'session')}; a walk across pages needs two or more"
        for req in ("PAG-001", "PAG-002", "PAG-003", "PAG-006", "PAG-009", "PAG-010"):
            yield too_little_data(req, name, reason)
        return

    # PAG-009: endless pagination.
    next_cursor_walk = Walk.read(record, NEXT_CURSOR_WALK)
    cycling = [w for w in [*walks, backward, next_cursor_walk] if w.cycled]
    if cycling:
        w = cycling[0]
        yield violated("PAG-009", name, Evidence(
            f"the {w.name} came back to a cursor it had already followed while has_more stayed true",
            expected="every cursor leads to pages not seen before, until has_more is false",
            actual=f"cursor {cursor_sent(w.pages[-1], _cursor_param(w))!r} led back to a page already seen",
            exchanges=[p.seq for p in w.pages[-2:]]))
    else:
        followed = [p for w in [*walks, backward, next_cursor_walk] for p in w.pages]
        yield held("PAG-009", name, f"{plural(len(followed), 'page')} followed to their end or the page budget",
                   seqs(followed))

    # PAG-001: exactly once within each forward walk, and nothing one walk has that another lacks.
    # PAG-001 is the forward walk's rule (starting_after): a backward walk that repeats is PAG-005's
    # and PAG-006's finding, and a server whose starting_after is right must not be told otherwise.
    pag001: list[Evidence] = []
    for walk in walks:
        dupes = sorted(i for i, n in Counter(walk.ids).items() if n > 1)
        if dupes:
            pages = [p.seq for p in walk.usable_pages if set(p.page_ids or []) & set(dupes)]
            pag001.append(Evidence(
                f"the {walk.name} listed {dupes[0]} more than once",
                expected="every item exactly once",
                actual=f"{plural(len(dupes), 'duplicated id')}: {capped(dupes, 5, ', ')}",
                exchanges=pages[:4]))
    # Between walks, only the sessions that existed throughout are compared (history.py).
    history = History.of(record)
    stable = [_Stable.of(w, history) for w in walks]
    for seen in stable[1:]:
        missing = _gap(stable[0], seen)
        if missing:
            pag001.append(missing)
    walked = [p for w in walks for p in w.usable_pages]
    yield violated("PAG-001", name, *pag001) if pag001 else held(
        "PAG-001", name, f"{plural(len(reference.ids), 'session')} walked, by {len(walks)} forward walks", seqs(walked))

    # PAG-002: same order whatever the page size.
    pag002 = [e for w in stable[1:] if (e := _order_disagreement(stable[0], w))]
    yield violated("PAG-002", name, *pag002) if pag002 else held(
        "PAG-002", name, f"{len(walks)} forward walks of different page sizes agree",
        seqs(p for w in walks for p in w.usable_pages))

    # PAG-003: ties are where unstable ordering shows.
    yield _judge_ties(name, collection, [*walks, backward])

    # PAG-006: the backward walk visits the same sequence.
    yield from _judge_backward(name, stable[0], backward, history, record)

    # PAG-010: newest first.
    created = [collection.created_of(i) for i in reference.ids]
    for index in range(1, len(created)):
        a, b = created[index - 1], created[index]
        if isinstance(a, int) and isinstance(b, int) and b > a:
            page = _page_holding(reference, reference.ids[index])
            yield violated("PAG-010", name, Evidence(
                f"{reference.ids[index]} (created {b}) is listed after {reference.ids[index - 1]} (created {a})",
                expected="`created` descending (newest first)", actual="an older session listed before a newer one",
                exchanges=[page.seq] if page else []))
            break
    else:
        yield held("PAG-010", name, f"{plural(len(created), 'session')} in `created` order",
                   seqs(reference.usable_pages)) if len(created) > 1 else lacking(
            "PAG-010", name, "fewer than two sessions: order cannot be judged", record)


@dataclass
class _Stable:
    """A walk seen through the history: its ids without sessions created meanwhile (or changed
    outside the model). On a quiet record, exactly the walk."""

    tag: str
    ids: list[str]
    complete: bool
    usable_pages: list[Exchange]
    name: str  # how a sentence names the walk (Walk.name)

    @classmethod
    def of(cls, walk: Walk, history: History) -> _Stable:
        return cls(walk.tag, history.stable(walk.ids), walk.complete, walk.usable_pages, walk.name)


def _cursor_param(walk: Walk) -> str:
    return "ending_before" if walk.backward else "starting_after"


def _judge_ties(name: str, collection: Collection, walks: list[Walk]) -> Outcome:
    """Every walk puts the sessions of one `created` second in the same order."""
    ties = collection.tie_groups()
    if not ties:
        return too_little_data("PAG-003", name,
                               "no two sessions seen share a `created` second, so tie order cannot be tested")
    reference = walks[0]
    # Each walk is read once into per-group orders: linear in the ids walked, not groups times ids.
    group_of = {item_id: k for k, group in enumerate(ties) for item_id in group}
    expected_orders = _tie_orders(reference, group_of, len(ties))
    other_orders = [(walk, _tie_orders(walk, group_of, len(ties))) for walk in walks[1:]]
    for k, group in enumerate(ties):
        expected = expected_orders[k]
        for walk, orders in other_orders:
            got = orders[k]
            got_set = set(got)
            common = [i for i in expected if i in got_set]
            common_set = set(common)
            got_common = [i for i in got if i in common_set]
            if common != got_common:
                page = _page_holding(walk, got_common[0]) if got_common else None
                return violated("PAG-003", name, Evidence(
                    f"sessions created in the same second ({collection.created_of(group[0])}) come in another "
                    f"order in the {walk.name} than in the {reference.name}",
                    expected=" ".join(common), actual=" ".join(got_common),
                    exchanges=[page.seq] if page else []))
    tied = {i for group in ties for i in group}
    return held("PAG-003", name, f"{plural(len(ties), 'group')} of tied sessions walked",
                seqs(p for w in walks for p in w.usable_pages if tied & set(p.page_ids or [])))


def _tie_orders(walk: Walk, group_of: dict[str, int], groups: int) -> list[list[str]]:
    """For each tie group, its members in the order the walk first lists them."""
    orders: list[list[str]] = [[] for _ in range(groups)]
    seen: set[str] = set()
    for item_id in walk.ids:
        k = group_of.get(item_id)
        if k is not None and item_id not in seen:
            seen.add(item_id)
            orders[k].append(item_id)
    return orders


def _page_holding(walk: Walk | _Stable, item_id: str) -> Exchange | None:
    return next((p for p in walk.usable_pages if item_id in (p.page_ids or [])), None)


def _comparable(a: _Stable, b: _Stable) -> int:
    """How many leading items two walks must agree on."""
    if a.complete and b.complete:
        return max(len(a.ids), len(b.ids))
    return min(len(a.ids), len(b.ids))


def _gap(reference: _Stable, other: _Stable) -> Evidence | None:
    n = _comparable(reference, other)
    ref, oth = reference.ids[:n], other.ids[:n]
    if reference.complete and other.complete and len(reference.ids) != len(other.ids):
        longer, shorter = (reference, other) if len(reference.ids) > len(other.ids) else (other, reference)
        shorter_ids = set(shorter.ids)
        lost = [i for i in longer.ids if i not in shorter_ids]
        where = _page_holding(longer, lost[0]) if lost else None
        return Evidence(
            f"the {shorter.name} saw {plural(len(shorter.ids), 'session')} but the {longer.name} saw {len(longer.ids)}",
            expected="every walk visits the whole collection",
            actual=f"missing from the {shorter.name}: {capped(lost, 5, ', ') if lost else '(duplicates instead)'}",
            exchanges=[where.seq] if where else [])
    ref_set, oth_set = set(ref), set(oth)
    missing = [i for i in ref if i not in oth_set]
    extra = [i for i in oth if i not in ref_set]
    # Items that only moved across the cut-off of a partial walk are order, not gaps.
    if not (reference.complete and other.complete):
        other_all, reference_all = set(other.ids), set(reference.ids)
        missing = [i for i in missing if i not in other_all]
        extra = [i for i in extra if i not in reference_all]
    if not missing and not extra:
        return None
    first = missing[0] if missing else extra[0]
    holder = _page_holding(reference if missing else other, first)
    return Evidence(
        f"the {other.name} skipped {first}, which the {reference.name} listed"
        if missing else f"the {other.name} listed {first}, which the {reference.name} never saw",
        expected="walks at every page size visit the same items",
        actual=f"missing: {', '.join(missing[:5]) or '-'}; extra: {', '.join(extra[:5]) or '-'}",
        exchanges=[holder.seq] if holder else [])


def _order_disagreement(reference: _Stable, other: _Stable) -> Evidence | None:
    n = _comparable(reference, other)
    ref, oth = reference.ids[:n], other.ids[:n]
    for index, (a, b) in enumerate(zip(ref, oth, strict=False)):
        if a != b:
            page = _page_holding(other, b)
            return Evidence(
                f"at position {index + 1} the {reference.name} has {a} but the {other.name} has {b}",
                expected="one order whatever the page size",
                actual=f"{reference.name}: {' '.join(ref[max(0, index - 1):index + 3])} / "
                       f"{other.name}: {' '.join(oth[max(0, index - 1):index + 3])}",
                exchanges=[page.seq] if page else [])
    return None


def _judge_backward(name: str, reference: _Stable, backward: Walk, history: History,
                    record: Record) -> Iterable[Outcome]:
    if not backward.pages:
        yield lacking("PAG-006", name, "fewer than two sessions: no backward walk possible", record)
        return
    if (broken := backward.broken_page) is not None:
        yield violated("PAG-006", name, Evidence(
            "a backward page was not a usable list", expected="200 with a list",
            actual=f"{broken.status}", exchanges=[broken.seq]))
        return
    start = cursor_sent(backward.pages[0], "ending_before")
    pos = reference.ids.index(start) if start in reference.ids else None
    expected = reference.ids[:pos] if pos is not None else None
    # A backward walk that climbs to the head also lists the sessions created meanwhile.
    got = history.stable(backward.ids)
    if expected is None:
        yield inconclusive("PAG-006", name, "the backward walk started from an id the reference walk did not see")
        return
    if backward.complete and got == expected:
        yield held("PAG-006", name, f"{plural(len(got), 'session')} walked backward", seqs(backward.usable_pages))
        return
    # An empty page that says has_more is no walk at all: only a non-empty suffix counts.
    if not backward.complete and got and got == expected[len(expected) - len(got):]:
        yield held("PAG-006", name, f"{plural(len(got), 'session')} walked backward (page budget reached)",
                   seqs(backward.usable_pages))
        return
    first_diff = next((k for k, (a, b) in enumerate(zip(reversed(expected), reversed(got), strict=False)) if a != b),
                      min(len(expected), len(got)))
    pages = backward.usable_pages
    page = pages[min(first_diff // 7, len(pages) - 1)] if pages else None
    yield violated("PAG-006", name, Evidence(
        f"walking backward from {start} gave {plural(len(got), 'session')}; "
        f"the forward walk has {len(expected)} before it",
        expected=f"...{' '.join(expected[-4:])}" if expected else "(nothing)",
        actual=f"...{' '.join(got[-4:])}" if got else "(nothing)",
        exchanges=[page.seq] if page else []))


CURSORS_CHECK = "pagination.cursors"


def judge_cursors(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """PAG-004/005/007/008: targeted cursors and has_more in both directions."""
    name = CURSORS_CHECK
    collection = Collection.from_record(record)
    after = record.tagged("cursor:after")
    before = record.tagged("cursor:before")
    if len(collection) < 2:
        for req in ("PAG-004", "PAG-005", "PAG-007", "PAG-008"):
            yield lacking(req, name, "fewer than two sessions: cursors cannot be tested", record)
        return
    history = History.of(record)
    # The cursor probe asks its cursors, after and before each, in every profile: cut short, it has
    # not asked the ones a pass rests on.
    yield unless_cut_short(_judge_targeted("PAG-004", name, after, "starting_after",
                                           stable_after(collection, history), history, record),
                           record, "the cursor probe", after + before)
    yield unless_cut_short(_judge_targeted("PAG-005", name, before, "ending_before",
                                           stable_before(collection, history), history, record),
                           record, "the cursor probe", after + before)

    forward_pages = [p for tag in FORWARD_WALKS for p in record.tagged(tag)] + after
    yield _judge_has_more("PAG-007", name, forward_pages, collection, history, record, backward=False)
    backward_walk = record.tagged(BACKWARD_WALK)
    yield _judge_has_more("PAG-008", name, backward_walk + before, collection, history, record, backward=True)


Truth = Callable[[str, int], "list[str] | None"]


def stable_after(collection: Collection, history: History) -> Truth:
    """(cursor, count) -> the `count` sessions that existed throughout, right after the cursor in the
    reference walk; None when the cursor is not among them or the walk did not see that far."""
    if not history.young:
        return collection.after

    def after(cursor: str, count: int) -> list[str] | None:
        pos = collection.position(cursor)
        if pos is None or history.excluded(cursor):
            return None
        chunk = history.stable(collection.ids[pos + 1:])[:count]
        return None if len(chunk) < count and not collection.complete else chunk

    return after


def stable_before(collection: Collection, history: History) -> Truth:
    """As :func:`stable_after`, for the `count` sessions right before the cursor."""
    if not history.young:
        return collection.before

    def before(cursor: str, count: int) -> list[str] | None:
        pos = collection.position(cursor)
        if pos is None or history.excluded(cursor):
            return None
        earlier = history.stable(collection.ids[:pos])
        return earlier[max(0, len(earlier) - count):]

    return before


def _judge_targeted(req: str, name: str, pages: list[Exchange], param: str, truth: Truth,
                    history: History, record: Record) -> Outcome:
    """Each page holds the sessions right after (before) its cursor. Sessions created meanwhile
    may take some of its places (only next to the head); the others hold the sessions that
    existed throughout, in order."""
    judged: list[Exchange] = []
    for page in pages:
        if not page.judgeable:
            return unanswered(req, name, page)
        cursor = cursor_sent(page, param) or ""
        ids = page.page_ids
        newcomers = history.young_in(ids or [])
        expected = truth(cursor, (limit_sent(page) or CURSOR_LIMIT) - newcomers)
        if expected is None:
            continue
        got = history.stable(ids) if ids is not None else None
        if got != expected:
            return violated(req, name, Evidence(
                f"{param}={cursor} did not return the {plural(len(expected), 'session')} right "
                f"{'after' if param == 'starting_after' else 'before'} it",
                expected=" ".join(expected) or "(empty page)",
                actual=" ".join(got) if got is not None else not_a_page(page),
                exchanges=[page.seq]))
        judged.append(page)
    if not judged:
        return lacking(req, name, "no cursor could be compared with the reference walk", record, inapplicable=True)
    return held(req, name, f"{plural(len(judged), 'cursor')} checked", seqs(judged))


def _judge_has_more(req: str, name: str, pages: list[Exchange], collection: Collection, history: History,
                    record: Record, backward: bool) -> Outcome:
    """has_more against the reference walk. On a live account sessions created meanwhile sit before
    every older one (or next to the newest second), so a `true` the reference cannot explain is
    excused only there; a `false` while older sessions remain is never excused."""
    judged: list[Exchange] = []
    full_edge = False  # a full page judged at the edge (the end, or the head backward)
    for page in pages:
        ids = page.page_ids
        if ids is None or not isinstance(page.has_more, bool):
            continue
        more: bool | None
        newer_may_exist = False
        if backward:
            edge = ids[0] if ids else cursor_sent(page, "ending_before")
            pos = collection.position(edge) if edge else None
            if page.has_more is True and history.live and len(ids) < (limit_sent(page) or 0):
                # Fewer than `limit` right before the cursor, yet more before the page: never true,
                # whoever was created meanwhile (they would be on this page), also when the page
                # starts with a session created during the run. (Quietly: the position rule.)
                return _has_more_wrong(req, name, page, False, backward)
            if pos is None or history.excluded(edge or ""):
                continue
            more = bool(history.stable(collection.ids[:pos])) if ids else False
            # Before the oldest-known head, sessions created meanwhile may wait; they would come
            # first onto this page, so only a full page may say so.
            newer_may_exist = bool(history.young) and len(ids) == limit_sent(page)
        else:
            edge = ids[-1] if ids else None
            if edge is None:
                more = False if collection.complete else None
                cursor = cursor_sent(page, "starting_after")
                if cursor and collection.items_after(cursor):
                    more = True
            elif history.excluded(edge):
                continue
            else:
                more = collection.items_after(edge)
                if more and history.young:
                    pos = collection.position(edge)
                    more = bool(history.stable(collection.ids[(pos or 0) + 1:])) or not collection.complete
                second = history.created.get(edge)
                newer_may_exist = (bool(history.young) and history.oldest_head is not None
                                   and isinstance(second, int) and second >= history.oldest_head
                                   and len(ids) == limit_sent(page))
        if more is None:
            continue
        if newer_may_exist and page.has_more is True and more is False:
            continue
        judged.append(page)
        if page.has_more != more:
            return _has_more_wrong(req, name, page, more, backward)
        full_edge = full_edge or (more is False and ids is not None and len(ids) == limit_sent(page))
    if not judged:
        return lacking(req, name, "no page could be compared with the reference walk", record, inapplicable=True)
    if not full_edge and (cut := run_cut(record)) is not None:
        # A full page at the edge is where `has_more = len(page) == limit` shows, and the probes ask
        # for one in every profile (probe_cursors): a run its own bounds cut before that page was
        # answered has not earned the pass, however many other pages held.
        edge = "head" if backward else "end"
        return inconclusive(req, name, f"no full page at the {edge} of the list was judged: the run was cut "
                            f"before it could ask ({cut.why})", Unjudged.RUN_CUT)
    return held(req, name, f"{plural(len(judged), 'page')} checked", seqs(judged))


def _has_more_wrong(req: str, name: str, page: Exchange, more: bool, backward: bool) -> Outcome:
    direction = "before" if backward else "after"
    return violated(req, name, Evidence(
        f"has_more was {str(page.has_more).lower()} but sessions "
        f"{'do' if more else 'do not'} exist {direction} this page",
        expected=f"has_more: {str(more).lower()}", actual=f"has_more: {str(page.has_more).lower()}",
        exchanges=[page.seq]))


BAD_CURSORS_CHECK = "pagination.bad-cursors"


def judge_bad_cursors(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """PAG-011..014: unknown cursors and both cursors at once."""
    name = BAD_CURSORS_CHECK
    for tag, must, should, allowed in (
        ("cursor:unknown", "PAG-011", "PAG-013", (400, 404)),
        ("cursor:both", "PAG-012", "PAG-014", (400,)),
    ):
        exchanges = record.tagged(tag)
        lost = first_unanswered(exchanges)
        if lost is not None:
            yield unanswered(must, name, lost)
            yield unanswered(should, name, lost)
            continue
        if not exchanges:
            yield not_asked(must, name, "not probed", record)
            yield not_asked(should, name, "not probed", record)
            continue
        fivexx = [e for e in exchanges if (e.status or 0) >= 500 or e.dropped]
        yield violated(must, name, *[Evidence(
            f"{e.summary()} is a server error", expected="a 4xx (or a page) — never a 5xx",
            actual=answer(e), exchanges=[e.seq]) for e in fivexx]) if fivexx else held(
            must, name,
            f"{plural(len(exchanges), 'request')} answered {', '.join(sorted({str(e.status) for e in exchanges}))}",
            seqs(exchanges))
        wrong = [e for e in exchanges if e.status not in allowed or not is_error_object(e)]
        yield violated(should, name, *[Evidence(
            f"{e.summary()} was not rejected with {' or '.join(map(str, allowed))} and an error object",
            expected=f"{' or '.join(map(str, allowed))} with {{\"error\": {{...}}}}",
            actual=f"status {e.status}, body {e.body[:120]!r}", exchanges=[e.seq])
            for e in wrong]) if wrong else held(should, name, f"{plural(len(exchanges), 'request')} refused",
                                                seqs(exchanges))


CHECKS = (
    Check(WALKS_CHECK, "pagination",
          ("PAG-001", "PAG-002", "PAG-003", "PAG-006", "PAG-009", "PAG-010"), judge_walks,
          compares=("PAG-001", "PAG-002", "PAG-003", "PAG-006")),
    Check(CURSORS_CHECK, "pagination", ("PAG-004", "PAG-005", "PAG-007", "PAG-008"), judge_cursors,
          compares=("PAG-004", "PAG-005", "PAG-007", "PAG-008")),
    Check(BAD_CURSORS_CHECK, "pagination", ("PAG-011", "PAG-012", "PAG-013", "PAG-014"),
          judge_bad_cursors),
)
