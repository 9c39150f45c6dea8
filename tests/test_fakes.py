"""Third-party fakes as they are (tests/servers/fakes.py): every finding names the real fault.

A fake that refuses the `ending_before` parameter whatever the id fails PAG-005 and PAG-006
(the parameter), never PAG-016 (its ids work as `starting_after` throughout). A mock whose
placeholder id is the word "string" does not leak session data when its example error says
"string" (AUTH-005).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.servers.fakes import start_no_ending_before, start_placeholder_mock
from tests.support.runs import run_cli


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in report["requirements"]}


def test_a_refused_ending_before_parameter_is_the_parameters_fault_not_the_ids(tmp_path: Path) -> None:
    with start_no_ending_before() as (base_url, api_key):
        code, report = run_cli(base_url, api_key, tmp_path)
    verdicts = _verdicts(report)
    assert code == 1
    assert verdicts["PAG-005"] == "fail" and verdicts["PAG-006"] == "fail", verdicts
    assert verdicts["PAG-016"] == "pass", verdicts
    assert verdicts["PAG-001"] == "pass" and verdicts["PAG-004"] == "pass", verdicts


def test_a_placeholder_word_in_an_error_is_no_leak(tmp_path: Path) -> None:
    with start_placeholder_mock() as (base_url, api_key):
        _, report = run_cli(base_url, api_key, tmp_path)
    verdicts = _verdicts(report)
    assert verdicts["AUTH-005"] == "pass", verdicts
