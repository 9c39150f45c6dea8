"""Named faults the reference server can inject, to prove the suite catches them.

A fault replaces one or more decision points of :class:`Decisions` with a broken
variant and names the requirement IDs (``spec/requirements.yaml``) a conformance
run must then report as failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers

from conformance.reference import decisions
from conformance.reference.decisions import Decisions, ListQuery
from conformance.reference.store import Page, SessionStore


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    # Requirement IDs of spec/requirements.yaml a conformance run must report as failed.
    breaks: tuple[str, ...] = ()
    overrides: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


def _limit_off_by_one(raw: str | None) -> int:
    return decisions.parse_limit(raw) - 1


def _cursor_inclusive(store: SessionStore, query: ListQuery) -> Page:
    """The classic ``>=`` instead of ``>``: the cursor item is served again."""
    page = decisions.fetch_page(store, query)
    cursor = query.starting_after if query.forward else query.ending_before
    if cursor is None:
        return page
    item = store.get(cursor)
    if item is None or (query.status is not None and item["status"] != query.status):
        return page
    if query.forward:
        items = [item, *page.items]
        return Page(items[: query.limit], page.has_more or len(items) > query.limit)
    items = [*page.items, item]
    return Page(items[-query.limit:] if query.limit else [],
                page.has_more or len(items) > query.limit)


def _no_auth(headers: Headers, api_key: str) -> None:
    return None


_ALL = (
    Fault("limit-off-by-one", "Every page holds one item fewer than `limit` asks for.",
          breaks=("LIM-001", "LIM-004", "FLT-003"),
          overrides={"parse_limit": _limit_off_by_one}),
    Fault("cursor-inclusive", "A page after (or before) a cursor starts (or ends) with the "
          "cursor item itself, so walks repeat one item per page.",
          breaks=("PAG-001", "PAG-004", "PAG-005"),
          overrides={"fetch_page": _cursor_inclusive}),
    Fault("no-auth", "Any request is served, with or without a valid API key.",
          breaks=("AUTH-001", "AUTH-002", "AUTH-003", "AUTH-004"),
          overrides={"authenticate": _no_auth}),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _ALL}


def decisions_for(fault: str | None) -> Decisions:
    """The decision table with ``fault`` injected (None: the correct behaviour)."""
    if fault is None:
        return Decisions()
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; known faults: {', '.join(sorted(FAULTS))}")
    return dataclasses.replace(Decisions(), **FAULTS[fault].overrides)
