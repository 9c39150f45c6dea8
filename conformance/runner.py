"""A conformance run: probe the target, then judge the record, requirement by requirement."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from conformance.catalog import Catalog, default_catalog
from conformance.checks.base import Check, ProbeContext, Record, RunContext
from conformance.checks.registry import checks_for, probes_for
from conformance.client import Client, ClientSettings
from conformance.errors import ClientError, TargetUnreachable, UsageError
from conformance.exchange import Exchange
from conformance.profiles import Profile
from conformance.spec import Spec, default_spec
from conformance.verdicts import Finding, Outcome, RequirementVerdict, fold, overall, verdict_reason


@dataclass(frozen=True)
class RunOptions:
    base_url: str | None
    api_key: str | None
    profile: Profile
    seed: int = 0
    strict: bool = False
    api_version: str | None = None
    max_requests: int = 2000
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    only: tuple[str, ...] = ()
    expect_dataset: str | None = None


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


Progress = Callable[[str], None]


def judge(
    exchanges: Sequence[Exchange],
    context: RunContext,
    spec: Spec,
    catalog: Catalog,
    only: tuple[str, ...] = (),
) -> list[RequirementVerdict]:
    """Every selected requirement's verdict from recorded exchanges alone (also used by verify)."""
    record = Record(exchanges)
    checks = checks_for(only)
    outcomes: list[Outcome] = []
    for check in checks:
        outcomes.extend(_judge_one(check, record, context, spec))
    selected = _selected_requirements(catalog, checks, only)
    return [
        fold(req.id, req.level, (o for o in outcomes if o.requirement == req.id))
        for req in catalog.requirements if req.id in selected
    ]


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
    return outcomes


def _selected_requirements(catalog: Catalog, checks: tuple[Check, ...], only: tuple[str, ...]) -> set[str]:
    if not only:
        return {r.id for r in catalog.requirements}
    ids = {r for c in checks for r in c.verifies}
    explicit = {o for o in only if o in catalog}
    return explicit if explicit and not set(only) & set(catalog.areas) else ids


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


def run(options: RunOptions, progress: Progress = lambda _: None) -> RunResult:
    spec, catalog = default_spec(), default_catalog()
    validate_selection(options.only, catalog)
    started = datetime.now(UTC)
    with _target(options) as (base_url, api_key, api_version, embedded):
        settings = ClientSettings(timeout=options.timeout, max_requests=options.max_requests)
        client = Client(base_url, api_key, settings, headers=options.headers)
        try:
            context = RunContext(options.profile, api_version, client.key_is_test_key, options.seed,
                                 options.expect_dataset)
            _preflight(client)
            checks = checks_for(options.only)
            probe_ctx = ProbeContext(client, context, spec, random.Random(options.seed))
            for probe in probes_for(checks):
                before = client.requests_sent
                with contextlib.suppress(ClientError):  # recorded; its checks will say inconclusive
                    probe.run(probe_ctx)
                if sent := client.requests_sent - before:
                    progress(f"{probe.area:<11} {probe.name:<15} {sent:>4} requests")
        finally:
            client.close()
        exchanges = list(client.transcript)
        verdicts = judge(exchanges, context, spec, catalog, options.only)
    verdict = overall(verdicts, options.strict)
    return RunResult(
        target=client.base_url, embedded=embedded, strict=options.strict, only=options.only, context=context,
        verdicts=verdicts, verdict=verdict, verdict_reason=verdict_reason(verdicts, verdict), exchanges=exchanges,
        started_at=started, finished_at=datetime.now(UTC), requests_sent=client.requests_sent,
        spec=spec, catalog=catalog,
    )


def _preflight(client: Client) -> None:
    """One plain request first: an unreachable target or a refused key is not worth a run."""
    try:
        first = client.get("preflight")
    except ClientError as exc:
        raise TargetUnreachable(f"Cannot reach {client.base_url}: {exc}.") from None
    if first.status == 401:
        raise UsageError(f"{client.base_url} refused the API key (401): check --api-key or CONFORMANCE_API_KEY.")
