"""A conformance run: probe the target, then judge the record, requirement by requirement."""

from __future__ import annotations

import contextlib
import copy
import http
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from conformance.catalog import Catalog, default_catalog
from conformance.checks.base import Probe, ProbeContext, Record, RunContext
from conformance.checks.generation import NEGATIVE_TAG, PLAIN_TAG, POSITIVE_TAG
from conformance.checks.predrawn import drawn_afresh_note
from conformance.checks.registry import ALWAYS_PROBED, checks_for, probes_for
from conformance.errors import ClientError, ConformanceError, TargetUnreachable, TransportFailure, UsageError
from conformance.exchange import Exchange
from conformance.failure import Failure
from conformance.judge.bounded import Bounded
from conformance.judge.coverage import Coverage
from conformance.judge.diagnosis import Cause
from conformance.judge.family import (
    coverage_of_operations,
    judge_operations,
    judge_operations_cut_short,
    path_of,
    probe_name,
)
from conformance.judge.judgement import Scope
from conformance.judge.pipeline import Judged, RunJudgement
from conformance.judge.waivers import Waiver
from conformance.not_sent import NotSent, Stopped
from conformance.operations import CHECKOUT_SESSIONS, LeftOut, select
from conformance.profiles import Profile
from conformance.record.client import Client, ClientSettings, strip_credentials
from conformance.record.proxy import asks_authentication
from conformance.record.redaction import Redactor
from conformance.record.tls import TLSOptions, build_context
from conformance.run.defaults import DEFAULT_DEADLINE
from conformance.run.lanes import DEFAULT_CONCURRENCY, probe_rng, run_probes
from conformance.spec import OPERATION_PATH, Spec, default_spec, load_spec
from conformance.verdicts import RequirementVerdict
from conformance.wording import plural

# The generated-request probes (conformance.checks.generated), which draw from the shipped cases.
GENERATED_TAGS = frozenset({POSITIVE_TAG, NEGATIVE_TAG, PLAIN_TAG})


@dataclass(frozen=True)
class RunOptions:
    base_url: str | None = field(repr=False)  # may hold user:password@
    api_key: str | None = field(repr=False)
    profile: Profile
    seed: int = 0
    strict: bool = False
    api_version: str | None = None
    # None: the profile's own cap (Profile.max_requests).
    max_requests: int | None = None
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # may hold credentials
    only: tuple[str, ...] = ()
    expect_dataset: str | None = None
    # Ask for api_version once before the run: refused, it is the user's mistake (exit 2)
    # rather than a VER-002 violation. Set by the CLI and the pytest plugin, where a person
    # typed the value; the kill matrix leaves it off to see VER-002 judged.
    preflight_api_version: bool = False
    # Probes side by side (conformance.run.lanes); 1 sends one request at a time.
    concurrency: int = DEFAULT_CONCURRENCY
    # Requests per second at most, across all lanes; None: no proactive limit.
    rate_limit: float | None = None
    # Seconds after which the run stops asking and judges what it has (see ClientSettings).
    deadline: float | None = DEFAULT_DEADLINE
    # Accepted failures (conformance.judge.waivers), applied by conformance.judge.judgement.conclude.
    waivers: tuple[Waiver, ...] = ()
    # What was certified, in the vendor's words (`run --implementation NAME@VERSION`), or None.
    implementation: str | None = None
    # The CA bundle and client certificate for an https:// target (conformance.record.tls).
    tls: TLSOptions = field(default_factory=TLSOptions)
    # The OpenAPI document whose list operations are judged (`run --spec`); None: the shipped one.
    spec_path: Path | None = None
    # `run --operation 'GET /path'` (repeatable): the list operations to judge; (): all of them.
    operations: tuple[str, ...] = ()


