"""Walks: probes that follow cursors, and the reading of a walk back from the record.

A walk stops by itself at the end (has_more false), at an unusable page, at its page
budget, or when a cursor comes round again: a cycle is a finding (PAG-009), not a hang.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from conformance.checks.base import ProbeContext, Record
from conformance.exchange import Exchange
from conformance.spec import Spec, default_spec

# The page size of a request without `limit`: the spec's default, not a literal here.
DEFAULT_LIMIT = int(default_spec().parameter("limit")["schema"]["default"])


def limit_bounds(spec: Spec) -> tuple[int, int, int]:
    """(minimum, maximum, default) of the operation's `limit` from its schema; where the document is
    silent, the family's 1, 100 and 10 (docs/family.md). Source: LIM-001, LIM-002, LIM-005."""
    schema = (spec.parameter("limit").get("schema") or {}) if spec.declares("limit") else {}

    def number(key: str, fallback: int) -> int:
        value = schema.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else fallback

    return number("minimum", 1), number("maximum", 100), number("default", DEFAULT_LIMIT)


def largest_page(spec: Spec) -> int:
    """The page size of the reference walk and the recheck: 100, or the operation's `limit` maximum
    when that is lower (a product list capped at 50 refuses 100). Checkout sessions: 100."""
    return min(100, limit_bounds(spec)[1])


# The walk that follows `next_cursor` (the spec's nextPage link) rather than the last id.
NEXT_CURSOR_WALK = "walk:next:7"


def walk_forward(
    ctx: ProbeContext,
    tag: str,
    *,
    limit: int | None,
    max_pages: int,
    status: str | None = None,
    follow_next_cursor: bool = False,
    start_after: str | None = None,
    where: tuple[str, str] | None = None,
) -> None:
    """Follow cursors forward from the start (or ``start_after``), at most ``max_pages`` pages.
    ``where``: a filter (parameter, value) sent on every page; ``status=S`` is ``where=("status", S)``."""
    used: set[str] = set()
    cursor = start_after
    where = where or (("status", status) if status is not None else None)
    for _ in range(max_pages):
        query: list[tuple[str, str]] = []
        if limit is not None:
            query.append(("limit", str(limit)))
        if where is not None:
            query.append(where)
        if cursor is not None:
            query.append(("starting_after", cursor))
        page = ctx.get(tag, query)
        ids = page.page_ids
        if not ids or page.has_more is not True:
            return
        cursor = next_cursor_of(page) if follow_next_cursor else ids[-1]
        if cursor is None or cursor in used:
            return
        used.add(cursor)


def walk_backward(
    ctx: ProbeContext,
    tag: str,
    *,
    limit: int,
    before: str,
    max_pages: int,
    status: str | None = None,
) -> None:
    used: set[str] = set()
    cursor = before
    for _ in range(max_pages):
        query = [("limit", str(limit)), ("ending_before", cursor)]
        if status is not None:
            query.append(("status", status))
        page = ctx.get(tag, query)
        ids = page.page_ids
        if not ids or page.has_more is not True:
            return
        cursor = ids[0]
        if cursor in used:
            return
        used.add(cursor)


def next_cursor_of(page: Exchange) -> str | None:
    body = page.json
    value = body.get("next_cursor") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


@dataclass
class Walk:
    """A walk read back from the record: its pages in the order they were asked (read-only)."""

    tag: str
    pages: list[Exchange]
    backward: bool = False

    @classmethod
    def read(cls, record: Record, tag: str, backward: bool = False) -> Walk:
        return cls(tag, record.tagged(tag), backward)

    @property
    def name(self) -> str:
        """How a sentence names the walk, from its first request: "walk with limit=7",
        "backward walk with limit=7", "walk without limit" (the tag is for the record, not for people)."""
        if not self.pages:
            return f"{self.tag} walk"
        params = self.pages[0].params
        shown = [f"{key}={params[key]}" for key in ("limit", "status") if key in params]
        how = "with " + " and ".join(shown) if shown else "without limit"
        return f"{'backward ' if self.backward else ''}walk {how}"

    @cached_property
    def usable_pages(self) -> list[Exchange]:
        """Pages up to the first one that is not a well-formed 200 list."""
        usable = []
        for page in self.pages:
            if page.page_ids is None:
                break
            usable.append(page)
        return usable

    @cached_property
    def ids(self) -> list[str]:
        """The items in walk order (for a backward walk: put back into forward order)."""
        pages = self.usable_pages
        if self.backward:
            pages = list(reversed(pages))
        return [i for p in pages for i in (p.page_ids or [])]

    @property
    def unanswered(self) -> Exchange | None:
        """The first page the target did not answer (transport failure or 429 after retries)."""
        for page in self.pages:
            if not page.judgeable:
                return page
        return None

    @property
    def broken_page(self) -> Exchange | None:
        """The first answered page that is not a well-formed 200 list."""
        for page in self.pages:
            if page.judgeable and page.page_ids is None:
                return page
        return None

    @property
    def complete(self) -> bool:
        """Reached the end: the last page is a list that says has_more false."""
        return (
            bool(self.pages)
            and len(self.usable_pages) == len(self.pages)
            and self.pages[-1].has_more is False
        )

    @property
    def cycled(self) -> bool:
        """Stopped because a cursor came round again while has_more was still true."""
        pages = self.usable_pages
        if not pages or pages[-1].has_more is not True or len(pages) != len(self.pages):
            return False
        seen_cursors = [cursor_sent(p, "ending_before" if self.backward else "starting_after")
                        for p in pages]
        last = pages[-1].page_ids or []
        if not last:
            return False
        next_cursor = last[0] if self.backward else last[-1]
        follow = next_cursor_of(pages[-1])
        return next_cursor in seen_cursors or (follow is not None and follow in seen_cursors)


def cursor_sent(page: Exchange, name: str = "starting_after") -> str | None:
    return page.params.get(name)


def limit_sent(page: Exchange) -> int | None:
    """The limit the page was asked with; None when it was not a plain integer, or was sent twice
    (which copy the server read is ERR-004's question, not the limit rules')."""
    if sum(1 for name, _ in page.query if name == "limit") > 1:
        return None
    raw = page.params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        return int(raw)
    except ValueError:
        return None
