"""The collection's history as the record saw it: what changed while the suite ran.

Real accounts are live (CONTRACT.md, "A live collection"): sessions are created at the
head of the order (or among the sessions of the newest `created` second) and open
sessions complete or expire; nothing is deleted; `id` and `created` never change. Under
that model every pagination, limit and filter rule still holds for the sessions that
existed when a walk started, so comparisons between responses taken at different moments
are judged on those, instead of being distrusted wholesale.

This module reads, once per record (``Record.memo``) and in one pass over its pages
(linear in exchanges and sessions):

- *young* sessions: created while the suite ran. Every unfiltered page without a cursor
  (a *head page*) starts with the newest session of its moment; the oldest head seen,
  ``oldest_head``, is the head at the earliest of them. A session created later than that
  second is young; so is a session of that very second that a head page which listed the
  whole second (and something older) did not list.
- *moved* sessions: listed with two statuses (``open`` and a terminal one). The record does
  not order responses of different probes in time, so an open/terminal pair is read as the
  forward move the model allows; two terminal statuses, or terminal before open within one
  walk, is a move back (outside the model).
- *outside* the model: an old session missing from a head page that lists the sessions
  around it (it vanished, or appeared backdated), a status that moved back. Rules that
  compare responses become inconclusive, naming the change.
- ids that *change per response*: head pages that list the same `created` seconds under
  ids that have nothing in common. That is a server fault (PAG-016), not a busy account.

Nothing here judges; judgements ask it which sessions to compare.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.base import Record
from conformance.checks.walks import REFERENCE_WALK
from conformance.exchange import Exchange
from conformance.wording import SESSIONS, Noun

_OPEN = "open"
# Query parameters a page may carry and still show the head of the unfiltered order.
_HEAD_PARAMS = frozenset({"limit"})


def is_head_page(exchange: Exchange) -> bool:
    """An answered unfiltered list page asked without a cursor: it starts with the newest session."""
    return (exchange.page_ids is not None and set(exchange.params) <= _HEAD_PARAMS
            and not exchange.tag.startswith(("auth", "generated", "version", "unknown-param"))
            and bool(exchange.page_ids))


def _second(value: Any) -> int | None:
    """A `created` value usable for ordering: an integer (a bool is not one), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Change:
    """One change the model does not allow, in words, with the exchanges that show it."""

    session: str
    message: str
    exchanges: list[int] = field(default_factory=list)


