"""What part of the collection a run saw, stated rather than implied (issue 10).

A walk has a page budget, so on a large target a run reads the head of the list order and
nothing past it. The statement says how many distinct sessions any list page showed, how
large the collection is (exact when the reference walk reached the end; otherwise only a
lower bound), and where the sessions seen lie. It is computed from the exchanges alone, so
`verify` recomputes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conformance.checks.base import Record
from conformance.checks.walks import REFERENCE_WALK, Walk
from conformance.exchange import Exchange
from conformance.wording import plural


@dataclass(frozen=True)
class Coverage:
    """`sessions_seen`: distinct ids on any list page; `collection_size`: exact, or None when
    unknown; `collection_at_least`: what the reference walk proved exists; `statement`: one
    sentence for the console, summary.md and report.json."""

    sessions_seen: int
    collection_size: int | None
    collection_at_least: int
    statement: str

    def to_dict(self) -> dict[str, Any]:
        return {"sessions_seen": self.sessions_seen, "collection_size": self.collection_size,
                "collection_at_least": self.collection_at_least, "statement": self.statement}


def coverage_of(exchanges: Sequence[Exchange]) -> Coverage:
    """The coverage of a run from its exchanges (the reference walk is `walk:100`)."""
    record = Record(exchanges)
    seen: set[str] = set()
    for exchange in record:
        seen.update(exchange.page_ids or ())
    walk = Walk.read(record, REFERENCE_WALK)
    head = list(dict.fromkeys(walk.ids))
    beyond = len(seen - set(head))
    if not seen:
        return Coverage(0, None, 0, "saw no session: no response was a list page")
    if walk.complete:
        return Coverage(len(seen), max(len(head), len(seen)), len(head),
                        ("saw the only session" if len(head) == 1 else f"saw all {len(head):,} sessions")
                        + ": the reference walk read the whole collection")
    extra = f", and {beyond:,} more on filtered and cursor pages" if beyond else ""
    depth = len(walk.usable_pages)
    where = (f"the head of the list order (the first {len(head):,}, read {plural(depth, 'page')} deep "
             f"{_why_cut(walk)}){extra}")
    return Coverage(len(seen), None, len(head),
                    f"sampled {len(seen):,} sessions of more than {len(head):,}: {where}; "
                    "the rest of the collection was not seen")


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
