"""Naming a spent request budget (--max-requests) as the reason requirements went unjudged.

When the client refuses to send past the budget, each check sees an unanswered request and
says "the target did not answer …", which blames the target for the user's cap. Applied
inside ``conformance.judge.pipeline.judge`` (so `run` and `verify` agree), this names the budget instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conformance.exchange import Exchange
from conformance.not_sent import Kind
from conformance.verdicts import RequirementVerdict, Unjudged, Verdict, spent_budget_reason


def budget_spent(exchanges: Sequence[Exchange]) -> int | None:
    """The --max-requests value if the run ran out of it, else None."""
    for exchange in exchanges:
        not_sent = exchange.not_sent
        if not_sent is not None and not_sent.kind is Kind.REQUEST_BUDGET:
            return not_sent.limit
    return None


def name_spent_budget(verdicts: list[RequirementVerdict], exchanges: Sequence[Exchange]) -> list[RequirementVerdict]:
    """The verdicts with every INCONCLUSIVE one's reason naming the spent budget, when it was
    spent (its `unjudged` then REQUEST_BUDGET). One the suite left inconclusive for another cause
    it names (`unjudged`: a changing collection, or judging cut by the deadline or memory, which
    the budget did not cause) keeps its reason."""
    budget = budget_spent(exchanges)
    if budget is None:
        return verdicts
    reason = spent_budget_reason(budget)
    return [replace(v, reason=reason, unjudged=Unjudged.REQUEST_BUDGET)
            if v.verdict == Verdict.INCONCLUSIVE and v.unjudged not in (Unjudged.DISTRUSTED, Unjudged.JUDGING_CUT)
            else v for v in verdicts]
