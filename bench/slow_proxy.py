"""A keep-alive HTTP proxy that holds every response ~N ms: a target with that much latency.

    python bench/slow_proxy.py --upstream http://127.0.0.1:8000 --port 9000 --delay-ms 40

The issue's measurement used a plain stdlib server whose responses stall ~40 ms on
delayed ACK; this proxy makes that latency explicit and the same on every machine. It
is a ThreadingHTTPServer (one thread per connection, HTTP/1.1 keep-alive, TCP_NODELAY),
so N clients in flight wait N x 40 ms in parallel, as on a real remote target. Every
request is forwarded to --upstream as it came (method GET only) and counted;
GET /_bench/count answers {"count": N} and is neither delayed nor counted, so a bench
can read how many requests a tool sent. Binds 127.0.0.1 only. Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


def serve(upstream: str, port: int, delay: float) -> None:
    count = 0
    lock = threading.Lock()
    local = threading.local()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            nonlocal count
            if self.path == "/_bench/count":
                with lock:
                    self._reply(200, {"Content-Type": "application/json"}, json.dumps({"count": count}).encode())
                return
            with lock:
                count += 1
            time.sleep(delay)
            session = getattr(local, "session", None)
            if session is None:
                session = local.session = requests.Session()
                session.trust_env = False
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            try:
                answer = session.get(upstream + self.path, headers=headers, timeout=30, allow_redirects=False)
            except requests.RequestException as exc:
                self._reply(502, {"Content-Type": "text/plain"}, f"upstream: {exc}".encode())
                return
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            self._reply(answer.status_code, kept, answer.content)

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response_only(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=40.0)
    args = parser.parse_args()
    serve(args.upstream.rstrip("/"), args.port, args.delay_ms / 1000)


if __name__ == "__main__":
    main()
