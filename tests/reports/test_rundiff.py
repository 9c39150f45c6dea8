"""`checkout-conformance diff OLD NEW`: regressions exit 1, fixes and no change exit 0, a directory
without a report exits 2; text, Markdown (a PR comment) and JSON say the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conformance.reference.faults import FAULTS
from conformance.rundiff import classify
from tests.reports.conftest import API_KEY, CliRun, run_cli


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("pass", "fail", "regression"), ("pass", "warn", "regression"), ("skip", "fail", "regression"),
    ("skip", "warn", "regression"), ("warn", "fail", "regression"),
    ("fail", "pass", "fix"), ("fail", "warn", "fix"), ("warn", "pass", "fix"), ("waived", "pass", "fix"),
    ("pass", "inconclusive", "other"), ("fail", "waived", "other"), ("waived", "fail", "other"),
    ("pass", "error", "other"), ("fail", "skip", "other"), (None, "pass", "other"), ("pass", None, "other"),
    ("pass", "pass", None), ("fail", "fail", None),
])
def test_each_change_is_sorted_as_documented(old: str | None, new: str | None, kind: str | None) -> None:
    assert classify(old, new) == kind


def test_a_regression_exits_1_and_names_the_broken_requirements(clean_run: CliRun, faulty_run: CliRun) -> None:
    code, out, _ = run_cli(["diff", str(clean_run.report_dir), str(faulty_run.report_dir), "--format", "json"])
    assert code == 1
    diff = json.loads(out)
    regressed = {e["id"] for e in diff["regressions"]}
    # The fault's own record of what it breaks is the oracle (conformance/reference/faults).
    assert set(FAULTS["limit-off-by-one"].breaks) <= regressed
    assert all(e["old"] in ("pass", "skip") and e["new"] in ("warn", "fail") for e in diff["regressions"])
    assert diff["fixes"] == []


def test_the_way_back_is_fixes_and_exits_0(clean_run: CliRun, faulty_run: CliRun) -> None:
    code, out, _ = run_cli(["diff", str(faulty_run.report_dir), str(clean_run.report_dir)])
    assert code == 0
    for requirement in FAULTS["limit-off-by-one"].breaks:
        assert f"FIXED      {requirement:<9} fail -> pass" in out
    assert "0 regressed" in out
    assert "note: the runs judged different targets." in out  # the embedded server and the faulty one


def test_the_markdown_form_is_a_pull_request_comment(clean_run: CliRun, faulty_run: CliRun) -> None:
    code, out, _ = run_cli(["diff", str(clean_run.report_dir), str(faulty_run.report_dir), "--format", "md"])
    assert code == 1
    assert out.startswith("## checkout-conformance diff: ❌")
    assert "### Regressions" in out and "| LIM-001 | MUST | pass | **fail** |" in out
    # The two runs judged different targets: a reviewer of the comment must see both, as in the text form.
    targets = [json.loads((d / "report.json").read_text())["target"]["base_url"]
               for d in (clean_run.report_dir, faulty_run.report_dir)]
    assert targets[0] != targets[1] and all(t in out for t in targets)


def test_a_run_against_itself_has_no_changes(clean_run: CliRun) -> None:
    code, out, _ = run_cli(["diff", str(clean_run.report_dir), str(clean_run.report_dir)])
    assert code == 0 and "0 regressed, 0 fixed, 0 other changes" in out


@pytest.mark.parametrize("form", ["text", "md"])
def test_one_other_change_is_singular(clean_run: CliRun, tmp_path: Path, form: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(clean_run.report_dir, copy)
    report = json.loads((copy / "report.json").read_text())
    passed = next(r for r in report["requirements"] if r["verdict"] == "pass")
    passed["verdict"], passed["reason"] = "inconclusive", "the target stopped answering"
    (copy / "report.json").write_text(json.dumps(report))
    code, out, _ = run_cli(["diff", str(clean_run.report_dir), str(copy), "--format", form])
    assert code == 0 and "0 fixed, 1 other change," in out


def test_a_directory_without_a_report_is_a_usage_error(clean_run: CliRun, tmp_path: Path) -> None:
    code, _, err = run_cli(["diff", str(tmp_path), str(clean_run.report_dir)])
    assert code == 2 and "holds no report.json" in err
    (tmp_path / "report.json").write_text('{"verdict": "conformant"}')
    code, _, err = run_cli(["diff", str(clean_run.report_dir), str(tmp_path)])
    assert code == 2 and "is not a checkout-conformance report" in err
    code, _, err = run_cli(["diff", str(tmp_path / "nowhere"), str(clean_run.report_dir)])
    assert code == 2 and "is not a directory" in err


def _report(report_dir: Path) -> dict:
    return json.loads((report_dir / "report.json").read_text(encoding="utf-8"))


def _without_operations(report_dir: Path, into: Path) -> Path:
    """A copy of a report directory whose report.json a suite before families wrote: no operation anywhere."""
    shutil.copytree(report_dir, into)
    report = _report(into)
    for key in ("operations", "by_operation", "left_out"):
        del report[key]
    for entry in [*report["requirements"], *report["diagnosis"]]:
        del entry["operation"]
    (into / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return into


def test_verdicts_are_compared_per_operation(mixed_dir: Path, two_dir: Path, tmp_path: Path) -> None:
    from conformance.rundiff import compare, render_markdown, render_text

    old, new = _report(two_dir), _report(two_dir)
    fixed = next(r for r in new["requirements"] if r["operation"] == "GET /v1/invoices" and r["verdict"] == "fail")
    fixed["verdict"] = "pass"
    diff = compare(old, new)
    # Only the invoices entry changed, though the same ID failed on checkout sessions too.
    assert [(e["operation"], e["id"], e["old"], e["new"]) for e in diff["fixes"]] == [
        ("GET /v1/invoices", fixed["id"], "fail", "pass")]
    assert diff["regressions"] == diff["other"] == []
    assert diff["unchanged"] == len(new["requirements"]) - 1
    assert f"FIXED      {fixed['id']:<9} fail -> pass on GET /v1/invoices" in render_text(diff)
    assert f"| {fixed['id']} | `GET /v1/invoices` | MUST | fail | **pass** |" in render_markdown(diff)


def test_a_report_without_operations_reads_as_checkout_sessions(mixed_dir: Path, two_dir: Path,
                                                                 tmp_path: Path) -> None:
    old = _without_operations(mixed_dir, tmp_path / "old")
    code, out, err = run_cli(["diff", str(old), str(two_dir), "--format", "json"])
    assert code == 0, err
    diff = json.loads(out)
    # Checkout sessions is unchanged; invoices, judged by the new run alone, is one added operation.
    assert diff["regressions"] == diff["fixes"] == diff["other"] == diff["dropped_operations"] == []
    assert [e["operation"] for e in diff["added_operations"]] == ["GET /v1/invoices"]
    checkout = [r for r in _report(two_dir)["requirements"] if r["operation"] == "GET /v1/checkout/sessions"]
    assert diff["unchanged"] == len(checkout)


def test_a_one_operation_diff_names_no_operation(clean_run: CliRun, faulty_run: CliRun) -> None:
    code, out, _ = run_cli(["diff", str(clean_run.report_dir), str(faulty_run.report_dir)])
    assert code == 1 and " on GET /" not in out
    code, out, _ = run_cli(["diff", str(clean_run.report_dir), str(faulty_run.report_dir), "--format", "md"])
    assert "| ID | level | old | new | now |" in out and "operation" not in out


# -- an operation one run judged and the other did not (issue 24's "seen and left") -------------------------
CHECKOUT, CUSTOMERS, INVOICES = "GET /v1/checkout/sessions", "GET /v1/customers", "GET /v1/invoices"


def _family_run(report_dir: Path, *operations: str, spec: Path | None = None) -> Path:
    """`run --spec family.yaml` against the embedded reference family, judging `operations` (all if none)."""
    from conformance.resources import family_path

    picked = [arg for key in operations for arg in ("--operation", key)]
    code, _, err = run_cli(["run", "--api-key", API_KEY, "--profile", "quick", "--quiet", "--spec",
                            str(spec or family_path()), *picked, "--report-dir", str(report_dir)])
    assert code == 0, err
    return report_dir


@pytest.fixture(scope="module")
def family_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two real family runs of the same reference: all three operations, then invoices dropped."""
    base = tmp_path_factory.mktemp("family-diff")
    return _family_run(base / "all"), _family_run(base / "no-invoices", CHECKOUT, CUSTOMERS)


