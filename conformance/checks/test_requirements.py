"""Collected by `pytest --pyargs conformance.checks`: one test per requirement."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import default_catalog
from conformance.cli import build_parser, run_options
from conformance.config_file import load_settings, parse_with_config
from conformance.errors import ConformanceError, UsageError
from conformance.pytest_plugin.plugin import NO_TARGET, NO_TARGET_KEY, REPORTS_KEY, RESULT_KEY
from conformance.record.tls import plugin_wording
from conformance.reports.writer import write_reports
from conformance.run.lanes import DEFAULT_CONCURRENCY
from conformance.run.runner import RunResult, run
from conformance.signing import load_private_key
from conformance.usage import (
    BASE_URL_ENV,
    base_url_from,
    check_api_version,
    check_concurrency,
    check_rate_limit,
    check_report_dir,
)
from conformance.verdicts import RequirementVerdict, Verdict


class ConformanceWarning(UserWarning):
    """A SHOULD requirement was broken."""


# Plugin options and the `run` flags they stand for; given ones go through `run`'s own parser,
# so the config file fills the rest exactly as it does for `checkout-conformance run`.
_AS_RUN_FLAGS = (
    ("conformance_api_key", "--api-key"), ("conformance_profile", "--profile"), ("conformance_seed", "--seed"),
    ("conformance_api_version", "--api-version"), ("conformance_concurrency", "--concurrency"),
    ("conformance_rate_limit", "--rate-limit"), ("conformance_config", "--config"),
    ("conformance_waivers", "--waivers"), ("conformance_report_dir", "--report-dir"),
    ("conformance_ca_bundle", "--ca-bundle"), ("conformance_client_cert", "--client-cert"),
    ("conformance_client_key", "--client-key"), ("conformance_spec", "--spec"),
)


def _run_args(config: pytest.Config) -> tuple[argparse.Namespace, bool]:
    """(`run`'s parsed arguments for this session's options, whether reports are to be written).
    UsageError for a value `run` would refuse, named by the plugin's option where it can be."""
    opt = config.getoption
    given_url = opt("conformance_base_url", None)
    base_url = base_url_from(given_url, "--conformance-base-url") if given_url is not None else None
    check_api_version(opt("conformance_api_version", None), "--conformance-api-version")
    concurrency = opt("conformance_concurrency", None)
    check_concurrency(DEFAULT_CONCURRENCY if concurrency is None else concurrency, "--conformance-concurrency")
    check_rate_limit(opt("conformance_rate_limit", None), "--conformance-rate-limit")
    argv = ["run", *(["--base-url", base_url] if base_url else [])]
    for dest, flag in _AS_RUN_FLAGS:
        if (value := opt(dest, None)) is not None:
            argv += [flag, str(value)]
    if opt("conformance_strict", None):
        argv.append("--strict")
    for only in opt("conformance_only", []) or ():
        argv += ["--only", only]
    for operation in opt("conformance_operation", []) or ():
        argv += ["--operation", operation]
    settings, _source = load_settings(Path(opt("conformance_config")) if opt("conformance_config", None) else None)
    messages = io.StringIO()
    try:
        with contextlib.redirect_stderr(messages):
            args = parse_with_config(build_parser(), argv)
    except SystemExit:  # `run`'s parser refused a value: its one sentence
        raise UsageError(messages.getvalue().strip().removeprefix("checkout-conformance: ")) from None
    return args, opt("conformance_report_dir", None) is not None or "report-dir" in settings


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> RunResult:
    config = request.config
    try:
        args, write = _run_args(config)
        if args.base_url is None and config.getoption("base_url", None):
            # pytest-base-url's --base-url: the user meant a target; the embedded reference would pass.
            raise UsageError("--base-url is pytest-base-url's option, not the conformance target: pass "
                             "--conformance-base-url URL (or $CONFORMANCE_BASE_URL) to judge that server.")
        options = run_options(args)
        if args.sign_key and not write:
            # A key the user set must not be dropped in silence: a signature needs a certificate to sign.
            raise UsageError(f"sign-key is set ({args.sign_key}) but the plugin writes no reports to sign: set "
                             "--conformance-report-dir DIR (or report-dir in the config file), or remove sign-key.")
        signing_key = load_private_key(args.sign_key) if args.sign_key else None
        if write:
            check_report_dir(args.report_dir)
    except ConformanceError as exc:
        pytest.exit(f"checkout-conformance: {plugin_wording(str(exc))}", returncode=exc.exit_code)
    if options.base_url is None and not config.getoption("conformance_self_test", False):
        if os.environ.get("CI", "").strip().lower() == "true":
            # A CI gate that judged only the suite's own server would be green whatever the API does.
            pytest.exit("checkout-conformance: NO TARGET NAMED, and under CI=true the plugin will not judge its own "
                        "embedded reference server in place of your API: name the target with "
                        f"--conformance-base-url, ${BASE_URL_ENV} or base-url in [tool.checkout-conformance] of "
                        "./pyproject.toml, or pass --conformance-self-test if the self-test is meant.", returncode=2)
        config.stash[NO_TARGET_KEY] = True
        warnings.warn(NO_TARGET, ConformanceWarning, stacklevel=1)
    try:
        result = run(options)
        if write:
            write_reports(result, args.report_dir, signing_key)  # signed as `run` signs (sign-key)
            config.stash[REPORTS_KEY] = str(args.report_dir)
    except ConformanceError as exc:
        pytest.exit(f"checkout-conformance: {plugin_wording(str(exc))}", returncode=exc.exit_code)
    if isinstance(result.aborted, UsageError):
        # Found before anything was judged and the user's to fix (a TLS cause, a refused key): exit 2
        # with its sentence, as `run` does, rather than a session of skips.
        pytest.exit(f"checkout-conformance: {plugin_wording(str(result.aborted))}",
                    returncode=result.aborted.exit_code)
    request.config.stash[RESULT_KEY] = result
    if result.aborted is not None:  # nothing judged (a refused key...): its sentence and code, as `run`
        pytest.exit(f"checkout-conformance: {result.redactor.text(str(result.aborted))}",
                    returncode=result.aborted.exit_code)
    return result


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


