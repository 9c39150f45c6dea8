"""An independently written, correct variant of `GET /v1/checkout/sessions`.

Written from shared/CONTRACT.md and the vendor's page alone, without anything from
``conformance.reference``: it exists to show that the suite passes a server which
takes every *legal* choice the other way from the embedded reference:

* unknown query parameters are ignored (the reference rejects them);
* an unknown cursor is answered 404 (the reference: 400);
* ``next_cursor`` is an opaque token (url-safe base64 of an internal position),
  which ``starting_after`` also accepts; null when ``has_more`` is false; and it is
  left out entirely on pages fetched with ``ending_before``;
* ``Authorization: Bearer <key>`` is refused with 401 (only Basic is accepted);
* a malformed ``Authorization`` header gets 400 (the reference: 401);
* ``amount_total`` is tax-inclusive (subtotal - discount + shipping);
* sessions sharing a ``created`` second are ordered by insertion sequence, not id;
* its own error types and wording, and its own API version string;
* plain ``http.server`` (threads), not an ASGI stack;
* with ``churn``, a live account of its own: new sessions are appended after the sessions of
  their `created` second (insertion order breaks ties), open sessions expire.

``start_variant()`` runs it in a background thread for the duration of a ``with``.

``faults`` injects a few classic mistakes, written here in the variant's own terms (not
taken from the reference's fault catalog), to show the suite's diagnosis names them on
a server it has never seen: see ``FAULTS``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import random
import re
import secrets
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LIST_PATH = "/v1/checkout/sessions"
SUPPORTED_VERSIONS = ("2025-01-27.acacia",)
STATUSES = ("open", "complete", "expired")
DEFAULT_LIMIT, MIN_LIMIT, MAX_LIMIT = 10, 1, 100
_DIGITS = re.compile(r"[0-9]{1,3}")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TOKEN_TAG = "vpos"
# Mistakes the variant can be asked to make, by the name a diagnosis should give them.
FAULTS = {
    "cursor-inclusive": "the cursor row is kept: `>=` where `>` was meant, in both directions",
    "filter-ignored": "`status` is validated, then never applied",
    "limit-default-25": "a page without `limit` holds 25 sessions",
    "has-more-when-full": "`has_more` is `len(page) == limit`",
    "auth-any-key": "any non-empty Basic username is accepted as a key",
    # Partial and look-alike mistakes (issue 20): how real code ships a defect, one way only.
    "starting-after-inclusive": "`>=` where `>` was meant, in the `starting_after` query only",
    "auth-skipped-without-header": "a request without `Authorization` skips the key check; a wrong key "
                                   "is still refused",
    "limit-capped-at-max": "`limit` above 100 is served as 100; below 1 is still refused",
    "status-complete-unfiltered": "the `status` condition is lost when it is `complete`",
    "status-unknown-empty": "an unknown `status` is matched literally: 200 with no sessions",
    "created-only-forward": "the `starting_after` query compares `created` alone, the sessions of the "
                            "cursor's second are lost",
}
# The catalog fault (conformance.reference.faults) each mistake is, as a diagnosis must name it;
# None: no catalog fault fits, the diagnosis must say what the record shows.
DIAGNOSED_AS: dict[str, str | None] = {
    **{name: name for name in ("cursor-inclusive", "filter-ignored", "limit-default-25", "has-more-when-full",
                               "auth-any-key")},
    "starting-after-inclusive": "cursor-inclusive",
    "auth-skipped-without-header": "no-auth",
    "limit-capped-at-max": "limit-clamped",
    "status-complete-unfiltered": "filter-ignored",
    "status-unknown-empty": None,
    "created-only-forward": "cursor-created-only",
}


# -- data -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    seq: int  # insertion sequence: breaks ties between sessions created in one second
    id: str
    created: int
    status: str
    body: dict[str, Any]


def _token(seed: int, *parts: object, length: int = 24) -> str:
    digest = hashlib.blake2b(f"{seed}/{'/'.join(map(str, parts))}".encode(), digest_size=32).digest()
    number = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        out.append(_ALPHABET[rem])
    return "".join(out)


def _address(rng: random.Random) -> dict[str, Any]:
    city, country, state, postal = rng.choice([
        ("Portland", "US", "OR", "97205"), ("Lyon", "FR", None, "69002"),
        ("Toronto", "CA", "ON", "M5V 2T6"), ("Leeds", "GB", None, "LS1 4AP"),
    ])
    return {"city": city, "country": country, "line1": f"{rng.randint(1, 999)} Variant Street",
            "line2": rng.choice([None, f"Unit {rng.randint(1, 40)}"]), "postal_code": postal, "state": state}


def _session(rng: random.Random, seed: int, seq: int, created: int, status: str) -> dict[str, Any]:
    sid = "cs_test_" + _token(seed, "cs", seq, length=30)
    mode = rng.choices(("payment", "subscription", "setup"), weights=(6, 3, 1))[0]
    ui_mode = rng.choices(("hosted", "embedded", "custom"), weights=(5, 2, 1))[0]
    if status == "complete":
        if mode == "setup":
            payment_status = "no_payment_required"
        else:  # a delayed payment method leaves some complete sessions unpaid
            payment_status = rng.choices(("paid", "unpaid"), weights=(5, 1))[0]
    else:
        payment_status = "unpaid"
    currency = rng.choice(("usd", "eur", "gbp", "cad"))
    collects_shipping = mode == "payment" and rng.random() < 0.5
    if mode == "setup":
        subtotal = discount = shipping = tax = 0
    else:
        subtotal = rng.randrange(300, 60_000)
        discount = rng.choice((0, 0, subtotal // 10, subtotal // 5))
        shipping = rng.choice((0, 499, 1299)) if collects_shipping else 0
        rate = rng.choice((0.0, 0.07, 0.2))
        # Prices include tax: the tax line is the part of the discounted price that is tax.
        tax = round((subtotal - discount) * rate / (1 + rate))
    customer = "cus_" + _token(seed, "cus", seq, length=14) if rng.random() < 0.7 else None
    email = f"buyer{seq}@variant.example" if customer or status == "complete" else None
    hosted = ui_mode == "hosted"
    return {
        "id": sid,
        "object": "checkout.session",
        "mode": mode,
        "status": status,
        "payment_status": payment_status,
        "ui_mode": ui_mode,
        "customer_creation": rng.choice(("always", "if_required")),
        "billing_address_collection": rng.choice(("auto", "required")),
        "expires_at": created + rng.randint(1_800, 86_400),
        "metadata": rng.choice(({}, {"order_ref": f"V-{seq:05d}"}, {"order_ref": f"V-{seq:05d}", "channel": "web"})),
        "livemode": False,
        "created": created,
        "url": f"https://pay.variant.example/c/{sid}" if status == "open" and hosted else None,
        "client_secret": f"{sid}_secret_{_token(seed, 'sec', seq, length=16)}"
        if status == "open" and not hosted else None,
        "success_url": "https://shop.variant.example/done?sid={CHECKOUT_SESSION_ID}" if hosted else None,
        "cancel_url": "https://shop.variant.example/cart" if hosted else None,
        "customer": customer,
        "customer_email": email,
        "customer_details": {
            "email": email, "name": f"Buyer {seq}", "phone": rng.choice((None, "+15035550100")),
            "address": rng.choice((None, _address(rng))),
        } if status == "complete" else None,
        "payment_intent": "pi_" + _token(seed, "pi", seq, length=24)
        if mode == "payment" and status != "open" and rng.random() < 0.8 else None,
        "currency": currency,
        "amount_subtotal": subtotal,
        "amount_total": subtotal - discount + shipping,  # tax-inclusive
        "total_details": {"amount_discount": discount, "amount_shipping": shipping, "amount_tax": tax},
        "shipping_address_collection": {"allowed_countries": ["US", "CA", "GB"]} if collects_shipping else None,
        "shipping_options": [{"shipping_rate": "shr_" + _token(seed, "shr", seq, length=14),
                              "shipping_amount": shipping}] if collects_shipping else [],
        "shipping_details": {"address": _address(rng), "name": f"Buyer {seq}"}
        if collects_shipping and status == "complete" else None,
        "phone_number_collection": rng.random() < 0.3,
        "client_reference_id": f"ref-{seq}" if rng.random() < 0.4 else None,
    }


def generate(sessions: int, seed: int) -> list[Row]:
    """`sessions` rows in list order: created descending, then insertion sequence ascending."""
    rng = random.Random(f"variant-dataset:{seed}")
    moments: list[int] = []
    t = 1_760_000_000 + rng.randrange(500_000)
    while len(moments) < sessions:
        t += rng.randint(1, 5_000)
        moments.extend([t] * rng.choice((1, 1, 2, 3, 4, 6)))  # bursts share one second
    moments = moments[:sessions]
    rng.shuffle(moments)  # insertion order is not creation order
    rows = []
    for seq, created in enumerate(moments):
        status = STATUSES[seq] if seq < len(STATUSES) else rng.choices(STATUSES, weights=(3, 5, 2))[0]
        body = _session(rng, seed, seq, created, status)
        rows.append(Row(seq, body["id"], created, status, body))
    rows.sort(key=lambda r: (-r.created, r.seq))
    return rows


# -- the API ----------------------------------------------------------------------------------
class Refusal(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.param = status, kind, message, param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.kind}
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def _challenge(message: str) -> Refusal:
    return Refusal(401, "authentication_failure", message,
                   headers={"WWW-Authenticate": 'Basic realm="variant-checkout", charset="UTF-8"'})


class Api:
    def __init__(self, rows: list[Row], api_key: str, versions: tuple[str, ...] = SUPPORTED_VERSIONS,
                 lenient: bool = False, faults: frozenset[str] = frozenset()) -> None:
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"the variant cannot inject {sorted(unknown)}")
        self.faults = faults
        self.rows = rows
        self.api_key = api_key
        self.versions = versions
        # Lenient: every "may go either way" of the catalog taken the generous way.
        self.lenient = lenient
        self._secret = _token(0, "cursor-check", api_key, length=8)
        # Requests and churn (another thread) take turns: a page is read from one state.
        self.lock = threading.Lock()
        self._reindex()

    def _reindex(self) -> None:
        self._index_by_id = {r.id: i for i, r in enumerate(self.rows)}
        self._index_by_seq = {r.seq: i for i, r in enumerate(self.rows)}

    def add_session(self, rng: random.Random, seed: int, now: int) -> None:
        """A new open session at the head: the newest second (sometimes) or now, after its second's others."""
        with self.lock:
            newest = self.rows[0].created if self.rows else now
            created = newest if rng.random() < 0.5 else max(newest, now)
            seq = max((r.seq for r in self.rows), default=-1) + 1
            body = _session(rng, seed, seq, created, "open")
            self.rows.append(Row(seq, body["id"], created, "open", body))
            self.rows.sort(key=lambda r: (-r.created, r.seq))
            self._reindex()

    def expire_one(self, rng: random.Random) -> None:
        with self.lock:
            open_rows = [i for i, r in enumerate(self.rows) if r.status == "open"]
            if not open_rows:
                return
            index = rng.choice(open_rows)
            row = self.rows[index]
            body = {**row.body, "status": "expired", "url": None, "client_secret": None}
            self.rows[index] = Row(row.seq, row.id, row.created, "expired", body)

    # cursors: "<tag>.<seq>.<check>" in url-safe base64, padding dropped
    def cursor_for(self, row: Row) -> str:
        check = zlib.crc32(f"{self._secret}:{row.seq}:{row.id}".encode()) & 0xFFFF
        raw = f"{_TOKEN_TAG}.{row.seq}.{check:04x}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _from_token(self, value: str) -> int | None:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
        except (binascii.Error, ValueError, UnicodeError):
            return None
        tag, _, rest = raw.partition(".")
        seq_text, _, _check = rest.partition(".")  # verified below by re-encoding
        if tag != _TOKEN_TAG or not seq_text.isdigit() or not seq_text.isascii():
            return None
        index = self._index_by_seq.get(int(seq_text))
        if index is None or self.cursor_for(self.rows[index]) != value:
            return None
        return index

    def _locate(self, param: str, value: str) -> int:
        index = self._index_by_id.get(value)
        if index is None:
            index = self._from_token(value)
        if index is None:
            raise Refusal(404, "not_found", f"The `{param}` cursor does not refer to any checkout session "
                                            "in this account.", param)
        return index

    def authenticate(self, header: str | None) -> None:
        if header is None and "auth-skipped-without-header" in self.faults:
            return
        if header is None:
            raise _challenge("Authentication required: send your secret key as the Basic username.")
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            raise _challenge("This endpoint only accepts HTTP Basic credentials, not bearer tokens.")
        if scheme.lower() != "basic" or not credentials.strip():
            raise Refusal(400, "malformed_credentials", "The Authorization header could not be understood.")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeError):
            raise Refusal(400, "malformed_credentials",
                          "The Basic credentials are not valid base64 text.") from None
        username, colon, password = decoded.partition(":")
        if not colon:
            raise Refusal(400, "malformed_credentials", "The Basic credentials lack the `user:password` form.")
        if self.lenient and not username:
            username = password  # the key accepted in the password position too (AUTH-004 is a SHOULD)
        if "auth-any-key" in self.faults and username:
            return
        if not username or not secrets.compare_digest(username.encode(), self.api_key.encode()):
            raise _challenge("The secret key was not recognised.")

    @staticmethod
    def _lenient_body(row: Row) -> dict[str, Any]:
        # Metadata values that are not strings: the page documents only `{}`.
        return {**row.body, "metadata": {"attempt": 2, "tags": ["gift"]}}

    def check_version(self, values: list[str]) -> None:
        for value in values:
            if value not in self.versions:
                raise Refusal(400, "unsupported_version",
                              f"This API answers versions {', '.join(self.versions)} only.")

    def list(self, query: list[tuple[str, str]]) -> dict[str, Any]:
        params: dict[str, str] = {}
        for name, value in query:
            params.setdefault(name, value)  # the first copy of a repeated name counts; unknown names ignored

        limit = 25 if "limit-default-25" in self.faults else DEFAULT_LIMIT
        if "limit" in params:
            raw = params["limit"]
            capped = "limit-capped-at-max" in self.faults and raw.isdigit() and int(raw) > MAX_LIMIT
            if not capped and (not _DIGITS.fullmatch(raw) or not MIN_LIMIT <= int(raw) <= MAX_LIMIT):
                raise Refusal(400, "bad_parameter", "`limit` takes a whole number from 1 to 100.", "limit")
            limit = MAX_LIMIT if capped else int(raw)
        status = params.get("status")
        if self.lenient and status is not None:
            # `status=` read as no filter, and case-insensitive matching: both legal readings.
            status = status.strip().lower() or None
        if status is not None and status not in STATUSES and "status-unknown-empty" not in self.faults:
            raise Refusal(400, "bad_parameter", f"`status` takes one of: {', '.join(STATUSES)}.", "status")
        after, before = params.get("starting_after"), params.get("ending_before")
        if after is not None and before is not None:
            raise Refusal(400, "bad_parameter", "Pass `starting_after` or `ending_before`, never both.",
                          "ending_before")

        lost = "filter-ignored" in self.faults or (status == "complete" and "status-complete-unfiltered" in self.faults)

        def wanted(i: int) -> bool:
            return status is None or lost or self.rows[i].status == status

        inclusive = int("cursor-inclusive" in self.faults)  # how far the cursor row reaches into the page

        def more(chosen: list[int], rest: list[int]) -> bool:
            return len(chosen) == limit if "has-more-when-full" in self.faults else len(rest) > limit

        envelope: dict[str, Any] = {"object": "list", "url": LIST_PATH}
        body_of = self._lenient_body if self.lenient else (lambda row: row.body)
        if before is not None:
            edge = self._locate("ending_before", before)
            earlier = [i for i in range(edge + inclusive) if wanted(i)]
            chosen = earlier[-limit:]
            envelope["has_more"] = more(chosen, earlier)
            envelope["data"] = [body_of(self.rows[i]) for i in chosen]
            return envelope  # no next_cursor at all on a backward page
        if after is not None and "starting-after-inclusive" in self.faults:
            inclusive = 1
        start = self._locate("starting_after", after) + 1 - inclusive if after is not None else 0
        if after is not None and "created-only-forward" in self.faults:
            cursor_created = self.rows[start - 1].created
            while start < len(self.rows) and self.rows[start].created == cursor_created:
                start += 1  # `WHERE created < :cursor_created`: the cursor's second is gone
        later = [i for i in range(start, len(self.rows)) if wanted(i)]
        chosen = later[:limit]
        envelope["has_more"] = more(chosen, later)
        envelope["data"] = [body_of(self.rows[i]) for i in chosen]
        envelope["next_cursor"] = self.cursor_for(self.rows[chosen[-1]]) if envelope["has_more"] else None
        return envelope


