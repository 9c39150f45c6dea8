"""report.json carries the run's truth and validates against the schema shipped in the package."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import default_catalog
from conformance.operations import CHECKOUT_SESSIONS
from conformance.reports.document import REPORT_FORMAT_VERSION, operations_of, with_default_operations
from conformance.reports.schema import report_problems, report_schema
from conformance.spec import default_spec
from tests.reports.multi import INVOICES, LEFT_OUT


def _report(report_dir: Path) -> dict:
    return json.loads((report_dir / "report.json").read_text(encoding="utf-8"))


def test_the_schema_ships_in_the_package_and_names_the_format_version() -> None:
    text = resources.files("conformance.reports").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    assert schema["properties"]["format_version"]["const"] == REPORT_FORMAT_VERSION
    assert report_schema() == schema


@pytest.mark.parametrize("which", ["clean_run", "faulty_run", "mixed_dir", "two_dir"])
def test_every_report_written_validates(which: str, request: pytest.FixtureRequest) -> None:
    fixture = request.getfixturevalue(which)
    report_dir = getattr(fixture, "report_dir", fixture)
    assert report_problems(_report(report_dir)) == []


def test_the_schema_rejects_what_it_should() -> None:
    assert report_problems({"format_version": 2})  # nearly everything missing
    assert any("verdict" in p for p in report_problems({"format_version": 2}))


def test_the_report_records_what_was_run(clean_run: Any) -> None:
    assert clean_run.code == 0, clean_run.err
    report = _report(clean_run.report_dir)
    assert report["spec_sha256"] == default_spec().sha256
    assert report["catalog_sha256"] == default_catalog().sha256
    assert report["target"]["embedded_reference"] is True
    assert report["context"]["seed"] == 0 and report["context"]["profile"] == "quick"
    assert report["verdict"] == "conformant"
    assert report["requests"] > 0 and report["started_at"] <= report["finished_at"]
    assert [r["id"] for r in report["requirements"]] == [r.id for r in default_catalog().requirements]
    for requirement in report["requirements"]:
        assert requirement["level"] in ("MUST", "SHOULD") and requirement["text"]


def test_a_failing_run_carries_evidence(faulty_run: Any) -> None:
    assert faulty_run.code == 1, faulty_run.err
    report = _report(faulty_run.report_dir)
    assert report["verdict"] == "nonconformant"
    failed = [r for r in report["requirements"] if r["verdict"] == "fail"]
    assert failed and all(r["evidence"] for r in failed)
    exchange = failed[0]["evidence"][0]["exchanges"][0]
    assert exchange["curl"].startswith("curl ") and '"$CONFORMANCE_API_KEY:"' in exchange["curl"]


def test_every_pass_names_exchanges_that_are_in_the_transcript(clean_run: Any) -> None:
    report = _report(clean_run.report_dir)
    lines = (clean_run.report_dir / "exchanges.jsonl").read_text(encoding="utf-8").splitlines()
    passed = [r for r in report["requirements"] if r["verdict"] == "pass"]
    assert passed
    for requirement in passed:
        assert requirement["exchanges"], requirement["id"]
        assert all(0 <= seq < len(lines) for seq in requirement["exchanges"]), requirement["id"]


def test_the_schema_refuses_a_pass_without_exchanges(clean_run: Any) -> None:
    report = _report(clean_run.report_dir)
    passed = next(r for r in report["requirements"] if r["verdict"] == "pass")
    passed["exchanges"] = []
    assert any("exchanges" in p for p in report_problems(report))


def test_a_whole_collection_is_stated_as_seen(clean_run: Any) -> None:
    report = _report(clean_run.report_dir)
    coverage = report["coverage"]
    assert coverage["collection_size"] == coverage["collection_at_least"] == coverage["sessions_seen"] > 0
    assert coverage["statement"] == (f"saw all {coverage['collection_size']:,} sessions: "
                                     "the reference walk read the whole collection")


def test_a_run_interrupted_while_writing_leaves_no_verdict_behind(mixed_result: Any, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C between two report files: neither this run's verdict (its certificate would
    # speak for files not written) nor an earlier run's beside this run's evidence.
    from conformance.reports import writer

    report_dir = tmp_path / "reports"
    writer.write_reports(mixed_result, report_dir)
    assert (report_dir / "report.json").exists() and (report_dir / "certificate.json").exists()

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer, "render_html", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.write_reports(mixed_result, report_dir)
    assert not (report_dir / "report.json").exists()
    assert not (report_dir / "certificate.json").exists()


def test_a_one_operation_report_names_checkout_sessions(faulty_run: Any) -> None:
    report = _report(faulty_run.report_dir)
    assert report["operations"] == [CHECKOUT_SESSIONS] and report["left_out"] == []
    (summary,) = report["by_operation"]
    # One operation: its summary is the run's own gate and counts.
    assert summary == {"operation": CHECKOUT_SESSIONS, "verdict": report["gate_verdict"], "counts": report["counts"]}
    assert {r["operation"] for r in report["requirements"]} == {CHECKOUT_SESSIONS}


def test_a_two_operation_report_summarises_each_operation(two_dir: Path) -> None:
    report = _report(two_dir)
    assert report["operations"] == [CHECKOUT_SESSIONS, INVOICES]
    assert report["left_out"] == [{"operation": LEFT_OUT.key, "reason": LEFT_OUT.reason}]
    summaries = {s["operation"]: s for s in report["by_operation"]}
    assert list(summaries) == [CHECKOUT_SESSIONS, INVOICES]
    for key, summary in summaries.items():
        own = [r for r in report["requirements"] if r["operation"] == key]
        # Counted here from the entries, independently of how the report counted them.
        assert summary["counts"] == {name: sum(r["verdict"] == name for r in own) for name in summary["counts"]}
        assert sum(summary["counts"].values()) == len(own) > 0
    # Checkout sessions carries the mixed run's suite error; invoices has one failure and no error.
    assert summaries[CHECKOUT_SESSIONS]["verdict"] == "nonconformant"
    assert summaries[INVOICES]["counts"]["fail"] == 1 and summaries[INVOICES]["verdict"] == "nonconformant"
    assert summaries[INVOICES]["counts"]["error"] == 1  # the synthetic suite error was copied too
    totals = {name: sum(s["counts"][name] for s in summaries.values()) for name in report["counts"]}
    assert totals == report["counts"]


def test_an_operation_summary_folds_like_the_run(two_result: Any) -> None:
    import dataclasses

    from conformance.reports.document import build_report
    from conformance.verdicts import Verdict

    # Invoices with its one failure turned into a pass and its error into a skip: conformant there,
    # while checkout sessions stays nonconformant.
    verdicts = [dataclasses.replace(v, verdict=Verdict.PASS if v.verdict == Verdict.FAIL else Verdict.SKIP,
                                    exchanges=v.exchanges or [0])
                if v.operation == INVOICES and v.verdict in (Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE)
                else v for v in two_result.verdicts]
    report = build_report(dataclasses.replace(two_result, verdicts=verdicts))
    assert [(s["operation"], s["verdict"]) for s in report["by_operation"]] == [
        (CHECKOUT_SESSIONS, "nonconformant"), (INVOICES, "conformant")]


def test_a_report_without_operations_reads_as_checkout_sessions(faulty_run: Any) -> None:
    report = _report(faulty_run.report_dir)
    for key in ("operations", "by_operation", "left_out"):
        del report[key]
    for entry in [*report["requirements"], *report["diagnosis"]]:
        del entry["operation"]
    assert operations_of(report) == [CHECKOUT_SESSIONS]
    read = with_default_operations(report)
    assert {r["operation"] for r in read["requirements"] + read["diagnosis"]} == {CHECKOUT_SESSIONS}
    assert "operation" not in report["requirements"][0]  # a copy: the report read is not changed
    assert report_problems(read) == []


def test_waivers_on_two_operations_show_in_every_report(two_result: Any, tmp_path: Path) -> None:
    import dataclasses
    import datetime as dt

    from conformance.judge.waivers import Waiver, apply_waivers
    from conformance.reports.writer import write_reports
    from tests.reports.multi import failed_on

    (failed,) = failed_on(two_result, INVOICES)
    waivers = [Waiver(failed, "tracked in INV-1", dt.date(2999, 1, 1), operation=INVOICES),
               Waiver("PAG-001", "old", dt.date(2999, 1, 1), operation="GET /v1/customers")]
    verdicts, records = apply_waivers(two_result.verdicts, waivers, two_result.target, dt.date(2026, 1, 1))
    report_dir = tmp_path / "r"
    write_reports(dataclasses.replace(two_result, verdicts=verdicts, waivers=records), report_dir)
    report = _report(report_dir)
    assert report_problems(report) == []
    assert [(w["requirement"], w["operation"], w["status"]) for w in report["waivers"]] == [
        (failed, INVOICES, "applied"), ("PAG-001", "GET /v1/customers", "unused")]
    states = {(r["operation"], r["id"]): r["verdict"] for r in report["requirements"]}
    assert (states[(INVOICES, failed)], states[(CHECKOUT_SESSIONS, failed)]) == ("waived", "fail")
    summary = (report_dir / "summary.md").read_text(encoding="utf-8")
    assert f"| {failed} | `{INVOICES}` | MUST | fail | 2999-01-01 | tracked in INV-1 |" in summary
    assert "Waiver for PAG-001 on `GET /v1/customers` names an operation this run did not judge" in summary
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert ("Waiver for PAG-001 names <code>GET /v1/customers</code>, an operation this run did not judge: "
            "it does not apply.") in html
