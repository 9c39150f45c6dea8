"""What a fault is, and the small tools several faults share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from conformance.reference.decisions import ListQuery, current_resource
from conformance.reference.errors import ApiError, invalid
from conformance.reference.store import Page, SessionStore


@dataclass(frozen=True)
class Signature:
    """How a run's findings point at a fault: the diagnosis table's row (conformance.judge.diagnosis).

    Pure data. ``seen`` names the *defining* evidence: the observations only this defect
    produces (a page after a cursor that starts with the cursor item). ``requires`` (default:
    the fault's ``breaks``) are the requirements it *usually* breaks: when ``seen`` is
    declared, one of them not reported lowers the cause's rank, it does not rule it out;
    when ``seen`` is empty they are the only evidence, and all must be reported. The fault is
    *contradicted* when an observation named in ``unseen`` holds. Observation names come from
    ``conformance.judge.observations.OBSERVATIONS``. The scoring: ``conformance.judge.diagnosis``.
    """

    requires: tuple[str, ...] | None = None
    seen: tuple[str, ...] = ()
    unseen: tuple[str, ...] = ()
    # Requirements the fault trips as a consequence (beyond `breaks`): explained when reported.
    also: tuple[str, ...] = ()
    # Faults that leave the same observable trace: a diagnosis may name either.
    equivalent: tuple[str, ...] = ()
    # Look-alikes: (another fault, the observation that rules it out). When this fault is
    # named and that observation does not hold, the other cannot be told apart from the
    # record: both are named, in one line.
    lookalikes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    # Requirement IDs of spec/requirements.yaml a conformance run must report as failed
    # (MUST) or warned (SHOULD) when this fault is injected.
    breaks: tuple[str, ...] = ()
    overrides: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # A fixed dataset (ReferenceConfig.dataset) to serve and judge with --expect-dataset, for
    # faults only a known collection can show (wrong values of the right type).
    dataset: str | None = None
    # One sentence a developer acts on, shown as the run's likely cause (conformance.judge.diagnosis).
    title: str = ""
    signature: Signature = Signature()
    # Restricted variants real code ships (conformance.reference.faults.partial): restriction
    # name ("forward", "status-open", "above-20") -> the requirements a run must then report.
    partials: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Set on a generated partial variant: the catalog fault its diagnosis must name.
    parent: str | None = None
    # Whether the fault makes sense for any list operation of the family (pagination, limit,
    # cursors, envelope, auth, version, errors, unknown parameters, filters) and can be injected
    # into one (`serve --fault NAME@/v1/invoices`); False: it breaks checkout-session fields and is
    # served on checkout sessions only. Declared in faults/__init__.py (_GENERIC).
    generic: bool = False
    # What an operation must take for the fault to act there: "filter" (any filter parameter) or
    # "partition" (an enum filter); None: nothing.
    needs: str | None = None


class Reply(ApiError):
    """An answer decided inside a decision: the app sends any ApiError as its status,
    headers and ``body()``, so a fault can shape a response the decisions never build."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, "reply", headers=headers)
        self._body = body

    def body(self) -> Any:
        return self._body


class DropConnection(Exception):
    """Raised by a fault: the app closes the connection without sending any response, as a
    server whose worker dies on some requests does (CONTRACT.md: a 5xx for that request)."""


# What one request told an earlier decision, for faults that span two decisions (each
# request runs in its own task, so this never leaks between requests).
REQUEST: ContextVar[dict[str, Any] | None] = ContextVar("fault_request_state", default=None)


def request_state() -> dict[str, Any]:
    state = REQUEST.get()
    if state is None:
        state = {}
        REQUEST.set(state)
    return state


def everything(store: SessionStore) -> list[dict[str, Any]]:
    """The whole collection in the reference order (newest first, id descending on ties)."""
    # One query: on a live collection (--churn) a count and a page could see two states.
    return store.all_items()


def page_of(ordered: list[dict[str, Any]], query: ListQuery) -> Page:
    """The reference paging rules applied to the collection in a given order."""
    index = {item["id"]: pos for pos, item in enumerate(ordered)}
    cursor = query.starting_after if query.forward else query.ending_before
    if cursor is None:
        candidates = ordered
    elif cursor not in index:
        param = "starting_after" if query.forward else "ending_before"
        raise invalid(f"No such {current_resource().noun}: {cursor!r}", param)
    elif query.forward:
        candidates = ordered[index[cursor] + 1:]
    else:
        candidates = ordered[:index[cursor]]
    return slice_page(candidates, query)


def slice_page(candidates: list[dict[str, Any]], query: ListQuery) -> Page:
    """The page of ``candidates`` (every item past the cursor, in list order) ``query`` asks for."""
    if query.filtered:
        candidates = [item for item in candidates if matches(item, query)]
    more = len(candidates) > query.limit
    if query.forward:
        return Page(candidates[:query.limit], more)
    return Page(candidates[-query.limit:] if query.limit else [], more)


def matches(item: dict[str, Any], query: ListQuery) -> bool:
    """Whether ``item`` passes the query's filters: the partition and every equality filter."""
    partition = current_resource().partition
    if query.status is not None and (partition is None or item.get(partition) != query.status):
        return False
    return all(item.get(field) == value for field, value in query.match)


def reshape(transform: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A serialize_session override that edits a copy of each session."""

    def serialize(session: dict[str, Any]) -> dict[str, Any]:
        copy = dict(session)
        transform(copy)
        return copy

    return serialize
