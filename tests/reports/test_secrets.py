"""The API key never reaches a file of the report dir, nor the console."""

from __future__ import annotations

import base64
from typing import Any


def _forms(key: str) -> list[str]:
    forms = [key]
    for wrapped in (f"{key}:", f":{key}", key):
        encoded = base64.b64encode(wrapped.encode()).decode()
        forms += [encoded, encoded.rstrip("=")]
    return forms


def test_the_key_is_never_written(clean_run: Any, faulty_run: Any, api_key: str) -> None:
    files = [p for run in (clean_run, faulty_run) for p in run.report_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"report.json", "exchanges.jsonl", "junit.xml", "report.html", "summary.md",
                                       "certificate.json"}
    assert any(p.parent.name == "reproduce" for p in files)  # the reproducers too
    for path in files:
        content = path.read_text(encoding="utf-8")
        for form in _forms(api_key):
            assert form not in content, f"{path.name} holds the API key ({form[:6]}...)"
    for run in (clean_run, faulty_run):
        for form in _forms(api_key):
            assert form not in run.out and form not in run.err
