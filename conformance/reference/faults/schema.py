"""Faults in the envelope and the checkout.session object: types, keys, values."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conformance.reference import decisions
from conformance.reference.decisions import ListQuery
from conformance.reference.faults._base import Fault, Signature, reshape


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _created_iso(s: dict[str, Any]) -> None:
    s["created"] = _iso(s["created"])


def _major_units(s: dict[str, Any]) -> None:
    for key in ("amount_subtotal", "amount_total"):
        if s[key] is not None:
            s[key] = s[key] / 100


def _livemode_string(s: dict[str, Any]) -> None:
    s["livemode"] = str(s["livemode"]).lower()


def _metadata_text(s: dict[str, Any]) -> None:
    s["metadata"] = json.dumps(s["metadata"])


def _expires_cleared(s: dict[str, Any]) -> None:
    if s["status"] == "expired":
        s["expires_at"] = None


def _object_name(s: dict[str, Any]) -> None:
    s["object"] = "checkout_session"


def _status_completed(s: dict[str, Any]) -> None:
    if s["status"] == "complete":
        s["status"] = "completed"


def _payment_status_hyphen(s: dict[str, Any]) -> None:
    s["payment_status"] = s["payment_status"].replace("_", "-")


def _omit_nulls(s: dict[str, Any]) -> None:
    for key in [k for k, v in s.items() if v is None]:
        del s[key]


def _id_from_second(s: dict[str, Any]) -> None:
    # A second-precision, time-based id generator: one id per `created` second.
    s["id"] = f"cs_{'live' if s['livemode'] else 'test'}_{s['created']:x}"


def _id_truncated(s: dict[str, Any]) -> None:
    # A too-narrow id column (VARCHAR(9)): most ids collapse into a handful. Kept in the
    # catalog because it once made the cursor probe spin forever on repeated ids.
    s["id"] = s["id"][:9]


def _envelope_without_url(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    body = decisions.envelope(data, has_more, query)
    del body["url"]
    return body


def _envelope_object_name(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    return {**decisions.envelope(data, has_more, query), "object": "checkout.session.list"}


def _has_more_string(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    return {**decisions.envelope(data, has_more, query), "has_more": str(has_more).lower()}


def _absolute_url(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    body = decisions.envelope(data, has_more, query)
    return {**body, "url": "https://api.example.com" + body["url"]}


FAULTS = (
    Fault("created-iso-string", "`created` is an ISO 8601 string instead of a Unix timestamp.",
          breaks=("OBJ-005", "SCH-001"),
          title="`created` is an ISO 8601 string; it must be a Unix timestamp (integer seconds).",
          signature=Signature(seen=("created-is-string",)),
          overrides={"serialize_session": reshape(_created_iso)}),
    Fault("amounts-major-units", "Amounts are decimal numbers in major units (12.5) instead of integer cents.",
          breaks=("OBJ-005", "OBJ-010", "SCH-001"),
          title=("Amounts are decimals in major units; they must be integers in the "
                 "smallest currency unit (cents)."),
          signature=Signature(seen=("amount-not-integer",)),
          overrides={"serialize_session": reshape(_major_units)}),
    Fault("livemode-string", "`livemode` is the string \"false\" instead of a boolean.",
          breaks=("OBJ-005", "OBJ-013", "SCH-001"),
          title="`livemode` is not a JSON boolean; it must be true or false, unquoted.",
          signature=Signature(seen=("livemode-not-boolean",)),
          overrides={"serialize_session": reshape(_livemode_string)}),
    Fault("metadata-json-text", "`metadata` is the JSON text stored in the database, not an object.",
          breaks=("OBJ-005", "SCH-001"),
          title="`metadata` is the stored JSON text; decode it and serve an object.",
          signature=Signature(seen=("metadata-not-object",)),
          overrides={"serialize_session": reshape(_metadata_text)}),
    Fault("expires-at-null-when-expired", "`expires_at` is cleared to null once a session expires.",
          breaks=("OBJ-001", "OBJ-005", "SCH-001"),
          title="`expires_at` is cleared to null when a session expires; keep the timestamp.",
          signature=Signature(seen=("expires-at-null",)),
          overrides={"serialize_session": reshape(_expires_cleared)}),
    Fault("object-name-wrong", "Sessions say `object: \"checkout_session\"`.",
          breaks=("OBJ-002", "SCH-001"),
          title="A session's `object` is not `checkout.session`.",
          signature=Signature(seen=("session-object-wrong",)),
          overrides={"serialize_session": reshape(_object_name)}),
    Fault("status-completed", "Completed sessions say `status: \"completed\"` (the filter still takes "
          "`complete`).",
          breaks=("OBJ-003", "FLT-001", "SCH-001"),
          title=("Sessions carry a `status` outside the documented values (completed sessions are "
                 "`complete`)."),
          signature=Signature(seen=("status-outside-enum",), also=("FLT-002",)),
          overrides={"serialize_session": reshape(_status_completed)}),
    Fault("payment-status-hyphenated", "`payment_status` is spelled with hyphens (`no-payment-required`).",
          breaks=("OBJ-007",),
          title=("`payment_status` values are spelled with hyphens; the documented values use "
                 "underscores."),
          signature=Signature(seen=("payment-status-hyphenated",)),
          overrides={"serialize_session": reshape(_payment_status_hyphen)}),
    Fault("null-fields-omitted", "The serializer drops keys whose value is null.",
          breaks=("OBJ-006",),
          title=("The serializer drops keys whose value is null; every documented key must be "
                 "present, null or not."),
          signature=Signature(),
          overrides={"serialize_session": reshape(_omit_nulls)}),
    Fault("ids-per-second", "Ids come from a second-precision time-based generator: sessions created in "
          "the same second share one id.",
          breaks=("OBJ-004",),
          title=("Session ids come from a second-precision clock: sessions created in the same "
                 "second share one id."),
          signature=Signature(seen=("ids-shared-within-second",),
                              also=("ENV-005", "PAG-001", "PAG-004", "PAG-005", "PAG-007", "PAG-016", "FLT-001",
                                    "FLT-002")),
          overrides={"serialize_session": reshape(_id_from_second)}),
    Fault("ids-truncated", "Ids are stored in a column too narrow for them and come back cut to 9 characters.",
          breaks=("OBJ-004", "PAG-001", "PAG-004"),
          title=("Session ids are cut short (a too-narrow column), so different sessions share one "
                 "id."),
          signature=Signature(seen=("ids-shared-across-seconds",),
                              also=("ENV-005", "PAG-005", "PAG-007", "PAG-016", "FLT-001", "FLT-002")),
          overrides={"serialize_session": reshape(_id_truncated)}),
    Fault("envelope-url-missing", "The envelope has no `url`.",
          breaks=("ENV-003", "ENV-006", "SCH-001"),
          title="The list envelope has no `url`; add `\"url\": \"/v1/checkout/sessions\"`.",
          signature=Signature(seen=("envelope-url-missing",)),
          overrides={"envelope": _envelope_without_url}),
    Fault("envelope-object-wrong", "The envelope says `object: \"checkout.session.list\"`.",
          breaks=("ENV-002", "SCH-001"),
          title="The list envelope's `object` is not `list`.",
          signature=Signature(seen=("envelope-object-wrong",)),
          overrides={"envelope": _envelope_object_name}),
    Fault("has-more-string", "`has_more` is the string \"true\"/\"false\".",
          breaks=("ENV-003", "SCH-001"),
          title="`has_more` is not a JSON boolean; it must be true or false, unquoted.",
          signature=Signature(seen=("has-more-not-boolean",)),
          overrides={"envelope": _has_more_string}),
    Fault("envelope-url-absolute", "The envelope `url` is absolute (`https://api.example.com/v1/...`).",
          breaks=("ENV-006",),
          title="The envelope `url` is absolute; it must be the path `/v1/checkout/sessions`.",
          signature=Signature(seen=("envelope-url-absolute",)),
          overrides={"envelope": _absolute_url}),
)
