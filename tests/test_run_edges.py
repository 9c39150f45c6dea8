"""Runs at the edges: too little data, a used-up budget, a crashing check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks import registry
from conformance.checks.base import Check
from conformance.profiles import PROFILES
from conformance.reference.server import ReferenceConfig, RunningServer, start_background
from tests.support.runs import run_cli


@pytest.fixture
def small_target(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    with start_background(ReferenceConfig(sessions=request.param)) as server:
        yield server


def _run(server: RunningServer, report_dir: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    return run_cli(server.base_url, server.api_key, report_dir, *extra)


def _verdicts(report: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {r["id"]: r["verdict"] for r in report["requirements"]}


@pytest.mark.parametrize("small_target", [0, 1], indirect=True, ids=["empty", "one-session"])
def test_too_little_data_is_inconclusive_with_a_sentence(
    small_target: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _run(small_target, tmp_path)
    out = capsys.readouterr().out
    assert code == 3
    assert report["gate_verdict"] == "inconclusive"
    assert "Too little data to judge" in report["verdict_reason"]
    assert report["verdict_reason"] in out
    verdicts = _verdicts(report)
    # Nothing about walks is passed on an empty or single-item collection.
    assert {verdicts[r] for r in ("PAG-001", "PAG-002", "PAG-004", "PAG-009")} == {"skip"}


@pytest.mark.parametrize("small_target", [3], indirect=True)
def test_a_small_collection_skips_what_it_cannot_show(small_target: RunningServer, tmp_path: Path) -> None:
    code, report = _run(small_target, tmp_path)
    assert code == 0
    entries = {r["id"]: r for r in report["requirements"]}
    assert entries["LIM-001"]["verdict"] == "skip"
    assert "needs more than 10" in entries["LIM-001"]["reason"]
    assert entries["PAG-001"]["verdict"] == "pass"


def test_a_used_up_request_budget_is_inconclusive_not_a_pass(tmp_path: Path) -> None:
    with start_background(ReferenceConfig()) as server:
        code, report = _run(server, tmp_path, "--max-requests", "40")
    assert code == 3
    assert report["requests"] == 40
    assert "inconclusive" in _verdicts(report).values()


def test_a_crashing_check_is_a_suite_error_never_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(*_args: object) -> list[object]:
        raise KeyError("bug in the suite")

    broken = tuple(Check(c.name, c.area, c.verifies, crash) if c.name == "limit.rejected" else c
                   for c in registry.CHECKS)
    monkeypatch.setattr(registry, "CHECKS", broken)
    with start_background(ReferenceConfig()) as server:
        code, report = _run(server, tmp_path)
    verdicts = _verdicts(report)
    assert {verdicts[r] for r in ("LIM-005", "LIM-006", "LIM-007")} == {"error"}
    assert "fail" not in verdicts.values()
    assert code == 3
    assert report["gate_verdict"] == "error"
    assert "A bug in the suite (not the target)" in capsys.readouterr().out


def test_thorough_judges_a_large_account_within_its_own_request_cap(tmp_path: Path) -> None:
    # thorough's budgets send more than the 2,000 requests that cap quick and standard: with
    # that cap it left nearly half of the requirements inconclusive on a large account.
    with start_background(ReferenceConfig(sessions=1200)) as server:
        code, report = run_cli(server.base_url, server.api_key, tmp_path, "--profile", "thorough")
    assert code == 0, report["verdict_reason"]
    assert 2000 < report["requests"] <= PROFILES["thorough"].max_requests
