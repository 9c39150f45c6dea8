"""The endpoint over real HTTP: shapes judged by spec/openapi.yaml, and walks."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from conformance.reference import SUPPORTED_API_VERSIONS

from .conftest import ListClient


def _validate(openapi: Any, response: requests.Response) -> None:
    openapi.validate_response(RequestsOpenAPIRequest(response.request),
                              RequestsOpenAPIResponse(response))


@pytest.mark.parametrize("params", [
    {}, {"limit": 1}, {"limit": 100}, {"status": "open"}, {"status": "complete", "limit": 3},
    {"status": "expired"},
])
def test_pages_validate_against_spec(client: ListClient, openapi: Any,
                                     params: dict[str, Any]) -> None:
    response = client.get(params)
    assert response.status_code == 200
    _validate(openapi, response)


@pytest.mark.parametrize("params, auth, status", [
    ({"limit": 0}, True, 400), ({"status": "nope"}, True, 400),
    ({"starting_after": "cs_nope"}, True, 400), ({}, False, 401),
])
def test_errors_validate_against_spec(client: ListClient, openapi: Any,
                                      params: dict[str, Any], auth: bool, status: int) -> None:
    response = client.get(params, auth=None if auth else ("sk_test_wrong", ""))
    assert response.status_code == status
    _validate(openapi, response)


def test_default_page(client: ListClient) -> None:
    body = client.page()
    assert body["object"] == "list"
    assert body["url"] == "/v1/checkout/sessions"
    assert len(body["data"]) == 10 and body["has_more"] is True
    assert body["next_cursor"] == body["data"][-1]["id"]


def test_newest_first_and_total(client: ListClient) -> None:
    items = client.walk_forward(100)
    assert len(items) == 57
    keys = [(s["created"], s["id"]) for s in items]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_walks_agree_whatever_the_page_size(tie_client: ListClient, limit: int) -> None:
    reference = [s["id"] for s in tie_client.walk_forward(10)]
    assert len(reference) == len(set(reference)) == 400
    assert [s["id"] for s in tie_client.walk_forward(limit)] == reference


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_backward_walk_gives_the_same_sequence(tie_client: ListClient, limit: int) -> None:
    forward = [s["id"] for s in tie_client.walk_forward(100)]
    backward = [s["id"] for s in tie_client.walk_backward(limit, before=forward[-1])]
    assert [*backward, forward[-1]] == forward


def test_pages_split_inside_a_second(tie_client: ListClient) -> None:
    """Page boundaries fall between sessions of the same second and lose nothing."""
    items = tie_client.walk_forward(100)
    splits = sum(1 for i in range(0, len(items) - 1, 7)
                 if items[i]["created"] == items[i + 1]["created"])
    assert splits > 10
    assert [s["id"] for s in tie_client.walk_forward(7)] == [s["id"] for s in items]


@pytest.mark.parametrize("status", ["open", "complete", "expired"])
def test_filtered_walk_is_restricted_walk(tie_client: ListClient, status: str) -> None:
    everything = tie_client.walk_forward(100)
    expected = [s["id"] for s in everything if s["status"] == status]
    assert expected
    for limit in (1, 7, 100):
        assert [s["id"] for s in tie_client.walk_forward(limit, status=status)] == expected
    backward = tie_client.walk_backward(7, before=expected[-1], status=status)
    assert [s["id"] for s in backward] + [expected[-1]] == expected


def test_cursor_works_whatever_its_status(tie_client: ListClient) -> None:
    everything = tie_client.walk_forward(100)
    cursor = next(s for s in everything[50:] if s["status"] == "open")
    body = tie_client.page(limit=3, starting_after=cursor["id"], status="complete")
    after = [s["id"] for s in everything[everything.index(cursor) + 1:]
             if s["status"] == "complete"][:3]
    assert [s["id"] for s in body["data"]] == after


def test_next_cursor_is_starting_after(tie_client: ListClient) -> None:
    first = tie_client.page(limit=9)
    via_cursor = tie_client.page(limit=9, starting_after=first["next_cursor"])
    assert via_cursor == tie_client.page(limit=9, starting_after=first["data"][-1]["id"])


def test_end_of_list(client: ListClient) -> None:
    items = client.walk_forward(100)
    assert client.page(starting_after=items[-1]["id"]) == {
        "object": "list", "data": [], "has_more": False, "url": "/v1/checkout/sessions",
        "next_cursor": None}
    assert client.page(ending_before=items[0]["id"])["data"] == []
    last_page = client.page(limit=5, starting_after=items[-6]["id"])
    assert len(last_page["data"]) == 5 and last_page["has_more"] is False


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
def test_supported_api_versions(client: ListClient, version: str) -> None:
    response = client.get({"limit": 2}, headers={"X-API-Version": version})
    assert response.status_code == 200
    assert response.json() == client.page(limit=2)


def test_bearer_accepted(client: ListClient) -> None:
    response = requests.get(client.base_url + "/v1/checkout/sessions", timeout=10,
                            headers={"Authorization": f"Bearer {client.api_key}"})
    assert response.status_code == 200


def test_configured_api_versions() -> None:
    from conformance.reference import ReferenceConfig, start_background

    with start_background(ReferenceConfig(api_versions=("2020-01-01",))) as server:
        ok = ListClient(server).get(headers={"X-API-Version": "2020-01-01"})
        refused = ListClient(server).get(headers={"X-API-Version": "2026-11-01"})
    assert (ok.status_code, refused.status_code) == (200, 400)
