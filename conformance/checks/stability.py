"""Was the collection the same at the end of the run as at the start?

Many judgements compare responses taken moments apart (walks at several page sizes,
a cursor against the reference walk). On a live target new sessions appear and
statuses change; a difference caused by that is no fault of the server. The last probe
reads the first page again; if it changed, those comparisons are not trusted.
"""

from __future__ import annotations

from conformance.checks.base import Probe, ProbeContext, Record
from conformance.checks.collection import REFERENCE_WALK
from conformance.checks.identity import ids_changed

RECHECK_TAG = "walk:recheck"


def probe_recheck(ctx: ProbeContext) -> None:
    ctx.client.get(RECHECK_TAG, [("limit", "100")])


PROBES = (Probe("recheck", "pagination", probe_recheck, order="last"),)


def collection_changed(record: Record) -> str | None:
    """Why comparisons across the run cannot be trusted, or None when the head page held still."""
    first, again = record.tagged(REFERENCE_WALK)[:1], record.tagged(RECHECK_TAG)[:1]
    if not first or not again or first[0].page_ids is None or again[0].page_ids is None:
        return None
    before, after = first[0].json["data"], again[0].json["data"]
    if ids_changed(record):  # the server's fault (OBJ-015), not a busy account
        return (f"the same sessions came back under other ids (OBJ-015; e.g. exchanges {first[0].seq} and "
                f"{again[0].seq}), so responses taken at different moments cannot be compared until ids are stable")
    if before == after:
        return None
    return (f"the collection changed during the run: the first page read at the start (exchange {first[0].seq}) "
            f"and at the end (exchange {again[0].seq}) differ, so comparisons between responses taken at "
            "different moments cannot be trusted; judge a quiet target (a dedicated test account)")
