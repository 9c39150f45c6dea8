"""The independent family variant (tests/servers/family_variant.py) and its document.

The document is read by conformance.operations as it was written to be read; the server walks
correctly, judged here by an oracle of this file's own (the generated rows sorted by the order
the document's author chose: ``created`` descending, ``id`` ascending), not by the server's
paging code; and each injected fault breaks its own operation only.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from conformance.operations import Filter, read_operations
from tests.servers.family_variant import (
    API_VERSION,
    FAULTS,
    PRODUCTS,
    REFUNDS,
    make_products,
    make_refunds,
    parse_faults,
    start_family_variant,
)

SERVERS = Path(__file__).parent.parent / "servers"
DOCUMENT = SERVERS / "family_variant.yaml"
SOURCE = SERVERS / "family_variant.py"
SIZES = {PRODUCTS: 70, REFUNDS: 80}
MAX_LIMIT = {PRODUCTS: 50, REFUNDS: 250}
# parameter -> item field, per operation, as the document's author meant them
PARTITION = {PRODUCTS: ("type", "type", ("good", "service")),
             REFUNDS: ("status", "status", ("pending", "succeeded", "failed"))}
EQUALITY = {PRODUCTS: ("supplier", "supplier_id"), REFUNDS: ("charge", "charge")}
Target = tuple[str, str, str]


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text())
    return loaded


def _oracle(path: str) -> list[dict[str, Any]]:
    """Every item of ``path`` in the order the document promises, from the data alone."""
    rows = make_products(SIZES[PRODUCTS], 1) if path == PRODUCTS else make_refunds(SIZES[REFUNDS], 1)
    return sorted(rows, key=lambda r: (-r["created"], r["id"]))


@pytest.fixture(scope="module")
def family() -> Iterator[Target]:
    with start_family_variant(products=SIZES[PRODUCTS], refunds=SIZES[REFUNDS], seed=1) as target:
        yield target


def _get(target: Target, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (target[1], ""))
    return requests.get(target[0] + path, params=params, timeout=10, **kwargs)


def _page(target: Target, path: str, **params: Any) -> dict[str, Any]:
    response = _get(target, path, params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _walk(target: Target, path: str, limit: int, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor: dict[str, str] = {}
    for _ in range(500):
        body = _page(target, path, limit=limit, **params, **cursor)
        ids += [item["id"] for item in body["data"]]
        if not body["has_more"]:
            return ids
        cursor = {"starting_after": body["data"][-1]["id"]}
    raise AssertionError("the walk does not end")


def _back_walk(target: Target, path: str, limit: int, **params: Any) -> list[str]:
    """From the last item towards the head by ending_before; the items in forward order."""
    last = _walk(target, path, MAX_LIMIT[path], **params)[-1]
    ids, cursor = [last], last
    for _ in range(500):
        body = _page(target, path, limit=limit, ending_before=cursor, **params)
        ids[:0] = [item["id"] for item in body["data"]]
        if not body["has_more"]:
            return ids
        cursor = body["data"][0]["id"]
    raise AssertionError("the backward walk does not end")


# -- the document --------------------------------------------------------------------------------
def test_the_document_is_valid_openapi() -> None:
    validate(_document())


def test_the_document_reads_as_two_list_operations_with_their_filters() -> None:
    operations, left = read_operations(_document())
    assert [o.key for o in operations] == [f"GET {PRODUCTS}", f"GET {REFUNDS}"]
    products, refunds = operations
    assert products.filters == (Filter("type", "type", "partition", ("good", "service")),
                                Filter("supplier", "supplier_id", "equality"))
    assert refunds.filters == (Filter("status", "status", "partition", ("pending", "succeeded", "failed")),
                               Filter("charge", "charge", "equality"))
    for operation in operations:
        assert operation.cursors == ("starting_after", "ending_before")
        assert operation.unjudged == ()
        assert operation.query_parameter("limit")["schema"]["maximum"] == MAX_LIMIT[operation.path]
        assert {"id", "created", "livemode"} <= set(operation.item_schema["required"])
    assert {o.key: o.reason for o in left} == {
        "GET /v2/products/{id}": "its 200 body is not the list envelope (`object` is not the constant \"list\")",
        "POST /v2/refunds": "not a GET: only list reads are judged (POST /v2/refunds)",
    }


def test_the_server_is_written_apart_from_the_suite() -> None:
    source = SOURCE.read_text()
    assert not re.search(r"^\s*(from|import)\s+(conformance|tests)", source, re.MULTILINE)


# -- the server walks correctly --------------------------------------------------------------------
@pytest.mark.parametrize("path", [PRODUCTS, REFUNDS])
def test_every_page_size_walks_the_oracle_order(family: Target, path: str) -> None:
    expected = [r["id"] for r in _oracle(path)]
    assert len(expected) == SIZES[path] == len(set(expected))
    created = [r["created"] for r in _oracle(path)]
    assert len(set(created)) < len(created) - 5, "many items should share one second"
    for limit in (1, 7, MAX_LIMIT[path]):
        assert _walk(family, path, limit) == expected, limit
    assert _back_walk(family, path, 7) == expected
    assert [i["id"] for i in _page(family, path)["data"]] == expected[:10]  # limit omitted: 10


@pytest.mark.parametrize("path", [PRODUCTS, REFUNDS])
def test_the_items_match_the_document(family: Target, path: str) -> None:
    schema_name = "Product" if path == PRODUCTS else "Refund"
    document = _document()
    schema = {**document["components"]["schemas"][schema_name], "components": document["components"]}
    validator = OAS30Validator(schema)
    body = _page(family, path, limit=MAX_LIMIT[path])
    assert body["object"] == "list" and body["url"] == path
    for item in body["data"]:
        validator.validate(item)


@pytest.mark.parametrize("path", [PRODUCTS, REFUNDS])
def test_filtered_walks_are_the_oracle_restricted(family: Target, path: str) -> None:
    oracle = _oracle(path)
    parameter, field, values = PARTITION[path]
    for value in values:
        expected = [r["id"] for r in oracle if r[field] == value]
        assert expected, value
        assert _walk(family, path, 3, **{parameter: value}) == expected
        assert _back_walk(family, path, 3, **{parameter: value}) == expected
    parameter, field = EQUALITY[path]
    for value in sorted({r[field] for r in oracle})[:3]:
        expected = [r["id"] for r in oracle if r[field] == value]
        assert _walk(family, path, 2, **{parameter: value}) == expected
    assert _page(family, path, **{parameter: "nobody_has_this"})["data"] == []
    if path == PRODUCTS:  # an empty value: read as no filter here, refused on refunds (both legal)
        assert _walk(family, path, MAX_LIMIT[path], **{parameter: ""}) == [r["id"] for r in oracle]
    else:
        assert _get(family, path, {parameter: ""}).status_code == 400


def test_limits_follow_each_documents_bounds(family: Target) -> None:
    for path in (PRODUCTS, REFUNDS):
        top = MAX_LIMIT[path]
        assert len(_page(family, path, limit=top)["data"]) == min(top, SIZES[path])
        for bad in ("0", "-1", str(top + 1), "abc", "1.5", ""):
            response = _get(family, path, {"limit": bad})
            assert response.status_code == 400, (path, bad)
            assert response.json()["error"]["param"] == "limit"


def test_products_tokens_are_opaque_positions_that_work_as_cursors(family: Target) -> None:
    expected = [r["id"] for r in _oracle(PRODUCTS)]
    page = _page(family, PRODUCTS, limit=7)
    token = page["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert set(decoded) == {"at"} and page["data"][-1]["id"] not in token
    assert [i["id"] for i in _page(family, PRODUCTS, limit=7, starting_after=token)["data"]] == expected[7:14]
    assert _page(family, PRODUCTS, limit=100 // 2)["next_cursor"] is not None
    assert _page(family, PRODUCTS, limit=7, starting_after=expected[-8])["next_cursor"] is None
    assert "next_cursor" not in _page(family, PRODUCTS, limit=7, ending_before=expected[20])
    assert "next_cursor" not in _page(family, REFUNDS, limit=7)


def test_each_operation_takes_its_own_legal_choices(family: Target) -> None:
    # unknown cursor: 400 on products, 404 on refunds
    assert _get(family, PRODUCTS, {"starting_after": "prod_nobody"}).status_code == 400
    assert _get(family, REFUNDS, {"ending_before": "re_nobody"}).status_code == 404
    # unknown parameters: ignored on products, refused on refunds
    assert _get(family, PRODUCTS, {"expand[]": "data.supplier"}).status_code == 200
    assert _get(family, REFUNDS, {"expand[]": "data.charge"}).status_code == 400
    # another operation's filter is an unknown parameter here
    assert _get(family, REFUNDS, {"type": "good"}).status_code == 400
    # a cursor the filter excludes: products continue from its place, refunds refuse it
    oracle = _oracle(PRODUCTS)
    place = next(n for n, r in enumerate(oracle) if r["type"] == "service")
    after = [r["id"] for r in oracle[place + 1:] if r["type"] == "good"][:5]
    assert [i["id"] for i in _page(family, PRODUCTS, limit=5, type="good",
                                   starting_after=oracle[place]["id"])["data"]] == after
    refund = next(r for r in _oracle(REFUNDS) if r["status"] == "failed")
    assert _get(family, REFUNDS, {"status": "succeeded", "starting_after": refund["id"]}).status_code == 400
    # both cursors, an unknown enum value
    ids = [r["id"] for r in oracle]
    assert _get(family, PRODUCTS, {"starting_after": ids[3], "ending_before": ids[1]}).status_code == 400
    assert _get(family, PRODUCTS, {"type": "GOOD"}).status_code == 400
    assert _get(family, REFUNDS, {"status": ""}).status_code == 400


def test_auth_and_version(family: Target) -> None:
    base_url, key, version = family
    assert _get(family, REFUNDS, headers={"Authorization": f"Bearer {key}"}, auth=None).status_code == 200
    for auth in (None, ("sk_test_someone_else", ""), ("", key)):
        response = _get(family, PRODUCTS, auth=auth)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].lower().startswith("basic")
        assert set(response.json()) == {"error"}
    assert _get(family, PRODUCTS, headers={"Authorization": "Basic !!!"}, auth=None).status_code == 401
    assert _get(family, PRODUCTS, headers={"X-API-Version": version}).status_code == 200
    assert _get(family, PRODUCTS, headers={"X-API-Version": "2020-01-01"}).status_code == 400
    assert version == API_VERSION
    # the operations the document leaves out
    product = _oracle(PRODUCTS)[0]
    assert _get(family, f"{PRODUCTS}/{product['id']}").json() == product
    assert requests.post(base_url + REFUNDS, auth=(key, ""), timeout=10).status_code == 405


# -- faults: each breaks its own operation, the other walks as before -------------------------------
def _faulty(fault: str) -> Any:
    return start_family_variant(products=SIZES[PRODUCTS], refunds=SIZES[REFUNDS], seed=1, faults=[fault])


def _symptom(target: Target, path: str, fault: str) -> bool:
    """Whether the fault's defect shows on ``path``, by this file's oracle."""
    oracle = [r["id"] for r in _oracle(path)]
    if fault == "skip-row":
        return _walk(target, path, 7) != oracle
    if fault == "filter-ignored":
        parameter, field, values = PARTITION[path]
        return {i[field] for i in _page(target, path, limit=40, **{parameter: values[0]})["data"]} != {values[0]}
    if fault == "limit-off-by-one":
        return len(_page(target, path, limit=5)["data"]) != 5
    if fault == "cursor-inclusive":
        return _page(target, path, limit=3, starting_after=oracle[4])["data"][0]["id"] != oracle[5]
    raise AssertionError(fault)


@pytest.mark.parametrize("path", [PRODUCTS, REFUNDS])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_breaks_its_own_operation_only(fault: str, path: str) -> None:
    other = REFUNDS if path == PRODUCTS else PRODUCTS
    with _faulty(f"{fault}@{path}") as target:
        assert _symptom(target, path, fault)
        assert not _symptom(target, other, fault)
        assert _walk(target, other, 7) == [r["id"] for r in _oracle(other)]


def test_the_correct_server_shows_no_fault_symptom(family: Target) -> None:
    for path in (PRODUCTS, REFUNDS):
        for fault in FAULTS:
            assert not _symptom(family, path, fault), (path, fault)


def test_fault_names_are_checked() -> None:
    assert parse_faults(["skip-row@/v2/refunds"])[REFUNDS] == {"skip-row"}
    for bad in ("skip-row", "skip-row@/v1/customers", "no-such@/v2/products"):
        with pytest.raises(ValueError, match="unknown fault"):
            parse_faults([bad])
