"""Generated requests: Schemathesis draws queries from spec/openapi.yaml; we judge them.

Schemathesis only *generates* here. Each case is reduced to what a real client of
this API would put on the wire for a GET (query pairs and non-auth headers, encoded
as `requests` encodes them) and sent through the suite's own client, so the GET-only
guard, the request budget, 429 politeness, redaction and the transcript all apply.
Schemathesis' own checks are not used: they judge by the generation mode, and
SCHEMATHESIS-NOTES.md lists how that fails correct servers (random cursors are
"valid" to OpenAPI but unknown ids to the server; unknown parameters are "invalid"
to OpenAPI but may be ignored). Instead every recorded request is classified by
CONTRACT.md's own rules (`classify`), whatever mode produced it.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import first_unanswered, is_4xx, not_asked, unanswered
from conformance.checks.generation import (
    NEGATIVE_TAG,
    PLAIN_TAG,
    POSITIVE_TAG,
    GeneratedRequest,
    cached_requests,
)
from conformance.checks.schema_validation import SchemaError, validation_errors
from conformance.errors import RequestBudgetExhausted, TransportFailure
from conformance.exchange import Exchange
from conformance.spec import Spec, default_spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, violated

TAG = "generated"
VERSION_HEADER = "X-API-Version"

# limit's range and status' enum are read from the spec, like everything the server is held to.
_LIMIT_SCHEMA = default_spec().parameter("limit")["schema"]
_LIMIT_MIN, _LIMIT_MAX = int(_LIMIT_SCHEMA["minimum"]), int(_LIMIT_SCHEMA["maximum"])
_CURSORS = ("starting_after", "ending_before")
_PLAIN_DECIMAL = re.compile(r"[1-9][0-9]{0,2}")  # ASCII only: no sign, no leading zero, no space



# -- classification -----------------------------------------------------------------------------
class Kind(StrEnum):
    VALID = "valid"  # SCH-002: must be answered 200
    INVALID = "invalid"  # SCH-003: must be answered 4xx
    UNJUDGED = "unjudged"  # either answer may conform


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str  # why invalid, or why not judged; "" for valid


def classify(exchange: Exchange, api_version: str | None, status_enum: Sequence[str]) -> Classification:
    """What CONTRACT.md says about this request, read from what was actually sent.

    Invalid first: a bad `limit` or `status` must be refused "whatever else it carries"
    (a cursor or unknown version can only add reasons for a 4xx). Valid only when no
    other rule lets a correct server refuse it. Everything between is not judged:
    values a lenient parser may fairly read as 1..100 (`007`, `5.0`) or as a status
    (` open`), cursors, unknown parameters, repeated parameters, other versions.
    """
    values: dict[str, list[str]] = {}
    for name, value in exchange.query:
        values.setdefault(name, []).append(value)

    limits, statuses = values.get("limit", []), values.get("status", [])
    # With a repeated parameter the server may read either copy: invalid only if all are.
    if limits and all(_limit_clearly_invalid(v) for v in limits):
        return Classification(Kind.INVALID, f"limit={limits[0]!r} is not an integer in 1..100")
    if statuses and all(_status_clearly_invalid(v, status_enum) for v in statuses):
        return Classification(Kind.INVALID, f"status={statuses[0]!r} is not one of {', '.join(status_enum)}")

    if any(name in values for name in _CURSORS):
        cursor = next(name for name in _CURSORS if name in values)
        return Classification(Kind.UNJUDGED, f"names a {cursor} cursor (a random cursor is an unknown id: "
                                             "a 4xx is correct)")
    unknown = [name for name in values if name not in ("limit", "status")]
    if unknown:
        return Classification(Kind.UNJUDGED, f"carries the unknown query parameter {unknown[0]!r} "
                                             "(it may be ignored or rejected)")
    repeated = [name for name, vs in values.items() if len(vs) > 1]
    if repeated:
        return Classification(Kind.UNJUDGED, f"repeats {repeated[0]!r}")
    if limits and not _limit_plain(limits[0]):
        return Classification(Kind.UNJUDGED, f"limit={limits[0]!r} may fairly be read as an integer in 1..100")
    if statuses and statuses[0] not in status_enum:
        return Classification(Kind.UNJUDGED, f"status={statuses[0]!r} may fairly be read as a known status")
    versions = [v for k, v in exchange.request_headers.items() if k.lower() == VERSION_HEADER.lower()]
    if len(versions) > 1 or (versions and versions[0] != api_version):
        return Classification(Kind.UNJUDGED, f"{VERSION_HEADER}: {versions[0]!r} is not a version named "
                                             "as supported (an unknown version may be refused)")
    return Classification(Kind.VALID, "")


def _limit_plain(value: str) -> bool:
    return bool(_PLAIN_DECIMAL.fullmatch(value)) and _LIMIT_MIN <= int(value) <= _LIMIT_MAX


def _limit_clearly_invalid(value: str) -> bool:
    """No fair reading makes it an integer in 1..100 (`abc`, `1.5`, ``, `0`, `101`, `-1`).

    Python's own int()/float() stand for "a lenient parser": if either reads an
    integral 1..100 out of it (`007`, `+5`, ` 5`, `5.0`, `1e1`), a server that accepts
    it is not judged wrong.
    """
    for parse in (int, float):
        try:
            number = parse(value)
        except (ValueError, OverflowError):
            continue
        if math.isfinite(number) and number == int(number) and _LIMIT_MIN <= number <= _LIMIT_MAX:
            return False
    return True


def _status_clearly_invalid(value: str, status_enum: Sequence[str]) -> bool:
    # Case and surrounding space are forgivable, and an empty `status=` may fairly be read as
    # no filter (catalog `either:`); anything else is outside the enum.
    return bool(value.strip()) and value.strip().lower() not in status_enum


def is_generated(exchange: Exchange) -> bool:
    return exchange.tag == TAG or exchange.tag.startswith(TAG + ":")


def probe_generated(ctx: ProbeContext, tag: str | None = None) -> None:
    """Send the Schemathesis cases for the run's seed in the order drawn (positive, negative,
    plain), or only those of the stream `tag`."""
    for request in _drawn(ctx.spec, ctx.run.seed, ctx.profile.generated_examples):
        if tag is not None and request.tag != tag:
            continue
        try:
            ctx.get(request.tag, list(request.query), headers=dict(request.headers))
        except (TransportFailure, RequestBudgetExhausted):
            return  # recorded by the client; the judgements say inconclusive


_DRAWING = threading.Lock()
_DRAWN: dict[tuple[str, int, int], list[GeneratedRequest]] = {}


def _drawn(spec: Spec, seed: int, examples: int) -> list[GeneratedRequest]:
    """cached_requests() once per process, whichever stream's probe asks first: the
    streams run side by side, and Hypothesis draws in one thread at a time."""
    with _DRAWING:
        key = (spec.sha256, seed, examples)
        if key not in _DRAWN:
            _DRAWN[key] = cached_requests(spec, seed, examples)
        return _DRAWN[key]


def _stream(tag: str) -> Callable[[ProbeContext], None]:
    return lambda ctx: probe_generated(ctx, tag)


# One probe per stream, so that the three go side by side (conformance.run.lanes).
# The cost is the stream's upper bound: counting its cases would draw them (seconds, for a
# seed not shipped) before any lane starts, instead of inside the first generated lane.
PROBES = tuple(Probe(tag, "schema", _stream(tag), cost=lambda ctx: ctx.profile.generated_examples, reads_record=False)
               for tag in (POSITIVE_TAG, NEGATIVE_TAG, PLAIN_TAG))


# -- judgements ---------------------------------------------------------------------------------
def schema_evidence(exchange: Exchange, errors: list[SchemaError], what: str, undescribed: int = 0) -> Evidence:
    shown = "; ".join(e.message for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    if undescribed:  # a page wider than any the contract allows: the rest only counted (schema_validation)
        more += f" (and {undescribed:,} more invalid sessions, not itemised)"
    return Evidence(
        f"{exchange.summary()}: {errors[0].message}",
        expected=what, actual=shown + more, exchanges=[exchange.seq])


SCHEMA_CHECK = "generated.schema"


def judge_generated_schema(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """SCH-001: every 200 to a generated request validates against the spec."""
    name = SCHEMA_CHECK
    exchanges = [e for e in record if is_generated(e)]
    if not exchanges:
        yield not_asked("SCH-001", name, "no generated request was sent", record)
        return
    ok = [e for e in exchanges if e.answered and e.status == 200]
    evidence: list[Evidence] = []
    for exchange in ok:
        if exchange.body_truncated:
            continue  # over the body cap: cannot be read, not evidence either way
        body = exchange.json
        if body is None:
            evidence.append(Evidence(f"{exchange.summary()}: the body is not JSON",
                                     expected="a CheckoutSessionList", actual=repr(exchange.body[:120]),
                                     exchanges=[exchange.seq]))
            continue
        errors = validation_errors(spec, body)
        if errors:
            evidence.append(schema_evidence(exchange, errors, "a body valid against CheckoutSessionList",
                                            errors.undescribed))
            if len(evidence) == 5:
                break  # the evidence a report shows: judging the rest would change nothing
    if evidence:
        yield violated("SCH-001", name, *evidence[:5])
    elif (lost := first_unanswered(exchanges)) is not None:
        yield unanswered("SCH-001", name, lost)
    elif not ok:
        yield skipped("SCH-001", name, "no generated request was answered 200")
    else:
        yield held("SCH-001", name, f"{len(ok)} generated 200 responses validated", seqs(ok))


def _classified(record: Record, run: RunContext, spec: Spec, kind: Kind) -> tuple[list[Exchange], list[str]]:
    """Generated exchanges of one kind, and (for the skip reason) why the others were not."""
    status_enum = spec.enum_of("status")
    chosen: list[Exchange] = []
    others: list[str] = []
    for exchange in record:
        if not is_generated(exchange):
            continue
        found = classify(exchange, run.api_version, status_enum)
        if found.kind == kind:
            chosen.append(exchange)
        else:
            others.append(found.reason or found.kind.value)
    return chosen, others


VALID_ACCEPTED_CHECK = "generated.valid-accepted"


def judge_valid_accepted(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """SCH-002: a generated request valid under CONTRACT.md is answered 200."""
    name = VALID_ACCEPTED_CHECK
    generated_ = [e for e in record if is_generated(e)]
    if not generated_:
        yield not_asked("SCH-002", name, "no generated request was sent", record)
        return
    valid, _ = _classified(record, run, spec, Kind.VALID)
    refused = [e for e in valid if e.answered and e.status not in (200, 429)]
    if refused:
        yield violated("SCH-002", name, *[Evidence(
            f"the valid request {e.summary()} was not answered 200",
            expected="200 (limit 1..100 or absent, status in the enum or absent, no cursor, "
                     "no unknown parameter or version)",
            actual=f"status {e.status}: {e.body[:120]!r}", exchanges=[e.seq]) for e in refused[:5]])
    elif (lost := first_unanswered(valid if valid else generated_)) is not None:
        # With none of its kind answered, a lost request may have been the one that would count.
        yield unanswered("SCH-002", name, lost)
    elif not valid:
        yield skipped("SCH-002", name, "no generated request was valid without a cursor, an unknown "
                                       "parameter or an unknown version")
    else:
        yield held("SCH-002", name, f"{len(valid)} valid generated requests answered 200", seqs(valid))


INVALID_REJECTED_CHECK = "generated.invalid-rejected"


def judge_invalid_rejected(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """SCH-003: a generated request with an invalid limit or status gets a 4xx."""
    name = INVALID_REJECTED_CHECK
    generated_ = [e for e in record if is_generated(e)]
    if not generated_:
        yield not_asked("SCH-003", name, "no generated request was sent", record)
        return
    invalid, _ = _classified(record, run, spec, Kind.INVALID)
    status_enum = spec.enum_of("status")
    accepted = [e for e in invalid if e.judgeable and not is_4xx(e)]
    if accepted:
        yield violated("SCH-003", name, *[Evidence(
            f"{e.summary()} was not rejected: {classify(e, run.api_version, status_enum).reason}",
            expected="a 4xx", actual=f"status {e.status}", exchanges=[e.seq]) for e in accepted[:5]])
    elif (lost := first_unanswered(invalid if invalid else generated_)) is not None:
        yield unanswered("SCH-003", name, lost)
    elif not invalid:
        yield skipped("SCH-003", name, "no generated request carried an invalid limit or status")
    else:
        yield held("SCH-003", name, f"{len(invalid)} invalid generated requests rejected", seqs(invalid))


CHECKS = (
    Check(SCHEMA_CHECK, "schema", ("SCH-001",), judge_generated_schema,
          "Every 200 to a generated request validates against spec/openapi.yaml."),
    Check(VALID_ACCEPTED_CHECK, "schema", ("SCH-002",), judge_valid_accepted,
          "Generated requests valid under CONTRACT.md (no cursor, no unknown parameter or version) get 200."),
    Check(INVALID_REJECTED_CHECK, "schema", ("SCH-003",), judge_invalid_rejected,
          "Generated requests with an invalid limit or status get a 4xx."),
)
