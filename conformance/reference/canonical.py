"""The canonical dataset: one fixed collection of sessions, in the order the API lists them.

`checkout-conformance serve --dataset canonical` serves it, and `checkout-conformance run
--expect-dataset canonical` checks that a target lists exactly it (DATA-001): the way to
certify a staging deployment loaded with known data.

It is built once from the reference generator plus hand-made edge cases, and committed as
``spec/fixtures/canonical.json``. The committed file is the source of truth at run time;
this module only (re)builds it:

    python -m conformance.reference.canonical            # rewrite the fixture
    python -m conformance.reference.canonical --check    # exit 1 if the fixture is stale

List order is the reference store's: ``created`` descending, then ``id`` descending by
code point (SQLite's BINARY collation over UTF-8), so ``cs_test_tie`` comes before
``cs_test_Tie``, and ``cs_test_TIE0`` before ``cs_test_TIE``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.reference.dataset import BASE_CREATED, generate_sessions
from conformance.resources import spec_dir

Session = dict[str, Any]

# Names a target can be asked to serve (`serve --dataset`) or expected to list (`run --expect-dataset`).
DATASETS: tuple[str, ...] = ("canonical",)

FORMAT_VERSION = 1
_SEED = 2025
_GENERATED = 217
_DESCRIPTION = (
    "Fixed checkout.session collection for known-dataset certification (DATA-001). "
    "Sessions are listed in API order: created descending, then id descending. "
    "Built by conformance/reference/canonical.py; do not edit by hand."
)
_ORDER = "created desc, id desc (code point order)"


def fixture_path(name: str = "canonical") -> Path:
    """Where the named dataset lives (spec/fixtures/NAME.json; inside a wheel, conformance/_spec/fixtures)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    return spec_dir() / "fixtures" / f"{name}.json"


def load_dataset(name: str = "canonical") -> list[Session]:
    """The named dataset's sessions, in list order (a fresh copy on every call)."""
    document = json.loads(fixture_path(name).read_text(encoding="utf-8"))
    sessions: list[Session] = document["sessions"]
    return sessions


def list_order(sessions: Sequence[Session]) -> list[Session]:
    """Sessions in the order the reference lists them: (created, id) descending."""
    return sorted(sessions, key=lambda s: (s["created"], s["id"]), reverse=True)


# -- building -----------------------------------------------------------------------------------
def _address(line1: str, city: str, country: str, postal_code: str | None,
             state: str | None = None, line2: str | None = None) -> dict[str, Any]:
    return {"city": city, "country": country, "line1": line1, "line2": line2,
            "postal_code": postal_code, "state": state}


def _totals(subtotal: int, discount: int = 0, shipping: int = 0, tax: int = 0,
            inclusive: bool = False) -> dict[str, Any]:
    total = subtotal - discount + shipping + (0 if inclusive else tax)
    return {"amount_subtotal": subtotal, "amount_total": total,
            "total_details": {"amount_discount": discount, "amount_shipping": shipping, "amount_tax": tax}}


