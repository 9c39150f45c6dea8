"""`verify` accepts an untouched report dir and names each kind of tampering."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.reports.certificate import certificate_digest

Tamper = Callable[[Path], None]


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _edit_exchange_body(report_dir: Path) -> None:
    path = report_dir / "exchanges.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = json.loads(lines[0])
    first["body"] = first["body"].replace('"has_more":', '"has_more" :', 1) + " "
    lines[0] = json.dumps(first, separators=(",", ":")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def _delete_exchange(report_dir: Path) -> None:
    path = report_dir / "exchanges.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")


def _flip_report_verdict(report_dir: Path) -> None:
    def flip(report: dict) -> None:
        failed = next(r for r in report["requirements"] if r["verdict"] == "fail")
        failed["verdict"] = "pass"
    _edit_json(report_dir / "report.json", flip)


def _edit_certificate_digest(report_dir: Path) -> None:
    def change(cert: dict) -> None:
        cert["evidence"]["exchanges.jsonl"]["sha256"] = "0" * 64
    _edit_json(report_dir / "certificate.json", change)


def _edit_certificate_verdict(report_dir: Path) -> None:
    def change(cert: dict) -> None:
        next(r for r in cert["requirements"] if r["verdict"] == "fail")["verdict"] = "pass"
        cert["verdict"] = "conformant"
    _edit_json(report_dir / "certificate.json", change)


def _edit_certificate_verdict_and_reseal(report_dir: Path) -> None:
    """A forger who also recomputes the certificate's own digest."""
    def change(cert: dict) -> None:
        next(r for r in cert["requirements"] if r["verdict"] == "fail")["verdict"] = "pass"
        cert["certificate_sha256"] = certificate_digest(cert)
    _edit_json(report_dir / "certificate.json", change)


def _remove_exchanges(report_dir: Path) -> None:
    (report_dir / "exchanges.jsonl").unlink()


def _alter_spec_digest_everywhere(report_dir: Path) -> None:
    """A consistent forgery: a run made with another spec, with every digest recomputed."""
    from conformance.reports.certificate import sha256_file

    _edit_json(report_dir / "report.json", lambda r: r.update(spec_sha256="a" * 64))

    def reseal(cert: dict) -> None:
        cert["spec_sha256"] = "a" * 64
        cert["evidence"]["report.json"]["sha256"] = sha256_file(report_dir / "report.json")
        cert["certificate_sha256"] = certificate_digest(cert)
    _edit_json(report_dir / "certificate.json", reseal)


def test_verify_passes_an_untouched_dir(faulty_run: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(faulty_run.report_dir)]) == 0
    out = capsys.readouterr().out
    assert "verified" in out and "NONCONFORMANT" in out


def test_verify_passes_a_conformant_dir(clean_run: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(clean_run.report_dir)]) == 0
    out = capsys.readouterr().out
    # clean_run judged the embedded reference: verify must not read like a target's certificate.
    assert "verdict: CONFORMANT of the embedded reference server (a self-test of the suite, not a certificate of " \
           "any target)" in out


def test_verify_of_a_targets_run_names_the_target(faulty_run: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(faulty_run.report_dir)]) == 0
    target = json.loads((faulty_run.report_dir / "report.json").read_text())["target"]["base_url"]
    assert f"verdict: NONCONFORMANT of {target} (suite" in capsys.readouterr().out


