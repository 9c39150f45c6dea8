"""The client as real targets meet it (issue 10): two Authorization lines on one request, and
a connection closed without a response, reproduced once, recorded as an answer of its own."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from conformance.cli import main
from conformance.errors import TransportFailure
from conformance.failure import DROPPED, Failure
from conformance.record.client import Client, RepeatedAuthorization

KEY = "sk_test_FIELD_CLIENT_0123456789"
LIST = b'{"object": "list", "data": [], "has_more": false, "url": "/v1/checkout/sessions"}'


@contextmanager
def raw_server(answer: Callable[[bytes], bytes | None]) -> Iterator[tuple[str, list[bytes]]]:
    """Reads each request head; `answer` gives the response bytes, or None to close without one."""
    heads: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                heads.append(head)
                reply = answer(head)
                if reply is not None:
                    conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", heads
    finally:
        stop.set()
        listener.close()


def _ok(_head: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(LIST)).encode() + b"\r\n\r\n" + LIST)


def test_two_authorization_headers_go_out_as_two_lines() -> None:
    with raw_server(_ok) as (base_url, heads):
        client = Client(base_url, KEY)
        exchange = client.get("auth:malformed", auth=RepeatedAuthorization(("Basic eDo=", "Basic eTo=")))
        client.close()
    lines = [line for line in heads[0].split(b"\r\n") if line.lower().startswith(b"authorization:")]
    assert lines == [b"Authorization: Basic eDo=", b"Authorization: Basic eTo="]
    assert exchange.auth == 'headers ["Basic eDo=", "Basic eTo="]'
    assert "-H 'Authorization: Basic eDo=' -H 'Authorization: Basic eTo='" in exchange.curl(base_url)


def _drops_brackets(head: bytes) -> bytes | None:
    return None if b"%5B" in head.split(b"\r\n", 1)[0] else _ok(head)


def test_a_connection_closed_without_a_response_is_tried_twice_and_recorded_as_dropped() -> None:
    with raw_server(_drops_brackets) as (base_url, heads):
        client = Client(base_url, KEY)
        exchanges = []
        for _ in range(4):  # more than failures_before_down: drops do not take an answering target down
            with contextlib.suppress(TransportFailure):  # raised after recording the exchange
                client.get("unknown-param", [("expand[]", "x")])
            exchanges.append(client.transcript[-1])
        after = client.get("baseline", [("limit", "3")])
        client.close()
    assert all(e.dropped and e.attempts == 2 and e.error.startswith(f"{DROPPED}, twice") for e in exchanges)
    assert all(e.failure is Failure.DROPPED for e in exchanges)  # the kind, as exchanges.jsonl keeps it
    assert len(heads) == 4 * 2 + 1
    assert after.status == 200


def test_a_target_that_closes_every_connection_is_unreachable(tmp_path: Path) -> None:
    with raw_server(lambda _head: None) as (base_url, _heads):
        code = main(["run", "--base-url", base_url, "--api-key", KEY, "--quiet", "--report-dir", str(tmp_path)])
    assert code == 3