@dataclass
class History:
    """What the record shows of the collection over time (see the module docstring).

    ``created``: id -> the first `created` seen; ``statuses``: id -> {status: first exchange
    seq showing it}; ``young``/``moved``: ids; ``outside``: id -> the Change that puts it outside
    the model; ``created_changes``: Changes of PAG-015; ``ids_unstable``: the evidence of ids
    that change per response, or None.
    """

    created: dict[str, Any] = field(default_factory=dict)
    created_seen_at: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    head_pages: list[Exchange] = field(default_factory=list)
    oldest_head: int | None = None
    young: set[str] = field(default_factory=set)
    moved: set[str] = field(default_factory=set)
    outside: dict[str, Change] = field(default_factory=dict)
    created_changes: list[Change] = field(default_factory=list)
    ids_unstable: Change | None = None
    # One page listed two different sessions under one id (OBJ-004's failure): ids do not name
    # sessions, so the record cannot follow any session over time.
    ids_shared: bool = False

    # -- reading ---------------------------------------------------------------------------
    @classmethod
    def of(cls, record: Record) -> History:
        """The history of a record, computed once and shared by every judgement."""
        return record.reading("history", cls._read)

    @classmethod
    def _read(cls, record: Record) -> History:
        h = cls()
        by_tag: dict[str, dict[str, str]] = {}  # tag -> id -> last status seen in that walk
        moved_back: dict[str, Change] = {}
        for exchange in record:
            if exchange.page_ids is None:
                continue
            walk_statuses = by_tag.setdefault(exchange.tag, {})
            if len(set(exchange.page_ids)) != len(exchange.page_ids) and len(
                    {json.dumps(i, sort_keys=True) for i in exchange.json["data"]}) > len(set(exchange.page_ids)):
                h.ids_shared = True
            for item in exchange.json["data"]:
                sid = item["id"]
                created = item.get("created")
                if sid not in h.created:
                    h.created[sid], h.created_seen_at[sid] = created, exchange.seq
                elif created != h.created[sid] and not any(c.session == sid for c in h.created_changes):
                    h.created_changes.append(Change(
                        sid, f"{sid} was listed with created {h.created[sid]!r}, later with {created!r}",
                        [h.created_seen_at[sid], exchange.seq]))
                status = item.get("status")
                if isinstance(status, str):
                    seen = h.statuses.setdefault(sid, {})
                    seen.setdefault(status, exchange.seq)
                    before = walk_statuses.get(sid)
                    if before is not None and before != status and before != _OPEN and sid not in moved_back:
                        moved_back[sid] = Change(sid, f"{sid} was listed {before}, then {status} in the "
                                                      f"same {exchange.tag} walk: a status moved back",
                                                 [seen[before], exchange.seq])
                    walk_statuses[sid] = status
            if is_head_page(exchange):
                h.head_pages.append(exchange)
        for sid, seen in h.statuses.items():
            if len(seen) > 1:
                h.moved.add(sid)
                terminal = [s for s in seen if s != _OPEN]
                if len(terminal) > 1 and sid not in moved_back:
                    moved_back[sid] = Change(sid, f"{sid} was listed both {terminal[0]} and {terminal[1]}: "
                                                  "a terminal status changed", sorted(seen.values())[:2])
        h._find_young(record)
        h.ids_unstable = h._ids_unstable()
        if h.ids_shared:
            # Sessions cannot be told apart: no history at all, every comparison judges as is.
            return cls(created=h.created, created_seen_at=h.created_seen_at, head_pages=h.head_pages,
                       ids_shared=True)
        if h.ids_unstable is not None:
            # Sessions cannot be told apart: nothing is young or moved, every comparison judges as is.
            h.young.clear()
            h.moved.clear()
        elif h.oldest_head is not None:
            h._find_outside()
        # A changed `created` is PAG-015's failure; its place in the order is judged by the first value.
        for change in moved_back.values():
            h.outside.setdefault(change.session, change)
        return h

    def _desc(self, ids: Sequence[str]) -> bool:
        seconds = [self._created(i) for i in ids]
        known = [s for s in seconds if s is not None]
        return all(a >= b for a, b in itertools.pairwise(known))

    def _created(self, sid: str) -> int | None:
        return _second(self.created.get(sid))

    def _find_young(self, record: Record) -> None:
        """Sessions created while the suite ran (module docstring); none unless the order is newest first."""
        reference = [i for p in record.tagged(REFERENCE_WALK) for i in (p.page_ids or [])]
        heads = [s for p in self.head_pages if (s := self._created((p.page_ids or [""])[0])) is not None]
        if not heads or not self._desc(reference):
            return  # without newest-first order, `created` says nothing about when a session appeared
        self.oldest_head = t0 = min(heads)
        in_t0: set[str] = set()
        for sid in self.created:
            second = self._created(sid)
            if second is not None and second > t0:
                self.young.add(sid)
            elif second == t0:
                in_t0.add(sid)
        for page in self.head_pages:
            ids = page.page_ids or []
            seconds = [self._created(i) for i in ids]
            if seconds[0] == t0 and any(s is not None and s < t0 for s in seconds):
                self.young |= in_t0 - set(ids)

    def _ids_unstable(self) -> Change | None:
        """Head pages listing the same `created` seconds (older than the oldest head) under disjoint ids."""
        if self.oldest_head is None:
            return None
        first: Exchange | None = None
        first_old: dict[int, set[str]] = {}
        for page in self.head_pages:
            old: dict[int, set[str]] = {}
            for sid in page.page_ids or []:
                second = self._created(sid)
                if second is not None and second < self.oldest_head:
                    old.setdefault(second, set()).add(sid)
            if first is None:
                if len(old) >= 2:
                    first, first_old = page, old
                continue
            common = [s for s in old if s in first_old]
            if len(common) >= 2 and not any(old[s] & first_old[s] for s in common):
                return Change(
                    "", f"the head pages of exchanges {first.seq} and {page.seq} list sessions of the same "
                        f"{len(common)} `created` seconds under ids they share none of: the server's ids change "
                        "from one response to the next", [first.seq, page.seq])
        return None

    def _find_outside(self) -> None:
        """Old sessions missing from a head page that lists the sessions around them."""
        for page in self.head_pages:
            ids = page.page_ids or []
            seconds = [s for i in ids if (s := self._created(i)) is not None]
            if not seconds:
                continue
            floor = min(seconds)
            listed = set(ids)
            for sid, seen_at in self.created_seen_at.items():
                second = self._created(sid)
                if (sid in listed or sid in self.young or sid in self.outside or second is None
                        or second <= floor):
                    continue
                self.outside[sid] = Change(
                    sid, f"{sid} (created {second}) is listed by exchange {seen_at} but missing from exchange "
                         f"{page.seq}, which lists the sessions around it: it vanished, or appeared backdated",
                    [seen_at, page.seq])

    # -- asking ----------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Sessions were created, or statuses moved, while the suite ran."""
        return bool(self.young or self.moved)

    def excluded(self, sid: str) -> bool:
        """Not comparable across moments: created during the run. (A session changed outside the
        model stays in the comparisons: what it breaks is made inconclusive, named, by the runner.)"""
        return sid in self.young

    def stable(self, ids: Iterable[str]) -> list[str]:
        """``ids`` without the sessions created during the run: those that existed throughout."""
        if not self.young:
            return list(ids)
        return [i for i in ids if i not in self.young]

    def existed_throughout(self) -> set[str]:
        """Every session the record listed that existed before the run and stayed within the model:
        under the model nothing is deleted, so each is in the collection at every moment of the run."""
        return {sid for sid in self.created if sid not in self.young and sid not in self.outside}

    def young_in(self, ids: Iterable[str]) -> int:
        return sum(1 for i in ids if i in self.young)

    def seen_with(self, sid: str, status: str) -> bool:
        return status in self.statuses.get(sid, {})

    def outside_reason(self) -> str | None:
        """Why comparisons cannot be trusted (a change outside the model, named), or None."""
        if not self.outside:
            return None
        changes = list(self.outside.values())
        more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
        return ("the collection changed outside the contract's model of a live account: "
                f"{changes[0].message}{more}; rules that compare responses taken at different moments "
                "cannot be judged on it")

    def pages_agree(self, a: Exchange, b: Exchange) -> bool:
        """Two answers to one query (same cursor, limit and filter) agree under the model.

        Sessions created meanwhile may take places in either page; the sessions that existed
        throughout must be the same leading run of the order in both, and a page that is not
        full (it reached the end) holds all of them. On a quiet record this is plain equality.
        """
        ids_a, ids_b = a.page_ids, b.page_ids
        if ids_a is None or ids_b is None:
            return ids_a == ids_b
        if not self.young:
            return ids_a == ids_b
        stable_a, stable_b = self.stable(ids_a), self.stable(ids_b)
        n = min(len(stable_a), len(stable_b))
        if stable_a[:n] != stable_b[:n]:
            return False
        limit = limit_of(a)
        if limit is not None and len(ids_a) < limit and len(stable_b) > len(stable_a):
            return False
        return not (limit is not None and len(ids_b) < limit and len(stable_a) > len(stable_b))

    def summary(self) -> dict[str, Any]:
        """The activity seen, for reports: counts, and the changes outside the model (strings)."""
        existed = sum(1 for sid in self.created if sid not in self.young and sid not in self.outside)
        return {
            "live": self.live,
            "sessions_created": len(self.young),
            "status_changes": len(self.moved),
            "sessions_judged": existed,
            "outside_model": [c.message for c in self.outside.values()][:10],
            "ids_change_per_response": self.ids_unstable is not None,
        }