@dataclass
class RunResult:
    target: str
    embedded: bool
    strict: bool
    only: tuple[str, ...]
    context: RunContext
    verdicts: list[RequirementVerdict]
    verdict: str
    verdict_reason: str
    exchanges: list[Exchange]
    started_at: datetime
    finished_at: datetime
    requests_sent: int
    spec: Spec
    catalog: Catalog
    # Probes that raised something unexpected (a suite bug): name -> the exception, redacted.
    failed_probes: dict[str, str] = field(default_factory=dict)
    # The change seen while the run lasted (checks/history.py History.summary): a live account.
    activity: dict[str, object] = field(default_factory=dict)
    # The likely causes of what was reported, most likely first (conformance.judge.diagnosis).
    diagnosis: list[Cause] = field(default_factory=list)
    # The waivers given (conformance.judge.waivers), each with its status in this run.
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # Masks the run's secrets in everything written or printed about it.
    redactor: Redactor = field(default_factory=lambda: Redactor([]), repr=False)
    # Why nothing was judged (the preflight found the target unreachable, refusing the
    # key, redirecting...): the CLI still writes the reports, then exits with its code.
    aborted: ConformanceError | None = None
    # Why the run stopped before its work was done (the deadline, a budget, judging cut short), or None.
    stopped: Stopped | None = None
    # What the verdict covers (conformance.judge.judgement.Scope): the scoped verdict of certificates.
    scope: Scope | None = None
    # `run --implementation NAME@VERSION`: what was certified, in the vendor's words.
    implementation: str | None = None
    # The TLS facts of the run (conformance.record.tls.TLSFacts.to_dict): None for plain HTTP.
    tls: dict[str, Any] | None = None
    # What the run saw of the collection, read once (conformance.judge.coverage); None: read when asked.
    coverage: Coverage | None = None
    # The list operations judged, as "GET /path", in the order the document declares them
    # (conformance.operations); the verdicts name theirs. Today's runs judge checkout sessions alone.
    operations: list[str] = field(default_factory=lambda: [CHECKOUT_SESSIONS])
    # The operations the document declares that were not judged as lists, each with its reason.
    left_out: list[LeftOut] = field(default_factory=list)

    def coverage_of_run(self) -> Coverage:
        return self.coverage if self.coverage is not None else coverage_of_operations(self.exchanges, self.operations)


Progress = Callable[[str], None]


def validate_selection(only: tuple[str, ...], catalog: Catalog) -> None:
    unknown = [o for o in only if o not in catalog and o not in catalog.areas]
    if unknown:
        raise UsageError(
            f"--only {unknown[0]!r} is neither an area ({', '.join(catalog.areas)}) nor a requirement ID."
        )


@contextlib.contextmanager
def _target(options: RunOptions) -> Iterator[tuple[str, str, str | None, bool]]:
    """(base_url, api_key, api_version, embedded): the user's target, or a fresh reference server."""
    if options.base_url:
        if not options.api_key:
            raise UsageError("An API key is needed for --base-url: pass --api-key or set CONFORMANCE_API_KEY.")
        yield options.base_url, options.api_key, options.api_version, False
        return
    from conformance.reference.server import ReferenceConfig, start_background

    # Asked for a known dataset, the embedded reference serves it.
    config = ReferenceConfig(api_key=options.api_key, seed=options.seed, dataset=options.expect_dataset)
    with start_background(config) as server:
        version = options.api_version or server.config.api_versions[0]
        yield server.base_url, server.api_key, version, True


def _deadline_shares(deadline: float | None) -> tuple[float | None, float, str | None]:
    """(seconds of asking, seconds before the deadline by which judging ends, why asking
    stopped early) for a run's --deadline: the deadline bounds the whole run, so its last 30%
    (at most 75 s) is kept for judging and the reports, and of that the last 15% of the
    deadline (at most 30 s) for writing them (linear in the evidence kept, at most 64 MiB:
    BENCHMARKS.md)."""
    if deadline is None:
        return None, 0.0, None
    asking = deadline - min(0.3 * deadline, 75.0)
    return asking, min(0.15 * deadline, 30.0), NotSent.deadline_near(deadline, asking)


def selected_operations(spec: Spec, wanted: tuple[str, ...]) -> tuple[list[str], list[LeftOut]]:
    """(the operations to judge as "GET /path", in document order; those left out, with why) for
    `run --spec/--operation`. Raises SpecError (exit 2, one sentence) for an operation that is not
    declared or not a list, or a document without any list operation (conformance.operations.select)."""
    chosen, left = select(spec.document, wanted)
    return [o.key for o in chosen], left


