"""Running the CLI in-process against a target, as the tests of whole runs do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.cli import main


def run_cli(base_url: str, api_key: str, report_dir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """(exit code, report.json) of a quiet `checkout-conformance run` against base_url."""
    code = main(["run", "--base-url", base_url, "--api-key", api_key, "--quiet",
                 "--report-dir", str(report_dir), *extra])
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text())
    return code, report
