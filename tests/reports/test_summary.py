"""summary.md: verdict, counts, and what needs attention with one-line evidence and curl."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from conformance.reports.markdown import cell


def test_a_conformant_summary_is_short(clean_run: Any) -> None:
    text = (clean_run.report_dir / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("## checkout-conformance: ✅ CONFORMANT")
    assert "| pass |" in text and "Every judged requirement held; each pass names the exchanges" in text
    assert len(text.splitlines()) < 20


def test_a_failing_summary_lists_findings_with_curl(faulty_run: Any) -> None:
    report = json.loads((faulty_run.report_dir / "report.json").read_text(encoding="utf-8"))
    text = (faulty_run.report_dir / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("## checkout-conformance: ❌ NONCONFORMANT")
    assert f"| fail | {report['counts']['fail']} |" in text
    failed = [r for r in report["requirements"] if r["verdict"] == "fail"]
    for requirement in failed:
        assert f"| {requirement['id']} | MUST | **fail** |" in text
    assert "<details><summary>Reproduce with curl" in text and "</details>" in text
    curl = failed[0]["evidence"][0]["exchanges"][0]["curl"]
    assert curl in text
    block = text.split("<details>", 1)[1]
    assert block.count("```") == 2  # one fenced block, opened and closed


def test_target_text_cannot_inject_markup(mixed_dir: Path, hostile: str) -> None:
    text = (mixed_dir / "summary.md").read_text(encoding="utf-8")
    assert hostile not in text
    assert "\\<script>" in text and not re.search(r"(?<!\\)<(script|img)", text)
    # Rendered as GitHub renders it (CommonMark with tables), the markup is text, not tags.
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    table = [line for line in text.splitlines() if line.startswith("| ")]
    widths = {line.count(" | ") - line.count("\\|") for line in table if "**" in line}
    assert widths == {3}  # every finding row keeps four cells


def test_a_ci_log_shows_the_summary_as_written() -> None:
    # summary.md is printed raw in CI logs: arrows and ampersands stay as written, no entities.
    assert cell("the target did not answer GET /v1/x?a=1&b=2 -> 500") == (
        "the target did not answer GET /v1/x?a=1&b=2 -> 500")
    assert cell("a <b>tag</b> &amp; an entity") == "a \\<b>tag\\</b> \\&amp; an entity"


def test_a_passing_summary_names_the_skipped_requirements(clean_run: Any) -> None:
    text = (clean_run.report_dir / "summary.md").read_text(encoding="utf-8")
    report = json.loads((clean_run.report_dir / "report.json").read_text(encoding="utf-8"))
    skipped = [r["id"] for r in report["requirements"] if r["verdict"] == "skip"]
    assert skipped
    line = next(line for line in text.splitlines() if line.startswith("Skipped: "))
    assert all(f"{rid} (" in line for rid in skipped), line


def test_coverage_and_activity_are_two_sentences(clean_run: Any) -> None:
    summary = (clean_run.report_dir / "summary.md").read_text()
    line = next(line for line in summary.splitlines() if line.startswith("Coverage: "))
    assert "Activity: " in line
    assert re.search(r"\. Activity: ", line), line  # not "…read the whole collection Activity: …"
    assert line.endswith(".")


def test_one_request_and_one_session_are_said_in_the_singular(clean_run: Any) -> None:
    from conformance.reports.html import render_html
    from conformance.reports.markdown import build_summary

    report = json.loads((clean_run.report_dir / "report.json").read_text(encoding="utf-8"))
    report["requests"] = 1
    assert " · 1 request · " in build_summary(report)
    meta = render_html(report).split('<p class="meta">')[1].split("</p>")[0]
    assert "· 1 request ·" in meta and "1 requests" not in meta


def test_a_collection_of_one_is_the_only_session_not_all_1(tmp_path: Path) -> None:
    import contextlib
    import io

    from conformance.cli import main
    from conformance.reference.server import ReferenceConfig, start_background

    with start_background(ReferenceConfig(sessions=1)) as server, contextlib.redirect_stdout(io.StringIO()):
        main(["run", "--base-url", server.base_url, "--api-key", server.api_key, "--quiet", "--only", "PAG-001",
              "--report-dir", str(tmp_path / "r")])
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    statement = report["coverage"]["statement"]
    assert statement.startswith("saw the only session") and "all 1" not in statement
    assert "; 1 session judged" in report["activity"]["text"]