def operation_probes(probes: tuple[Probe, ...], operations: list[str], catalog: Catalog) -> list[tuple[Probe, str]]:
    """(probe, operation) for every probe of every operation, operation by operation. The probes
    of checkout sessions keep their names (so their random draws, hence their requests, are those
    of a single-operation run); another operation's are named `NAME@/path`. A probe serving only
    rules declared for other operations (spec/requirements.yaml `operations:`; the pre-drawn
    generated cases, the known dataset) is not sent for this one."""
    paired: list[tuple[Probe, str]] = []
    for key in operations:
        areas = {r.area for r in catalog.requirements if r.applies_to(key)}
        for probe in probes:
            if probe.area not in areas and probe.name not in ALWAYS_PROBED:
                continue
            named = probe if key == CHECKOUT_SESSIONS else replace(probe, name=probe_name(probe.name, key))
            paired.append((named, key))
    return paired


def request_cap(options: RunOptions, operations: int) -> int:
    """The run's request budget: `--max-requests` as given (a bound on the whole run, however many
    operations), else the profile's cap for each operation judged, shared by all of them
    (docs/family.md): judging N operations may send N times what judging one may."""
    if options.max_requests is not None:
        return options.max_requests
    return options.profile.max_requests * max(operations, 1)


def _reading(view: Spec) -> str:
    """One console line: what the run read of an operation (its filters, what it does not judge)."""
    operation = view.list_operation
    filters = ", ".join(f"{f.parameter} ({f.kind}{f' on {f.field}' if f.field != f.parameter else ''})"
                        for f in operation.filters) or "none"
    unjudged = f"; not judged as filters: {', '.join(operation.unjudged)}" if operation.unjudged else ""
    return f"{view.operation_key}: filters {filters}{unjudged}"


def run(options: RunOptions, progress: Progress = lambda _: None) -> RunResult:
    spec = default_spec() if options.spec_path is None else load_spec(options.spec_path)
    catalog = default_catalog()
    validate_selection(options.only, catalog)
    operations, left_out = selected_operations(spec, options.operations)
    if options.spec_path is not None or options.operations:  # a family run: say what was read
        # (The operations left out are said once, in the summary: conformance.console.)
        for key in operations:
            progress(_reading(spec.for_operation(path_of(key))))
    started = datetime.now(UTC)
    with _target(options) as (base_url, api_key, api_version, embedded):
        if options.tls != TLSOptions() and not base_url.lower().startswith("https://"):
            # A CA bundle or client key that cannot be used: exit 2, nothing sent. An https:// target's
            # Client builds the context itself, the only reading: `--ca-bundle <(vault read ...)` is a pipe.
            build_context(options.tls)
        cap = request_cap(options, len(operations))
        asking, writing, why_stopped = _deadline_shares(options.deadline)
        settings = ClientSettings(timeout=options.timeout, max_requests=cap, rate_limit=options.rate_limit,
                                  deadline=asking, deadline_reason=why_stopped)
        clock_started = time.monotonic()
        client = Client(base_url, api_key, settings, headers=options.headers, tls=options.tls)
        aborted: ConformanceError | None = None
        try:
            context = RunContext(options.profile, api_version, client.key_is_test_key, options.seed,
                                 options.expect_dataset)
            try:
                for number, key in enumerate(operations):
                    _preflight(client, path_of(key), operations if number else ())
                if options.preflight_api_version and options.api_version:
                    _preflight_version(client, options.api_version, path_of(operations[0]))
            except (TargetUnreachable, UsageError) as exc:
                aborted = exc  # reports are still written: they say why nothing was judged
            checks = checks_for(options.only)
            paired = operation_probes(probes_for(checks), operations, catalog) if aborted is None else []
            probes = [probe for probe, _key in paired]
            views = {probe.name: spec.for_operation(path_of(key)) for probe, key in paired}
            if any(p.name in GENERATED_TAGS for p in probes):
                note = drawn_afresh_note(spec.sha256, options.seed, options.profile.generated_examples)
                if note is not None:
                    progress(note)  # the shipped cases did not fit the installed libraries: one line, no failure
            width = max((len(p.name) for p in probes), default=0)  # the columns line up for every name
            done = run_probes(
                client, probes,
                lambda probe: ProbeContext(client, context, views[probe.name], probe_rng(options.seed, probe)),
                options.concurrency,
                lambda r: progress(f"{r.probe.area:<11} {r.probe.name:<{width}} {plural(r.sent, 'request'):>13}")
                if r.sent else None,
                group=lambda probe: views[probe.name].operation_path,
            )
            failed_probes = {r.probe.name: r.crashed for r in done if r.crashed is not None}
        finally:
            client.close()
        record = Record(client.transcript)  # read once: judging, diagnosis and activity share it
        until = None if options.deadline is None else clock_started + options.deadline - writing
        why_aborted = None if aborted is None else client.redactor.text(str(aborted))
        judged, coverage, stopped, exchanges = _judge_bounded(
            record, context, spec, catalog, options, failed_probes, until, why_aborted,
            Stopped.asking(client.stopped_because), client.base_url, started, operations)
    conclusion, diagnosis = judged.conclusion, judged.diagnosis
    return RunResult(
        target=client.base_url, embedded=embedded, strict=options.strict, only=options.only, context=context,
        verdicts=conclusion.verdicts, verdict=conclusion.verdict, verdict_reason=conclusion.reason,
        exchanges=exchanges, started_at=started, finished_at=datetime.now(UTC), requests_sent=client.requests_sent,
        spec=spec, catalog=catalog, failed_probes=failed_probes, diagnosis=diagnosis,
        activity=judged.activity, waivers=conclusion.waivers,
        redactor=client.redactor, aborted=aborted, stopped=stopped, scope=conclusion.scope,
        implementation=options.implementation,
        tls=client.tls_facts.to_dict(), coverage=coverage, operations=operations, left_out=left_out,
    )


