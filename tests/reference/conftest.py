"""Fixtures for the reference server tests: running servers, an HTTP client that
walks the list, and the OpenAPI document as the judge of response shapes."""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parents[2]
# Run from a checkout without `pip install -e .`: make the package importable.
if importlib.util.find_spec("conformance") is None:
    sys.path.insert(0, str(REPO))

from conformance.reference import ReferenceConfig, RunningServer, start_background  # noqa: E402

LIST_PATH = "/v1/checkout/sessions"


class ListClient:
    """A thin HTTP client for the list endpoint, with walk helpers that also check
    the page-level rules every page must satisfy."""

    def __init__(self, server: RunningServer) -> None:
        self.base_url = server.base_url
        self.api_key = server.api_key
        self.http = requests.Session()
        self.http.auth = (server.api_key, "")

    def get(self, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.http.get(self.base_url + LIST_PATH, params=params, **kwargs)

    def page(self, **params: Any) -> dict[str, Any]:
        response = self.get(params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body: dict[str, Any] = response.json()
        limit = int(params.get("limit", 10))
        assert len(body["data"]) <= limit
        if body["has_more"]:
            assert len(body["data"]) == limit
        forward = "ending_before" not in params
        expected_cursor = body["data"][-1]["id"] if body["has_more"] and forward else None
        assert body["next_cursor"] == expected_cursor
        return body

    def walk_forward(self, limit: int, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            extra = {"starting_after": cursor} if cursor else {}
            body = self.page(limit=limit, **params, **extra)
            items += body["data"]
            if not body["has_more"]:
                return items
            cursor = body["next_cursor"]

    def walk_backward(self, limit: int, before: str, **params: Any) -> list[dict[str, Any]]:
        """Every item before ``before``, in forward order, fetched with ending_before."""
        items: list[dict[str, Any]] = []
        cursor = before
        while True:
            body = self.page(limit=limit, ending_before=cursor, **params)
            items = body["data"] + items
            if not body["has_more"]:
                return items
            cursor = body["data"][0]["id"]


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """The default reference server (57 sessions)."""
    with start_background(ReferenceConfig()) as running:
        yield running


@pytest.fixture(scope="session")
def tie_server() -> Iterator[RunningServer]:
    """Enough sessions for many pages and many created-second ties."""
    with start_background(ReferenceConfig(sessions=400, seed=7)) as running:
        yield running


@pytest.fixture(scope="session")
def client(server: RunningServer) -> ListClient:
    return ListClient(server)


@pytest.fixture(scope="session")
def tie_client(tie_server: RunningServer) -> ListClient:
    return ListClient(tie_server)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    with open(REPO / "spec" / "openapi.yaml", encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


@pytest.fixture(scope="session")
def openapi(spec: dict[str, Any], server: RunningServer) -> Any:
    from openapi_core import OpenAPI

    document = copy.deepcopy(spec)
    # The document names a fixed server; ours listens on a free port.
    document["servers"] = [{"url": server.base_url}]
    return OpenAPI.from_dict(document)