def _edge_cases(template: Session, generated: list[Session]) -> list[Session]:
    """Hand-made sessions for the values where implementations go wrong.

    Each starts from a copy of ``template`` (so every documented key is present, in the
    generator's key order) and overrides what makes it an edge case.
    """
    newest = max(s["created"] for s in generated)
    # A second shared with generated sessions, in the middle of the collection.
    middle = sorted({s["created"] for s in generated})[len(generated) // 6]
    oldest = min(s["created"] for s in generated)

    def make(sid: str, created: int, **fields: Any) -> Session:
        session = copy.deepcopy(template)
        for key in session:
            if key not in ("id", "object", "livemode", "shipping_options", "metadata"):
                session[key] = None
        session.update(id=f"cs_test_{sid}", created=created, expires_at=created + 86400,
                       metadata={}, shipping_options=[], phone_number_collection=False)
        session.update(fields)
        return session

    def hosted_open(sid: str) -> dict[str, Any]:
        return {"status": "open", "ui_mode": "hosted",
                "url": f"https://checkout.leanrails.com/c/pay/cs_test_{sid}",
                "success_url": "https://shop.example.com/success?session_id={CHECKOUT_SESSION_ID}"}

    tie = newest + 60  # twelve sessions in one second, listed first: ids that differ by case and length
    cases = [
        make("TIE", tie, mode="payment", payment_status="unpaid", currency="usd", **hosted_open("TIE"),
             **_totals(1000)),
        make("TIE0", tie, mode="payment", status="expired", payment_status="unpaid", ui_mode="hosted",
             currency="usd", **_totals(1000)),
        make("TIEa", tie, mode="setup", status="expired", payment_status="no_payment_required",
             ui_mode="embedded", customer_creation="if_required"),
        make("Tie", tie, mode="subscription", status="complete", payment_status="paid", ui_mode="hosted",
             customer="cus_TieCustomer000", currency="eur", **_totals(1999, tax=380),
             customer_details={"email": "tie@example.com", "name": "Tie Breaker", "phone": None,
                               "address": _address("1 Tie Row", "Berlin", "DE", "10115")}),
        make("tie", tie, mode="payment", payment_status="unpaid", currency="usd", **hosted_open("tie"),
             **_totals(1)),
        make("tie0", tie, mode="payment", status="expired", payment_status="unpaid", currency="usd",
             **_totals(2)),
        make("tie_", tie, mode="payment", status="expired", payment_status="unpaid", currency="usd",
             **_totals(3)),
        make("tie_z", tie, mode="payment", status="expired", payment_status="unpaid", currency="gbp",
             **_totals(4)),
        make("tiez", tie, mode="setup", status="complete", payment_status="no_payment_required",
             ui_mode="custom", customer="cus_TieSetup000000", customer_creation="always",
             customer_details={"email": "setup@example.com", "name": None, "phone": None, "address": None}),
        make("TIEZ", tie, mode="payment", status="open", payment_status="unpaid", ui_mode="embedded",
             client_secret="cs_test_TIEZ_secret_abcdefghijklmnopqrstuvwx", currency="usd", **_totals(5)),
        make("T", tie, mode="payment", status="expired", payment_status="unpaid", currency="usd",
             **_totals(6)),
        make("t", tie, mode="payment", status="expired", payment_status="unpaid", currency="usd",
             **_totals(7)),
    ]
    cases += [
        # Zero amounts: a free order, paid; falsy values that must come back as 0, not null.
        make("edge_zero_amounts", newest, mode="payment", status="complete", payment_status="paid",
             ui_mode="hosted", customer_creation="if_required", currency="usd",
             customer_details={"email": "free@example.com", "name": "Zero Cost", "phone": None,
                               "address": _address("0 Nothing Ln", "Springfield", "US", "00000", "CA")},
             payment_intent="pi_zero000000000000000000", **_totals(0)),
        # Every optional field null, metadata null (allowed by the spec), expires one second after creation.
        make("edge_all_null", middle, mode="payment", status="expired", payment_status="unpaid",
             expires_at=middle + 1, metadata=None, shipping_options=None, phone_number_collection=None),
        # Setup mode: currency and every amount null.
        make("edge_setup_open", middle, mode="setup", status="open", payment_status="no_payment_required",
             ui_mode="embedded", customer_creation="always",
             client_secret="cs_test_edge_setup_open_secret_0123456789abcdef"),
        make("edge_setup_complete", middle, mode="setup", status="complete",
             payment_status="no_payment_required", ui_mode="hosted", customer="cus_SetupComplete00",
             success_url="https://shop.example.com/saved", customer_creation="always",
             customer_details={"email": "saver@example.com", "name": "Sam Saver", "phone": "+15550000000",
                               "address": _address("9 Vault St", "Toronto", "CA", "M5V 2T6", None)}),
        # Complete but unpaid: a delayed payment method (bank debit) still clearing.
        make("edge_complete_unpaid", middle, mode="payment", status="complete", payment_status="unpaid",
             ui_mode="hosted", customer="cus_DelayedDebit000", customer_creation="always", currency="eur",
             payment_intent="pi_delayed0000000000000000", **_totals(125000, discount=25000, tax=19000),
             customer_details={"email": "sepa@example.de", "name": "Jürgen Groß", "phone": None,
                               "address": _address("Hauptstraße 5", "München", "DE", "80331")}),
        # Metadata with several keys: unicode keys and values, an empty value, a 500-character value.
        make("edge_metadata", middle - 1, mode="payment", status="expired", payment_status="unpaid",
             ui_mode="hosted", currency="usd", **_totals(4200),
             metadata={"order_id": "ord_000042", "cart_items": "3", "channel": "web", "note": "",
                       "région": "Île-de-France", "emoji": "🛒✨", "long": "x" * 500,
                       "json_like": '{"a": [1, 2]}', "quote": 'say "hi"\\n'}),
        # Customer details with a null address; a null name and email would be legal too.
        make("edge_null_address", middle - 1, mode="subscription", status="complete", payment_status="paid",
             ui_mode="embedded", customer="cus_NoAddress00000", currency="usd", **_totals(900),
             customer_details={"email": "noaddress@example.com", "name": "No Address", "phone": None,
                               "address": None}),
        # Long strings: a 200-character client_reference_id, a long success URL and email.
        make("edge_long_strings", oldest, mode="payment", status="open", payment_status="unpaid",
             ui_mode="hosted", url="https://checkout.leanrails.com/c/pay/cs_test_edge_long_strings",
             success_url="https://shop.example.com/success?" + "&".join(f"p{i}=v{i:03d}" for i in range(120)),
             cancel_url="https://shop.example.com/cart#" + "c" * 300,
             customer_email="a" * 64 + "@" + "sub." * 40 + "example.com",
             client_reference_id="ref_" + "0123456789" * 19 + "abcdef", currency="usd", **_totals(100)),
        # Unicode names and addresses, on both customer and shipping details.
        make("edge_unicode", oldest, mode="payment", status="complete", payment_status="paid",
             ui_mode="hosted", customer="cus_Unicode0000000", customer_creation="always", currency="jpy",
             payment_intent="pi_unicode0000000000000000",
             shipping_address_collection={"allowed_countries": ["JP", "BR", "GR"]},
             shipping_options=[{"shipping_rate": "shr_express_unicode000", "shipping_amount": 1500},
                               {"shipping_rate": "shr_free_unicode0000000", "shipping_amount": 0}],
             shipping_details={"name": "山田 太郎",
                               "address": _address("千代田区丸の内1-1", "東京", "JP", "100-0005")},
             customer_details={"email": "zoë@example.com", "name": "Zoë Ångström-Núñez 🦄",
                               "phone": "+81312345678",
                               "address": _address("Rua São João, 42", "São Paulo", "BR", "01036-000",
                                                   "SP", "Ελένη Παπαδοπούλου c/o")},
             **_totals(12000, shipping=1500, tax=1350)),
        # Tax-inclusive total (the tax is inside the subtotal): either form conforms (OBJ-014).
        make("edge_tax_inclusive", oldest - 1, mode="payment", status="complete", payment_status="paid",
             ui_mode="custom", customer="cus_TaxInclusive000", currency="gbp",
             payment_intent="pi_taxinclusive00000000000",
             customer_details={"email": "vat@example.co.uk", "name": "Vera Vat", "phone": None,
                               "address": _address("10 Downing St", "London", "GB", "SW1A 2AA")},
             **_totals(1200, discount=100, tax=183, inclusive=True)),
        # Amounts beyond 32-bit integers.
        make("edge_big_amounts", oldest - 1, mode="payment", status="expired", payment_status="unpaid",
             ui_mode="hosted", currency="usd", client_reference_id="ref_big",
             **_totals(4_294_967_296, discount=1, tax=2_147_483_648)),
    ]
    return cases


def build_sessions() -> list[Session]:
    """The canonical sessions, in list order."""
    generated = generate_sessions(_GENERATED, _SEED)
    cases = _edge_cases(generated[0], generated)
    sessions = list_order([*generated, *cases])
    ids = [s["id"] for s in sessions]
    if len(set(ids)) != len(ids):  # pragma: no cover - a mistake in this file
        raise AssertionError("duplicate ids in the canonical dataset")
    return sessions


def build_document() -> dict[str, Any]:
    sessions = build_sessions()
    return {"name": "canonical", "format_version": FORMAT_VERSION, "description": _DESCRIPTION,
            "order": _ORDER, "base_created": BASE_CREATED, "count": len(sessions), "sessions": sessions}


def render(document: dict[str, Any]) -> str:
    """The fixture's text: header fields, then one session per line (small diffs, < 1 MB)."""
    header = {k: v for k, v in document.items() if k != "sessions"}
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items()]
    lines.append('  "sessions": [')
    sessions = document["sessions"]
    for index, session in enumerate(sessions):
        comma = "," if index < len(sessions) - 1 else ""
        lines.append("    " + json.dumps(session, ensure_ascii=False, separators=(",", ":")) + comma)
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.reference.canonical",
                                     description="Build spec/fixtures/canonical.json.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed fixture is stale")
    parser.add_argument("--output", type=Path, default=None, help="write here instead of the fixture path")
    args = parser.parse_args(argv)
    document = build_document()
    text = render(document)
    path: Path = args.output or fixture_path("canonical")
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            print(f"{path} is stale: run python -m conformance.reference.canonical", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}: {document['count']} sessions, {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
