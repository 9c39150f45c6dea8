"""The correct behaviour of a list endpoint, one small function per decision point.

The app calls these only through a :class:`Decisions` table, so an injected fault
(``faults.py``) replaces exactly one decision and leaves the rest correct.

The same decisions serve every list operation of the family (``family.py``): each request runs
with its operation's :class:`Resource` as the *current resource* (bounds of ``limit``, declared
parameters, filters, the items' name, the envelope's ``url``). It is a context variable rather
than an argument because the decision signatures are the fault catalog's contract (a fault
replaces a decision by a function of the same arguments), and a request's resource is request
context, like ``faults._base.REQUEST``; outside a request it is checkout sessions.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any

from starlette.datastructures import Headers, QueryParams

from conformance.reference.errors import ApiError, encode_json, invalid, unauthorized
from conformance.reference.family import CHECKOUT, Resource
from conformance.reference.store import Match, Page, RawPage, SessionStore, UnknownCursorError

# Bounds, enums and parameter names come from the OpenAPI documents (spec/openapi.yaml for
# checkout sessions), the one source the checks read too: the reference cannot drift from what
# it is judged against. These name checkout sessions' values; the decisions read the current
# resource's.
LIST_URL = CHECKOUT.path
DEFAULT_LIMIT: int = CHECKOUT.default_limit
MIN_LIMIT: int = CHECKOUT.min_limit
MAX_LIMIT: int = CHECKOUT.max_limit
STATUS_VALUES: tuple[str, ...] = CHECKOUT.partition_values
KNOWN_PARAMS: tuple[str, ...] = CHECKOUT.known_params
API_VERSION_HEADER: str = CHECKOUT.version_header

_RESOURCE: ContextVar[Resource] = ContextVar("reference_resource", default=CHECKOUT)


def current_resource() -> Resource:
    """The list operation the request being decided was sent to (checkout sessions outside one)."""
    return _RESOURCE.get()


@contextmanager
def serving(resource: Resource) -> Iterator[Resource]:
    """Decide with ``resource`` as the current resource inside the block."""
    token = _RESOURCE.set(resource)
    try:
        yield resource
    finally:
        _RESOURCE.reset(token)

# Digits only, no sign, no spaces; leading zeros tolerated. The length bound keeps
# int() away from absurd inputs (Python refuses to parse > 4300 digits).
_LIMIT_RE = re.compile(r"0*[0-9]{1,3}")


@dataclass(frozen=True)
class ListQuery:
    """A list request as read: ``status`` is the value of the resource's partition (enum)
    filter, ``match`` the equality filters asked, (field, value) in declaration order."""

    limit: int
    starting_after: str | None
    ending_before: str | None
    status: str | None
    match: Match = ()

    @property
    def forward(self) -> bool:
        return self.ending_before is None

    @property
    def filtered(self) -> bool:
        return self.status is not None or bool(self.match)


def _shown(text: str) -> str:
    """Client input echoed in an error message, bounded so errors stay small."""
    return text if len(text) <= 100 else text[:100] + "..."


def authenticate(headers: Headers, api_key: str) -> None:
    """HTTP Basic with the key as username and an empty password, or Bearer <key>."""
    values = headers.getlist("authorization")
    if not values:
        raise unauthorized("You did not provide an API key. Use HTTP Basic auth with your "
                           "secret key as the username and an empty password.")
    if len(values) > 1:
        raise unauthorized("Send exactly one Authorization header.")
    scheme, _, credentials = values[0].strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise unauthorized(
                "Malformed Authorization header: invalid Basic credentials.") from None
        key, colon, password = decoded.partition(":")
        if not colon:
            raise unauthorized("Malformed Authorization header: expected 'key:' credentials.")
        if password:
            raise unauthorized("Use your secret key as the username and an empty password.")
    elif scheme.lower() == "bearer":
        key = credentials
    else:
        raise unauthorized("Malformed Authorization header: use the Basic or Bearer scheme.")
    # Constant-time comparison; the message never repeats the key.
    if not key or not hmac.compare_digest(key.encode(), api_key.encode()):
        raise unauthorized("Invalid API key provided.")


def check_api_version(headers: Headers, supported: Sequence[str]) -> str | None:
    """The requested API version (None: the default), or a 400 if not supported."""
    header = current_resource().version_header
    values = headers.getlist(header)
    if not values:
        return None
    if len(values) == 1 and values[0] in supported:
        return values[0]
    shown = _shown(values[0]) if len(values) == 1 else "several values"
    raise invalid(f"Unsupported API version {shown!r}; supported versions: "
                  f"{', '.join(supported)}.", header)


def check_params(params: QueryParams) -> None:
    """Reject unknown and repeated query parameters, as Stripe does."""
    seen: set[str] = set()
    known = current_resource().known_params
    for name, _ in params.multi_items():
        if name not in known:
            raise invalid(f"Received unknown parameter: {_shown(name)}", _shown(name))
        if name in seen:
            raise invalid(f"Parameter {name} was given more than once.", name)
        seen.add(name)


def parse_limit(raw: str | None) -> int:
    r = current_resource()
    if raw is None:
        return r.default_limit
    if not _LIMIT_RE.fullmatch(raw) or not r.min_limit <= int(raw) <= r.max_limit:
        raise invalid(f"Invalid limit: must be an integer between {r.min_limit} and {r.max_limit}, "
                      f"got {_shown(raw)!r}.", "limit")
    return int(raw)


def parse_status(raw: str | None) -> str | None:
    """The partition (enum) filter's value: one of the documented values, exactly."""
    if raw is None:
        return None
    r = current_resource()
    if raw not in r.partition_values:
        raise invalid(f"Invalid {r.partition}: must be one of {', '.join(r.partition_values)}, "
                      f"got {_shown(raw)!r}.", r.partition)
    return raw


