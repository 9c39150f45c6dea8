"""Drawing requests from spec/openapi.yaml with Schemathesis, and caching them.

Schemathesis only *generates*: each case is reduced to what a real client of this API
would put on the wire for a GET (query pairs and non-auth headers, encoded as
`requests` encodes them). Sending and judging are `generated.py`'s business.
Generation is pure (no network), so the same spec, seed and count give the same list.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks.predrawn import predrawn_rows
from conformance.generation_cache import cache_dir, cache_key, cached
from conformance.spec import OPERATION_PATH, Spec

POSITIVE_TAG = "generated:positive"
NEGATIVE_TAG = "generated:negative"
PLAIN_TAG = "generated:plain"

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


def schemathesis_operation(spec: Spec, plain: bool = False) -> Any:
    """The loaded Schemathesis operation for the document (plain: only `limit` and `status`)."""
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
        (schemathesis_operation(spec), GenerationMode.POSITIVE, POSITIVE_TAG, max_examples),
        (schemathesis_operation(spec), GenerationMode.NEGATIVE, NEGATIVE_TAG, max_examples),
        # A smaller positive stream over limit and status alone gives SCH-002 requests to judge.
        (schemathesis_operation(spec, plain=True), GenerationMode.POSITIVE, PLAIN_TAG, max(5, max_examples // 2)),
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

    with _without_local_constants(), _storage_in_cache():
        collect()
    return cases


@contextlib.contextmanager
def _storage_in_cache() -> Iterator[None]:
    """Hypothesis's own files (its `unicode_data` tables; the example database is off) go
    into the suite's cache directory, not into `.hypothesis/` of the working directory:
    a run writes nothing outside --report-dir and the cache the README names. The previous
    setting is put back, so a test session's own Hypothesis keeps its directory."""
    from hypothesis import configuration

    previous = vars(configuration).get("__hypothesis_home_directory")
    configuration.set_hypothesis_home_dir(cache_dir() / "hypothesis")
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


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


def rows_of(spec: Spec, seed: int, max_examples: int) -> list[Any]:
    """generate_requests() as JSON rows [tag, query pairs, header pairs], as caches store them."""
    return [[r.tag, [list(q) for q in r.query], [list(h) for h in r.headers]]
            for r in generate_requests(spec, seed, max_examples)]


def cached_requests(spec: Spec, seed: int, max_examples: int) -> list[GeneratedRequest]:
    """generate_requests(), from the rows shipped for the default seed (predrawn.py) or the
    disk cache when this spec, seed, count and library versions were seen before."""
    key = cache_key(spec.sha256, seed, max_examples)
    rows = predrawn_rows(key)
    if rows is None:
        rows = cached(key, lambda: rows_of(spec, seed, max_examples))
    return [GeneratedRequest(tag, tuple((str(k), str(v)) for k, v in query),
                             tuple((str(k), str(v)) for k, v in headers)) for tag, query, headers in rows]
