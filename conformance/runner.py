"""A conformance run: probe the target, then judge the record, requirement by requirement."""

from __future__ import annotations

import contextlib
import http
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from conformance.catalog import Catalog, default_catalog
from conformance.checks.base import Check, ProbeContext, Record, RunContext
from conformance.checks.history import History
from conformance.checks.identity import ids_changed
from conformance.checks.premises import apply_premises
from conformance.checks.registry import PROBES, checks_for, probes_for
from conformance.client import BODY_NOT_KEPT, Client, ClientSettings, strip_credentials
from conformance.coverage import Coverage, coverage_of
from conformance.diagnosis import Cause, diagnose
from conformance.errors import ClientError, ConformanceError, TargetUnreachable, UsageError
from conformance.exchange import Exchange
from conformance.judging import Bounded
from conformance.lanes import DEFAULT_CONCURRENCY, probe_rng, run_probes
from conformance.profiles import Profile
from conformance.redaction import Redactor
from conformance.spec import OPERATION_PATH, Spec, default_spec
from conformance.spent_budget import name_spent_budget
from conformance.verdicts import Finding, Outcome, RequirementVerdict, Verdict, fold, overall, verdict_reason
from conformance.wording import plural

# A run ends within this many seconds, reports written, whatever the target does: asking
# stops at 70% of it, judging at 85% (see _deadline_shares).
DEFAULT_DEADLINE = 280.0


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
    # Probes side by side (conformance.lanes); 1 sends one request at a time.
    concurrency: int = DEFAULT_CONCURRENCY
    # Requests per second at most, across all lanes; None: no proactive limit.
    rate_limit: float | None = None
    # Seconds after which the run stops asking and judges what it has (see ClientSettings).
    deadline: float | None = DEFAULT_DEADLINE


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
    # The likely causes of what was reported, most likely first (conformance.diagnosis).
    diagnosis: list[Cause] = field(default_factory=list)
    # The waivers given (conformance.waivers), each with its status in this run.
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # Masks the run's secrets in everything written or printed about it.
    redactor: Redactor = field(default_factory=lambda: Redactor([]), repr=False)
    # Why nothing was judged (the preflight found the target unreachable, refusing the
    # key, redirecting...): the CLI still writes the reports, then exits with its code.
    aborted: ConformanceError | None = None
    # Why the run stopped asking before its probes were done (the deadline, a budget), or None.
    stopped: str | None = None
    # What the run saw of the collection, read once (conformance.coverage); None: read when asked.
    coverage: Coverage | None = None

    def coverage_of_run(self) -> Coverage:
        return self.coverage if self.coverage is not None else coverage_of(self.exchanges)


Progress = Callable[[str], None]


def judge(
    exchanges: Sequence[Exchange] | Record,
    context: RunContext,
    spec: Spec,
    catalog: Catalog,
    only: tuple[str, ...] = (),
    failed_probes: Mapping[str, str] | None = None,
    so_far: Judged | None = None,
) -> list[RequirementVerdict]:
    """Every selected requirement's verdict from recorded exchanges alone (also used by verify).

    `failed_probes` (probe name -> error) are suite crashes during probing; their
    requirements become ERROR (see blame_crashed_probes). Given a `Record`, its readings (the
    collection, the history) are shared with whoever reads it after. `so_far` collects each
    check's outcomes as it is judged, for a run whose judging a bound may cut (`cut_short`).
    """
    record = Record.of(exchanges)
    checks = checks_for(only)
    so_far = so_far if so_far is not None else Judged()
    history = History.of(record)
    distrust = _comparisons_distrusted(record, history)
    for check in checks:
        outcomes = _distrust_comparisons(check, _judge_one(check, record, context, spec), history, distrust)
        # Premises check by check (each outcome on its own, as over the whole list): what a cut
        # leaves judged is already final.
        so_far.add(check, _unkept_bodies_blame_no_one(apply_premises(outcomes, record), record), distrust)
    return so_far.verdicts(catalog, only, failed_probes or {}, record.exchanges)


