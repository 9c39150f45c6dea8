"""Faults in the `status` filter."""

from __future__ import annotations

import dataclasses

from conformance.reference import decisions
from conformance.reference.decisions import ListQuery, current_resource
from conformance.reference.errors import ApiError
from conformance.reference.faults._base import Fault, Signature, everything, matches, slice_page
from conformance.reference.store import Page, SessionStore


def _ignored(store: SessionStore, query: ListQuery) -> Page:
    return decisions.fetch_page(store, dataclasses.replace(query, status=None, match=()))


def _after_slice(store: SessionStore, query: ListQuery) -> Page:
    """The page is cut from the unfiltered list, then filtered: short pages, has_more of the whole."""
    page = decisions.fetch_page(store, dataclasses.replace(query, status=None, match=()))
    if not query.filtered:
        return page
    return Page([i for i in page.items if matches(i, query)], page.has_more)


def _complete_means_paid(store: SessionStore, query: ListQuery) -> Page:
    """`status=complete` is mapped to `payment_status = 'paid'` (delayed payments are lost)."""
    if query.status != "complete":
        return decisions.fetch_page(store, query)
    unfiltered = dataclasses.replace(query, status=None)
    cursor = query.starting_after if query.forward else query.ending_before
    decisions.fetch_page(store, dataclasses.replace(unfiltered, limit=0))  # unknown cursor: 400
    ordered = everything(store)
    ids = [i["id"] for i in ordered]
    if cursor is None:
        candidates = ordered
    elif query.forward:
        candidates = ordered[ids.index(cursor) + 1:]
    else:
        candidates = ordered[:ids.index(cursor)]
    return slice_page([i for i in candidates if i["payment_status"] == "paid"], unfiltered)


def _has_more_unfiltered(store: SessionStore, query: ListQuery) -> Page:
    """`has_more` comes from a second query that forgot the status condition."""
    page = decisions.fetch_page(store, query)
    if not query.filtered or not page.items:
        return page
    edge = page.items[-1]["id"] if query.forward else page.items[0]["id"]
    beyond = store.page(1, starting_after=edge) if query.forward else store.page(1, ending_before=edge)
    return Page(page.items, bool(beyond.items))


def _negative_offset(store: SessionStore, query: ListQuery) -> Page:
    """The filtered path computes `matches - limit` as an offset; a negative one crashes (500)."""
    if query.filtered and query.limit > store.count(query.status, query.match):
        raise RuntimeError("negative OFFSET in the filtered query")
    return decisions.fetch_page(store, query)


def _foreign_cursor_snapped(store: SessionStore, query: ListQuery) -> Page:
    """A cursor whose session is not of the filtered status is moved onto the nearest session that
    is, in the direction of travel, and paged past as if listed already: that session is lost."""
    cursor = query.starting_after if query.forward else query.ending_before
    if not query.filtered or cursor is None:
        return decisions.fetch_page(store, query)
    ordered = everything(store)
    ids = [i["id"] for i in ordered]
    if cursor not in ids or matches(ordered[ids.index(cursor)], query):
        return decisions.fetch_page(store, query)
    pos = ids.index(cursor)
    beyond = ordered[pos + 1:] if query.forward else list(reversed(ordered[:pos]))
    snapped = next((i["id"] for i in beyond if matches(i, query)), None)
    if snapped is None:
        return Page([], False)
    moved = {"starting_after": snapped} if query.forward else {"ending_before": snapped}
    return decisions.fetch_page(store, dataclasses.replace(query, **moved))


def _invalid_ignored(raw: str | None) -> str | None:
    return raw if raw in current_resource().partition_values else None


def _invalid_500(raw: str | None) -> str | None:
    if raw is None:
        return None
    return {value: value for value in current_resource().partition_values}[raw]  # KeyError: 500


def _invalid_404(raw: str | None) -> str | None:
    if raw is not None and raw not in current_resource().partition_values:
        raise ApiError(404, f"No sessions with status {raw[:100]!r}.", type_="invalid_request_error")
    return raw


