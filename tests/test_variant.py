"""No false positives: the whole suite passes an independently written, correct server
(tests/servers/variant.py) that takes every legal choice the other way from the
embedded reference. If a run here fails, either the variant broke CONTRACT.md or a
check judges something the contract leaves open; the failing requirement's evidence
is printed to tell which.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers.variant import LIST_PATH, start_variant
from tests.support.runs import run_cli

VARIANT_SOURCE = Path(__file__).parent / "servers" / "variant.py"


@pytest.fixture(scope="module")
def variant() -> Iterator[tuple[str, str, str]]:
    with start_variant(sessions=60, seed=1) as target:
        yield target


@pytest.fixture(scope="module")
def http(variant: tuple[str, str, str]) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    session.auth = (variant[1], "")
    yield session
    session.close()


def _get(http: requests.Session, base_url: str, params: Any = None, **kwargs: Any) -> requests.Response:
    return http.get(base_url + LIST_PATH, params=params, timeout=10, **kwargs)


def _page(http: requests.Session, base_url: str, **params: Any) -> dict[str, Any]:
    response = _get(http, base_url, params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _walk(http: requests.Session, base_url: str, limit: int = 100) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        body = _page(http, base_url, **params)
        items += body["data"]
        if not body["has_more"]:
            return items
        params["starting_after"] = body["data"][-1]["id"]


def _is_error_object(response: requests.Response) -> bool:
    error = response.json().get("error")
    return isinstance(error, dict) and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)


# -- the suite against the variant ---------------------------------------------------------------
def _run_suite(target: tuple[str, str, str], report_dir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    base_url, api_key, version = target
    return run_cli(base_url, api_key, report_dir, "--api-version", version, "--strict", *extra)


def _findings(report: dict[str, Any]) -> list[str]:
    """Every requirement the run did not pass or skip, with its evidence, for the failure message."""
    lines = []
    for req in report["requirements"]:
        if req["verdict"] in ("pass", "skip"):
            continue
        lines.append(f"{req['id']} {req['verdict']}: {req['reason']}")
        for evidence in req["evidence"][:3]:
            lines.append(f"    expected {evidence['expected']!r}, got {evidence['actual']!r}")
            lines += [f"    {x['request']} -> {x['status']}: {x['response_excerpt'][:200]}"
                      for x in evidence["exchanges"][:2]]
    return lines


@pytest.mark.parametrize("profile", ["standard", "quick", "thorough"])
def test_the_suite_finds_nothing_wrong_with_the_variant(
    variant: tuple[str, str, str], tmp_path: Path, profile: str
) -> None:
    code, report = _run_suite(variant, tmp_path, "--profile", profile)
    findings = _findings(report)
    assert not findings, "false positives against a correct server:\n" + "\n".join(findings)
    assert code == 0
    assert report["gate_verdict"] == "conformant"
    assert report["counts"]["fail"] == report["counts"]["warn"] == report["counts"]["error"] == 0
    assert report["counts"]["pass"] > 0
    assert report["diagnosis"] == []


def test_the_report_never_holds_the_variant_key(variant: tuple[str, str, str], tmp_path: Path) -> None:
    _run_suite(variant, tmp_path, "--profile", "quick")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert variant[1] not in path.read_text(errors="replace"), path.name


# -- the variant really takes the other legal choices ---------------------------------------------
def test_variant_does_not_reuse_the_reference_server() -> None:
    source = VARIANT_SOURCE.read_text()
    assert not re.search(r"^\s*(from|import)\s+conformance", source, re.MULTILINE)
    assert "starlette" not in source and "uvicorn" not in source


def test_bearer_is_refused_with_a_basic_challenge(variant: tuple[str, str, str]) -> None:
    base_url, api_key, _ = variant
    response = requests.get(base_url + LIST_PATH, headers={"Authorization": f"Bearer {api_key}"}, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("basic")
    assert _is_error_object(response)


@pytest.mark.parametrize("value", ["Basic !!!not-base64!!!", "Basic", "Token abc123", "Basic AAAA",
                                   "Basic " + "eA==", "Basic a b", "Basic " + "//79Og=="])
def test_malformed_authorization_is_a_400(variant: tuple[str, str, str], value: str) -> None:
    response = requests.get(variant[0] + LIST_PATH, headers={"Authorization": value}, timeout=10)
    assert response.status_code == 400
    assert _is_error_object(response)
    assert "data" not in response.json()


def test_no_credentials_and_unknown_key_are_401(variant: tuple[str, str, str]) -> None:
    base_url, api_key, _ = variant
    for auth in (None, ("sk_test_someone_else", ""), ("", api_key)):
        response = requests.get(base_url + LIST_PATH, auth=auth, timeout=10)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert _is_error_object(response)


def test_unknown_query_parameters_are_ignored(http: requests.Session, variant: tuple[str, str, str]) -> None:
    base_url = variant[0]
    plain = _page(http, base_url, limit=3)
    for extra in ({"expand": "data.customer"}, {"conformance_probe": "1"}, {"created[gte]": "0"}):
        response = _get(http, base_url, {"limit": 3, **extra})
        assert response.status_code == 200, response.text
        assert [i["id"] for i in response.json()["data"]] == [i["id"] for i in plain["data"]]


def test_unknown_cursor_is_a_404(http: requests.Session, variant: tuple[str, str, str]) -> None:
    for param in ("starting_after", "ending_before"):
        response = _get(http, variant[0], {param: "cs_test_nobody_has_this_one"})
        assert response.status_code == 404
        assert _is_error_object(response)
        assert response.json()["error"]["param"] == param


def test_both_cursors_and_bad_parameters_are_400(http: requests.Session, variant: tuple[str, str, str]) -> None:
    base_url = variant[0]
    ids = [i["id"] for i in _walk(http, base_url)]
    both = _get(http, base_url, {"starting_after": ids[0], "ending_before": ids[-1]})
    assert both.status_code == 400 and _is_error_object(both)
    for name, value in (("limit", "0"), ("limit", "101"), ("limit", "abc"), ("limit", "1.5"), ("limit", ""),
                        ("status", "OPEN"), ("status", "pending")):
        response = _get(http, base_url, {name: value})
        assert response.status_code == 400, (name, value)
        assert response.json()["error"]["param"] == name


def test_next_cursor_is_opaque_yet_works_as_starting_after(
    http: requests.Session, variant: tuple[str, str, str]
) -> None:
    base_url = variant[0]
    ids = {i["id"] for i in _walk(http, base_url)}
    page = _page(http, base_url, limit=7)
    cursor = page["next_cursor"]
    assert page["has_more"] is True and isinstance(cursor, str)
    assert cursor not in ids and not cursor.startswith("cs_")
    assert page["data"][-1]["id"] not in base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    by_cursor = _page(http, base_url, limit=7, starting_after=cursor)
    by_id = _page(http, base_url, limit=7, starting_after=page["data"][-1]["id"])
    assert [i["id"] for i in by_cursor["data"]] == [i["id"] for i in by_id["data"]]
    last = _page(http, base_url, limit=100)
    assert last["has_more"] is False and last["next_cursor"] is None


def test_backward_pages_carry_no_next_cursor(http: requests.Session, variant: tuple[str, str, str]) -> None:
    base_url = variant[0]
    ids = [i["id"] for i in _walk(http, base_url)]
    page = _page(http, base_url, limit=5, ending_before=ids[20])
    assert "next_cursor" not in page
    assert [i["id"] for i in page["data"]] == ids[15:20]
    assert page["has_more"] is True


def test_totals_are_tax_inclusive(http: requests.Session, variant: tuple[str, str, str]) -> None:
    items = _walk(http, variant[0])
    taxed = [i for i in items if i["total_details"]["amount_tax"] > 0]
    assert taxed, "the dataset should hold sessions with tax"
    for item in items:
        details = item["total_details"]
        assert item["amount_total"] == (item["amount_subtotal"] - details["amount_discount"]
                                        + details["amount_shipping"])


def test_ties_are_not_broken_by_id(http: requests.Session, variant: tuple[str, str, str]) -> None:
    items = _walk(http, variant[0])
    created = [i["created"] for i in items]
    assert created == sorted(created, reverse=True)
    groups: dict[int, list[str]] = {}
    for item in items:
        groups.setdefault(item["created"], []).append(item["id"])
    tied = [g for g in groups.values() if len(g) > 1]
    assert len(tied) >= 3, "many sessions should share a created second"
    assert any(g != sorted(g, reverse=True) for g in tied), "ties look ordered by id descending"
    assert any(g != sorted(g) for g in tied), "ties look ordered by id ascending"
    # and the order is stable whatever the page size
    assert [i["id"] for i in _walk(http, variant[0], limit=7)] == [i["id"] for i in items]


def test_dataset_covers_every_status(http: requests.Session, variant: tuple[str, str, str]) -> None:
    items = _walk(http, variant[0])
    assert len(items) == 60
    assert {i["status"] for i in items} == {"open", "complete", "expired"}
    assert all(i["url"] is None for i in items if i["status"] != "open")
    assert all(i["livemode"] is False for i in items)


def test_own_api_version(http: requests.Session, variant: tuple[str, str, str]) -> None:
    base_url, _, version = variant
    plain = _page(http, base_url, limit=5)
    versioned = _get(http, base_url, {"limit": 5}, headers={"X-API-Version": version})
    assert versioned.status_code == 200
    assert versioned.json() == plain
    for other in ("2026-11-01", "", "not-a-version"):
        response = _get(http, base_url, {"limit": 5}, headers={"X-API-Version": other})
        assert response.status_code == 400 and _is_error_object(response)


def test_the_lenient_variant_is_judged_fairly(tmp_path: Path) -> None:
    """Every 'either' taken the generous way (`status=` as no filter, non-string metadata values)
    passes; the leniency that breaks portability (CONTRACT.md: `OPEN` accepted as `open`, the key
    accepted as password) is a SHOULD: a warning, a failure only under --strict."""
    with start_variant(sessions=45, seed=3, lenient=True) as target:
        base_url, api_key, version = target
        lenient = requests.get(base_url + LIST_PATH, params={"status": "OPEN"}, auth=("", api_key), timeout=10)
        assert lenient.status_code == 200 and {s["status"] for s in lenient.json()["data"]} == {"open"}
        code, report = _run_suite(target, tmp_path / "strict")
        lenient_code, lenient_report = run_cli(base_url, api_key, tmp_path / "lenient", "--api-version", version)
    for run in (report, lenient_report):
        problems = {r["id"]: r["verdict"] for r in run["requirements"] if r["verdict"] in ("fail", "warn")}
        assert problems == {"AUTH-004": "warn", "FLT-006": "warn"}
    assert [(c["fault"], c["explains"]) for c in report["diagnosis"]] == [
        ("auth-key-as-password", ["AUTH-004"]), ("status-case-lenient", ["FLT-006"])]
    assert code == 1  # --strict: a SHOULD broken
    assert (lenient_code, lenient_report["gate_verdict"]) == (0, "conformant")
