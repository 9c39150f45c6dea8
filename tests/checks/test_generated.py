"""Generated requests: schema validation, the SCH-* judgements, and the probe's manners.

Judgements are tested on hand-made exchanges; the probe against a stub HTTP server
(which records every method it sees) and once against the reference server.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import random
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

REPO = Path(__file__).resolve().parents[2]
# Run from a checkout without `pip install -e .`: make the package importable.
if importlib.util.find_spec("conformance") is None:
    sys.path.insert(0, str(REPO))

from conformance.checks import generated, generation, schema_responses  # noqa: E402
from conformance.checks.base import ProbeContext, Record, RunContext  # noqa: E402
from conformance.checks.generated import (  # noqa: E402
    Kind,
    classify,
    judge_generated_schema,
    judge_invalid_rejected,
    judge_valid_accepted,
    probe_generated,
)
from conformance.checks.generation import NEGATIVE_TAG, PLAIN_TAG, POSITIVE_TAG, generate_requests  # noqa: E402
from conformance.checks.schema_responses import judge_response_schema  # noqa: E402
from conformance.checks.schema_validation import validation_errors, validator_for  # noqa: E402
from conformance.exchange import Exchange  # noqa: E402
from conformance.profiles import PROFILES  # noqa: E402
from conformance.record.client import Client, ClientSettings  # noqa: E402
from conformance.spec import Spec, default_spec  # noqa: E402
from conformance.verdicts import Finding, Outcome  # noqa: E402
from tests.support.scripted import loopback  # noqa: E402

VERSION = "2026-11-01"
KEY = "sk_test_generated_suite_key"


# -- helpers ------------------------------------------------------------------------------------
def session(i: int = 1, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"cs_test_{i}", "object": "checkout.session", "status": "open", "created": 1_700_000_000 + i,
        "expires_at": 1_700_086_400 + i, "livemode": False, "mode": "payment", "payment_status": "unpaid",
        "amount_total": 1000, "currency": "usd", "metadata": {}, "customer_details": None,
    }
    item.update(overrides)
    return item


def page(*items: dict[str, Any], has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": list(items), "has_more": has_more, "url": "/v1/checkout/sessions",
            "next_cursor": None}


def exchange(seq: int, query: list[tuple[str, str]], status: int | None = 200, body: Any = None,
             tag: str = POSITIVE_TAG, headers: dict[str, str] | None = None, error: str | None = None) -> Exchange:
    if body is None and status == 200:
        body = page(session())
    if body is None and status is not None and status >= 400:
        body = {"error": {"type": "invalid_request_error", "message": "no"}}
    return Exchange(seq=seq, tag=tag, path="/v1/checkout/sessions", query=query, request_headers=headers or {},
                    status=status, response_headers={"content-type": "application/json"},
                    body=json.dumps(body) if body is not None else "", error=error)


def run_context(api_version: str | None = VERSION, seed: int = 1) -> RunContext:
    return RunContext(PROFILES["quick"], api_version, True, seed)


def outcomes(judge: Any, exchanges: list[Exchange], spec: Spec, api_version: str | None = VERSION
             ) -> dict[str, Outcome]:
    return {o.requirement: o for o in judge(Record(exchanges), run_context(api_version), spec)}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return default_spec()


# -- schema validation --------------------------------------------------------------------------
def test_valid_page_has_no_errors(spec: Spec) -> None:
    assert validation_errors(spec, page(session(1), session(2))) == []


def test_item_type_error_reads_like_a_path(spec: Spec) -> None:
    body = page(session(1), session(2), session(3), session(4, amount_total="abc"))
    errors = validation_errors(spec, body)
    assert [e.message for e in errors] == ["data[3].amount_total: 'abc' is not of type 'integer', 'null'"]
    assert errors[0].in_item and errors[0].item == 3 and errors[0].is_type_error
    assert errors[0].path == "data[3].amount_total"


def test_envelope_and_item_errors_are_split(spec: Spec) -> None:
    body = page(session(1, livemode="no"))
    del body["url"]
    body["has_more"] = "yes"
    errors = validation_errors(spec, body)
    envelope = {e.path or e.field: e for e in errors if not e.in_item}
    assert set(envelope) == {"url", "has_more"}
    assert envelope["url"].keyword == "required"
    assert [e.path for e in errors if e.in_item] == ["data[0].livemode"]


def test_one_of_reports_the_real_cause(spec: Spec) -> None:
    body = page(session(1, customer_details={"address": 5}, shipping_details={"address": {"city": 4}}))
    messages = sorted(e.message for e in validation_errors(spec, body))
    assert messages == [
        "data[0].customer_details.address: 5 is not of type 'object', 'null'",
        "data[0].shipping_details.address.city: 4 is not of type 'string', 'null'",
    ]


def test_validator_is_compiled_once(spec: Spec) -> None:
    assert validator_for(spec) is validator_for(default_spec())


# -- judgements on hand-made exchanges ----------------------------------------------------------
def test_correct_responses_hold(spec: Spec) -> None:
    exchanges = [
        exchange(0, [("limit", "5")]),
        exchange(1, [("status", "open")], headers={"X-API-Version": VERSION}),
        exchange(2, [("limit", "0")], status=400, tag=NEGATIVE_TAG),
        exchange(3, [("status", "bogus")], status=400, tag=NEGATIVE_TAG),
        exchange(4, [("starting_after", "zzz")], status=404),
    ]
    for judge, req in ((judge_generated_schema, "SCH-001"), (judge_valid_accepted, "SCH-002"),
                       (judge_invalid_rejected, "SCH-003")):
        assert outcomes(judge, exchanges, spec)[req].finding == Finding.HELD, req
    schema = outcomes(judge_response_schema, exchanges, spec)
    assert schema["ENV-003"].finding == schema["OBJ-005"].finding == Finding.HELD


def test_server_error_on_a_valid_request_fails_sch_002(spec: Spec) -> None:
    found = outcomes(judge_valid_accepted, [exchange(0, [("limit", "20")], status=500)], spec)["SCH-002"]
    assert found.finding == Finding.VIOLATED
    assert found.evidence[0].exchanges == [0]


def test_400_for_a_valid_request_fails_sch_002(spec: Spec) -> None:
    found = outcomes(judge_valid_accepted, [exchange(7, [("limit", "100"), ("status", "expired")], status=400)],
                     spec)["SCH-002"]
    assert found.finding == Finding.VIOLATED and found.evidence[0].exchanges == [7]


@pytest.mark.parametrize("query", [[("limit", "0")], [("limit", "101")], [("limit", "abc")], [("limit", "1.5")],
                                   [("limit", "")], [("status", "bogus")],
                                   [("limit", "0"), ("starting_after", "random")]])
def test_200_for_an_invalid_request_fails_sch_003(spec: Spec, query: list[tuple[str, str]]) -> None:
    found = outcomes(judge_invalid_rejected, [exchange(3, query, tag=NEGATIVE_TAG)], spec)["SCH-003"]
    assert found.finding == Finding.VIOLATED
    assert found.evidence[0].exchanges == [3]


def test_wrong_type_in_a_body_fails_sch_001_and_obj_005(spec: Spec) -> None:
    bad = exchange(4, [("limit", "3")], body=page(session(1), session(2, created="yesterday")))
    sch = outcomes(judge_generated_schema, [bad], spec)["SCH-001"]
    assert sch.finding == Finding.VIOLATED
    assert "data[1].created" in sch.evidence[0].message and sch.evidence[0].exchanges == [4]
    schema = outcomes(judge_response_schema, [bad], spec)
    assert schema["OBJ-005"].finding == Finding.VIOLATED
    assert "data[1].created: 'yesterday' is not of type 'integer'" in schema["OBJ-005"].evidence[0].message
    assert schema["ENV-003"].finding == Finding.HELD


def test_envelope_errors_fail_env_003_on_any_tag(spec: Spec) -> None:
    body = page(session(1))
    body["has_more"] = "no"
    del body["url"]
    walk = exchange(9, [("limit", "7")], body=body, tag="walk:7")
    found = outcomes(judge_response_schema, [walk], spec)["ENV-003"]
    assert found.finding == Finding.VIOLATED and found.evidence[0].exchanges == [9]
    assert "has_more" in found.evidence[0].actual and "url" in found.evidence[0].actual


def test_object_and_next_cursor_are_left_to_envelope_shape(spec: Spec) -> None:
    body = page(session(1))
    body["object"] = "lists"
    body["next_cursor"] = 5
    found = outcomes(judge_response_schema, [exchange(0, [], body=body, tag="walk:7")], spec)
    assert found["ENV-003"].finding == Finding.HELD
    # ...but a generated 200 must validate as a whole.
    sch = outcomes(judge_generated_schema, [exchange(0, [], body=body)], spec)["SCH-001"]
    assert sch.finding == Finding.VIOLATED


def test_non_json_200_fails_sch_001(spec: Spec) -> None:
    broken = exchange(0, [("limit", "2")])
    broken.body = "<html>oops</html>"
    assert outcomes(judge_generated_schema, [broken], spec)["SCH-001"].finding == Finding.VIOLATED


def test_429_and_transport_failures_are_inconclusive(spec: Spec) -> None:
    throttled = [exchange(0, [("limit", "5")], status=429), exchange(1, [("limit", "0")], status=429)]
    failed = [exchange(0, [("limit", "5")], status=None, error="connection failed (refused)"),
              exchange(1, [("limit", "0")], status=None, error="connection failed (refused)")]
    for exchanges in (throttled, failed):
        for judge, req in ((judge_valid_accepted, "SCH-002"), (judge_invalid_rejected, "SCH-003"),
                           (judge_generated_schema, "SCH-001")):
            assert outcomes(judge, exchanges, spec)[req].finding == Finding.INCONCLUSIVE, (req, exchanges)


def test_no_generated_exchange_is_inconclusive(spec: Spec) -> None:
    walk_only = [exchange(0, [("limit", "5")], tag="walk:7")]
    for judge, req in ((judge_generated_schema, "SCH-001"), (judge_valid_accepted, "SCH-002"),
                       (judge_invalid_rejected, "SCH-003")):
        found = outcomes(judge, walk_only, spec)[req]
        assert found.finding == Finding.INCONCLUSIVE and found.reason
    assert outcomes(judge_response_schema, [], spec)["ENV-003"].finding == Finding.INCONCLUSIVE


# -- classification -----------------------------------------------------------------------------
def kind_of(query: list[tuple[str, str]], headers: dict[str, str] | None = None,
            api_version: str | None = VERSION) -> Kind:
    return classify(exchange(0, query, headers=headers), api_version, ("open", "complete", "expired")).kind


@pytest.mark.parametrize(("query", "headers", "kind"), [
    ([], None, Kind.VALID),
    ([("limit", "1")], None, Kind.VALID),
    ([("limit", "100"), ("status", "complete")], {"x-api-version": VERSION}, Kind.VALID),
    # Random cursors are unknown ids: a 4xx is correct.
    ([("starting_after", "\u00e9x")], None, Kind.UNJUDGED),
    ([("limit", "5"), ("ending_before", "")], None, Kind.UNJUDGED),
    # Unknown parameters may be ignored or rejected.
    ([("limit", "5"), ("expand", "x")], None, Kind.UNJUDGED),
    ([("", "null")], None, Kind.UNJUDGED),
    # Repeated parameters: the server may read either copy.
    ([("limit", "5"), ("limit", "6")], None, Kind.UNJUDGED),
    ([("limit", "5"), ("limit", "abc")], None, Kind.UNJUDGED),
    # Unknown or empty versions may be refused.
    ([("limit", "5")], {"X-API-Version": "1999-01-01"}, Kind.UNJUDGED),
    ([("limit", "5")], {"X-API-Version": ""}, Kind.UNJUDGED),
    # A lenient parser may fairly accept these.
    ([("limit", "007")], None, Kind.UNJUDGED),
    ([("limit", "5.0")], None, Kind.UNJUDGED),
    ([("status", "OPEN")], None, Kind.UNJUDGED),
    # Invalid whatever else the request carries.
    ([("limit", "0")], None, Kind.INVALID),
    ([("limit", "-1")], None, Kind.INVALID),
    ([("limit", "17179869183")], None, Kind.INVALID),
    ([("limit", "true"), ("limit", "")], None, Kind.INVALID),
    ([("limit", "abc"), ("starting_after", "x"), ("foo", "1")], {"X-API-Version": "x"}, Kind.INVALID),
    ([("status", "")], None, Kind.UNJUDGED),  # an empty status may be read as no filter
    ([("status", "paid"), ("limit", "3")], None, Kind.INVALID),
])
def test_classification(query: list[tuple[str, str]], headers: dict[str, str] | None, kind: Kind) -> None:
    assert kind_of(query, headers) == kind


def test_version_header_without_a_supported_version_is_unjudged() -> None:
    assert kind_of([], {"X-API-Version": VERSION}, api_version=None) == Kind.UNJUDGED
    assert kind_of([], None, api_version=None) == Kind.VALID


def test_unjudged_requests_do_not_count_for_sch_002(spec: Spec) -> None:
    exchanges = [exchange(0, [("starting_after", "random")], status=400),
                 exchange(1, [("limit", "5"), ("foo", "bar")], status=400),
                 exchange(2, [], status=400, headers={"X-API-Version": "nope"})]
    assert outcomes(judge_valid_accepted, exchanges, spec)["SCH-002"].finding == Finding.SKIPPED
    assert outcomes(judge_invalid_rejected, exchanges, spec)["SCH-003"].finding == Finding.SKIPPED


# -- the probe ----------------------------------------------------------------------------------
class _Stub(BaseHTTPRequestHandler):
    """Answers every GET with one fixed valid page; records every request line."""

    seen: ClassVar[list[tuple[str, str, str | None]]] = []
    body = json.dumps(page(session(1), session(2))).encode()

    def _answer(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization")))
        status = 200 if self.command == "GET" else 405
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

    def log_message(self, format: str, *args: Any) -> None:  # silence the per-request log
        pass


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    with loopback(_Stub) as base_url:
        yield base_url


def run_probe(base_url: str, spec: Spec, seed: int, api_version: str | None = VERSION) -> Client:
    client = Client(base_url, KEY, ClientSettings(timeout=2.0))
    probe_generated(ProbeContext(client, run_context(api_version, seed), spec, random.Random(seed)))
    client.close()
    return client


def test_probe_sends_only_gets_with_the_clients_auth(stub: str, spec: Spec) -> None:
    _Stub.seen.clear()
    client = run_probe(stub, spec, seed=11)
    assert client.transcript, "the probe sent nothing"
    assert {e.method for e in client.transcript} == {"GET"}
    assert {e.tag for e in client.transcript} == {POSITIVE_TAG, NEGATIVE_TAG, PLAIN_TAG}
    assert all(e.answered for e in client.transcript)
    assert {method for method, _, _ in _Stub.seen} == {"GET"}
    assert len(_Stub.seen) == len(client.transcript)
    # Generated Authorization values are dropped: every request carries the key, as Basic.
    basic = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert {auth for _, _, auth in _Stub.seen} == {basic}
    assert all("authorization" not in {k.lower() for k in e.request_headers} for e in client.transcript)


def test_same_seed_same_requests(stub: str, spec: Spec) -> None:
    def sent(client: Client) -> list[tuple[str, list[tuple[str, str]], dict[str, str]]]:
        return [(e.tag, e.query, e.request_headers) for e in client.transcript]

    first, second = run_probe(stub, spec, seed=5), run_probe(stub, spec, seed=5)
    assert sent(first) == sent(second)
    assert [(r.tag, list(r.query)) for r in generate_requests(spec, 5, PROFILES["quick"].generated_examples)] == \
        [(tag, query) for tag, query, _ in sent(first)]
    other = generate_requests(spec, 6, PROFILES["quick"].generated_examples)
    assert [(r.tag, list(r.query)) for r in other] != [(tag, query) for tag, query, _ in sent(first)]


def test_generated_queries_cover_both_kinds(spec: Spec) -> None:
    requests_ = generate_requests(spec, 2, 25)
    names = {name for r in requests_ for name, _ in r.query}
    assert {"limit", "status"} <= names
    kinds = {classify(Exchange(0, r.tag, "/", list(r.query), request_headers=dict(r.headers)), VERSION,
                      spec.enum_of("status")).kind for r in requests_}
    assert {Kind.VALID, Kind.INVALID} <= kinds
    for r in requests_:
        for name, value in r.headers:
            value.encode("latin-1")
            assert name.lower() != "authorization"


def test_transport_failure_stops_the_probe(spec: Spec) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = run_probe(f"http://127.0.0.1:{port}", spec, seed=1)
    assert 1 <= len(client.transcript) <= client.settings.failures_before_down
    assert all(e.error for e in client.transcript)
    for judge, req in ((judge_generated_schema, "SCH-001"), (judge_valid_accepted, "SCH-002"),
                       (judge_invalid_rejected, "SCH-003")):
        assert outcomes(judge, client.transcript, spec)[req].finding == Finding.INCONCLUSIVE, req


def test_a_probe_cut_short_is_inconclusive_not_skipped(spec: Spec) -> None:
    # Only valid requests answered, then the target stopped: the invalid ones were never sent.
    exchanges = [exchange(0, [("limit", "5")]),
                 exchange(1, [("starting_after", "x")], status=None, error="no response within 1 s")]
    assert outcomes(judge_invalid_rejected, exchanges, spec)["SCH-003"].finding == Finding.INCONCLUSIVE
    assert outcomes(judge_valid_accepted, exchanges, spec)["SCH-002"].finding == Finding.HELD


def test_reference_server_conforms(spec: Spec) -> None:
    from conformance.reference.server import ReferenceConfig, start_background

    with start_background(ReferenceConfig(api_key=KEY)) as server:
        client = run_probe(server.base_url, spec, seed=3, api_version=server.config.api_versions[0])
    record, run = Record(client.transcript), run_context(server.config.api_versions[0], 3)
    results = [o for check in (*generated.CHECKS, *schema_responses.CHECKS) for o in check.judge(record, run, spec)]
    assert {o.requirement: o.finding for o in results} == {
        "SCH-001": Finding.HELD, "SCH-002": Finding.HELD, "SCH-003": Finding.HELD,
        "ENV-003": Finding.HELD, "OBJ-005": Finding.HELD,
    }, [(o.requirement, o.reason) for o in results]


def test_cached_requests_equal_fresh_ones_and_are_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.generation_cache import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    spec = default_spec()
    fresh = generation.generate_requests(spec, 3, 5)
    assert generation.cached_requests(spec, 3, 5) == fresh
    assert len(list(tmp_path.glob("generated-*.json"))) == 1

    def must_not_generate(*_args: object) -> list[object]:
        raise AssertionError("generated again although cached")

    monkeypatch.setattr(generation, "generate_requests", must_not_generate)
    assert generation.cached_requests(spec, 3, 5) == fresh
