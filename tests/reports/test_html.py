"""report.html: self-contained, escaped, and what a person sees in a browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in ("src", "href", "action", "srcset")]


def _html(report_dir: Path) -> str:
    return (report_dir / "report.html").read_text(encoding="utf-8")


def test_the_page_is_self_contained(mixed_dir: Path) -> None:
    collector = _Collector()
    collector.feed(_html(mixed_dir))
    assert "link" not in collector.tags and "iframe" not in collector.tags
    assert all(not re.match(r"(?i)^\s*([a-z]+:|//)", url) for url in collector.urls), collector.urls
    assert collector.tags.count("script") == 1  # ours, inline
    assert "default-src 'none'" in _html(mixed_dir)


def test_target_markup_is_escaped(mixed_dir: Path, hostile: str) -> None:
    html = _html(mixed_dir)
    assert hostile not in html
    assert "&lt;script&gt;document.title=&#34;PWNED&#34;&lt;/script&gt;" in html
    assert html.count("<script") == 1


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


def _artifacts() -> Path:
    return Path(os.environ.get("CONFORMANCE_ARTIFACTS") or REPO / "tests" / "artifacts")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); CI installs it")
def test_a_person_sees_the_verdict_and_a_working_filter(mixed_dir: Path, tmp_path: Path, hostile: str) -> None:
    report = json.loads((mixed_dir / "report.json").read_text(encoding="utf-8"))
    page = (mixed_dir / "report.html").resolve().as_uri()

    screenshot = _artifacts() / "reports" / "screenshots" / "report.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.unlink(missing_ok=True)
    _chromium(f"--screenshot={screenshot}", "--window-size=1280,1600", page, profile=tmp_path / "shot")
    assert screenshot.stat().st_size > 10_000  # a rendered page, not a blank one

    dom = _chromium("--dump-dom", page, profile=tmp_path / "dom").stdout
    banner = re.search(r'<div id="verdict-banner"[^>]*>\s*([A-Z]+)', dom)
    assert banner and banner.group(1) == "NONCONFORMANT"
    total = len(report["requirements"])
    assert len(re.findall(r'<tr class="requirement"', dom)) == total
    assert 'data-filters-ready="true"' in dom  # only the script sets it
    assert f"Showing {total} of {total} requirements" in dom
    # The target's markup stayed text: its script did not run, its onerror did not fire.
    assert "PWNED" not in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert "data-pwned" not in dom

    failing = report["counts"]["fail"]
    filtered = _chromium("--dump-dom", page + "#verdict=fail", profile=tmp_path / "filtered").stdout
    assert f"Showing {failing} of {total} requirements" in filtered
    assert len(re.findall(r'<tr class="requirement"[^>]*\shidden', filtered)) == total - failing


def _rows(html: str) -> list[tuple[str, str]]:
    """(requirement ID, verdict) of each table row, in page order."""
    return re.findall(r'<tr class="requirement" id="req-([A-Z]+-\d+)"[^>]*data-verdict="(\w+)"', html)


def test_failures_come_first_then_what_needs_attention(mixed_dir: Path) -> None:
    rows = _rows(_html(mixed_dir))
    report = json.loads((mixed_dir / "report.json").read_text(encoding="utf-8"))
    assert len(rows) == len(report["requirements"])
    order = ["fail", "warn", "error", "inconclusive"]
    ranks = [order.index(v) if v in order else len(order) for _id, v in rows]
    assert ranks == sorted(ranks)
    assert rows[0][1] == "fail"
    # Within a verdict, the catalog's order is kept.
    catalog = [r["id"] for r in report["requirements"]]
    passed = [rid for rid, v in rows if v == "pass"]
    assert passed == [rid for rid in catalog if rid in passed]


def test_the_banner_names_what_failed(faulty_run: Any) -> None:
    html = _html(faulty_run.report_dir)
    report = json.loads((faulty_run.report_dir / "report.json").read_text(encoding="utf-8"))
    failed = [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]
    banner = html.split('id="verdict-banner"', 1)[1].split("</div>", 1)[0]
    noun = "requirement" if len(failed) == 1 else "requirements"
    assert f"{len(failed)} {noun} failed: {', '.join(failed[:8])}" in banner


def test_markdown_code_spans_are_rendered_and_stay_escaped() -> None:
    from conformance.reports.html import code_spans

    assert str(code_spans("Without `limit`, a page")) == "Without <code>limit</code>, a page"
    assert str(code_spans("`<script>x</script>`")) == "<code>&lt;script&gt;x&lt;/script&gt;</code>"


def test_the_likely_cause_renders_its_code_spans(faulty_run: Any) -> None:
    # limit-off-by-one's title quotes `limit`: the page shows it as code, not as literal backticks.
    cause = _html(faulty_run.report_dir).split('id="likely-cause"', 1)[1].split("</li>", 1)[0]
    assert "<code>limit</code>" in cause and "`" not in cause


def test_timestamps_are_for_people(clean_run: Any) -> None:
    html = _html(clean_run.report_dir)
    report = json.loads((clean_run.report_dir / "report.json").read_text(encoding="utf-8"))
    assert re.search(r'started <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time>', html)
    assert "<code>limit</code>" in html  # requirement texts quote parameters in backticks
    assert f">{report['started_at']}<" not in html


def test_control_characters_from_the_target_are_inert_in_the_page(mixed_dir: Path) -> None:
    # `cat report.html`, `grep` or `less -R` in a CI log must not clear the screen or forge a line.
    from conformance.reports.html import render_html

    report = json.loads((mixed_dir / "report.json").read_text(encoding="utf-8"))
    failed = next(r for r in report["requirements"] if r["verdict"] == "fail")
    failed["reason"] = "cs_\x1b[2J\x1b]0;pwn\x07\rverdict: CONFORMANT\u202e"
    html = render_html(report)
    assert "cs_\\x1b[2J\\x1b]0;pwn\\x07\\x0dverdict: CONFORMANT\\u202e" in html
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", html)


def test_each_likely_cause_names_the_request_that_shows_it(faulty_run: Any) -> None:
    # The console shows a cause's exchange as its request; the page must too, not "#149 (see exchanges.jsonl)".
    report = json.loads((faulty_run.report_dir / "report.json").read_text())
    page = (faulty_run.report_dir / "report.html").read_text()
    exchanges = [json.loads(line) for line in (faulty_run.report_dir / "exchanges.jsonl").read_text().splitlines()]
    seqs = [seq for cause in report["diagnosis"] for seq in cause["exchanges"]]
    assert seqs, "the faulty run names a likely cause shown by exchanges"
    assert "see exchanges.jsonl" not in page
    for seq in seqs:
        assert f'#{seq} GET {exchanges[seq]["path"]}' in page


def test_a_cause_whose_exchange_no_evidence_quotes_still_names_its_request(faulty_run: Any) -> None:
    from conformance.reports.html import render_html

    report = json.loads((faulty_run.report_dir / "report.json").read_text())
    for requirement in report["requirements"]:  # only the cause's own `shown` is left to name them
        for item in requirement["evidence"]:
            item["exchanges"] = []
    page = render_html(report)
    assert "see exchanges.jsonl" not in page
    assert all(f"#{seq} GET " in page for cause in report["diagnosis"] for seq in cause["exchanges"])


def _sections(html: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(operation key, [(row id, ID, verdict)]) of each operation section, in page order."""
    found = []
    for body in re.findall(r'<tbody class="operation" id="op-[A-Za-z0-9_]+">(.*?)</tbody>', html, re.S):
        key = re.search(r'<tr class="operation-heading"><th colspan="5"><code>(.*?)</code>', body).group(1)
        rows = re.findall(r'<tr class="requirement" id="(req-[A-Za-z0-9_]+-([A-Z]+-\d+))"[^>]*'
                          r'data-verdict="(\w+)"', body)
        found.append((key, rows))
    return found


