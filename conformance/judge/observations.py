"""The observation vocabulary of the diagnosis: small named facts read from a transcript.

A fault's :class:`~conformance.reference.faults.Signature` names observations it needs
(``seen``) or that rule it out (``unseen``). Each observation reads the recorded exchanges
(and the collection as the reference walk ``walk:100`` saw it) and returns the sequence
numbers of the exchanges that show it, best first; an empty list means "not observed".
Observations never judge a requirement: verdicts come from the checks, these only say
*which* defect best explains them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

from conformance.checks.base import Record
from conformance.checks.collection import Collection
from conformance.checks.common import is_error_object
from conformance.checks.walks import DEFAULT_LIMIT, limit_sent, next_cursor_of
from conformance.exchange import Exchange
from conformance.judge.vocabulary import OBSERVATIONS as OBSERVATIONS  # whole once this module is imported
from conformance.judge.vocabulary import first as _first
from conformance.judge.vocabulary import observation
from conformance.judge.vocabulary import observe as observe
from conformance.spec import Spec


# -- readings shared by several observations ------------------------------------------------------
def _lists(record: Record) -> Iterator[Exchange]:
    """200 list pages the suite asked on purpose (generated requests aside)."""
    return (e for e in record if e.page_ids is not None and not e.tag.startswith("generated"))


def _items(page: Exchange) -> list[dict[str, Any]]:
    return [i for i in page.json["data"] if isinstance(i, dict)]


def _statuses(record: Record, tag: str) -> Iterator[Exchange]:
    return (e for e in record.under(tag) if e.judgeable)


def _answered(record: Record, tag: str, accept: Callable[[int], bool]) -> list[int]:
    return _first(e.seq for e in _statuses(record, tag) if accept(e.status or 0))


def _limit_values(record: Record, values: tuple[str, ...], accept: Callable[[Exchange], bool]) -> list[int]:
    return _first(e.seq for e in record if e.tag.startswith("limit:") and e.judgeable
                  and e.params.get("limit") in values and accept(e))


def _after_pages(record: Record, param: str) -> Iterator[tuple[Exchange, str]]:
    """List pages asked with a cursor ``param`` the reference walk knows, unfiltered."""
    collection = Collection.from_record(record)
    for page in _lists(record):
        cursor = page.params.get(param)
        if cursor is not None and "status" not in page.params and collection.position(cursor) is not None:
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
                  if not set(p.params) & {"limit", "starting_after", "ending_before", "status"}
                  and len(collection) > DEFAULT_LIMIT and len(p.page_ids or []) != DEFAULT_LIMIT)


@observation("pages-one-short", "pages asked with `limit` N hold N-1 sessions while `has_more` is true")
def _one_short(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p in _lists(record) if p.has_more is True and "status" not in p.params
                  and (limit_sent(p) or 0) >= 2 and len(p.page_ids or []) == (limit_sent(p) or 0) - 1)


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


@observation("limit-garbage-crashed", "a `limit` that is not an integer answered 5xx")
def _garbage(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "limit:type", lambda s: s >= 500)


# -- cursors and order -----------------------------------------------------------------------------
@observation("page-repeats-cursor", "a page after (or before) a cursor holds the cursor item itself")
def _repeats_cursor(record: Record, spec: Spec) -> list[int]:
    for param in ("starting_after", "ending_before"):
        for page, cursor in _after_pages(record, param):
            if cursor in (page.page_ids or []):
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

    return _first(p.seq for p, cursor in _after_pages(record, "starting_after") if skips(p, cursor))


@observation("cursor-skips-same-second", "the page after a cursor lacks the items created in the "
             "cursor's second and starts with an older second")
def _skips_second(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)

    def skips(page: Exchange, cursor: str) -> bool:
        position, end = collection.position(cursor) or 0, _second_ends(collection, cursor)
        same, ids = collection.ids[position + 1:end], page.page_ids or []
        return (bool(same) and end < len(collection.ids) and bool(ids) and ids[0] == collection.ids[end]
                and not set(same) & set(ids))

    return _first(p.seq for p, cursor in _after_pages(record, "starting_after") if skips(p, cursor))


@observation("cursor-ignored", "a page after a cursor is the first page of the list")
def _cursor_ignored(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    first = collection.ids[0] if collection.ids else None
    return _first(p.seq for p, cursor in _after_pages(record, "starting_after")
                  if first is not None and cursor != first and (p.page_ids or [""])[0] == first)


@observation("unknown-cursor-served", "a cursor no session has answered 200")
def _unknown_cursor(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "cursor:unknown", lambda s: s == 200)


@observation("both-cursors-served", "`starting_after` and `ending_before` together answered 200")
def _both_cursors(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "cursor:both", lambda s: s == 200)


def _before_pages(record: Record) -> Iterator[tuple[Exchange, int, list[str]]]:
    """`ending_before` pages with a known cursor: (page, cursor position, ids expected)."""
    collection = Collection.from_record(record)
    for page, cursor in _after_pages(record, "ending_before"):
        position = collection.position(cursor) or 0
        limit = limit_sent(page) or DEFAULT_LIMIT
        yield page, position, collection.ids[max(0, position - limit):position]


@observation("before-page-from-list-start", "a page before a cursor holds the first items of the list, "
             "not those right before the cursor")
def _before_start(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    return _first(p.seq for p, position, expected in _before_pages(record)
                  if position > len(expected) and p.page_ids and p.page_ids != expected
                  and p.page_ids == collection.ids[:len(p.page_ids)])


@observation("before-page-ascending", "a page before a cursor holds the right items in reverse order")
def _before_ascending(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p, _position, expected in _before_pages(record)
                  if len(expected) >= 2 and p.page_ids == list(reversed(expected)))


@observation("before-has-more-false-early", "a page before a cursor says `has_more` false while "
             "sessions of a newer second precede it")
def _before_false(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    newest = collection.ids[0] if collection.ids else ""
    return _first(p.seq for p, _position, _expected in _before_pages(record)
                  if p.has_more is False and p.page_ids
                  and not any(_tied(collection, newest, i) for i in p.page_ids))


@observation("before-has-more-true-at-start", "a page before a cursor that reaches the start of the "
             "list says `has_more` true")
def _before_true(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    return _first(p.seq for p, _position, _expected in _before_pages(record)
                  if p.has_more is True and collection.ids and collection.ids[0] in (p.page_ids or []))


@observation("full-last-page-has-more", "a full page that ends with the last session says `has_more` true")
def _full_last(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    if not collection.complete or not collection.ids:
        return []
    last = collection.ids[-1]
    return _first(p.seq for p in _lists(record)
                  if "ending_before" not in p.params and "status" not in p.params and p.has_more is True
                  and (p.page_ids or [""])[-1] == last and len(p.page_ids or []) == limit_sent(p))


@observation("forward-has-more-false-early", "a full page says `has_more` false while sessions of an "
             "older second follow it")
def _forward_false(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    return _first(p.seq for p in _lists(record)
                  if "ending_before" not in p.params and "status" not in p.params and p.has_more is False
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
                first_page = next(p.seq for p in record.tagged("walk:100"))
                return [seq_b, first_page]
    return []


@observation("list-ascending", "the list is ordered oldest first")
def _ascending(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    created = [collection.created_of(i) for i in collection.ids]
    numbers = [c for c in created if isinstance(c, int)]
    if len(numbers) < 2 or numbers != sorted(numbers) or numbers[0] == numbers[-1]:
        return []
    return [p.seq for p in record.tagged("walk:100")][:1]


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


@observation("filtered-page-other-status", "a page filtered by `status` holds sessions of another known status")
def _other_status(record: Record, spec: Spec) -> list[int]:
    known = set(spec.enum_of("status"))
    return _first(p.seq for p, status in _filtered(record)
                  if any(i.get("status") in known - {status} for i in _items(p)))


@observation("filtered-page-short-with-more", "a filtered page holds fewer sessions than `limit` "
             "while more of its status follow")
def _short_filtered(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)

    def more_follow(page: Exchange, status: str) -> bool:
        matching = collection.restricted(status)
        ids = page.page_ids or []
        return bool(ids) and ids[-1] in matching and matching.index(ids[-1]) + 1 < len(matching)

    return _first(p.seq for p, status in _filtered(record)
                  if p.has_more is True and len(p.page_ids or []) < (limit_sent(p) or 0) and more_follow(p, status))


@observation("filtered-has-more-at-end", "a filtered page that ends with the last session of its "
             "status says `has_more` true")
def _filtered_end(record: Record, spec: Spec) -> list[int]:
    collection = Collection.from_record(record)
    if not collection.complete:
        return []
    return _first(p.seq for p, status in _filtered(record)
                  if p.has_more is True and p.page_ids and collection.restricted(status)
                  and p.page_ids[-1] == collection.restricted(status)[-1])


@observation("filter-misses-sessions", "a filtered walk lacks sessions of its status from the stretch "
             "of the list it covered")
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


@observation("status-invalid-served", "an unknown `status` answered 200")
def _invalid_status(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "filter:invalid", lambda s: s == 200)


@observation("status-invalid-404", "an unknown `status` answered 404")
def _invalid_404(record: Record, spec: Spec) -> list[int]:
    return _answered(record, "filter:invalid", lambda s: s == 404)


@observation("status-outside-enum", "sessions carry a `status` outside the documented values")
def _status_enum(record: Record, spec: Spec) -> list[int]:
    known = set(spec.enum_of("status"))
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


# The faults from the field register theirs (issue 10); imported last, so the registry keeps its order.
from conformance.judge import field_observations  # noqa: E402, F401
