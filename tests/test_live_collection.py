"""Whole runs against live accounts: servers whose sessions are created and expire while judged.

CONTRACT.md, "A live collection": a correct server under churn (up to 4 sessions created and
1 expired per second) passes `--strict`, with the activity stated in every report; a fault
stays a finding; ids that change per response are named as the server's fault; and a live
run costs about what a quiet one does. Each run here waits until the server has churned, so
the live reasoning is really exercised (asserted from the report, never assumed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.cli import build_parser, main
from conformance.reference.server import ReferenceConfig, RunningServer, start_background
from tests.servers.variant import start_variant
from tests.support.runs import run_cli

SCHEMA = json.loads((Path(__file__).parents[1] / "conformance" / "reports" / "report.schema.json").read_text())
CREATED_PER_SECOND, EXPIRED_PER_SECOND = 4.0, 1.0


@pytest.fixture()
def live_reference() -> Iterator[RunningServer]:
    config = ReferenceConfig(churn=CREATED_PER_SECOND, churn_expiry=EXPIRED_PER_SECOND)
    with start_background(config) as server:
        _wait_for_churn(lambda: server.churn.created)
        yield server


def _wait_for_churn(created: Any) -> None:
    """The run starts on an account that is already moving (a second at most)."""
    deadline = time.monotonic() + 5
    while created() < 1 and time.monotonic() < deadline:
        time.sleep(0.05)


def _problems(report: dict[str, Any]) -> list[str]:
    return [f"{r['id']} {r['verdict']}: {r['reason']} {[e['message'] for e in r['evidence'][:2]]}"
            for r in report["requirements"] if r["verdict"] not in ("pass", "skip")]


def _run_reference(server: RunningServer, report_dir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    return run_cli(server.base_url, server.api_key, report_dir, "--api-version", server.config.api_versions[0],
                   *extra)


# A quick run lasts about as long as the time between two new sessions at 4/s: each run must
# pass, and the test runs again (a few times at most) until one run has seen the account move.
ATTEMPTS = 5


def _until_live(run: Any) -> dict[str, Any]:
    for attempt in range(ATTEMPTS):
        code, report = run(attempt)
        assert code == 0, _problems(report)
        if report["activity"]["live"]:
            return dict(report)
    raise AssertionError(f"no run of {ATTEMPTS} saw a session created or a status change")


@pytest.mark.parametrize("profile", ["quick", "thorough"])
def test_reference_under_churn_passes_strict(live_reference: RunningServer, tmp_path: Path, profile: str) -> None:
    report = _until_live(lambda n: _run_reference(live_reference, tmp_path, "--strict", "--profile", profile))
    activity = report["activity"]
    assert activity["live"] and activity["sessions_created"] >= 1 and not activity["outside_model"]
    assert activity["text"].startswith("the account was live: ")
    assert report["diagnosis"] == []  # a correct server on a live account: no cause named (issue 20)
    jsonschema.validate(report, SCHEMA)
    assert "Activity: the account was live" in (tmp_path / "summary.md").read_text()
    assert "the account was live" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize("profile", ["quick", "standard", "thorough"])
def test_variant_under_churn_passes_strict(tmp_path: Path, profile: str) -> None:
    with start_variant(sessions=60, seed=1, churn=CREATED_PER_SECOND, expiry=EXPIRED_PER_SECOND) as target:
        time.sleep(0.27)  # just after the first new session (due at 0.25 s): the next comes during the run
        base_url, api_key, version = target
        report = _until_live(lambda n: run_cli(base_url, api_key, tmp_path / str(n), "--api-version", version,
                                               "--strict", "--profile", profile))
    assert report["activity"]["sessions_created"] >= 1
    assert report["diagnosis"] == []


@pytest.mark.parametrize("fault, requirement", [
    ("cursor-skips-next", "PAG-001"),
    ("has-more-no-extra-row", "PAG-007"),
    ("filter-after-slice", "FLT-003"),
    ("limit-off-by-one", "LIM-002"),
])
def test_a_fault_under_churn_is_a_finding_not_an_inconclusive(tmp_path: Path, fault: str, requirement: str) -> None:
    """The issue's measurements: each of these ended in exit 3 before the history existed. A fault
    must be caught at any rate; a faster one makes sure these short runs see sessions created."""
    config = ReferenceConfig(fault=fault, churn=4 * CREATED_PER_SECOND, churn_expiry=EXPIRED_PER_SECOND)
    with start_background(config) as server:
        _wait_for_churn(lambda: server.churn.created)
        for attempt in range(ATTEMPTS):  # until a run has seen the account move (a loaded machine may not)
            code, report = _run_reference(server, tmp_path / str(attempt), "--profile", "quick")
            verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
            assert code == 1, _problems(report)
            assert verdicts[requirement] == "fail"
            if report["activity"]["live"]:
                return
    raise AssertionError(f"no run of {ATTEMPTS} saw a session created or a status change")


@pytest.mark.parametrize("fault, requirement", [("cursor-inclusive", "PAG-001"), ("filter-ignored", "FLT-002")])
def test_a_variant_fault_under_churn_is_a_finding(tmp_path: Path, fault: str, requirement: str) -> None:
    """The independent variant, live (new sessions after their second's others), with one mistake."""
    with start_variant(sessions=60, seed=1, faults=frozenset({fault}), churn=4 * CREATED_PER_SECOND,
                       expiry=EXPIRED_PER_SECOND) as (base_url, api_key, version):
        time.sleep(0.1)
        code, report = run_cli(base_url, api_key, tmp_path, "--api-version", version, "--profile", "quick")
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert code == 1, _problems(report)
    assert verdicts[requirement] == "fail"


def test_ids_that_change_per_response_fail_with_a_finding_that_says_so(tmp_path: Path) -> None:
    config = ReferenceConfig(fault="ids-per-response", churn=CREATED_PER_SECOND, churn_expiry=EXPIRED_PER_SECOND)
    with start_background(config) as server:
        code, report = _run_reference(server, tmp_path, "--profile", "quick")
    assert code == 1
    [pag016] = [r for r in report["requirements"] if r["id"] == "PAG-016"]
    assert pag016["verdict"] == "fail"
    assert "the server's ids change from one response to the next" in pag016["reason"]
    assert report["activity"]["ids_change_per_response"] is True
    assert "collection changed" not in json.dumps(report)


def test_a_live_run_sends_at_most_a_fifth_more_requests_than_a_quiet_one(tmp_path: Path) -> None:
    with start_background(ReferenceConfig()) as quiet:
        _, quiet_report = _run_reference(quiet, tmp_path / "quiet", "--profile", "standard")
    config = ReferenceConfig(churn=CREATED_PER_SECOND, churn_expiry=EXPIRED_PER_SECOND)
    with start_background(config) as live:
        _wait_for_churn(lambda: live.churn.created)
        _, live_report = _run_reference(live, tmp_path / "live", "--profile", "standard")
    assert live_report["activity"]["live"] and not quiet_report["activity"]["live"]
    assert live_report["requests"] <= 1.2 * quiet_report["requests"], (live_report["requests"],
                                                                       quiet_report["requests"])


def test_a_quiet_run_says_the_account_was_quiet(tmp_path: Path) -> None:
    with start_background(ReferenceConfig()) as server:
        code, report = _run_reference(server, tmp_path, "--profile", "quick")
    assert code == 0
    assert report["activity"]["text"].startswith("the account was quiet")
    assert report["activity"]["sessions_judged"] == 57


def test_serve_takes_a_churn_rate() -> None:
    args = build_parser().parse_args(["serve", "--churn", "4", "--fault", "cursor-inclusive"])
    assert (args.churn, args.fault) == (4.0, ["cursor-inclusive"])  # --fault is repeatable: one per operation
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--churn", "-1"])
    assert exit_info.value.code == 2


def test_churn_creates_at_the_head_and_expires_open_sessions_only() -> None:
    config = ReferenceConfig(churn=20.0, churn_expiry=10.0)
    with start_background(config) as server:
        store = server.churn.store
        before = {s["id"]: s for s in store.all_items()}
        time.sleep(0.5)
        server.churn.stop()
        after = store.all_items()
    newest_before = max(s["created"] for s in before.values())
    new = [s for s in after if s["id"] not in before]
    assert len(new) == server.churn.created >= 5
    assert all(s["created"] >= newest_before and s["status"] in ("open", "expired") for s in new)
    changed = [s for s in after if s["id"] in before and s != before[s["id"]]]
    assert changed and all(before[s["id"]]["status"] == "open" and s["status"] == "expired"
                           and s["created"] == before[s["id"]]["created"] and s["url"] is None for s in changed)
    assert {s["id"] for s in after} >= set(before)  # nothing deleted
