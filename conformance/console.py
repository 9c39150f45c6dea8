"""The console summary a person reads at the end of a run.

This is the console's output boundary: every line passes the run's redactor (``_Redacted``),
and everything from the target (reasons quote its answers, curl lines its ids) is made
inert (``conformance.terminal``) so that it cannot move the cursor or forge a line.

A run of several list operations (issue 24) says, per operation, what was read (its requests and
the items its list pages showed) and its verdict, and lists what needs attention under each
operation; every operation the document declares that was left out gets a line with why. Operation
keys come from a document the user gave, and are made inert all the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from conformance.exchange import Exchange
from conformance.judge.coverage import not_probed_line
from conformance.judge.diagnosis import REPORTED
from conformance.judge.family import OperationVerdict, activity_text, operation_verdicts
from conformance.judge.judgement import scoped_line
from conformance.judge.waivers import waiver_notes
from conformance.record.redaction import Redactor
from conformance.run.runner import RunResult
from conformance.terminal import inert
from conformance.verdicts import RequirementVerdict, Verdict, by_operation
from conformance.wording import capped, plural

_ORDER = (Verdict.FAIL, Verdict.WARN, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.WAIVED, Verdict.SKIP, Verdict.PASS)


# Longest target-derived text shown on one console line; report.json keeps all of it.
MAX_SHOWN = 400


def _shown(text: str, redactor: Redactor) -> str:
    """`text` redacted, made inert, then cut to MAX_SHOWN characters with how much was left
    out: a target can make evidence megabytes long. Redacting first means a cut never
    leaves part of a key for the stream's redactor to miss."""
    text = inert(redactor.text(text))
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[:MAX_SHOWN]}… and {len(text) - MAX_SHOWN} more characters (report.json has them all)"


class _Redacted:
    """A text stream that masks secrets in everything written to it."""

    def __init__(self, out: TextIO, redactor: Redactor) -> None:
        self._out, self._redactor = out, redactor

    def write(self, text: str) -> int:
        return self._out.write(self._redactor.text(text))

    def flush(self) -> None:
        self._out.flush()


def print_summary(result: RunResult, written: list[Path], stream: TextIO) -> None:
    """Writes the summary of `result` to `stream`: a headline, the likely causes, the
    requirements that need attention (with expected vs actual and a curl line), the counts,
    the verdict and where the reports are (`written`, the report files)."""
    out: Any = _Redacted(stream, result.redactor)
    counts = Counter(v.verdict for v in result.verdicts)
    target = "embedded reference server" if result.embedded else inert(result.target)
    seconds = (result.finished_at - result.started_at).total_seconds()
    print(f"checkout-conformance: {target} — {plural(len(result.verdicts), 'requirement')}, "
          f"{plural(result.requests_sent, 'request')}, {seconds:.1f} s", file=out)
    coverage = result.coverage_of_run()
    print(f"coverage: {inert(coverage.statement)}", file=out)
    left_out = not_probed_line(result.context.profile.name, coverage.not_probed)
    if left_out:  # so that a pass under a cheaper profile is not read as a pass of what it never asked
        print(f"  {inert(left_out)}", file=out)
    several = len(result.operations) > 1 or len(by_operation(result.verdicts)) > 1
    if several and result.aborted is None:
        _print_operations(result, out)
    for left in result.left_out:  # declared by the document, not judged: said, with why
        print(f"left out: {inert(left.key)}: {inert(left.reason)}", file=out)
    print_diagnosis(result, out)
    if result.aborted is not None:
        # Nothing was judged: say what happened, not a verdict over zero sessions (the reports say the same).
        print(f"nothing judged: the run stopped before its first check: "
              f"{inert(result.redactor.text(str(result.aborted)))}", file=out)
        if written:
            print(f"reports: {inert(written[0].parent)}/ (they record why nothing was judged)", file=out)
        return
    if several:
        for entry in _groups(result):
            if any(v.verdict in _ATTENTION for v in entry.verdicts):
                print(f"  {inert(entry.operation)}:", file=out)
                _print_attention(result, out, entry.verdicts)
    else:
        _print_attention(result, out, result.verdicts)
    skipped = [v for v in result.verdicts if v.verdict == Verdict.SKIP]
    if skipped:  # a pass is only as good as what was judged: name what was not
        print(f"  skipped: {inert(', '.join(f'{_named(v, several)} ({v.reason})' for v in skipped))}", file=out)
    shown = [v for v in _ORDER if v != Verdict.WAIVED or result.waivers]
    print("  " + ", ".join(f"{counts.get(v, 0)} {v.value}" for v in shown), file=out)
    failing = frozenset(v.requirement for v in result.verdicts if v.verdict in (Verdict.FAIL, Verdict.WARN))
    for note in waiver_notes(result.waivers, result.target, failing, result.operations):
        print(f"  {note}", file=out)
    if result.activity:
        print(f"  {inert(activity_text(result.activity, result.operations))}", file=out)
    if result.scope is not None:
        waived = [v.requirement for v in result.verdicts if v.verdict == Verdict.WAIVED]
        line = scoped_line(result.scope.to_dict(), result.strict, waived)
        failed = any(v.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.WAIVED) for v in result.verdicts)
        if result.scope.verdict == "partial" and result.verdict == "conformant" and not failed:
            line += "; every requirement judged held"  # the gate still passes (exit 0); said only when true
        print(f"verdict: {inert(line)}", file=out)
    else:
        print(f"verdict: {result.verdict.upper()}" + (" (strict)" if result.strict else ""), file=out)
    if result.verdict_reason:
        print(inert(result.verdict_reason), file=out)
    if written:
        print(f"reports: {inert(written[0].parent)}/", file=out)


