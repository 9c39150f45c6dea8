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

import contextlib
import copy
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import first_unanswered, is_4xx
from conformance.checks.generation_cache import cache_key, cached
from conformance.checks.schema_validation import SchemaError, validation_errors
from conformance.errors import RequestBudgetExhausted, TransportFailure
from conformance.exchange import Exchange
from conformance.spec import OPERATION_PATH, Spec
from conformance.verdicts import Evidence, Outcome, held, inconclusive, skipped, too_little_data, violated

TAG = "generated"
POSITIVE_TAG = "generated:positive"
NEGATIVE_TAG = "generated:negative"
PLAIN_TAG = "generated:plain"
VERSION_HEADER = "X-API-Version"

# CONTRACT.md fixes limit's range; status' enum is read from the spec.
_LIMIT_MIN, _LIMIT_MAX = 1, 100
_CURSORS = ("starting_after", "ending_before")
_PLAIN_DECIMAL = re.compile(r"[1-9][0-9]{0,2}")  # ASCII only: no sign, no leading zero, no space

# Header names with HTTP meaning (content negotiation, conditionals, framing, auth,
# method override). A generated header with one of these names could change the
# answer legitimately (406, 304, 416...), so the probe does not send it: the
# contract says nothing about them and a random value is not a test of this API.
_MEANINGFUL_HEADERS = frozenset({
    "accept", "accept-charset", "accept-encoding", "accept-language", "authorization",
    "cache-control", "connection", "content-encoding", "content-length", "content-type",
    "cookie", "expect", "forwarded", "host", "if-match", "if-modified-since", "if-none-match",
    "if-range", "if-unmodified-since", "keep-alive", "max-forwards", "origin", "pragma",
    "proxy-authorization", "range", "te", "trailer", "transfer-encoding", "upgrade", "via",
    "x-http-method", "x-http-method-override", "x-method-override", "x-forwarded-for",
    "x-forwarded-host", "x-forwarded-proto", "x-schemathesis-testcaseid", "user-agent",
})


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
    # Case and surrounding space are forgivable; anything else is outside the enum.
    return value.strip().lower() not in status_enum


def is_generated(exchange: Exchange) -> bool:
    return exchange.tag == TAG or exchange.tag.startswith(TAG + ":")


# -- the probe ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GeneratedRequest:
    """One case as it goes on the wire through the suite's client."""

    tag: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]


# Loaded Schemathesis operations by document hash: loading parses and resolves the
# whole document, and a test process may run the probe several times.
_OPERATIONS: dict[str, Any] = {}


# Parameters a "plain" request may carry: with cursors and version headers in the mix,
# few positive cases are judgeable by SCH-002 (random cursors are unknown ids).
_PLAIN_PARAMETERS = ("limit", "status")


