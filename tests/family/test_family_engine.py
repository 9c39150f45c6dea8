"""The engine of a family run (issue 24), piece by piece: the document seen from one operation
(conformance.spec.Spec.for_operation), probes that send to and read their own operation's path,
the filtered walks an operation's parameters give (conformance.checks.filters), lanes that run
each operation's reference walk beside the others', and the run's verdict as the worst over the
operations (conformance.judge.family). Hand-made documents and exchanges; no reference server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.catalog import default_catalog
from conformance.checks.base import Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.filters import absent_value, equality_value, walks_asked, walks_to_ask
from conformance.checks.schema_validation import validation_errors
from conformance.exchange import Exchange
from conformance.judge.family import combined, operation_verdicts, records_by_operation, tagged
from conformance.judge.judgement import conclude
from conformance.judge.pipeline import RunJudgement
from conformance.profiles import PROFILES
from conformance.record.client import Client
from conformance.run.lanes import probe_rng, run_probes
from conformance.spec import Spec, default_spec
from conformance.verdicts import Finding, RequirementVerdict, Verdict
from tests.family.test_operations import FAMILY
from tests.support.scripted import Reply, scripted_server

SPEC = Spec(path=Path("family-test.yaml"), document=FAMILY, sha256="family-test-document")
RUN = RunContext(PROFILES["quick"], None, True, 0)
KEY = "sk_test_FAMILY_ENGINE_0123"


def test_a_view_reads_its_own_operations_schemas_and_parameters() -> None:
    customers, invoices = SPEC.for_operation("/v1/customers"), SPEC.for_operation("/v1/invoices")
    assert customers.operation_key == "GET /v1/customers"
    assert (customers.list_schema_name, customers.item_schema_name) == ("CustomerList", "Customer")
    # The invoices' 200 schema is inline (allOf): a pointer into the document; its items a component.
    assert invoices.list_schema_name.startswith("#/paths/~1v1~1invoices/get/responses/200/")
    assert invoices.item_schema_name == "Invoice"
    assert invoices.enum_of("status") == ("draft", "open", "paid")
    assert customers.enum_of("status") == ()  # another operation's status is not this one's
    assert customers.declares("email") and not customers.declares("status")
    assert invoices.parameter("limit")["schema"]["maximum"] == 100  # path-level, through $ref
    # The shipped document's one operation reads as it always did.
    shipped = default_spec()
    assert (shipped.list_schema_name, shipped.item_schema_name) == ("CheckoutSessionList", "CheckoutSession")


def test_items_are_validated_against_their_own_operations_item_schema() -> None:
    customers, invoices = SPEC.for_operation("/v1/customers"), SPEC.for_operation("/v1/invoices")
    body = {"object": "list", "data": [{"id": 5, "email": None}], "has_more": False, "url": "/v1/customers"}
    assert [e.path for e in validation_errors(customers, body)] == ["data[0].id"]
    good = {"object": "list", "data": [{"id": "in_1", "status": "open", "customer": "cus_1"}], "has_more": False}
    assert not validation_errors(invoices, good)
    assert validation_errors(invoices, {**good, "data": [{"id": "in_1", "status": 3}]})


def test_a_probe_sends_to_its_operations_path_and_reads_only_that_paths_exchanges() -> None:
    seen: dict[str, list[str]] = {}

    def probe(ctx: ProbeContext) -> None:
        ctx.get("walk:100", [("limit", "1")])
        seen[ctx.spec.operation_path] = [e.path for e in ctx.record]

    with scripted_server(lambda _i, _r: Reply()) as target:
        client = Client(target.base_url, KEY)
        for path in ("/v1/customers", "/v1/invoices"):
            ProbeContext(client, RUN, SPEC.for_operation(path)).get("preflight")
            probe(ProbeContext(client, RUN, SPEC.for_operation(path)))
        client.close()
        received = [r.path.split("?")[0] for r in target.received]
    assert received == ["/v1/customers", "/v1/customers", "/v1/invoices", "/v1/invoices"]
    assert seen == {"/v1/customers": ["/v1/customers"] * 2, "/v1/invoices": ["/v1/invoices"] * 2}


def test_each_operations_reference_walk_runs_beside_the_others_and_alone_in_its_own() -> None:
    # The first walks of two operations meet at a barrier: only lanes running them at once get past
    # it (else it times out and the probe crashes). The second walk of customers must wait for its
    # first, though a lane is free.
    beside = threading.Barrier(2, timeout=10)
    running = {"/v1/customers": 0}
    overlap: list[bool] = []
    lock = threading.Lock()

    def customers(meet: bool) -> Callable[[ProbeContext], None]:
        def walk(ctx: ProbeContext) -> None:
            with lock:
                running["/v1/customers"] += 1
                overlap.append(running["/v1/customers"] > 1)
            if meet:
                beside.wait()
            ctx.get("walk")
            with lock:
                running["/v1/customers"] -= 1
        return walk

    def invoices(ctx: ProbeContext) -> None:
        beside.wait()
        ctx.get("walk")

    probes = [Probe("walk:100", "test", customers(True), order="first"),
              Probe("walk:7", "test", customers(False), order="first"),
              Probe("walk:100@/v1/invoices", "test", invoices, order="first")]
    paths = {"walk:100": "/v1/customers", "walk:7": "/v1/customers", "walk:100@/v1/invoices": "/v1/invoices"}
    with scripted_server(lambda _i, _r: Reply()) as target:
        client = Client(target.base_url, KEY)
        runs = run_probes(client, probes,
                          lambda p: ProbeContext(client, RUN, SPEC.for_operation(paths[p.name]), probe_rng(0, p)),
                          concurrency=3, group=lambda p: paths[p.name])
        client.close()
    assert [r.crashed for r in runs] == [None, None, None]
    assert overlap == [False, False]
    # Committed in probe order whatever the timing.
    assert [e.path for e in client.transcript] == ["/v1/customers", "/v1/customers", "/v1/invoices"]


def _page(seq: int, tag: str, path: str, items: list[dict[str, object]], **params: str) -> Exchange:
    body = {"object": "list", "data": items, "has_more": False, "url": path}
    exchange = Exchange(seq=seq, tag=tag, path=path, query=list(params.items()), auth="key")
    exchange.status, exchange.body = 200, json.dumps(body)
    exchange.response_headers = {"content-type": "application/json"}
    return exchange


def test_equality_walks_take_a_value_items_carry_and_one_none_carries() -> None:
    items = [{"id": f"cus_{n}", "email": email} for n, email in
             enumerate(["a@x.com", "shared@x.com", "b@x.com", "shared@x.com", None])]
    record = Record([_page(0, "walk:100", "/v1/customers", items, limit="100")])
    collection = Collection.from_record(record)
    assert equality_value(collection, "email") == "shared@x.com"
    carried = {i["email"] for i in items}
    absent = absent_value("shared@x.com", carried)
    assert absent == "zzzzzz@x.com" and absent not in carried
    assert absent_value("cus_9AbC", {"cus_zzzz"}) == "cus_yyyy"  # the prefix kept, a carried value avoided
    customers = SPEC.for_operation("/v1/customers")
    walks = walks_to_ask(customers, collection)
    assert [(w.tag, w.value, w.absent) for w in walks] == [
        ("filter:email:seen", "shared@x.com", False), ("filter:email:absent", "zzzzzz@x.com", True)]
    # Judging reads the values back from what was sent, never re-picking them.
    sent = Record([_page(1, "filter:email:seen", "/v1/customers", [], email="other@x.com")])
    assert [(w.tag, w.value) for w in walks_asked(customers, sent)] == [("filter:email:seen", "other@x.com")]
    # Partitions first, their tags as checkout sessions' always were for `status`.
    invoices = walks_to_ask(SPEC.for_operation("/v1/invoices"), Collection.from_record(Record([])))
    assert [w.tag for w in invoices][:3] == ["filter:draft", "filter:open", "filter:paid"]


def test_each_operations_record_keeps_the_transcripts_numbers() -> None:
    exchanges = [_page(0, "walk:100", "/v1/customers", []), _page(1, "walk:100", "/v1/invoices", []),
                 _page(2, "walk:7", "/v1/invoices", [])]
    split = records_by_operation(Record(exchanges), ["GET /v1/customers", "GET /v1/invoices"])
    invoices = split["GET /v1/invoices"]
    assert [e.seq for e in invoices] == [1, 2]
    assert invoices.by_seq(2).tag == "walk:7" and invoices.by_seq(1).tag == "walk:100"


def _judgement(verdicts: list[tuple[str, Verdict]]) -> RunJudgement:
    catalog = default_catalog()
    judged = [RequirementVerdict(r, catalog[r].level, v, f"{r} {v.value}", [], [], exchanges=[0] if v == Verdict.PASS
                                 else []) for r, v in verdicts]
    return RunJudgement(judged, [], conclude(judged, catalog, strict=False), {})


@pytest.mark.parametrize(("second", "worst"), [
    (Verdict.PASS, "conformant"), (Verdict.INCONCLUSIVE, "inconclusive"), (Verdict.ERROR, "error"),
    (Verdict.FAIL, "nonconformant"),
])
def test_the_runs_verdict_is_the_worst_over_the_operations_and_names_it(second: Verdict, worst: str) -> None:
    first = tagged(_judgement([("PAG-001", Verdict.PASS), ("PAG-004", Verdict.PASS)]), "GET /v1/customers")
    other = tagged(_judgement([("PAG-001", Verdict.PASS), ("PAG-004", second)]), "GET /v1/invoices")
    whole = combined([("GET /v1/customers", first), ("GET /v1/invoices", other)])
    assert whole.conclusion.verdict == worst
    assert [(v.operation, v.requirement) for v in whole.conclusion.verdicts] == [
        ("GET /v1/customers", "PAG-001"), ("GET /v1/customers", "PAG-004"),
        ("GET /v1/invoices", "PAG-001"), ("GET /v1/invoices", "PAG-004")]
    if worst == "conformant":
        assert whole.conclusion.reason == ""
    else:
        assert "GET /v1/invoices" in whole.conclusion.reason and "GET /v1/customers" not in whole.conclusion.reason
    # One operation: its own judgement, untouched (today's runs).
    assert combined([("GET /v1/customers", first)]) is first


def test_each_operations_verdict_is_folded_over_its_own_verdicts_in_the_runs_order() -> None:
    def verdict(requirement: str, level: str, kind: Verdict, operation: str) -> RequirementVerdict:
        return RequirementVerdict(requirement, level, kind, "", [], [], operation=operation)

    verdicts = [verdict("PAG-001", "MUST", Verdict.PASS, "GET /v1/invoices"),
                verdict("PAG-010", "SHOULD", Verdict.WARN, "GET /v1/invoices"),
                verdict("PAG-001", "MUST", Verdict.FAIL, "GET /v1/refunds"),
                verdict("PAG-001", "MUST", Verdict.PASS, "GET /v1/customers")]
    lenient = operation_verdicts(verdicts, ["GET /v1/customers", "GET /v1/invoices", "GET /v1/products"], False)
    # The run's operations in its order (one without verdicts judged inconclusive), then any other named.
    assert [(o.operation, o.verdict) for o in lenient] == [
        ("GET /v1/customers", "conformant"), ("GET /v1/invoices", "conformant"),
        ("GET /v1/products", "inconclusive"), ("GET /v1/refunds", "nonconformant")]
    assert lenient[1].counts == {Verdict.PASS: 1, Verdict.WARN: 1}
    assert [v.requirement for v in lenient[1].verdicts] == ["PAG-001", "PAG-010"]
    # Under --strict a failed SHOULD fails its operation, and only that one.
    strict = operation_verdicts(verdicts, ["GET /v1/customers", "GET /v1/invoices"], True)
    assert [(o.operation, o.verdict) for o in strict] == [
        ("GET /v1/customers", "conformant"), ("GET /v1/invoices", "nonconformant"),
        ("GET /v1/refunds", "nonconformant")]


def test_a_reason_every_operation_shares_is_not_pinned_on_the_first_one() -> None:
    # Review of issue 24: a usage error found on invoices (named in its own words) was reported as
    # "GET /v1/customers: ... answered 404 to GET /v1/invoices", the first operation's.
    catalog = default_catalog()
    why = "http://t answered 404 Not Found to GET /v1/invoices: the target does not serve it"

    def aborted(key: str) -> RunJudgement:
        judged = [RequirementVerdict("PAG-001", "MUST", Verdict.INCONCLUSIVE, why, [], [])]
        return tagged(RunJudgement(judged, [], conclude(judged, catalog, strict=False, aborted=why), {}), key)

    whole = combined([("GET /v1/customers", aborted("GET /v1/customers")),
                      ("GET /v1/invoices", aborted("GET /v1/invoices"))])
    assert whole.conclusion.verdict == "inconclusive"
    assert not whole.conclusion.reason.startswith("GET /v1/customers")
    assert "GET /v1/invoices" in whole.conclusion.reason


def test_the_config_file_names_the_document_and_the_operations(tmp_path: Path) -> None:
    from conformance.cli import build_parser, run_options
    from conformance.config_file import parse_with_config

    config = tmp_path / "ci" / "conformance.toml"
    config.parent.mkdir()
    config.write_text('[tool.checkout-conformance]\nspec = "family.yaml"\noperation = ["GET /v1/customers"]\n')
    args = parse_with_config(build_parser(), ["run", "--config", str(config)])
    options = run_options(args)
    # A path in the file is read from the file's folder, as a reader of the file expects.
    assert options.spec_path == config.parent / "family.yaml"
    assert options.operations == ("GET /v1/customers",)


def test_a_probe_crashing_on_one_operation_blames_that_operations_requirements_only() -> None:
    from conformance.judge.family import own_failures, probe_name

    operations = ["GET /v1/checkout/sessions", "GET /v1/invoices"]
    failed = {probe_name("filter", "GET /v1/invoices"): "boom", probe_name("limits", operations[0]): "bang"}
    assert failed == {"filter@/v1/invoices": "boom", "limits": "bang"}
    assert own_failures(failed, "GET /v1/invoices", operations) == {"filter": "boom"}
    assert own_failures(failed, operations[0], operations) == {"limits": "bang"}
    assert own_failures(failed, operations[0], operations[:1]) == failed  # one operation: as always


def test_the_item_schema_of_an_allof_envelope_is_the_member_that_names_data_last() -> None:
    import copy

    document = copy.deepcopy(FAMILY)
    # A shared envelope whose own `data` items are loose; the operation's member narrows them.
    document["components"]["schemas"]["ListBase"]["properties"]["data"] = {"type": "array", "items": {}}
    invoices = Spec(Path("allof.yaml"), document, "allof-test-document").for_operation("/v1/invoices")
    assert invoices.item_schema_name == "Invoice"
    body = {"object": "list", "data": [{"id": "in_1", "status": 3}], "has_more": False}
    assert [e.path for e in validation_errors(invoices, body)] == ["data[0].status"]


def test_an_openapi_30_documents_nullable_fields_admit_null() -> None:
    import copy

    document = copy.deepcopy(FAMILY)
    document["openapi"] = "3.0.3"
    document["components"]["schemas"]["Customer"]["properties"]["email"] = {"type": "string", "nullable": True}
    document["components"]["schemas"]["Customer"]["properties"]["balance"] = {
        "type": "integer", "minimum": 0, "exclusiveMinimum": True}
    customers = Spec(Path("v30.yaml"), document, "openapi-30-test-document").for_operation("/v1/customers")
    page = {"object": "list", "has_more": False, "url": "/v1/customers"}
    assert not validation_errors(customers, {**page, "data": [{"id": "cus_1", "email": None, "balance": 1}]})
    # Still typed, and the bound still exclusive.
    errors = validation_errors(customers, {**page, "data": [{"id": "cus_1", "email": 5, "balance": 0}]})
    assert [e.path for e in errors] == ["data[0].balance", "data[0].email"]


def test_item_values_are_held_to_their_schemas_enum_pattern_and_bounds() -> None:
    import copy

    import yaml

    from conformance.checks.schema_responses import judge_response_schema

    # An OpenAPI 3.0 document written apart from the suite (the family variant's), with a maximum and a
    # 3.0 boolean exclusiveMinimum added to refunds' `amount` (minimum 0).
    document = yaml.safe_load((Path(__file__).parent.parent / "servers" / "family_variant.yaml").read_text())
    refunds = Spec(Path("variant.yaml"), document, "variant-document").for_operation("/v2/refunds")
    bounded = copy.deepcopy(document)
    bounded["components"]["schemas"]["Refund"]["properties"]["amount"].update(maximum=1000, exclusiveMinimum=True)
    exclusive = Spec(Path("bounded.yaml"), bounded, "bounded-document").for_operation("/v2/refunds")
    refund = {"id": "re_1", "object": "refund", "created": 1, "amount": 0, "currency": "usd", "charge": "ch_1",
              "status": "pending", "reason": None, "livemode": False}

    def obj_005(spec: Spec, **change: object) -> tuple[Finding, list[str]]:
        page = _page(0, "walk:100", "/v2/refunds", [{**refund, **change}])
        [outcome] = [o for o in judge_response_schema(Record([page]), RUN, spec) if o.requirement == "OBJ-005"]
        return outcome.finding, [e.actual for e in outcome.evidence]

    assert obj_005(refunds)[0] == Finding.HELD  # amount 0 is the minimum itself
    assert obj_005(exclusive, amount=1000)[0] == Finding.HELD  # the maximum itself
    for spec, change, said in [(refunds, {"amount": -1}, "data[0].amount: -1 is less than the minimum of 0"),
                               (exclusive, {"amount": 0}, "data[0].amount: 0 is less than or equal to"),
                               (exclusive, {"amount": 1001}, "data[0].amount: 1001 is greater than the maximum"),
                               (refunds, {"currency": "USD"}, "data[0].currency: 'USD' does not match"),
                               (refunds, {"reason": "bogus"}, "data[0].reason: 'bogus' is not one of")]:
        finding, actual = obj_005(spec, **change)
        assert finding == Finding.VIOLATED and any(said in a for a in actual), (change, actual)
    # The item's own `status` and `object` values are OBJ-003's and OBJ-002's, not reported twice.
    assert obj_005(refunds, status="bogus", object="charge")[0] == Finding.HELD


def test_the_reference_walk_asks_no_more_than_the_operations_maximum() -> None:
    import copy

    from conformance.checks.walks import largest_page

    document = copy.deepcopy(FAMILY)
    document["components"]["parameters"]["limit"]["schema"]["maximum"] = 50
    assert largest_page(Spec(Path("max50.yaml"), document, "max-50-document").for_operation("/v1/customers")) == 50
    assert largest_page(SPEC.for_operation("/v1/customers")) == 100
    assert largest_page(default_spec()) == 100


@pytest.mark.parametrize(("status", "items", "expected"), [
    (400, None, {"FLT-004": Finding.HELD, "FLT-005": Finding.VIOLATED}),  # refused, but no error object
    (200, ["cus_0", "cus_1"], {"FLT-004": Finding.HELD, "FLT-005": Finding.SKIPPED}),  # read as no filter
    (200, [], {"FLT-004": Finding.VIOLATED, "FLT-005": Finding.SKIPPED}),  # filtered on "": neither reading
])
def test_an_empty_equality_value_is_refused_or_read_as_no_filter(status: int, items: list[str] | None,
                                                                   expected: dict[str, Finding]) -> None:
    from conformance.checks.filtering import judge_invalid

    unfiltered = _page(0, "walk:default", "/v1/customers", [{"id": "cus_0"}, {"id": "cus_1"}])
    empty = _page(1, "filter:empty:email", "/v1/customers", [{"id": i} for i in items or []], email="")
    if items is None:
        empty.status, empty.body = status, "{}"
    outcomes = list(judge_invalid(Record([unfiltered, empty]), RUN, SPEC.for_operation("/v1/customers")))
    assert {o.requirement: o.finding for o in outcomes} == expected


def _bare_list_spec() -> Spec:
    """One list operation with `limit` and `starting_after` only: no filter, no `ending_before`."""
    import copy

    document = copy.deepcopy(FAMILY)
    operation = document["paths"]["/v1/customers"]["get"]
    operation["parameters"] = [p for p in operation["parameters"]
                               if p.get("name") in (None, "starting_after") or "$ref" in p]
    return Spec(Path("bare.yaml"), document, "bare-list-test-document").for_operation("/v1/customers")


def test_a_list_without_filters_or_ending_before_skips_the_rules_about_them() -> None:
    # Review of issue 24: such a list (a common shape) left ENV-005 inconclusive (exit 3 on a correct
    # server) and FLT-007 "too little data", as if more sessions would change anything.
    from conformance.checks.foreign_cursor import judge_foreign_cursor
    from conformance.checks.next_cursor import judge_next_cursor_everywhere

    spec = _bare_list_spec()
    assert not spec.filters and not spec.declares("ending_before") and spec.declares("starting_after")
    (env,) = judge_next_cursor_everywhere(Record([]), RUN, spec)
    (flt,) = judge_foreign_cursor(Record([]), RUN, spec)
    assert (env.requirement, env.finding, flt.requirement, flt.finding) == (
        "ENV-005", Finding.SKIPPED, "FLT-007", Finding.SKIPPED)
    assert not flt.lacks_data and "declares no filter" in flt.reason and "no ending_before" in env.reason
