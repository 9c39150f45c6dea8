"""The console summary of a run of several operations (issue 24): per operation what was read and
its verdict, what needs attention under each, a line per operation left out; one operation as before."""

from __future__ import annotations

import dataclasses
import io
import re

from conformance.console import print_summary
from conformance.operations import CHECKOUT_SESSIONS, LeftOut
from conformance.run.runner import RunResult
from tests.reports.multi import INVOICES, LEFT_OUT, failed_on


def _printed(result: RunResult) -> str:
    out = io.StringIO()
    print_summary(result, [], out)
    return out.getvalue()


def test_each_operation_says_what_was_read_and_its_verdict(two_result: RunResult) -> None:
    text = _printed(two_result)
    for key in (CHECKOUT_SESSIONS, INVOICES):
        path = key.split(" ", 1)[1]
        requests = sum(e.path == path for e in two_result.exchanges)
        items = len({i for e in two_result.exchanges if e.path == path for i in e.page_ids or ()})
        line = re.search(rf"^  {re.escape(key)}: (\d+) requests?, (\d+) items? seen — (\w+)", text, re.M)
        assert line, text
        assert (int(line.group(1)), int(line.group(2))) == (requests, items) and requests > 0 and items > 0
        assert line.group(3) == "NONCONFORMANT"
    assert f"left out: {LEFT_OUT.key}: {LEFT_OUT.reason}" in text


def test_findings_are_listed_under_their_operation(two_result: RunResult) -> None:
    text = _printed(two_result)
    invoices = text.split(f"\n  {INVOICES}:\n", 1)[1]
    (failed,) = failed_on(two_result, INVOICES)
    assert re.search(rf"^  FAIL\s+{failed}\s", invoices, re.M)
    # Its curl line replays the invoices request, not a checkout sessions one.
    curl = re.search(r"^\s+curl .*$", invoices.split(f"FAIL         {failed}", 1)[1], re.M).group(0)
    assert "/v1/invoices" in curl
    checkout = text.split(f"\n  {CHECKOUT_SESSIONS}:\n", 1)[1].split(f"\n  {INVOICES}:\n", 1)[0]
    assert all(re.search(rf"^  FAIL\s+{i}\s", checkout, re.M) for i in failed_on(two_result, CHECKOUT_SESSIONS))
    # The causes are checkout sessions': the invoices failure is named unexplained, with its operation.
    line = next(x for x in text.splitlines() if "Not explained by a known cause:" in x)
    assert f"{failed} on {INVOICES}" in line


def test_an_operation_key_and_reason_stay_inert(two_result: RunResult) -> None:
    hostile = LeftOut("GET /v1/\x1b[2Jx", "reason with \x1b]0;title\x07 escape")
    text = _printed(dataclasses.replace(two_result, left_out=[hostile]))
    assert "\x1b" not in text and "\x07" not in text


def test_one_operation_prints_no_operation_lines(mixed_result: RunResult) -> None:
    text = _printed(mixed_result)
    assert "operations:" not in text and "left out:" not in text and " on GET /" not in text