def _plain_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with only `limit` and `status` on the operation."""
    plain = copy.deepcopy(document)
    operation = plain["paths"][OPERATION_PATH]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] in _PLAIN_PARAMETERS]
    return plain


def _operation(spec: Spec, plain: bool = False) -> Any:
    key = f"{spec.sha256}:{'plain' if plain else 'full'}"
    operation = _OPERATIONS.get(key)
    if operation is None:
        import schemathesis

        # A copy: Schemathesis may annotate the dict it is given, and Spec is shared.
        document = _plain_document(spec.document) if plain else copy.deepcopy(spec.document)
        schema = schemathesis.openapi.from_dict(document)
        # Auth is the client's job; generated Authorization values would be dropped anyway.
        schema.config.generation.update(with_security_parameters=False)
        operation = schema[OPERATION_PATH]["GET"]
        _OPERATIONS[key] = operation
    return operation


def generate_requests(spec: Spec, seed: int, max_examples: int) -> list[GeneratedRequest]:
    """The requests the probe sends for ``seed``: positive cases, then negative ones.

    Pure generation (no network), so the same seed and spec give the same list; the
    sending happens afterwards, outside Hypothesis, so a transport failure never
    meets Hypothesis' failure handling (which would re-run the "failing" example).
    """
    from schemathesis import GenerationMode

    requests_: list[GeneratedRequest] = []
    streams = (
        (_operation(spec), GenerationMode.POSITIVE, POSITIVE_TAG, max_examples),
        (_operation(spec), GenerationMode.NEGATIVE, NEGATIVE_TAG, max_examples),
        # A smaller positive stream over limit and status alone gives SCH-002 requests to judge.
        (_operation(spec, plain=True), GenerationMode.POSITIVE, PLAIN_TAG, max(5, max_examples // 2)),
    )
    for operation, mode, tag, examples in streams:
        seen: set[GeneratedRequest] = set()
        for case in _draw_cases(operation, mode, seed, examples):
            request = _to_wire(case, tag)
            # Hypothesis repeats small cases (the empty query above all); one of each is enough.
            if request is not None and request not in seen:
                seen.add(request)
                requests_.append(request)
    return requests_


def _draw_cases(operation: Any, mode: Any, seed: int, max_examples: int) -> list[Any]:
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings

    cases: list[Any] = []

    @hypothesis.seed(seed)
    @settings(
        max_examples=max_examples,
        database=None,  # nothing replayed from earlier runs: the seed alone decides
        phases=[Phase.generate],  # no shrinking: nothing fails inside, and it would re-draw
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,  # the seed decides; derandomize would ignore it
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        cases.append(case)

    with _without_local_constants():
        collect()
    return cases


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mixing constants of "local" source files into the draw.

    Hypothesis (seen in 6.170) sometimes draws string and integer constants found in every
    imported module it takes as the user's code: here the whole `conformance`
    package, and (in a venv whose stdlib lives elsewhere) even `sqlite3` or `asyncio`.
    The same seed then gave different requests depending on what else happened to be
    imported (the embedded reference server, a test helper) and on any edit to any
    module. Switching that pool off makes the stream a function of seed, spec and
    library versions alone. It is private API: if it moves, generation still works,
    only less reproducibly across differently-importing processes.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        original = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):  # pragma: no cover - depends on the Hypothesis version
        yield
        return
    empty = Constants()
    providers._get_local_constants = lambda: empty  # type: ignore[assignment]
    # Cached pools were built with the local constants (and would be reused by ours).
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original  # type: ignore[assignment]
        cache.cache.clear()


def _to_wire(case: Any, tag: str) -> GeneratedRequest | None:
    """Query pairs and headers as `requests` would send them; None if it could not."""
    import requests

    if str(case.method).upper() != "GET":  # never anything but GET (the coverage phase tries others)
        return None
    try:
        kwargs = case.as_transport_kwargs(base_url="http://generated.invalid")
        # Schemathesis hands `params` to requests as is; let requests encode it (ints as
        # decimals, lists as repeated names, None dropped), then read the pairs back.
        prepared = requests.Request("GET", "http://generated.invalid/", params=kwargs.get("params")).prepare()
        raw_query = urlsplit(prepared.url or "").query
        query = tuple(parse_qsl(raw_query, keep_blank_values=True, errors="strict"))
        for name, value in query:
            (name + value).encode("utf-8")  # lone surrogates cannot go on the wire
    except (ValueError, UnicodeError, TypeError, requests.exceptions.RequestException):
        return None
    generated = {str(name).lower() for name in (case.headers or {})}
    headers: dict[str, tuple[str, str]] = {}
    for name, value in (kwargs.get("headers") or {}).items():
        lowered = str(name).lower()
        if lowered not in generated or lowered in _MEANINGFUL_HEADERS:
            continue
        if _sendable_header(name, value):
            headers[lowered] = (name, value)  # like requests: the last of one name wins
    return GeneratedRequest(tag, query, tuple(headers.values()))


# RFC 9110: a header name is a token; a value is visible ASCII, obs-text, spaces and tabs.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?")


def _sendable_header(name: Any, value: Any) -> bool:
    """Whether a generated header goes on the wire; if not it is dropped, not the case.

    Beyond what requests refuses (non-latin-1, CR/LF), a name that is not a token or
    a value with control characters is a malformed HTTP message, which a correct
    server may answer 400 before the API sees it: sent beside a valid query, it would
    turn a fine 400 into an SCH-002 finding.
    """
    if not isinstance(name, str) or not isinstance(value, str):
        return False
    return bool(_TOKEN.fullmatch(name)) and bool(_FIELD_VALUE.fullmatch(value))


def cached_requests(spec: Spec, seed: int, max_examples: int) -> list[GeneratedRequest]:
    """generate_requests(), from the disk cache when this spec, seed and count were seen before."""
    def produce() -> list[Any]:
        return [[r.tag, [list(q) for q in r.query], [list(h) for h in r.headers]]
                for r in generate_requests(spec, seed, max_examples)]

    rows = cached(cache_key(spec.sha256, seed, max_examples), produce)
    return [GeneratedRequest(tag, tuple((str(k), str(v)) for k, v in query),
                             tuple((str(k), str(v)) for k, v in headers)) for tag, query, headers in rows]


def probe_generated(ctx: ProbeContext) -> None:
    """Send the positive, then the negative Schemathesis cases for the run's seed."""
    for request in cached_requests(ctx.spec, ctx.run.seed, ctx.profile.generated_examples):
        try:
            ctx.client.get(request.tag, list(request.query), headers=dict(request.headers))
        except (TransportFailure, RequestBudgetExhausted):
            return  # recorded by the client; the judgements say inconclusive


