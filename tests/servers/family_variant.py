"""A two-resource Stripe-style API, written apart from the reference, for proving family judging.

It serves ``GET /v2/products`` and ``GET /v2/refunds`` (described by ``family_variant.yaml``
beside this file), written from shared/CONTRACT.md and that document alone: nothing from
``conformance`` is imported. It takes the legal choices its own way, away from the reference's:

* a WSGI application on ``wsgiref`` (threads per request, one request per connection);
* order: ``created`` descending, ties broken by ``id`` *ascending* (the reference: descending);
* ``limit``: default 10, maximum 50 on products and 250 on refunds (the document says so);
* products: ``next_cursor`` is an opaque token, url-safe base64 of a JSON position
  (``{"at": [created, row number]}``), which ``starting_after`` and ``ending_before`` also take;
  it is left out of ``ending_before`` pages. Refunds never carry ``next_cursor``;
* products ignore unknown query parameters; refunds refuse them with 400;
* an unknown cursor: 400 on products, 404 on refunds;
* a cursor naming an item the filter excludes: products continue from its place in the
  unfiltered order; refunds refuse it with 400;
* an empty ``supplier=`` reads as no filter, an empty ``charge=`` is refused with 400 (both
  legal); an empty ``type=`` / ``status=`` is refused (it is outside the enum);
* a repeated parameter: the *last* copy counts, for validation and query alike;
* ``Authorization: Basic`` with the key as username, ``Bearer <key>`` too (a MAY); any malformed
  header is a 401 with a lowercase ``basic`` challenge; error ``type`` strings in upper case;
  ``Content-Type: Application/JSON`` (media types are case-insensitive);
* its own version string; an unknown ``X-API-Version`` is a 400.

Faults (``FAULTS``), each injected into one operation only, by ``NAME@/v2/products`` or
``NAME@/v2/refunds``: ``start_family_variant(faults=...)`` or ``--fault`` on the command line
(``python -m tests.servers.family_variant --fault skip-row@/v2/refunds``). ``REFUND_FAULTS``
break a refund's own field against the document's item schema, on ``/v2/refunds`` only.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hmac
import json
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

API_VERSION = "2026-08-15.famvariant"
PRODUCTS, REFUNDS = "/v2/products", "/v2/refunds"
FAULTS = {
    "skip-row": "a `starting_after` page begins one item too late: the item right after the cursor is lost",
    "filter-ignored": "every filter is validated, then never applied",
    "limit-off-by-one": "a page holds `limit + 1` items when that many remain",
    "cursor-inclusive": "the cursor's own item opens the page (`>=` where `>` was meant), both directions",
}
# One refund (the sixth in list order) served with a value its schema forbids, on /v2/refunds only.
REFUND_FAULTS = {
    "amount-below-minimum": "one refund's `amount` is -1, below the document's `minimum: 0`",
    "currency-uppercase": "one refund's `currency` is `USD`, outside the document's `pattern: ^[a-z]{3}$`",
}
_REFUND_BREAKS = {"amount-below-minimum": ("amount", -1), "currency-uppercase": ("currency", "USD")}
Start = Callable[[str, list[tuple[str, str]]], Any]


class Refused(Exception):
    """An error answer: status, error type (upper case, this API's style), message, param."""

    def __init__(self, status: int, kind: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.param = status, kind, message, param


# -- one resource ------------------------------------------------------------------------------
@dataclass
class Resource:
    """A list resource: its rows in list order, its filters and its own legal choices."""

    path: str
    rows: list[dict[str, Any]]
    max_limit: int
    partition: tuple[str, tuple[str, ...]]  # (parameter = item field, values)
    equality: tuple[str, str]  # (parameter, item field)
    unknown_cursor_status: int
    refuse_unknown_params: bool
    refuse_excluded_cursor: bool
    issues_tokens: bool
    refuse_empty_equality: bool
    faults: frozenset[str] = frozenset()
    numbers: dict[str, int] = field(default_factory=dict)  # id -> row number in list order

    def __post_init__(self) -> None:
        self.rows.sort(key=lambda r: (-r["created"], r["id"]))
        self.numbers = {r["id"]: n for n, r in enumerate(self.rows)}

    @property
    def known(self) -> set[str]:
        return {"limit", "starting_after", "ending_before", self.partition[0], self.equality[0]}

    def token(self, number: int) -> str:
        position = {"at": [self.rows[number]["created"], number]}
        return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")

    def _number(self, param: str, value: str) -> int:
        """The row number a cursor names: an id, or (products) a token this API issued."""
        if value in self.numbers:
            return self.numbers[value]
        if self.issues_tokens:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
                created, number = decoded["at"]
                if (type(number) is int and 0 <= number < len(self.rows)
                        and self.rows[number]["created"] == created):
                    return number
            except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
                pass
        kind = "RESOURCE_MISSING" if self.unknown_cursor_status == 404 else "INVALID_CURSOR"
        raise Refused(self.unknown_cursor_status, kind, f"No item matches `{param}`.", param)

    def page(self, query: list[tuple[str, str]]) -> dict[str, Any]:
        params = dict(query)  # the last copy of a repeated name counts
        unknown = sorted(set(params) - self.known)
        if self.refuse_unknown_params and unknown:
            raise Refused(400, "UNKNOWN_PARAMETER", f"`{unknown[0]}` is not a parameter of {self.path}.", unknown[0])
        limit = 10
        if "limit" in params:
            raw = params["limit"]
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= self.max_limit):
                raise Refused(400, "INVALID_PARAMETER", f"`limit` must be a whole number from 1 to {self.max_limit}.",
                              "limit")
            limit = int(raw)
        part_name, part_values = self.partition
        part = params.get(part_name)
        if part is not None and part not in part_values:
            raise Refused(400, "INVALID_PARAMETER", f"`{part_name}` must be one of {', '.join(part_values)}.",
                          part_name)
        eq_name, eq_field = self.equality
        eq = params.get(eq_name)
        if eq == "" and self.refuse_empty_equality:
            raise Refused(400, "INVALID_PARAMETER", f"`{eq_name}` cannot be empty.", eq_name)
        eq = eq or None  # empty: no filter
        after, before = params.get("starting_after"), params.get("ending_before")
        if after is not None and before is not None:
            raise Refused(400, "INVALID_PARAMETER", "`starting_after` and `ending_before` exclude each other.",
                          "ending_before")

        def kept(row: dict[str, Any]) -> bool:
            if "filter-ignored" in self.faults:
                return True
            return (part is None or row[part_name] == part) and (eq is None or row[eq_field] == eq)

        cursor_param, cursor = ("ending_before", before) if before is not None else ("starting_after", after)
        number = self._number(cursor_param, cursor) if cursor is not None else None
        if number is not None and self.refuse_excluded_cursor and not kept(self.rows[number]):
            raise Refused(400, "INVALID_CURSOR", f"`{cursor_param}` names an item outside this filter.",
                          cursor_param)
        size = limit + 1 if "limit-off-by-one" in self.faults else limit
        reach = 1 if "cursor-inclusive" in self.faults else 0
        body: dict[str, Any] = {"object": "list", "url": self.path}
        if before is not None and number is not None:
            candidates = [n for n in range(0, min(number + reach, len(self.rows))) if kept(self.rows[n])]
            chosen = candidates[-size:]
            body["has_more"] = len(candidates) > len(chosen)
            body["data"] = [self.rows[n] for n in chosen]
            return body
        start = 0 if number is None else number + 1 - reach
        if number is not None and "skip-row" in self.faults:
            start += 1
        candidates = [n for n in range(start, len(self.rows)) if kept(self.rows[n])]
        chosen = candidates[:size]
        body["has_more"] = len(candidates) > len(chosen)
        body["data"] = [self.rows[n] for n in chosen]
        if self.issues_tokens:
            body["next_cursor"] = self.token(chosen[-1]) if body["has_more"] else None
        return body


# -- data ------------------------------------------------------------------------------------
def _code(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(length))


def _moments(rng: random.Random, count: int) -> list[int]:
    """``count`` creation times, many shared by several items (bursts in one second)."""
    moments: list[int] = []
    t = 1_770_000_000 + rng.randrange(100_000)
    while len(moments) < count:
        t += rng.randint(1, 3_000)
        moments += [t] * rng.choice((1, 2, 3, 5))
    rng.shuffle(moments)
    return moments[:count]


def make_products(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"famvariant-products:{seed}")
    suppliers = ["sup_" + _code(rng, 10) for _ in range(5)]
    rows = []
    for i, created in enumerate(_moments(rng, count)):
        kind = ("good", "service")[i] if i < 2 else rng.choice(("good", "good", "service"))
        rows.append({
            "id": "prod_" + _code(rng, 14), "object": "product", "created": created,
            "name": f"{rng.choice(('Walnut', 'Copper', 'Linen', 'Slate'))} {rng.choice(('Lamp', 'Desk', 'Plan'))}",
            "type": kind, "supplier_id": suppliers[i % len(suppliers)] if i < len(suppliers) else rng.choice(suppliers),
            "active": rng.random() < 0.8, "description": rng.choice((None, "Made to order.")),
            "metadata": rng.choice(({}, {"sku": f"FV-{i:04d}"})), "livemode": False,
        })
    return rows


def make_refunds(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"famvariant-refunds:{seed}")
    charges = ["ch_" + _code(rng, 18) for _ in range(max(3, count // 4))]
    statuses = ("pending", "succeeded", "failed")
    rows = []
    for i, created in enumerate(_moments(rng, count)):
        status = statuses[i] if i < 3 else rng.choices(statuses, weights=(2, 6, 1))[0]
        rows.append({
            "id": "re_" + _code(rng, 18), "object": "refund", "created": created,
            "amount": rng.randrange(100, 20_000), "currency": rng.choice(("usd", "eur", "jpy")),
            "charge": charges[i] if i < len(charges) else rng.choice(charges), "status": status,
            "reason": rng.choice((None, "duplicate", "requested_by_customer")), "livemode": False,
        })
    return rows


def _broken(rows: list[dict[str, Any]], faults: Iterable[str]) -> list[dict[str, Any]]:
    """``rows`` with the sixth one's field broken by each of ``faults`` that is a refund fault."""
    for name in faults:
        if name in _REFUND_BREAKS and len(rows) > 5:
            key, value = _REFUND_BREAKS[name]
            rows[5] = {**rows[5], key: value}
    return rows


def parse_faults(specs: Iterable[str]) -> dict[str, frozenset[str]]:
    """``["skip-row@/v2/refunds", ...]`` -> ``{path: faults}``; ValueError on an unknown name or path."""
    out: dict[str, set[str]] = {PRODUCTS: set(), REFUNDS: set()}
    for spec in specs:
        name, _, path = spec.partition("@")
        if not (name in FAULTS or (name in REFUND_FAULTS and path == REFUNDS)) or path not in out:
            raise ValueError(f"unknown fault {spec!r}: use NAME@PATH, NAME in {sorted(FAULTS)}, "
                             f"PATH in {sorted(out)}, or NAME@{REFUNDS}, NAME in {sorted(REFUND_FAULTS)}")
        out[path].add(name)
    return {path: frozenset(names) for path, names in out.items()}


# -- HTTP --------------------------------------------------------------------------------------
class FamilyApp:
    """The WSGI application: auth, version, then the resource at the path."""

    def __init__(self, api_key: str, products: int = 70, refunds: int = 80, seed: int = 1,
                 faults: Iterable[str] = ()) -> None:
        by_path = parse_faults(faults)
        self.api_key = api_key
        self.resources = {
            PRODUCTS: Resource(PRODUCTS, make_products(products, seed), max_limit=50,
                               partition=("type", ("good", "service")), equality=("supplier", "supplier_id"),
                               unknown_cursor_status=400, refuse_unknown_params=False,
                               refuse_excluded_cursor=False, issues_tokens=True, refuse_empty_equality=False,
                               faults=by_path[PRODUCTS]),
            REFUNDS: Resource(REFUNDS, _broken(make_refunds(refunds, seed), by_path[REFUNDS]), max_limit=250,
                              partition=("status", ("pending", "succeeded", "failed")), equality=("charge", "charge"),
                              unknown_cursor_status=404, refuse_unknown_params=True,
                              refuse_excluded_cursor=True, issues_tokens=False, refuse_empty_equality=True,
                              faults=by_path[REFUNDS]),
        }

    def _authorised(self, header: str | None) -> bool:
        scheme, _, value = (header or "").strip().partition(" ")
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":
            try:
                key, colon, _password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, ValueError):
                return False
            if not colon:
                return False
        else:
            return False
        return bool(key) and hmac.compare_digest(key.encode(), self.api_key.encode())

    def __call__(self, environ: dict[str, Any], start_response: Start) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        try:
            if environ["REQUEST_METHOD"] != "GET":
                raise Refused(405, "METHOD_NOT_ALLOWED", "This API serves GET only.")
            if not self._authorised(environ.get("HTTP_AUTHORIZATION")):
                raise Refused(401, "AUTHENTICATION_REQUIRED", "Send your secret key as the Basic username.")
            version = environ.get("HTTP_X_API_VERSION")
            if version is not None and version != API_VERSION:
                raise Refused(400, "UNSUPPORTED_VERSION", f"Only version {API_VERSION} is served.")
            if path.startswith(PRODUCTS + "/") and path.count("/") == 3:
                product = self.resources[PRODUCTS].numbers.get(path.rsplit("/", 1)[1])
                if product is None:
                    raise Refused(404, "RESOURCE_MISSING", "No such product.")
                return self._answer(start_response, 200, self.resources[PRODUCTS].rows[product])
            resource = self.resources.get(path)
            if resource is None:
                raise Refused(404, "RESOURCE_MISSING", "Nothing is served at this path.")
            raw = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8", "replace")
            return self._answer(start_response, 200, resource.page(parse_qsl(raw, keep_blank_values=True)))
        except Refused as refused:
            error = {"type": refused.kind, "message": refused.message}
            if refused.param:
                error["param"] = refused.param
            return self._answer(start_response, refused.status, {"error": error},
                                refused.status == 401, refused.status == 405)

    @staticmethod
    def _answer(start_response: Start, status: int, body: Any, challenge: bool = False,
                get_only: bool = False) -> list[bytes]:
        payload = json.dumps(body, sort_keys=True).encode()
        headers = [("Content-Type", "Application/JSON"), ("Content-Length", str(len(payload)))]
        if challenge:
            headers.append(("WWW-Authenticate", 'basic realm="famvariant"'))
        if get_only:
            headers.append(("Allow", "GET"))
        reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
        start_response(f"{status} {reasons[status]}", headers)
        return [payload]


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The standard library's own refusals (a bad request line) as this API's error object.
        payload = json.dumps({"error": {"type": "BAD_REQUEST", "message": message or "Bad request."}}).encode()
        self.send_response(code, message)
        self.send_header("Content-Type", "Application/JSON")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(payload)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def start_family_variant(products: int = 70, refunds: int = 80, seed: int = 1,
                         faults: Iterable[str] = ()) -> Iterator[tuple[str, str, str]]:
    """Serve the family on 127.0.0.1 (a free port); yields (base_url, api_key, api_version)."""
    api_key = "sk_test_fv" + secrets.token_hex(10)
    server = make_server("127.0.0.1", 0, FamilyApp(api_key, products, refunds, seed, faults),
                         server_class=_Server, handler_class=_Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="family-variant", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", api_key, API_VERSION
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", default=[], help="NAME@PATH, e.g. skip-row@/v2/refunds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        parse_faults(args.fault)
    except ValueError as error:
        parser.error(str(error))
    with start_family_variant(seed=args.seed, faults=args.fault) as (url, key, version):
        print(f"{url}  key={key}  X-API-Version={version}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
