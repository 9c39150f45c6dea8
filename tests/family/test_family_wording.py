"""What the coverage and activity sentences call an operation's items (issue 24's "seen and left":
"sessions" was said of invoices and customers). The noun is the operation's own, from the last
segment of its path (conformance.operations.items_noun); checkout sessions keep every earlier run's
words, byte for byte. A run of several operations states each one's coverage and activity, named
with its key, over its own exchanges only."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks.history import describe
from conformance.cli import main
from conformance.judge.family import activity_text
from conformance.operations import CHECKOUT_SESSIONS, items_noun
from conformance.profiles import PROFILES
from conformance.reference.server import ReferenceConfig, start_background
from conformance.resources import family_path
from conformance.run.runner import RunOptions, RunResult, run
from conformance.wording import Noun

KEY = "sk_test_family_wording"
CUSTOMERS, INVOICES = "GET /v1/customers", "GET /v1/invoices"


@pytest.mark.parametrize(("operation", "one", "many"), [
    (CHECKOUT_SESSIONS, "session", "sessions"),
    (INVOICES, "invoice", "invoices"),
    ("/v1/customers", "customer", "customers"),
    ("GET /v1/payment_intents", "payment intent", "payment intents"),
    ("GET /v1/entries", "entry", "entries"),
    ("GET /v1/addresses", "address", "addresses"),
    # No plural to read: a safe fallback, never a guess.
    ("GET /v1/list", "object", "objects"),
    ("GET /v1/{id}", "object", "objects"),
    ("GET /v1/access", "object", "objects"),
    ("GET /", "object", "objects"),
    ("GET /v1/" + "s" * 65, "object", "objects"),
])
def test_an_operations_items_are_named_from_its_path(operation: str, one: str, many: str) -> None:
    assert items_noun(operation) == Noun(one, many)


def test_checkout_sessions_activity_keeps_its_words() -> None:
    # Literal, as every run before families printed it (console, summary.md, report.html).
    quiet = {"live": False, "sessions_created": 0, "status_changes": 0, "sessions_judged": 57, "outside_model": [],
             "ids_change_per_response": False, "rechecked": True}
    said = "the account was quiet: no session created and no status change seen; 57 sessions judged"
    assert describe(quiet) == activity_text(quiet, [CHECKOUT_SESSIONS]) == activity_text(quiet) == said
    live = {**quiet, "live": True, "sessions_created": 1, "status_changes": 2}
    assert activity_text(live, [CHECKOUT_SESSIONS]) == (
        "the account was live: 1 session created and 2 status changes seen during the run; rules judged on the "
        "57 sessions that existed throughout")
    assert activity_text(live, [INVOICES]) == (
        "the account was live: 1 invoice created and 2 status changes seen during the run; rules judged on the "
        "57 invoices that existed throughout")


@pytest.fixture(scope="module")
def family() -> Iterator[str]:
    with start_background(ReferenceConfig(api_key=KEY)) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def whole(family: str) -> RunResult:
    return run(RunOptions(base_url=family, api_key=KEY, profile=PROFILES["quick"], spec_path=family_path()))


def test_a_family_runs_coverage_names_each_operations_items_over_its_own_pages(whole: RunResult) -> None:
    assert whole.operations == [CHECKOUT_SESSIONS, CUSTOMERS, INVOICES]
    # Independent of the coverage code: the distinct ids each path's list pages showed.
    seen = {key: len({i for e in whole.exchanges if e.path == key.split(" ", 1)[1] for i in e.page_ids or ()})
            for key in whole.operations}
    coverage = whole.coverage_of_run()
    parts = coverage.statement.split("; ")
    assert parts == [f"{key}: saw all {seen[key]} {many}: the reference walk read the whole collection"
                     for key, many in zip(whole.operations, ("sessions", "customers", "invoices"), strict=True)]
    assert coverage.sessions_seen == sum(seen.values())
    for phrase in coverage.not_probed:
        key, _, what = phrase.partition(": ")
        assert key in whole.operations and ("session" not in what or key == CHECKOUT_SESSIONS), phrase
    assert any(p.startswith(f"{INVOICES}: ") and "invoices read)" in p for p in coverage.not_probed)
    # Each operation's activity, its own noun, named by its key.
    said = activity_text(whole.activity, whole.operations).split("; GET ")
    assert [s.removeprefix("GET ").split(":", 1)[0] for s in said] == [k.removeprefix("GET ") for k in whole.operations]
    for text, key, one, many in zip(said, whole.operations, ("session", "customer", "invoice"),
                                    ("sessions", "customers", "invoices"), strict=True):
        judged = next(a["sessions_judged"] for a in whole.activity["operations"] if a["operation"] == key)
        assert text.endswith(f": the account was quiet: no {one} created and no status change seen; "
                             f"{judged} {many} judged"), text


def test_a_run_of_invoices_says_invoices_in_every_report(family: str, tmp_path: Path) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", "--base-url", family, "--api-key", KEY, "--profile", "quick", "--spec", str(family_path()),
                     "--operation", INVOICES, "--report-dir", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    statement, activity = report["coverage"]["statement"], report["activity"]["text"]
    assert re.fullmatch(r"saw all \d+ invoices: the reference walk read the whole collection", statement)
    assert re.fullmatch(r"the account was quiet: no invoice created and no status change seen; \d+ invoices judged",
                        activity)
    assert report["coverage"]["not_probed"] and all("session" not in p for p in report["coverage"]["not_probed"])
    console = out.getvalue()
    assert f"coverage: {statement}\n" in console and f"  {activity}\n" in console
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"Coverage: {statement}." in summary and f"Activity: {activity}." in summary
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"Coverage: {statement}" in html and f"Activity: {activity}." in html
    assert "session" not in " ".join([statement, activity, *report["coverage"]["not_probed"]])
