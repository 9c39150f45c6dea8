"""Hand-made results of runs that judged two list operations (issue 24), for the report tests.

The runner judging several operations is another branch's work (`engine`); the reports are built
against what it will hand them: a RunResult whose verdicts, causes and exchanges name their
operation, with `operations` and `left_out` set. :func:`two_operations` makes one from a real
one-operation result, so that every report is tested on verdicts a real run produced.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from conformance.operations import CHECKOUT_SESSIONS, LeftOut
from conformance.run.runner import RunResult
from conformance.verdicts import Verdict, overall

INVOICES = "GET /v1/invoices"
LEFT_OUT = LeftOut("POST /v1/invoices", "not a GET: only list reads are judged (POST /v1/invoices)")


def two_operations(result: RunResult, second: str = INVOICES) -> RunResult:
    """`result` (one operation, checkout sessions) as a run of two: checkout sessions as judged, then
    `second`, whose exchanges are copies of the first's on its own path (sequence numbers after
    them) and whose verdicts differ: the first failed requirement (with evidence) of checkout sessions
    fails there too, on the copied exchanges; every other failure or warning passes there. The causes
    stay on checkout sessions alone. One operation the document declares is left out.
    """
    result = copy.deepcopy(result)
    path = second.split(" ", 1)[1]
    shift = len(result.exchanges)
    copies = [dataclasses.replace(e, seq=e.seq + shift, path=path) for e in result.exchanges]
    failed = next(v for v in result.verdicts if v.verdict == Verdict.FAIL and v.evidence)
    others = []
    for verdict in result.verdicts:
        twin = dataclasses.replace(verdict, operation=second, exchanges=[s + shift for s in verdict.exchanges],
                                   evidence=[dataclasses.replace(e, exchanges=[s + shift for s in e.exchanges])
                                             for e in verdict.evidence])
        if verdict is not failed and verdict.verdict in (Verdict.FAIL, Verdict.WARN):
            twin = dataclasses.replace(twin, verdict=Verdict.PASS, reason="held (synthetic)", evidence=[],
                                       exchanges=twin.exchanges or [shift])
        others.append(twin)
    for verdict in result.verdicts:
        verdict.operation = CHECKOUT_SESSIONS
    verdicts = [*result.verdicts, *others]
    return dataclasses.replace(
        result, exchanges=[*result.exchanges, *copies], verdicts=verdicts,
        verdict=overall(verdicts, result.strict), operations=[CHECKOUT_SESSIONS, second], left_out=[LEFT_OUT],
        diagnosis=[dataclasses.replace(c, operation=CHECKOUT_SESSIONS) for c in result.diagnosis])


def failed_on(result: RunResult, operation: str) -> list[str]:
    """The IDs that failed on `operation`, in verdict order."""
    return [v.requirement for v in result.verdicts if v.operation == operation and v.verdict == Verdict.FAIL]


def renamed_operation(report: dict[str, Any], hostile: str) -> dict[str, Any]:
    """`report` (report.json of `two_operations`) with GET /v1/invoices renamed `hostile` everywhere
    the reports read an operation's key: the requirements, `by_operation` and `operations`."""
    for entry in [*report["requirements"], *report["by_operation"]]:
        if entry["operation"] == INVOICES:
            entry["operation"] = hostile
    report["operations"][report["operations"].index(INVOICES)] = hostile
    return report
