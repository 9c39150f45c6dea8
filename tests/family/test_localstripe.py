"""localstripe (PyPI) as a third-party target, and tests/servers/localstripe.yaml describing it.

The document is read as four list operations with the filters localstripe's code takes; the
seeded localstripe answers items the document's schemas accept and walks forward whole; and each
departure from the list contract the suite is expected to find there is shown over HTTP here,
with the line of localstripe's source that causes it, so that what the README records about
localstripe rests on evidence independent of the suite's own checks.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from conformance.operations import Filter, read_operations
from tests.servers.localstripe_target import EMAILS, start_localstripe

DOCUMENT = Path(__file__).parent.parent / "servers" / "localstripe.yaml"
LISTS = ("/v1/customers", "/v1/charges", "/v1/invoices", "/v1/payment_intents")
ITEM_SCHEMA = {"/v1/customers": "Customer", "/v1/charges": "Charge", "/v1/invoices": "Invoice",
               "/v1/payment_intents": "PaymentIntent"}
Target = tuple[str, str]


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text())
    return loaded


@pytest.fixture(scope="module")
def localstripe() -> Iterator[Target]:
    with start_localstripe() as target:
        yield target


def _get(target: Target, path: str, params: Any = None, auth: Any = "key", **kwargs: Any) -> requests.Response:
    return requests.get(target[0] + path, params=params, timeout=10,
                        auth=(target[1], "") if auth == "key" else auth, **kwargs)


def _page(target: Target, path: str, **params: Any) -> dict[str, Any]:
    response = _get(target, path, params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _walk(target: Target, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    for _ in range(300):
        body = _page(target, path, limit=limit, **params, **cursor)
        items += body["data"]
        if not body["has_more"]:
            return items
        cursor = {"starting_after": body["data"][-1]["id"]}
    raise AssertionError("the walk does not end")


# -- the document ---------------------------------------------------------------------------------
def test_the_document_is_valid_and_reads_as_four_list_operations() -> None:
    document = _document()
    validate(document)
    operations, left = read_operations(document)
    assert [o.key for o in operations] == [f"GET {p}" for p in LISTS]
    by_path = {o.path: o for o in operations}
    assert all(o.cursors == ("starting_after",) for o in operations)
    assert by_path["/v1/customers"].filters == (Filter("email", "email", "equality"),)
    assert by_path["/v1/charges"].filters == (Filter("customer", "customer", "equality"),)
    assert by_path["/v1/charges"].unjudged == ("created",)
    assert by_path["/v1/invoices"].filters == (Filter("customer", "customer", "equality"),
                                               Filter("subscription", "subscription", "equality"))
    assert by_path["/v1/payment_intents"].filters == ()
    assert [o.key for o in left] == ["POST /v1/invoices", "GET /v1/payment_intents/{id}"]


# -- the seeded target matches the document ------------------------------------------------------------
@pytest.mark.parametrize("path", LISTS)
def test_items_match_the_document_and_walks_cover_everything(localstripe: Target, path: str) -> None:
    document = _document()
    validator = Draft202012Validator({"$ref": f"#/components/schemas/{ITEM_SCHEMA[path]}",
                                      "components": document["components"]})
    whole = _page(localstripe, path, limit=100)
    assert whole["object"] == "list" and whole["url"] == path and whole["has_more"] is False
    assert whole["total_count"] == len(whole["data"]) >= 15, "the seed gives every list several pages"
    for item in whole["data"]:
        validator.validate(item)
    ids = [i["id"] for i in whole["data"]]
    for limit in (1, 7):
        assert [i["id"] for i in _walk(localstripe, path, limit)] == ids


def test_the_filters_select_what_the_document_says(localstripe: Target) -> None:
    customers = _page(localstripe, "/v1/customers", limit=100)["data"]
    assert {c["email"] for c in customers} == set(EMAILS)
    for email in EMAILS:
        assert _walk(localstripe, "/v1/customers", 2, email=email) == [c for c in customers if c["email"] == email]
    for path in ("/v1/charges", "/v1/invoices"):
        items = _page(localstripe, path, limit=100)["data"]
        owner = next(i["customer"] for i in items if i["customer"])
        assert [i["id"] for i in _walk(localstripe, path, 1, customer=owner)] == [
            i["id"] for i in items if i["customer"] == owner]


# -- what the list contract will find, shown over HTTP with its cause in localstripe's source ----------
def test_any_sk_key_is_accepted(localstripe: Target) -> None:
    """server.py get_api_key: any key starting with `sk_` and longer than 5 characters is accepted."""
    assert _get(localstripe, "/v1/customers", auth=("sk_test_nobody_issued_this", "")).status_code == 200
    assert _get(localstripe, "/v1/customers", auth=None).status_code == 401


@pytest.mark.parametrize("header", ["Basic !!!not-base64!!!", "Token abc123"])
def test_a_malformed_authorization_header_is_a_500(localstripe: Target, header: str) -> None:
    """get_api_key: b64decode raises on bad base64; a scheme other than Basic/Bearer leaves
    `api_key` unbound; neither is a UserError, so aiohttp answers 500."""
    assert _get(localstripe, "/v1/customers", auth=None, headers={"Authorization": header}).status_code == 500


def test_limit_has_no_maximum(localstripe: Target) -> None:
    """resources.py List.__init__ checks `limit > 0` only."""
    assert _get(localstripe, "/v1/customers", {"limit": "101"}).status_code == 200
    assert _get(localstripe, "/v1/customers", {"limit": "0"}).status_code == 400


def test_an_unknown_cursor_restarts_the_list(localstripe: Target) -> None:
    """List._compute_starting_pos: a starting_after found nowhere leaves the position at 0."""
    first = _page(localstripe, "/v1/payment_intents", limit=3)["data"]
    assert _page(localstripe, "/v1/payment_intents", limit=3, starting_after="pi_nobody")["data"] == first


def test_a_cursor_outside_the_filter_restarts_the_filtered_list(localstripe: Target) -> None:
    """The position is looked up in the already-filtered list: a customer of another email is not
    there, so the filtered walk starts again from its first customer (repeats, a MUST broken)."""
    customers = _page(localstripe, "/v1/customers", limit=100)["data"]
    ada = [c["id"] for c in customers if c["email"] == EMAILS[0]]
    other = next(c["id"] for c in customers if c["email"] != EMAILS[0])
    page = _page(localstripe, "/v1/customers", limit=2, email=EMAILS[0], starting_after=other)
    assert [c["id"] for c in page["data"]] == ada[:2]


@pytest.mark.parametrize(("path", "status"), [("/v1/customers", 400), ("/v1/payment_intents", 400),
                                              ("/v1/charges", 500), ("/v1/invoices", 500)])
def test_unknown_parameters(localstripe: Target, path: str, status: int) -> None:
    """StripeObject._api_list_all refuses unknown names (400); Charge's and Invoice's own
    _api_list_all take no **kwargs, so Python's TypeError becomes a 500."""
    assert _get(localstripe, path, {"conformance_probe": "1"}).status_code == status


def test_oldest_first_and_no_version_check(localstripe: Target) -> None:
    """Lists keep the store's insertion order (oldest first), invoices excepted (sorted by
    `date` descending); no header names an API version, so any value is ignored."""
    customers = _page(localstripe, "/v1/customers", limit=100)["data"]
    names = [c["name"] for c in customers]
    assert names == [f"Customer {n}" for n in range(len(names))]
    assert _get(localstripe, "/v1/customers", headers={"X-API-Version": "1999-01-01"}).status_code == 200
    basic = base64.b64encode(f"{localstripe[1]}:".encode()).decode()
    assert _get(localstripe, "/v1/customers", auth=None, headers={"Authorization": f"Basic {basic}"}).ok