def test_a_dropped_operation_is_one_line_and_fails_the_comparison(family_runs: tuple[Path, Path]) -> None:
    everything, fewer = family_runs
    code, out, _ = run_cli(["diff", str(everything), str(fewer)])
    # Independent of diff: what the old report itself says it judged on invoices.
    judged = [r for r in _report(everything)["requirements"] if r["operation"] == INVOICES]
    assert judged and {e["operation"] for e in _report(everything)["by_operation"]} >= {INVOICES}
    assert code == 1  # a run that judges less must not pass a gate comparing runs
    said = [line for line in out.splitlines() if INVOICES in line]
    assert said == [f"  DROPPED    {INVOICES}  judged in the old run (conformant, {len(judged)} requirements), "
                    "not in the new one"]
    assert out.splitlines()[-1].endswith("; 1 operation dropped")
    code, out, _ = run_cli(["diff", str(everything), str(fewer), "--format", "json"])
    diff = json.loads(out)
    assert code == 1
    assert diff["dropped_operations"] == [{"operation": INVOICES, "verdict": "conformant",
                                           "requirements": len(judged)}]
    # Not one entry per requirement: nothing else mentions invoices, and the other two are unchanged.
    assert diff["regressions"] == diff["fixes"] == diff["added_operations"] == []
    assert INVOICES not in {e["operation"] for e in diff["other"]}
    code, out, _ = run_cli(["diff", str(everything), str(fewer), "--format", "md"])
    assert code == 1 and out.startswith("## checkout-conformance diff: ❌ 1 operation dropped")
    assert f"| `{INVOICES}` | conformant | {len(judged)} | **not judged** |" in out


