"""Small hostile HTTP targets on 127.0.0.1, for robustness tests of the suite as a client.

Every server here speaks raw HTTP/1.1 over a socket so that it can misbehave in ways a
framework would not allow: never answer, trickle, reset mid-body, lie about lengths,
echo the credentials back. Each one records what it received (method, target,
headers and the raw bytes) so that tests can assert the suite sent GET only and never
sent its key where it should not.

A server is a behaviour (a function of one received request) run by ``HostileServer``:
one request per connection (responses say ``Connection: close``), daemon threads,
TCP_NODELAY, and ``stop()`` that also releases behaviours that wait (hang, trickle).
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import re
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LIST_PATH = "/v1/checkout/sessions"
_REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]$")
_MAX_HEAD = 64 * 1024


@dataclass
class Received:
    """One request as the server saw it. ``method`` is None for bytes that were not HTTP
    (a TLS ClientHello sent to a plain-HTTP port, for instance)."""

    method: str | None
    target: str
    headers: dict[str, str]
    raw: bytes
    at: float = 0.0  # time.monotonic() when the request was read

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


@dataclass
class Connection:
    """What a behaviour gets: the socket, the parsed request, its index among all
    requests this server received, and the server's stop event."""

    sock: socket.socket
    request: Received
    index: int
    stop: threading.Event
    server: HostileServer

    def send(self, data: bytes) -> bool:
        """Send; False once the peer has gone (the suite closed or reset the socket)."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def respond(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                reason: str | None = None) -> bool:
        return self.send(response_bytes(status, body, headers, reason))

    def reset(self) -> None:
        """Abort the connection with a TCP RST instead of a FIN."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.sock.close()


Behaviour = Callable[[Connection], None]


def response_bytes(status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                   reason: str | None = None) -> bytes:
    reason = reason if reason is not None else http.client.responses.get(status, "Unknown")
    all_headers = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in all_headers.items())
    return head.encode("latin-1") + b"\r\n" + body


