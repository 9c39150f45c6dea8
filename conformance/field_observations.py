"""Observations for the faults from the field (issue 10), registered in the diagnosis
vocabulary (``conformance.observations``), which imports this module at its end.

Each reads the transcript alone and returns the sequence numbers of the exchanges that show
it ([] when it does not hold), like every observation there.
"""

from __future__ import annotations

from conformance.checks.base import Record
from conformance.checks.walks import NEXT_CURSOR_WALK, Walk
from conformance.observations import _first, observation
from conformance.spec import Spec


@observation("next-cursor-right-unfiltered", "on the unfiltered forward walk, every `next_cursor` followed "
             "gives the page `starting_after=<last id>` gives")
def _unfiltered_right(record: Record, spec: Spec) -> list[int]:
    by_cursor = Walk.read(record, NEXT_CURSOR_WALK).usable_pages
    by_id = Walk.read(record, "walk:7").usable_pages
    pairs = list(zip(by_cursor[1:], by_id[1:], strict=False))
    if not pairs or any(a.page_ids != b.page_ids for a, b in pairs):
        return []
    return _first(iter([pairs[0][0].seq, pairs[0][1].seq]))


def _malformed(record: Record, crashed: bool, value: str) -> list[int]:
    return [e.seq for e in record.tagged("auth:malformed") if e.judgeable and e.auth == f"header {value}"
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
