"""Faults in cursors, order, `has_more` and `next_cursor`."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import Any

from conformance.reference import decisions
from conformance.reference.decisions import ListQuery
from conformance.reference.errors import ApiError
from conformance.reference.faults._base import (
    Fault,
    Signature,
    everything,
    matches,
    page_of,
    request_state,
    slice_page,
)
from conformance.reference.store import Page, SessionStore, UnknownCursorError


def _cursor_inclusive(store: SessionStore, query: ListQuery) -> Page:
    """The classic ``>=`` instead of ``>``: the cursor item is served again."""
    page = decisions.fetch_page(store, query)
    cursor = query.starting_after if query.forward else query.ending_before
    if cursor is None:
        return page
    item = store.get(cursor)
    if item is None or (query.filtered and not matches(item, query)):
        return page
    if query.forward:
        items = [item, *page.items]
        return Page(items[: query.limit], page.has_more or len(items) > query.limit)
    items = [*page.items, item]
    return Page(items[-query.limit:] if query.limit else [],
                page.has_more or len(items) > query.limit)


def _skips_next(store: SessionStore, query: ListQuery) -> Page:
    """An offset computed as position(cursor) + 2: the item right after the cursor is lost."""
    if query.starting_after is None:
        return decisions.fetch_page(store, query)
    page = decisions.fetch_page(store, dataclasses.replace(query, limit=query.limit + 1))
    return Page(page.items[1:], page.has_more)


def _starting_after_ignored(store: SessionStore, query: ListQuery) -> Page:
    return decisions.fetch_page(store, dataclasses.replace(query, starting_after=None))


def _created_only(store: SessionStore, query: ListQuery) -> Page:
    """Keyset on `created` alone: the sessions sharing the cursor's second are lost."""
    cursor = query.starting_after if query.forward else query.ending_before
    item = store.get(cursor) if cursor is not None else None
    if item is None:
        return decisions.fetch_page(store, query)
    ordered = everything(store)
    if query.forward:
        return slice_page([i for i in ordered if i["created"] < item["created"]], query)
    return slice_page([i for i in ordered if i["created"] > item["created"]], query)


def _tie_order_by_limit(store: SessionStore, query: ListQuery) -> Page:
    """No tie-breaker: inside one second the order follows the query plan, which LIMIT changes."""

    def key(item: dict[str, Any]) -> tuple[int, str]:
        salt = hashlib.sha256(f"{item['id']}:{query.limit}".encode()).hexdigest()
        return (-item["created"], salt)

    return page_of(sorted(everything(store), key=key), query)


def _ending_before_wrong_end(store: SessionStore, query: ListQuery) -> Page:
    """`ending_before` keeps the sort descending: it serves the first `limit` items of the
    list before the cursor, not the `limit` items right before it."""
    if query.ending_before is None:
        return decisions.fetch_page(store, query)
    everything_before = decisions.fetch_page(store, dataclasses.replace(query, limit=max(store.count(), 1)))
    items = everything_before.items
    return Page(items[:query.limit], len(items) > query.limit)


def _ending_before_reversed(store: SessionStore, query: ListQuery) -> Page:
    """The ascending query behind `ending_before` is served as is, not put back in list order."""
    page = decisions.fetch_page(store, query)
    return Page(list(reversed(page.items)), page.has_more) if not query.forward else page


def _has_more_when_full(store: SessionStore, query: ListQuery) -> Page:
    """`has_more = len(page) == limit`: true on a last page that happens to be full."""
    page = decisions.fetch_page(store, query)
    return Page(page.items, len(page.items) == query.limit)


def _has_more_never_backward(store: SessionStore, query: ListQuery) -> Page:
    page = decisions.fetch_page(store, query)
    return page if query.forward else Page(page.items, False)


def _has_more_backward_looks_ahead(store: SessionStore, query: ListQuery) -> Page:
    """With `ending_before`, `has_more` says whether items exist after the page (the cursor does)."""
    page = decisions.fetch_page(store, query)
    if query.forward or not page.items:
        return page
    after = store.page(1, starting_after=page.items[-1]["id"], status=query.status, match=query.match)
    return Page(page.items, bool(after.items))


def _no_extra_row(store: SessionStore, query: ListQuery) -> Page:
    """Fetches `limit` rows, not `limit + 1`, then asks `len(rows) > limit`: never more."""
    return Page(decisions.fetch_page(store, query).items, False)


