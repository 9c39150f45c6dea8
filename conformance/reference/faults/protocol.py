"""Faults in X-API-Version, content types, error bodies and unknown parameters."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from starlette.datastructures import Headers, QueryParams

from conformance.reference import decisions
from conformance.reference.decisions import ListQuery, current_resource
from conformance.reference.errors import ApiError, invalid
from conformance.reference.faults._base import Fault, Reply, Signature, request_state
from conformance.reference.store import Page, SessionStore


def _version_parsed_as_date(headers: Headers, supported: Sequence[str]) -> str | None:
    """Parses the value as a date before looking it up: `not-a-version` raises ValueError (500)."""
    value = headers.get(current_resource().version_header)
    if value:
        datetime.strptime(value, "%Y-%m-%d")
    return decisions.check_api_version(headers, supported)


def _newest_version_refused(headers: Headers, supported: Sequence[str]) -> str | None:
    """Looks the value up in `supported[1:]` (meant to skip a header row): the newest is refused."""
    return decisions.check_api_version(headers, supported[1:])


def _unknown_version_ignored(headers: Headers, supported: Sequence[str]) -> str | None:
    value = headers.get(current_resource().version_header)
    return value if value in supported else None


def _html_content_type(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """The body is serialized by hand and sent with the framework's default text/html."""
    raise Reply(200, decisions.envelope(data, has_more, query), {"Content-Type": "text/html; charset=utf-8"})


def _plain_text_error(error: ApiError) -> ApiError:
    """Errors are sent as the bare message, as text/plain."""
    return Reply(error.status, error.message, {**error.headers, "Content-Type": "text/plain; charset=utf-8"})


def _fastapi_422(error: ApiError) -> ApiError:
    """Query validation answered the FastAPI way: 422 with a `detail` list."""
    if error.status != 400 or error.param not in ("limit", *current_resource().filters):
        return error
    return Reply(422, {"detail": [{"loc": ["query", error.param], "msg": error.message,
                                   "type": "value_error"}]})


def _unknown_params_as_filters(params: QueryParams) -> None:
    """Unknown parameters are taken as field filters (`?field=value`), as a generic ORM view does."""
    known = current_resource().known_params
    request_state()["filters"] = [(k, v) for k, v in params.multi_items() if k not in known]
    for name in known:
        if len(params.getlist(name)) > 1:
            raise invalid(f"Parameter {name} was given more than once.", name)


def _filtered_by_fields(store: SessionStore, query: ListQuery) -> Page:
    filters = request_state().pop("filters", [])
    if not filters:
        return decisions.fetch_page(store, query)
    everything = decisions.fetch_page(store, dataclasses.replace(query, limit=max(store.count(), 1)))
    items = [i for i in everything.items if all(str(i.get(k)) == v for k, v in filters)]
    return Page(items[:query.limit], len(items) > query.limit)


def _repeats_allowed(params: QueryParams) -> None:
    """Unknown names refused as the reference does; a repeated name is let through to the parsers."""
    known = current_resource().known_params
    for name, _ in params.multi_items():
        if name not in known:
            raise invalid(f"Received unknown parameter: {name[:100]}", name[:100])


def _repeated_status_500(params: QueryParams) -> None:
    """A repeated `status` (the partition filter) arrives as a list and is looked up as one value:
    KeyError (500)."""
    _repeats_allowed(params)
    resource = current_resource()
    values = params.getlist(resource.partition) if resource.partition else []
    if len(values) > 1:
        column = {value: value for value in resource.partition_values}
        request_state()["status"] = column[",".join(values)]  # KeyError: 500


def _limit_first_validated(params: QueryParams) -> None:
    """Validation reads the first `limit`; the query (``parse_limit`` below) reads the last."""
    _repeats_allowed(params)
    values = params.getlist("limit")
    if len(values) > 1:
        decisions.parse_limit(values[0])
        request_state()["limit-validated"] = True


