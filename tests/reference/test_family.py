"""The reference family (issue 24): spec/family.yaml, and GET /v1/customers and GET /v1/invoices
served beside checkout sessions from the same store and decisions code, with faults per operation.

The oracles are independent of the server's paging code: pages are walked over HTTP and
compared with the generated items sorted here by (created, id) descending and filtered here
with plain comparisons; the document is read by ``conformance.operations``, the suite's own reader.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml
from openapi_spec_validator import validate

from conformance.cli import main
from conformance.operations import CHECKOUT_SESSIONS, Filter, read_operations
from conformance.reference import ReferenceConfig, RunningServer, start_background
from conformance.reference.family import CUSTOMERS, INVOICES, family_resources, generate_customers, generate_family
from conformance.reference.faults import FAULTS, decisions_for
from conformance.resources import family_path, openapi_path
from tests.reference.conftest import REPO

KEY = "sk_test_family"
SEED = 3
PATHS = {CUSTOMERS: "/v1/customers", INVOICES: "/v1/invoices"}
INVOICE_STATUSES = ("draft", "open", "paid", "void", "uncollectible")


def _document() -> dict[str, Any]:
    return yaml.safe_load(family_path().read_text(encoding="utf-8"))


# -- the document ---------------------------------------------------------------------------------
def test_the_family_document_is_valid_openapi() -> None:
    validate(_document())


def test_the_family_document_reads_as_three_list_operations_with_their_filters() -> None:
    operations, left_out = read_operations(_document())
    assert left_out == []
    by_key = {o.key: o for o in operations}
    assert list(by_key) == [CHECKOUT_SESSIONS, CUSTOMERS, INVOICES]
    assert by_key[CHECKOUT_SESSIONS].filters == (
        Filter("status", "status", "partition", ("open", "complete", "expired")),)
    assert by_key[CUSTOMERS].filters == (Filter("email", "email", "equality"),)
    assert by_key[INVOICES].filters == (Filter("status", "status", "partition", INVOICE_STATUSES),
                                        Filter("customer", "customer", "equality"))
    assert all(o.cursors == ("starting_after", "ending_before") and o.unjudged == () for o in operations)
    # The items come through the inline allOf (customers) and the $ref to an allOf (invoices).
    assert set(by_key[CUSTOMERS].item_schema["properties"]) == {"id", "object", "created", "email", "name",
                                                                 "livemode"}
    assert by_key[INVOICES].item_schema["properties"]["currency"]["pattern"] == "^[a-z]{3}$"


def test_the_envelope_is_shared_through_ref_and_allof() -> None:
    document = _document()
    customers = document["paths"]["/v1/customers"]["get"]["responses"]["200"]["content"]["application/json"]
    invoices = document["paths"]["/v1/invoices"]["get"]["responses"]["200"]["content"]["application/json"]
    assert customers["schema"]["allOf"][0] == {"$ref": "#/components/schemas/ListEnvelope"}
    assert invoices["schema"] == {"$ref": "#/components/schemas/InvoiceList"}
    assert document["components"]["schemas"]["InvoiceList"]["allOf"][0] == {"$ref": "#/components/schemas/ListEnvelope"}


def test_checkout_sessions_are_described_exactly_as_in_openapi_yaml() -> None:
    family, checkout = _document(), yaml.safe_load(openapi_path().read_text(encoding="utf-8"))
    assert family["paths"]["/v1/checkout/sessions"] == checkout["paths"]["/v1/checkout/sessions"]
    for section in ("securitySchemes", "responses", "schemas"):
        for name, value in checkout["components"][section].items():
            assert family["components"][section][name] == value, (section, name)
    assert family["security"] == checkout["security"]


def test_the_family_document_ships_beside_openapi_yaml() -> None:
    # The wheel carries spec/ as conformance/_spec (pyproject's force-include); resources finds both there.
    assert family_path().parent == openapi_path().parent and family_path().name == "family.yaml"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]["spec"] == "conformance/_spec"
    assert (REPO / "spec" / "family.yaml").is_file()


# -- the data -------------------------------------------------------------------------------------
def _ordered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: (i["created"], i["id"]), reverse=True)


def test_the_generated_family_exercises_ties_filters_and_references() -> None:
    family = generate_family(SEED)
    customers, invoices = family[CUSTOMERS], family[INVOICES]
    for items in (customers, invoices):
        assert len(items) >= 50 and len({i["id"] for i in items}) == len(items)
        seconds = [i["created"] for i in items]
        assert len(set(seconds)) < len(seconds) - 5  # several ties
    assert {i["status"] for i in invoices} == set(INVOICE_STATUSES)
    assert {i["customer"] for i in invoices} <= {c["id"] for c in customers}
    assert max(sum(i["customer"] == c["id"] for i in invoices) for c in customers) >= 10
    emails = [c["email"] for c in customers]
    assert max(emails.count(e) for e in emails) >= 3
    assert "case@example.com" in emails and "Case@Example.com" in emails
    assert generate_family(SEED) == family and generate_family(SEED + 1) != family


# -- serving --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_background(ReferenceConfig(api_key=KEY, seed=SEED)) as running:
        yield running


def _get(server: RunningServer, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (KEY, ""))
    return requests.get(server.base_url + path, params=params, timeout=10, **kwargs)


def _walk(server: RunningServer, path: str, limit: int | None, backward: bool = False,
          **filters: str) -> list[dict[str, Any]]:
    """Every page, following the edge id as the cursor; each page checked against the envelope rules."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = dict(filters)
    if limit is not None:
        params["limit"] = limit
    if backward:
        params["ending_before"] = _get(server, path, {**params, "limit": 100}).json()["data"][-1]["id"]
    for _ in range(200):
        reply = _get(server, path, params)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["object"] == "list" and body["url"] == path
        assert len(body["data"]) <= (limit or 10)
        if body["has_more"]:
            assert len(body["data"]) == (limit or 10)
        items = body["data"] + items if backward else items + body["data"]
        if not body["has_more"]:
            return items
        if not backward:
            assert body["next_cursor"] == body["data"][-1]["id"]
        params["ending_before" if backward else "starting_after"] = body["data"][0 if backward else -1]["id"]
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize("key", [CUSTOMERS, INVOICES])
@pytest.mark.parametrize("limit", [1, 3, 7, None, 100])
def test_walks_forward_return_every_item_once_in_order(server: RunningServer, key: str, limit: int | None) -> None:
    expected = _ordered(generate_family(SEED)[key])
    assert _walk(server, PATHS[key], limit) == expected


