"""Everything else: no 5xx anywhere, error object shape, unknown query parameters."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import answer, first_unanswered, is_4xx, is_error_object, not_asked, unanswered
from conformance.checks.history import History, limit_of
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, violated
from conformance.wording import plural

# Names no Stripe-style API gives a meaning: `expand` would be honoured by some, and an
# expanded `customer` object is then no finding about unknown parameters.
UNKNOWN_PARAMS = (("conformance_unknown_parameter", "1"), ("x_conformance_probe", "yes"))
# The shapes the official SDKs put on list calls (bracketed arrays, nested hashes), with
# values no server can honour by changing the page: ignored or refused, never a 5xx or a
# dropped connection (CONTRACT.md, Errors and everything else).
SDK_PARAMS = (("expand[]", "conformance_probe"), ("expand[0]", "conformance_probe"), ("created[gte]", "0"))


def unknown_to(spec: Spec) -> tuple[tuple[str, str], ...]:
    """The parameters sent as unknown ones: those the operation does not declare, by their name or
    the name before its brackets (a document declaring `created` or `expand` as a deepObject gives
    `created[gte]` and `expand[0]` a meaning there: issue 24)."""
    return tuple((name, value) for name, value in UNKNOWN_PARAMS + SDK_PARAMS
                 if not spec.declares(name) and not spec.declares(name.split("[", 1)[0]))


def probe_unknown_params(ctx: ProbeContext) -> None:
    ctx.get("unknown-param:baseline", [("limit", "3")])
    for name, value in unknown_to(ctx.spec):
        ctx.get("unknown-param", [("limit", "3"), (name, value)])


PROBES = (Probe("unknown-params", "errors", probe_unknown_params,
                cost=lambda ctx: 1 + len(unknown_to(ctx.spec)), reads_record=False),)


NO_5XX_CHECK = "errors.no-5xx"


def judge_no_server_errors(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = NO_5XX_CHECK
    answered = [e for e in record if e.answered]
    if not answered:
        yield not_asked("ERR-002", name, "no request was answered", record)
        return
    # Closed without a response twice while other requests are answered: a 5xx (CONTRACT.md).
    crashed = [e for e in record if (e.status or 0) >= 500 or e.dropped]
    yield violated("ERR-002", name, *[Evidence(
        f"{e.summary()} is a server error" if not e.dropped
        else f"GET {e.target}: the target closed the connection without a response, twice, "
             "while it answered other requests",
        expected="no 5xx", actual=f"status {e.status}: {e.body[:120]!r}" if not e.dropped else answer(e),
        exchanges=[e.seq]) for e in crashed[:5]]) if crashed else held("ERR-002", name,
                                                                        plural(len(answered), "response"),
                                                                        seqs(answered))


SHAPE_CHECK = "errors.shape"


def judge_error_objects(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = SHAPE_CHECK
    errors = [e for e in record if e.judgeable and is_4xx(e)]
    if not errors:
        yield not_asked("ERR-001", name, "no 4xx response was recorded", record)
        return
    plain = [e for e in errors if not is_error_object(e)
             or "json" not in e.content_type.split(";")[0].lower()]
    yield violated("ERR-001", name, *[Evidence(
        f"the {e.status} to {e.summary()} is not a JSON error object",
        expected='{"error": {"type": str, "message": str, "param"?: str}}',
        actual=f"{e.content_type or '(no content type)'}: {e.body[:120]!r}", exchanges=[e.seq])
        for e in plain[:5]]) if plain else held("ERR-001", name, f"{len(errors)} error responses", seqs(errors))


UNKNOWN_PARAMS_CHECK = "errors.unknown-params"


def judge_unknown_params(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = UNKNOWN_PARAMS_CHECK
    baseline = record.tagged("unknown-param:baseline")
    probes = record.tagged("unknown-param")
    if (lost := first_unanswered(baseline + probes)) is not None:
        yield unanswered("ERR-003", name, lost)
        return
    if not baseline or not probes:
        yield not_asked("ERR-003", name, "the unknown-parameter requests were not sent", record)
        return
    # Pages taken moments apart on a live account may differ by sessions created meanwhile.
    history = History.of(record)
    existed = history.existed_throughout()

    def ignored(probe: Exchange) -> bool:
        # A page shorter than its limit reached the end of the collection, so it holds every
        # session that existed throughout the run, whatever the baseline shows: on a busy account
        # the baseline may list only sessions created during the run, and agreeing with it alone
        # would pass an empty page on no evidence.
        ids, limit = probe.page_ids, limit_of(probe)
        if ids is not None and limit is not None and len(ids) < limit and existed - set(ids):
            return False
        return history.pages_agree(probe, baseline[0])

    wrong = [e for e in probes if not is_4xx(e) and not ignored(e)]
    yield violated("ERR-003", name, *[Evidence(
        f"{e.summary()} neither ignored nor rejected the unknown parameter",
        expected=f"the page {' '.join(baseline[0].page_ids or [])} or a 4xx",
        actual=answer(e) if e.dropped else f"status {e.status}, ids {' '.join(e.page_ids or []) or '-'}",
        exchanges=[baseline[0].seq, e.seq]) for e in wrong]) if wrong else held(
        "ERR-003", name, "ignored" if all(e.status == 200 for e in probes) else "rejected",
        seqs(baseline[:1] + probes))


CHECKS = (
    Check(NO_5XX_CHECK, "errors", ("ERR-002",), judge_no_server_errors),
    Check(SHAPE_CHECK, "errors", ("ERR-001",), judge_error_objects),
    Check(UNKNOWN_PARAMS_CHECK, "errors", ("ERR-003",), judge_unknown_params, compares=("ERR-003",)),
)
