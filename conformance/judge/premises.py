"""Premises a verdict rests on, applied to every judgement's outcomes before they fold.

A finding must name the defect the user has to fix (issue 10), and a pass must rest on
something the target really did:

- *Not the API.* A target that never answered like the list API (no list page, no error
  object: a static file server, a wrong --base-url) shows no rule holding. Every HELD
  outcome becomes INCONCLUSIVE with that reason; violations stand.
- *No list pages.* A rule about list pages (walks, cursors, page sizes, filters) whose
  every piece of evidence is a 200 that is not a list page (`"data": {}`, no `data`, not
  JSON) has lost its premise to the envelope rules (ENV-001/002/003), which report that
  defect: the rule becomes INCONCLUSIVE with what the page was, not FAILED.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Record
from conformance.checks.common import is_error_object, not_a_page
from conformance.exchange import Exchange
from conformance.verdicts import Finding, Outcome

# Rules whose judgement reads list pages (ids, sizes, has_more, next_cursor); a refusal rule
# (AUTH-001, LIM-005, ...) is broken by a 200 of any shape, so it is not among them.
NEEDS_LIST_PAGES = frozenset({
    "ENV-005", "LIM-001", "LIM-002", "LIM-003", "LIM-004",
    "PAG-001", "PAG-002", "PAG-003", "PAG-004", "PAG-005", "PAG-006", "PAG-007", "PAG-008", "PAG-009",
    "PAG-010", "FLT-001", "FLT-002", "FLT-003", "VER-002", "ERR-003", "DATA-001",
})


def not_the_api(record: Record) -> str | None:
    """Why nothing the target did can show a rule holding, or None when it answered like the API."""
    if any(e.page_ids is not None or (e.judgeable and is_error_object(e)) for e in record):
        return None
    return ("the target never answered like the list API (no list page, no error object), so nothing "
            "it did shows this rule holding: is --base-url the API's base URL?")


def _is_broken_page(exchange: Exchange) -> bool:
    return exchange.status == 200 and exchange.page_ids is None


def apply_premises(outcomes: Iterable[Outcome], record: Record) -> list[Outcome]:
    """The outcomes with those whose premise is broken made INCONCLUSIVE, each with its reason."""
    lost = not_the_api(record)
    result = []
    for outcome in outcomes:
        if lost is not None and outcome.finding == Finding.HELD:
            outcome = Outcome(outcome.requirement, Finding.INCONCLUSIVE, outcome.check, lost)
        elif outcome.finding == Finding.VIOLATED and outcome.requirement in NEEDS_LIST_PAGES:
            broken = _broken_premise(outcome, record)
            if broken is not None:
                outcome = Outcome(outcome.requirement, Finding.INCONCLUSIVE, outcome.check,
                                  f"judged on list pages, but {broken.summary()} is not one ({not_a_page(broken)}): "
                                  "the envelope rules (ENV-001/002/003) report that defect",
                                  exchanges=[broken.seq])
        result.append(outcome)
    return result


def exchange_at(record: Record, seq: int) -> Exchange | None:
    """The exchange numbered ``seq`` in ``record``, or None when it holds none. The number is the
    exchange's place in the whole transcript, not in the record: a record of one operation's
    exchanges (docs/family.md) holds numbers beyond its own length."""
    if seq < 0:
        return None
    try:
        return record.by_seq(seq)
    except (IndexError, KeyError):
        return None


def _broken_premise(outcome: Outcome, record: Record) -> Exchange | None:
    """The first 200-that-is-not-a-list-page, when every piece of evidence rests on one."""
    first: Exchange | None = None
    if not outcome.evidence:
        return None
    for evidence in outcome.evidence:
        pages = [e for s in evidence.exchanges if (e := exchange_at(record, s)) is not None]
        broken = next((p for p in pages if _is_broken_page(p)), None)
        if broken is None:
            return None
        first = first or broken
    return first