@pytest.mark.parametrize("key", [CUSTOMERS, INVOICES])
@pytest.mark.parametrize("limit", [1, 4, 10])
def test_walks_backward_return_every_item_once_in_order(server: RunningServer, key: str, limit: int) -> None:
    expected = _ordered(generate_family(SEED)[key])
    # Backward from the oldest item: every item before it, in list order.
    assert _walk(server, PATHS[key], limit, backward=True) == expected[:-1]


def test_the_email_filter_restricts_exactly_and_case_sensitively(server: RunningServer) -> None:
    customers = _ordered(generate_customers(SEED))
    for email in ("shared@example.com", "case@example.com", "Case@Example.com"):
        expected = [c for c in customers if c["email"] == email]
        assert expected
        for limit in (1, 2, 10):
            assert _walk(server, "/v1/customers", limit, email=email) == expected
    empty = _get(server, "/v1/customers", {"email": "nobody@example.com"})
    assert empty.status_code == 200 and empty.json()["data"] == [] and empty.json()["has_more"] is False
    assert _get(server, "/v1/customers", {"email": "SHARED@example.com"}).json()["data"] == []


@pytest.mark.parametrize("status", INVOICE_STATUSES)
def test_the_invoice_status_filter_is_a_partition(server: RunningServer, status: str) -> None:
    invoices = _ordered(generate_family(SEED)[INVOICES])
    assert _walk(server, "/v1/invoices", 2, status=status) == [i for i in invoices if i["status"] == status]


