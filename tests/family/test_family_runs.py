"""Whole runs over a family of list operations (issue 24): `run --spec family.yaml` judges every
list operation the document declares, against the reference family (conformance.reference.family).

Each test proves one promise of the issue: a correct family passes --strict with every verdict
naming its operation; a generic fault injected into one operation fails that operation alone
(the others' verdicts are those of the clean run); --operation picks operations; an operation the
document does not declare, or declares but not as a list, is a usage error (exit 2) before anything
is sent; a run without --spec sends what it always sent.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import main
from conformance.operations import CHECKOUT_SESSIONS
from conformance.profiles import PROFILES
from conformance.reference.server import ReferenceConfig, start_background
from conformance.resources import family_path
from conformance.run.runner import RunOptions, RunResult, run
from conformance.verdicts import Verdict

KEY = "sk_test_family_engine"
CUSTOMERS, INVOICES = "GET /v1/customers", "GET /v1/invoices"
FAILING = (Verdict.FAIL, Verdict.WARN, Verdict.ERROR, Verdict.INCONCLUSIVE)


def _run(base_url: str, **options: Any) -> RunResult:
    return run(RunOptions(base_url=base_url, api_key=KEY, profile=PROFILES["quick"], strict=True,
                          spec_path=family_path(), **options))


@pytest.fixture(scope="module")
def family() -> Iterator[str]:
    with start_background(ReferenceConfig(api_key=KEY)) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def clean(family: str) -> RunResult:
    return _run(family)


def _verdicts(result: RunResult, operation: str) -> dict[str, tuple[str, str]]:
    return {v.requirement: (v.verdict.value, v.reason) for v in result.verdicts if v.operation == operation}


def test_the_reference_family_passes_strict_on_every_operation(clean: RunResult) -> None:
    assert clean.operations == [CHECKOUT_SESSIONS, CUSTOMERS, INVOICES]
    assert clean.verdict == "conformant", clean.verdict_reason
    bad = [(v.operation, v.requirement, v.reason) for v in clean.verdicts if v.verdict in FAILING]
    assert not bad
    for operation in clean.operations:
        judged = _verdicts(clean, operation)
        # Every requirement is judged once per operation, and the generic ones really passed there.
        assert len(judged) == len(clean.catalog.requirements)
        for requirement in ("ENV-002", "PAG-001", "PAG-004", "LIM-001", "AUTH-001", "ERR-003", "FLT-001"):
            assert judged[requirement][0] == "pass", (operation, requirement, judged[requirement])
    # Probes went to each operation's own path.
    assert {e.path for e in clean.exchanges} == {"/v1/checkout/sessions", "/v1/customers", "/v1/invoices"}


def test_checkout_only_rules_are_skipped_elsewhere_with_the_reason(clean: RunResult) -> None:
    for operation in (CUSTOMERS, INVOICES):
        verdict, reason = _verdicts(clean, operation)["OBJ-011"]
        assert verdict == "skip" and CHECKOUT_SESSIONS in reason
    assert _verdicts(clean, CHECKOUT_SESSIONS)["OBJ-011"][0] == "pass"
    # Generated (Schemathesis) requests are drawn for checkout sessions only: no other path got one.
    generated = {e.path for e in clean.exchanges if e.tag.startswith("generated")}
    assert generated <= {"/v1/checkout/sessions"}


def test_the_equality_filter_is_walked_with_a_value_items_carry_and_one_none_carries(clean: RunResult) -> None:
    seen = [e for e in clean.exchanges if e.path == "/v1/customers" and e.tag == "filter:email:seen"]
    absent = [e for e in clean.exchanges if e.path == "/v1/customers" and e.tag == "filter:email:absent"]
    assert seen and absent
    value = seen[0].params["email"]
    listed = [i for e in seen for i in (e.json or {}).get("data", [])]
    assert len(listed) >= 2 and all(item["email"] == value for item in listed)
    assert absent[0].status == 200 and absent[0].page_ids == []
    assert _verdicts(clean, CUSTOMERS)["FLT-002"][0] == "pass"


def test_a_fault_in_one_operation_fails_that_operation_alone(clean: RunResult) -> None:
    with start_background(ReferenceConfig(api_key=KEY, faults={INVOICES: "cursor-inclusive"})) as server:
        faulty = _run(server.base_url)
    assert faulty.verdict == "nonconformant"
    assert INVOICES in faulty.verdict_reason
    failed = {(v.operation, v.requirement) for v in faulty.verdicts if v.verdict == Verdict.FAIL}
    assert {operation for operation, _ in failed} == {INVOICES}
    assert {"PAG-001", "PAG-004"} <= {requirement for _, requirement in failed}
    for operation in (CHECKOUT_SESSIONS, CUSTOMERS):
        assert {r: v for r, (v, _) in _verdicts(faulty, operation).items()} == \
            {r: v for r, (v, _) in _verdicts(clean, operation).items()}
    assert faulty.diagnosis and {c.operation for c in faulty.diagnosis} == {INVOICES}


def test_the_cli_exits_1_and_report_json_names_each_verdicts_operation(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(api_key=KEY, faults={CUSTOMERS: "filter-ignored"})) as server:
        code = main(["run", "--base-url", server.base_url, "--api-key", KEY, "--quiet", "--profile", "quick",
                     "--spec", str(family_path()), "--report-dir", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    assert code == 1
    assert all(entry["operation"] in (CHECKOUT_SESSIONS, CUSTOMERS, INVOICES) for entry in report["requirements"])
    failing = {(e["operation"], e["id"]) for e in report["requirements"] if e["verdict"] == "fail"}
    assert failing and {operation for operation, _ in failing} == {CUSTOMERS}
    assert (CUSTOMERS, "FLT-001") in failing


def test_operation_picks_the_operations_judged(family: str) -> None:
    result = _run(family, operations=("get /v1/invoices",))
    assert result.operations == [INVOICES]
    assert result.verdict == "conformant", result.verdict_reason
    assert {v.operation for v in result.verdicts} == {INVOICES}
    assert {e.path for e in result.exchanges} == {"/v1/invoices"}


@pytest.mark.parametrize(("wanted", "said"), [
    ("GET /v1/refunds", "is not declared by the document"),
    ("POST /v1/customers", "is not judged as a list: not a GET"),
    ("customers", "takes 'METHOD /path'"),
])
def test_an_operation_that_cannot_be_judged_is_a_usage_error_before_anything_is_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], wanted: str, said: str) -> None:
    document = yaml.safe_load(family_path().read_text())
    document["paths"]["/v1/customers"]["post"] = {
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}
    spec = tmp_path / "family-with-post.yaml"
    spec.write_text(yaml.safe_dump(document))
    # Nothing listens here: a run that sent anything would end in "cannot reach", exit 3.
    code = main(["run", "--base-url", "http://127.0.0.1:9", "--api-key", KEY, "--quiet", "--spec", str(spec),
                 "--operation", wanted, "--report-dir", str(tmp_path / "reports")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and said in err[0], err
    assert not (tmp_path / "reports" / "report.json").exists()


def test_a_left_out_operation_gets_one_line_saying_why(
        family: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = yaml.safe_load(family_path().read_text())
    document["paths"]["/v1/customers"]["post"] = {
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}
    spec = tmp_path / "family-with-post.yaml"
    spec.write_text(yaml.safe_dump(document))
    code = main(["run", "--base-url", family, "--api-key", KEY, "--profile", "quick", "--spec", str(spec),
                 "--report-dir", str(tmp_path / "reports")])
    said = capsys.readouterr()
    lines = (said.out + said.err).splitlines()
    assert code == 0
    assert [line for line in lines if "POST /v1/customers" in line] == [
        "left out: POST /v1/customers: not a GET: only list reads are judged (POST /v1/customers)"]
    # What was read of each operation judged, one line each, before the probes.
    assert "  GET /v1/invoices: filters status (partition), customer (equality)" in lines
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [o["operation"] for o in report["left_out"]] == ["POST /v1/customers"]


def test_an_operation_the_target_does_not_serve_is_a_usage_error_naming_it(family: str, tmp_path: Path) -> None:
    document = yaml.safe_load(family_path().read_text())
    # The reference serves no such path: its 404 there is this operation's, and only this one's.
    document["paths"]["/v1/refunds"] = copy.deepcopy(document["paths"]["/v1/customers"])
    document["paths"]["/v1/refunds"]["get"]["operationId"] = "listRefunds"
    spec = tmp_path / "family-with-refunds.yaml"
    spec.write_text(yaml.safe_dump(document))
    result = run(RunOptions(base_url=family, api_key=KEY, profile=PROFILES["quick"], spec_path=spec))
    assert result.aborted is not None and result.aborted.exit_code == 2
    assert "GET /v1/refunds" in str(result.aborted)


def test_a_run_without_spec_sends_what_the_same_operation_of_any_document_sends(family: str) -> None:
    # Checkout sessions judged from the shipped document (no --spec, today's run) and from the
    # family's document: the same requests in the same order, the same verdicts. Their
    # probes keep their names, so their random draws are today's (RNG per probe name).
    lines: list[str] = []
    default = run(RunOptions(base_url=family, api_key=KEY, profile=PROFILES["quick"], seed=5), progress=lines.append)
    chosen = _run(family, seed=5, operations=(CHECKOUT_SESSIONS,))
    assert default.operations == chosen.operations == [CHECKOUT_SESSIONS]
    assert [(e.tag, e.path, e.query) for e in default.exchanges] == \
        [(e.tag, e.path, e.query) for e in chosen.exchanges]
    assert [(v.requirement, v.verdict) for v in default.verdicts] == \
        [(v.requirement, v.verdict) for v in chosen.verdicts]
    assert not any("@" in line or line.startswith(("left out", "GET /")) for line in lines)


def test_an_operation_without_ending_before_is_neither_asked_with_it_nor_judged_on_it(
        family: str, tmp_path: Path) -> None:
    document = yaml.safe_load(family_path().read_text())
    operation = document["paths"]["/v1/customers"]["get"]
    operation["parameters"] = [p for p in operation["parameters"]
                               if p.get("$ref") != "#/components/parameters/EndingBefore"]
    spec = tmp_path / "customers-forward-only.yaml"
    spec.write_text(yaml.safe_dump(document))
    result = run(RunOptions(base_url=family, api_key=KEY, profile=PROFILES["quick"], strict=True, spec_path=spec,
                            operations=(CUSTOMERS,)))
    assert result.verdict == "conformant", result.verdict_reason
    declared = result.spec.for_operation("/v1/customers").list_operation.parameters
    assert "ending_before" not in {p["name"] for p in declared}
    assert not [e for e in result.exchanges if "ending_before" in e.params]
    verdicts = _verdicts(result, CUSTOMERS)
    for requirement in ("PAG-005", "PAG-006", "PAG-008", "PAG-012", "PAG-014"):
        assert verdicts[requirement] == ("skip", "GET /v1/customers declares no `ending_before`")
    assert verdicts["PAG-004"][0] == "pass"


@pytest.fixture(scope="module")
def invoices_faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    """`run --spec family.yaml` against the family with cursor-inclusive on invoices alone:
    (exit code, report directory, what the console printed)."""
    reports = tmp_path_factory.mktemp("invoices-faulty")
    console = io.StringIO()
    with start_background(ReferenceConfig(api_key=KEY, faults={INVOICES: "cursor-inclusive"})) as server, \
            contextlib.redirect_stdout(console):
        code = main(["run", "--base-url", server.base_url, "--api-key", KEY, "--quiet", "--profile", "quick",
                     "--spec", str(family_path()), "--report-dir", str(reports)])
    return code, reports, console.getvalue()


# "  GET /v1/invoices: 210 requests, 60 items seen — NONCONFORMANT (7 fail, 14 skip, 48 pass)"
_OPERATION_LINE = re.compile(r"^  (GET \S+): \d+ requests?, \d+ items? seen — ([A-Z]+)(?: \((.*)\))?$")


def test_the_console_and_report_json_give_each_operation_the_same_verdict(
        invoices_faulty: tuple[int, Path, str]) -> None:
    code, reports, console = invoices_faulty
    assert code == 1
    lines = console.split("operations:\n", 1)[1].splitlines()
    said = {}
    for line in lines[:3]:
        matched = _OPERATION_LINE.match(line)
        assert matched, line
        counts = dict(reversed(part.split(" ", 1)) for part in (matched[3] or "").split(", ") if part)
        said[matched[1]] = (matched[2].lower(), {kind: int(n) for kind, n in counts.items()})
    report = json.loads((reports / "report.json").read_text())
    stated = {entry["operation"]: (entry["verdict"], {k: n for k, n in entry["counts"].items() if n})
              for entry in report["by_operation"]}
    assert said == stated
    # Independent of both: the fault is in invoices alone, and the run's own verdict is the worst.
    assert {key: verdict for key, (verdict, _) in said.items()} == \
        {CHECKOUT_SESSIONS: "conformant", CUSTOMERS: "conformant", INVOICES: "nonconformant"}
    assert report["gate_verdict"] == "nonconformant"
    per_requirement = {}
    for entry in report["requirements"]:
        per_requirement.setdefault(entry["operation"], []).append(entry["verdict"])
    for key, (_, counts) in said.items():
        assert sum(counts.values()) == len(per_requirement[key]) and counts.get("fail", 0) == \
            per_requirement[key].count("fail")


def test_verify_re_judges_a_family_run_with_its_document(
        invoices_faulty: tuple[int, Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, tmp_path, _console = invoices_faulty
    assert code == 1
    assert main(["verify", str(tmp_path), "--spec", str(family_path())]) == 0
    said = capsys.readouterr().out
    assert "GET /v1/invoices (nonconformant)" in said
    # Without the run's document the re-judgement means nothing: a usage error saying what to pass.
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pass the run's document with --spec" in err[0], err


def test_each_operations_request_count_is_of_requests_sent(family: str, tmp_path: Path) -> None:
    """The console's per-operation lines count the requests sent, as the run's total does: a budget that
    leaves requests unsent must not make them add up to more than were sent (a reviewer saw 60 + 30 + 19
    under a header of 56)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["run", "--base-url", family, "--api-key", KEY, "--spec", str(family_path()), "--profile", "quick",
              "--max-requests", "100", "--report-dir", str(tmp_path)])
    text = out.getvalue()
    total = int(re.search(r"\b(\d+) requests\b", text.splitlines()[0]).group(1))  # type: ignore[union-attr]
    per_operation = [int(n) for n in re.findall(r"^  GET /v1/\S+: (\d+) requests?,", text, re.M)]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert total == report["requests"] == 100 and len(per_operation) == 3
    assert sum(per_operation) == total
    # The budget is the whole run's: its reason counts every operation's unjudged requirements, under no
    # one operation's name (it said "GET /v1/checkout/sessions: 37 requirements ..." of 110).
    unjudged = sum(r["verdict"] == "inconclusive" for r in report["requirements"])
    assert report["gate_verdict"] == "inconclusive"
    assert report["verdict_reason"] == (f"{unjudged} requirements could not be judged: the request budget "
                                        "(--max-requests 100) was used up before its requests were sent; raise "
                                        "--max-requests, or judge fewer areas with --only.")


def test_the_family_scope_names_each_requirement_with_its_operation(clean: RunResult) -> None:
    # A reviewer read "15 do not apply (VER-002, DATA-001, OBJ-003, OBJ-015, VER-002, ...)": which VER-002?
    statement = clean.scope.statement() if clean.scope else ""
    listed = re.search(r"do not apply \(([^)]*)\)", statement)
    assert listed is not None, statement
    names = re.sub(r" and \d+ more$", "", listed.group(1)).split(", ")
    assert names and all(re.fullmatch(r"[A-Z]+-\d{3} on GET /v1/\S+", n) for n in names), names
    assert len(set(names)) == len(names)
