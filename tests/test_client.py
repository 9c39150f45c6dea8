"""The one door to the network: GET only, bounded, polite, discreet."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from conformance.errors import ForbiddenMethod, RequestBudgetExhausted, TransportFailure
from conformance.exchange import AUTH_NONE
from conformance.not_sent import NotSent
from conformance.record.client import BasicCredentials, Client, ClientSettings, RawAuthorization, strip_credentials
from conformance.record.redaction import MASK, Redactor
from conformance.record.transport import Answer, MemoryTransport, Sent
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


# The client's policy (429 retries, the budget, the circuit breaker, body caps, charsets) is
# tested on the in-memory transport (conformance.record.transport): no socket, no server to
# shut down. What only the wire shows (the Authorization header sent, redirects, cookies,
# real timeouts: tests/robustness) keeps its loopback server.
def _memory(handler: Callable[[int, Sent], Answer], settings: ClientSettings | None = None,
            **kwargs: Any) -> tuple[Client, MemoryTransport]:
    transport = MemoryTransport(handler)
    return Client("http://memory.invalid", KEY, settings, transport=transport, **kwargs), transport


def test_the_memory_transport_sees_what_the_client_sends() -> None:
    client, transport = _memory(lambda i, r: Answer())
    exchange = client.get("x", [("limit", "3"), ("status", "open")])
    assert exchange.status == 200 and exchange.json == {"object": "list", "data": [], "has_more": False,
                                                        "url": "/v1/checkout/sessions"}
    [sent] = transport.sent
    assert (sent.method, sent.path) == ("GET", "/v1/checkout/sessions?limit=3&status=open")
    assert sent.headers["Authorization"] == f"Basic {BASIC}"


def test_the_transcript_is_read_only_outside_the_client() -> None:
    """`Client.transcript` reads like a list and cannot be changed through it (issue 23: the
    transcript has one owner, conformance.record.recording.Transcript); `forget_transcript` is
    the one way to empty it (a benchmark's rounds)."""
    client, _ = _memory(lambda i, r: Answer())
    first, second = client.get("a"), client.get("b")
    transcript = client.transcript
    assert (len(transcript), transcript[0], transcript[-1], list(transcript)) == (2, first, second, [first, second])
    assert [e.seq for e in transcript] == [0, 1] and transcript[:1] == [first]
    for change in ("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"):
        assert not hasattr(transcript, change), change
    with pytest.raises(TypeError):
        transcript[0] = second  # type: ignore[index]
    with pytest.raises(TypeError):
        del transcript[0]  # type: ignore[attr-defined]
    transcript[:1].append(second)  # a slice is a copy
    assert len(client.transcript) == 2
    client.forget_transcript()
    assert len(client.transcript) == 0 and client.get("c").seq == 0


def test_429_is_retried_after_retry_after() -> None:
    def limited(index: int, _request: Sent) -> Answer:
        return Answer(429, b"{}", {"Retry-After": "1.5"}) if index < 2 else Answer()

    slept: list[float] = []
    client, _ = _memory(limited, ClientSettings(max_retry_after=2.0), sleep=slept.append)
    exchange = client.get("x")
    assert exchange.status == 200
    assert exchange.attempts == 3
    assert slept == [1.5, 1.5]
    assert len(client.transcript) == 1


def test_429_asking_for_more_than_the_cap_is_recorded_not_retried_early() -> None:
    slept: list[float] = []
    client, transport = _memory(lambda i, r: Answer(429, b"{}", {"Retry-After": "120"}) if i == 0 else Answer(),
                                ClientSettings(max_retry_after=2.0), sleep=slept.append)
    exchange = client.get("x")
    assert (exchange.status, exchange.attempts, slept) == (429, 1, [])
    assert len(transport.sent) == 1


@pytest.mark.parametrize("retry_after", ["soon", "nan", "Wed, 21 Oct 99999 07:28:00 GMT"])
def test_an_unreadable_retry_after_gets_the_default_delay(retry_after: str) -> None:
    def limited(index: int, _request: Sent) -> Answer:
        return Answer(429, b"{}", {"Retry-After": retry_after}) if index == 0 else Answer()

    slept: list[float] = []
    exchange = _memory(limited, sleep=slept.append)[0].get("x")
    assert (exchange.status, slept) == (200, [1.0])


def test_a_target_that_stays_429_counts_as_down() -> None:
    settings = ClientSettings(retries_on_429=1, failures_before_down=2)
    client, transport = _memory(lambda i, r: Answer(429, b"{}", {"Retry-After": "0"}), settings,
                                sleep=lambda s: None)
    assert [client.get("x").status for _ in range(2)] == [429, 429]
    with pytest.raises(TransportFailure, match="429"):
        client.get("x")
    assert len(transport.sent) == 4


def test_429_beyond_the_retry_budget_is_recorded_not_raised() -> None:
    client, transport = _memory(lambda i, r: Answer(429, b"{}", {"Retry-After": "0"}),
                                ClientSettings(retries_on_429=2), sleep=lambda s: None)
    assert client.get("x").status == 429
    assert len(transport.sent) == 3


def test_max_requests_is_honoured_exactly() -> None:
    client, transport = _memory(lambda i, r: Answer(), ClientSettings(max_requests=3))
    for _ in range(3):
        client.get("x")
    with pytest.raises(RequestBudgetExhausted):
        client.get("x")
    assert len(transport.sent) == 3
    assert client.stopped_because == NotSent.request_budget(3)  # typed: the report's `stopped` and its kind


def test_redirects_are_never_followed() -> None:
    with scripted_server(_ok) as elsewhere, scripted_server(
        lambda i, r: Reply(302, b"", {"Location": elsewhere.base_url + "/steal"})
    ) as target:
        assert Client(target.base_url, KEY).get("x").status == 302
        assert elsewhere.received == []


def test_bodies_are_read_with_a_cap() -> None:
    settings = ClientSettings(body_cap_bytes=100_000, truncated_body_kept_bytes=1_000)
    exchange = _memory(lambda i, r: Answer(200, b"x" * 300_000), settings)[0].get("x")
    assert exchange.body_truncated
    assert len(exchange.body) == 1_000
    assert exchange.json is None


def test_a_silent_target_times_out_and_then_counts_as_down() -> None:
    def silent(_index: int, _request: Sent) -> Answer:
        raise requests.exceptions.ReadTimeout("read timed out")

    client, transport = _memory(silent, ClientSettings(timeout=0.3, failures_before_down=2))
    for _ in range(2):
        with pytest.raises(TransportFailure, match=r"within 0\.3 s"):
            client.get("x")
    with pytest.raises(TransportFailure, match="stopped answering"):
        client.get("x")
    assert client.requests_sent == len(transport.sent) == 2


def test_credentials_in_the_base_url_are_stripped() -> None:
    assert Client("https://user:pw@api.example.com:8443/", KEY).base_url == "https://api.example.com:8443"


def test_an_ipv6_base_url_keeps_its_brackets() -> None:
    assert strip_credentials("http://[::1]:8000") == "http://[::1]:8000"
    assert strip_credentials("http://user:pw@[::1]:8000/") == "http://[::1]:8000"


def test_an_unknown_charset_is_read_as_utf8() -> None:
    body = json.dumps({"object": "list", "data": [], "note": "caf\u00e9"}, ensure_ascii=False).encode()
    answer = Answer(200, body, {"Content-Type": "application/json; charset=x-bogus"})
    exchange = _memory(lambda i, r: answer)[0].get("x")
    assert exchange.json == {"object": "list", "data": [], "note": "caf\u00e9"}


def test_cookies_set_by_the_target_are_never_sent_back() -> None:
    reply = Reply(200, Reply().body, {"Content-Type": "application/json", "Set-Cookie": "sid=abc123; Path=/"})
    with scripted_server(lambda i, r: reply) as target:
        client = Client(target.base_url, KEY)
        client.get("a")
        client.get("b", auth=AUTH_NONE)
        assert [r.headers.get("Cookie") for r in target.received] == [None, None]


def test_secret_looking_user_headers_are_redacted() -> None:
    headers = {"X-Api-Key": "hdr-secret-value", "Cookie": "sid=abc123", "X-Trace": "trace-visible"}

    def echo(_index: int, request: Received) -> Reply:
        return Reply(200, json.dumps({"seen": request.headers}).encode(), {"Content-Type": "application/json"})

    with scripted_server(echo) as target:
        client = Client(target.base_url, KEY, headers=headers)
        client.get("x")
        assert target.received[0].headers["X-Api-Key"] == "hdr-secret-value"  # sent as given
    dumped = json.dumps([e.to_dict() for e in client.transcript]) + client.transcript[0].curl(client.base_url)
    assert "hdr-secret-value" not in dumped
    assert "sid=abc123" not in dumped
    assert "trace-visible" in dumped


def test_a_short_key_is_masked_in_all_its_forms() -> None:
    redactor = Redactor(["k3y"])
    for form in ("k3y", base64.b64encode(b"k3y:").decode(), base64.b64encode(b":k3y").decode().rstrip("=")):
        assert redactor.text(f"<{form}>") == f"<{MASK}>"
    # A form found inside the mask itself must not mask it again.
    assert Redactor(["ACT"]).text("ACT and ACTACT") == f"{MASK} and {MASK}"
    assert Redactor([""]).text("anything") == "anything"
