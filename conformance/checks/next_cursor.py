"""`next_cursor` on every page that carries one: filtered and `ending_before` pages too.

ENV-005 is first judged on the unfiltered forward walk (envelope.py). A server can get
that right and still compute `next_cursor` wrongly under a filter (an offset advanced by
the filtered page size) or on a page reached with `ending_before`. This probe asks one
such page of each kind and follows its `next_cursor` next to `starting_after=<last id>`:
CONTRACT.md asks for exactly the same page.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.common import first_unanswered, lacking, not_a_page, not_asked, unanswered
from conformance.checks.filters import FilterWalk, filter_of, walks_to_ask
from conformance.checks.history import History
from conformance.checks.walks import next_cursor_of
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, violated

TAG = "next-cursor"
SOURCE, BY_CURSOR, BY_ID = f"{TAG}:page", f"{TAG}:by-cursor", f"{TAG}:by-id"
# Small pages: a filter or a backward step leaves more behind them on a small collection.
LIMIT = "3"


def probe_next_cursor_everywhere(ctx: ProbeContext) -> None:
    """Per filtered walk (a status, or any filter the operation declares) one first page, and
    `ending_before` pages placed by what the reference walk read (:func:`backward_anchors`), each
    followed two ways."""
    for walk in _filtered(ctx):
        _follow(ctx, ctx.get(SOURCE, [walk.pair, ("limit", LIMIT)]), [walk.pair])
    for anchor, limit in backward_anchors(Collection.from_record(ctx.record)) if ctx.spec.declares("ending_before") \
            else []:
        _follow(ctx, ctx.get(SOURCE, [("ending_before", anchor), ("limit", str(limit))]), [])


def _filtered(ctx: ProbeContext) -> list[FilterWalk]:
    """The filter values worth a first page: every partition value, each equality filter's seen value."""
    return [w for w in walks_to_ask(ctx.spec, ctx.record) if not w.absent]


def backward_anchors(collection: Collection) -> list[tuple[str, int]]:
    """(ending_before cursor, limit) pairs: a page far enough from the head to have sessions before
    it, and pages around the largest group of sessions sharing one `created` second — one lying
    wholly inside it with a member of the group before it, one ending on its last member, one
    across its first. A cursor kept as (`created`, offset within the second) goes wrong exactly
    there (Django REST framework's CursorPagination, encode/django-rest-framework#7709), wherever
    the account's ties happen to fall. Source: ENV-005; input: the reference walk's collection."""
    ids, limit = collection.ids, int(LIMIT)
    found: dict[str, int] = {}
    if len(ids) > 2 * limit:
        found[ids[2 * limit]] = limit
    groups = collection.tie_groups()
    group = max(groups, key=len) if groups else []
    if len(group) >= 3 and all(collection.position(i) is not None for i in group):
        first, last = collection.position(group[0]) or 0, collection.position(group[-1]) or 0
        inside = min(limit, len(group) - 2)  # one member before the page, the page in the group
        found.setdefault(ids[first + 1 + inside], inside)
        if last + 1 < len(ids):
            found.setdefault(ids[last + 1], limit)  # the page ends on the group's last member
        found.setdefault(ids[first + 1], limit)  # the page reaches across the group's start
    return list(found.items())


def _follow(ctx: ProbeContext, page: Exchange, keep: list[tuple[str, str]]) -> None:
    cursor, ids = next_cursor_of(page), page.page_ids
    if cursor is None or not ids or page.items_listed:
        return  # (a page judged in part, ITEMS_JUDGED: its last id was not kept, so nothing to compare)
    limit = page.params.get("limit", LIMIT)
    ctx.get(BY_CURSOR, [*keep, ("starting_after", cursor), ("limit", limit)])
    ctx.get(BY_ID, [*keep, ("starting_after", ids[-1]), ("limit", limit)])


