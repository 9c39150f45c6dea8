"""Collected by `pytest --pyargs conformance.checks`: one test per requirement."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import default_catalog
from conformance.checks.plugin import RESULT_KEY
from conformance.errors import ConformanceError, UsageError
from conformance.lanes import DEFAULT_CONCURRENCY
from conformance.profiles import PROFILES
from conformance.runner import RunOptions, RunResult, run
from conformance.tls import TLSOptions, plugin_wording, tls_options
from conformance.usage import base_url_from, check_api_version, check_concurrency, check_rate_limit
from conformance.verdicts import RequirementVerdict, Verdict


class ConformanceWarning(UserWarning):
    """A SHOULD requirement was broken."""


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> RunResult:
    opt = request.config.getoption
    try:
        base_url = base_url_from(opt("conformance_base_url", None), "--conformance-base-url")
        if base_url is None and opt("base_url", None):
            # pytest-base-url's --base-url: the user meant a target; the embedded reference would pass.
            raise UsageError("--base-url is pytest-base-url's option, not the conformance target: pass "
                             "--conformance-base-url URL (or $CONFORMANCE_BASE_URL) to judge that server.")
        check_api_version(opt("conformance_api_version", None), "--conformance-api-version")
        concurrency = check_concurrency(opt("conformance_concurrency", DEFAULT_CONCURRENCY),
                                        "--conformance-concurrency")
        rate_limit = check_rate_limit(opt("conformance_rate_limit", None), "--conformance-rate-limit")
        tls = _tls_options(opt, base_url)
    except ConformanceError as exc:
        pytest.exit(f"checkout-conformance: {exc}", returncode=exc.exit_code)
    options = RunOptions(
        base_url=base_url, api_key=opt("conformance_api_key", None),
        profile=PROFILES[opt("conformance_profile", "standard")], seed=opt("conformance_seed", 0),
        strict=opt("conformance_strict", False), api_version=opt("conformance_api_version", None),
        only=tuple(opt("conformance_only", []) or ()), preflight_api_version=True, rate_limit=rate_limit,
        concurrency=concurrency, tls=tls,
    )
    try:
        result = run(options)
    except ConformanceError as exc:
        pytest.exit(f"checkout-conformance: {plugin_wording(str(exc))}", returncode=exc.exit_code)
    if isinstance(result.aborted, UsageError):
        # Found before anything was judged and the user's to fix (a TLS cause, a refused key): exit 2
        # with its sentence, as `run` does, rather than a session of skips.
        pytest.exit(f"checkout-conformance: {plugin_wording(str(result.aborted))}",
                    returncode=result.aborted.exit_code)
    request.config.stash[RESULT_KEY] = result
    return result


def _tls_options(opt: Any, base_url: str | None) -> TLSOptions:
    """--conformance-ca-bundle/-client-cert/-client-key; for an https:// target the CA bundle falls
    back to $REQUESTS_CA_BUNDLE, then $SSL_CERT_FILE, as `run` does (conformance.tls)."""
    def path(name: str) -> Path | None:
        value = opt(name, None)
        if value is not None and not str(value).strip():
            raise UsageError(f"--{name.replace('_', '-')} is empty: give a path, or leave it out.")
        return None if value is None else Path(value)

    https = (base_url or "").lower().startswith("https://")
    return tls_options(path("conformance_ca_bundle"), path("conformance_client_cert"),
                       path("conformance_client_key"), os.environ if https else {}, "--conformance-ca-bundle")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "requirement_id" in metafunc.fixturenames:
        ids = [r.id for r in default_catalog().requirements]
        metafunc.parametrize("requirement_id", ids, ids=ids)


def _describe(verdict: RequirementVerdict, result: RunResult) -> str:
    lines = [verdict.reason]
    for item in verdict.evidence[:3]:
        lines.append(f"- {item.message}: expected {item.expected}; got {item.actual}")
        lines += [f"  {result.exchanges[s].curl(result.target)}" for s in item.exchanges[:1]]
    return "\n".join(lines)


def test_requirement(requirement_id: str, conformance_run: RunResult, record_property: Any) -> None:
    requirement = default_catalog()[requirement_id]
    record_property("requirement", requirement.id)
    record_property("level", requirement.level)
    verdict = next((v for v in conformance_run.verdicts if v.requirement == requirement_id), None)
    if verdict is None:
        pytest.skip("not selected (--conformance-only)")
    text = f"{requirement.id} ({requirement.level}) {requirement.text}\n{_describe(verdict, conformance_run)}"
    if verdict.verdict == Verdict.FAIL or (verdict.verdict == Verdict.WARN and conformance_run.strict):
        pytest.fail(text, pytrace=False)
    if verdict.verdict == Verdict.WARN:
        warnings.warn(text, ConformanceWarning, stacklevel=1)
    elif verdict.verdict in (Verdict.SKIP, Verdict.INCONCLUSIVE):
        pytest.skip(f"{verdict.verdict.value}: {verdict.reason}")
    elif verdict.verdict == Verdict.ERROR:
        raise RuntimeError(f"suite error (not the target's fault): {verdict.reason}")
