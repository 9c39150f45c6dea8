"""`GET /v1/checkout/sessions` built the way a team would build it on real libraries: the sessions
live in SQLite through the SQLAlchemy ORM, and each page is cut by sqlakeyset's keyset paging
(``select_page``) over the order ``created DESC, id DESC``.

Written from shared/CONTRACT.md and spec/openapi.yaml alone, without anything from
``conformance.reference`` or ``tests.servers.variant`` (issue 21's proof: an implementation
nobody here wrote the pagination of). Its own legal choices:

* a cursor is either a session id or the sqlakeyset bookmark the server issued as ``next_cursor``
  (``>i:<created>~s:<id>``); either is translated into the keyset ``(created, id)`` of an existing
  session, and anything else is refused with 400;
* ``next_cursor`` is on forward pages only (null when ``has_more`` is false), left out on
  ``ending_before`` pages;
* unknown query parameters are ignored, the first copy of a repeated parameter counts;
* ``Authorization: Basic`` with the key as username, and ``Bearer <key>`` as well (a MAY);
* ``amount_total`` is tax-exclusive (subtotal - discount + shipping + tax).

``start_keyset_target()`` serves it on 127.0.0.1 (a free port) with the standard library's
threading HTTP server for the duration of a ``with``. ``fault`` makes one mistake a team could make
with these libraries (``FAULTS``), written in this file's terms, not taken from the catalog.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import random
import re
import secrets
import socket
import string
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlakeyset import BadBookmark, select_page, unserialize_bookmark
from sqlalchemy import JSON, Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from tests.support.scripted import in_thread

LIST_PATH = "/v1/checkout/sessions"
API_VERSION = "2024-09-30.keyset"
STATUSES = ("open", "complete", "expired")
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
_LIMIT = re.compile(r"[0-9]{1,3}")
FAULTS = {
    # sqlakeyset builds its keyset from the ORDER BY: ordered by `created` alone, the bookmark of a
    # page is one second, and the next page starts after *every* session of that second.
    "keyset-created-only": "the query is ordered by `created DESC` alone (no id tie-breaker), so the keyset "
                           "is `(created,)`",
    # The page is cut from the unfiltered query, then `status` is applied to its rows in Python.
    "status-after-paging": "`status` filters the rows of a page already cut by sqlakeyset",
}


class _Base(DeclarativeBase):
    pass


class CheckoutSession(_Base):
    __tablename__ = "checkout_sessions"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    created: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String, index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


# -- data -------------------------------------------------------------------------------------
def _word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def _address(rng: random.Random) -> dict[str, Any]:
    city, country, state, postal = rng.choice([
        ("Austin", "US", "TX", "78701"), ("Bremen", "DE", None, "28195"), ("Perth", "AU", "WA", "6000"),
    ])
    return {"city": city, "country": country, "line1": f"{rng.randint(2, 400)} Keyset Road", "line2": None,
            "postal_code": postal, "state": state}


def make_sessions(count: int = 60, seed: int = 7) -> list[dict[str, Any]]:
    """`count` checkout.session objects in no particular order: every status, and runs of sessions
    sharing one `created` second (a batch job's worth)."""
    rng = random.Random(f"keyset-sqlalchemy:{seed}")
    seconds: list[int] = []
    now = 1_755_000_000 + rng.randrange(100_000)
    while len(seconds) < count:
        now += rng.randint(30, 9_000)
        seconds += [now] * rng.choice((1, 1, 1, 2, 3, 5))
    sessions = []
    for n, created in enumerate(seconds[:count]):
        status = STATUSES[n % 3] if n < 3 else rng.choice(("open", "complete", "complete", "expired"))
        mode = rng.choice(("payment", "payment", "subscription", "setup"))
        sid = "cs_test_" + _word(rng, 40)
        subtotal = 0 if mode == "setup" else rng.randrange(500, 90_000)
        discount = rng.choice((0, 0, subtotal // 4))
        shipping = rng.choice((0, 800)) if mode == "payment" else 0
        tax = (subtotal - discount) * rng.choice((0, 8, 19)) // 100
        paid = "no_payment_required" if mode == "setup" else "paid"
        email = f"k{n}@keyset.example" if status == "complete" else None
        sessions.append({
            "id": sid, "object": "checkout.session", "created": created,
            "expires_at": created + 86_400, "livemode": False, "mode": mode, "status": status,
            "payment_status": paid if status == "complete" else "unpaid",
            "ui_mode": "hosted", "customer_creation": "if_required", "billing_address_collection": "auto",
            "metadata": {"cart": str(n)} if n % 2 else {},
            "url": f"https://checkout.keyset.example/pay/{sid}" if status == "open" else None,
            "client_secret": None,
            "success_url": "https://shop.keyset.example/thanks", "cancel_url": "https://shop.keyset.example/cart",
            "customer": "cus_" + _word(rng, 14) if status == "complete" else None,
            "customer_email": email,
            "customer_details": {"email": email, "name": f"Customer {n}", "phone": None,
                                 "address": _address(rng)} if status == "complete" else None,
            "payment_intent": "pi_" + _word(rng, 24) if mode == "payment" and status == "complete" else None,
            "currency": rng.choice(("usd", "eur", "aud")),
            "amount_subtotal": subtotal, "amount_total": subtotal - discount + shipping + tax,
            "total_details": {"amount_discount": discount, "amount_shipping": shipping, "amount_tax": tax},
            "shipping_address_collection": None, "shipping_options": [], "shipping_details": None,
            "phone_number_collection": False, "client_reference_id": None,
        })
    rng.shuffle(sessions)  # inserted in no order: the ORDER BY alone orders the list
    return sessions


# -- the API ----------------------------------------------------------------------------------
class Refusal(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.param = status, kind, message, param

    def body(self) -> dict[str, Any]:
        error = {"type": self.kind, "message": self.message}
        if self.param:
            error["param"] = self.param
        return {"error": error}


class KeysetApi:
    """The list endpoint over an in-memory SQLite database (one connection, shared by the
    server's threads under a lock: SQLite in memory is one database per connection)."""

    def __init__(self, sessions: list[dict[str, Any]], api_key: str, fault: str | None = None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"no such fault: {fault}")
        self.api_key, self.fault = api_key, fault
        self.engine = create_engine("sqlite://", poolclass=StaticPool,
                                    connect_args={"check_same_thread": False})
        _Base.metadata.create_all(self.engine)
        with Session(self.engine) as db, db.begin():
            db.add_all(CheckoutSession(id=s["id"], created=s["created"], status=s["status"], body=s)
                       for s in sessions)
        self.lock = threading.Lock()
        # The keyset is the ORDER BY: sqlakeyset pages by exactly these columns.
        self.keyset = ((CheckoutSession.created,) if fault == "keyset-created-only"
                       else (CheckoutSession.created, CheckoutSession.id))
        self.order = [column.desc() for column in self.keyset]

    def authenticate(self, header: str | None) -> None:
        scheme, _, credentials = (header or "").strip().partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = credentials.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")[0]
            except (binascii.Error, ValueError, UnicodeError):
                key = ""
        if not key or not secrets.compare_digest(key.encode(), self.api_key.encode()):
            raise Refusal(401, "authentication_error", "Invalid or missing API key (send it as the Basic username).")

    def _keyset(self, db: Session, param: str, value: str) -> tuple[Any, ...]:
        """The keyset of the session a cursor names: by id, or by the bookmark this server issued."""
        row = db.get(CheckoutSession, value)
        if row is None:
            try:
                marker = unserialize_bookmark(value)
            except (BadBookmark, ValueError):
                marker = None
            # Only a forward bookmark of a session that exists is one this server could have issued.
            if marker is not None and marker.place and not marker.backwards:
                place = marker.place
                by = [column == v for column, v in zip(self.keyset, place, strict=False)]
                if len(place) == len(self.keyset) and db.scalars(select(CheckoutSession).where(*by)).first():
                    return tuple(place)
            raise Refusal(400, "invalid_request_error", f"No such checkout session: {value!r}.", param)
        return (row.created, row.id)[:len(self.keyset)]

    def list(self, query: list[tuple[str, str]]) -> dict[str, Any]:
        params: dict[str, str] = {}
        for name, value in query:
            params.setdefault(name, value)  # the first copy counts; names not listed here are ignored
        limit = DEFAULT_LIMIT
        if "limit" in params:
            if not _LIMIT.fullmatch(params["limit"]) or not 1 <= int(params["limit"]) <= MAX_LIMIT:
                raise Refusal(400, "invalid_request_error", "`limit` must be an integer from 1 to 100.", "limit")
            limit = int(params["limit"])
        status = params.get("status")
        if status is not None and status not in STATUSES:
            raise Refusal(400, "invalid_request_error", "`status` must be open, complete or expired.", "status")
        after, before = params.get("starting_after"), params.get("ending_before")
        if after is not None and before is not None:
            raise Refusal(400, "invalid_request_error", "Use `starting_after` or `ending_before`, not both.",
                          "ending_before")
        statement = select(CheckoutSession).order_by(*self.order)
        if status is not None and self.fault != "status-after-paging":
            statement = statement.where(CheckoutSession.status == status)
        with self.lock, Session(self.engine) as db:
            if after is not None:
                page = select_page(db, statement, per_page=limit, after=self._keyset(db, "starting_after", after))
            elif before is not None:
                page = select_page(db, statement, per_page=limit, before=self._keyset(db, "ending_before", before))
            else:
                page = select_page(db, statement, per_page=limit)
            rows = [row[0] for row in page]  # sqlakeyset gives a backward page in query order already
            if status is not None and self.fault == "status-after-paging":
                rows = [r for r in rows if r.status == status]
            envelope: dict[str, Any] = {"object": "list", "url": LIST_PATH, "data": [r.body for r in rows]}
            if before is not None:
                envelope["has_more"] = page.paging.has_previous
            else:
                envelope["has_more"] = page.paging.has_next
                envelope["next_cursor"] = page.paging.bookmark_next if page.paging.has_next else None
        return envelope


# -- HTTP -------------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "keyset-sqlalchemy/1"
    sys_version = ""
    timeout = 30
    api: KeysetApi  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True
        self._send(code, {"error": {"type": "invalid_request_error", "message": message or "Bad request."}},
                   {"Connection": "close"})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        try:
            if parts.path != LIST_PATH:
                raise Refusal(404, "invalid_request_error", "Unrecognized request URL.")
            self.api.authenticate(self.headers.get("Authorization"))
            if any(v != API_VERSION for v in self.headers.get_all("X-API-Version") or []):
                raise Refusal(400, "invalid_request_error", f"Unsupported API version; this server speaks "
                              f"{API_VERSION}.")
            self._send(200, self.api.list(parse_qsl(parts.query, keep_blank_values=True, errors="replace")))
        except Refusal as refusal:
            extra = {"WWW-Authenticate": 'Basic realm="keyset"'} if refusal.status == 401 else None
            self._send(refusal.status, refusal.body(), extra)

    def _not_allowed(self) -> None:
        self._send(405, {"error": {"type": "invalid_request_error", "message": "Only GET is allowed."}},
                   {"Allow": "GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _not_allowed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no delayed-ACK wait on keep-alive
        return conn, address


@contextlib.contextmanager
def start_keyset_target(sessions: int = 60, seed: int = 7,
                        fault: str | None = None) -> Iterator[tuple[str, str, str]]:
    """Serve the target on 127.0.0.1 (a free port); yields (base_url, api_key, api_version)."""
    api_key = "sk_test_ks" + secrets.token_hex(12)
    api = KeysetApi(make_sessions(sessions, seed), api_key, fault)
    server = _Server(("127.0.0.1", 0), type("KeysetHandler", (_Handler,), {"api": api}))
    try:
        with in_thread(server, "keyset-sqlalchemy") as base_url:
            yield base_url, api_key, API_VERSION
    finally:
        api.engine.dispose()


if __name__ == "__main__":  # manual use: python -m tests.servers.keyset_sqlalchemy
    with start_keyset_target() as (url, key, version):
        print(f"{url}  key={key}  X-API-Version={version}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
