"""HTTPS test targets: the reference server behind a throw-away CA (trustme), and a loopback CONNECT proxy.

TLS is terminated in front of the reference server, as a staging gateway does, by a blocking
`ssl` server socket: it sends the alerts OpenSSL sends (unknown CA, certificate required), which
an asyncio server (uvicorn) drops when it closes a failed handshake.

Nothing here trusts the code under test: a certificate's expected fingerprint is computed from
trustme's PEM with `cryptography`, and the requests that reach the target's HTTP layer are
counted by the server itself (an ASGI wrapper), not by the client.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from conformance.reference import server as server_module
from conformance.reference.server import ReferenceConfig, RunningServer, start_background

API_KEY = "sk_test_tls0123456789abcdef"


@dataclass
class Pki:
    """A CA the target's certificates come from, another one nobody trusts, and files of both."""

    ca: trustme.CA
    stranger: trustme.CA
    directory: Path
    ca_file: Path = field(init=False)
    stranger_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.ca_file = self.directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.stranger_file = self.directory / "stranger-ca.pem"
        self.stranger.cert_pem.write_to_path(str(self.stranger_file))

    def leaf(self, *names: str, not_after: datetime.datetime | None = None,
             not_before: datetime.datetime | None = None) -> trustme.LeafCert:
        return self.ca.issue_cert(*(names or ("localhost", "127.0.0.1")), not_after=not_after,
                                  not_before=not_before)

    def client_files(self, name: str, ca: trustme.CA | None = None) -> tuple[Path, Path]:
        """(certificate file, key file) of a client certificate issued by `ca` (default: the CA)."""
        leaf = (ca or self.ca).issue_cert(f"{name}@clients.example")
        cert, key = self.directory / f"{name}.crt.pem", self.directory / f"{name}.key.pem"
        leaf.cert_chain_pems[0].write_to_path(str(cert))
        leaf.private_key_pem.write_to_path(str(key))
        return cert, key


def make_pki(directory: Path) -> Pki:
    return Pki(trustme.CA(), trustme.CA(), directory)


def sha256_of(leaf: trustme.LeafCert) -> str:
    """The leaf certificate's SHA-256 over its DER bytes, computed apart from the suite."""
    der = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).public_bytes(Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def server_context(leaf: trustme.LeafCert, client_ca: trustme.CA | None = None) -> ssl.SSLContext:
    """A server context presenting `leaf`; with `client_ca`, one that demands a client certificate from it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    if client_ca is not None:
        client_ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass
class Target:
    server: RunningServer
    http_requests: list[str]  # the paths the target's HTTP layer received
    base_url: str
    authorizations: list[str] = field(default_factory=list)  # every Authorization header value received


@contextlib.contextmanager
def serve(monkeypatch: pytest.MonkeyPatch, tls: ssl.SSLContext | None, sessions: int = 12,
          alerts: bool = True) -> Iterator[Target]:
    """The reference server (over TLS with `tls`), counting every HTTP request that reaches it.

    `alerts=False`: a failed handshake is closed without its alert, as asyncio servers do (the
    front then serves nothing: it is for the failures)."""
    seen: list[str] = []
    authorizations: list[str] = []
    real = server_module.create_app

    def counting(*args: Any, **kwargs: Any) -> Any:
        app = real(*args, **kwargs)

        async def counted(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
            if scope["type"] == "http":
                seen.append(scope["path"])
                authorizations.extend(v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization")
            await app(scope, receive, send)

        counted.state = app.state  # type: ignore[attr-defined]  # RunningServer reads the family's stores there
        return counted

    with monkeypatch.context() as patch:
        patch.setattr(server_module, "create_app", counting)
        running = start_background(ReferenceConfig(sessions=sessions, api_key=API_KEY))
    with running:
        if tls is None:
            yield Target(running, seen, running.base_url, authorizations)
            return
        with _TLSFront(tls, running.port, alerts) as front:
            yield Target(running, seen, f"https://127.0.0.1:{front.port}", authorizations)


class _TLSFront:
    """Terminates TLS on a loopback port and pipes the plain bytes to the reference server."""

    def __init__(self, context: ssl.SSLContext, upstream_port: int, alerts: bool = True) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                if not alerts:
                    _handshake_dropping_alerts(context, self.request)
                    return
                try:
                    tls = context.wrap_socket(self.request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the failed handshake's alert is sent: the client names the cause
                with tls, socket.create_connection(("127.0.0.1", upstream_port)) as upstream, \
                        contextlib.suppress(ssl.SSLError, OSError):
                    _pipe(tls, upstream)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> _TLSFront:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# A name only the proxy knows, as a corporate proxy resolves internal names: it stands for this
# machine's loopback behind the proxy (the client never resolves it, so the tunnel is really used:
# a loopback target itself is never proxied).
PROXIED_HOST = "staging.proxied.test"


class ConnectProxy:
    """An HTTP proxy on loopback that only tunnels (CONNECT) to loopback ports (PROXIED_HOST is
    resolved to 127.0.0.1 here), and records each tunnel. With `refuse` (a status line's code and
    phrase, e.g. "407 Proxy Authentication Required"), it answers every request with that status
    instead, as a proxy refusing the tunnel (or, for a plain-HTTP request it would forward, the request)."""

    def __init__(self, refuse: str | None = None) -> None:
        self.tunnels: list[str] = []
        self.refused: list[str] = []  # the request lines refused with `refuse`
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                client: socket.socket = self.request
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = client.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                if refuse is not None:
                    outer.refused.append(f"{method} {target}")
                    challenge = "Proxy-Authenticate: Basic realm=\"proxy\"\r\n" if refuse.startswith("407") else ""
                    client.sendall(f"HTTP/1.1 {refuse}\r\n{challenge}Content-Length: 0\r\n\r\n".encode())
                    return
                host, _, port = target.rpartition(":")
                if method != "CONNECT" or host not in ("127.0.0.1", "localhost", PROXIED_HOST):
                    client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                outer.tunnels.append(target)
                address = "127.0.0.1" if host == PROXIED_HOST else host
                with socket.create_connection((address, int(port))) as upstream:
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    _pipe(client, upstream)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handshake_dropping_alerts(context: ssl.SSLContext, sock: socket.socket) -> None:
    """A server handshake through memory BIOs that sends what the handshake sends, except the
    alert of a failed one: the socket is closed with it unsent."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_side=True)
    sock.settimeout(10)
    with contextlib.suppress(OSError):
        while True:
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                data = sock.recv(65536)
                if not data:
                    return
                incoming.write(data)
                continue
            except ssl.SSLError:
                return  # the alert stays in `outgoing`
            sock.sendall(outgoing.read())
            return


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Bytes both ways until either side closes; TLS bytes already decrypted (pending) are read first."""
    sockets = [a, b]
    while True:
        pending = [s for s in sockets if isinstance(s, ssl.SSLSocket) and s.pending()]
        readable = pending or select.select(sockets, [], [], 30)[0]
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)
