"""Small readings of exchanges that several judgements share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from conformance.exchange import Exchange
from conformance.not_sent import Kind, NotSent
from conformance.verdicts import (
    Evidence,
    Finding,
    Outcome,
    Unjudged,
    held,
    inconclusive,
    seqs,
    skipped,
    too_little_data,
    violated,
)
from conformance.wording import plural


def is_error_object(exchange: Exchange) -> bool:
    """Stripe-style `{"error": {"type": str, "message": str, "param"?: str}}`."""
    body = exchange.json
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and isinstance(error.get("message"), str)
        and isinstance(error.get("param", ""), str)
    )


def error_param(exchange: Exchange) -> str | None:
    body = exchange.json
    error = body.get("error") if isinstance(body, dict) else None
    param = error.get("param") if isinstance(error, dict) else None
    return param if isinstance(param, str) else None


def not_a_page(exchange: Exchange) -> str:
    """Why an answered exchange is not a list page, in the words of the defect to fix.

    "status 404", "status 200, but `data` is an object, not an array", ...: a finding whose
    actual value is only "status 200" would not tell the user what is wrong.
    """
    if not exchange.answered:
        return exchange.error or "no response"
    if exchange.status != 200:
        return f"status {exchange.status}, body {exchange.body[:120]!r}"
    body = exchange.json
    if body is None and exchange.body_error:
        return f"status 200, but {exchange.body_error}"
    if body is None:
        return f"status 200, but the body is not JSON: {exchange.body[:120]!r}"
    if not isinstance(body, dict):
        return f"status 200, but the body is a JSON {_json_kind(body)}, not an object"
    if "data" not in body:
        return f"status 200, but the body has no `data`: {exchange.body[:120]!r}"
    data = body["data"]
    if not isinstance(data, list):
        return f"status 200, but `data` is a JSON {_json_kind(data)}, not an array"
    return "status 200, but an item of `data` has no string `id`"


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), "value")


def first_unanswered(exchanges: Iterable[Exchange]) -> Exchange | None:
    """The first exchange the target gave no judgeable answer to (failure, or 429 after retries).

    A connection closed without a response on two attempts (`Exchange.dropped`) is an answer:
    CONTRACT.md counts it as a 5xx for that request, so the rule judges it instead of giving up.
    """
    return next((e for e in exchanges if not e.judgeable and not e.dropped), None)


# What the run's own bounds, or a target that stopped answering, left unsent (conformance.not_sent):
# a step never made shows nothing about the target's data.
# (A target that stopped answering reads back from a saved transcript as STOPPED, as an interrupted run does.)
_CUT_KINDS = frozenset({Kind.REQUEST_BUDGET, Kind.EVIDENCE_BUDGET, Kind.DEADLINE, Kind.TARGET_DOWN, Kind.STOPPED})


def run_cut(exchanges: Iterable[Exchange]) -> NotSent | None:
    """The first request the run's own bounds left undone (--max-requests, --deadline, the
    evidence budget, a target that stopped answering: the circuit breaker; unsent, or cut in
    flight by the deadline), or None. A step such a run never made shows nothing about the
    target: what it would have judged is inconclusive, not "too little data" nor "does not
    apply". Read from the typed reasons of conformance.not_sent, never from prose."""
    for exchange in exchanges:
        undone = exchange.left_undone
        if undone is not None and undone.kind in _CUT_KINDS:
            return undone
    return None


def unanswered(requirement: str, check: str, lost: Exchange) -> Outcome:
    """`requirement` inconclusive because the target gave no judgeable answer to `lost`: "the target
    did not answer GET … -> <error or status>". When the run's own bounds left `lost` undone
    (`run_cut`'s kinds), the outcome says so as a value (`unjudged` LEFT_UNDONE), which the judge
    reads to name the bound instead of the target (conformance.judge.pipeline, .judgement)."""
    undone = lost.left_undone
    return inconclusive(requirement, check, f"the target did not answer {lost.summary()}",
                        Unjudged.LEFT_UNDONE if undone is not None and undone.kind in _CUT_KINDS else None)


def not_asked(requirement: str, check: str, reason: str, exchanges: Iterable[Exchange]) -> Outcome:
    """`requirement` inconclusive because what it needs was never asked or answered, said as `reason`
    ("... was not probed"); in a run its own bounds cut (`run_cut` over `exchanges`, the run's record)
    that is the cut's doing, and the outcome says so in its reason and as a value (RUN_CUT), as
    `lacking` does for too little data."""
    if (cut := run_cut(exchanges)) is not None:
        return cut_before_asking(requirement, check, reason, cut)
    return inconclusive(requirement, check, reason)


def cut_reason(reason: str, cut: NotSent) -> str:
    """`reason`, with why the run never asked: the words every rule a cut run left unasked ends in."""
    return f"{reason}: the run was cut before it could ask ({cut.why})"


def cut_before_asking(requirement: str, check: str, reason: str, cut: NotSent) -> Outcome:
    """`requirement` inconclusive because the run's own `cut` came before it asked what `reason`
    says was missing: said in the reason (`cut_reason`) and as a value (RUN_CUT)."""
    return inconclusive(requirement, check, cut_reason(reason, cut), Unjudged.RUN_CUT)