def test_an_added_operation_is_one_line_and_passes(family_runs: tuple[Path, Path]) -> None:
    everything, fewer = family_runs
    code, out, _ = run_cli(["diff", str(fewer), str(everything)])
    assert code == 0
    assert [line for line in out.splitlines() if INVOICES in line] == [
        f"  ADDED      {INVOICES}  judged in the new run only (conformant, "
        f"{sum(1 for r in _report(everything)['requirements'] if r['operation'] == INVOICES)} requirements)"]
    assert "0 regressed" in out and out.splitlines()[-1].endswith("; 1 operation added")
    code, out, _ = run_cli(["diff", str(fewer), str(everything), "--format", "md"])
    assert code == 0 and out.startswith("## checkout-conformance diff: ✅ no regression")
    assert "### Operations added" in out and "Operations dropped" not in out


def test_a_dropped_operation_names_why_the_new_run_left_it_out(family_runs: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    import yaml

    from conformance.resources import family_path

    everything, _ = family_runs
    document = yaml.safe_load(family_path().read_text(encoding="utf-8"))
    # The new document's invoices list no longer takes `limit`: the new run leaves it out, and says why.
    listing = document["paths"]["/v1/invoices"]["get"]
    listing["parameters"] = [p for p in listing["parameters"] if p.get("$ref") != "#/components/parameters/Limit"
                             and p.get("name") != "limit"]
    spec = tmp_path / "family-invoices-without-limit.yaml"
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    newer = _family_run(tmp_path / "reports", spec=spec)
    reason = next(e["reason"] for e in _report(newer)["left_out"] if e["operation"] == INVOICES)
    code, out, _ = run_cli(["diff", str(everything), str(newer)])
    assert code == 1
    [line] = [line for line in out.splitlines() if INVOICES in line]
    assert line.startswith(f"  DROPPED    {INVOICES}  judged in the old run") and line.endswith(
        f"not in the new one; the new run left it out: {reason}")