def _judge_bounded(
    record: Record, context: RunContext, spec: Spec, catalog: Catalog, options: RunOptions,
    failed_probes: Mapping[str, str], until: float | None, aborted: str | None, stopped: Stopped | None,
    target: str, started: datetime, operations: list[str],
) -> tuple[RunJudgement, Coverage, Stopped | None, list[Exchange]]:
    """(the judgement, the coverage, why the run stopped early or None, the exchanges the reports
    read: `record`'s, or copies of them, see below), judged by
    conformance.judge.pipeline.judge_run in a thread that the deadline (`until`,
    time.monotonic()) or the memory budget stops (conformance.judge.bounded). After a cut the
    rules not judged by then are inconclusive with that reason, the cut joins `stopped` (the
    client's reason for stopping asking), and the verdict still comes from `conclude`
    (judge_cut_short), so that `verify` concludes the same from the saved `stopped`. A cut run
    has no diagnosis (it would rest on rules not judged).

    What the judging thread shares with this one (`record`, its memo and its exchanges' readings,
    `so_far`, `after`) is read here only once that thread has ended (Bounded.run joined it), with
    one exception: a thread that did not stop after the cut (`abandoned`: one long C call) may
    still read and write them. Then nothing of its is touched again: the cut-short judgement and
    the reports read copies, of each operation's judged-so-far taken under its lock
    (`Judged.copy`) and of the exchanges without their readings, in a record of their own."""
    so_far: dict[str, Judged] = {}
    after: dict[str, Any] = {}
    common: dict[str, Any] = dict(only=options.only, failed_probes=failed_probes, aborted=aborted,
                                  strict=options.strict, waivers=options.waivers, target=target, on=started.date())

    def work() -> None:
        after["coverage"] = coverage_of_operations(record.exchanges, operations)  # first: every report states it
        after["judged"] = judge_operations(record, context, spec, catalog, operations, stopped=stopped,
                                           so_far=so_far, **common)

    bounded = Bounded(work, until).run()
    if bounded.why is None:
        return after["judged"], after["coverage"], stopped, record.exchanges
    if not bounded.abandoned and "judged" in after:
        return after["judged"], after["coverage"], stopped, record.exchanges  # done as the cut came: it took nothing
    coverage = after.get("coverage")  # set once, before judging, and never changed
    if bounded.abandoned:  # the thread runs on: leave it what it holds, read copies (see above)
        so_far = {key: judged.copy() for key, judged in list(so_far.items())}
        record = Record([_unread_copy(e) for e in record.exchanges])
    else:
        # Readings a cut judging left behind (parsed pages, validation caches) go, for the reports' sake.
        for exchange in record.exchanges:
            exchange.forget_readings()
        record.memo.clear()
    why, cut = bounded.why, bounded.cut
    assert cut is not None  # as `why` is
    stopped = Stopped.judging_cut(stopped, why)
    judged = judge_operations_cut_short(record, so_far, catalog, cut, operations, stopped=stopped, **common)
    coverage = coverage or Coverage(0, None, 0, f"not read: {why} before the pages were read")
    return judged, coverage, stopped, record.exchanges