def parse_match(name: str, raw: str | None) -> str | None:
    """An equality filter's value, kept exactly as sent (compared case-sensitively).

    An empty value is refused with 400 (docs/family.md allows refusing it or reading it as no
    filter): ``email=`` is far more often a client's unset variable than a search for items
    whose field is empty, and a refusal says so where silently listing everything would not.
    """
    if raw == "":
        raise invalid(f"Invalid {name}: an empty value matches nothing; leave {name} out to list every "
                      f"{current_resource().noun}.", name)
    return raw


def parse_cursors(starting_after: str | None,
                  ending_before: str | None) -> tuple[str | None, str | None]:
    if starting_after is not None and ending_before is not None:
        raise invalid("You may only specify one of these parameters: "
                      "starting_after, ending_before.", "ending_before")
    for name, value in (("starting_after", starting_after), ("ending_before", ending_before)):
        if value == "":
            raise invalid(f"Invalid {name}: must be a {current_resource().noun} id.", name)
    return starting_after, ending_before


def fetch_page(store: SessionStore, query: ListQuery) -> Page:
    """Cursor handling and status filtering; an unknown cursor is a 400 on its param."""
    try:
        return store.page(query.limit, query.starting_after, query.ending_before, query.status, query.match)
    except UnknownCursorError as exc:
        raise _unknown_cursor(exc, query) from None


def _unknown_cursor(exc: UnknownCursorError, query: ListQuery) -> ApiError:
    param = "starting_after" if query.forward else "ending_before"
    return invalid(f"No such {current_resource().noun}: {_shown(exc.cursor)!r}", param)


def serialize_session(session: dict[str, Any]) -> dict[str, Any]:
    return session


def shape_error(error: ApiError) -> ApiError:
    """The error answered for a refused request (a hook for faults: as raised)."""
    return error