def test_the_invoice_customer_filter_and_both_filters_together(server: RunningServer) -> None:
    invoices = _ordered(generate_family(SEED)[INVOICES])
    busiest = max({i["customer"] for i in invoices}, key=lambda c: sum(i["customer"] == c for i in invoices))
    mine = [i for i in invoices if i["customer"] == busiest]
    assert _walk(server, "/v1/invoices", 3, customer=busiest) == mine
    for status in INVOICE_STATUSES:
        both = [i for i in mine if i["status"] == status]
        assert _walk(server, "/v1/invoices", 2, customer=busiest, status=status) == both
    other_case = busiest.swapcase()  # case-sensitive: the same id in other letters is another value
    assert other_case != busiest and _get(server, "/v1/invoices", {"customer": other_case}).json()["data"] == []
    assert _get(server, "/v1/invoices", {"customer": "cus_nobody"}).json() == {
        "object": "list", "data": [], "has_more": False, "url": "/v1/invoices", "next_cursor": None}


def test_a_cursor_the_filter_excludes_pages_from_its_place(server: RunningServer) -> None:
    invoices = _ordered(generate_family(SEED)[INVOICES])
    busiest = max({i["customer"] for i in invoices}, key=lambda c: sum(i["customer"] == c for i in invoices))
    position = next(k for k, i in enumerate(invoices) if k > 5 and i["customer"] != busiest)
    after = [i for i in invoices[position + 1:] if i["customer"] == busiest][:3]
    reply = _get(server, "/v1/invoices", {"customer": busiest, "starting_after": invoices[position]["id"], "limit": 3})
    assert reply.status_code == 200 and reply.json()["data"] == after


@pytest.mark.parametrize(("path", "params", "param"), [
    ("/v1/customers", {"email": ""}, "email"),
    ("/v1/invoices", {"customer": ""}, "customer"),
    ("/v1/invoices", {"status": "Paid"}, "status"),
    ("/v1/invoices", {"status": "complete"}, "status"),
    ("/v1/customers", {"status": "open"}, "status"),  # another operation's filter is an unknown parameter here
    ("/v1/invoices", {"email": "a@example.com"}, "email"),
    ("/v1/customers", {"limit": "0"}, "limit"),
    ("/v1/invoices", {"limit": "101"}, "limit"),
    ("/v1/customers", {"limit": "1.5"}, "limit"),
    ("/v1/customers", {"starting_after": "cus_nope"}, "starting_after"),
    ("/v1/invoices", {"ending_before": "in_nope"}, "ending_before"),
    ("/v1/invoices", {"starting_after": "a", "ending_before": "b"}, "ending_before"),
    ("/v1/customers", [("limit", "2"), ("limit", "3")], "limit"),
])
def test_refusals_are_400_error_objects_naming_the_parameter(server: RunningServer, path: str, params: Any,
                                                              param: str) -> None:
    reply = _get(server, path, params)
    assert reply.status_code == 400 and reply.headers["content-type"] == "application/json"
    error = reply.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]