def _next_cursor_first_id(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    body = decisions.envelope(data, has_more, query)
    if body["next_cursor"] is not None:
        body["next_cursor"] = data[0]["id"]
    return body


def _next_cursor_always(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    body = decisions.envelope(data, has_more, query)
    body["next_cursor"] = data[-1]["id"] if data and query.forward else None
    return body


def _next_cursor_offset(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    body = decisions.envelope(data, has_more, query)
    if body["next_cursor"] is not None:
        body["next_cursor"] = len(data)  # an offset, as a number
    return body


def _unknown_cursor_500(store: SessionStore, query: ListQuery) -> Page:
    """The store's lookup error is not caught."""
    return store.page(query.limit, query.starting_after, query.ending_before, query.status, query.match)


def _unknown_cursor_first_page(store: SessionStore, query: ListQuery) -> Page:
    try:
        return store.page(query.limit, query.starting_after, query.ending_before, query.status, query.match)
    except UnknownCursorError:
        return store.page(query.limit, status=query.status, match=query.match)


def _both_cursors_passed_on(starting_after: str | None,
                            ending_before: str | None) -> tuple[str | None, str | None]:
    return starting_after, ending_before


def _both_cursors_first_wins(starting_after: str | None,
                             ending_before: str | None) -> tuple[str | None, str | None]:
    if starting_after is not None:
        return decisions.parse_cursors(starting_after, None)
    return decisions.parse_cursors(None, ending_before)


def _unknown_cursor_suggests(store: SessionStore, query: ListQuery) -> Page:
    """A helpful "did you mean" that names another account-visible session in an error."""
    try:
        return decisions.fetch_page(store, query)
    except ApiError as exc:
        nearest = decisions.fetch_page(store, dataclasses.replace(
            query, limit=1, starting_after=None, ending_before=None)).items
        if exc.status != 400 or not nearest:
            raise
        raise ApiError(exc.status, f"{exc.message} Did you mean {nearest[0]['id']}?", exc.param) from None


def _oldest_first(store: SessionStore, query: ListQuery) -> Page:
    return page_of(list(reversed(everything(store))), query)


def _id_per_response(session: dict[str, Any]) -> dict[str, Any]:
    """Ids re-encrypted with a fresh nonce for every response: no id works as a cursor later."""
    state = request_state()
    nonce = state.setdefault("nonce", secrets.token_hex(3))
    return {**session, "id": f"{session['id'][:-6]}{nonce}"}


def _created_drifts(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """Filtered pages render `created` from a rounded-up timestamp: one second later."""
    if query.filtered:
        data = [{**item, "created": item["created"] + 1} for item in data]
    return decisions.envelope(data, has_more, query)


FAULTS = (
    Fault("cursor-inclusive", "A page after (or before) a cursor starts (or ends) with the "
          "cursor item itself, so walks repeat one item per page.",
          breaks=("PAG-001", "PAG-004", "PAG-005"),
          title=("A page after (or before) a cursor holds the cursor item again, so each page repeats the "
                 "edge of the previous one: compare with `>` (`<` for `ending_before`), not `>=`."),
          signature=Signature(seen=("page-repeats-cursor",),
                              unseen=("cursor-ignored",),
                              also=("LIM-001", "PAG-002", "PAG-006", "PAG-009", "FLT-002")),
          partials={"forward": ("PAG-001", "PAG-004"), "backward": ("PAG-005",), "filtered": ("FLT-002",)},
          overrides={"fetch_page": _cursor_inclusive}),
    Fault("cursor-skips-next", "`starting_after` skips the item right after the cursor (offset + 2).",
          breaks=("PAG-001", "PAG-004"),
          title=("`starting_after` skips the item right after the cursor (an offset of position + "
                 "2)."),
          # An order that changes with the page size moves items across cursors: no skip can be told.
          signature=Signature(seen=("cursor-skips-next-item-anywhere",), unseen=("tie-order-depends-on-limit",),
                              also=("LIM-001", "PAG-002", "PAG-006", "PAG-007", "FLT-002", "FLT-007")),
          partials={"filtered": ("FLT-002",)},
          overrides={"fetch_page": _skips_next}),
    Fault("cursor-starting-after-ignored", "`starting_after` is not read: every forward page is the first.",
          breaks=("PAG-004", "PAG-009"),
          title="`starting_after` is ignored: every page after a cursor is the first page again.",
          signature=Signature(seen=("cursor-ignored",),
                              also=("PAG-001", "PAG-002", "PAG-010", "PAG-013", "FLT-002", "FLT-007", "ENV-005")),
          overrides={"fetch_page": _starting_after_ignored}),
    Fault("cursor-created-only", "The cursor compares `created` only: sessions sharing the cursor's "
          "second are skipped.",
          breaks=("PAG-001", "PAG-004", "PAG-005"),
          title=("The cursor compares `created` only: sessions created in the cursor's second are "
                 "skipped (add `id` as the keyset tie-breaker)."),
          signature=Signature(seen=("cursor-skips-same-second",),
                              unseen=("cursor-skips-next-item",),
                              also=("LIM-001", "PAG-002", "PAG-006", "PAG-007", "FLT-002", "FLT-007")),
          partials={"forward": ("PAG-001", "PAG-004"), "backward": ("PAG-005",)},
          overrides={"fetch_page": _created_only}),
    Fault("ties-unstable", "No tie-breaker on `created`: the order of sessions in one second depends on "
          "the page size.",
          breaks=("PAG-002", "PAG-003"),
          title=("The order has no tie-breaker: sessions created in the same second come in an "
                 "order that changes with the page size (sort by `created DESC, id DESC`)."),
          signature=Signature(seen=("tie-order-depends-on-limit",),
                              also=("LIM-001", "PAG-001", "PAG-004", "PAG-005", "PAG-006", "PAG-007", "PAG-008",
                                    "FLT-002", "FLT-003", "FLT-007")),
          overrides={"fetch_page": _tie_order_by_limit}),
    Fault("ending-before-wrong-end", "`ending_before` serves the first `limit` items of the list, not "
          "the `limit` items right before the cursor.",
          breaks=("PAG-005", "PAG-006"),
          title=("`ending_before` serves the first `limit` items of the list, not the `limit` "
                 "items right before the cursor."),
          signature=Signature(seen=("before-page-from-list-start",), also=("PAG-008", "FLT-007")),
          overrides={"fetch_page": _ending_before_wrong_end}),
    Fault("ending-before-reversed", "An `ending_before` page comes in reverse (ascending) order.",
          breaks=("PAG-005", "PAG-006"),
          title=("An `ending_before` page is served in ascending order: reverse the backward "
                 "query's rows into list order."),
          signature=Signature(seen=("before-page-ascending",), also=("PAG-001", "PAG-003", "PAG-008", "FLT-007")),
          overrides={"fetch_page": _ending_before_reversed}),
    Fault("has-more-when-full", "`has_more` is `len(page) == limit`: true on a full last page.",
          breaks=("PAG-007",),
          title=("`has_more` is computed as `len(page) == limit`: a full last page says true "
                 "(fetch `limit + 1` rows instead)."),
          signature=Signature(seen=("full-last-page-has-more",), unseen=("short-last-page-has-more",),
                              also=("PAG-008", "FLT-003")),
          partials={"filtered": ("FLT-003",), "after-first": ("PAG-007",)},
          overrides={"fetch_page": _has_more_when_full}),
    Fault("has-more-never-backward", "`has_more` is always false on `ending_before` pages.",
          breaks=("PAG-006", "PAG-008"),
          title=("`has_more` is always false on `ending_before` pages, even when earlier sessions "
                 "exist."),
          signature=Signature(seen=("before-has-more-false-early",),
                              unseen=("forward-has-more-false-early",)),
          overrides={"fetch_page": _has_more_never_backward}),
    Fault("has-more-backward-looks-ahead", "On `ending_before` pages `has_more` tells whether items exist "
          "after the page (always), not before it.",
          breaks=("PAG-008",),
          title=("On `ending_before` pages `has_more` tells whether sessions follow the page, not "
                 "whether earlier ones precede it."),
          signature=Signature(seen=("before-has-more-true-at-start",),
                              unseen=("before-page-from-list-start", "full-last-page-has-more"),
                              also=("LIM-004",)),
          overrides={"fetch_page": _has_more_backward_looks_ahead}),
    Fault("has-more-no-extra-row", "The query fetches `limit` rows instead of `limit + 1`: `has_more` is "
          "always false.",
          breaks=("PAG-001", "PAG-007", "PAG-008"),
          title=("`has_more` is always false: the query fetches `limit` rows, not `limit + 1`, so "
                 "it never sees the next one."),
          signature=Signature(seen=("has-more-false-early-anywhere",),
                              also=("PAG-004", "PAG-006", "FLT-002", "FLT-003")),
          partials={"first-page": ("PAG-001", "PAG-007"), "after-first": ("PAG-001", "PAG-007", "PAG-008"),
                    "filtered": ("FLT-003",)},
          overrides={"fetch_page": _no_extra_row}),
    Fault("next-cursor-first-id", "`next_cursor` is the first id of the page instead of the last.",
          breaks=("ENV-005",),
          title="`next_cursor` is the id of the page's first item; it must be the last item's.",
          signature=Signature(seen=("next-cursor-first-id",)),
          partials={"after-first": ("ENV-005",)},
          overrides={"envelope": _next_cursor_first_id}),
    Fault("next-cursor-on-last-page", "`next_cursor` is set on every forward page, also when `has_more` "
          "is false.",
          breaks=("ENV-004",),
          title="`next_cursor` is set on the last page; it must be null when `has_more` is false.",
          signature=Signature(seen=("next-cursor-on-last-page",), unseen=("next-cursor-not-string",)),
          partials={"filtered": ("ENV-004",)},
          overrides={"envelope": _next_cursor_always}),
    Fault("next-cursor-number", "`next_cursor` is a number (an offset), not a string.",
          breaks=("ENV-004", "SCH-001"),
          title="`next_cursor` is a number (an offset); it must be a string cursor, or null.",
          signature=Signature(seen=("next-cursor-not-string",)),
          overrides={"envelope": _next_cursor_offset}),
    Fault("unknown-cursor-500", "An unknown cursor raises an uncaught lookup error: 500.",
          breaks=("PAG-011", "PAG-013", "ERR-002"),
          title=("An unknown cursor crashes the server (500): catch the failed lookup and answer "
                 "400 or 404 with an error object."),
          signature=Signature(seen=("unknown-cursor-crashed",)),
          overrides={"fetch_page": _unknown_cursor_500}),
    Fault("unknown-cursor-suggests", "The unknown-cursor error suggests an existing session's id "
          "(\"did you mean cs_...?\").",
          breaks=("AUTH-005",),
          title=("The unknown-cursor error names another existing session (\"did you mean ...\"): "
                 "error messages must not reveal other sessions."),
          signature=Signature(seen=("error-names-session",), unseen=("refusal-carries-sessions",)),
          overrides={"fetch_page": _unknown_cursor_suggests}),
    Fault("unknown-cursor-first-page", "An unknown cursor is ignored: 200 with the first page.",
          breaks=("PAG-013",),
          title=("An unknown cursor is ignored and the first page served; it must be refused with "
                 "400 or 404."),
          signature=Signature(seen=("unknown-cursor-served",), unseen=("cursor-ignored",)),
          overrides={"fetch_page": _unknown_cursor_first_page}),
    Fault("both-cursors-500", "Both cursors at once reach the store, which raises: 500.",
          breaks=("PAG-012", "PAG-014", "ERR-002"),
          title=("`starting_after` and `ending_before` together crash the server (500); refuse the "
                 "pair with 400."),
          signature=Signature(seen=("both-cursors-crashed",)),
          overrides={"parse_cursors": _both_cursors_passed_on}),
    Fault("both-cursors-first-wins", "With both cursors, `starting_after` wins silently: 200.",
          breaks=("PAG-014",),
          title=("`starting_after` and `ending_before` together are served (one silently wins); "
                 "refuse the pair with 400."),
          signature=Signature(seen=("both-cursors-served",)),
          overrides={"parse_cursors": _both_cursors_first_wins}),
    Fault("ids-per-response", "Ids carry a nonce that changes with every response: the cursor taken "
          "from a page is refused as unknown on the next request.",
          breaks=("PAG-016", "OBJ-015"),
          title=("Ids change from one response to the next, so a cursor taken from a page is refused; "
                 "an id must name its session for good."),
          signature=Signature(seen=("ids-change-per-response",),
                              also=("ENV-005", "PAG-001", "PAG-004", "PAG-005", "FLT-001", "FLT-002", "VER-002")),
          overrides={"serialize_session": _id_per_response}),
    Fault("created-drifts", "Filtered pages list `created` one second later than unfiltered pages.",
          breaks=("PAG-015",),
          title="`created` differs between responses; it must never change once a session exists.",
          signature=Signature(seen=("created-changed",)),
          overrides={"envelope": _created_drifts}),
    Fault("oldest-first", "Sessions are listed oldest first (`created` ascending), consistently.",
          breaks=("PAG-010",),
          title=("The list is ordered oldest first; it must be newest first (`created` "
                 "descending)."),
          signature=Signature(seen=("list-ascending",)),
          overrides={"fetch_page": _oldest_first}),
)