@pytest.mark.parametrize(("tamper", "named"), [
    (_edit_exchange_body, ["exchanges.jsonl was altered"]),
    (_delete_exchange, ["exchanges.jsonl was altered", "exchange #4, expected #3"]),
    (_flip_report_verdict, ["report.json was altered", "report.json says pass, re-judging exchanges.jsonl gives fail"]),
    (_edit_certificate_digest, ["certificate.json was altered", "exchanges.jsonl", "certificate.json says 0000"]),
    (_edit_certificate_verdict, ["certificate.json was altered", "certificate.json says pass", "disagree on verdict"]),
    (_edit_certificate_verdict_and_reseal, ["certificate.json says pass, re-judging exchanges.jsonl gives fail"]),
    (_remove_exchanges, ["missing exchanges.jsonl"]),
    (_alter_spec_digest_everywhere, ["spec digest differs"]),
], ids=lambda v: v.__name__.strip("_") if callable(v) else "")
def test_verify_names_each_kind_of_tampering(
    tamper: Tamper, named: list[str], faulty_run: Any, copy_of: Callable[[Path], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    report_dir = copy_of(faulty_run.report_dir)
    tamper(report_dir)
    assert main(["verify", str(report_dir)]) == 1
    captured = capsys.readouterr()
    assert "verified" not in captured.out
    for text in named:
        assert text in captured.err, captured.err


def test_verify_of_a_missing_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"checkout-conformance: {tmp_path / 'nowhere'} does not exist: pass the directory `checkout-conformance run` "
        "wrote its reports into (--report-dir, default reports).")


def test_verify_of_a_file_or_an_empty_directory_is_a_usage_error(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["verify", str(tmp_path / "file")]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["verify", str(tmp_path / "empty")]) == 2
    assert "holds no report (no report.json, exchanges.jsonl or certificate.json)" in capsys.readouterr().err


def test_verify_notices_edited_evidence_even_when_resealed(
    faulty_run: Any, copy_of: Callable[[Path], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A forger who edits report.json's evidence and recomputes every digest is still caught."""
    from conformance.reports.certificate import sha256_file

    report_dir = copy_of(faulty_run.report_dir)

    def soften(report: dict) -> None:
        failed = next(r for r in report["requirements"] if r["verdict"] == "fail")
        failed["evidence"][0]["actual"] = "10"
    _edit_json(report_dir / "report.json", soften)

    def reseal(cert: dict) -> None:
        cert["evidence"]["report.json"]["sha256"] = sha256_file(report_dir / "report.json")
        cert["certificate_sha256"] = certificate_digest(cert)
    _edit_json(report_dir / "certificate.json", reseal)
    assert main(["verify", str(report_dir)]) == 1
    assert "report.json's evidence differs from what re-judging" in capsys.readouterr().err


@pytest.mark.parametrize(("change", "named"), [
    (lambda report: next(r for r in report["requirements"] if r["verdict"] == "pass").update(exchanges=[]),
     "does not match its schema"),
    (lambda report: next(r for r in report["requirements"] if r["verdict"] == "pass")["exchanges"].append(10**6),
     "report.json's exchanges differs from what re-judging"),
    (lambda report: report["coverage"].update(statement="saw all 1,000,000 sessions"),
     "report.json's coverage differs from what exchanges.jsonl shows"),
], ids=["pass-without-exchanges", "pass-on-other-exchanges", "coverage-overstated"])
def test_verify_holds_every_verdict_to_its_exchanges_and_the_coverage_to_the_transcript(
    clean_run: Any, copy_of: Callable[[Path], Path], capsys: pytest.CaptureFixture[str],
    change: Callable[[dict], None], named: str,
) -> None:
    """Resealed forgeries of what a verdict rests on, or of what part of the collection was seen."""
    from conformance.reports.certificate import sha256_file

    report_dir = copy_of(clean_run.report_dir)
    _edit_json(report_dir / "report.json", change)

    def reseal(cert: dict) -> None:
        cert["evidence"]["report.json"]["sha256"] = sha256_file(report_dir / "report.json")
        cert["certificate_sha256"] = certificate_digest(cert)
    _edit_json(report_dir / "certificate.json", reseal)
    assert main(["verify", str(report_dir)]) == 1
    assert named in capsys.readouterr().err


def _strip_operations(report_dir: Path) -> None:
    """report.json and certificate.json as a suite before families wrote them: no `operation`
    anywhere, no operations, by_operation or left_out; every digest recomputed."""
    from conformance.reports.certificate import sha256_file

    def old_report(report: dict) -> None:
        for key in ("operations", "by_operation", "left_out"):
            del report[key]
        for entry in [*report["requirements"], *report["diagnosis"]]:
            del entry["operation"]

    _edit_json(report_dir / "report.json", old_report)

    def reseal(cert: dict) -> None:
        for key in ("operations", "by_operation", "left_out"):
            del cert[key]
        for entry in cert["requirements"]:
            del entry["operation"]
        cert["evidence"]["report.json"]["sha256"] = sha256_file(report_dir / "report.json")
        cert["certificate_sha256"] = certificate_digest(cert)
    _edit_json(report_dir / "certificate.json", reseal)


def test_verify_reads_a_report_without_operations_as_checkout_sessions(
    faulty_run: Any, copy_of: Callable[[Path], Path], capsys: pytest.CaptureFixture[str],
) -> None:
    report_dir = copy_of(faulty_run.report_dir)
    _strip_operations(report_dir)
    assert main(["verify", str(report_dir)]) == 0, capsys.readouterr().err
    # Still compared: a verdict flipped in such a report is found, named without an operation.
    _edit_json(report_dir / "report.json", lambda r: next(
        q for q in r["requirements"] if q["verdict"] == "fail").update(verdict="pass"))
    assert main(["verify", str(report_dir)]) == 1
    assert "report.json says pass, re-judging exchanges.jsonl gives fail" in capsys.readouterr().err


def test_the_certificate_names_the_operations_it_covers(two_dir: Path) -> None:
    certificate = json.loads((two_dir / "certificate.json").read_text(encoding="utf-8"))
    report = json.loads((two_dir / "report.json").read_text(encoding="utf-8"))
    assert certificate["operations"] == report["operations"] == ["GET /v1/checkout/sessions", "GET /v1/invoices"]
    assert certificate["by_operation"] == [{"operation": s["operation"], "verdict": s["verdict"]}
                                           for s in report["by_operation"]]
    assert certificate["left_out"] == [{"operation": "POST /v1/invoices", "judged": False,
                                        "reason": "not a GET: only list reads are judged (POST /v1/invoices)"}]
    assert [(e["operation"], e["id"], e["verdict"]) for e in certificate["requirements"]] == [
        (r["operation"], r["id"], r["verdict"]) for r in report["requirements"]]
    assert certificate["certificate_sha256"] == certificate_digest(certificate)


def _two_operation_documents(two_result: Any) -> tuple[dict, dict, Any]:
    """report.json and certificate.json of the two-operation result, concluded as `run` concludes
    (conformance.judge.judgement.conclude), and that conclusion."""
    import dataclasses

    from conformance.catalog import default_catalog
    from conformance.judge.judgement import conclude
    from conformance.reports.certificate import build_certificate
    from conformance.reports.document import build_report

    conclusion = conclude(two_result.verdicts, default_catalog(), strict=two_result.strict)
    result = dataclasses.replace(two_result, verdict=conclusion.verdict, verdict_reason=conclusion.reason,
                                 scope=conclusion.scope)
    report = json.loads(json.dumps(build_report(result)))
    return report, build_certificate(report, {}), conclusion


def test_verify_compares_each_operation_apart(two_result: Any) -> None:
    from conformance.verify import judgement_problems

    report, certificate, conclusion = _two_operation_documents(two_result)
    exchanges, causes = two_result.exchanges, two_result.diagnosis
    # The same verdicts on two operations are not duplicates: nothing differs.
    assert judgement_problems(report, certificate, exchanges, causes, conclusion) == []

    # A verdict changed on one operation is named with that operation, in report.json and the certificate.
    failed = next(r for r in report["requirements"] if r["operation"] == "GET /v1/invoices" and r["verdict"] == "fail")
    failed["verdict"] = "pass"
    entry = next(e for e in certificate["requirements"]
                 if (e["operation"], e["id"]) == ("GET /v1/invoices", failed["id"]))
    entry["verdict"] = "pass"
    problems = judgement_problems(report, certificate, exchanges, causes, conclusion)
    for source in ("report.json", "certificate.json"):
        assert (f"{failed['id']} on GET /v1/invoices: {source} says pass, re-judging exchanges.jsonl gives fail"
                in problems), problems
    assert not any(p.startswith(f"{failed['id']} on GET /v1/checkout/sessions") for p in problems)


def test_verify_rebuilds_each_operation_summary(two_result: Any) -> None:
    from conformance.verify import judgement_problems

    report, certificate, conclusion = _two_operation_documents(two_result)
    invoices = next(s for s in report["by_operation"] if s["operation"] == "GET /v1/invoices")
    invoices["verdict"] = "conformant"
    problems = judgement_problems(report, certificate, two_result.exchanges, two_result.diagnosis, conclusion)
    assert problems == ["GET /v1/invoices: report.json's by_operation says conformant, re-judging exchanges.jsonl "
                        "gives nonconformant"]
    report["by_operation"].pop()
    problems = judgement_problems(report, certificate, two_result.exchanges, two_result.diagnosis, conclusion)
    assert problems == ["report.json's by_operation lacks GET /v1/invoices; re-judging gives nonconformant"]


def test_a_certificate_entry_without_operation_is_checkout_sessions(two_result: Any) -> None:
    from conformance.verify import judgement_problems

    report, certificate, conclusion = _two_operation_documents(two_result)
    for entry in certificate["requirements"]:
        if entry["operation"] == "GET /v1/checkout/sessions":
            del entry["operation"]
    assert judgement_problems(report, certificate, two_result.exchanges, two_result.diagnosis, conclusion) == []