def _unkept_bodies_blame_no_one(outcomes: list[Outcome], record: Record) -> list[Outcome]:
    """A violation whose evidence is only bodies the suite did not keep (masking the key took
    too long: Client._keep_body) is inconclusive: what they held is unknown, and the bound was
    the suite's. Violations shown by other exchanges stand."""
    unkept = {e.seq for e in record if (e.body_error or "").startswith(BODY_NOT_KEPT)}
    if not unkept:
        return outcomes
    judged = []
    for o in outcomes:
        seqs = set(o.exchanges) | {s for item in o.evidence for s in item.exchanges}
        if o.finding == Finding.VIOLATED and seqs and seqs <= unkept:
            o = Outcome(o.requirement, Finding.INCONCLUSIVE, o.check,
                        f"its evidence is bodies the suite did not keep ({record.by_seq(min(seqs)).body_error})")
        judged.append(o)
    return judged


@dataclass
class Judged:
    """The outcomes of the checks judged so far (judge() fills it, check by check)."""

    outcomes: list[Outcome] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    distrust: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, check: Check, outcomes: list[Outcome], distrust: str | None) -> None:
        with self._lock:
            self.outcomes += outcomes
            self.done.add(check.name)
            self.distrust = distrust

    def verdicts(self, catalog: Catalog, only: tuple[str, ...], failed_probes: Mapping[str, str],
                 exchanges: Sequence[Exchange], cut: str | None = None) -> list[RequirementVerdict]:
        """The verdicts folded from what was judged; with `cut` (why judging stopped), every
        requirement of a check not judged is inconclusive for that reason."""
        checks = checks_for(only)
        with self._lock:
            outcomes = list(self.outcomes)
            done = set(self.done)
        if cut is not None:
            outcomes += [Outcome(r, Finding.INCONCLUSIVE, c.name, cut)
                         for c in checks if c.name not in done for r in c.verifies]
        selected = _selected_requirements(catalog, checks, only)
        verdicts = [
            fold(req.id, req.level, (o for o in outcomes if o.requirement == req.id))
            for req in catalog.requirements if req.id in selected
        ]
        verdicts = name_spent_budget(verdicts, exchanges, self.distrust)
        return blame_crashed_probes(verdicts, failed_probes, only)


def _judge_one(check: Check, record: Record, context: RunContext, spec: Spec) -> list[Outcome]:
    try:
        outcomes = list(check.judge(record, context, spec))
    except Exception as exc:  # a suite bug: reported as such, never blamed on the target
        return [Outcome(r, Finding.ERROR, check.name, f"the check {check.name} crashed: {exc!r}")
                for r in check.verifies]
    stray = [o.requirement for o in outcomes if o.requirement not in check.verifies]
    if stray:
        return [Outcome(r, Finding.ERROR, check.name, f"the check {check.name} judged undeclared {stray}")
                for r in check.verifies]
    # A declared requirement left unjudged would fold into a silent skip: a suite bug, said as one.
    judged = {o.requirement for o in outcomes}
    outcomes += [Outcome(r, Finding.ERROR, check.name, f"the check {check.name} declares {r} but did not judge it")
                 for r in check.verifies if r not in judged]
    return outcomes


def _comparisons_distrusted(record: Record, history: History) -> str | None:
    """Why responses taken at different moments cannot be compared at all, or None: a change
    outside the contract's model of a live account, or sessions that came back under other ids."""
    if (outside := history.outside_reason()) is not None:
        return outside
    if ids_changed(record):  # the server's fault (OBJ-015), not a busy account
        return ("the same sessions came back under other ids (OBJ-015), so responses taken at different "
                "moments cannot be compared until ids are stable")
    return None


def _distrust_comparisons(check: Check, outcomes: list[Outcome], history: History,
                          outside: str | None) -> list[Outcome]:
    """A comparison's violation is no evidence when the collection changed outside the contract's
    model of a live account (CONTRACT.md, "A live collection"), or ids changed: inconclusive, the
    reason named. Change inside the model is the judgements' own business (checks/history.py)."""
    live = ("the account was live during the run (sessions created or statuses changed), and this rule "
            "needs a quiet collection") if history.live else None
    if outside is None and live is None:
        return outcomes
    judged = []
    for o in outcomes:
        reason = (outside if o.requirement in check.compares else None) or (
            live if o.requirement in check.quiet_only else None)
        judged.append(Outcome(o.requirement, Finding.INCONCLUSIVE, o.check, reason)
                      if o.finding == Finding.VIOLATED and reason else o)
    return judged


