"""The collection as the reference walk (limit=100) saw it: order, completeness, bodies.

Judgements compare everything else against this picture. When the walk was cut by its
page budget (a large target), only the prefix it saw is known, and rules that need the
rest are judged on the prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conformance.checks.base import ProbeContext, Record
from conformance.checks.walks import DEFAULT_LIMIT, Walk

REFERENCE_WALK = "walk:100"


@dataclass
class Collection:
    ids: list[str]
    complete: bool
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Record) -> Collection:
        """The collection of a record, read once: every judgement asks for it."""
        return record.reading("collection", cls._read)

    @classmethod
    def _read(cls, record: Record) -> Collection:
        walk = Walk.read(record, REFERENCE_WALK)
        items: dict[str, dict[str, Any]] = {}
        for exchange in record:
            body = exchange.json
            if exchange.status != 200 or not isinstance(body, dict):
                continue
            data = body.get("data")
            for item in data if isinstance(data, list) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    items.setdefault(item["id"], item)
        return cls(ids=walk.ids, complete=walk.complete, items=items)

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, item_id: str) -> int | None:
        """Where item_id first comes in the walk; None when the walk did not see it."""
        return self._positions.get(item_id)

    @cached_property
    def _positions(self) -> dict[str, int]:
        # Indexed once: judgements ask for a position per page and per cursor.
        positions: dict[str, int] = {}
        for index, item_id in enumerate(self.ids):
            positions.setdefault(item_id, index)
        return positions

    def after(self, item_id: str, count: int) -> list[str] | None:
        """The `count` items after item_id, or None when the walk did not see that far."""
        pos = self.position(item_id)
        if pos is None:
            return None
        chunk = self.ids[pos + 1 : pos + 1 + count]
        if len(chunk) < count and not self.complete:
            return None
        return chunk

    def before(self, item_id: str, count: int) -> list[str] | None:
        pos = self.position(item_id)
        if pos is None:
            return None
        return self.ids[max(0, pos - count) : pos]

    def items_after(self, item_id: str) -> bool | None:
        """Whether anything follows item_id; None when unknown."""
        pos = self.position(item_id)
        if pos is None:
            return None
        if pos + 1 < len(self.ids):
            return True
        return False if self.complete else None

    def status_of(self, item_id: str) -> Any:
        return self.items.get(item_id, {}).get("status")

    def value_of(self, item_id: str, field: str) -> Any:
        """The item's ``field`` as listed (None when absent): what a filter on it compares."""
        return self.items.get(item_id, {}).get(field)

    def created_of(self, item_id: str) -> Any:
        return self.items.get(item_id, {}).get("created")

    def restricted(self, status: str, field: str = "status") -> list[str]:
        """The ids whose ``field`` (default ``status``) is exactly ``status``, in walk order."""
        return [i for i in self.ids if self.value_of(i, field) == status]

    def tie_groups(self) -> list[list[str]]:
        """Groups of items that share one integer `created` second (other values are OBJ-005's)."""
        groups: dict[int, list[str]] = {}
        for item_id in self.ids:
            created = self.created_of(item_id)
            if isinstance(created, int) and not isinstance(created, bool):
                groups.setdefault(created, []).append(item_id)
        return [g for g in groups.values() if len(g) > 1]


def expected_pages(ctx: ProbeContext, limit: int | None, budget: int, status: str | None = None,
                   field: str = "status") -> int:
    """Pages (requests) a walk at `limit` (None: the spec's default), filtered to `status` or
    not, is expected to take, at most `budget`: when the reference walk read the whole
    collection, the pages its sessions fill (at least one); else the whole budget. Only the
    lanes' longest-first order uses it (Probe.cost)."""
    collection = Collection.from_record(ctx.record)
    if not collection.complete:
        return budget
    size = len(collection.restricted(status, field)) if status is not None else len(collection)
    return pages_holding(max(size, 1), limit if limit is not None else DEFAULT_LIMIT, budget)


def pages_holding(sessions: int, per_page: int, budget: int) -> int:
    """Pages of `per_page` that `sessions` fill, at most `budget` (counts)."""
    return min(budget, -(-sessions // per_page))
