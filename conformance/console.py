"""The console summary a person reads at the end of a run.

Everything from the target (reasons quote its answers, curl lines its ids) is made inert
(``conformance.terminal``) and every line passes the run's redactor: this is the
console's output boundary.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TextIO

from conformance.runner import RunResult
from conformance.terminal import inert
from conformance.verdicts import Verdict

_ORDER = (Verdict.FAIL, Verdict.WARN, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.SKIP, Verdict.PASS)


def print_summary(result: RunResult, written: list[Path], out: TextIO) -> None:
    """Writes the summary of `result` to `out`: a headline, the requirements that need
    attention (with expected vs actual and a curl line), the counts, the verdict and where
    the reports are (`written`, the report files)."""

    def say(line: str) -> None:
        print(result.redactor.text(line), file=out)

    counts = Counter(v.verdict for v in result.verdicts)
    target = "embedded reference server" if result.embedded else inert(result.target)
    seconds = (result.finished_at - result.started_at).total_seconds()
    say(f"checkout-conformance: {target} — {len(result.verdicts)} requirements, "
        f"{result.requests_sent} requests, {seconds:.1f} s")
    # A run that judged nothing has one reason, said once below, not once per requirement.
    for verdict in result.verdicts if result.aborted is None else ():
        if verdict.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.ERROR, Verdict.INCONCLUSIVE):
            say(f"  {verdict.verdict.value.upper():<12} {verdict.requirement:<9} {inert(verdict.reason)}")
            for item in verdict.evidence[:1]:
                if item.expected or item.actual:
                    say(f"  {'':<12} {'':<9} expected {inert(item.expected)}; got {inert(item.actual)}")
                for seq in item.exchanges[:1]:
                    say(f"  {'':<12} {'':<9} {inert(result.exchanges[seq].curl(result.target))}")
    say("  " + ", ".join(f"{counts.get(v, 0)} {v.value}" for v in _ORDER))
    say(f"verdict: {result.verdict.upper()}" + (" (strict)" if result.strict else ""))
    if result.verdict_reason:
        say(inert(result.verdict_reason))
    if written:
        say(f"reports: {inert(written[0].parent)}/")
