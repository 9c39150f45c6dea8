"""What part of the collection a run saw, stated rather than implied (issue 10).

A walk has a page budget, so on a large target a run reads the head of the list order and
nothing past it. The statement says how many distinct sessions any list page showed, how
large the collection is (exact when the reference walk reached the end; otherwise only a
lower bound), and where the sessions seen lie. It is computed from the exchanges alone, so
`verify` recomputes it.

It also names the kinds of probe the run's profile left out (``not_probed``): walks its page
budget stopped while ``has_more`` was still true, the full tail page of each status whose walk
did not reach the end, the limits it did not try. A pass under ``quick`` is then not read as a
pass under ``standard`` (issue 21).

Its sentences name the items by the operation's own noun (conformance.operations.items_noun:
"invoices" on GET /v1/invoices); checkout sessions' are those of every run before families.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conformance.checks.base import Record
from conformance.checks.walks import NEXT_CURSOR_WALK, REFERENCE_WALK, Walk
from conformance.exchange import Exchange
from conformance.wording import SESSIONS, Noun, plural


@dataclass(frozen=True)
class Coverage:
    """`sessions_seen`: distinct ids on any list page; `collection_size`: exact, or None when
    unknown; `collection_at_least`: what the reference walk proved exists; `statement`: one
    sentence for the console, summary.md and report.json."""

    sessions_seen: int
    collection_size: int | None
    collection_at_least: int
    statement: str
    # The kinds of probe the run left out, each a phrase ("the walk with limit=1 past page 15"):
    # what a profile with larger budgets or more limits would have asked (not_probed()).
    not_probed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"sessions_seen": self.sessions_seen, "collection_size": self.collection_size,
                "collection_at_least": self.collection_at_least, "statement": self.statement,
                "not_probed": list(self.not_probed)}


def coverage_of(exchanges: Sequence[Exchange], noun: Noun = SESSIONS) -> Coverage:
    """The coverage of one operation's exchanges (its reference walk is `walk:100`), its items
    called ``noun``. A run of several operations: conformance.judge.family.coverage_of_operations."""
    record = Record(exchanges)
    seen: set[str] = set()
    for exchange in record:
        seen.update(exchange.page_ids or ())
    walk = Walk.read(record, REFERENCE_WALK)
    head = list(dict.fromkeys(walk.ids))
    beyond = len(seen - set(head))
    if not seen:
        return Coverage(0, None, 0, f"saw no {noun.one}: no response was a list page", not_probed(record, noun))
    if walk.complete:
        return Coverage(len(seen), max(len(head), len(seen)), len(head),
                        (f"saw the only {noun.one}" if len(head) == 1 else f"saw all {len(head):,} {noun.many}")
                        + ": the reference walk read the whole collection", not_probed(record, noun))
    extra = f", and {beyond:,} more on filtered and cursor pages" if beyond else ""
    depth = len(walk.usable_pages)
    where = (f"the head of the list order (the first {len(head):,}, read {plural(depth, 'page')} deep "
             f"{_why_cut(walk)}){extra}")
    return Coverage(len(seen), None, len(head),
                    f"sampled {len(seen):,} {noun.many} of more than {len(head):,}: {where}; "
                    "the rest of the collection was not seen", not_probed(record, noun))


# The walks a profile's page budgets bound besides the reference walk (which the statement covers),
# by tag prefix, with whether they run backward: conformance.checks.pagination, envelope, filtering.
_BUDGETED = (("walk:7", False), ("walk:1", False), ("walk:default", False), ("walk:back:7", True),
             (NEXT_CURSOR_WALK, False), ("filter:", False))
_TAIL, _ACCEPTED_LIMITS, _LIMITS = "filter-tail:", "limit:accept", range(1, 101)


def not_probed(record: Record, noun: Noun = SESSIONS) -> tuple[str, ...]:
    """The kinds of probe the record shows were left out by the run's budgets, each one phrase:
    a walk its page budget stopped while ``has_more`` was still true (not one cut by a failure,
    the request budget or the deadline: those are reported as such), the full tail page of a
    status whose walk did not end (FLT-003's probe asks it only after a complete walk), and the
    limits from 1 to 100 the limit probe did not try (LIM-002). Only probes that ran are named:
    a run restricted with ``--only`` does not list what it never meant to ask."""
    left: list[str] = []
    tags = list(dict.fromkeys(e.tag for e in record))
    for prefix, backward in _BUDGETED:
        for tag in tags:
            if tag != prefix and not (prefix.endswith(":") and tag.startswith(prefix) and tag.count(":") == 1
                                      and not tag.endswith(":invalid")):
                continue
            walk = Walk.read(record, tag, backward)
            pages = walk.usable_pages
            if pages and len(pages) == len(walk.pages) and pages[-1].has_more is True and not walk.cycled:
                read = len(set(walk.ids))
                left.append(f"the {walk.name} past page {len(pages)} ({plural(read, noun.one, noun.many)} read)")
                status = walk.pages[0].params.get("status") if tag.startswith("filter:") else None
                if status is not None and not record.tagged(_TAIL + status):
                    left.append(f"the full last page of status={status} (asked after a walk that reaches the end)")
    accepted = record.tagged(_ACCEPTED_LIMITS)
    tried = {int(v) for e in accepted if (v := e.params.get("limit", "")).isdigit()}
    # A limit left unsent by the run's own bound (the budget, the deadline) says nothing of what the
    # profile would have tried: that cut is reported as such, not here.
    cut = any(e.left_undone is not None for e in accepted)
    if tried and not cut and not set(_LIMITS) <= tried:
        shown = sorted(tried & set(_LIMITS))
        left.append("limits other than " + ", ".join(map(str, shown[:-1])) + f" and {shown[-1]}"
                    if len(shown) > 1 else f"limits other than {shown[0]}")
    return tuple(left)


def not_probed_line(profile: str, kinds: Sequence[str]) -> str | None:
    """The console's and summary's sentence naming what ``profile`` left out, or None if nothing."""
    return f"{profile} did not probe: " + "; ".join(kinds) if kinds else None


def _why_cut(walk: Walk) -> str:
    """Why an incomplete reference walk stopped: at a page that was unanswered or not a list
    (a failure, the request budget, the deadline), or else at the page budget."""
    depth = len(walk.usable_pages)
    if depth == len(walk.pages):
        return "before the page budget stopped the walk while has_more was still true"
    page = walk.pages[depth]
    if page.error is not None:
        return f"before page {depth + 1} went unanswered ({page.error})"
    return f"before page {depth + 1} was not a list page (HTTP {page.status})"