# More requirements than this with one and the same reason are said on one line, with their IDs.
COLLAPSE_AT = 3
_ATTENTION = (Verdict.FAIL, Verdict.WARN, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.WAIVED)


def _groups(result: RunResult) -> list[OperationVerdict]:
    """Each operation's verdict and its requirement verdicts, in the run's order of operations (then
    any other a verdict names): the judge's (``operation_verdicts``), which report.json states too."""
    return operation_verdicts(result.verdicts, result.operations, result.strict)


def _named(verdict: RequirementVerdict, several: bool) -> str:
    return f"{verdict.requirement} on {verdict.operation}" if several else verdict.requirement


def _print_operations(result: RunResult, out: TextIO) -> None:
    """Per operation: what was read (requests on its path, items its list pages showed) and its verdict
    (the judge's, conformance.judge.family.operation_verdicts, as report.json `by_operation` says it)."""
    read = _read_per_operation(result.exchanges)
    print("operations:", file=out)
    for entry in _groups(result):
        requests, items = read.get(entry.operation, (0, 0))
        counts = entry.counts
        said = ", ".join(f"{counts[v]} {v.value}" for v in _ORDER if counts.get(v))
        print(f"  {inert(entry.operation)}: {plural(requests, 'request')}, {plural(items, 'item')} seen — "
              f"{entry.verdict.upper()}" + (f" ({said})" if said else ""), file=out)


def _read_per_operation(exchanges: list[Exchange]) -> dict[str, tuple[int, int]]:
    """"GET /path" -> (requests sent on it, distinct item ids on its list pages). Counted as the run's
    own total is (conformance.run.lanes): every attempt of a request sent, none of one never sent."""
    requests: Counter[str] = Counter()
    ids: dict[str, set[str]] = {}
    for exchange in exchanges:
        key = f"{exchange.method} {exchange.path}"
        requests[key] += exchange.attempts if exchange.not_sent is None else 0
        ids.setdefault(key, set()).update(exchange.page_ids or ())
    return {key: (count, len(ids.get(key, ()))) for key, count in requests.items()}


def _print_attention(result: RunResult, out: TextIO, verdicts: Sequence[RequirementVerdict]) -> None:
    """The requirements of `verdicts` that need a look, each with expected vs actual and a curl line;
    inconclusive ones sharing one reason (a spent --max-requests, the deadline) on one line with their count."""
    shared = Counter(v.reason for v in verdicts if v.verdict == Verdict.INCONCLUSIVE)
    said: set[str] = set()
    for verdict in verdicts:
        if verdict.verdict not in _ATTENTION:
            continue
        if verdict.verdict == Verdict.INCONCLUSIVE and shared[verdict.reason] >= COLLAPSE_AT:
            if verdict.reason not in said:
                said.add(verdict.reason)
                ids = [v.requirement for v in verdicts
                       if v.verdict == Verdict.INCONCLUSIVE and v.reason == verdict.reason]
                print(f"  {'INCONCLUSIVE':<12} {plural(len(ids), 'requirement')} ({capped(ids, 6, ', ')}): "
                      f"{_shown(verdict.reason, result.redactor)}", file=out)
            continue
        print(f"  {verdict.verdict.value.upper():<12} {verdict.requirement:<9} "
              f"{_shown(verdict.reason, result.redactor)}", file=out)
        if verdict.waiver:
            print(f"  {'':<12} {'':<9} {verdict.waiver['verdict']} waived until {verdict.waiver['expires']}: "
                  f"{verdict.waiver['reason']}", file=out)
        for item in verdict.evidence[:1]:
            if item.expected or item.actual:
                print(f"  {'':<12} {'':<9} expected {_shown(item.expected, result.redactor)}; "
                      f"got {_shown(item.actual, result.redactor)}", file=out)
            for seq in item.exchanges[:1]:
                print(f"  {'':<12} {'':<9} {inert(result.exchanges[seq].curl(result.target))}", file=out)


def print_diagnosis(result: RunResult, out: TextIO) -> None:
    """The likely causes first: what to fix, what it explains (on which operation, when the run
    judged several), and the exchange that shows it best."""
    several = len(result.operations) > 1 or len(by_operation(result.verdicts)) > 1
    explained = {(c.operation, r) for c in result.diagnosis for r in c.explains}
    left = [_named(v, several) for v in result.verdicts
            if v.verdict in REPORTED and (v.operation, v.requirement) not in explained]
    if not result.diagnosis and not left:
        return
    print("Likely cause:" if len(result.diagnosis) <= 1 else "Likely causes:", file=out)
    for cause in result.diagnosis:
        print(f"  * {cause.title}", file=out)
        if cause.observed:
            print(f"    this target: {inert(cause.observed)}", file=out)
        # Look-alikes the record cannot tell apart: named in the same line, not picked between.
        named = " or ".join([cause.fault, *cause.alternatives])
        where = f" on {inert(cause.operation)}" if several else ""
        print(f"    {'fault' if not cause.alternatives else 'faults'} {named}{where}; explains "
              f"{', '.join(cause.explains)}", file=out)
        for seq in cause.exchanges:
            print(f"    shown by #{seq} {inert(result.exchanges[seq].summary())}", file=out)
    if left:
        what = "No known cause matches" if not result.diagnosis else "Not explained by a known cause"
        print(f"  {what}: {inert(', '.join(left))}", file=out)