def test_a_section_per_operation_with_its_failures_first(two_dir: Path) -> None:
    html = _html(two_dir)
    report = json.loads((two_dir / "report.json").read_text(encoding="utf-8"))
    sections = _sections(html)
    assert [key for key, _ in sections] == report["operations"]
    order = ["fail", "warn", "error", "inconclusive", "waived"]
    for key, rows in sections:
        own = [r for r in report["requirements"] if r["operation"] == key]
        assert sorted(rid for _, rid, _ in rows) == sorted(r["id"] for r in own)
        ranks = [order.index(v) if v in order else len(order) for _, _, v in rows]
        assert ranks == sorted(ranks) and rows[0][2] == "fail"
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "every anchor is unique"
    # Each operation's verdict at the top, linked to its section.
    verdicts = {s["operation"]: s["verdict"] for s in report["by_operation"]}
    for key, verdict in verdicts.items():
        assert re.search(rf'<code>{re.escape(key)}</code></a>\s*<span class="verdict-word {verdict}">', html)
    # The banner names the failures grouped by their operation.
    banner = html.split('id="verdict-banner"', 1)[1].split("</div>", 1)[0]
    failed = {key: [r["id"] for r in report["requirements"] if r["operation"] == key and r["verdict"] == "fail"]
              for key in report["operations"]}
    assert (f"requirements failed: {', '.join(failed['GET /v1/checkout/sessions'])} on GET /v1/checkout/sessions "
            f"and {', '.join(failed['GET /v1/invoices'])} on GET /v1/invoices") in banner


