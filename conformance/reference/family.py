"""The family of list operations the reference server serves (issue 24), and their data.

A :class:`Resource` is one list operation as the decisions (``decisions.py``) need it: its path,
the name of its items, the bounds of ``limit``, its declared query parameters and filters and
the version header. Each is *read from its OpenAPI operation* by ``conformance.operations`` (the
reader the suite itself uses), never written here: checkout sessions from spec/openapi.yaml,
customers and invoices from spec/family.yaml. The reference cannot drift from the documents it
is judged against.

Customers and invoices are generated from the server's seed, deterministically, beside the
sessions: ``FAMILY_SIZE`` of each, several sharing one ``created`` second (ties the order must
break on ``id``), a few customers sharing an email and two emails differing only by case (the
equality filter is exact and case-sensitive), every invoice ``status`` present and every
invoice's ``customer`` an existing customer, some customers holding enough invoices for a
filtered walk of several pages.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from conformance.operations import CHECKOUT_SESSIONS, ListOperation, read_operations
from conformance.reference.dataset import BASE_CREATED
from conformance.resources import family_path, read_yaml
from conformance.spec import default_spec

CUSTOMERS = "GET /v1/customers"
INVOICES = "GET /v1/invoices"
# Items of each generated resource: enough for walks of several pages at every page size the
# suite uses (1 to 100: 100 shows a one-page walk).
FAMILY_SIZE = 60
# Tables of the generated resources, by operation key (the sessions keep their own database).
_TABLES = {CUSTOMERS: "customers", INVOICES: "invoices"}


@dataclass(frozen=True)
class Resource:
    """One list operation of the reference, read from its OpenAPI operation.

    ``partition``: the enum query parameter (``status``), its ``values``; ``equality``: the
    string query parameters matched exactly against the item field of the same name (``email``,
    ``customer``); ``known_params``: every declared query parameter (anything else is an unknown
    parameter, refused with 400).
    """

    path: str
    noun: str
    default_limit: int
    min_limit: int
    max_limit: int
    known_params: tuple[str, ...]
    partition: str | None
    partition_values: tuple[str, ...]
    equality: tuple[str, ...]
    version_header: str

    @property
    def key(self) -> str:
        return f"GET {self.path}"

    @property
    def filters(self) -> tuple[str, ...]:
        """Every filter parameter: the partition first, then the equality filters."""
        return (*((self.partition,) if self.partition else ()), *self.equality)


def resource_of(operation: ListOperation) -> Resource:
    """The Resource of a list operation; ValueError when it lacks what the reference needs
    (a bounded integer ``limit`` with a default, an ``object`` enum, a version header)."""
    limit = (operation.query_parameter("limit") or {}).get("schema") or {}
    objects = (operation.item_schema.get("properties") or {}).get("object", {}).get("enum") or []
    headers = [p["name"] for p in operation.parameters if p.get("in") == "header"]
    if not {"default", "minimum", "maximum"} <= set(limit) or len(objects) != 1 or not headers:
        raise ValueError(f"{operation.key}: the reference needs limit bounds and a default, one `object` "
                         "value and a version header")
    partitions = [f for f in operation.filters if f.kind == "partition"]
    if len(partitions) > 1 or any(f.field != f.parameter for f in operation.filters):
        raise ValueError(f"{operation.key}: the reference serves one partition filter and filters named as "
                         "their fields")
    return Resource(
        path=operation.path, noun=str(objects[0]),
        default_limit=int(limit["default"]), min_limit=int(limit["minimum"]), max_limit=int(limit["maximum"]),
        known_params=tuple(str(p["name"]) for p in operation.parameters if p.get("in") == "query"),
        partition=partitions[0].parameter if partitions else None,
        partition_values=partitions[0].values if partitions else (),
        equality=tuple(f.parameter for f in operation.filters if f.kind == "equality"),
        version_header=str(headers[0]))


def _operation(document: Mapping[str, Any], key: str) -> ListOperation:
    operations, _ = read_operations(document)
    return next(o for o in operations if o.key == key)


# Checkout sessions from the document every run judges by default, so the default serve is
# read from exactly what it was read from before the family.
CHECKOUT: Resource = resource_of(_operation(default_spec().document, CHECKOUT_SESSIONS))


@cache
def family_resources() -> dict[str, Resource]:
    """Every operation the reference serves, by key, in spec/family.yaml's order."""
    _, document = read_yaml(family_path(), "OpenAPI document")
    operations, _ = read_operations(document)
    return {o.key: CHECKOUT if o.key == CHECKOUT_SESSIONS else resource_of(o) for o in operations}


def table_of(key: str) -> str:
    return _TABLES[key]


# -- data ----------------------------------------------------------------------------------------
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_FIRST = ("Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Edsger", "Frances")
_LAST = ("Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie")
_CURRENCIES = ("usd", "usd", "eur", "gbp", "jpy")
INVOICE_STATUSES = ("draft", "open", "paid", "void", "uncollectible")


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


def _seconds(rng: random.Random, count: int, start: int) -> list[int]:
    """``count`` creation times, newest first, most shared by 1-4 items (ties)."""
    times: list[int] = []
    second = start
    while len(times) < count:
        times += [second] * min(rng.choice((1, 1, 2, 3, 4)), count - len(times))
        second -= rng.randint(1, 400)
    return times


def generate_customers(seed: int, livemode: bool = False, count: int = FAMILY_SIZE) -> list[dict[str, Any]]:
    """``count`` customers of ``seed`` (any order). Five share one email and two more carry
    emails that differ only by case, so `email` filters to several items or to exactly one."""
    rng = random.Random(f"customers:{seed}")
    customers = []
    for index, created in enumerate(_seconds(rng, count, BASE_CREATED + 86_400)):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if index % 12 == 3:
            email = "shared@example.com"  # five customers: a filtered walk of several pages at limit 2
        elif index == 7:
            email = "Case@Example.com"
        elif index == 8:
            email = "case@example.com"
        else:
            email = f"{first.lower()}.{last.lower()}{index}@example.com"
        customers.append({"id": f"cus_{_token(rng, 14)}", "object": "customer", "created": created,
                          "email": email, "name": None if index % 5 == 2 else f"{first} {last}",
                          "livemode": livemode})
    return customers


def generate_invoices(customers: list[dict[str, Any]], seed: int, livemode: bool = False,
                      count: int = FAMILY_SIZE) -> list[dict[str, Any]]:
    """``count`` invoices of ``seed`` (any order), each of an existing customer: a third of
    them belong to one customer (a filtered walk of several pages), every status is present."""
    rng = random.Random(f"invoices:{seed}")
    ids = [c["id"] for c in customers]
    invoices = []
    for index, created in enumerate(_seconds(rng, count, BASE_CREATED + 2 * 86_400)):
        customer = ids[0] if index % 3 == 0 else rng.choice(ids)
        status = INVOICE_STATUSES[index % len(INVOICE_STATUSES)] if index < 10 else rng.choice(INVOICE_STATUSES)
        invoices.append({"id": f"in_{_token(rng, 14)}", "object": "invoice", "created": created,
                         "customer": customer, "status": status,
                         "amount_due": 0 if index % 9 == 4 else rng.randint(100, 250_000),
                         "currency": rng.choice(_CURRENCIES), "livemode": livemode})
    return invoices


def generate_family(seed: int, livemode: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The generated items of every resource but checkout sessions, by operation key."""
    customers = generate_customers(seed, livemode)
    return {CUSTOMERS: customers, INVOICES: generate_invoices(customers, seed, livemode)}
