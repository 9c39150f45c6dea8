"""The diagnosis where a person reads it: first in the console, summary.md and report.html,
and in report.json, which `verify` derives again from the transcript."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.reference.faults import FAULTS
from conformance.reports.certificate import certificate_digest, sha256_file

FAULT = "limit-off-by-one"  # what the faulty_run fixture serves


def _report(run: Any) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((run.report_dir / "report.json").read_text(encoding="utf-8"))
    return report


def test_report_json_names_the_cause_with_evidence(faulty_run: Any) -> None:
    report = _report(faulty_run)
    top = report["diagnosis"][0]
    assert top["fault"] == FAULT
    assert top["title"] == FAULTS[FAULT].title
    reported = {r["id"] for r in report["requirements"] if r["verdict"] in ("fail", "warn")}
    assert set(FAULTS[FAULT].breaks) <= set(top["explains"]) <= reported
    assert top["exchanges"] and all(0 <= seq < report["requests"] for seq in top["exchanges"])
    explained = {r for cause in report["diagnosis"] for r in cause["explains"]}
    assert explained == reported


def test_the_cause_comes_first_everywhere(faulty_run: Any) -> None:
    out = faulty_run.out
    assert out.index("Likely cause:") < out.index("FAIL ")
    assert FAULTS[FAULT].title in out and f"fault {FAULT}; explains" in out
    summary = (faulty_run.report_dir / "summary.md").read_text(encoding="utf-8")
    assert summary.index("### Likely cause") < summary.index("| verdict | requirements |")
    assert f"(`{FAULT}`) explains" in summary
    html = (faulty_run.report_dir / "report.html").read_text(encoding="utf-8")
    assert html.index('id="likely-cause"') < html.index('id="counts"') < html.index('id="requirements"')
    assert f'data-fault="{FAULT}"' in html
    assert "Pages hold one session fewer than <code>limit</code> asks for" in html  # the title, code spans set


def test_a_cause_shown_by_an_exchange_no_evidence_quotes_still_renders(faulty_run: Any) -> None:
    from conformance.reports.html import render_html
    from conformance.reports.markdown import build_summary

    report = _report(faulty_run)
    quoted = {x["seq"] for r in report["requirements"] for e in r["evidence"] for x in e["exchanges"]}
    unquoted = next(seq for seq in range(report["requests"]) if seq not in quoted)
    report["diagnosis"][0]["exchanges"] = [unquoted]
    assert f"#{unquoted} (see exchanges.jsonl)" in render_html(report)
    assert f"shown by #&#8203;{unquoted}\n" in build_summary(report)  # not an issue link on GitHub


def test_a_conformant_run_has_no_diagnosis(clean_run: Any) -> None:
    assert _report(clean_run)["diagnosis"] == []
    assert "Likely cause" not in clean_run.out
    assert "Likely cause" not in (clean_run.report_dir / "summary.md").read_text(encoding="utf-8")
    assert 'id="likely-cause"' not in (clean_run.report_dir / "report.html").read_text(encoding="utf-8")


def _forge_diagnosis(faulty_run: Any, copy_of: Callable[[Path], Path], forge: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the faulty run's reports with `forge` applied to its first cause, every digest resealed."""
    report_dir = copy_of(faulty_run.report_dir)
    report = _report(faulty_run)
    forge(report["diagnosis"][0])
    (report_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    certificate = json.loads((report_dir / "certificate.json").read_text(encoding="utf-8"))
    certificate["evidence"]["report.json"]["sha256"] = sha256_file(report_dir / "report.json")
    certificate["certificate_sha256"] = certificate_digest(certificate)
    (report_dir / "certificate.json").write_text(json.dumps(certificate, indent=2) + "\n", encoding="utf-8")
    return report_dir


def test_verify_derives_the_diagnosis_again(
    faulty_run: Any, copy_of: Callable[[Path], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A forger who blames another fault and reseals every digest is caught by re-derivation."""
    report_dir = _forge_diagnosis(faulty_run, copy_of, lambda cause: cause.update(fault="limit-ignored"))
    assert main(["verify", str(report_dir)]) == 1
    err = capsys.readouterr().err
    assert "report.json's diagnosis (limit-ignored" in err and f"gives ({FAULT}" in err


def test_verify_names_what_differs_when_the_same_fault_is_named(
    faulty_run: Any, copy_of: Callable[[Path], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Forged exchanges under the right fault: the problem says what differs, not "(x) differs from (x)"."""
    report_dir = _forge_diagnosis(faulty_run, copy_of, lambda cause: cause.update(exchanges=[0]))
    assert main(["verify", str(report_dir)]) == 1
    err = capsys.readouterr().err
    assert f"report.json's diagnosis ({FAULT}) differs in its exchanges from what re-judging" in err