def _unread_copy(exchange: Exchange) -> Exchange:
    """A copy of `exchange` without its readings (parsed body, page ids), which another thread may
    still be filling in on the original."""
    copied = copy.copy(exchange)
    copied.forget_readings()
    return copied


def _preflight(client: Client, path: str = OPERATION_PATH, family: list[str] | tuple[str, ...] = ()) -> None:
    """One plain request first, to `path`: an unreachable target or a refused key is not worth a run.

    `family`: the run's operations, given when `path` is not the first of them (the target already
    answered another path): then a refusal is one of this operation only, and the sentence names it
    (issue 24: a usage error on one operation makes the run exit 2). Raises UsageError (exit 2) or
    TargetUnreachable (exit 3)."""
    operation = f"GET {path}"
    try:
        first = client.get("preflight", path=path)
    except ClientError as exc:
        if client.stopped_because:  # the run's own bound (--deadline) ended it, not the target
            raise TargetUnreachable(f"The run stopped before {client.base_url} answered its first request: "
                                    f"{client.stopped_because.why} (raise --deadline).") from None
        # What failed, as the client recorded it (its kind, never the words; None: not sent).
        failure = exc.failure if isinstance(exc, TransportFailure) else None
        if failure is Failure.PROXY:
            # The user's proxy setting, found before anything reached the target: exit 2, not "cannot reach".
            raise UsageError(f"{failure.cause(str(exc))}.") from None
        tls = failure.cause(str(exc)) if failure is not None and failure.tls else None
        if _refused_behind_handshake(client, failure) and (refusal := client.tls_refusal()) is not None:
            tls = refusal
        if tls is not None:
            # Found at the handshake, before any request reached the target's HTTP layer; the fix is
            # the user's (a CA, a client certificate, the URL) or the target's certificate: exit 2.
            raise UsageError(f"Cannot connect to {client.base_url} over TLS: {tls}.") from None
        raise TargetUnreachable(f"Cannot reach {client.base_url}: {exc}.") from None
    status = first.status or 0
    if family and 300 <= status < 500 and status != 429:
        said = f"{client.base_url} answered {status} {_phrase(status)} to {operation}"
        if status == 401:
            raise UsageError(f"{said} although it accepted the API key for {family[0]}: the key is refused "
                             f"on {operation} only (leave it out with --operation, or use a key valid for all).")
        raise UsageError(f"{said}: the target does not serve {operation} as the document says "
                         "(leave it out with --operation, or check the document).")
    if status == 401:
        raise UsageError(f"{client.base_url} refused the API key (401): check --api-key or CONFORMANCE_API_KEY.")
    if status == 407 and (proxy := asks_authentication(client.base_url + OPERATION_PATH, client.proxies)):
        raise UsageError(f"{proxy}.")  # only a proxy sends 407 (RFC 9110 §15.5.8): a plain-HTTP proxy's answer
    if status == 429:
        # Still limited after the polite retries: nothing could be judged (exit 3), not a usage error.
        wait = first.response_headers.get("retry-after")
        asked = f", Retry-After: {wait[:40]}" if wait else ""
        raise TargetUnreachable(f"{client.base_url} is rate limiting the suite (429{asked}): "
                                "run again when the limit has reset.")
    if 300 <= status < 400:
        # Never followed (credentials must not travel to another host): the user must say where.
        location = _redirect_base(client, first.response_headers.get("location"), path)
        if location == client.base_url:
            # Same base, other path (a trailing slash, a canonical path): no --base-url fixes that.
            moved = _redirect_path(client, first.response_headers.get("location"), path)
            raise UsageError(f"{client.base_url} redirected ({status}) GET {path} to {moved}: the suite "
                             f"never follows redirects, so the target must answer {path} itself.")
        raise UsageError(f"{client.base_url} redirected ({status}) to {location}: use the final URL as --base-url.")
    if status == 404:
        raise UsageError(_not_found(client.base_url, path))
    if 400 <= status < 500:
        # A 5xx, or a 200 that is not a list, goes on: judging those is the checks' job.
        raise UsageError(f"{client.base_url} answered {status} {_phrase(status)} to GET {path}: "
                         "check --base-url and the API key.")


