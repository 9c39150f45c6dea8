"""Coverage stated, not implied (issue 10): on a collection larger than the walks' page
budget, the console, summary.md and report.json say what part of it the run saw."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.exchange import Exchange
from conformance.judge.coverage import coverage_of
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



def _page(seq: int, ids: list[str] | None, has_more: bool = True, status: int | None = 200,
          error: str | None = None) -> Exchange:
    """A reference-walk page listing `ids` (None: no list page: `error`, or `status` without a body)."""
    body = json.dumps({"object": "list", "data": [{"id": i} for i in ids], "has_more": has_more}) if ids else ""
    return Exchange(seq=seq, tag="walk:100", path="/v1/checkout/sessions", query=[("limit", "100")], auth="key",
                    request_headers={}, status=status, body=body, error=error)


@pytest.mark.parametrize(("last", "why"), [
    (_page(1, None, status=None, error="connection failed (NONSENSE)"),
     "before page 2 went unanswered (connection failed (NONSENSE))"),
    (_page(1, None, status=None, error="not sent: the request budget (3) is used up"),
     "before page 2 went unanswered (not sent: the request budget (3) is used up)"),
    (_page(1, None, status=500), "before page 2 was not a list page (HTTP 500)"),
])
def test_a_walk_cut_by_a_failure_is_not_said_to_be_cut_by_the_page_budget(last: Exchange, why: str) -> None:
    statement = coverage_of([_page(0, ["cs_1", "cs_2"]), last]).statement
    assert statement == ("sampled 2 sessions of more than 2: the head of the list order (the first 2, read 1 page "
                         f"deep {why}); the rest of the collection was not seen")


def test_a_walk_cut_by_the_page_budget_says_so() -> None:
    statement = coverage_of([_page(0, ["cs_1"]), _page(1, ["cs_2"])]).statement
    assert statement == ("sampled 2 sessions of more than 2: the head of the list order (the first 2, read 2 pages "
                         "deep before the page budget stopped the walk while has_more was still true); the rest of "
                         "the collection was not seen")


# -- the kinds of probe a profile left out (issue 21) ------------------------------------------------
def _run_on_60(tmp_path: Path, profile: str) -> tuple[int, str, dict[str, Any], str]:
    out = tmp_path / "console.txt"
    with (start_background(ReferenceConfig(sessions=60, seed=3)) as server, out.open("w") as stream,
          contextlib.redirect_stdout(stream)):
        code = main(["run", "--base-url", server.base_url, "--api-key", server.api_key, "--quiet",
                     "--profile", profile, "--report-dir", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    return code, out.read_text(encoding="utf-8"), report, (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_quick_names_what_it_did_not_probe_on_an_account_it_reads_whole(tmp_path: Path) -> None:
    # 60 sessions: quick's reference walk reads them all, yet its limit=1 walk stops after 15 pages
    # and its walk without limit after 5 of 10 (profiles.py), and it tries four limits of 100.
    code, console, report, summary = _run_on_60(tmp_path, "quick")
    assert code == 0, console
    kinds = report["coverage"]["not_probed"]
    assert "the walk with limit=1 past page 15 (15 sessions read)" in kinds
    assert "the walk without limit past page 5 (50 sessions read)" in kinds
    assert kinds[-1] == "limits other than 1, 7, 10 and 100"
    assert report["coverage"]["statement"] == "saw all 60 sessions: the reference walk read the whole collection"
    assert f"  quick did not probe: {'; '.join(kinds)}\n" in console
    assert "Profile quick did not probe: the walk with limit=1 past page 15 (15 sessions read); " in summary


def test_standard_names_only_the_limits_it_did_not_try(tmp_path: Path) -> None:
    code, console, report, _summary = _run_on_60(tmp_path, "standard")
    assert code == 0, console
    assert report["coverage"]["not_probed"] == ["limits other than 1, 2, 7, 10, 50, 99 and 100"]
    assert "  standard did not probe: limits other than 1, 2, 7, 10, 50, 99 and 100\n" in console


def test_thorough_leaves_nothing_out_on_an_account_it_reads_whole(tmp_path: Path) -> None:
    code, console, report, summary = _run_on_60(tmp_path, "thorough")
    assert code == 0, console
    assert report["coverage"]["not_probed"] == []
    assert "did not probe" not in console and "did not probe" not in summary


def _walk_page(seq: int, tag: str, ids: list[str], has_more: bool, query: list[tuple[str, str]]) -> Exchange:
    body = json.dumps({"object": "list", "data": [{"id": i} for i in ids], "has_more": has_more})
    return Exchange(seq=seq, tag=tag, path="/v1/checkout/sessions", query=query, auth="key",
                    request_headers={}, status=200, body=body)


def test_only_a_walk_its_budget_stopped_is_named() -> None:
    ended = [_walk_page(0, "walk:100", ["cs_1", "cs_2"], False, [("limit", "100")])]
    budget = [_walk_page(1, "walk:1", ["cs_1"], True, [("limit", "1")])]
    failed = [*budget, Exchange(seq=2, tag="walk:1", path="/v1/checkout/sessions",
                                query=[("limit", "1"), ("starting_after", "cs_1")], auth="key",
                                request_headers={}, status=None, body="", error="connection failed")]
    open_walk = [_walk_page(1, "filter:open", ["cs_1"], True, [("limit", "3"), ("status", "open")])]
    assert coverage_of(ended).not_probed == ()
    assert coverage_of([*ended, *budget]).not_probed == ("the walk with limit=1 past page 1 (1 session read)",)
    assert coverage_of([*ended, *failed]).not_probed == ()  # cut by a failure: reported as such, not here
    assert coverage_of([*ended, *open_walk]).not_probed == (
        "the walk with limit=3 and status=open past page 1 (1 session read)",
        "the full last page of status=open (asked after a walk that reaches the end)")


def test_limits_a_cut_left_unsent_are_not_named_as_left_out_by_the_profile() -> None:
    # A reviewer ran --max-requests 1: "standard did not probe: limits other than 1", though limit=1 was never sent.
    from conformance.not_sent import NotSent

    ended = [_walk_page(0, "walk:100", ["cs_1", "cs_2"], False, [("limit", "100")])]
    tried = _walk_page(1, "limit:accept", ["cs_1"], True, [("limit", "1")])
    unsent = Exchange(seq=2, tag="limit:accept", path="/v1/checkout/sessions", query=[("limit", "2")])
    unsent.leave_undone(NotSent.request_budget(2))
    assert coverage_of([*ended, tried]).not_probed == ("limits other than 1",)  # the profile's own choice
    assert coverage_of([*ended, tried, unsent]).not_probed == ()
