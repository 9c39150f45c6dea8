"""Observations for the faults from the field (issue 10), registered in the diagnosis
vocabulary (``conformance.judge.vocabulary``); ``conformance.judge.observations`` imports it at its end.

Each reads the transcript alone and returns the sequence numbers of the exchanges that show
it ([] when it does not hold), like every observation there.
"""

from __future__ import annotations

from conformance.checks import auth, next_cursor
from conformance.checks.base import Record
from conformance.checks.walks import NEXT_CURSOR_WALK, Walk, next_cursor_of
from conformance.exchange import Exchange
from conformance.judge.vocabulary import first as _first
from conformance.judge.vocabulary import observation
from conformance.spec import Spec


def _wrong_followed(record: Record, backward: bool) -> list[int]:
    """next_cursor pages (next_cursor.py) whose followed page differs from starting_after=<last id>."""
    exchanges = record.under(next_cursor.TAG)
    found = []
    for index, page in enumerate(exchanges[:-2]):
        ours, theirs = exchanges[index + 1:index + 3]
        if (page.tag, ours.tag, theirs.tag) != (next_cursor.SOURCE, next_cursor.BY_CURSOR, next_cursor.BY_ID):
            continue
        if ("ending_before" in page.params) == backward and ours.page_ids != theirs.page_ids:
            found += [page.seq, ours.seq]
    return _first(iter(found))


@observation("next-cursor-wrong-when-filtered", "a `status=S` page's `next_cursor` does not give the page "
             "that `starting_after=<last id>` gives")
def _filtered_wrong(record: Record, spec: Spec) -> list[int]:
    return _wrong_followed(record, backward=False)


@observation("next-cursor-wrong-after-ending-before", "an `ending_before` page's `next_cursor` does not give "
             "the page that `starting_after=<last id>` gives")
def _backward_wrong(record: Record, spec: Spec) -> list[int]:
    return _wrong_followed(record, backward=True)


@observation("next-cursor-backward-first-id", "an `ending_before` page's `next_cursor` is the page's first id")
def _backward_first_id(record: Record, spec: Spec) -> list[int]:
    return _first(p.seq for p in record.tagged(next_cursor.SOURCE)
                  if "ending_before" in p.params and p.page_ids and next_cursor_of(p) == p.page_ids[0])


@observation("credentials-ignored-after-keyed-fetch", "a URL fetched with the key is answered 200 again without "
             "credentials or with another key, while a fresh URL without credentials is refused")
def _cached_by_url(record: Record, spec: Spec) -> list[int]:
    fresh = [e for e in record.tagged("auth:none") if e.judgeable]
    if not fresh or any(e.status == 200 for e in fresh):
        return []
    return _first(e.seq for tag in (auth.CACHED_NONE, auth.CACHED_UNKNOWN) for e in record.tagged(tag)
                  if e.status == 200)


@observation("key-variant-served", "a near miss of the key (a character added or dropped, the other case, "
             "a prefix) answered 200")
def _key_variant(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record.tagged(auth.KEY_VARIANT_TAG) if e.status == 200)


@observation("next-cursor-right-unfiltered", "on the unfiltered forward walk, every `next_cursor` followed "
             "gives the page `starting_after=<last id>` gives")
def _unfiltered_right(record: Record, spec: Spec) -> list[int]:
    by_cursor = Walk.read(record, NEXT_CURSOR_WALK).usable_pages
    by_id = Walk.read(record, "walk:7").usable_pages
    pairs = list(zip(by_cursor[1:], by_id[1:], strict=False))
    if not pairs or any(a.page_ids != b.page_ids for a, b in pairs):
        return []
    return _first(iter([pairs[0][0].seq, pairs[0][1].seq]))


def _malformed(record: Record, crashed: bool, shape: str) -> list[int]:
    return [e.seq for e in record.tagged("auth:malformed") if e.judgeable and e.auth == f"header {shape}"
            and ((e.status or 0) >= 500) == crashed]


@observation("auth-split-crashed", "`Basic a b` crashed (5xx) while non-base64 credentials got a 4xx")
def _split_crashed(record: Record, spec: Spec) -> list[int]:
    split = _malformed(record, True, "Basic a b")
    guarded = _malformed(record, False, "Basic !!!not-base64!!!")
    return _first(iter(split + guarded)) if split and guarded else []


@observation("bracket-params-dropped", "a bracketed parameter (`expand[]`, `created[gte]`) got the connection "
             "closed without a response")
def _brackets_dropped(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record.tagged("unknown-param") if e.dropped and any("[" in k for k, _ in e.query))


@observation("data-not-an-array", "a 200 body has `data`, but not as an array")
def _data_not_array(record: Record, spec: Spec) -> list[int]:
    return _first(e.seq for e in record if e.status == 200 and isinstance(e.json, dict)
                  and "data" in e.json and not isinstance(e.json["data"], list))


@observation("status-variant-served-as-known", "a `status` in another case or with spaces (`OPEN`) answered "
             "200 with sessions of the status it names", reads="status")
def _status_variant(record: Record, spec: Spec) -> list[int]:
    known = set(spec.enum_of("status"))

    def served_as(exchange: Exchange) -> bool:
        raw = exchange.params.get("status", "")
        items = [i for i in exchange.json["data"] if isinstance(i, dict)] if exchange.page_ids else []
        folded = raw.strip().lower()
        return raw not in known and folded in known and bool(items) and all(i.get("status") == folded for i in items)

    return _first(e.seq for e in record.tagged("filter:lenient") if e.status == 200 and served_as(e))