def _cost(ctx: ProbeContext) -> int:
    # A first page per status, followed two ways when it has more, and one ending_before page
    # (a next_cursor there is not expected: only a target that gives one has it followed).
    collection = Collection.from_record(ctx.record)
    followed = [not collection.complete or len(collection.restricted(w.value, w.field)) > int(LIMIT)
                for w in _filtered(ctx)]
    backward = len(backward_anchors(collection)) if ctx.spec.declares("ending_before") else 0
    return len(followed) + 2 * sum(followed) + backward


PROBES = (Probe("next-cursor-everywhere", "envelope", probe_next_cursor_everywhere, cost=_cost),)


def _triples(record: Record) -> list[tuple[Exchange, Exchange, Exchange]]:
    """(page, its next_cursor followed, starting_after=<its last id>), in the order sent."""
    found = []
    exchanges = record.under(TAG)
    for index, exchange in enumerate(exchanges[:-2]):
        following = exchanges[index + 1:index + 3]
        if exchange.tag == SOURCE and [e.tag for e in following] == [BY_CURSOR, BY_ID]:
            found.append((exchange, following[0], following[1]))
    return found


def _kind(page: Exchange, spec: Spec) -> str:
    if "ending_before" in page.params:
        return f"the ending_before={page.params['ending_before']} page"
    found = filter_of(spec, page.params)
    return f"the {found[0]}={found[2]} page" if found else f"the status={page.params.get('status')} page"


NEXT_CURSOR_EVERYWHERE_CHECK = "envelope.next-cursor-everywhere"


def judge_next_cursor_everywhere(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """ENV-005 on filtered and `ending_before` pages (CONTRACT.md, Cursors and order)."""
    name = NEXT_CURSOR_EVERYWHERE_CHECK
    sources = record.tagged(SOURCE)
    if not sources and not spec.filters and not spec.declares("ending_before"):
        # Neither kind of page exists on such an operation: nothing to judge, not a lost answer.
        yield skipped("ENV-005", name, f"{spec.operation_key} declares no filter and no ending_before")
        return
    if not sources:
        yield not_asked("ENV-005", name, "no filtered or ending_before page was asked for", record)
        return
    if (lost := first_unanswered(record.under(TAG))) is not None:
        yield unanswered("ENV-005", name, lost)
        return
    triples = _triples(record)
    if not triples:
        if any(page.has_more is True and next_cursor_of(page) is None for page in sources):
            yield skipped("ENV-005", name, "no filtered or ending_before page carried a non-null next_cursor "
                                           "(it may be omitted)")
        else:  # no page had more after it (a small collection): nothing to follow, not an omission
            yield lacking("ENV-005", name, "no filtered or ending_before page had more after it: no next_cursor "
                                           "to follow", record)
        return
    # The two pages are asked moments apart: on a live account a session created meanwhile may
    # take a place in either, so they are compared as envelope.py compares the unfiltered ones.
    history = History.of(record)
    wrong = [(page, ours, theirs) for page, ours, theirs in triples
             if ours.page_ids is None or not history.pages_agree(ours, theirs)]
    if wrong:
        yield violated("ENV-005", name, *[Evidence(
            f"on {_kind(page, spec)}, next_cursor {next_cursor_of(page)!r} did not give the page that "
            f"starting_after={(page.page_ids or ['?'])[-1]} gives",
            expected=" ".join(theirs.page_ids or []) or not_a_page(theirs),
            actual=" ".join(ours.page_ids or []) if ours.page_ids is not None else not_a_page(ours),
            exchanges=[page.seq, ours.seq, theirs.seq]) for page, ours, theirs in wrong])
        return
    kinds = ", ".join(_kind(page, spec).removeprefix("the ") for page, _, _ in triples)
    yield held("ENV-005", name, f"next_cursor followed on {kinds}", seqs(e for t in triples for e in t))


CHECKS = (
    Check(NEXT_CURSOR_EVERYWHERE_CHECK, "envelope", ("ENV-005",), judge_next_cursor_everywhere,
          compares=("ENV-005",)),
)