PROBES = (Probe("generated", "schema", probe_generated),)


# -- judgements ---------------------------------------------------------------------------------
def _lost(exchanges: Iterable[Exchange]) -> Exchange | None:
    return first_unanswered(exchanges)


def _schema_evidence(exchange: Exchange, errors: list[SchemaError], what: str) -> Evidence:
    shown = "; ".join(e.message for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return Evidence(
        f"{exchange.summary()}: {errors[0].message}",
        expected=what, actual=shown + more, exchanges=[exchange.seq])


def judge_generated_schema(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """SCH-001: every 200 to a generated request validates against the spec."""
    name = "generated.schema"
    exchanges = [e for e in record if is_generated(e)]
    if not exchanges:
        yield inconclusive("SCH-001", name, "no generated request was sent")
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
            evidence.append(_schema_evidence(exchange, errors, "a body valid against CheckoutSessionList"))
    if evidence:
        yield violated("SCH-001", name, *evidence[:5])
    elif (lost := _lost(exchanges)) is not None:
        yield inconclusive("SCH-001", name, f"the target did not answer {lost.summary()}")
    elif not ok:
        yield skipped("SCH-001", name, "no generated request was answered 200")
    else:
        yield held("SCH-001", name, f"{len(ok)} generated 200 responses validated")


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


def judge_valid_accepted(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """SCH-002: a generated request valid under CONTRACT.md is answered 200."""
    name = "generated.valid-accepted"
    generated_ = [e for e in record if is_generated(e)]
    if not generated_:
        yield inconclusive("SCH-002", name, "no generated request was sent")
        return
    valid, _ = _classified(record, run, spec, Kind.VALID)
    refused = [e for e in valid if e.answered and e.status not in (200, 429)]
    if refused:
        yield violated("SCH-002", name, *[Evidence(
            f"the valid request {e.summary()} was not answered 200",
            expected="200 (limit 1..100 or absent, status in the enum or absent, no cursor, "
                     "no unknown parameter or version)",
            actual=f"status {e.status}: {e.body[:120]!r}", exchanges=[e.seq]) for e in refused[:5]])
    elif (lost := _lost(valid if valid else generated_)) is not None:
        # With none of its kind answered, a lost request may have been the one that would count.
        yield inconclusive("SCH-002", name, f"the target did not answer {lost.summary()}")
    elif not valid:
        yield skipped("SCH-002", name, "no generated request was valid without a cursor, an unknown "
                                       "parameter or an unknown version")
    else:
        yield held("SCH-002", name, f"{len(valid)} valid generated requests answered 200")


def judge_invalid_rejected(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """SCH-003: a generated request with an invalid limit or status gets a 4xx."""
    name = "generated.invalid-rejected"
    generated_ = [e for e in record if is_generated(e)]
    if not generated_:
        yield inconclusive("SCH-003", name, "no generated request was sent")
        return
    invalid, _ = _classified(record, run, spec, Kind.INVALID)
    status_enum = spec.enum_of("status")
    accepted = [e for e in invalid if e.answered and e.status != 429 and not is_4xx(e)]
    if accepted:
        yield violated("SCH-003", name, *[Evidence(
            f"{e.summary()} was not rejected: {classify(e, run.api_version, status_enum).reason}",
            expected="a 4xx", actual=f"status {e.status}", exchanges=[e.seq]) for e in accepted[:5]])
    elif (lost := _lost(invalid if invalid else generated_)) is not None:
        yield inconclusive("SCH-003", name, f"the target did not answer {lost.summary()}")
    elif not invalid:
        yield skipped("SCH-003", name, "no generated request carried an invalid limit or status")
    else:
        yield held("SCH-003", name, f"{len(invalid)} invalid generated requests rejected")


# Envelope keys whose presence and type are ENV-003's; `object` (ENV-002) and
# `next_cursor` (ENV-004) are judged by envelope.shape and not reported twice.
_ENV_003_KEYS = ("data", "has_more", "url")


def _is_env_003(error: SchemaError) -> bool:
    if error.in_item:
        return False
    if error.path == "":
        # The body itself: not an object, or a missing key.
        return error.keyword != "required" or error.field in _ENV_003_KEYS
    return error.path in _ENV_003_KEYS


def judge_response_schema(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """ENV-003 and OBJ-005 over every 200 recorded, whoever asked for it."""
    name = "schema.responses"
    pages = [e for e in record if e.answered and e.status == 200]
    # Non-JSON bodies are ENV-001's finding; truncated ones cannot be read.
    readable = [e for e in pages if e.json is not None]
    if not readable:
        reason = "no 200 response was recorded" if not pages else "no 200 response had a readable JSON body"
        yield inconclusive("ENV-003", name, reason)
        yield inconclusive("OBJ-005", name, reason)
        return
    envelope: list[Evidence] = []
    items: list[Evidence] = []
    item_pages = 0
    for exchange in readable:
        errors = validation_errors(spec, exchange.json)
        env = [e for e in errors if _is_env_003(e)]
        typed = [e for e in errors if e.in_item and e.is_type_error]
        if env:
            envelope.append(_schema_evidence(
                exchange, env, "`data` an array, `has_more` a boolean, `url` a string"))
        if typed:
            items.append(_schema_evidence(exchange, typed, "every documented field of the documented JSON type"))
        body = exchange.json
        if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
            item_pages += 1
    yield violated("ENV-003", name, *envelope[:5]) if envelope else held(
        "ENV-003", name, f"{len(readable)} 200 responses checked")
    if items:
        yield violated("OBJ-005", name, *items[:5])
    elif not item_pages:
        yield too_little_data("OBJ-005", name, "no 200 response held any session")
    else:
        yield held("OBJ-005", name, f"sessions on {item_pages} pages checked")


CHECKS = (
    Check("generated.schema", "schema", ("SCH-001",), judge_generated_schema,
          "Every 200 to a generated request validates against spec/openapi.yaml."),
    Check("generated.valid-accepted", "schema", ("SCH-002",), judge_valid_accepted,
          "Generated requests valid under CONTRACT.md (no cursor, no unknown parameter or version) get 200."),
    Check("generated.invalid-rejected", "schema", ("SCH-003",), judge_invalid_rejected,
          "Generated requests with an invalid limit or status get a 4xx."),
    Check("schema.responses", "envelope", ("ENV-003", "OBJ-005"), judge_response_schema,
          "Every recorded 200 body: envelope keys (ENV-003) and item field types (OBJ-005)."),
)