def _limit_as_validated(raw: str | None) -> int:
    if request_state().pop("limit-validated", False) and raw is not None and raw.isdigit():
        return int(raw)  # already "validated": the copy the validation read was another one
    return decisions.parse_limit(raw)


FAULTS = (
    Fault("repeated-status-500", "A repeated `status` (`status=open&status=complete`) is looked up as one "
          "value: 500.",
          breaks=("ERR-002", "ERR-004"),
          title=("A repeated `status` crashes the server (500): refuse a repeated parameter with 400, or read "
                 "one copy."),
          signature=Signature(seen=("repeated-param-crashed",)),
          overrides={"check_params": _repeated_status_500}),
    Fault("repeated-limit-first-validated", "Validation reads the first `limit`, the query the last: "
          "`limit=5&limit=1000` serves up to 1000 sessions.",
          breaks=("ERR-004",),
          title=("A repeated `limit` is validated on one copy and queried with the other: refuse a repeated "
                 "parameter with 400, or read the same copy for both."),
          signature=Signature(seen=("repeated-limit-over-served",)),
          overrides={"check_params": _limit_first_validated, "parse_limit": _limit_as_validated}),
    Fault("version-parsed-as-date", "`X-API-Version` is parsed as a date first: a non-date value crashes "
          "(500).",
          breaks=("VER-001", "VER-003", "ERR-002"),
          title=("`X-API-Version` is parsed as a date first: a value that is not a date crashes "
                 "the server (500)."),
          signature=Signature(seen=("version-crashed",), also=("SCH-003",)),
          overrides={"check_api_version": _version_parsed_as_date}),
    Fault("version-newest-refused", "The newest supported version is refused with 400 (an off-by-one "
          "slice of the version list).",
          breaks=("VER-002",),
          title=("The newest supported `X-API-Version` is refused (an off-by-one slice of the "
                 "version list)."),
          signature=Signature(),
          overrides={"check_api_version": _newest_version_refused}),
    Fault("version-unknown-ignored", "An unknown `X-API-Version` is ignored and answered 200.",
          breaks=("VER-003",),
          title="An unknown `X-API-Version` is ignored and served; refuse it with 400.",
          # Not where a URL-keyed cache was seen: the unknown versions may have been served from it
          # (auth-cache-by-url explains VER-003 then).
          signature=Signature(seen=("version-unknown-served",), unseen=("credentials-ignored-after-keyed-fetch",)),
          overrides={"check_api_version": _unknown_version_ignored}),
    Fault("content-type-html", "200 bodies are JSON text sent as `text/html`.",
          breaks=("ENV-001",),
          title="JSON pages are sent as `text/html`; send `Content-Type: application/json`.",
          signature=Signature(seen=("json-not-labelled-json",)),
          overrides={"envelope": _html_content_type}),
    Fault("errors-plain-text", "Every error is the bare message as `text/plain`, not a JSON error object.",
          breaks=("ERR-001", "LIM-007", "FLT-005", "PAG-013", "PAG-014", "AUTH-007", "VER-003"),
          title="Errors are sent as bare `text/plain` messages, not JSON error objects.",
          signature=Signature(seen=("error-not-json",)),
          overrides={"shape_error": _plain_text_error}),
    Fault("validation-422", "Invalid `limit` and `status` get FastAPI's 422 `{\"detail\": [...]}`.",
          breaks=("LIM-007", "FLT-005", "ERR-001"),
          title=("Invalid `limit` and `status` get 422 `{\"detail\": [...]}` (the framework's "
                 "default); answer 400 with an error object."),
          signature=Signature(seen=("validation-422",)),
          overrides={"shape_error": _fastapi_422}),
    Fault("unknown-param-filters", "Unknown query parameters are applied as field filters: "
          "`?expand=...` answers an empty page.",
          breaks=("ERR-003",),
          title=("Unknown query parameters are applied as field filters, so `?expand=...` empties "
                 "the page; ignore or refuse them."),
          signature=Signature(),
          overrides={"check_params": _unknown_params_as_filters, "fetch_page": _filtered_by_fields}),
)
