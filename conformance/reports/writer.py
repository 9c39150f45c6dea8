"""Writes a run's report files into the report directory.

Every format is derived from the report.json document (not from the RunResult), so
what a person reads in HTML, JUnit or Markdown cannot say something report.json does
not. The certificate comes last: it carries the digests of everything before it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.errors import UsageError
from conformance.reports.certificate import write_certificate
from conformance.reports.document import build_report
from conformance.reports.exchanges import exchanges_jsonl
from conformance.reports.html import write_html
from conformance.reports.junit import write_junit
from conformance.reports.markdown import write_summary
from conformance.reports.reproducers import write_reproducers
from conformance.runner import RunResult
from conformance.signing import SIGNATURE, sign_file, signer_entry

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPORT_JSON = "report.json"
EXCHANGES = "exchanges.jsonl"
JUNIT = "junit.xml"
HTML = "report.html"
SUMMARY = "summary.md"
CERTIFICATE = "certificate.json"


def write_reports(result: RunResult, report_dir: Path, signing_key: Ed25519PrivateKey | None = None) -> list[Path]:
    """Every report file of `result` in `report_dir`, and certificate.sig when `signing_key` is given.

    Raises UsageError when the directory cannot be written."""
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"Cannot create the report directory {report_dir}: {exc.strerror}.") from None
    report = build_report(result)
    paths = {name: report_dir / name for name in (REPORT_JSON, EXCHANGES, JUNIT, HTML, SUMMARY, CERTIFICATE)}
    try:
        paths[REPORT_JSON].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        paths[EXCHANGES].write_text(exchanges_jsonl(result.exchanges), encoding="utf-8")
        write_junit(report, paths[JUNIT])
        write_html(report, paths[HTML])
        write_summary(report, paths[SUMMARY])
        evidence = [paths[name] for name in (REPORT_JSON, EXCHANGES, JUNIT, HTML, SUMMARY)]
        write_reproducers(report, result.exchanges, report_dir)
        signer = signer_entry(signing_key) if signing_key else None
        write_certificate(report, report_dir, evidence, paths[CERTIFICATE], signer)
        signature = report_dir / SIGNATURE
        signature.unlink(missing_ok=True)  # a signature left by an earlier run would not match
        if signing_key:
            sign_file(signing_key, paths[CERTIFICATE], signature)
    except OSError as exc:
        raise UsageError(f"Cannot write the reports into {report_dir}: {exc.strerror or exc}.") from None
    return list(paths.values())
