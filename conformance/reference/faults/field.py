"""Faults from the field: kinds taken from public bug reports about real list APIs and
Stripe-compatible servers (issue 10), each a family the suite once missed.

Which malformed Authorization headers a server MAY accept (CONTRACT.md, RFC 9110):
a lower-case scheme (`basic`: auth schemes are case-insensitive, RFC 9110 11.1), and
extra spaces or a tab between scheme and credentials (lenient parsers take them). Every
other member of the AUTH-003 family (no colon, two colons, no scheme, an empty token,
non-base64, base64 of non-UTF-8 bytes, a very long value, an empty Bearer token, two
Authorization headers) is malformed. The suite sends each with an unknown key, so a
4xx is due whichever reading a server takes; a 5xx or a dropped connection never is.
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

from starlette.datastructures import Headers, QueryParams

from conformance.reference import decisions
from conformance.reference.decisions import ListQuery
from conformance.reference.faults._base import (
    DropConnection,
    Fault,
    Signature,
    everything,
    request_state,
    slice_page,
)
from conformance.reference.store import Page, SessionStore


def _next_cursor_filtered_offset(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """next_cursor is computed from an offset advanced by the *filtered* page size in the
    unfiltered order: on a filtered page it lands two sessions short, so following it
    repeats two of them. Unfiltered pages, and `starting_after=<last id>`, stay right."""
    body = decisions.envelope(data, has_more, query)
    if query.filtered and body["next_cursor"] is not None and len(data) >= 3:
        body["next_cursor"] = data[-3]["id"]
    return body


def _next_cursor_backward_first(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """On an `ending_before` page with more before it, next_cursor is the page's *first* id
    (the cursor for going further back) instead of one that works as `starting_after`."""
    body = decisions.envelope(data, has_more, query)
    if not query.forward and has_more and data:
        body["next_cursor"] = data[0]["id"]
    return body


_POSITION = "pos_"


def _next_cursor_second_offset(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """As Django REST framework's CursorPagination: on an `ending_before` page with more before it,
    next_cursor is a position, the last item's `created` and how many of the page's items share
    it. Right when the page reaches into that second from a newer one; when the whole page lies
    inside one second that began before it, the offset misses the earlier members: following it
    repeats rows (encode/django-rest-framework#7709)."""
    body = decisions.envelope(data, has_more, query)
    if not query.forward and not query.filtered and has_more and data:
        second = data[-1]["created"]
        body["next_cursor"] = f"{_POSITION}{second}_{sum(1 for i in data if i['created'] == second)}"
    return body


def _position_cursor(store: SessionStore, query: ListQuery) -> Page:
    """A position token as `starting_after`: the sessions of that second or older, less the offset."""
    token = query.starting_after or ""
    second, _, offset = token.removeprefix(_POSITION).partition("_")
    if not token.startswith(_POSITION) or not second.isdigit() or not offset.isdigit():
        return decisions.fetch_page(store, query)
    rest = [i for i in everything(store) if i["created"] <= int(second)][int(offset):]
    return slice_page(rest, query)


def _next_cursor_echoes_cursor(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """On a page reached with `starting_after`, next_cursor repeats that cursor (the request's
    own parameter echoed) instead of the page's last id; first pages stay right."""
    body = decisions.envelope(data, has_more, query)
    if query.starting_after is not None and body["next_cursor"] is not None:
        body["next_cursor"] = query.starting_after
    return body


def _authorization_split_500(headers: Headers, api_key: str) -> None:
    """Splits the header on " " and the credentials on ":" expecting exactly two parts:
    `Basic a b` (more than one space) and credentials without a colon (or with two) crash."""
    parts = headers.get("authorization", "").split(" ")
    if len(parts) > 2:
        raise ValueError(f"too many values to unpack (expected 2, got {len(parts)})")
    if len(parts) == 2 and parts[0].lower() == "basic":
        try:
            decoded: str | None = base64.b64decode(parts[1], validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError: refused below, correctly
            decoded = None
        if decoded is not None:
            _user, _password = decoded.split(":")  # no colon, or two: ValueError, a 500
    decisions.authenticate(headers, api_key)


def _bracket_params_drop(params: QueryParams) -> None:
    """A form parser that dies on bracketed names (`expand[]`, `created[gte]`): the worker
    closes the connection without a response. Other unknown parameters are refused (400)."""
    if any("[" in name for name, _ in params.multi_items()):
        raise DropConnection
    decisions.check_params(params)


# Salts of the id encoder, taken in turn by successive responses (a few, so the suite's own
# bookkeeping of ids stays small).
_SALTS = itertools.cycle(("a1", "b2", "c3"))


def _per_response_id(session: dict[str, Any]) -> dict[str, Any]:
    """Ids are encoded with a salt that changes from one response to the next (a hashid-style
    encoder re-seeded per request): the same session comes back under another id."""
    copy = dict(decisions.serialize_session(session))
    state = request_state()
    if "id_salt" not in state:
        state["id_salt"] = next(_SALTS)
    copy["id"] = f"{session['id']}_r{state['id_salt']}"
    return copy


def _decoded_cursors(starting_after: str | None, ending_before: str | None) -> tuple[str | None, str | None]:
    """The salt is stripped when a cursor comes back, so cursors still resolve."""
    def strip(cursor: str | None) -> str | None:
        return cursor.rsplit("_r", 1)[0] if cursor is not None and "_r" in cursor else cursor

    return decisions.parse_cursors(strip(starting_after), strip(ending_before))


def _data_object(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """`data` is an object keyed by id where the array belongs."""
    body = decisions.envelope(data, has_more, query)
    body["data"] = {item["id"]: item for item in data}
    return body


def _status_lenient(raw: str | None) -> str | None:
    """`status` is trimmed and lower-cased before it is checked: `OPEN` and ` open` filter."""
    return decisions.parse_status(raw.strip().lower() if raw is not None else None)


def _timestamps_as_floats(session: dict[str, Any]) -> dict[str, Any]:
    """Timestamps pass through a float column: `created` is written `1763900000.0`."""
    copy = dict(decisions.serialize_session(session))
    for key in ("created", "expires_at"):
        if isinstance(copy.get(key), int):
            copy[key] = float(copy[key])
    return copy


FAULTS = (
    Fault("next-cursor-filtered-offset", "On a `status=S` page, `next_cursor` lands two sessions short (an "
          "offset advanced by the filtered page size): following it repeats two sessions.",
          breaks=("ENV-005",),
          # The defect, not one mechanism: an offset in the filtered list and a bookmark of the row
          # before filtering (a status filter applied after paging) both give it.
          title="`next_cursor` on filtered pages does not lead to the page after the page's last session: "
                "compute it from the page's last id, as on unfiltered pages.",
          signature=Signature(seen=("next-cursor-wrong-when-filtered", "next-cursor-right-unfiltered")),
          overrides={"envelope": _next_cursor_filtered_offset}),
    Fault("next-cursor-backward-first-id", "On an `ending_before` page, `next_cursor` is the page's first id, "
          "which does not work as `starting_after`.",
          breaks=("ENV-005",),
          title="`next_cursor` on an `ending_before` page does not work as `starting_after`: make it the page's "
                "last id (or null).",
          signature=Signature(seen=("next-cursor-wrong-after-ending-before", "next-cursor-right-unfiltered",
                                    "next-cursor-backward-first-id")),
          overrides={"envelope": _next_cursor_backward_first}),
    Fault("next-cursor-backward-ties", "On an `ending_before` page, `next_cursor` is a (`created`, offset) "
          "position: on a page wholly inside one `created` second the offset misses the second's earlier "
          "sessions, and following it repeats rows.",
          breaks=("ENV-005",),
          title=("`next_cursor` on an `ending_before` page is a (`created`, offset) position that is wrong when "
                 "the page lies inside one `created` second: derive it from the page's last id."),
          signature=Signature(seen=("next-cursor-wrong-after-ending-before", "next-cursor-right-unfiltered"),
                              unseen=("next-cursor-backward-first-id",)),
          overrides={"envelope": _next_cursor_second_offset, "fetch_page": _position_cursor}),
    Fault("next-cursor-echoes-cursor", "On a page reached with `starting_after`, `next_cursor` repeats "
          "that cursor: following it serves the same page again.",
          breaks=("ENV-005",),
          title="`next_cursor` repeats the request's own `starting_after`: it must be the page's last id.",
          signature=Signature(seen=("next-cursor-echoes-cursor",), also=("PAG-009",)),
          overrides={"envelope": _next_cursor_echoes_cursor}),
    Fault("auth-header-split-500", "The Authorization header is split expecting exactly two parts: "
          "`Basic a b` and Basic credentials without a colon crash (500).",
          breaks=("AUTH-003", "ERR-002"),
          title="Parsing the `Authorization` header crashes on extra spaces or credentials without one colon "
                "(500): split on the first space and the first colon, and refuse what does not fit with 401.",
          signature=Signature(seen=("malformed-auth-crashed", "auth-split-crashed")),
          overrides={"authenticate": _authorization_split_500}),
    Fault("sdk-brackets-drop-connection", "Bracketed parameter names as the SDKs send them (`expand[]`, "
          "`created[gte]`) make the server close the connection without a response.",
          breaks=("ERR-002", "ERR-003"),
          title="Bracketed parameters as the SDKs send them (`expand[]`) kill the request without a response: "
                "ignore them or refuse them with 400.",
          signature=Signature(seen=("bracket-params-dropped",)),
          overrides={"check_params": _bracket_params_drop}),
    Fault("ids-salted-per-response", "Ids are encoded with a salt that changes from one response to the "
          "next: the same session carries another id (old ids still resolve as cursors).",
          breaks=("OBJ-015",),
          title="A session's id changes from one response to the next: encode ids without a per-request salt.",
          overrides={"serialize_session": _per_response_id, "parse_cursors": _decoded_cursors}),
    Fault("data-object", "`data` is an object keyed by id where the array belongs.",
          breaks=("ENV-003", "SCH-001"),
          title="`data` is a JSON object where the array of sessions belongs.",
          signature=Signature(seen=("data-not-an-array",)),
          overrides={"envelope": _data_object}),
    Fault("status-case-lenient", "`status` is trimmed and lower-cased before it is checked: `OPEN` and "
          "` open` are served as `open` (portability).",
          breaks=("FLT-006",),
          title="`status` is trimmed and lower-cased before it is checked: refuse `OPEN` and ` open` with 400 "
                "like any value outside the enum.",
          signature=Signature(seen=("status-variant-served-as-known",)),
          overrides={"parse_status": _status_lenient}),
    Fault("timestamps-as-floats", "`created` and `expires_at` are written as floats (`1763900000.0`), "
          "which typed SDKs decoding into int64 reject.",
          breaks=("OBJ-005",),
          title="Timestamps are written as floats: write JSON integers.",
          signature=Signature(seen=("timestamp-float",)),
          overrides={"serialize_session": _timestamps_as_floats}),
)
