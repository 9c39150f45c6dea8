"""The generated data: deterministic, complete, realistic, and full of ties."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from conformance.reference.dataset import generate_sessions, iter_sessions

# Every key the vendor page documents on a checkout.session.
DOCUMENTED_KEYS = {
    "id", "object", "mode", "status", "payment_status", "ui_mode", "customer_creation",
    "billing_address_collection", "expires_at", "metadata", "livemode", "created", "url",
    "client_secret", "success_url", "cancel_url", "customer", "customer_email",
    "customer_details", "payment_intent", "currency", "amount_subtotal", "amount_total",
    "total_details", "shipping_address_collection", "shipping_options", "shipping_details",
    "phone_number_collection", "client_reference_id",
}
ADDRESS_KEYS = {"city", "country", "line1", "line2", "postal_code", "state"}
KNOWN: dict[str, set[str | None]] = {
    "mode": {"payment", "setup", "subscription"},
    "status": {"open", "complete", "expired"},
    "payment_status": {"paid", "unpaid", "no_payment_required"},
    "ui_mode": {"hosted", "embedded", "custom"},
    "customer_creation": {"always", "if_required", None},
    "billing_address_collection": {"auto", "required"},
}


@pytest.fixture(scope="module")
def sessions() -> list[dict[str, Any]]:
    return generate_sessions(3000, seed=11)


def test_deterministic_and_prefix_stable() -> None:
    assert generate_sessions(200, 5) == generate_sessions(200, 5)
    assert generate_sessions(50, 5) == generate_sessions(200, 5)[:50]
    assert generate_sessions(50, 5) != generate_sessions(50, 6)
    assert list(iter_sessions(0, 1)) == []


def test_documented_keys_match_spec(spec: dict[str, Any]) -> None:
    # Guards both ways: the generator and the schema list the same keys.
    schema_keys = set(spec["components"]["schemas"]["CheckoutSession"]["properties"])
    assert schema_keys == DOCUMENTED_KEYS


def test_every_documented_key_present(sessions: list[dict[str, Any]]) -> None:
    for s in sessions:
        assert set(s) == DOCUMENTED_KEYS
        for details in (s["customer_details"], s["shipping_details"]):
            if details is not None:
                assert set(details["address"]) == ADDRESS_KEYS
        if s["customer_details"] is not None:
            assert set(s["customer_details"]) == {"email", "name", "phone", "address"}
        if s["total_details"] is not None:
            assert set(s["total_details"]) == {"amount_discount", "amount_shipping",
                                               "amount_tax"}


def test_ids_unique_and_prefixed(sessions: list[dict[str, Any]]) -> None:
    ids = [s["id"] for s in sessions]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("cs_test_") for i in ids)
    assert all(s["customer"] is None or s["customer"].startswith("cus_") for s in sessions)
    assert all(s["payment_intent"] is None or s["payment_intent"].startswith("pi_")
               for s in sessions)
    assert generate_sessions(3, 0, livemode=True)[0]["id"].startswith("cs_live_")


def test_should_rules_hold(sessions: list[dict[str, Any]]) -> None:
    for s in sessions:
        assert s["object"] == "checkout.session"
        for key, values in KNOWN.items():
            assert s[key] in values, key
        assert s["livemode"] is False
        assert isinstance(s["created"], int) and s["expires_at"] > s["created"]
        assert s["url"] is None or s["status"] == "open"
        assert isinstance(s["phone_number_collection"], bool)
        assert all(isinstance(v, str) for v in s["metadata"].values())
        if s["currency"] is not None:
            assert re.fullmatch(r"[a-z]{3}", s["currency"])
        if s["amount_total"] is not None:
            t = s["total_details"]
            amounts = [s["amount_subtotal"], s["amount_total"], *t.values()]
            assert all(isinstance(a, int) and a >= 0 for a in amounts)
            assert s["amount_total"] == (s["amount_subtotal"] - t["amount_discount"]
                                         + t["amount_shipping"] + t["amount_tax"])
        for option in s["shipping_options"]:
            assert option["shipping_amount"] >= 0


def test_values_well_represented(sessions: list[dict[str, Any]]) -> None:
    statuses = Counter(s["status"] for s in sessions)
    assert min(statuses.values()) > len(sessions) / 5
    assert {s["mode"] for s in sessions} == KNOWN["mode"]
    assert {s["ui_mode"] for s in sessions} == KNOWN["ui_mode"]
    assert {s["payment_status"] for s in sessions} == KNOWN["payment_status"]
    # Legal and realistic (delayed payment methods): complete but not yet paid.
    assert any(s["status"] == "complete" and s["payment_status"] == "unpaid"
               for s in sessions)
    assert any(s["url"] is not None for s in sessions)


def test_many_sessions_share_a_second(sessions: list[dict[str, Any]]) -> None:
    per_second = Counter(s["created"] for s in sessions)
    tied = sum(n for n in per_second.values() if n > 1)
    assert tied > len(sessions) / 2
    assert max(per_second.values()) == 8
    assert min(per_second.values()) == 1
    # Creation order is oldest first; the ids inside one second are not sorted.
    assert [s["created"] for s in sessions] == sorted(s["created"] for s in sessions)
    by_second: dict[int, list[str]] = {}
    for s in sessions:
        by_second.setdefault(s["created"], []).append(s["id"])
    assert any(ids != sorted(ids) and ids != sorted(ids, reverse=True)
               for ids in by_second.values())
