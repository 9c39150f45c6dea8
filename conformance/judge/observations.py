"""The observation vocabulary of the diagnosis: small named facts read from a transcript.

A fault's :class:`~conformance.reference.faults.Signature` names observations it needs
(``seen``) or that rule it out (``unseen``). Each observation reads the recorded exchanges
(and the collection as the reference walk ``walk:100`` saw it) and returns the sequence
numbers of the exchanges that show it, best first; an empty list means "not observed".
Observations never judge a requirement: verdicts come from the checks, these only say
*which* defect best explains them.

Some observations can also say what the target did in its own values (``describe``): one
sentence quoting only what the exchanges it cites show (the diagnosis's ``observed`` text,
and the plain words of an observation-level cause when no catalog fault fits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

from conformance.checks.base import Record
from conformance.checks.collection import Collection
from conformance.checks.common import is_error_object
from conformance.checks.limits import OUT_OF_RANGE
from conformance.checks.walks import DEFAULT_LIMIT, REFERENCE_WALK, limit_sent, next_cursor_of
from conformance.exchange import Exchange
from conformance.judge.vocabulary import OBSERVATIONS as OBSERVATIONS  # whole once this module is imported
from conformance.judge.vocabulary import first as _first
from conformance.judge.vocabulary import observation
from conformance.judge.vocabulary import observe as observe
from conformance.spec import Spec
from conformance.wording import plural

Describing = Callable[[Record, list[int]], str]
DESCRIBERS: dict[str, Describing] = {}
# Observations that are no catalog fault's defining evidence but explain requirements on their
# own when no catalog fault fits (an observation-level cause): name -> requirement IDs.
EXPLAINS: dict[str, tuple[str, ...]] = {}


def describer(name: str) -> Callable[[Describing], Describing]:
    """Registers the sentence of observation ``name`` in the target's values (quoted only from
    the exchanges it is given: those the observation returned)."""

    def register(function: Describing) -> Describing:
        DESCRIBERS[name] = function
        return function

    return register


def describe(name: str, record: Record, seqs: list[int]) -> str:
    """What observation ``name`` showed, in the target's values; "" when it has no describer or
    the description fails (a suite bug on an unforeseen transcript: no sentence, no crash)."""
    function = DESCRIBERS.get(name)
    if function is None or not seqs:
        return ""
    try:
        return function(record, seqs)
    except Exception:
        return ""


def quoted(value: Any, limit: int = 60) -> str:
    """A value as JSON in a code span, bounded; a backtick in it is written as a JSON escape,
    so target text never closes the span (it is shown inert, never trusted)."""
    text = json.dumps(value, ensure_ascii=True).replace("`", "\\u0060")
    return f"`{text if len(text) <= limit else text[:limit] + '...'}`"


def code(text: str, limit: int = 60) -> str:
    """Target text (an id, a parameter value) in a code span, bounded, backticks and control
    characters escaped as in JSON."""
    return quoted(text, limit)[1:-1].removeprefix('"').removesuffix('"').join("``")


_STATED = re.compile(r"`([^`]+)`")


def stated_values(text: str) -> list[str]:
    """The values a sentence states: backticked JSON strings, numbers, literals and objects, and
    the value of a backticked ``name=value``. Code spans naming a field or an expression are not values."""
    values = []
    for span in _STATED.findall(text):
        name, equals, value = span.partition("=")
        if equals and re.fullmatch(r"[a-z_]+", name) and value and " " not in span:
            values.append(value)
            continue
        try:
            parsed = json.loads(span)
        except ValueError:
            continue
        if span[:1] in '"{[' or isinstance(parsed, (int, float, bool)) or parsed is None:
            values.append(span)
    return values


def _target_query(exchange: Exchange, param: str) -> str:
    return code(f"{param}={exchange.params.get(param, '')}")


# -- readings shared by several observations ------------------------------------------------------
def _lists(record: Record) -> Iterator[Exchange]:
    """200 list pages the suite asked on purpose (generated requests aside), each parameter given once.

    A page asked with a parameter given twice (`starting_after=A&starting_after=B`) obeys one copy
    or the other; ``params`` names only the last, so such a page would be read against a cursor it
    may not have obeyed. Its own observations read it (the `repeated` tag, ERR-004)."""
    return (e for e in record if e.page_ids is not None and not e.tag.startswith("generated")
            and len({k for k, _ in e.query}) == len(e.query))


def _items(page: Exchange) -> list[dict[str, Any]]:
    return [i for i in page.json["data"] if isinstance(i, dict)]


def _statuses(record: Record, tag: str) -> Iterator[Exchange]:
    return (e for e in record.under(tag) if e.judgeable)


def _answered(record: Record, tag: str, accept: Callable[[int], bool]) -> list[int]:
    return _first(e.seq for e in _statuses(record, tag) if accept(e.status or 0))


def _limit_values(record: Record, values: tuple[str, ...], accept: Callable[[Exchange], bool]) -> list[int]:
    return _first(e.seq for e in record if e.tag.startswith("limit:") and e.judgeable
                  and e.params.get("limit") in values and accept(e))


def _filter_parameters(spec: Spec) -> set[str]:
    """The query parameters that filter the operation's list (``status`` always: checkout sessions'
    filter, and the one an observation of another operation must never read as unfiltered)."""
    return {f.parameter for f in spec.filters} | {"status"}


def _unfiltered(page: Exchange, spec: Spec) -> bool:
    """Whether ``page`` was asked without any of the operation's filters (docs/family.md: an `email`
    or `customer` page is a filtered page, not a page of the whole list)."""
    return not set(page.params) & _filter_parameters(spec)


def _after_pages(record: Record, param: str, spec: Spec) -> Iterator[tuple[Exchange, str]]:
    """List pages asked with a cursor ``param`` the reference walk knows, unfiltered."""
    collection = Collection.from_record(record)
    for page in _lists(record):
        cursor = page.params.get(param)
        if cursor is not None and _unfiltered(page, spec) and collection.position(cursor) is not None:
            yield page, cursor


def _tied(collection: Collection, a: str, b: str) -> bool:
    return collection.created_of(a) == collection.created_of(b)


def _second_ends(collection: Collection, item_id: str) -> int:
    """The position right after the run of items sharing item_id's second (the list is ordered
    by `created`, so a second's items are adjacent; what order they take inside is not relied on)."""
    end = (collection.position(item_id) or 0) + 1
    while end < len(collection.ids) and _tied(collection, item_id, collection.ids[end]):
        end += 1
    return end