def _refused_behind_handshake(client: Client, failure: Failure | None) -> bool:
    """Whether the preflight's request met a connection closed (or reset) at or right after a TLS
    handshake, whose cause a listening handshake can tell (Client.tls_refusal); not a cause already
    named, nor a target that never completed a handshake (refused, timed out: nothing to learn).
    `failure`: the kind of the request's failure (None: not sent)."""
    if not client.base_url.lower().startswith("https://"):
        return False
    if failure is not None and failure.tls:
        return failure is Failure.TLS_HANDSHAKE_CLOSED
    return client.tls_facts.server_certificate_sha256 is not None


def _not_found(base_url: str, operation_path: str = OPERATION_PATH) -> str:
    """The 404 sentence: the URL really requested, and the fix when the base URL repeats the path."""
    requested = base_url + operation_path
    path = urlsplit(base_url).path
    said = f"{base_url} answered 404 Not Found to GET {requested}"
    prefixes = [operation_path.rsplit("/", k)[0] for k in range(operation_path.count("/"))]
    for suffix in dict.fromkeys(p for p in prefixes if p):
        if path.endswith(suffix):
            fixed = base_url.removesuffix(suffix) or base_url
            return f"{said}: drop {suffix} from --base-url (the suite adds {operation_path} itself): try {fixed}."
    return f"{said}: --base-url must be the part before {operation_path}."


def _redirect_path(client: Client, location: str | None, operation_path: str = OPERATION_PATH) -> str:
    """Where a same-host redirect points, as a path safe to print."""
    try:
        parts = urlsplit(urljoin(client.base_url + operation_path, location or ""))
    except ValueError:
        return "an unreadable Location"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.redactor.text(" ".join(path.split()))[:200] or "/"


def _preflight_version(client: Client, api_version: str, path: str = OPERATION_PATH) -> None:
    """The --api-version named, asked once: a version the target refuses is the user's mistake
    (exit 2), not a VER-002 violation. Other answers go on to the checks, which judge them."""
    from conformance.checks.version import HEADER

    try:
        answer = client.get("preflight:version", [("limit", "1")], headers={HEADER: api_version}, path=path)
    except ClientError:
        return  # the version probe will meet the same failure and say so
    if answer.status is not None and 400 <= answer.status < 500 and answer.status != 429:
        shown = client.redactor.text(" ".join(api_version.split()))[:60]
        raise UsageError(f"{client.base_url} refused --api-version {shown!r} ({answer.status} "
                         f"{_phrase(answer.status)}): name a version the target supports, or leave --api-version out.")


def _redirect_base(client: Client, location: str | None, operation_path: str = OPERATION_PATH) -> str:
    """Where a redirect points, as a base URL safe to print: no user:password@, no key."""
    if not location:
        return "no Location"
    try:
        url = strip_credentials(urljoin(client.base_url + operation_path, location))
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return "an unreadable Location"
    # The preflight asked for the list path: the base URL is what comes before it.
    url = url.removesuffix(operation_path) or url
    return client.redactor.text(" ".join(url.split()))[:200]


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "(an unknown status)"