def _selected_requirements(catalog: Catalog, checks: tuple[Check, ...], only: tuple[str, ...]) -> set[str]:
    """The requirements `only` names, by ID or by their area in the catalog (not by the area
    of the check that happens to judge them: OBJ-005 belongs to `--only object`)."""
    if not only:
        return {r.id for r in catalog.requirements}
    return {r.id for r in catalog.requirements if r.id in only or r.area in only}


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
    why = (f"the run's deadline ({deadline:g} s) was near: the suite stopped asking at {asking:g} s "
           "and kept the rest for judging and writing the reports")
    return asking, min(0.15 * deadline, 30.0), why


def run(options: RunOptions, progress: Progress = lambda _: None) -> RunResult:
    spec, catalog = default_spec(), default_catalog()
    validate_selection(options.only, catalog)
    started = datetime.now(UTC)
    with _target(options) as (base_url, api_key, api_version, embedded):
        cap = options.max_requests if options.max_requests is not None else options.profile.max_requests
        asking, writing, why_stopped = _deadline_shares(options.deadline)
        settings = ClientSettings(timeout=options.timeout, max_requests=cap, rate_limit=options.rate_limit,
                                  deadline=asking, deadline_reason=why_stopped)
        clock_started = time.monotonic()
        client = Client(base_url, api_key, settings, headers=options.headers)
        aborted: ConformanceError | None = None
        try:
            context = RunContext(options.profile, api_version, client.key_is_test_key, options.seed,
                                 options.expect_dataset)
            try:
                _preflight(client)
                if options.preflight_api_version and options.api_version:
                    _preflight_version(client, options.api_version)
            except (TargetUnreachable, UsageError) as exc:
                aborted = exc  # reports are still written: they say why nothing was judged
            checks = checks_for(options.only)
            probes = probes_for(checks) if aborted is None else ()
            width = max((len(p.name) for p in probes), default=0)  # the columns line up for every name
            done = run_probes(
                client, probes,
                lambda probe: ProbeContext(client, context, spec, probe_rng(options.seed, probe)),
                options.concurrency,
                lambda r: progress(f"{r.probe.area:<11} {r.probe.name:<{width}} {plural(r.sent, 'request'):>13}")
                if r.sent else None,
            )
            failed_probes = {r.probe.name: r.crashed for r in done if r.crashed is not None}
        finally:
            client.close()
        record = Record(client.transcript)  # read once: judging, diagnosis and activity share it
        exchanges = record.exchanges
        until = None if options.deadline is None else clock_started + options.deadline - writing
        judged, diagnosis, activity, coverage, cut = _judge_bounded(
            record, context, spec, catalog, options.only, failed_probes, until, aborted, client.redactor)
    why_aborted = None if aborted is None else client.redactor.text(str(aborted))
    stopped = "; ".join(s for s in (client.stopped_because, cut) if s) or None
    verdict, reason = final_verdict(judged, options.strict, why_aborted, stopped)
    return RunResult(
        target=client.base_url, embedded=embedded, strict=options.strict, only=options.only, context=context,
        verdicts=judged, verdict=verdict, verdict_reason=reason, exchanges=exchanges,
        started_at=started, finished_at=datetime.now(UTC), requests_sent=client.requests_sent,
        spec=spec, catalog=catalog, failed_probes=failed_probes, diagnosis=diagnosis,
        activity=activity, redactor=client.redactor, aborted=aborted, stopped=stopped, coverage=coverage,
    )