_WORST = (Verdict.FAIL, Verdict.ERROR, Verdict.WARN, Verdict.INCONCLUSIVE, Verdict.WAIVED, Verdict.SKIP, Verdict.PASS)


def test_requirement(requirement_id: str, conformance_run: RunResult, record_property: Any) -> None:
    requirement = default_catalog()[requirement_id]
    record_property("requirement", requirement.id)
    record_property("level", requirement.level)
    # One verdict per judged operation (issue 24): the test reports the worst, naming its operation.
    verdicts = [v for v in conformance_run.verdicts if v.requirement == requirement_id]
    if not verdicts:
        pytest.skip("not selected (--conformance-only)")
    verdict = min(verdicts, key=lambda v: _WORST.index(v.verdict) if v.verdict in _WORST else len(_WORST))
    where = f" [{verdict.operation}]" if len(conformance_run.operations) > 1 else ""
    text = f"{requirement.id} ({requirement.level}){where} {requirement.text}\n{_describe(verdict, conformance_run)}"
    if verdict.verdict == Verdict.FAIL or (verdict.verdict == Verdict.WARN and conformance_run.strict):
        pytest.fail(text, pytrace=False)
    if verdict.verdict == Verdict.WARN:
        warnings.warn(text, ConformanceWarning, stacklevel=1)
    elif verdict.verdict == Verdict.WAIVED and verdict.waiver:
        # An accepted failure is no pass: skipped with the waiver, as junit.xml's <skipped type="waived">.
        waiver = verdict.waiver
        pytest.skip(f"waived ({waiver['verdict']}) until {waiver['expires']}: {waiver['reason']}")
    elif verdict.verdict in (Verdict.SKIP, Verdict.INCONCLUSIVE):
        pytest.skip(f"{verdict.verdict.value}: {verdict.reason}")
    elif verdict.verdict == Verdict.ERROR:
        raise RuntimeError(f"suite error (not the target's fault): {verdict.reason}")
