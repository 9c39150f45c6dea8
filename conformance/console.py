"""The console summary a person reads at the end of a run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TextIO

from conformance.checks.history import describe
from conformance.runner import RunResult
from conformance.verdicts import Verdict

_ORDER = (Verdict.FAIL, Verdict.WARN, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.SKIP, Verdict.PASS)


def print_summary(result: RunResult, written: list[Path], out: TextIO) -> None:
    counts = Counter(v.verdict for v in result.verdicts)
    target = "embedded reference server" if result.embedded else result.target
    seconds = (result.finished_at - result.started_at).total_seconds()
    print(f"checkout-conformance: {target} — {len(result.verdicts)} requirements, "
          f"{result.requests_sent} requests, {seconds:.1f} s", file=out)
    for verdict in result.verdicts:
        if verdict.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.ERROR, Verdict.INCONCLUSIVE):
            print(f"  {verdict.verdict.value.upper():<12} {verdict.requirement:<9} {verdict.reason}", file=out)
            for item in verdict.evidence[:1]:
                if item.expected or item.actual:
                    print(f"  {'':<12} {'':<9} expected {item.expected}; got {item.actual}", file=out)
                for seq in item.exchanges[:1]:
                    print(f"  {'':<12} {'':<9} {result.exchanges[seq].curl(result.target)}", file=out)
    print("  " + ", ".join(f"{counts.get(v, 0)} {v.value}" for v in _ORDER), file=out)
    if result.activity:
        print(f"  {describe(result.activity)}", file=out)
    print(f"verdict: {result.verdict.upper()}" + (" (strict)" if result.strict else ""), file=out)
    if result.verdict_reason:
        print(result.verdict_reason, file=out)
    if written:
        print(f"reports: {written[0].parent}/", file=out)
