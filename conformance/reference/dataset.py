"""Seeded, deterministic generator of realistic ``checkout.session`` objects.

The data is built to exercise list pagination where it breaks: most sessions
share their ``created`` second with 1-7 others, and ids are scrambled so that the
tie-break order (id descending) is unrelated to creation order.

Every documented key of the vendor page is present on every session (null where a
real session would lack the value) and every SHOULD of CONTRACT.md holds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from conformance.spec import default_spec

# Bumped whenever the generated data changes, so cached database files are rebuilt.
DATASET_VERSION = 1

# 2025-01-01T00:00:00Z: fixed so the data does not depend on the wall clock.
BASE_CREATED = 1_735_689_600

# The status enum is the spec's (the checks read the same document); _pick weighs three.
_OPEN, _COMPLETE, _EXPIRED = default_spec().enum_of("status")
STATUSES: tuple[str, str, str] = (_OPEN, _COMPLETE, _EXPIRED)

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Ids start with a scrambled, fixed-width encoding of the sequence number: unique by
# construction (no set of 1M ids needed) yet in no relation to creation order.
_SCRAMBLE_DIGITS = 7
_SCRAMBLE_MODULUS = 62**_SCRAMBLE_DIGITS
_SCRAMBLE_MULTIPLIER = 2_654_435_761  # odd, coprime with 62**7 (= 2**7 * 31**7)

_CURRENCIES = ("usd", "usd", "usd", "eur", "eur", "gbp", "cad", "aud", "jpy", "chf")
_COUNTRIES = ("US", "US", "US", "DE", "FR", "GB", "CA", "AU", "JP", "NL")
_CITIES = ("Springfield", "Berlin", "Paris", "London", "Toronto", "Sydney", "Osaka")
_STREETS = ("Main St", "High St", "Market St", "Elm Ave", "Park Rd", "Hauptstr.")
_FIRST = ("Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis")
_LAST = ("Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov")
_DOMAINS = ("example.com", "example.org", "example.net")
_TAX_RATES = (0.0, 0.0, 0.07, 0.0825, 0.19, 0.2)
_SHIPPING_RATES = (("shr_standard", 500), ("shr_express", 1500), ("shr_free", 0))


def _encode(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


# Random bytes mapped through a 256-entry table: about 10x faster than rng.choices,
# which matters at a million sessions; the slight bias towards some characters is harmless.
_BYTE_TO_CHAR = bytes(ord(_ALPHABET[i % 62]) for i in range(256))


def _token(rng: random.Random, length: int) -> str:
    return rng.randbytes(length).translate(_BYTE_TO_CHAR).decode("ascii")


def _pick(rng: random.Random, values: tuple[str, str, str], cumulative: tuple[float, float]) -> str:
    """Weighted choice among three values; cheaper than rng.choices(weights=...)."""
    roll = rng.random()
    return values[0] if roll < cumulative[0] else values[1] if roll < cumulative[1] else values[2]


def _session_id(index: int, offset: int, rng: random.Random, live: bool) -> str:
    scrambled = (index * _SCRAMBLE_MULTIPLIER + offset) % _SCRAMBLE_MODULUS
    mode = "live" if live else "test"
    return f"cs_{mode}_{_encode(scrambled, _SCRAMBLE_DIGITS)}{_token(rng, 17)}"


def _address(rng: random.Random) -> dict[str, Any]:
    country = rng.choice(_COUNTRIES)
    return {
        "city": rng.choice(_CITIES),
        "country": country,
        "line1": f"{rng.randint(1, 999)} {rng.choice(_STREETS)}",
        "line2": f"Apt {rng.randint(1, 40)}" if rng.random() < 0.2 else None,
        "postal_code": f"{rng.randint(10000, 99999)}",
        "state": "CA" if country == "US" else None,
    }


def _amounts(rng: random.Random, mode: str, shipping: int) -> dict[str, Any]:
    """Tax-exclusive totals: total = subtotal - discount + shipping + tax, all >= 0."""
    if mode == "setup":
        # Setup sessions collect a payment method without charging: Stripe leaves
        # currency and every amount null on them.
        return {"currency": None, "amount_subtotal": None, "amount_total": None,
                "total_details": None}
    currency = rng.choice(_CURRENCIES)
    subtotal = rng.randint(1, 5000) * (1 if currency == "jpy" else 100) + rng.randint(0, 99)
    discount = subtotal * rng.choice((0, 0, 0, 5, 10, 20)) // 100
    tax = round((subtotal - discount + shipping) * rng.choice(_TAX_RATES))
    return {
        "currency": currency,
        "amount_subtotal": subtotal,
        "amount_total": subtotal - discount + shipping + tax,
        "total_details": {"amount_discount": discount, "amount_shipping": shipping,
                          "amount_tax": tax},
    }


def _payment_status(rng: random.Random, mode: str, status: str) -> str:
    if mode == "setup":
        return "no_payment_required"
    if status == "complete":
        # Delayed payment methods (bank debits) complete a session before paying it.
        return "unpaid" if rng.random() < 0.06 else "paid"
    return "unpaid"


def _session(rng: random.Random, sid: str, created: int, live: bool) -> dict[str, Any]:
    status = _pick(rng, STATUSES, (0.3, 0.7))
    mode = _pick(rng, ("payment", "subscription", "setup"), (0.6, 0.9))
    ui_mode = _pick(rng, ("hosted", "embedded", "custom"), (0.7, 0.9))
    hosted = ui_mode == "hosted"
    complete = status == "complete"
    email_user = f"{rng.choice(_FIRST).lower()}.{rng.randint(1, 99999)}"
    email = f"{email_user}@{rng.choice(_DOMAINS)}"

    collects_shipping = mode != "setup" and rng.random() < 0.3
    options: list[dict[str, Any]] = []
    shipping_amount = 0
    if collects_shipping:
        options = [{"shipping_rate": f"{rate}_{_token(rng, 14)}", "shipping_amount": amount}
                   for rate, amount in _SHIPPING_RATES]
        # Only a completed session has a chosen rate; before that nothing is charged.
        shipping_amount = rng.choice(options)["shipping_amount"] if complete else 0

    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    has_customer = mode == "subscription" or complete or rng.random() < 0.2
    session: dict[str, Any] = {
        "id": sid,
        "object": "checkout.session",
        "mode": mode,
        "status": status,
        "payment_status": _payment_status(rng, mode, status),
        "ui_mode": ui_mode,
        # Subscriptions always create a customer, so Stripe reports no creation policy.
        "customer_creation": None if mode == "subscription"
        else rng.choice(("always", "if_required")),
        "billing_address_collection": rng.choice(("auto", "auto", "required")),
        "expires_at": created + rng.choice((1800, 3600, 86400, 86400, 86400)),
        "metadata": {"order_id": f"ord_{_token(rng, 10)}"} if rng.random() < 0.5 else {},
        "livemode": live,
        "created": created,
        # A payable URL exists only while the hosted page can still be used.
        "url": f"https://checkout.leanrails.com/c/pay/{sid}" if status == "open" and hosted
        else None,
        "client_secret": f"{sid}_secret_{_token(rng, 24)}"
        if status == "open" and not hosted else None,
        "success_url": "https://shop.example.com/success?session_id={CHECKOUT_SESSION_ID}"
        if hosted else None,
        "cancel_url": "https://shop.example.com/cart" if hosted and rng.random() < 0.8
        else None,
        "customer": f"cus_{_token(rng, 14)}" if has_customer else None,
        "customer_email": email if rng.random() < 0.4 else None,
        "customer_details": {
            "email": email,
            "name": name,
            "phone": f"+1555{rng.randint(1000000, 9999999)}" if rng.random() < 0.3 else None,
            "address": _address(rng),
        } if complete else None,
        "payment_intent": f"pi_{_token(rng, 24)}"
        if mode == "payment" and (complete or (status == "open" and rng.random() < 0.5))
        else None,
        "shipping_address_collection": {"allowed_countries": ["US", "CA", "GB", "DE"]}
        if collects_shipping else None,
        "shipping_options": options,
        "shipping_details": {"address": _address(rng), "name": name}
        if collects_shipping and complete else None,
        "phone_number_collection": rng.random() < 0.25,
        "client_reference_id": f"ref_{rng.randint(1, 10**9)}" if rng.random() < 0.3 else None,
    }
    session.update(_amounts(rng, mode, shipping_amount))
    return session


def iter_sessions(count: int, seed: int, livemode: bool = False) -> Iterator[dict[str, Any]]:
    """Yield ``count`` sessions in creation order (oldest first), lazily.

    The same (count, seed, livemode) always yields the same sessions, and a shorter
    count yields a prefix of a longer one.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(f"checkout-conformance:{seed}")
    offset = rng.randrange(_SCRAMBLE_MODULUS)
    created = BASE_CREATED
    left_in_second = 0
    for index in range(count):
        if left_in_second == 0:
            # A new second holding 1-8 sessions; gaps vary so seconds are not periodic.
            created += rng.randint(1, 90)
            left_in_second = rng.randint(1, 8)
        left_in_second -= 1
        yield _session(rng, _session_id(index, offset, rng, livemode), created, livemode)


def generate_sessions(count: int, seed: int, livemode: bool = False) -> list[dict[str, Any]]:
    """All ``count`` sessions of :func:`iter_sessions` as a list (oldest first)."""
    return list(iter_sessions(count, seed, livemode))