@pytest.mark.parametrize("path", list(PATHS.values()))
def test_limit_bounds_default_auth_and_version_as_for_checkout_sessions(server: RunningServer, path: str) -> None:
    assert len(_get(server, path).json()["data"]) == 10
    assert len(_get(server, path, {"limit": 100}).json()["data"]) == 60
    assert len(_get(server, path, {"limit": 1}).json()["data"]) == 1
    refused = _get(server, path, auth=None)
    assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers and "error" in refused.json()
    assert _get(server, path, auth=("sk_test_other", "")).status_code == 401
    assert _get(server, path, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert _get(server, path, headers={"X-API-Version": "2025-06-30"}).status_code == 200
    version = _get(server, path, headers={"X-API-Version": "1999-01-01"})
    assert version.status_code == 400 and version.json()["error"]["param"] == "X-API-Version"


def test_livemode_follows_the_key() -> None:
    with start_background(ReferenceConfig(api_key="sk_live_family", seed=SEED)) as live:
        for path in PATHS.values():
            data = requests.get(live.base_url + path, auth=("sk_live_family", ""), timeout=10).json()["data"]
            assert data and all(item["livemode"] is True for item in data)


def test_an_unknown_path_names_every_operation_served(server: RunningServer) -> None:
    reply = _get(server, "/v1/charges")
    assert reply.status_code == 404
    assert all(key in reply.json()["error"]["message"] for key in (CHECKOUT_SESSIONS, CUSTOMERS, INVOICES))


# -- faults per operation -------------------------------------------------------------------------
_PROBES: list[tuple[str, Any]] = [
    *[(path, params) for path in ("/v1/checkout/sessions", "/v1/customers", "/v1/invoices")
      for params in ({"limit": 3}, {"limit": 100}, {"limit": 0}, {"foo": "bar"})],
    ("/v1/checkout/sessions", {"status": "open", "limit": 5}),
    ("/v1/customers", {"email": "shared@example.com", "limit": 2}),
    ("/v1/invoices", {"status": "paid", "limit": 2}),
]


def _answers(server: RunningServer, path: str) -> list[tuple[int, str]]:
    """The answers to fixed requests on ``path``, a walk at limit 4 among them (cursors taken from pages)."""
    answers = []
    for probe_path, params in _PROBES:
        if probe_path == path:
            reply = _get(server, path, params)
            answers.append((reply.status_code, reply.text))
    params = {"limit": 4}
    for _ in range(30):
        reply = _get(server, path, params)
        answers.append((reply.status_code, reply.text))
        body = reply.json() if reply.status_code == 200 else {}
        if not body.get("has_more"):
            break
        params["starting_after"] = body["data"][-1]["id"]
    return answers


@pytest.fixture(scope="module")
def correct_answers(server: RunningServer) -> dict[str, list[tuple[int, str]]]:
    return {path: _answers(server, path) for path in ("/v1/checkout/sessions", *PATHS.values())}


@pytest.mark.parametrize(("faults", "broken"), [
    ({INVOICES: "cursor-inclusive"}, "/v1/invoices"),
    ({CUSTOMERS: "limit-off-by-one"}, "/v1/customers"),
    ({CUSTOMERS: "filter-ignored"}, "/v1/customers"),
    ({INVOICES: "envelope-url-absolute"}, "/v1/invoices"),
    ({CHECKOUT_SESSIONS: "cursor-inclusive"}, "/v1/checkout/sessions"),
])
def test_a_fault_per_operation_changes_that_operation_only(faults: dict[str, str], broken: str,
                                                           correct_answers: dict[str, list[tuple[int, str]]]) -> None:
    with start_background(ReferenceConfig(api_key=KEY, seed=SEED, faults=faults)) as faulty:
        for path, expected in correct_answers.items():
            if path == broken:
                assert _answers(faulty, path) != expected, path
            else:
                assert _answers(faulty, path) == expected, path


def test_the_bare_fault_still_means_checkout_sessions(correct_answers: dict[str, list[tuple[int, str]]]) -> None:
    with start_background(ReferenceConfig(api_key=KEY, seed=SEED, fault="oldest-first")) as faulty:
        assert _answers(faulty, "/v1/checkout/sessions") != correct_answers["/v1/checkout/sessions"]
        assert _answers(faulty, "/v1/customers") == correct_answers["/v1/customers"]
        assert _answers(faulty, "/v1/invoices") == correct_answers["/v1/invoices"]


def test_the_filter_ignored_fault_serves_other_emails(server: RunningServer) -> None:
    with start_background(ReferenceConfig(api_key=KEY, seed=SEED, faults={CUSTOMERS: "filter-ignored"})) as faulty:
        data = _get(faulty, "/v1/customers", {"email": "shared@example.com", "limit": 10}).json()["data"]
        assert {c["email"] for c in data} != {"shared@example.com"}


def test_every_generic_fault_can_be_injected_where_it_acts() -> None:
    resources = family_resources()
    for fault in FAULTS.values():
        for key, resource in resources.items():
            acts = key == CHECKOUT_SESSIONS or (fault.generic and (
                fault.needs is None or (fault.needs == "filter" and bool(resource.filters))
                or (fault.needs == "partition" and resource.partition is not None)))
            if ":status-" in fault.name:
                acts = acts and fault.name.rsplit("status-", 1)[1] in (resource.partition_values or ())
            if acts:
                decisions_for(fault.name, resource)
            else:
                with pytest.raises(ValueError, match=f"cannot be injected into {key}"):
                    decisions_for(fault.name, resource)


def test_checkout_only_faults_are_the_session_field_faults() -> None:
    checkout_only = {name for name, fault in FAULTS.items() if not fault.generic and fault.parent is None}
    assert {"currency-uppercase", "payment-status-hyphenated", "amounts-major-units", "metadata-dropped",
            "filter-complete-means-paid", "status-completed"} <= checkout_only
    assert not {"cursor-inclusive", "limit-off-by-one", "no-auth", "envelope-url-missing", "errors-plain-text",
                "unknown-param-filters", "version-unknown-ignored", "filter-ignored"} & checkout_only


@pytest.mark.parametrize(("faults", "says"), [
    ({INVOICES: "currency-uppercase"}, "checkout-session fields"),
    ({"GET /v1/charges": "cursor-inclusive"}, "serves no operation"),
    ({CUSTOMERS: "filter-invalid-404"}, "enum (partition) filter"),
    ({INVOICES: "no-such-fault"}, "Unknown fault"),
])
def test_config_refuses_a_fault_where_it_cannot_act(faults: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        ReferenceConfig(api_key=KEY, faults=faults)


def test_config_refuses_two_faults_for_checkout_sessions() -> None:
    with pytest.raises(ValueError, match="one per operation"):
        ReferenceConfig(api_key=KEY, fault="cursor-inclusive", faults={CHECKOUT_SESSIONS: "oldest-first"})


@pytest.mark.parametrize(("argv", "says"), [
    (["--fault", "cursor-inclusive@v1/invoices"], "--fault takes NAME or NAME@/path"),
    (["--fault", "@/v1/invoices"], "--fault takes NAME or NAME@/path"),
    (["--fault", "cursor-inclusive@/v1/charges"], "the reference serves no /v1/charges"),
    (["--fault", "currency-uppercase@/v1/invoices"], "served on GET /v1/checkout/sessions only"),
    (["--fault", "status-case-lenient@/v1/customers"], "enum (partition) filter"),
    (["--fault", "nope@/v1/invoices"], "Unknown fault 'nope'"),
    (["--fault", "oldest-first@/v1/invoices", "--fault", "ties-unstable@/v1/invoices"], "one per operation"),
    (["--fault", "oldest-first", "--fault", "ties-unstable@/v1/checkout/sessions"], "one per operation"),
])
def test_serve_refuses_a_bad_fault_with_one_sentence(argv: list[str], says: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and err.startswith("checkout-conformance: ")
    assert "Traceback" not in err


def test_list_faults_says_where_each_fault_can_be_injected(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults"]) == 0
    scope = {line.split("\t")[0]: line.split("\t")[2] for line in capsys.readouterr().out.splitlines()}
    assert scope["cursor-inclusive"] == "generic" and scope["cursor-inclusive:forward"] == "generic"
    assert scope["filter-ignored"] == "generic:filter"
    assert scope["filter-invalid-404"] == "generic:partition"
    assert scope["currency-uppercase"] == "checkout"
    assert set(scope) == set(FAULTS)


# -- every generic fault acts where it may be injected ----------------------------------------------
def _decide(table: Any, store: Any, resource: Any, params: Any, headers: dict[str, str]) -> tuple[Any, ...]:
    """One request decided in-process (its own context, as each request of the app): (status, body)."""
    import contextvars

    from starlette.datastructures import Headers, QueryParams

    from conformance.reference.decisions import run_list_json
    from conformance.reference.errors import ApiError, encode_json
    from conformance.reference.faults._base import DropConnection

    def decide() -> tuple[Any, ...]:
        try:
            return (200, run_list_json(table, store, Headers(headers), QueryParams(params), KEY, ("2026-11-01",),
                                       resource))
        except ApiError as exc:
            return (exc.status, encode_json(exc.body()), sorted(exc.headers.items()))
        except DropConnection:
            return ("dropped",)
        except Exception as exc:  # a fault that crashes: the app answers 500
            return (500, type(exc).__name__)

    return contextvars.copy_context().run(decide)


def _all_answers(table: Any, store: Any, resource: Any, items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Answers to the kinds of request the suite sends: bounds and garbage, cursors, walks both ways
    (filtered too), auth and version variants, unknown and repeated parameters."""
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
    answers = []
    requests_: list[tuple[Any, dict[str, str]]] = [([], auth)]
    for limit in ("1", "3", "30", "100", "0", "101", "abc", "1.5", "", "1e1", "99999999999999999999999"):
        requests_.append(([("limit", limit)], auth))
    requests_ += [([("starting_after", "nope")], auth), ([("ending_before", "nope")], auth),
                  ([("starting_after", items[3]["id"]), ("ending_before", items[1]["id"])], auth),
                  ([("expand[]", "x")], auth), ([("foo", "bar")], auth), ([("limit", "5"), ("limit", "1000")], auth),
                  ([], {**auth, "X-API-Version": "2026-11-01"}), ([], {**auth, "X-API-Version": "nope"})]
    for header in ({}, {"Authorization": "Basic " + base64.b64encode(b"sk_test_other:").decode()},
                   {"Authorization": "Basic " + base64.b64encode(f"{KEY}x:".encode()).decode()},
                   {"Authorization": "Basic " + base64.b64encode(f":{KEY}".encode()).decode()},
                   {"Authorization": "Basic a b"}, {"Authorization": "Basic !!!"}):
        requests_ += [([("limit", "2")], auth), ([("limit", "2")], header)]
    filters: list[list[tuple[str, str]]] = [[]]
    if resource.partition:
        for value in (*resource.partition_values, "OPEN", "bogus", ""):
            requests_.append(([(resource.partition, value), ("limit", "100")], auth))
        requests_.append(([(resource.partition, v) for v in resource.partition_values[:2]], auth))
        filters += [[(resource.partition, v)] for v in resource.partition_values]
    for name in resource.equality:
        values = [i[name] for i in items]
        filters.append([(name, max(values, key=values.count))])
    answers += [_decide(table, store, resource, params, headers) for params, headers in requests_]
    for where in filters:
        for limit in ("1", "2", "7", "30"):
            for backward in (False, True):
                cursor: list[tuple[str, str]] = [("ending_before", items[-1]["id"])] if backward else []
                for _ in range(70):
                    answer = _decide(table, store, resource, [*where, ("limit", limit), *cursor], auth)
                    answers.append(answer)
                    body = json.loads(answer[1]) if answer[0] == 200 else {}
                    data = body.get("data") if isinstance(body, dict) else None
                    if not isinstance(data, list) or not data or body.get("has_more") is not True:
                        break
                    cursor = [("ending_before", data[0]["id"])] if backward else [("starting_after", data[-1]["id"])]
        if where:  # a cursor the filter excludes
            other = next(i for i in items[5:] if any(i[k] != v for k, v in where))
            for param in ("starting_after", "ending_before"):
                answers.append(_decide(table, store, resource, [*where, ("limit", "3"), (param, other["id"])], auth))
    return answers


def test_every_generic_fault_changes_the_answers_of_each_operation_it_may_be_injected_into() -> None:
    from conformance.reference.app import family_stores
    from conformance.reference.faults import applicable

    stores = family_stores(ReferenceConfig(api_key=KEY, seed=SEED))
    for key in (CUSTOMERS, INVOICES):
        resource, store = family_resources()[key], stores[key]
        items = store.all_items()
        correct = _all_answers(decisions_for(None, resource), store, resource, items)
        inert = [name for name, fault in FAULTS.items() if applicable(fault, resource) is None
                 and _all_answers(decisions_for(name, resource), store, resource, items) == correct]
        assert not inert, f"{key}: these faults change nothing there: {inert}"