def _older_follows(collection: Collection, item_id: str) -> bool:
    return collection.position(item_id) is not None and _second_ends(collection, item_id) < len(collection.ids)


# -- limit ----------------------------------------------------------------------------------------
@observation("limit-omitted-not-default", "a page asked without `limit` holds another number of "
             "sessions than the default while more exist")
def _omitted_not_default(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    return _first(p.seq for p in _lists(record)
                  if not set(p.params) & {"limit", "starting_after", "ending_before"} and _unfiltered(p, spec)
                  and len(collection) > DEFAULT_LIMIT and len(p.page_ids or []) != DEFAULT_LIMIT)


def _beyond(collection: Collection, page: Exchange) -> int | None:
    """How many sessions of the (complete) collection lie in the page's direction from its
    cursor (from the head without one), or None when the record cannot tell."""
    if not collection.complete:
        return None
    if (before := page.params.get("ending_before")) is not None:
        return collection.position(before)
    cursor = page.params.get("starting_after")
    if cursor is None:
        return len(collection)
    position = collection.position(cursor)
    return None if position is None else len(collection) - position - 1


@observation("pages-one-short", "pages asked with `limit` N hold N-1 sessions while `has_more` is true and "
             "at least N sessions lie that way")
def _one_short(record: Record, spec: Spec) -> list[int]:
    # Only where more sessions existed: a page holding the last N-1 sessions is short because the
    # list ended there (its has_more is another rule's), not because a page holds one too few.
    collection = Collection.from_record(record)
    return _first(p.seq for p in _lists(record) if p.has_more is True and _unfiltered(p, spec)
                  and (n := limit_sent(p) or 0) >= 2 and len(p.page_ids or []) == n - 1
                  and (beyond := _beyond(collection, p)) is not None and beyond >= n)


@observation("short-last-page-has-more", "a page holding fewer sessions than `limit`, the last that way, "
             "says `has_more` true")
def _short_last_has_more(record: Record, spec: Spec) -> list[int]:
    # `len(page) == limit` cannot give this (has-more-when-full); a count of all matches ignoring
    # the cursor, or a constant, can.
    collection = Collection.from_record(record)
    return _first(p.seq for p in _lists(record) if p.has_more is True and _unfiltered(p, spec)
                  and (n := limit_sent(p) or 0) >= 2 and p.page_ids is not None and len(p.page_ids) < n
                  and _beyond(collection, p) == len(p.page_ids))


EXPLAINS["short-last-page-has-more"] = ("PAG-007", "PAG-008", "LIM-004")


@describer("short-last-page-has-more")
def _say_short_last(record: Record, seqs: list[int]) -> str:
    page = record.by_seq(seqs[0])
    return (f"The page #{page.seq} holds {len(page.page_ids or [])} of the {limit_sent(page)} sessions asked, "
            "the last ones that way, and says `has_more` true.")


@observation("limit-max-refused", "`limit` at its maximum is refused")
def _max_refused(record: Record, spec: Spec) -> list[int]:
    maximum = str(spec.parameter("limit")["schema"]["maximum"])
    return _first(e.seq for e in record if e.judgeable and e.params.get("limit") == maximum
                  and 400 <= (e.status or 0) < 500 and not e.tag.startswith("generated"))


@observation("limit-zero-served-empty", "`limit=0` answered 200 with an empty page")
def _zero_empty(record: Record, spec: Spec) -> list[int]:
    return _limit_values(record, ("0",), lambda e: e.page_ids == [])


@observation("limit-below-min-served", "`limit` below the minimum answered 200 with sessions")
def _below_min(record: Record, spec: Spec) -> list[int]:
    return _limit_values(record, ("0", "-1"), lambda e: bool(e.page_ids))


@observation("limit-above-max-served", "`limit` above the maximum answered 200")
def _above_max(record: Record, spec: Spec) -> list[int]:
    maximum = int(spec.parameter("limit")["schema"]["maximum"])
    values = tuple(str(n) for n in (maximum + 1, maximum * 10))
    return _limit_values(record, values, lambda e: e.status == 200)


@observation("limit-fraction-served", "a fractional `limit` (1.5) answered 200")
def _fraction(record: Record, spec: Spec) -> list[int]:
    return _limit_values(record, ("1.5",), lambda e: e.status == 200)


@observation("limit-empty-served", "an empty `limit=` answered 200")
def _empty_limit(record: Record, spec: Spec) -> list[int]:
    return _limit_values(record, ("",), lambda e: e.status == 200)


@observation("limit-huge-crashed", "a `limit` past 64 bits answered 5xx")
def _huge(record: Record, spec: Spec) -> list[int]:
    return _limit_values(record, tuple(v for v in OUT_OF_RANGE if len(v.lstrip("-")) > 18),
                         lambda e: (e.status or 0) >= 500)


@observation("limit-exponent-served", "a `limit` in exponent notation (`1e1`) answered 200")
def _exponent(record: Record, spec: Spec) -> list[int]:
    return _limit_values(record, ("1e1",), lambda e: e.status == 200)


@observation("repeated-param-crashed", "a request repeating a parameter answered 5xx")
def _repeated_crashed(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "repeated", lambda s: s >= 500)


@observation("repeated-limit-over-served", "a request repeating `limit` was answered with more sessions "
             "than any valid value sent")
def _repeated_limit(record: Record, spec: Spec) -> list[int]:
    def over(e: Exchange) -> bool:
        valid = [int(v) for k, v in e.query if k == "limit" and v.isdigit() and 1 <= int(v) <= 100]
        return e.page_ids is not None and len(e.page_ids) > max(valid, default=0)
    return _first(e.seq for e in record.tagged("repeated") if sum(k == "limit" for k, _ in e.query) > 1 and over(e))


@observation("limit-garbage-crashed", "a `limit` that is not an integer answered 5xx")
def _garbage(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "limit:type", lambda s: s >= 500)


# -- cursors and order -----------------------------------------------------------------------------
@observation("page-repeats-cursor", "a page after (or before) a cursor holds the cursor item itself")
def _repeats_cursor(record: Record, spec: Spec) -> list[int]:
    # Filtered pages too: the cursor is never on the page after (or before) it, whatever the filter.
    for param in ("starting_after", "ending_before"):
        for page in _lists(record):
            cursor = page.params.get(param)
            if cursor is not None and cursor in (page.page_ids or []):
                # Best shown next to the page of the same walk the cursor was taken from.
                earlier = [p.seq for p in record.tagged(page.tag)
                           if p.seq < page.seq and p.page_ids and cursor in (p.page_ids[-1], p.page_ids[0])]
                return [*earlier[-1:], page.seq]
    return []


@observation("cursor-skips-next-item", "the page after a cursor lacks the item right after it "
             "(created in another second) but starts with the one after that")
def _skips_next(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)

    def skips(page: Exchange, cursor: str) -> bool:
        following = collection.after(cursor, 2) or []
        ids = page.page_ids or []
        return (len(following) == 2 and bool(ids) and ids[0] == following[1] and following[0] not in ids
                and not _tied(collection, cursor, following[0]))

    return _first(p.seq for p, cursor in _after_pages(record, "starting_after", spec) if skips(p, cursor))


@observation("cursor-skips-same-second", "the page after (or before) a cursor lacks the items created in "
             "the cursor's second and starts (or ends) with another second")
def _skips_second(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)

    def skips(page: Exchange, cursor: str) -> bool:
        position, end = collection.position(cursor) or 0, _second_ends(collection, cursor)
        same, ids = collection.ids[position + 1:end], page.page_ids or []
        return (bool(same) and end < len(collection.ids) and bool(ids) and ids[0] == collection.ids[end]
                and not set(same) & set(ids))

    def skips_back(page: Exchange, cursor: str) -> bool:
        position = collection.position(cursor) or 0
        start = position
        while start > 0 and _tied(collection, cursor, collection.ids[start - 1]):
            start -= 1
        same, ids = collection.ids[start:position], page.page_ids or []
        return (bool(same) and start > 0 and bool(ids) and ids[-1] == collection.ids[start - 1]
                and not set(same) & set(ids))

    forward = (p.seq for p, cursor in _after_pages(record, "starting_after", spec) if skips(p, cursor))
    backward = (p.seq for p, cursor in _after_pages(record, "ending_before", spec) if skips_back(p, cursor))
    return _first(iter([*forward, *backward]))


@observation("cursor-ignored", "a page after a cursor is the first page of the list")
def _cursor_ignored(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    first = collection.ids[0] if collection.ids else None
    return _first(p.seq for p, cursor in _after_pages(record, "starting_after", spec)
                  if first is not None and cursor != first and (p.page_ids or [""])[0] == first)


@observation("unknown-cursor-served", "a cursor no session has answered 200")
def _unknown_cursor(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "cursor:unknown", lambda s: s == 200)


@observation("both-cursors-served", "`starting_after` and `ending_before` together answered 200")
def _both_cursors(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "cursor:both", lambda s: s == 200)


def _before_pages(record: Record, spec: Spec) -> Iterator[tuple[Exchange, int, list[str]]]:
    """`ending_before` pages with a known cursor: (page, cursor position, ids expected)."""
    collection = Collection.from_record(record)
    for page, cursor in _after_pages(record, "ending_before", spec):
        position = collection.position(cursor) or 0
        limit = limit_sent(page) or DEFAULT_LIMIT
        yield page, position, collection.ids[max(0, position - limit):position]


@observation("before-page-from-list-start", "a page before a cursor holds the first items of the list, "
             "not those right before the cursor")
def _before_start(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    return _first(p.seq for p, position, expected in _before_pages(record, spec)
                  if position > len(expected) and p.page_ids and p.page_ids != expected
                  and p.page_ids == collection.ids[:len(p.page_ids)])


@observation("before-page-ascending", "a page before a cursor holds the right items in reverse order")
def _before_ascending(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p, _position, expected in _before_pages(record, spec)
                  if len(expected) >= 2 and p.page_ids == list(reversed(expected)))


@observation("before-has-more-false-early", "a page before a cursor says `has_more` false while "
             "sessions of a newer second precede it")
def _before_false(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    newest = collection.ids[0] if collection.ids else ""
    return _first(p.seq for p, _position, _expected in _before_pages(record, spec)
                  if p.has_more is False and p.page_ids
                  and not any(_tied(collection, newest, i) for i in p.page_ids))


@observation("before-has-more-true-at-start", "a page before a cursor that reaches the start of the "
             "list says `has_more` true")
def _before_true(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    return _first(p.seq for p, _position, _expected in _before_pages(record, spec)
                  if p.has_more is True and collection.ids and collection.ids[0] in (p.page_ids or []))


@observation("full-last-page-has-more", "a full page that ends with the last session says `has_more` true")
def _full_last(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    if not collection.complete or not collection.ids:
        return []
    last = collection.ids[-1]
    return _first(p.seq for p in _lists(record)
                  if "ending_before" not in p.params and _unfiltered(p, spec) and p.has_more is True
                  and (p.page_ids or [""])[-1] == last and len(p.page_ids or []) == limit_sent(p))


@observation("forward-has-more-false-early", "a full page says `has_more` false while sessions of an "
             "older second follow it")
def _forward_false(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    return _first(p.seq for p in _lists(record)
                  if "ending_before" not in p.params and _unfiltered(p, spec) and p.has_more is False
                  and p.page_ids and len(p.page_ids) == limit_sent(p)
                  and _older_follows(collection, p.page_ids[-1]))


@observation("tie-order-depends-on-limit", "sessions created in the same second come in another order "
             "at another page size")
def _tie_order(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    order = {i: n for n, i in enumerate(collection.ids)}
    for tag in ("walk:7", "walk:1", "walk:default"):
        pages = [p for p in record.tagged(tag) if p.page_ids is not None]
        seen = [(i, p.seq) for p in pages for i in (p.page_ids or [])]
        for (a, _), (b, seq_b) in pairwise(seen):
            if a in order and b in order and _tied(collection, a, b) and order[a] > order[b]:
                first_page = next(p.seq for p in record.tagged(REFERENCE_WALK))
                return [seq_b, first_page]
    return []


@observation("list-ascending", "the list is ordered oldest first")
def _ascending(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    created = [collection.created_of(i) for i in collection.ids]
    numbers = [c for c in created if isinstance(c, int)]
    if len(numbers) < 2 or numbers != sorted(numbers) or numbers[0] == numbers[-1]:
        return []
    return [p.seq for p in record.tagged(REFERENCE_WALK)][:1]


@observation("next-cursor-on-last-page", "a page saying `has_more` false carries a `next_cursor`")
def _next_on_last(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p in _lists(record) if p.has_more is False
                  and isinstance(p.json, dict) and p.json.get("next_cursor") is not None)


@observation("next-cursor-not-string", "`next_cursor` is neither a string nor null")
def _next_not_string(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p in _lists(record) if isinstance(p.json, dict)
                  and p.json.get("next_cursor") is not None and not isinstance(p.json["next_cursor"], str))


@observation("next-cursor-first-id", "on a forward page `next_cursor` is the id of the page's first item")
def _next_first(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p in _lists(record) if len(p.page_ids or []) >= 2 and "ending_before" not in p.params
                  and next_cursor_of(p) == (p.page_ids or [""])[0])


@observation("next-cursor-echoes-cursor", "on a page asked with `starting_after`, `next_cursor` is that cursor")
def _next_echoes(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p in _lists(record) if p.page_ids and p.params.get("starting_after") is not None
                  and next_cursor_of(p) == p.params["starting_after"])


# -- the status filter ------------------------------------------------------------------------------
def _filtered(record: Record) -> Iterator[tuple[Exchange, str]]:
    for page in _lists(record):
        status = page.params.get("status")
        if status is not None and page.tag.startswith("filter:"):
            yield page, status


@observation("filtered-page-other-status", "a page filtered by `status` holds sessions of another known status",
             reads="status")
def _other_status(record: Record, spec: Spec) -> list[int]:
    known = set(spec.enum_of("status"))
    return _first(p.seq for p, status in _filtered(record)
                  if any(i.get("status") in known - {status} for i in _items(p)))


@observation("filtered-page-short-with-more", "a filtered page holds fewer sessions than `limit` "
             "while more of its status follow", reads="status")
def _short_filtered(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)

    def more_follow(page: Exchange, status: str) -> bool:
        matching = collection.restricted(status)
        ids = page.page_ids or []
        return bool(ids) and ids[-1] in matching and matching.index(ids[-1]) + 1 < len(matching)

    return _first(p.seq for p, status in _filtered(record)
                  if p.has_more is True and len(p.page_ids or []) < (limit_sent(p) or 0) and more_follow(p, status))


@observation("filtered-has-more-at-end", "a filtered page that ends with the last session of its "
             "status says `has_more` true", reads="status")
def _filtered_end(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    if not collection.complete:
        return []
    return _first(p.seq for p, status in _filtered(record)
                  if p.has_more is True and p.page_ids and collection.restricted(status)
                  and p.page_ids[-1] == collection.restricted(status)[-1])


@observation("filtered-cursor-skips-next-item", "a `status=S` page after a cursor lacks the next session "
             "of status S (created in another second) but starts with the one after that", reads="status")
def _filtered_skips_next(record: Record, spec: Spec) -> list[int]:
    return _filtered_skip_pages(record)


def _filtered_skip_pages(record: Record, own_status: bool = False) -> list[int]:
    """The filtered pages after a cursor that skip the next S-session (``own_status``: only
    where the cursor itself has status S)."""
    collection = Collection.from_record(record)
    if not collection.complete:
        return []

    def skips(page: Exchange, status: str) -> bool:
        cursor, ids = page.params.get("starting_after", ""), page.page_ids or []
        position = collection.position(cursor)
        if position is None or not ids or (own_status and collection.status_of(cursor) != status):
            return False
        following = [i for i in collection.ids[position + 1:] if collection.status_of(i) == status][:2]
        # The skipped session is in another second than the cursor: a `created`-only keyset
        # skips the cursor's own second, never this one (cursor-skips-same-second).
        return (len(following) == 2 and ids[0] == following[1] and following[0] not in ids
                and not _tied(collection, cursor, following[0]))

    return _first(p.seq for p, status in _filtered(record) if skips(p, status))


@observation("filtered-skips-next-own-status", "the `status=S` page after a cursor that is itself an S-session "
             "lacks the S-session right after it but starts with the one after that", reads="status")
def _filtered_skips_next_own(record: Record, spec: Spec) -> list[int]:
    # A cursor of the filter's own status: the skip is the cursor arithmetic's, not a foreign
    # cursor moved onto the next match (filter-foreign-cursor-skips, FLT-007).
    return _filtered_skip_pages(record, own_status=True)


@observation("cursor-skips-next-item-anywhere", "the page after a cursor, filtered or not, lacks the item "
             "right after it but starts with the one after that")
def _skips_next_anywhere(record: Record, spec: Spec) -> list[int]:
    return _first(iter([*_skips_next(record, spec), *_filtered_skips_next(record, spec)]))


@observation("filtered-has-more-false-early", "a full `status=S` page says `has_more` false while sessions "
             "of status S from an older second follow it", reads="status")
def _filtered_false(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)

    def older_follows(page: Exchange, status: str) -> bool:
        last = (page.page_ids or [""])[-1]
        position = collection.position(last)
        return position is not None and any(collection.status_of(i) == status and not _tied(collection, last, i)
                                            for i in collection.ids[position + 1:])

    return _first(p.seq for p, status in _filtered(record)
                  if "ending_before" not in p.params and p.has_more is False and p.page_ids
                  and len(p.page_ids) == limit_sent(p) and older_follows(p, status))


@observation("has-more-false-early-anywhere", "a full page, filtered or not, says `has_more` false while "
             "sessions it would list follow it")
def _false_anywhere(record: Record, spec: Spec) -> list[int]:
    return _first(iter([*_forward_false(record, spec), *_filtered_false(record, spec)]))


@observation("filtered-short-last-page-has-more", "a filtered page shorter than `limit` that ends with the "
             "last session of its status says `has_more` true", reads="status")
def _filtered_short_end(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    if not collection.complete:
        return []
    return _first(p.seq for p, status in _filtered(record)
                  if p.has_more is True and p.page_ids and collection.restricted(status)
                  and p.page_ids[-1] == collection.restricted(status)[-1]
                  and len(p.page_ids) < (limit_sent(p) or DEFAULT_LIMIT))


@observation("filter-misses-sessions", "a filtered walk lacks sessions of its status from the stretch "
             "of the list it covered", reads="status")
def _misses(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    hits = []
    for status in spec.enum_of("status"):
        pages = [p for p in record.tagged(f"filter:{status}") if p.page_ids is not None]
        listed = {i for p in pages for i in (p.page_ids or [])}
        reached = [pos for i in listed if (pos := collection.position(i)) is not None]
        if not reached:
            continue
        # A walk cut by its page budget covered the list up to its last item, no further.
        ended = pages[-1].has_more is False and collection.complete
        covered = collection.ids if ended else collection.ids[:max(reached) + 1]
        if any(collection.status_of(i) == status and i not in listed for i in covered):
            hits.append(pages[0].seq)
    return _first(iter(hits))


@observation("status-invalid-served", "an unknown `status` answered 200", reads="status")
def _invalid_status(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "filter:invalid", lambda s: s == 200)


@observation("status-invalid-404", "an unknown `status` answered 404", reads="status")
def _invalid_404(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "filter:invalid", lambda s: s == 404)


@observation("status-outside-enum", "sessions carry a `status` outside the documented values", reads="status")
def _status_enum(record: Record, spec: Spec) -> list[int]:
    known = set(spec.enum_of("status"))
    if not known:  # an operation without a `status` enum: nothing is outside it (issue 24)
        return []
    return _first(p.seq for p in _lists(record) if any(i.get("status") not in known for i in _items(p)))


# -- authentication and errors -------------------------------------------------------------------
@observation("no-credentials-served", "a request without credentials answered 200")
def _no_credentials(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "auth:none", lambda s: s == 200)


@observation("no-credentials-403", "a request without credentials answered 403")
def _no_credentials_403(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "auth:none", lambda s: s == 403)


@observation("unknown-key-served", "an unknown API key answered 200")
def _unknown_key(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "auth:unknown-key", lambda s: s == 200)


@observation("key-as-password-served", "the key sent as the Basic password answered 200")
def _key_as_password(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "auth:key-as-password", lambda s: s == 200)


@observation("malformed-auth-crashed", "a malformed `Authorization` header answered 5xx")
def _malformed(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "auth:malformed", lambda s: s >= 500)


_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


@observation("auth-not-base64-crashed", "Basic credentials that are not base64 answered 5xx")
def _not_base64(record: Record, spec: Spec) -> list[int]:
    def not_base64(exchange: Exchange) -> bool:
        # The label of a hand-made header is "header <value as sent>" (exchange.py).
        scheme, _, token = exchange.auth.removeprefix("header ").partition(" ")
        return (exchange.auth.startswith("header ") and scheme == "Basic" and bool(token)
                and " " not in token and not set(token) <= _BASE64)

    return _first(e.seq for e in _statuses(record, "auth:malformed") if (e.status or 0) >= 500 and not_base64(e))


@observation("refusal-carries-sessions", "a 401 body carries sessions")
def _refusal_data(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 401 and isinstance(e.json, dict)
                  and isinstance(e.json.get("data"), list) and e.json["data"])


@observation("error-names-session", "an error body names a session id the request did not")
def _error_names(record: Record, spec: Spec) -> list[int]:
    ids = set(Collection.from_record(record).ids)
    return _first(e.seq for e in record if e.judgeable and (e.status or 0) >= 400
                  and any(i in e.body for i in ids) and not any(i in e.target for i in ids))


@observation("challenge-missing", "a 401 carries no `WWW-Authenticate` header")
def _no_challenge(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 401 and "www-authenticate" not in e.response_headers)


@observation("error-not-json", "an error answer is not a JSON object sent as JSON")
def _error_text(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.judgeable and (e.status or 0) >= 400
                  and (not isinstance(e.json, dict) or "json" not in e.content_type.lower()))


@observation("error-not-error-object", "a JSON error answer is not an error object")
def _error_shape(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.judgeable and (e.status or 0) >= 400 and e.json is not None
                  and not is_error_object(e))


@observation("validation-422", "an invalid parameter answered 422")
def _422(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 422 and not e.tag.startswith("generated"))


# -- version and protocol ---------------------------------------------------------------------------
@observation("version-unknown-served", "an unknown `X-API-Version` answered 200")
def _version_unknown(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "version:unknown", lambda s: s == 200)


@observation("version-crashed", "an `X-API-Version` value answered 5xx")
def _version_crash(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.tag.startswith("version:") and e.judgeable and (e.status or 0) >= 500)


@observation("json-not-labelled-json", "a 200 JSON body is sent with another content type")
def _content_type(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p in _lists(record) if "json" not in p.content_type.lower())


# -- the envelope and the session object -----------------------------------------------------------
def _item_field(record: Record, test: Callable[[dict[str, Any]], bool]) -> list[int]:
    return _first(p.seq for p in _lists(record) if any(test(i) for i in _items(p)))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@observation("created-is-string", "`created` is a string")
def _created_string(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: isinstance(i.get("created"), str))


@observation("timestamp-float", "`created` or `expires_at` is a number with a fraction part or exponent")
def _timestamp_float(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: any(isinstance(i.get(k), float) for k in ("created", "expires_at")))


@observation("created-not-integer", "`created` is not an integer")
def _created(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: "created" in i and not _is_int(i["created"]))


@observation("amount-not-integer", "an amount is not an integer")
def _amount(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: any(
        i.get(k) is not None and not _is_int(i.get(k)) for k in ("amount_total", "amount_subtotal")))


@observation("livemode-not-boolean", "`livemode` is not a boolean")
def _livemode(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: "livemode" in i and not isinstance(i["livemode"], bool))


@observation("livemode-true", "`livemode` is true")
def _livemode_true(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: i.get("livemode") is True)


@observation("metadata-not-object", "`metadata` is not an object")
def _metadata(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: "metadata" in i and not isinstance(i["metadata"], dict))


@observation("expires-at-null", "`expires_at` is null")
def _expires_null(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: "expires_at" in i and i["expires_at"] is None)


@observation("discount-negative", "`total_details.amount_discount` is negative")
def _discount(record: Record, spec: Spec) -> list[int]:
    def negative(item: dict[str, Any]) -> bool:
        details = item.get("total_details")
        value = details.get("amount_discount") if isinstance(details, dict) else None
        return isinstance(value, int) and value < 0

    return _item_field(record, negative)


def _shared_ids(record: Record) -> dict[str, set[Any]]:
    """Ids held by several distinct sessions in one page: id -> the `created` values they carry."""
    shared: dict[str, set[Any]] = {}
    for page in _lists(record):
        items = _items(page)
        ids = [i.get("id") for i in items]
        for item in items:
            if ids.count(item.get("id")) > 1:
                shared.setdefault(str(item.get("id")), set()).add(repr(item.get("created")))
    return shared


@observation("ids-shared-within-second", "sessions created in one second share one id")
def _ids_second(record: Record, spec: Spec) -> list[int]:
    shared = _shared_ids(record)
    if not shared or any(len(c) > 1 for c in shared.values()):
        return []
    return _first(p.seq for p in _lists(record) if set(p.page_ids or []) & set(shared))


@observation("ids-shared-across-seconds", "sessions created in different seconds share one id")
def _ids_across(record: Record, spec: Spec) -> list[int]:
    across = {i for i, created in _shared_ids(record).items() if len(created) > 1}
    return _first(p.seq for p in _lists(record) if set(p.page_ids or []) & across)


@observation("has-more-not-boolean", "`has_more` is not a boolean")
def _has_more_type(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 200 and isinstance(e.json, dict)
                  and "has_more" in e.json and not isinstance(e.json["has_more"], bool))


@observation("envelope-url-missing", "a list envelope has no `url`")
def _url_missing(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 200 and isinstance(e.json, dict)
                  and isinstance(e.json.get("data"), list) and "url" not in e.json)


@observation("envelope-url-absolute", "the envelope `url` is an absolute URL")
def _url_absolute(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 200 and isinstance(e.json, dict)
                  and str(e.json.get("url", "")).startswith(("http://", "https://")))


# -- a live collection (checks/history.py) ----------------------------------------------------------
@observation("ids-change-per-response", "head pages list the same `created` seconds under ids they share none of")
def _ids_per_response(record: Record, spec: Spec) -> list[int]:
    from conformance.checks.history import History

    unstable = History.of(record).ids_unstable
    return list(unstable.exchanges) if unstable is not None else []


@observation("created-changed", "one session listed with two `created` values")
def _created_changed(record: Record, spec: Spec) -> list[int]:
    from conformance.checks.history import History

    return _first(seq for change in History.of(record).created_changes for seq in change.exchanges)


# -- defining evidence that tells look-alikes apart (issue 20) -------------------------------------
def _above_max_pages(record: Record, spec: Spec) -> Iterator[Exchange]:
    maximum = int(spec.parameter("limit")["schema"]["maximum"])
    values = tuple(str(n) for n in (maximum + 1, maximum * 10))
    return (e for e in record if e.tag.startswith("limit:") and e.judgeable and e.params.get("limit") in values
            and e.status == 200 and e.page_ids is not None)


@observation("limit-above-max-over-max", "`limit` above the maximum served more sessions than the maximum")
def _over_max(record: Record, spec: Spec) -> list[int]:
    maximum = int(spec.parameter("limit")["schema"]["maximum"])
    return _first(e.seq for e in _above_max_pages(record, spec) if len(e.page_ids or []) > maximum)


@observation("limit-above-max-at-max", "`limit` above the maximum served exactly the maximum while more "
             "sessions exist")
def _at_max(record: Record, spec: Spec) -> list[int]:
    maximum = int(spec.parameter("limit")["schema"]["maximum"])
    collection = Collection.from_record(record)
    more = not collection.complete or len(collection) > maximum
    return _first(e.seq for e in _above_max_pages(record, spec) if more and len(e.page_ids or []) == maximum)


@observation("limit-clamped-shown", "`limit` out of range was served as the nearest bound: below the "
             "minimum with sessions, or above the maximum with exactly the maximum")
def _clamped_shown(record: Record, spec: Spec) -> list[int]:
    return _first(iter([*_below_min(record, spec), *_at_max(record, spec)]))


@describer("limit-above-max-served")
def _say_above_max(record: Record, seqs: list[int]) -> str:
    page = record.by_seq(seqs[0])
    return (f"{_target_query(page, 'limit')} (#{page.seq}) answered 200 with {len(page.page_ids or [])} "
            "sessions.")


@observation("status-invalid-served-unfiltered", "an unknown `status` answered 200 with sessions", reads="status")
def _invalid_unfiltered(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in _statuses(record, "filter:invalid") if e.status == 200 and e.page_ids)


@observation("status-invalid-served-empty", "an unknown `status` answered 200 with an empty page", reads="status")
def _invalid_empty(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in _statuses(record, "filter:invalid") if e.status == 200 and e.page_ids == [])


EXPLAINS["status-invalid-served-empty"] = ("FLT-004", "SCH-003")


@observation("status-variant-served-empty", "a `status` in another case or with spaces (`OPEN`) answered 200 "
             "with an empty page", reads="status")
def _variant_empty(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in _statuses(record, "filter:lenient") if e.status == 200 and e.page_ids == [])


EXPLAINS["status-variant-served-empty"] = ("FLT-006",)


@describer("status-invalid-served-unfiltered")
@describer("status-invalid-served-empty")
@describer("status-variant-served-empty")
def _say_invalid_status(record: Record, seqs: list[int]) -> str:
    page = record.by_seq(seqs[0])
    count = len(page.page_ids or [])
    return (f"An unknown {_target_query(page, 'status')} (#{page.seq}) answered 200 with "
            + (plural(count, "session") if count else "an empty page") + " instead of 400.")


@observation("unknown-key-403", "an unknown API key answered 403")
def _unknown_key_403(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "auth:unknown-key", lambda s: s == 403)


EXPLAINS["unknown-key-403"] = ("AUTH-002",)


@describer("unknown-key-403")
@describer("no-credentials-403")
def _say_403(record: Record, seqs: list[int]) -> str:
    return f"The request #{seqs[0]} was refused with 403, not 401 with a challenge."


@describer("no-credentials-served")
def _say_no_credentials(record: Record, seqs: list[int]) -> str:
    page = record.by_seq(seqs[0])
    return (f"A request without credentials (#{page.seq}) answered 200 with "
            f"{plural(len(page.page_ids or []), 'session')}.")


@describer("page-repeats-cursor")
def _say_repeats(record: Record, seqs: list[int]) -> str:
    page = record.by_seq(seqs[-1])
    for param, edge in (("starting_after", 0), ("ending_before", -1)):
        cursor = page.params.get(param)
        if cursor is not None and page.page_ids and cursor in page.page_ids:
            where = ("starts with" if page.page_ids[edge] == cursor else "holds") if edge == 0 else \
                ("ends with" if page.page_ids[edge] == cursor else "holds")
            side = "after" if param == "starting_after" else "before"
            return f"The page {side} {code(f'{param}={cursor}')} (#{page.seq}) {where} {code(cursor)} itself."
    return ""


@observation("filtered-page-crashed", "a page asked with a known `status` answered 5xx", reads="status")
def _filtered_crashed(record: Record, spec: Spec) -> list[int]:
    known = set(spec.enum_of("status"))
    # Generated requests count: a filtered request crashing is the evidence, whoever asked it.
    return _first(e.seq for e in record if e.judgeable and (e.status or 0) >= 500 and e.params.get("status") in known)


@observation("complete-filter-misses-unpaid", "the `status=complete` walk lacks complete sessions that are "
             "not paid, and lists every paid one it covered", reads="status")
def _complete_unpaid(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    items = {i.get("id"): i for p in _lists(record) for i in _items(p) if _unfiltered(p, spec)}
    pages = [p for p in record.tagged("filter:complete") if p.page_ids is not None]
    listed = {i for p in pages for i in (p.page_ids or [])}
    reached = [pos for i in listed if (pos := collection.position(i)) is not None]
    if not pages or not reached:
        return []
    ended = pages[-1].has_more is False and collection.complete
    covered = [items[i] for i in (collection.ids if ended else collection.ids[:max(reached) + 1])
               if i in items and items[i].get("status") == "complete"]
    lost = [i for i in covered if i.get("id") not in listed]
    if lost and all(i.get("payment_status") != "paid" for i in lost) \
            and all(i.get("id") in listed for i in covered if i.get("payment_status") == "paid"):
        return [pages[0].seq]
    return []


@observation("unknown-cursor-crashed", "a cursor no session has answered 5xx")
def _unknown_cursor_crash(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "cursor:unknown", lambda s: s >= 500)


@observation("both-cursors-crashed", "`starting_after` and `ending_before` together answered 5xx")
def _both_crash(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "cursor:both", lambda s: s >= 500)


@observation("status-invalid-crashed", "an unknown `status` answered 5xx", reads="status")
def _invalid_status_crash(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "filter:invalid", lambda s: s >= 500)


@observation("page-holds-default-not-limit", "a page asked with another `limit` holds the default number of "
             "sessions: more than a smaller `limit`, or fewer than a larger one while `has_more` is true")
def _default_not_limit(record: Record, spec: Spec) -> list[int]:
    # A larger limit at least two above the default: an off-by-one page (limit - 1) is never mistaken.
    return _first(p.seq for p in _lists(record) if (limit := limit_sent(p)) is not None
                  and len(p.page_ids or []) == DEFAULT_LIMIT
                  and (limit < DEFAULT_LIMIT or (limit >= DEFAULT_LIMIT + 2 and p.has_more is True)))


_ID_SHAPE = re.compile(r"(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}")


@observation("customer-unprefixed", "`customer` is an id without its `cus_` prefix (letters and digits, no "
             "underscore)")
def _customer_bare(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: isinstance(i.get("customer"), str)
                       and bool(_ID_SHAPE.fullmatch(i["customer"])))


# -- value formats: never on a placeholder (a mock's literal "string") ------------------------------
_ISO_CURRENCY = re.compile(r"[A-Z]{3}")


@observation("currency-uppercase", "`currency` is a three-letter upper-case code")
def _currency_upper(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: isinstance(i.get("currency"), str)
                       and bool(_ISO_CURRENCY.fullmatch(i["currency"])))


@observation("payment-status-hyphenated", "`payment_status` is a documented value spelled with hyphens")
def _payment_hyphen(record: Record, spec: Spec) -> list[int]:
    documented = {"paid", "unpaid", "no_payment_required"}
    return _item_field(record, lambda i: isinstance(i.get("payment_status"), str) and "-" in i["payment_status"]
                       and i["payment_status"].replace("-", "_") in documented)


@observation("session-object-wrong", "a session's `object` is a string other than `checkout.session`")
def _session_object(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: isinstance(i.get("object"), str) and i["object"] != "checkout.session")


@observation("envelope-object-wrong", "a list envelope's `object` is a string other than `list`")
def _envelope_object(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 200 and isinstance(e.json, dict)
                  and isinstance(e.json.get("data"), list) and isinstance(e.json.get("object"), str)
                  and e.json["object"] != "list")


@observation("expires-at-equals-created", "`expires_at` equals `created`")
def _expires_equals(record: Record, spec: Spec) -> list[int]:
    return _item_field(record, lambda i: _is_int(i.get("expires_at")) and i.get("expires_at") == i.get("created"))


def _first_item_value(record: Record, seqs: list[int], key: str, test: Callable[[Any], bool]) -> tuple[int, Any]:
    for seq in seqs:
        page = record.by_seq(seq)
        for item in _items(page) if page.page_ids is not None else []:
            if key in item and test(item[key]):
                return seq, item[key]
    raise LookupError(key)


def _say_field(key: str, test: Callable[[Any], bool]) -> Describing:
    def say(record: Record, seqs: list[int]) -> str:
        seq, value = _first_item_value(record, seqs, key, test)
        return f"`{key}` is {quoted(value)} in #{seq}."

    return say


DESCRIBERS.update({
    "currency-uppercase": _say_field("currency", lambda v: isinstance(v, str)),
    "payment-status-hyphenated": _say_field("payment_status", lambda v: isinstance(v, str) and "-" in v),
    "session-object-wrong": _say_field("object", lambda v: v != "checkout.session"),
    "livemode-not-boolean": _say_field("livemode", lambda v: not isinstance(v, bool)),
    "status-outside-enum": _say_field("status", lambda v: v not in ("open", "complete", "expired")),
    "created-not-integer": _say_field("created", lambda v: not _is_int(v)),
    "amount-not-integer": _say_field("amount_total", lambda v: v is not None and not _is_int(v)),
    "metadata-not-object": _say_field("metadata", lambda v: not isinstance(v, dict)),
    "timestamp-float": _say_field("created", lambda v: isinstance(v, float)),
    "customer-unprefixed": _say_field("customer", lambda v: isinstance(v, str)),
})


def _say_answer(record: Record, seqs: list[int]) -> str:
    """A request and what it got: "`limit=0` (#12) answered 200 with an empty page"."""
    answer = record.by_seq(seqs[0])
    asked = code("&".join(f"{k}={v}" for k, v in answer.query)) if answer.query else "A request without parameters"
    if answer.page_ids is None:
        got = f"{answer.status}" if answer.status is not None else "no answer"
    else:
        got = f"{answer.status} with {plural(len(answer.page_ids), 'session')}" if answer.page_ids else \
            f"{answer.status} with an empty page"
    return f"{asked} (#{answer.seq}) answered {got}."


DESCRIBERS.update({name: _say_answer for name in (
    "unknown-cursor-served", "both-cursors-served", "limit-zero-served-empty", "limit-below-min-served",
    "limit-fraction-served", "limit-empty-served", "limit-max-refused", "limit-garbage-crashed",
    "status-invalid-404", "filtered-page-crashed", "version-unknown-served", "version-crashed",
    "unknown-cursor-crashed", "both-cursors-crashed", "status-invalid-crashed")})


@describer("envelope-object-wrong")
def _say_envelope_object(record: Record, seqs: list[int]) -> str:
    page = record.by_seq(seqs[0])
    return f"The list envelope's `object` is {quoted(page.json['object'])} in #{page.seq}."


@describer("has-more-not-boolean")
def _say_has_more(record: Record, seqs: list[int]) -> str:
    page = record.by_seq(seqs[0])
    return f"`has_more` is {quoted(page.json['has_more'])} in #{page.seq}."


@describer("error-not-error-object")
def _say_error_shape(record: Record, seqs: list[int]) -> str:
    answer = record.by_seq(seqs[0])
    keys = sorted(answer.json) if isinstance(answer.json, dict) else []
    shape = f"an object with the keys {', '.join(f'`{k}`' for k in keys[:5])}" if keys else "not an object"
    return f"The {answer.status} body of #{answer.seq} is {shape}, not an `error` object with `type` and `message`."


# The faults from the field register theirs (issue 10); imported last, as it uses the above.
from conformance.judge import field_observations  # noqa: E402, F401
