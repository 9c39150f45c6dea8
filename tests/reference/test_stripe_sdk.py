"""The official stripe SDK (Bearer auth, its own pagination) against the server."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.reference import RunningServer

from .conftest import ListClient

stripe = pytest.importorskip("stripe")


def _client(server: RunningServer) -> Any:
    # No retries: a failure must show up as one, not be hidden by a retry.
    return stripe.StripeClient(server.api_key, base_addresses={"api": server.base_url},
                               max_network_retries=0)


def test_auto_paging_forward_visits_every_session_once(server: RunningServer,
                                                      client: ListClient) -> None:
    expected = [s["id"] for s in client.walk_forward(100)]
    sdk = _client(server)
    seen = [s.id for s in sdk.checkout.sessions.list({"limit": 3}).auto_paging_iter()]
    assert seen == expected
    first = sdk.checkout.sessions.list({"limit": 3}).data[0]
    assert first.object == "checkout.session" and first.id == expected[0]


def test_auto_paging_backward(server: RunningServer, client: ListClient) -> None:
    expected = [s["id"] for s in client.walk_forward(100)]
    sdk = _client(server)
    pages = sdk.checkout.sessions.list({"limit": 3, "ending_before": expected[-1]})
    # Going backward the SDK reverses each page: it yields the sessions before the
    # cursor from the nearest (oldest) to the newest.
    seen = [s.id for s in pages.auto_paging_iter()]
    assert seen == list(reversed(expected[:-1]))


def test_auto_paging_with_status_filter(server: RunningServer, client: ListClient) -> None:
    expected = [s["id"] for s in client.walk_forward(100) if s["status"] == "complete"]
    sdk = _client(server)
    pages = sdk.checkout.sessions.list({"limit": 4, "status": "complete"})
    assert [s.id for s in pages.auto_paging_iter()] == expected


def test_sdk_sees_errors_as_errors(server: RunningServer) -> None:
    sdk = _client(server)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.checkout.sessions.list({"limit": 101})
    assert info.value.param == "limit"
    bad = stripe.StripeClient("sk_test_wrong", base_addresses={"api": server.base_url},
                              max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        bad.checkout.sessions.list()
