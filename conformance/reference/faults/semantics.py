"""Faults against the SHOULD rules of the session object: values that type-check but mislead."""

from __future__ import annotations

from typing import Any

from conformance.reference.faults._base import Fault, Signature, reshape


def _url_kept(s: dict[str, Any]) -> None:
    if s["status"] != "open" and s["success_url"] is not None:
        s["url"] = f"https://checkout.leanrails.com/c/pay/{s['id']}"


def _livemode_true(s: dict[str, Any]) -> None:
    s["livemode"] = True


def _customer_unprefixed(s: dict[str, Any]) -> None:
    if s["customer"] is not None:
        s["customer"] = s["customer"].removeprefix("cus_")


def _currency_upper(s: dict[str, Any]) -> None:
    if s["currency"] is not None:
        s["currency"] = s["currency"].upper()


def _discount_negative(s: dict[str, Any]) -> None:
    details = s["total_details"]
    if details is not None and details["amount_discount"]:
        s["total_details"] = {**details, "amount_discount": -details["amount_discount"]}


def _total_before_discount(s: dict[str, Any]) -> None:
    details = s["total_details"]
    if details is not None:
        s["amount_total"] += details["amount_discount"]


def _expires_equals_created(s: dict[str, Any]) -> None:
    s["expires_at"] = s["created"]


def _metadata_dropped(s: dict[str, Any]) -> None:
    s["metadata"] = {}


FAULTS = (
    Fault("metadata-dropped", "`metadata` is always served empty (the serializer never loads it).",
          breaks=("DATA-001",),
          title="`metadata` is always served empty: the serializer never loads it.",
          signature=Signature(),
          overrides={"serialize_session": reshape(_metadata_dropped)}, dataset="canonical"),
    Fault("url-kept-after-expiry", "Hosted sessions keep their payment `url` after they complete or expire.",
          breaks=("OBJ-012",),
          title=("Completed and expired sessions keep their payment `url`; clear it once the "
                 "session is no longer open."),
          signature=Signature(),
          overrides={"serialize_session": reshape(_url_kept)}),
    Fault("livemode-true", "`livemode` is true under a test key.",
          breaks=("OBJ-013",),
          title="`livemode` is true under a test key.",
          signature=Signature(seen=("livemode-true",)),
          overrides={"serialize_session": reshape(_livemode_true)}),
    Fault("customer-unprefixed", "`customer` is the internal id without its `cus_` prefix.",
          breaks=("OBJ-008",),
          title="`customer` is an internal id without its `cus_` prefix.",
          signature=Signature(seen=("customer-unprefixed",)),
          overrides={"serialize_session": reshape(_customer_unprefixed)}),
    Fault("currency-uppercase", "`currency` is upper case (`USD`).",
          breaks=("OBJ-009",),
          title="`currency` is upper case; ISO currency codes are served in lower case.",
          signature=Signature(seen=("currency-uppercase",)),
          overrides={"serialize_session": reshape(_currency_upper)}),
    Fault("discount-negative", "`total_details.amount_discount` is stored as a negative number.",
          breaks=("OBJ-010", "OBJ-014"),
          title=("`total_details.amount_discount` is negative; discounts are positive amounts "
                 "subtracted from the total."),
          signature=Signature(seen=("discount-negative",)),
          overrides={"serialize_session": reshape(_discount_negative)}),
    Fault("total-before-discount", "`amount_total` leaves the discount out.",
          breaks=("OBJ-014",),
          title=("`amount_total` leaves the discount out: subtract "
                 "`total_details.amount_discount`."),
          signature=Signature(unseen=("discount-negative",)),
          overrides={"serialize_session": reshape(_total_before_discount)}),
    Fault("expires-at-equals-created", "`expires_at` is set to `created` (the session lifetime is never added).",
          breaks=("OBJ-011",),
          title="`expires_at` equals `created`: the session lifetime is never added.",
          signature=Signature(seen=("expires-at-equals-created",)),
          overrides={"serialize_session": reshape(_expires_equals_created)}),
)