FAULTS = (
    Fault("filter-ignored", "`status` is validated but never applied: every session is listed.",
          breaks=("FLT-001", "FLT-002"),
          title="`status` is never applied: filtered pages hold sessions of every status.",
          signature=Signature(seen=("filtered-page-other-status",), also=("FLT-003", "FLT-007")),
          partials={"status-complete": ("FLT-001", "FLT-002"), "after-first": ("FLT-001", "FLT-002")},
          overrides={"fetch_page": _ignored}),
    Fault("filter-after-slice", "The page is cut from the unfiltered list and filtered afterwards: short "
          "pages and the unfiltered `has_more`.",
          breaks=("FLT-003",),
          title=("The page is cut from the unfiltered list and filtered afterwards: filtered pages "
                 "come short and carry the unfiltered `has_more` (filter in the query, before the "
                 "limit)."),
          signature=Signature(seen=("filtered-page-short-with-more",),
                              unseen=("filtered-page-other-status",),
                              also=("LIM-004", "FLT-002", "FLT-007")),
          partials={"status-open": ("FLT-003",)},
          overrides={"fetch_page": _after_slice}),
    Fault("filter-complete-means-paid", "`status=complete` is mapped to `payment_status=paid`: completed "
          "sessions awaiting a delayed payment are missing.",
          breaks=("FLT-002",),
          title=("`status=complete` is mapped to `payment_status=paid`: completed sessions still "
                 "awaiting payment are missing from the filtered list."),
          signature=Signature(seen=("complete-filter-misses-unpaid",),
                              unseen=("filtered-page-other-status", "forward-has-more-false-early")),
          overrides={"fetch_page": _complete_means_paid}),
    Fault("filter-has-more-unfiltered", "On filtered pages `has_more` ignores the filter: true while "
          "sessions of other statuses follow.",
          breaks=("FLT-003",),
          title=("On filtered pages `has_more` ignores the filter: it says true at the end of a "
                 "status while other statuses follow."),
          signature=Signature(seen=("filtered-has-more-at-end",),
                              unseen=("filtered-page-short-with-more", "filtered-page-other-status",
                                      "full-last-page-has-more"),
                              also=("LIM-004",),
                              # A full filtered last page says true under both: only a short one tells.
                              lookalikes=(("has-more-when-full", "filtered-short-last-page-has-more"),)),
          partials={"status-expired": ("FLT-003",)},
          overrides={"fetch_page": _has_more_unfiltered}),
    Fault("filter-large-limit-500", "A filtered page with `limit` above the number of matching sessions "
          "crashes on a negative offset (500).",
          breaks=("SCH-002", "ERR-002"),
          title=("A filtered page with `limit` above the number of matching sessions crashes the "
                 "server (500, a negative offset)."),
          signature=Signature(seen=("filtered-page-crashed",)),
          overrides={"fetch_page": _negative_offset}),
    Fault("filter-foreign-cursor-skips", "A cursor whose session has another status than `status=S` is moved "
          "onto the nearest S-session, which is then skipped as if listed already.",
          breaks=("FLT-007",),
          title=("A cursor naming a session of another status than the filter is moved onto the next "
                 "matching session, which is then skipped: page from the cursor's own place in the "
                 "order, or refuse it with 400."),
          # Only where plain cursors work: a broken cursor breaks these pages too, as a consequence.
          signature=Signature(unseen=("filtered-page-short-with-more", "filtered-page-other-status",
                                      "page-repeats-cursor", "cursor-skips-next-item", "cursor-skips-same-second",
                                      "cursor-ignored", "before-page-from-list-start", "before-page-ascending",
                                      "tie-order-depends-on-limit", "filtered-skips-next-own-status")),
          overrides={"fetch_page": _foreign_cursor_snapped}),
    Fault("filter-invalid-ignored", "An unknown `status` is dropped and the unfiltered list served.",
          breaks=("FLT-004", "SCH-003"),
          title=("An unknown `status` is dropped and the unfiltered list served; refuse it with "
                 "400."),
          signature=Signature(seen=("status-invalid-served-unfiltered",), also=("FLT-006",)),
          overrides={"parse_status": _invalid_ignored}),
    Fault("filter-invalid-500", "An unknown `status` raises KeyError in a lookup table: 500.",
          breaks=("FLT-004", "ERR-002", "SCH-003"),
          title=("An unknown `status` crashes the server (500, a failed lookup); refuse it with "
                 "400."),
          signature=Signature(seen=("status-invalid-crashed",), also=("FLT-006",)),
          overrides={"parse_status": _invalid_500}),
    Fault("filter-invalid-404", "An unknown `status` is answered 404 (\"no such sessions\") instead of 400.",
          breaks=("FLT-005",),
          title=("An unknown `status` is answered 404; it must be 400 with an error object naming "
                 "`status`."),
          signature=Signature(seen=("status-invalid-404",)),
          overrides={"parse_status": _invalid_404}),
)
