"""Small readings of exchanges that several judgements share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from conformance.exchange import Exchange
from conformance.verdicts import Evidence, Outcome, held, inconclusive, violated


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


def first_unanswered(exchanges: Iterable[Exchange]) -> Exchange | None:
    """The first exchange the target gave no judgeable answer to (failure, or 429 after retries)."""
    return next((e for e in exchanges if not e.judgeable), None)


def is_4xx(exchange: Exchange) -> bool:
    return exchange.status is not None and 400 <= exchange.status < 500


def judge_rejections(
    name: str,
    exchanges: Sequence[Exchange],
    must: str,
    should: str | None,
    param: str | None,
    what: str,
) -> Iterable[Outcome]:
    """`must`: every exchange got a 4xx; `should`: it was a 400 error object naming `param`."""
    yield judge_refused(name, exchanges, must, what)
    if should is not None:
        yield judge_refusal_shape(name, exchanges, should, param, what)


def _not_judgeable(name: str, exchanges: Sequence[Exchange], requirement: str, what: str) -> Outcome | None:
    if not exchanges:
        return inconclusive(requirement, name, f"no request with {what} was sent")
    if (lost := first_unanswered(exchanges)) is not None:
        return inconclusive(requirement, name, f"the target did not answer {lost.summary()}")
    return None


def judge_refused(name: str, exchanges: Sequence[Exchange], requirement: str, what: str) -> Outcome:
    """Every exchange got a 4xx."""
    if (unjudged := _not_judgeable(name, exchanges, requirement, what)) is not None:
        return unjudged
    accepted = [e for e in exchanges if not is_4xx(e)]
    return violated(requirement, name, *[
        Evidence(f"{what} {e.summary()} was not rejected", expected="a 4xx",
                 actual=f"status {e.status}", exchanges=[e.seq]) for e in accepted
    ]) if accepted else held(requirement, name, f"{len(exchanges)} requests rejected")


def judge_refusal_shape(
    name: str, exchanges: Sequence[Exchange], requirement: str, param: str | None, what: str
) -> Outcome:
    """Every refusal among the exchanges is a 400 error object naming `param` (when given)."""
    if (unjudged := _not_judgeable(name, exchanges, requirement, what)) is not None:
        return unjudged
    unhelpful = [
        e for e in exchanges
        if is_4xx(e) and (e.status != 400 or not is_error_object(e) or (param is not None and error_param(e) != param))
    ]
    wanted = f"400 with an error object naming {param!r}" if param else "400 with an error object"
    return violated(requirement, name, *[
        Evidence(f"{e.summary()} was rejected without {wanted}", expected=wanted,
                 actual=f"status {e.status}, body {e.body[:160]!r}", exchanges=[e.seq])
        for e in unhelpful
    ]) if unhelpful else held(requirement, name)
