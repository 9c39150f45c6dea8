"""Naming a spent request budget (--max-requests) as the reason requirements went unjudged.

When the client refuses to send past the budget, each check sees an unanswered request and
says "the target did not answer …", which blames the target for the user's cap. Applied
inside ``conformance.judge.pipeline.judge`` (so `run` and `verify` agree), this names the budget instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conformance.exchange import Exchange
from conformance.not_sent import Kind, NotSent
from conformance.verdicts import BUDGET_REASON_PREFIX as REASON_PREFIX
from conformance.verdicts import RequirementVerdict, Verdict


def budget_spent(exchanges: Sequence[Exchange]) -> int | None:
    """The --max-requests value if the run ran out of it, else None."""
    for exchange in exchanges:
        not_sent = NotSent.of(exchange.error)
        if not_sent is not None and not_sent.kind is Kind.REQUEST_BUDGET:
            return not_sent.limit
    return None


def name_spent_budget(verdicts: list[RequirementVerdict], exchanges: Sequence[Exchange],
                      changed: str | None) -> list[RequirementVerdict]:
    """The verdicts with every INCONCLUSIVE one's reason naming the spent budget, when it was
    spent; one made inconclusive by a changing collection (reason ``changed``) keeps its reason."""
    budget = budget_spent(exchanges)
    if budget is None:
        return verdicts
    reason = f"{REASON_PREFIX} (--max-requests {budget}) was used up before its requests were sent"
    return [replace(v, reason=reason) if v.verdict == Verdict.INCONCLUSIVE and not (changed and changed in v.reason)
            else v for v in verdicts]