def _judge_bounded(
    record: Record, context: RunContext, spec: Spec, catalog: Catalog, only: tuple[str, ...],
    failed_probes: Mapping[str, str], until: float | None, aborted: ConformanceError | None, redactor: Redactor,
) -> tuple[list[RequirementVerdict], list[Cause], dict[str, object], Coverage, str | None]:
    """(verdicts, diagnosis, activity, coverage, why judging was cut or None), judged in a thread that
    the deadline (`until`, time.monotonic()) or the memory budget stops (conformance.judging):
    the rules not judged by then are inconclusive with that reason, and a cut run has no
    diagnosis (it would rest on rules not judged)."""
    so_far = Judged()
    after: dict[str, Any] = {}

    def work() -> None:
        after["coverage"] = coverage_of(record.exchanges)  # first: every report states it
        if aborted is None:
            after["verdicts"] = judge(record, context, spec, catalog, only, failed_probes, so_far)
        else:
            after["verdicts"] = nothing_judged(catalog, only, redactor.text(str(aborted)))
        after["activity"] = History.of(record).summary()
        after["diagnosis"] = diagnose(after["verdicts"], record, spec)

    bounded = Bounded(work, until).run()
    if bounded.cut is None:
        return after["verdicts"], after["diagnosis"], after["activity"], after["coverage"], None
    verdicts = after.get("verdicts") or so_far.verdicts(catalog, only, failed_probes, record.exchanges,
                                                         cut=bounded.cut)
    # Readings a cut judging left behind (parsed pages, validation caches) go, for the reports' sake.
    for exchange in record.exchanges:
        exchange.forget_readings()
    record.memo.clear()
    stopped = bounded.cut.replace(" before this rule was judged", "")
    coverage = after.get("coverage") or Coverage(0, None, 0, f"not read: {stopped} before the pages were read")
    return verdicts, [], after.get("activity", {}), coverage, f"{stopped}: judging was cut short"


def final_verdict(
    verdicts: Sequence[RequirementVerdict], strict: bool, aborted: str | None, stopped: str | None
) -> tuple[str, str]:
    """(overall verdict, its reason) of a run, also for `verify`. `aborted`: why nothing was
    judged (then inconclusive, for that reason); `stopped`: why the run stopped asking
    early (the deadline, a budget), added to the reason."""
    if aborted is not None:
        return "inconclusive", aborted
    verdict = overall(verdicts, strict)
    reason = verdict_reason(verdicts, verdict)
    if stopped:
        reason = f"{reason} ({stopped})" if reason else f"The run stopped early: {stopped}."
    return verdict, reason


def nothing_judged(catalog: Catalog, only: tuple[str, ...], why: str) -> list[RequirementVerdict]:
    """Every selected requirement inconclusive, for a run whose preflight found nothing to judge."""
    selected = _selected_requirements(catalog, checks_for(only), only)
    return [RequirementVerdict(r.id, r.level, Verdict.INCONCLUSIVE, why, [], [])
            for r in catalog.requirements if r.id in selected]


def blame_crashed_probes(
    verdicts: list[RequirementVerdict], failed_probes: Mapping[str, str], only: tuple[str, ...] = ()
) -> list[RequirementVerdict]:
    """The verdicts with those a crashed probe left without data turned into ERROR.

    A probe that crashed asked less than its checks expect, so what they concluded from
    the rest is not to be trusted, and the fault is the suite's, never the target's. The
    requirements of the checks of the probe's area are blamed; should the selection hold
    none (the walks serve every area), all selected ones are, so that a crash is never
    silent. A violation stays one: its evidence was really answered (as in ``fold``).
    """
    if not failed_probes:
        return verdicts
    areas = {probe.name: probe.area for probe in PROBES}
    selected = checks_for(only)
    blamed: dict[str, str] = {}
    for name, error in failed_probes.items():
        checks = [c for c in selected if c.area == areas.get(name)] or list(selected)
        for check in checks:
            for requirement in check.verifies:
                blamed.setdefault(requirement, f"probe {name} crashed: {error}")
    return [
        replace(v, verdict=Verdict.ERROR, reason=blamed[v.requirement], evidence=[], lacks_data=False)
        if v.requirement in blamed and v.verdict not in (Verdict.FAIL, Verdict.WARN) else v
        for v in verdicts
    ]