def unless_cut_short(outcome: Outcome, record: Iterable[Exchange], what: str,
                     *groups: Sequence[Exchange]) -> Outcome:
    """`outcome`, except that a pass (HELD) becomes inconclusive (RUN_CUT) when the run's own bounds
    cut it (`run_cut` over `record`) and left any of `groups` short: a group never asked (empty) or
    with a request left undone. Each group is requests the rule's design relies on, asked in every
    profile (`what` names them: "the cursor probe"); a pass on what came before the cut has not
    earned the verdict the uncut run would give (a reviewer saw PAG-005 pass a cut run of a server
    the uncut run fails)."""
    if outcome.finding != Finding.HELD or (cut := run_cut(record)) is None:
        return outcome
    if all(group and all(e.left_undone is None for e in group) for group in groups):
        return outcome
    return cut_before_asking(outcome.requirement, outcome.check, f"{what} was cut short", cut)


def lacking(requirement: str, check: str, reason: str, exchanges: Iterable[Exchange],
            inapplicable: bool = False) -> Outcome:
    """Too little data to judge `requirement` (or, with `inapplicable`, nothing it applies to), said
    as `reason`; inconclusive instead when the run was cut (`run_cut`), as the data may be missing
    because the run never asked for it."""
    if (cut := run_cut(exchanges)) is not None:
        return cut_before_asking(requirement, check, reason, cut)
    return skipped(requirement, check, reason) if inapplicable else too_little_data(requirement, check, reason)


def answer(exchange: Exchange) -> str:
    """What the target answered, for an `actual`: "status 500", or the connection closed without one."""
    if exchange.status is not None:
        return f"status {exchange.status}"
    return exchange.error or "no response"


def is_4xx(exchange: Exchange) -> bool:
    return exchange.status is not None and 400 <= exchange.status < 500


def judge_rejections(
    name: str,
    exchanges: Sequence[Exchange],
    must: str,
    should: str | None,
    param: str | None,
    what: str,
    *,
    record: Iterable[Exchange],
) -> Iterable[Outcome]:
    """`must`: every exchange got a 4xx; `should`: it was a 400 error object naming `param`.
    `record`: the run's exchanges, to tell a request never sent for the run's own cut (`not_asked`)."""
    yield judge_refused(name, exchanges, must, what, record=record)
    if should is not None:
        yield judge_refusal_shape(name, exchanges, should, param, what, record=record)


def _not_judgeable(name: str, exchanges: Sequence[Exchange], requirement: str, what: str,
                   record: Iterable[Exchange]) -> Outcome | None:
    if not exchanges:
        return not_asked(requirement, name, f"no request with {what} was sent", record)
    if (lost := first_unanswered(exchanges)) is not None:
        return unanswered(requirement, name, lost)
    return None


def judge_refused(name: str, exchanges: Sequence[Exchange], requirement: str, what: str, *,
                  record: Iterable[Exchange]) -> Outcome:
    """Every exchange got a 4xx (`record`: the run's exchanges, as in `judge_rejections`)."""
    if (unjudged := _not_judgeable(name, exchanges, requirement, what, record)) is not None:
        return unjudged
    accepted = [e for e in exchanges if not is_4xx(e)]
    return violated(requirement, name, *[
        Evidence(f"{what} {e.summary()} was not rejected", expected="a 4xx",
                 actual=answer(e), exchanges=[e.seq]) for e in accepted
    ]) if accepted else held(requirement, name, f"{plural(len(exchanges), 'request')} rejected", seqs(exchanges))


def judge_refusal_shape(
    name: str, exchanges: Sequence[Exchange], requirement: str, param: str | None, what: str, *,
    record: Iterable[Exchange],
) -> Outcome:
    """Every refusal among the exchanges is a 400 error object naming `param` (when given).

    With no refusal among them there is nothing to judge the shape of: skipped, never held.
    `record`: the run's exchanges, as in `judge_rejections`.
    """
    if (unjudged := _not_judgeable(name, exchanges, requirement, what, record)) is not None:
        return unjudged
    refusals = [e for e in exchanges if is_4xx(e)]
    if not refusals:
        return skipped(requirement, name, f"no {what} was refused, so the refusal's shape cannot be judged")
    unhelpful = [
        e for e in exchanges
        if is_4xx(e) and (e.status != 400 or not is_error_object(e) or (param is not None and error_param(e) != param))
    ]
    wanted = f"400 with an error object naming {param!r}" if param else "400 with an error object"
    return violated(requirement, name, *[
        Evidence(f"{e.summary()} was rejected without {wanted}", expected=wanted,
                 actual=f"status {e.status}, body {e.body[:160]!r}", exchanges=[e.seq])
        for e in unhelpful
    ]) if unhelpful else held(requirement, name, f"{plural(len(refusals), 'refusal')} named {param!r}" if param
                              else plural(len(refusals), "refusal"), seqs(refusals))
