"""The correct behaviour of the endpoint, one small function per decision point.

The app calls these only through a :class:`Decisions` table, so an injected fault
(``faults.py``) replaces exactly one decision and leaves the rest correct.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from starlette.datastructures import Headers, QueryParams

from conformance.reference.errors import ApiError, encode_json, invalid, unauthorized
from conformance.reference.store import Page, RawPage, SessionStore, UnknownCursorError
from conformance.spec import OPERATION_PATH, default_spec

# Bounds, enums and parameter names come from spec/openapi.yaml, the one source the
# checks read too: the reference cannot drift from what it is judged against.
_SPEC = default_spec()
_LIMIT_SCHEMA = _SPEC.parameter("limit")["schema"]

LIST_URL = OPERATION_PATH
DEFAULT_LIMIT: int = _LIMIT_SCHEMA["default"]
MIN_LIMIT: int = _LIMIT_SCHEMA["minimum"]
MAX_LIMIT: int = _LIMIT_SCHEMA["maximum"]
STATUS_VALUES: tuple[str, ...] = _SPEC.enum_of("status")
KNOWN_PARAMS: tuple[str, ...] = tuple(p["name"] for p in _SPEC.operation["parameters"] if p["in"] == "query")
API_VERSION_HEADER: str = next(p["name"] for p in _SPEC.operation["parameters"] if p["in"] == "header")

# Digits only, no sign, no spaces; leading zeros tolerated. The length bound keeps
# int() away from absurd inputs (Python refuses to parse > 4300 digits).
_LIMIT_RE = re.compile(r"0*[0-9]{1,3}")


@dataclass(frozen=True)
class ListQuery:
    limit: int
    starting_after: str | None
    ending_before: str | None
    status: str | None

    @property
    def forward(self) -> bool:
        return self.ending_before is None


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
    values = headers.getlist(API_VERSION_HEADER)
    if not values:
        return None
    if len(values) == 1 and values[0] in supported:
        return values[0]
    shown = _shown(values[0]) if len(values) == 1 else "several values"
    raise invalid(f"Unsupported API version {shown!r}; supported versions: "
                  f"{', '.join(supported)}.", API_VERSION_HEADER)


def check_params(params: QueryParams) -> None:
    """Reject unknown and repeated query parameters, as Stripe does."""
    seen: set[str] = set()
    for name, _ in params.multi_items():
        if name not in KNOWN_PARAMS:
            raise invalid(f"Received unknown parameter: {_shown(name)}", _shown(name))
        if name in seen:
            raise invalid(f"Parameter {name} was given more than once.", name)
        seen.add(name)


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not _LIMIT_RE.fullmatch(raw) or not MIN_LIMIT <= int(raw) <= MAX_LIMIT:
        raise invalid(f"Invalid limit: must be an integer between {MIN_LIMIT} and {MAX_LIMIT}, "
                      f"got {_shown(raw)!r}.", "limit")
    return int(raw)


def parse_status(raw: str | None) -> str | None:
    if raw is None:
        return None
    if raw not in STATUS_VALUES:
        raise invalid(f"Invalid status: must be one of {', '.join(STATUS_VALUES)}, "
                      f"got {_shown(raw)!r}.", "status")
    return raw


def parse_cursors(starting_after: str | None,
                  ending_before: str | None) -> tuple[str | None, str | None]:
    if starting_after is not None and ending_before is not None:
        raise invalid("You may only specify one of these parameters: "
                      "starting_after, ending_before.", "ending_before")
    for name, value in (("starting_after", starting_after), ("ending_before", ending_before)):
        if value == "":
            raise invalid(f"Invalid {name}: must be a checkout.session id.", name)
    return starting_after, ending_before


def fetch_page(store: SessionStore, query: ListQuery) -> Page:
    """Cursor handling and status filtering; an unknown cursor is a 400 on its param."""
    try:
        return store.page(query.limit, query.starting_after, query.ending_before, query.status)
    except UnknownCursorError as exc:
        raise _unknown_cursor(exc, query) from None


def _unknown_cursor(exc: UnknownCursorError, query: ListQuery) -> ApiError:
    param = "starting_after" if query.forward else "ending_before"
    return invalid(f"No such checkout.session: {_shown(exc.cursor)!r}", param)


def serialize_session(session: dict[str, Any]) -> dict[str, Any]:
    return session


def shape_error(error: ApiError) -> ApiError:
    """The error answered for a refused request (a hook for faults: as raised)."""
    return error


def envelope(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    # next_cursor only where it works as starting_after: after a forward page with more.
    next_cursor = data[-1]["id"] if has_more and query.forward and data else None
    return {"object": "list", "data": data, "has_more": has_more, "url": LIST_URL,
            "next_cursor": next_cursor}


@dataclass(frozen=True)
class Decisions:
    """The decision points the app consults; a fault replaces one or more fields."""

    authenticate: Callable[[Headers, str], None] = authenticate
    check_api_version: Callable[[Headers, Sequence[str]], str | None] = check_api_version
    check_params: Callable[[QueryParams], None] = check_params
    parse_limit: Callable[[str | None], int] = parse_limit
    parse_status: Callable[[str | None], str | None] = parse_status
    parse_cursors: Callable[[str | None, str | None],
                            tuple[str | None, str | None]] = parse_cursors
    fetch_page: Callable[[SessionStore, ListQuery], Page] = fetch_page
    serialize_session: Callable[[dict[str, Any]], dict[str, Any]] = serialize_session
    envelope: Callable[[list[dict[str, Any]], bool, ListQuery], dict[str, Any]] = envelope
    shape_error: Callable[[ApiError], ApiError] = shape_error


def run_list(d: Decisions, store: SessionStore, headers: Headers, params: QueryParams,
             api_key: str, api_versions: Sequence[str]) -> dict[str, Any]:
    """The whole request, in order: auth, version, parameters, page, body."""
    try:
        return _list(d, store, headers, params, api_key, api_versions)
    except ApiError as exc:
        raise d.shape_error(exc) from None


def run_list_json(d: Decisions, store: SessionStore, headers: Headers, params: QueryParams,
                  api_key: str, api_versions: Sequence[str]) -> str:
    """``encode_json(run_list(...))``, byte for byte, faster when no fault is in the way.

    With the correct fetch_page, serialize_session and envelope, each session's stored
    JSON text goes into the page as is: decoding and re-encoding it was half the
    server's CPU time under load (BENCHMARKS.md). A stored text is compact JSON from
    the same dicts, so it equals encode_json's text unless it holds characters that
    ensure_ascii escapes (non-ASCII, DEL); those few are re-encoded.
    """
    if not _spliceable(d):
        return encode_json(run_list(d, store, headers, params, api_key, api_versions))
    try:
        query = _query(d, headers, params, api_key, api_versions)
        try:
            raw: RawPage = store.page_raw(query.limit, query.starting_after,
                                          query.ending_before, query.status)
        except UnknownCursorError as exc:
            raise _unknown_cursor(exc, query) from None
    except ApiError as exc:
        raise d.shape_error(exc) from None
    items = [text if text.isascii() and "\x7f" not in text else encode_json(json.loads(text))
             for text in raw.bodies]
    stub = envelope([{"id": raw.ids[-1]}] if raw.ids else [], raw.has_more, query)
    stub["data"] = []
    # "object":"list" comes first, so the first '"data":[]' is the data member.
    return encode_json(stub).replace('"data":[]', '"data":[' + ",".join(items) + "]", 1)


# The decisions _query runs (and shape_error); any other one replaced by a fault (fetch_page,
# serialize_session, envelope, or one added later) sends the request down run_list.
_QUERY_DECISIONS = frozenset({"authenticate", "check_api_version", "check_params", "parse_cursors",
                              "parse_limit", "parse_status", "shape_error"})
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
    query = ListQuery(limit=d.parse_limit(params.get("limit")),
                      starting_after=starting_after, ending_before=ending_before,
                      status=d.parse_status(params.get("status")))
    return query


def _list(d: Decisions, store: SessionStore, headers: Headers, params: QueryParams,
          api_key: str, api_versions: Sequence[str]) -> dict[str, Any]:
    query = _query(d, headers, params, api_key, api_versions)
    page = d.fetch_page(store, query)
    data = [d.serialize_session(s) for s in page.items]
    return d.envelope(data, page.has_more, query)


__all__ = ["ApiError", "Decisions", "ListQuery", "run_list", "run_list_json"]