def _preflight(client: Client) -> None:
    """One plain request first: an unreachable target or a refused key is not worth a run."""
    try:
        first = client.get("preflight")
    except ClientError as exc:
        if client.stopped_because:  # the run's own bound (--deadline) ended it, not the target
            raise TargetUnreachable(f"The run stopped before {client.base_url} answered its first request: "
                                    f"{client.stopped_because} (raise --deadline).") from None
        raise TargetUnreachable(f"Cannot reach {client.base_url}: {exc}.") from None
    status = first.status or 0
    if status == 401:
        raise UsageError(f"{client.base_url} refused the API key (401): check --api-key or CONFORMANCE_API_KEY.")
    if status == 429:
        # Still limited after the polite retries: nothing could be judged (exit 3), not a usage error.
        wait = first.response_headers.get("retry-after")
        asked = f", Retry-After: {wait[:40]}" if wait else ""
        raise TargetUnreachable(f"{client.base_url} is rate limiting the suite (429{asked}): "
                                "run again when the limit has reset.")
    if 300 <= status < 400:
        # Never followed (credentials must not travel to another host): the user must say where.
        location = _redirect_base(client, first.response_headers.get("location"))
        if location == client.base_url:
            # Same base, other path (a trailing slash, a canonical path): no --base-url fixes that.
            moved = _redirect_path(client, first.response_headers.get("location"))
            raise UsageError(f"{client.base_url} redirected ({status}) GET {OPERATION_PATH} to {moved}: the suite "
                             f"never follows redirects, so the target must answer {OPERATION_PATH} itself.")
        raise UsageError(f"{client.base_url} redirected ({status}) to {location}: use the final URL as --base-url.")
    if status == 404:
        raise UsageError(_not_found(client.base_url))
    if 400 <= status < 500:
        # A 5xx, or a 200 that is not a list, goes on: judging those is the checks' job.
        raise UsageError(f"{client.base_url} answered {status} {_phrase(status)} to GET {OPERATION_PATH}: "
                         "check --base-url and the API key.")


def _not_found(base_url: str) -> str:
    """The 404 sentence: the URL really requested, and the fix when the base URL repeats the path."""
    requested = base_url + OPERATION_PATH
    path = urlsplit(base_url).path
    said = f"{base_url} answered 404 Not Found to GET {requested}"
    for suffix in (OPERATION_PATH, "/v1/checkout", "/v1"):
        if path.endswith(suffix):
            fixed = base_url.removesuffix(suffix) or base_url
            return f"{said}: drop {suffix} from --base-url (the suite adds {OPERATION_PATH} itself): try {fixed}."
    return f"{said}: --base-url must be the part before {OPERATION_PATH}."


def _redirect_path(client: Client, location: str | None) -> str:
    """Where a same-host redirect points, as a path safe to print."""
    try:
        parts = urlsplit(urljoin(client.base_url + OPERATION_PATH, location or ""))
    except ValueError:
        return "an unreadable Location"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.redactor.text(" ".join(path.split()))[:200] or "/"


def _preflight_version(client: Client, api_version: str) -> None:
    """The --api-version named, asked once: a version the target refuses is the user's mistake
    (exit 2), not a VER-002 violation. Other answers go on to the checks, which judge them."""
    from conformance.checks.version import HEADER

    try:
        answer = client.get("preflight:version", [("limit", "1")], headers={HEADER: api_version})
    except ClientError:
        return  # the version probe will meet the same failure and say so
    if answer.status is not None and 400 <= answer.status < 500 and answer.status != 429:
        shown = client.redactor.text(" ".join(api_version.split()))[:60]
        raise UsageError(f"{client.base_url} refused --api-version {shown!r} ({answer.status} "
                         f"{_phrase(answer.status)}): name a version the target supports, or leave --api-version out.")


def _redirect_base(client: Client, location: str | None) -> str:
    """Where a redirect points, as a base URL safe to print: no user:password@, no key."""
    if not location:
        return "no Location"
    try:
        url = strip_credentials(urljoin(client.base_url + OPERATION_PATH, location))
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return "an unreadable Location"
    # The preflight asked for the list path: the base URL is what comes before it.
    url = url.removesuffix(OPERATION_PATH) or url
    return client.redactor.text(" ".join(url.split()))[:200]


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "(an unknown status)"
