"""A session keeps its id (OBJ-015, CONTRACT.md: a live collection).

Ids that change from one response to the next are a fault of the server, not a busy
account: a client that deduplicates by id, or keeps one as a cursor, breaks. A session is
recognised across responses by its fields that never change (`created`, `expires_at`,
amounts, currency, mode, metadata, ...); the fields that follow a status change are left
out. Two distinct sessions may share those fields, so only a fingerprint that is unique in
every response it appears in counts, and only one seen under three or more ids (a pair of
look-alike sessions gives two) is a finding.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from conformance.checks.base import Check, Record, RunContext
from conformance.checks.common import lacking
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, violated
from conformance.wording import plural

# Fields that may change with the status (CONTRACT.md: "the fields that go with it"), and the id.
_NOT_FINGERPRINTED = frozenset({
    "id", "status", "url", "payment_status", "customer", "customer_details", "payment_intent",
    "subscription", "invoice", "setup_intent", "completed_at", "expired_at",
})
CHANGED_IDS = 3  # distinct ids under one fingerprint before it is a finding


def fingerprint(item: dict[str, Any]) -> str | None:
    """The immutable part of a session as text, or None when there is too little to go on."""
    if "created" not in item:
        return None
    kept = {k: v for k, v in item.items() if k not in _NOT_FINGERPRINTED}
    return json.dumps(kept, sort_keys=True, default=str)


def ids_by_fingerprint(record: Record) -> tuple[dict[str, dict[str, list[Exchange]]], list[Exchange]]:
    """fingerprint -> id -> the pages listing it under that id; and every page read (read once per record)."""
    return record.reading("ids_by_fingerprint", _ids_by_fingerprint)


def _ids_by_fingerprint(record: Record) -> tuple[dict[str, dict[str, list[Exchange]]], list[Exchange]]:
    seen: dict[str, dict[str, list[Exchange]]] = defaultdict(lambda: defaultdict(list))
    ambiguous: set[str] = set()
    pages = []
    for exchange in record:
        body = exchange.json
        if exchange.page_ids is None or not isinstance(body, dict):
            continue
        pages.append(exchange)
        prints = [fingerprint(item) if isinstance(item, dict) else None for item in body["data"]]
        counts: dict[str, int] = defaultdict(int)
        for fp in prints:
            if fp is not None:
                counts[fp] += 1
        ambiguous |= {fp for fp, n in counts.items() if n > 1}
        for fp, item_id in zip(prints, exchange.page_ids, strict=True):
            if fp is not None:
                seen[fp][item_id].append(exchange)
    return {fp: dict(ids) for fp, ids in seen.items() if fp not in ambiguous}, pages


STABLE_IDS_CHECK = "object.stable-ids"


def judge_stable_ids(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = STABLE_IDS_CHECK
    by_print, pages = ids_by_fingerprint(record)
    changed = [(fp, ids) for fp, ids in by_print.items() if len(ids) >= CHANGED_IDS]
    if changed:
        yield violated("OBJ-015", name, *[Evidence(
            f"the same session (created {json.loads(fp).get('created')}) came back under {len(ids)} ids: "
            f"{', '.join(list(ids)[:3])}{', ...' if len(ids) > 3 else ''}",
            expected="one id per session, in every response", actual=f"{len(ids)} different ids",
            exchanges=[pages_[0].seq for pages_ in list(ids.values())[:3]]) for fp, ids in changed[:3]])
        return
    repeated = [ids for ids in by_print.values() if sum(len(p) for p in ids.values()) > 1]
    if not repeated:
        yield lacking("OBJ-015", name, "no session was listed in more than one response", record, inapplicable=True)
        return
    yield held("OBJ-015", name, f"{plural(len(repeated), 'session')} listed in several responses kept their ids",
               seqs(pages))


def ids_changed(record: Record) -> bool:
    """Whether some session came back under several ids (for the collection-changed reason)."""
    by_print, _ = ids_by_fingerprint(record)
    return any(len(ids) >= CHANGED_IDS for ids in by_print.values())


CHECKS = (Check(STABLE_IDS_CHECK, "object", ("OBJ-015",), judge_stable_ids),)
