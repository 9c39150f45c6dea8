"""Writes a run's report files into the report directory."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.errors import UsageError
from conformance.reports.document import build_report
from conformance.runner import RunResult


def write_reports(result: RunResult, report_dir: Path) -> list[Path]:
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"Cannot create the report directory {report_dir}: {exc.strerror}.") from None
    report = build_report(result)
    written = []
    path = report_dir / "report.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    path = report_dir / "exchanges.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for exchange in result.exchanges:
            handle.write(json.dumps(exchange.to_dict(), separators=(",", ":")) + "\n")
    written.append(path)
    return written