def json_body(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, owner: HostileServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Hostile behaviours meet broken pipes and resets by design; a bug in a behaviour
        # is kept and re-raised by HostileServer.stop() instead of printed here.
        import sys

        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            self.owner.errors.append(exc)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.owner._serve_connection(self.request)  # type: ignore[attr-defined]


class HostileServer:
    """A threaded raw-HTTP server on 127.0.0.1 running ``behaviour`` per request."""

    def __init__(self, behaviour: Behaviour, name: str = "hostile") -> None:
        self.behaviour = behaviour
        self.name = name
        self.received: list[Received] = []
        self.errors: list[BaseException] = []
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self._server = _TCPServer(self)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{name}-server", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what was received -----------------------------------------------------------------
    @property
    def methods(self) -> list[str | None]:
        with self._lock:
            return [r.method for r in self.received]

    @property
    def raw_bytes(self) -> bytes:
        with self._lock:
            return b"".join(r.raw for r in self.received)

    # -- one connection --------------------------------------------------------------------
    def _serve_connection(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(10)
        try:
            request = _read_request(sock)
        except OSError:
            return
        if request is None:
            return
        request.at = time.monotonic()
        with self._lock:
            self.received.append(request)
            index = next(self._counter)
        if request.method is None:
            # Not HTTP (e.g. a TLS ClientHello): answer like a plain server would.
            with contextlib.suppress(OSError):
                sock.sendall(response_bytes(400, b"Bad Request"))
            return
        self.behaviour(Connection(sock, request, index, self.stop_event, self))


def _read_request(sock: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _MAX_HEAD:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
        if data and not _looks_like_http(data):
            break  # binary (TLS): do not wait for a blank line that never comes
    if not data:
        return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    match = _REQUEST_LINE.match(lines[0])
    if match is None:
        return Received(None, "", {}, data)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:  # a body (never expected from the suite): keep it as evidence
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
        data += chunk
    return Received(match.group(1).decode(), match.group(2).decode("latin-1"), headers, data)


def _looks_like_http(data: bytes) -> bool:
    first = data.split(b" ", 1)[0]
    return first.isalpha() and first.isupper()


# -- behaviours --------------------------------------------------------------------------------
def hang(conn: Connection) -> None:
    """Accept, read the request, never answer (until the server stops)."""
    conn.stop.wait(120)


def fixed(status: int, body: bytes, headers: dict[str, str] | None = None) -> Behaviour:
    def behaviour(conn: Connection) -> None:
        conn.respond(status, body, headers)

    return behaviour


HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head>"
             b"<body><h1>Welcome to nginx!</h1></body></html>")
TRUNCATED_JSON = (b'{"object":"list","url":"/v1/checkout/sessions","has_more":true,'
                  b'"next_cursor":"cs_test_1","data":[{"id":"cs_test_1","object":"checkout.se')

html_page = fixed(200, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"})
truncated_json = fixed(200, TRUNCATED_JSON, {"Content-Type": "application/json"})


def huge_body(size: int = 50 * 1024 * 1024) -> Behaviour:
    """200 with a ``size``-byte JSON-looking body, sent in 1 MiB chunks while the peer reads."""
    item = b'{"id":"cs_test_huge","object":"checkout.session"},'
    chunk = (item * (1024 * 1024 // len(item) + 1))[: 1024 * 1024]

    def behaviour(conn: Connection) -> None:
        head = b'{"object":"list","url":"/v1/checkout/sessions","has_more":false,"data":['
        headers = {"Content-Type": "application/json", "Content-Length": str(size)}
        if not conn.send(response_bytes(200, b"", headers) + head):
            return
        sent = len(head)
        while sent < size and not conn.stop.is_set():
            piece = chunk[: size - sent]
            if not conn.send(piece):
                return
            sent += len(piece)

    return behaviour


def wide_page(items: int = 270_000) -> Behaviour:
    """A 200 list of `items` tiny sessions (``{"id":"<hex>"}``) on every request: just under
    the suite's 4 MiB body cap, but wide rather than deep (what judging costs per byte)."""
    data = b",".join(b'{"id":"%x"}' % n for n in range(items))
    body = (b'{"object":"list","url":"/v1/checkout/sessions","has_more":false,"next_cursor":null,"data":['
            + data + b"]}")

    def behaviour(conn: Connection) -> None:
        conn.respond(200, body, {"Content-Type": "application/json"})

    return behaviour


def endless_chunked(conn: Connection) -> None:
    """A 200 JSON-looking body in 64 KiB chunks that never ends (until the peer goes)."""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n")
    data = (b'{"object":"list","data":[' + b'{"id":"cs_endless"},' * 4000)[:65536]
    piece = b"%x\r\n" % len(data) + data + b"\r\n"
    if conn.send(head):
        while not conn.stop.is_set() and conn.send(piece):
            pass


def trickle_body(interval: float = 0.5, declared: int = 100_000) -> Behaviour:
    """Prompt headers, then the body one byte every ``interval`` seconds."""

    def behaviour(conn: Connection) -> None:
        headers = {"Content-Type": "application/json", "Content-Length": str(declared)}
        if not conn.send(response_bytes(200, b"", headers)):
            return
        for byte in itertools.cycle(b'{"object":"list","data":[]} '):
            if conn.stop.wait(interval) or not conn.send(bytes([byte])):
                return

    return behaviour


def trickle_head(interval: float = 0.5) -> Behaviour:
    """The status line, then a header that never ends, one byte every ``interval`` seconds."""

    def behaviour(conn: Connection) -> None:
        if not conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: "):
            return
        while not conn.stop.wait(interval):
            if not conn.send(b"a"):
                return

    return behaviour


def reset_mid_body(conn: Connection) -> None:
    """Headers announcing 2000 bytes, 200 bytes of them, then a TCP reset."""
    body = (b'{"object":"list","url":"/v1/checkout/sessions","has_more":false,"data":[' + b" " * 200)[:200]
    conn.send(response_bytes(200, b"", {"Content-Type": "application/json", "Content-Length": "2000"}) + body)
    conn.stop.wait(0.05)
    conn.reset()


def redirect_to(location_base: str) -> Behaviour:
    """302 to the same path and query on another host/port, on every request."""

    def behaviour(conn: Connection) -> None:
        conn.respond(302, b"", {"Location": location_base + conn.request.target,
                                "Content-Type": "text/plain"})

    return behaviour


def echo_authorization_as_status_line(conn: Connection) -> None:
    """A reflector that puts the request's Authorization header first: not HTTP at all."""
    value = conn.request.headers.get("authorization", "no authorization")
    conn.send(value.encode("latin-1") + b"\r\n\r\n")


def echo_credentials(api_key: str) -> Behaviour:
    """A 200 empty list that echoes the Authorization header and the key back, in a
    header and in the body (a debug endpoint left on in staging)."""

    def behaviour(conn: Connection) -> None:
        authorization = conn.request.headers.get("authorization", "")
        body = {"object": "list", "url": LIST_PATH, "has_more": False, "next_cursor": None, "data": [],
                "debug": {"authorization": authorization, "api_key": api_key}}
        conn.respond(200, json_body(body), {"Content-Type": "application/json",
                                            "X-Debug-Authorization": authorization,
                                            "X-Debug-Key": api_key})

    return behaviour


# -- a forwarding proxy to a good upstream (the embedded reference) ---------------------------
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection",
               "te", "trailer", "upgrade"}


@dataclass
class Upstream:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


def fetch_upstream(base_url: str, request: Received, timeout: float = 10) -> Upstream:
    parts = urlsplit(base_url)
    client = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP and k != "host"}
        client.request(request.method or "GET", request.target, headers=headers)
        response = client.getresponse()
        body = response.read()
        kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
        return Upstream(response.status, response.reason, kept, body)
    finally:
        client.close()


def forward_to(base_url: str) -> Behaviour:
    def behaviour(conn: Connection) -> None:
        up = fetch_upstream(base_url, conn.request)
        conn.respond(up.status, up.body, up.headers, up.reason)

    return behaviour


def forward_with_headers(base_url: str, headers: dict[str, str]) -> Behaviour:
    """A good upstream's answers with ``headers`` replacing (or added to) its own, e.g. a
    Content-Type naming a charset no codec knows."""
    replaced = {name.lower() for name in headers}

    def behaviour(conn: Connection) -> None:
        up = fetch_upstream(base_url, conn.request)
        kept = {k: v for k, v in up.headers.items() if k.lower() not in replaced}
        conn.respond(up.status, up.body, {**kept, **headers}, up.reason)

    return behaviour


def every(n: int, bad: Behaviour, good: Behaviour, offset: int = 0) -> Behaviour:
    """``bad`` for requests number n-1, 2n-1, ... (0-based, counted from ``offset``), else ``good``."""

    def behaviour(conn: Connection) -> None:
        (bad if conn.index >= offset and (conn.index - offset) % n == n - 1 else good)(conn)

    return behaviour


def too_many_requests(retry_after: str | None = "0") -> Behaviour:
    """429; ``retry_after=None`` sends no Retry-After header."""
    body = json_body({"error": {"type": "rate_limit_error", "message": "Too many requests."}})
    headers = {"Content-Type": "application/json"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return fixed(429, body, headers)


def cycling_pages(base_url: str, items: list[dict[str, Any]], pages_in_cycle: int = 3) -> Behaviour:
    """Endless pagination in front of a good upstream: errors, auth and validation come
    from the upstream; every 200 list is replaced by a page of a cycle of
    ``pages_in_cycle`` pages, with has_more always true and next_cursor set, so that a
    walk's cursors come round again."""

    def page_for(query: dict[str, str]) -> dict[str, Any] | None:
        limit = int(query.get("limit", "10"))
        pool = [i for i in items if "status" not in query or i.get("status") == query["status"]]
        pool = pool[: max(1, pages_in_cycle * limit)]
        if not pool or limit < 1:
            return None
        ids = [i["id"] for i in pool]
        if "ending_before" in query:
            end = ids.index(query["ending_before"]) if query["ending_before"] in ids else len(ids)
            end = end or len(ids)
            data = pool[max(0, end - limit): end]
        else:
            after = query.get("starting_after")
            start = (ids.index(after) + 1) % len(ids) if after in ids else 0
            data = pool[start: start + limit]
        return {"object": "list", "url": LIST_PATH, "has_more": True, "next_cursor": data[-1]["id"],
                "data": data}

    def behaviour(conn: Connection) -> None:
        up = fetch_upstream(base_url, conn.request)
        body = up.body
        if up.status == 200 and conn.request.path == LIST_PATH:
            page = page_for(conn.request.query)
            if page is not None:
                body = json_body(page)
        conn.respond(up.status, body, up.headers, up.reason)

    return behaviour


@contextlib.contextmanager
def serving(behaviour: Behaviour, name: str = "hostile") -> Iterator[HostileServer]:
    server = HostileServer(behaviour, name)
    server.start()
    try:
        yield server
    finally:
        server.stop()
    if server.errors:
        raise AssertionError(f"the {name} server's behaviour crashed: {server.errors[0]!r}") \
            from server.errors[0]


def plain_listener() -> HostileServer:
    """A server that only records: answers 404 to anything (the 'other host' of a redirect)."""
    return HostileServer(fixed(404, b"not here", {"Content-Type": "text/plain"}), "other")


__all__ = [
    "LIST_PATH",
    "Connection",
    "HostileServer",
    "Received",
    "Upstream",
    "cycling_pages",
    "echo_authorization_as_status_line",
    "echo_credentials",
    "endless_chunked",
    "every",
    "fetch_upstream",
    "fixed",
    "forward_to",
    "forward_with_headers",
    "hang",
    "html_page",
    "huge_body",
    "plain_listener",
    "redirect_to",
    "reset_mid_body",
    "response_bytes",
    "serving",
    "too_many_requests",
    "trickle_body",
    "trickle_head",
    "truncated_json",
    "wide_page",
]
