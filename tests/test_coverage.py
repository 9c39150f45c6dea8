"""Coverage stated, not implied (issue 10): on a collection larger than the walks' page
budget, the console, summary.md and report.json say what part of it the run saw."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reference import ReferenceConfig, start_background


@pytest.fixture(scope="module")
def large_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """A quick run against 3,000 sessions: the quick profile's reference walk reads 5 pages of 100."""
    report_dir = tmp_path_factory.mktemp("coverage")
    out = report_dir / "console.txt"
    with (start_background(ReferenceConfig(sessions=3000, seed=1)) as server, out.open("w") as stream,
          contextlib.redirect_stdout(stream)):
        code = main(["run", "--base-url", server.base_url, "--api-key", server.api_key, "--quiet",
                     "--profile", "quick", "--only", "limit", "--report-dir", str(report_dir)])
    return code, out.read_text(encoding="utf-8"), report_dir


def test_a_large_collection_is_stated_as_sampled(large_run: tuple[int, str, Path]) -> None:
    code, console, report_dir = large_run
    assert code == 0, console
    coverage = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))["coverage"]
    assert coverage["collection_size"] is None and coverage["collection_at_least"] == 500
    assert 500 <= coverage["sessions_seen"] < 3000
    assert re.fullmatch(
        r"sampled [\d,]+ sessions of more than 500: the head of the list order \(the first 500, read 5 pages deep "
        r"before the page budget stopped the walk while has_more was still true\)(, and [\d,]+ more on filtered and "
        r"cursor pages)?; the rest of the collection was not seen", coverage["statement"]), coverage["statement"]
    assert f"coverage: {coverage['statement']}" in console
    summary = (report_dir / "summary.md").read_text(encoding="utf-8")
    assert f"Coverage: sampled {coverage['sessions_seen']:,} sessions of more than 500" in summary

