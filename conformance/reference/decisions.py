"""The correct behaviour of the endpoint, one small function per decision point.

The app calls these only through a :class:`Decisions` table, so an injected fault
(``faults.py``) replaces exactly one decision and leaves the rest correct.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers, QueryParams

from conformance.reference.errors import ApiError, invalid, unauthorized
from conformance.reference.store import Page, SessionStore, UnknownCursorError

LIST_URL = "/v1/checkout/sessions"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
STATUS_VALUES = ("open", "complete", "expired")
KNOWN_PARAMS = ("limit", "starting_after", "ending_before", "status")
API_VERSION_HEADER = "X-API-Version"

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
    if not _LIMIT_RE.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise invalid(f"Invalid limit: must be an integer between 1 and {MAX_LIMIT}, "
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
        param = "starting_after" if query.forward else "ending_before"
        raise invalid(f"No such checkout.session: {_shown(exc.cursor)!r}", param) from None


def serialize_session(session: dict[str, Any]) -> dict[str, Any]:
    return session


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


def run_list(d: Decisions, store: SessionStore, headers: Headers, params: QueryParams,
             api_key: str, api_versions: Sequence[str]) -> dict[str, Any]:
    """The whole request, in order: auth, version, parameters, page, body."""
    d.authenticate(headers, api_key)
    d.check_api_version(headers, api_versions)
    d.check_params(params)
    starting_after, ending_before = d.parse_cursors(
        params.get("starting_after"), params.get("ending_before"))
    query = ListQuery(limit=d.parse_limit(params.get("limit")),
                      starting_after=starting_after, ending_before=ending_before,
                      status=d.parse_status(params.get("status")))
    page = d.fetch_page(store, query)
    data = [d.serialize_session(s) for s in page.items]
    return d.envelope(data, page.has_more, query)


__all__ = ["ApiError", "Decisions", "ListQuery", "run_list"]
