"""The one door to the network: GET only, bounded, polite, discreet."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from conformance.client import BasicCredentials, Client, ClientSettings, RawAuthorization
from conformance.errors import ForbiddenMethod, RequestBudgetExhausted, TransportFailure
from conformance.exchange import AUTH_NONE
from tests.support.scripted import Received, Reply, scripted_server

KEY = "sk_test_CLIENT_SECRET_0123456789"
BASIC = base64.b64encode(f"{KEY}:".encode()).decode()


def _ok(_index: int, _request: Received) -> Reply:
    return Reply()


def test_only_get_is_ever_sent() -> None:
    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        with pytest.raises(ForbiddenMethod):
            client._request("POST", "x", (), auth="key", headers=None, path="/v1/checkout/sessions")
        client.get("x")
        assert [r.method for r in target.received] == ["GET"]


def test_key_is_sent_as_basic_username_and_never_recorded() -> None:
    def echo(_index: int, request: Received) -> Reply:
        # A hostile target echoes the credentials back in a header and the body.
        auth = request.headers.get("Authorization", "")
        return Reply(401, json.dumps({"error": {"type": "x", "message": f"bad {auth} {KEY}"}}).encode(),
                     {"Content-Type": "application/json", "X-Echo": auth})

    with scripted_server(echo) as target:
        client = Client(target.base_url, KEY)
        client.get("a", {"limit": "1"})
        client.get("b", auth=BasicCredentials("", KEY))
        client.get("c", auth=RawAuthorization(f"Bearer {KEY}"))
        assert target.received[0].headers["Authorization"] == f"Basic {BASIC}"
        dumped = json.dumps([e.to_dict() for e in client.transcript])
        dumped += " ".join(e.curl(client.base_url) for e in client.transcript)
        assert KEY not in dumped
        assert BASIC.rstrip("=") not in dumped
        assert "[REDACTED]" in dumped


def test_no_credentials_means_no_authorization_header() -> None:
    with scripted_server(_ok) as target:
        Client(target.base_url, KEY).get("x", auth=AUTH_NONE)
        assert "Authorization" not in target.received[0].headers


def test_429_is_retried_after_retry_after_with_a_cap() -> None:
    def limited(index: int, _request: Received) -> Reply:
        return Reply(429, b"{}", {"Retry-After": "120"}) if index < 2 else Reply()

    slept: list[float] = []
    with scripted_server(limited) as target:
        client = Client(target.base_url, KEY, ClientSettings(max_retry_after=2.0), sleep=slept.append)
        exchange = client.get("x")
    assert exchange.status == 200
    assert exchange.attempts == 3
    assert slept == [2.0, 2.0]
    assert len(client.transcript) == 1


def test_429_beyond_the_retry_budget_is_recorded_not_raised() -> None:
    with scripted_server(lambda i, r: Reply(429, b"{}", {"Retry-After": "0"})) as target:
        client = Client(target.base_url, KEY, ClientSettings(retries_on_429=2), sleep=lambda s: None)
        assert client.get("x").status == 429
        assert len(target.received) == 3


def test_max_requests_is_honoured_exactly() -> None:
    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY, ClientSettings(max_requests=3))
        for _ in range(3):
            client.get("x")
        with pytest.raises(RequestBudgetExhausted):
            client.get("x")
        assert len(target.received) == 3


def test_redirects_are_never_followed() -> None:
    with scripted_server(_ok) as elsewhere, scripted_server(
        lambda i, r: Reply(302, b"", {"Location": elsewhere.base_url + "/steal"})
    ) as target:
        assert Client(target.base_url, KEY).get("x").status == 302
        assert elsewhere.received == []


def test_bodies_are_read_with_a_cap() -> None:
    with scripted_server(lambda i, r: Reply(200, b"x" * 300_000)) as target:
        settings = ClientSettings(body_cap_bytes=100_000, truncated_body_kept_bytes=1_000)
        exchange = Client(target.base_url, KEY, settings).get("x")
    assert exchange.body_truncated
    assert len(exchange.body) == 1_000
    assert exchange.json is None


def test_a_silent_target_times_out_and_then_counts_as_down() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = Client(url, KEY, ClientSettings(timeout=0.3, failures_before_down=2))
        for _ in range(2):
            with pytest.raises(TransportFailure, match=r"within 0\.3 s"):
                client.get("x")
        with pytest.raises(TransportFailure, match="stopped answering"):
            client.get("x")
        assert client.requests_sent == 2
    finally:
        listener.close()


def test_credentials_in_the_base_url_are_stripped() -> None:
    assert Client("https://user:pw@api.example.com:8443/", KEY).base_url == "https://api.example.com:8443"