def envelope(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    # next_cursor only where it works as starting_after: after a forward page with more.
    next_cursor = data[-1]["id"] if has_more and query.forward and data else None
    return {"object": "list", "data": data, "has_more": has_more, "url": current_resource().path,
            "next_cursor": next_cursor}


@dataclass(frozen=True)
class Decisions:
    """The decision points the app consults; a fault replaces one or more fields."""

    authenticate: Callable[[Headers, str], None] = authenticate
    check_api_version: Callable[[Headers, Sequence[str]], str | None] = check_api_version
    check_params: Callable[[QueryParams], None] = check_params
    parse_limit: Callable[[str | None], int] = parse_limit
    parse_status: Callable[[str | None], str | None] = parse_status
    parse_match: Callable[[str, str | None], str | None] = parse_match
    parse_cursors: Callable[[str | None, str | None],
                            tuple[str | None, str | None]] = parse_cursors
    fetch_page: Callable[[SessionStore, ListQuery], Page] = fetch_page
    serialize_session: Callable[[dict[str, Any]], dict[str, Any]] = serialize_session
    envelope: Callable[[list[dict[str, Any]], bool, ListQuery], dict[str, Any]] = envelope
    shape_error: Callable[[ApiError], ApiError] = shape_error


def run_list(d: Decisions, store: SessionStore, headers: Headers, params: QueryParams,
             api_key: str, api_versions: Sequence[str], resource: Resource = CHECKOUT) -> dict[str, Any]:
    """The whole request to ``resource`` (its items in ``store``), in order: auth, version,
    parameters, page, body."""
    with serving(resource):
        try:
            return _list(d, store, headers, params, api_key, api_versions)
        except ApiError as exc:
            raise d.shape_error(exc) from None


def run_list_json(d: Decisions, store: SessionStore, headers: Headers, params: QueryParams,
                  api_key: str, api_versions: Sequence[str], resource: Resource = CHECKOUT) -> str:
    """``encode_json(run_list(...))``, byte for byte, faster when no fault is in the way.

    With the correct fetch_page, serialize_session and envelope, each session's stored
    JSON text goes into the page as is: decoding and re-encoding it was half the
    server's CPU time under load (BENCHMARKS.md). A stored text is compact JSON from
    the same dicts, so it equals encode_json's text unless it holds characters that
    ensure_ascii escapes (non-ASCII, DEL); those few are re-encoded.
    """
    if not _spliceable(d):
        return encode_json(run_list(d, store, headers, params, api_key, api_versions, resource))
    with serving(resource):
        try:
            query = _query(d, headers, params, api_key, api_versions)
            try:
                raw: RawPage = store.page_raw(query.limit, query.starting_after,
                                              query.ending_before, query.status, query.match)
            except UnknownCursorError as exc:
                raise _unknown_cursor(exc, query) from None
        except ApiError as exc:
            raise d.shape_error(exc) from None
        stub = envelope([{"id": raw.ids[-1]}] if raw.ids else [], raw.has_more, query)
    items = [text if text.isascii() and "\x7f" not in text else encode_json(json.loads(text))
             for text in raw.bodies]
    stub["data"] = []
    # "object":"list" comes first, so the first '"data":[]' is the data member.
    return encode_json(stub).replace('"data":[]', '"data":[' + ",".join(items) + "]", 1)


# The decisions _query runs (and shape_error); any other one replaced by a fault (fetch_page,
# serialize_session, envelope, or one added later) sends the request down run_list.
_QUERY_DECISIONS = frozenset({"authenticate", "check_api_version", "check_params", "parse_cursors",
                              "parse_limit", "parse_status", "parse_match", "shape_error"})
_DEFAULT = Decisions()


@functools.lru_cache(maxsize=32)
def _spliceable(d: Decisions) -> bool:
    return all(getattr(d, f.name) is getattr(_DEFAULT, f.name)
               for f in fields(Decisions) if f.name not in _QUERY_DECISIONS)


def _query(d: Decisions, headers: Headers, params: QueryParams, api_key: str,
           api_versions: Sequence[str]) -> ListQuery:
    d.authenticate(headers, api_key)
    d.check_api_version(headers, api_versions)
    d.check_params(params)
    starting_after, ending_before = d.parse_cursors(
        params.get("starting_after"), params.get("ending_before"))
    r = current_resource()
    limit = d.parse_limit(params.get("limit"))
    status = d.parse_status(params.get(r.partition) if r.partition else None)
    match = tuple((name, value) for name in r.equality
                  if (value := d.parse_match(name, params.get(name))) is not None)
    return ListQuery(limit=limit, starting_after=starting_after, ending_before=ending_before,
                     status=status, match=match)


def _list(d: Decisions, store: SessionStore, headers: Headers, params: QueryParams,
          api_key: str, api_versions: Sequence[str]) -> dict[str, Any]:
    query = _query(d, headers, params, api_key, api_versions)
    page = d.fetch_page(store, query)
    data = [d.serialize_session(s) for s in page.items]
    return d.envelope(data, page.has_more, query)


__all__ = ["ApiError", "Decisions", "ListQuery", "current_resource", "run_list", "run_list_json", "serving"]
