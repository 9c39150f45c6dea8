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


# What GitHub makes of the text of a comment outside code, after Markdown is parsed (its
# mention, issue-reference, emoji and autolink filters), written from GitHub's documented
# behaviour rather than from the escaping under test.
_GITHUB_PATTERNS = {
    "mention": re.compile(r"(?<![\w`])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[\w.-]+)?"),
    "issue reference": re.compile(r"(?<![\w&])#\d+|\bGH-\d+", re.IGNORECASE),
    "emoji": re.compile(r":[a-z0-9_+-]+:"),
    "autolink": re.compile(r"\bwww\.|\b[a-z][a-z0-9+.-]*://|\w@\w", re.IGNORECASE),
    # A commit SHA, 7 to 40 hex digits (a commit of a fork counts too, so its prefix is anyone's).
    "commit link": re.compile(r"\b[0-9a-f]{7,40}\b", re.IGNORECASE),
}
PLANTED = ("cs_@some-org/security-team ping @octocat, see #123 and GH-45 :rotating_light: :100: "
           "a5c3785ed8d6a35868bc169f07e40e889087fd2e DEADBEE 1234567 "
           "www.evil.example https://evil.example/x ![img](https://evil.example/a.png) a@b.example")


def _rendered_text(markdown: str) -> tuple[list[str], list[str]]:
    """(text outside code of every inline run, token types found) as a CommonMark parser with
    GFM tables reads `markdown`; entities are decoded, as they are before GitHub's filters."""
    texts: list[str] = []
    types: list[str] = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        types.append(token.type)
        run = ""
        for child in token.children or []:
            types.append(child.type)
            if child.type == "text":
                run += child.content
            elif child.type in ("softbreak", "hardbreak", "code_inline"):
                texts.append(run)
                run = ""
        texts.append(run)
    return texts, types


def test_target_text_in_summary_mentions_links_and_renders_nothing(mixed_result: Any, tmp_path: Path) -> None:
    import copy
    import dataclasses

    from conformance.reports.writer import write_reports

    result = copy.deepcopy(mixed_result)
    failed = next(v for v in result.verdicts if v.evidence)
    failed.evidence[0].message = f"the id {PLANTED} came back"
    failed.evidence[0].actual = PLANTED
    inconclusive = next(v for v in result.verdicts if v.verdict.value == "inconclusive")
    inconclusive.reason = PLANTED
    write_reports(dataclasses.replace(result), tmp_path / "reports")
    text = (tmp_path / "reports" / "summary.md").read_text(encoding="utf-8")
    texts, types = _rendered_text(text)
    assert "some-org/security-team" in "".join(texts) and "rotating_light" in "".join(texts)  # still readable
    assert "a5c378\u200b5ed8d6\u200ba35868" in "".join(texts)  # a SHA still reads as itself
    for name, pattern in _GITHUB_PATTERNS.items():
        found = [m[0] for t in texts for m in pattern.finditer(t)]
        assert not found, f"summary.md would render a GitHub {name}: {found}"
    assert not {"link_open", "image", "html_inline"} & set(types), sorted(set(types))


def test_the_summary_says_what_it_quotes_in_a_ci_log_without_breaking_the_line() -> None:
    assert cell("@team") == "@&#8203;team" and cell("12 items") == "12 items"


def test_a_two_operation_summary_has_a_section_per_operation(two_dir: Path) -> None:
    text = (two_dir / "summary.md").read_text(encoding="utf-8")
    report = json.loads((two_dir / "report.json").read_text(encoding="utf-8"))
    # Each operation's verdict in one table, then a section per operation with its own findings.
    for summary in report["by_operation"]:
        assert re.search(rf"^\| `{re.escape(summary['operation'])}` \| \S+ {summary['verdict'].upper()} \|",
                         text, re.M), summary
    headings = re.findall(r"^### `(GET [^`]+)`: ", text, re.M)
    assert headings == report["operations"]
    sections = re.split(r"^### `GET [^`]+`: .*$", text, flags=re.M)[1:]
    for key, section in zip(headings, sections, strict=True):
        rows = re.findall(r"^\| ([A-Z]+-\d+) \| (?:MUST|SHOULD) \| \*\*(\w+)\*\* \|", section, re.M)
        own = [r for r in report["requirements"] if r["operation"] == key and r["verdict"] in
               ("fail", "warn", "error", "inconclusive")]
        assert sorted(rows) == sorted((r["id"], r["verdict"]) for r in own)
        assert rows and rows[0][1] == "fail"  # failures first
    assert "Not judged (left out): `POST /v1/invoices` (not a GET: only list reads are judged" in text
    # The curl lines name the operation of each finding, and an invoices finding replays an invoices request.
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    invoices = re.search(r"^# ([A-Z]+-\d+) on GET /v1/invoices: .*\n(curl .*)$", block, re.M)
    assert invoices and "/v1/invoices" in invoices.group(2)


def test_an_operation_key_cannot_inject_markup_in_the_summary(two_result: Any) -> None:
    from conformance.reports.document import build_report
    from conformance.reports.markdown import build_summary
    from tests.reports.multi import renamed_operation

    hostile = "GET /v1/`x`<img src=x onerror=alert(1)>|@team"
    report = renamed_operation(build_report(two_result), hostile)
    text = build_summary(report)
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<img" not in html and "onerror=alert(1)&gt;" in html  # shown, as text
    # In a code span whose backtick run is longer than any inside; in a table cell its `|` escaped (GFM).
    assert "### ``GET /v1/`x`<img src=x onerror=alert(1)>|@team``:" in text
    assert "| ``GET /v1/`x`<img src=x onerror=alert(1)>\\|@team`` |" in text
    widths = {line.count(" | ") for line in text.splitlines() if line.startswith("| `")}
    assert widths == {2}, "every operation row keeps three cells"


def test_a_one_operation_summary_has_no_operation_sections(faulty_run: Any) -> None:
    text = (faulty_run.report_dir / "summary.md").read_text(encoding="utf-8")
    assert "| operation |" not in text and "### `GET" not in text and "left out" not in text


def test_an_items_noun_from_the_document_cannot_inject_markup(mixed_result: Any) -> None:
    """The noun the coverage and activity sentences use comes from the document's path: target text."""
    import dataclasses

    from conformance.operations import items_noun
    from conformance.reports.document import build_report
    from conformance.reports.html import render_html
    from conformance.reports.markdown import build_summary
    from tests.reports.multi import two_operations

    key = "GET /v1/<script>`|*[x](javascript:alert(1))@team#1s"
    noun = items_noun(key).many
    assert noun == key.rsplit("/", 1)[1]  # read as the items' noun, not replaced by the fallback
    # Coverage recomputed for the two operations, from their exchanges: the second's says `noun`.
    result = dataclasses.replace(two_operations(mixed_result, key), coverage=None)
    report = build_report(result)
    assert f"{key}: saw all " in report["coverage"]["statement"]
    assert f" {noun}: the reference walk" in report["coverage"]["statement"]
    text = build_summary(report)
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    # Shown as text: no element, no link; the noun's characters all there.
    assert "<script" not in rendered and "<a " not in rendered
    assert "&lt;script&gt;`|*[x](javascript:alert(1))" in rendered
    assert f"Coverage: {cell(report['coverage']['statement'])}." in text
    html = render_html(report)
    assert html.count("<script") == 1
    assert "&lt;script&gt;`|*[x](javascript:alert(1))@team#1s: the reference walk" in html