def test_the_left_out_operations_are_listed_with_why(two_dir: Path) -> None:
    html = _html(two_dir)
    assert '<section id="left-out"' in html
    assert "<code>POST /v1/invoices</code>: not a GET: only list reads are judged" in html


def test_cause_links_point_at_rows_of_their_operation(two_dir: Path) -> None:
    html = _html(two_dir)
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    causes = html.split('<section id="likely-cause"', 1)[1].split("</section>", 1)[0]
    links = re.findall(r'href="#([^"]+)"', causes)
    assert links and all(link in ids for link in links)
    assert all(link.startswith("req-GET_v1_checkout_sessions-") for link in links if "invoices" not in link)
    # The invoices failure no cause explains (the causes are checkout sessions'): named with its operation.
    assert re.search(r'<a href="#req-GET_v1_invoices-[A-Z]+-\d+">[A-Z]+-\d+</a> on <code>GET /v1/invoices</code>',
                     causes)


def test_an_operation_key_is_escaped(two_result: Any, tmp_path: Path) -> None:
    from conformance.reports.document import build_report
    from conformance.reports.html import render_html
    from tests.reports.multi import renamed_operation

    hostile = "GET /v1/<img src=x onerror=alert(1)>"
    report = renamed_operation(build_report(two_result), hostile)
    html = render_html(report)
    assert "<img src=x" not in html and "GET /v1/&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<script") == 1


def test_a_one_operation_page_has_no_operation_sections(mixed_dir: Path) -> None:
    html = _html(mixed_dir)
    assert '<tr class="operation-heading"' not in html and 'id="operations"' not in html
    assert "data-operation" not in html and 'id="left-out"' not in html
    assert 'data-filter="operation"' not in html


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); CI installs it")
def test_the_operation_filter_shows_one_operation(two_dir: Path, tmp_path: Path) -> None:
    report = json.loads((two_dir / "report.json").read_text(encoding="utf-8"))
    page = (two_dir / "report.html").resolve().as_uri()
    total = len(report["requirements"])
    invoices = sum(r["operation"] == "GET /v1/invoices" for r in report["requirements"])
    dom = _chromium("--dump-dom", page + "#operation=GET%20%2Fv1%2Finvoices", profile=tmp_path / "op").stdout
    assert f"Showing {invoices} of {total} requirements" in dom
    shown = re.findall(r'<tr class="requirement" id="(req-[A-Za-z0-9_]+)-[A-Z]+-\d+"(?![^>]*\shidden)', dom)
    assert shown and set(shown) == {"req-GET_v1_invoices"}
    failing = sum(r["operation"] == "GET /v1/invoices" and r["verdict"] == "fail" for r in report["requirements"])
    both = _chromium("--dump-dom", page + "#operation=GET%20%2Fv1%2Finvoices&verdict=fail",
                     profile=tmp_path / "both").stdout
    assert f"Showing {failing} of {total} requirements" in both
