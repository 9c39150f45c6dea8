"""Small servers that behave like third-party fakes people point the suite at.

Written from what those fakes answer (issue 21's measurements), without anything from
``conformance.reference`` or ``tests/servers/variant.py``:

* ``start_no_ending_before`` answers like localstripe: a correct forward list (``limit``,
  ``starting_after``, ``status``), but any parameter it does not know, ``ending_before``
  included, is refused with 400 "Unexpected <name>". The ids are stable and work as
  ``starting_after`` throughout: the fault is the missing parameter (PAG-005, PAG-006).
* ``start_placeholder_mock`` answers like a mock generated from spec/openapi.yaml (Prism):
  every list holds the same example session, whose every string is the placeholder
  ``"string"`` (its id too), and every refused request gets the example error
  ``{"error": {"type": "string", "message": "string", "param": "string"}}``.

Each yields ``(base_url, api_key)`` for the duration of a ``with``.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.scripted import loopback

PATH = "/v1/checkout/sessions"
KEY = "sk_test_fake_0123456789abcdef"
STATUSES = ("open", "complete", "expired")


def _key_of(header: str | None) -> str | None:
    """The Basic username (empty password), or the Bearer token; None when neither is there."""
    scheme, _, value = (header or "").partition(" ")
    if scheme == "Bearer":
        return value or None
    if scheme != "Basic":
        return None
    try:
        user, colon, password = base64.b64decode(value, validate=True).decode().partition(":")
    except ValueError:
        return None
    return user if colon and not password else None


class _Json(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


@contextlib.contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[tuple[str, str]]:
    with loopback(handler) as base_url:
        yield base_url, KEY


# -- a forward-only list (localstripe) --------------------------------------------------------------
def _sessions(count: int) -> list[dict[str, Any]]:
    """Newest first, two sessions to each `created` second, statuses in turn."""
    made = []
    for n in range(count):
        created = 1_760_000_000 - (n // 2) * 60
        status = STATUSES[n % 3]
        made.append({
            "id": f"cs_test_{n:04d}{'abcdef'[n % 6]}", "object": "checkout.session", "status": status,
            "created": created, "expires_at": created + 86_400, "livemode": False, "mode": "payment",
            "payment_status": "paid" if status == "complete" else "unpaid", "currency": "usd",
            "amount_subtotal": 1000, "amount_total": 1000, "metadata": {},
            "url": "https://checkout.example/pay" if status == "open" else None,
        })
    return made


class _ForwardOnly(_Json):
    sessions: list[dict[str, Any]] = _sessions(40)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != PATH:
            return self.reply(404, {"error": {"type": "invalid_request_error", "message": "Not found"}})
        if _key_of(self.headers.get("Authorization")) != KEY:
            return self.reply(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}},
                              {"WWW-Authenticate": 'Basic realm="fake"'})
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        for name in params:
            if name not in ("limit", "starting_after", "status"):
                return self.reply(400, {"error": {"type": "invalid_request_error",
                                                  "message": f"Unexpected {name}"}})
        raw = params.get("limit", "10")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            return self.reply(400, {"error": {"type": "invalid_request_error", "message": "Invalid limit",
                                              "param": "limit"}})
        status = params.get("status")
        if status is not None and status not in STATUSES:
            return self.reply(400, {"error": {"type": "invalid_request_error", "message": "Invalid status",
                                              "param": "status"}})
        rows = self.sessions
        if "starting_after" in params:
            ids = [s["id"] for s in rows]
            if params["starting_after"] not in ids:
                return self.reply(404, {"error": {"type": "invalid_request_error",
                                                  "message": "No such checkout session"}})
            rows = rows[ids.index(params["starting_after"]) + 1:]
        rows = [s for s in rows if status is None or s["status"] == status]
        limit = int(raw)
        self.reply(200, {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": PATH})


def start_no_ending_before() -> contextlib.AbstractContextManager[tuple[str, str]]:
    return _serve(_ForwardOnly)


# -- a mock made from the spec's examples (Prism) ---------------------------------------------------
_PLACEHOLDER = {
    "id": "string", "object": "checkout.session", "status": "open", "created": 0, "expires_at": 0,
    "livemode": True, "mode": "payment", "payment_status": "paid", "currency": "string",
    "customer": "string", "url": "string", "metadata": {}, "amount_subtotal": 0, "amount_total": 0,
}
_EXAMPLE_ERROR = {"error": {"type": "string", "message": "string", "param": "string"}}


class _Mock(_Json):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != PATH:
            return self.reply(404, _EXAMPLE_ERROR)
        if not self.headers.get("Authorization"):
            return self.reply(401, _EXAMPLE_ERROR, {"WWW-Authenticate": "Basic"})
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw = params.get("limit", "10")
        status = params.get("status")
        if not raw.isdigit() or not 1 <= int(raw) <= 100 or (status is not None and status not in STATUSES):
            return self.reply(400, _EXAMPLE_ERROR)
        self.reply(200, {"object": "list", "data": [dict(_PLACEHOLDER)], "has_more": False, "url": PATH})


def start_placeholder_mock() -> contextlib.AbstractContextManager[tuple[str, str]]:
    return _serve(_Mock)
