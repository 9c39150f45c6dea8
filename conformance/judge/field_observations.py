"""Observations for the faults from the field (issue 10), registered in the diagnosis
vocabulary (``conformance.judge.vocabulary``); ``conformance.judge.observations`` imports it at its end.

Each reads the transcript alone and returns the sequence numbers of the exchanges that show
it ([] when it does not hold), like every observation there.
"""

from __future__ import annotations

from conformance.checks import next_cursor
from conformance.checks.base import Record
from conformance.checks.walks import NEXT_CURSOR_WALK, Walk
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
