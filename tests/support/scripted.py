"""A tiny loopback HTTP server that answers from a script, and records what it received."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"object": "list", "data": [], "has_more": false, "url": "/v1/checkout/sessions"}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Scripted:
    base_url: str
    received: list[Received]


@contextmanager
def in_thread(server: socketserver.BaseServer, name: str = "test-server") -> Iterator[str]:
    """`server`, bound to 127.0.0.1, serving on a daemon thread; yields its base URL. On exit it is
    shut down, its socket closed and its thread joined (at most 5 s)."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    """A test server that takes a client's early close quietly: the suite may drop a connection it
    no longer waits on (its deadline, Ctrl-C: lanes are not waited for), and socketserver would
    print the broken pipe to sys.stderr from a handler thread, into whichever test then captures it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipe, ConnectionReset, ConnectionAborted
            return
        super().handle_error(request, client_address)


@contextmanager
def loopback(handler: Callable[..., BaseHTTPRequestHandler], nodelay: bool = False) -> Iterator[str]:
    """`handler` served on a free port of 127.0.0.1, one thread per connection; yields the base URL."""
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if nodelay:
        server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with in_thread(server, "loopback") as base_url:
        yield base_url


@contextmanager
def scripted_server(answer: Callable[[int, Received], Reply]) -> Iterator[Scripted]:
    received: list[Received] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            request = Received(self.command, self.path, dict(self.headers))
            with lock:
                received.append(request)
                index = len(received) - 1
            reply = answer(index, request)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        def log_message(self, *args: object) -> None:
            pass

    with loopback(Handler, nodelay=True) as base_url:
        yield Scripted(base_url, received)


def forward(upstream: str, request: Received, session: Any = None) -> Reply:
    """`request` sent on to `upstream` (through `session`, a requests.Session, if given) and
    its answer as a Reply, without the hop-by-hop and length headers the server sets anew."""
    import requests

    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length", "connection")}
    got = (session or requests).get(upstream + request.path, headers=headers, timeout=30, allow_redirects=False)
    kept = {k: v for k, v in got.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
    return Reply(got.status_code, got.content, kept)


@dataclass
class InFlight:
    """What an `in_flight_proxy` saw: requests forwarded, and the most in flight at once."""

    base_url: str
    forwarded: int = 0
    now: int = 0
    most: int = 0


@contextmanager
def in_flight_proxy(upstream: str, hold_seconds: float = 0.005) -> Iterator[InFlight]:
    """A loopback proxy in front of `upstream` that holds each request `hold_seconds` and
    counts how many it holds at once (one thread per connection, so nothing queues here)."""
    import time

    seen = InFlight("")
    lock = threading.Lock()

    def answer(_index: int, request: Received) -> Reply:
        with lock:
            seen.forwarded += 1
            seen.now += 1
            seen.most = max(seen.most, seen.now)
        try:
            time.sleep(hold_seconds)
            return forward(upstream, request)
        finally:
            with lock:
                seen.now -= 1

    with scripted_server(answer) as target:
        seen.base_url = target.base_url
        yield seen
