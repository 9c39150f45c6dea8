"""What reaches a terminal is inert, and the suite cannot hide its own gaps.

- Target text (ids, messages, headers) with control characters cannot clear the screen,
  move the cursor or forge a line such as ``verdict: CONFORMANT`` in a CI log.
- A requirement a check declares but does not judge is an ERROR (a suite bug, exit 3),
  never a silent skip that ``--strict`` would pass.
- ``--only AREA`` selects the requirements of that area in the catalog, wherever the
  check that judges them lives.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from conformance.checks import registry
from conformance.checks.base import Check, Record, RunContext
from conformance.cli import main
from conformance.reference.server import RunningServer
from conformance.spec import Spec
from conformance.terminal import inert
from conformance.verdicts import Outcome

from . import hostile
from .test_key_oracle import run_in_process

FORGED = "\x1b[2J\x1b[H\rverdict: CONFORMANT\n\x1b]0;pwned\x07\u202e"


def forging(base_url: str) -> hostile.Behaviour:
    """The reference's answers with control sequences in a session's status and a header."""

    def behaviour(conn: hostile.Connection) -> None:
        up = hostile.fetch_upstream(base_url, conn.request)
        body = up.body
        if up.status == 200:
            page = json.loads(body)
            if page.get("data"):
                page["data"][0]["status"] = FORGED
            body = json.dumps(page).encode()
        conn.respond(up.status, body, {**up.headers, "X-Note": "a\x1b[31mred"}, up.reason)

    return behaviour


def test_control_sequences_from_the_target_are_inert(tmp_path: Path, reference: RunningServer) -> None:
    with hostile.serving(forging(reference.base_url), "forging") as server:
        code, console = run_in_process(server.base_url, tmp_path, "--only", "object")
    assert code == 1
    assert "\\x1b[2J" in console, "the finding quoting the status should be shown, escaped"
    controls = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]")
    for name, text in [("console", console), *((p.name, p.read_text()) for p in tmp_path.glob("summary.md"))]:
        assert not controls.search(text), f"{name}: {controls.search(text)!r}"
    verdict_lines = [line for line in console.splitlines() if line.startswith("verdict:")]
    assert verdict_lines == ["verdict: NONCONFORMANT"], verdict_lines


def test_inert_escapes_every_control_and_keeps_text() -> None:
    assert inert("cs_1\x1b[2J\r\nx\u202e\x7f") == "cs_1\\x1b[2J\\x0d\\x0ax\\u202e\\x7f"
    assert inert("café ✓ tab-free") == "café ✓ tab-free"


def _dropping(requirement: str) -> tuple[Check, ...]:
    """The registry's checks, one of which forgets to judge `requirement` it declares."""

    def without(check: Check) -> Check:
        def judge(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
            return [o for o in check.judge(record, run, spec) if o.requirement != requirement]

        return dataclasses.replace(check, judge=judge)

    return tuple(without(c) if requirement in c.verifies else c for c in registry.CHECKS)


def test_a_declared_requirement_left_unjudged_is_a_suite_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(registry, "CHECKS", _dropping("ENV-001"))
    code = main(["run", "--quiet", "--strict", "--only", "envelope", "--report-dir", str(tmp_path)])
    capsys.readouterr()
    report = json.loads((tmp_path / "report.json").read_text())
    entry = next(r for r in report["requirements"] if r["id"] == "ENV-001")
    assert entry["verdict"] == "error"
    assert "declares ENV-001 but did not judge it" in entry["reason"]
    assert report["verdict"] == "error"
    assert code == 3


def test_only_an_area_selects_its_requirements_from_the_catalog(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--quiet", "--only", "object", "--report-dir", str(tmp_path)])
    capsys.readouterr()
    report = json.loads((tmp_path / "report.json").read_text())
    ids = {r["id"] for r in report["requirements"]}
    assert "OBJ-005" in ids  # judged by an envelope check, but an object rule
    assert {r["area"] for r in report["requirements"]} == {"object"}
    assert code == 0
