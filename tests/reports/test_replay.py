"""Stored transcripts re-judged: today's judge gives the verdicts their report.json states.

tests/reports/data/replay/ holds report.json and exchanges.jsonl of small saved runs (its
README says how they were made and how to make them again). `verify`'s re-judging, the very
`judge_run` that `run` judged with, runs on each here; a change to judging that changes what
one of them concludes fails with the requirements (or the reason, scope, diagnosis) that moved.
The expected values are the stored files, written by the suite before this test existed, not
by the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.exchange import Exchange
from conformance.not_sent import Stopped
from conformance.reports.exchanges import exchange_line, read_exchanges
from conformance.verify import _rejudge_problems, coverage_problems

REPLAY = Path(__file__).parent / "data" / "replay"
RUNS = sorted(p.name for p in REPLAY.iterdir() if (p / "report.json").is_file())


def _load(name: str) -> tuple[dict[str, Any], list[Exchange]]:
    report: dict[str, Any] = json.loads((REPLAY / name / "report.json").read_text(encoding="utf-8"))
    return report, read_exchanges(REPLAY / name / "exchanges.jsonl")


def _problems(report: dict[str, Any], exchanges: list[Exchange]) -> list[str]:
    # verify compares the certificate's verdicts too; here they are report.json's own.
    certificate = {"requirements": report["requirements"], "verdict": report["verdict"]}
    _, problems = _rejudge_problems(report, certificate, exchanges)
    return problems + coverage_problems(report, exchanges)


def test_the_stored_runs_are_there() -> None:
    assert RUNS == ["budget", "deadline-waivers"]


@pytest.mark.parametrize("name", RUNS)
def test_a_stored_transcript_is_judged_as_its_report_says(name: str) -> None:
    report, exchanges = _load(name)
    assert _problems(report, exchanges) == []


@pytest.mark.parametrize("name", RUNS)
def test_a_stored_report_with_its_stop_kind_is_judged_the_same(name: str) -> None:
    # The stored reports predate `stopped_kind`; written today they carry it, read from the same text.
    report, exchanges = _load(name)
    assert "stopped_kind" not in report and report["stopped"]
    report.update(Stopped.to_report(Stopped.from_report(report)))
    assert report["stopped_kind"] in ("request budget", "deadline")
    assert _problems(report, exchanges) == []


@pytest.mark.parametrize("name", RUNS)
def test_a_stored_transcript_written_today_is_judged_the_same(name: str) -> None:
    # The stored transcripts predate `left_undone` (their words are read back); written today each
    # unsent request carries its reason as a value, and the judgement must not move.
    report, exchanges = _load(name)
    assert '"left_undone"' not in (REPLAY / name / "exchanges.jsonl").read_text(encoding="utf-8")
    rewritten = [Exchange.from_dict(json.loads(exchange_line(e))) for e in exchanges]
    undone = [e for e in rewritten if e.left_undone is not None]
    assert undone and all(e.error == e.left_undone.error for e in undone)
    report.update(Stopped.to_report(Stopped.from_report(report)))
    assert _problems(report, rewritten) == []


@pytest.mark.parametrize("name", RUNS)
def test_a_verdict_that_moved_is_named(name: str) -> None:
    # The comparison can fail: a requirement whose stated verdict is not what re-judging gives is named.
    report, exchanges = _load(name)
    entry = next(e for e in report["requirements"] if e["verdict"] == "pass")
    entry["verdict"] = "fail"
    assert any(p.startswith(f"{entry['id']}: report.json says fail") for p in _problems(report, exchanges))


def test_the_runs_cover_what_they_are_kept_for() -> None:
    budget, _ = _load("budget")
    deadline, _ = _load("deadline-waivers")
    assert budget["stopped"].startswith("the request budget")
    assert {"pass", "fail", "skip", "inconclusive"} <= {e["verdict"] for e in budget["requirements"]}
    assert budget["diagnosis"]
    assert deadline["stopped"].startswith("the run's deadline")
    assert any(e["verdict"] == "waived" for e in deadline["requirements"])
    assert any(e["reason"].startswith("its requests were not sent: the run's deadline")
               for e in deadline["requirements"])
