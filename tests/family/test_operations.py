"""Recognising list operations in any OpenAPI 3.x document (conformance/operations.py, issue 24)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.errors import SpecError
from conformance.operations import Filter, read_operations, select
from conformance.spec import default_spec


def _envelope(items_ref: str) -> dict[str, Any]:
    return {"type": "object", "required": ["object", "data", "has_more", "url"], "properties": {
        "object": {"type": "string", "enum": ["list"]},
        "data": {"type": "array", "items": {"$ref": items_ref}},
        "has_more": {"type": "boolean"}, "url": {"type": "string"}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


PAGING = [{"$ref": "#/components/parameters/limit"},
          {"name": "starting_after", "in": "query", "schema": {"type": "string"}},
          {"name": "ending_before", "in": "query", "schema": {"type": "string"}}]

# A family written for this test: customers (an `email` equality filter, the envelope through
# $ref), invoices (a `status` partition, a `customer` equality filter, the envelope through allOf,
# a parameter naming its field by extension), and operations that are not lists.
FAMILY: dict[str, Any] = {
    "openapi": "3.1.0", "info": {"title": "family", "version": "1"},
    "paths": {
        "/v1/customers": {
            "get": {"parameters": [*PAGING, {"name": "email", "in": "query", "schema": {"type": "string"}},
                                   {"name": "created[gte]", "in": "query", "schema": {"type": "integer"}}],
                    "responses": _json({"$ref": "#/components/schemas/CustomerList"})},
            "post": {"responses": _json({"$ref": "#/components/schemas/Customer"})}},
        "/v1/customers/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"responses": _json({"$ref": "#/components/schemas/Customer"})}},
        "/v1/invoices": {
            "parameters": PAGING,
            "get": {"parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["draft", "open", "paid"]}},
                {"name": "customer", "in": "query", "schema": {"type": "string"}},
                {"name": "owner", "in": "query", "x-conformance-field": "customer", "schema": {"type": "string"}}],
                "responses": _json({"allOf": [
                    {"$ref": "#/components/schemas/ListBase"},
                    {"properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Invoice"}}}}]})}},
        "/v1/events": {
            "get": {"parameters": [{"$ref": "#/components/parameters/limit"}],
                    "responses": _json(_envelope("#/components/schemas/Customer"))}},
    },
    "components": {
        "parameters": {"limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}},
        "schemas": {
            "Customer": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"}, "email": {"type": ["string", "null"]}}},
            "Invoice": {"type": "object", "properties": {
                "id": {"type": "string"}, "status": {"type": "string"}, "customer": {"type": "string"}}},
            "CustomerList": _envelope("#/components/schemas/Customer"),
            "ListBase": {"type": "object", "required": ["object", "data", "has_more"], "properties": {
                "object": {"const": "list"}, "has_more": {"type": "boolean"}}},
        },
    },
}


def test_the_list_operations_of_a_family_and_why_the_rest_are_left_out() -> None:
    operations, left = read_operations(FAMILY)
    assert [o.key for o in operations] == ["GET /v1/customers", "GET /v1/invoices"]
    assert {o.key: o.reason for o in left} == {
        "POST /v1/customers": "not a GET: only list reads are judged (POST /v1/customers)",
        "GET /v1/customers/{id}": "its 200 body is not the list envelope (`object` is not the constant \"list\")",
        "GET /v1/events": "it takes neither `starting_after` nor `ending_before`",
    }


def test_filters_are_read_from_the_parameters_and_the_item_schema() -> None:
    customers, invoices = read_operations(FAMILY)[0]
    assert customers.filters == (Filter("email", "email", "equality"),)
    assert customers.unjudged == ("created[gte]",)  # declared, but not a filter the suite can read
    assert invoices.cursors == ("starting_after", "ending_before")  # from the path-level parameters
    assert invoices.filters == (Filter("status", "status", "partition", ("draft", "open", "paid")),
                                Filter("customer", "customer", "equality"),
                                Filter("owner", "customer", "equality"))
    assert set(invoices.item_schema["properties"]) == {"id", "status", "customer"}


def test_the_shipped_document_holds_one_list_operation_partitioned_by_status() -> None:
    operations, left = read_operations(default_spec().document)
    assert [o.key for o in operations] == ["GET /v1/checkout/sessions"]
    assert not left
    (status,) = operations[0].filters
    assert (status.parameter, status.kind, status.values) == ("status", "partition", ("open", "complete", "expired"))


def test_select_names_what_it_cannot_judge() -> None:
    assert [o.key for o in select(FAMILY, ["get /v1/invoices"])[0]] == ["GET /v1/invoices"]
    with pytest.raises(SpecError, match=r"'GET /v1/customers/\{id\}' is not judged as a list: its 200 body"):
        select(FAMILY, ["GET /v1/customers/{id}"])
    with pytest.raises(SpecError, match="is not declared by the document"):
        select(FAMILY, ["GET /v1/refunds"])
    with pytest.raises(SpecError, match="takes 'METHOD /path'"):
        select(FAMILY, ["/v1/invoices"])


def test_a_document_with_no_list_operation_or_a_broken_ref_is_refused() -> None:
    only_post = {"paths": {"/v1/x": {"post": {"responses": {}}}}}
    with pytest.raises(SpecError, match="declares no list operation"):
        select(only_post)
    looping = {"paths": {"/v1/x": {"get": {"responses": {"$ref": "#/a"}}}}, "a": {"$ref": "#/a"}}
    with pytest.raises(SpecError, match="loops"):
        read_operations(looping)
    outside = {"paths": {"/v1/x": {"get": {"responses": {"$ref": "other.yaml#/r"}}}}}
    with pytest.raises(SpecError, match="refers outside itself"):
        read_operations(outside)


def test_a_list_under_a_parent_object_is_left_out_with_its_reason() -> None:
    # Asked with a literal `{customer}` such a path could only answer 404 and stop the run (review, issue 24).
    import copy

    document = copy.deepcopy(FAMILY)
    document["paths"]["/v1/customers/{customer}/invoices"] = copy.deepcopy(document["paths"]["/v1/invoices"])
    found, left = read_operations(document)
    assert "GET /v1/customers/{customer}/invoices" not in [o.key for o in found]
    assert any(o.key == "GET /v1/customers/{customer}/invoices" and "template parameter" in o.reason for o in left)


def test_a_document_whose_ref_loops_or_leaves_it_is_a_usage_error_before_validation(tmp_path: Any) -> None:
    import yaml

    from conformance.spec import load_spec

    for name, ref, said in (("loop", "#/components/schemas/Loop", "$ref '#/components/schemas/Loop' loops"),
                            ("outside", "other.yaml#/Customer", "refers outside itself ('other.yaml#/Customer')")):
        document: dict[str, Any] = {
            "openapi": "3.1.0", "info": {"title": name, "version": "1"},
            "paths": {"/v1/things": {"get": {"parameters": PAGING, "responses": _json({"$ref": ref})}}},
            "components": {"parameters": {"limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}},
                           "schemas": {"Loop": {"$ref": "#/components/schemas/Loop"}}}}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(document))
        with pytest.raises(SpecError) as refused:
            load_spec(path)
        assert said in str(refused.value)
