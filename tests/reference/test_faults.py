"""Injected faults change exactly the behaviour they name."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import requests
import yaml

from conformance.reference import ReferenceConfig, RunningServer, start_background
from conformance.reference.decisions import Decisions
from conformance.reference.faults import FAULTS, Fault, decisions_for

from .conftest import LIST_PATH, REPO, ListClient


@pytest.fixture(scope="module")
def faulty() -> Iterator[dict[str, ListClient]]:
    servers: list[RunningServer] = []
    clients = {}
    for name in FAULTS:
        servers.append(start_background(ReferenceConfig(fault=name)))
        clients[name] = ListClient(servers[-1])
    yield clients
    for server in servers:
        server.stop()


def test_registry_is_consistent() -> None:
    fields = {f.name for f in dataclasses.fields(Decisions)}
    for name, fault in FAULTS.items():
        assert fault.name == name and fault.description
        assert fault.overrides and set(fault.overrides) <= fields
        assert isinstance(fault.breaks, tuple)
        assert decisions_for(name) != Decisions()
    assert decisions_for(None) == Decisions()


def test_breaks_name_known_requirements() -> None:
    with open(REPO / "spec" / "requirements.yaml", encoding="utf-8") as fh:
        known = {r["id"] for r in yaml.safe_load(fh)["requirements"]}
    for fault in FAULTS.values():
        assert set(fault.breaks) <= known, fault.name


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        decisions_for("no-such-fault")
    with pytest.raises(ValueError, match="unknown fault"):
        ReferenceConfig(fault="no-such-fault")


def test_limit_off_by_one(faulty: dict[str, ListClient], client: ListClient) -> None:
    body = faulty["limit-off-by-one"].get({"limit": 5}).json()
    assert len(body["data"]) == 4 and body["has_more"] is True
    assert len(client.get({"limit": 5}).json()["data"]) == 5


def test_cursor_inclusive(faulty: dict[str, ListClient], client: ListClient) -> None:
    broken = faulty["cursor-inclusive"]
    first = broken.get({"limit": 3}).json()["data"]
    cursor = first[-1]["id"]
    after = broken.get({"limit": 3, "starting_after": cursor}).json()["data"]
    assert after[0]["id"] == cursor
    correct = client.get({"limit": 3, "starting_after": cursor}).json()["data"]
    assert correct[0]["id"] != cursor
    before = broken.get({"limit": 3, "ending_before": cursor}).json()["data"]
    assert before[-1]["id"] == cursor


def test_no_auth(faulty: dict[str, ListClient]) -> None:
    base = faulty["no-auth"].base_url
    assert requests.get(base + LIST_PATH, timeout=10).status_code == 200
    assert requests.get(base + LIST_PATH, auth=("sk_test_x", ""), timeout=10).status_code == 200


def test_a_partial_fault_breaks_only_the_requests_it_selects(faulty: dict[str, ListClient]) -> None:
    """`cursor-inclusive:forward` repeats the cursor after it, never before it; `:backward` the
    other way round (conformance/reference/faults/partial.py)."""
    forward, backward = faulty["cursor-inclusive:forward"], faulty["cursor-inclusive:backward"]
    cursor = forward.get({"limit": 3}).json()["data"][-1]["id"]
    assert forward.get({"limit": 3, "starting_after": cursor}).json()["data"][0]["id"] == cursor
    assert forward.get({"limit": 3, "ending_before": cursor}).json()["data"][-1]["id"] != cursor
    assert backward.get({"limit": 3, "starting_after": cursor}).json()["data"][0]["id"] != cursor
    assert backward.get({"limit": 3, "ending_before": cursor}).json()["data"][-1]["id"] == cursor


def test_partial_faults_by_credentials_status_and_page_size(faulty: dict[str, ListClient]) -> None:
    base = faulty["no-auth:no-credentials"].base_url
    assert requests.get(base + LIST_PATH, timeout=10).status_code == 200
    assert requests.get(base + LIST_PATH, auth=("sk_test_x", ""), timeout=10).status_code == 401
    clamped = faulty["limit-clamped:above-100"]
    assert clamped.get({"limit": 101}).status_code == 200 and clamped.get({"limit": 0}).status_code == 400
    ignored = faulty["filter-ignored:status-complete"]
    assert {i["status"] for i in ignored.get({"status": "complete", "limit": 100}).json()["data"]} != {"complete"}
    assert {i["status"] for i in ignored.get({"status": "open", "limit": 100}).json()["data"]} == {"open"}


def test_an_unknown_restriction_is_refused() -> None:
    from conformance.reference.faults.partial import partials_of

    with pytest.raises(ValueError, match="unknown partial-fault restriction"):
        partials_of(dataclasses.replace(FAULTS["cursor-inclusive"], partials={"sideways": ("PAG-001",)}))
    with pytest.raises(ValueError, match="cannot restrict"):  # a header decision has no page direction
        partials_of(dataclasses.replace(FAULTS["no-auth"], partials={"forward": ("AUTH-001",)}))


def test_other_rules_still_hold_under_a_fault(faulty: dict[str, ListClient]) -> None:
    # A fault breaks one decision only: e.g. limit validation still works under no-auth.
    response = faulty["no-auth"].get({"limit": 0})
    assert response.status_code == 400 and response.json()["error"]["param"] == "limit"


def test_unexpected_exception_is_a_json_500(monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    def explode(session: dict[str, object]) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setitem(FAULTS, "explode", Fault("explode", "raises while serializing",
                                                 overrides={"serialize_session": explode}))
    with start_background(ReferenceConfig(fault="explode")) as server:
        response = ListClient(server).get({"limit": 2})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": {"type": "api_error",
                                         "message": "An internal error occurred."}}
    # Logged as one line for the operator, never as a traceback.
    assert any("RuntimeError: boom" in r.getMessage() and r.exc_info is None
               for r in caplog.records)