# -- HTTP -------------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "variant-checkout/1"
    sys_version = ""
    timeout = 30
    api: Api  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None, close: bool = False) -> None:
        payload = json.dumps(body, ensure_ascii=True, separators=(", ", ": ")).encode("ascii")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own refusals (bad request line, huge headers) as JSON errors too.
        self._send(code, {"error": {"type": "protocol_error", "message": message or "Bad request."}}, close=True)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        try:
            if parts.path != LIST_PATH:
                raise Refusal(404, "not_found", "Nothing lives at this path.")
            self.api.authenticate(self.headers.get("Authorization"))
            self.api.check_version(self.headers.get_all("X-API-Version") or [])
            query = parse_qsl(parts.query, keep_blank_values=True, errors="replace")
            with self.api.lock:
                page = self.api.list(query)
            self._send(200, page)
        except Refusal as refusal:
            self._send(refusal.status, refusal.body(), refusal.headers)

    def _not_allowed(self) -> None:
        self._send(405, {"error": {"type": "method_not_allowed", "message": "Only GET is served here."}},
                   {"Allow": "GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _not_allowed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        # Without it, keep-alive answers wait ~40 ms for the client's delayed ACK.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address


def _churn(api: Api, seed: int, rate: float, expiry: float, stop: threading.Event) -> None:
    """``rate`` new sessions and ``expiry`` expiries per second, on schedule, until ``stop``."""
    rng = random.Random(f"variant-churn:{seed}")
    start = time.monotonic()
    made = expired = 0
    while not stop.wait(0.02):
        elapsed = time.monotonic() - start
        while made < int(elapsed * rate):
            api.add_session(rng, seed, int(time.time()))
            made += 1
        while expired < int(elapsed * expiry):
            api.expire_one(rng)
            expired += 1


@contextlib.contextmanager
def start_variant(sessions: int = 60, seed: int = 1, lenient: bool = False,
                  faults: frozenset[str] = frozenset(), churn: float = 0.0,
                  expiry: float = 0.0) -> Iterator[tuple[str, str, str]]:
    """Serve the variant on 127.0.0.1 (a free port); yields (base_url, api_key, api_version).

    ``churn`` sessions per second are created and ``expiry`` open sessions per second expire
    while it serves (a live account); 0 and 0 keep it quiet.
    """
    api_key = "sk_test_vx" + secrets.token_hex(12)
    api = Api(generate(sessions, seed), api_key, lenient=lenient, faults=faults)
    handler = type("VariantHandler", (_Handler,), {"api": api})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="variant-server", daemon=True)
    thread.start()
    stop = threading.Event()
    churner = threading.Thread(target=_churn, args=(api, seed, churn, expiry, stop), name="variant-churn",
                               daemon=True)
    if churn or expiry:
        churner.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", api_key, SUPPORTED_VERSIONS[0]
    finally:
        stop.set()
        if churner.is_alive():
            churner.join(timeout=5)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


if __name__ == "__main__":  # manual use: python tests/servers/variant.py
    with start_variant() as (url, key, version):
        print(f"{url}  key={key}  X-API-Version={version}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