def limit_of(page: Exchange) -> int | None:
    """The `limit` a page was asked with (the contract's default 10 when none), or None when not a number."""
    raw = page.params.get("limit", "10")
    return int(raw) if raw.isdigit() else None


def describe(activity: dict[str, Any], noun: Noun = SESSIONS) -> str:
    """One sentence for people: what change the run saw on one operation (console, HTML, summary.md),
    its items called ``noun`` (conformance.operations.items_noun; checkout sessions' by default)."""
    # "1 session", "2,000 sessions": the count with its noun in the right number.
    judged = f"{activity['sessions_judged']:,} {noun.word(activity['sessions_judged'])}"
    if activity.get("ids_change_per_response"):
        return ("the target's ids change from one response to the next (a server fault, PAG-016); "
                f"rules judged on the {judged} seen")
    if not activity["live"] and activity.get("rechecked") is False:
        # The recheck at the end of the run is what would see sessions created meanwhile: unsent, no claim.
        text = (f"whether the account was quiet was not checked (the run's last walk, walk:recheck, was not "
                f"sent); no {noun.one} created and no status change seen before; {judged} judged")
    elif not activity["live"]:
        text = f"the account was quiet: no {noun.one} created and no status change seen; {judged} judged"
    else:
        created, moved = activity["sessions_created"], activity["status_changes"]
        text = (f"the account was live: {created} {noun.word(created)} created and "
                f"{moved} status change{'s' if moved != 1 else ''} seen during the run; rules judged on the "
                f"{judged} that existed throughout")
    if activity["outside_model"]:
        text += (f"; {len(activity['outside_model'])} change(s) outside the contract's model made comparisons "
                 f"inconclusive: {activity['outside_model'][0]}")
    return text
