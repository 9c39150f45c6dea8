"""pytest plugin (entry point `pytest11`): the conformance checks inside a team's own pytest run.

    CONFORMANCE_API_KEY=... pytest --pyargs conformance.checks --conformance-base-url URL [--conformance-strict]

One test per requirement; the run happens once per session. Options not given come from the same
config file as `checkout-conformance run` ([tool.checkout-conformance] in ./pyproject.toml, or
--conformance-config), through the same code (conformance.cli.run_options): waivers, report dir
and all. A run with no target named anywhere judges the embedded reference server and says so
loudly; under CI=true it exits 2 instead, unless --conformance-self-test says it is meant. Requirement ID and level
reach JUnit files as <property> elements through `record_property`.

The plugin loads in every pytest session of the environment, so each of its options
carries the `--conformance-` prefix: bare names such as `--base-url` belong to other
plugins (pytest-base-url, which pytest-playwright and pytest-selenium install) and two
plugins registering one name make every pytest run of the environment fail.
"""

from __future__ import annotations

import pytest

from conformance.profiles import PROFILES
from conformance.run.lanes import DEFAULT_CONCURRENCY
from conformance.usage import API_KEY_ENV, BASE_URL_ENV


def pytest_addoption(parser: pytest.Parser) -> None:
    # No defaults here but None: an option left out is the config file's, then `run`'s default
    # (conformance.cli.run_options reads them all, as `checkout-conformance run` does).
    group = parser.getgroup("checkout-conformance")
    group.addoption("--conformance-base-url", dest="conformance_base_url", default=None, metavar="URL",
                    help=f"the conformance target's base URL (default: ${BASE_URL_ENV}, then the config file's "
                         "base-url; none set: the embedded reference server, a self-test)")
    group.addoption("--conformance-api-key", dest="conformance_api_key", default=None,
                    metavar="KEY", help=f"the target's secret key (default: ${API_KEY_ENV}, the safer way)")
    group.addoption("--conformance-profile", dest="conformance_profile", default=None,
                    choices=sorted(PROFILES), help="how hard to look (default: the config file's, else standard)")
    group.addoption("--conformance-seed", dest="conformance_seed", type=int, default=None,
                    help="the same seed sends the same requests (default: the config file's, else 0)")
    group.addoption("--conformance-strict", dest="conformance_strict", action="store_true", default=None,
                    help="fail on SHOULD violations too (default: the config file's strict)")
    group.addoption("--conformance-api-version", dest="conformance_api_version", default=None, metavar="V",
                    help="an X-API-Version value the target supports (VER-002)")
    group.addoption("--conformance-concurrency", dest="conformance_concurrency", type=int,
                    default=None, metavar="N",
                    help=f"probes side by side, N requests in flight at most (default: {DEFAULT_CONCURRENCY}; "
                         "1: one at a time)")
    group.addoption("--conformance-rate-limit", dest="conformance_rate_limit", type=float, default=None,
                    metavar="N", help="at most N requests per second (a token bucket); a 429 is still honoured")
    group.addoption("--conformance-only", dest="conformance_only", action="append", default=[],
                    metavar="AREA|ID", help="judge only an area or requirement IDs (repeatable)")
    group.addoption("--conformance-spec", dest="conformance_spec", default=None, metavar="PATH",
                    help="the OpenAPI 3.x document whose list operations are judged (default: the shipped one)")
    group.addoption("--conformance-operation", dest="conformance_operation", action="append", default=[],
                    metavar="'GET /path'", help="judge only this list operation of the document (repeatable)")
    group.addoption("--conformance-config", dest="conformance_config", default=None, metavar="PATH",
                    help="TOML file of run options (default: [tool.checkout-conformance] in ./pyproject.toml, "
                         "as `checkout-conformance run` reads it)")
    group.addoption("--conformance-waivers", dest="conformance_waivers", default=None, metavar="FILE",
                    help="YAML list of accepted failures, with expiry dates (default: the config file's waivers)")
    group.addoption("--conformance-report-dir", dest="conformance_report_dir", default=None, metavar="DIR",
                    help="also write the run's reports there, as `run` does (default: the config file's "
                         "report-dir; neither: no reports)")
    group.addoption("--conformance-self-test", dest="conformance_self_test", action="store_true", default=False,
                    help="judging the embedded reference server is meant (otherwise, with no target named, "
                         "the run exits 2 under CI=true)")
    group.addoption("--conformance-ca-bundle", dest="conformance_ca_bundle", default=None, metavar="PATH",
                    help="CA certificates to trust for an https:// target, a PEM file or a directory (default: the "
                         "config file's ca-bundle, else $REQUESTS_CA_BUNDLE, else $SSL_CERT_FILE, else the certifi "
                         "bundle)")
    group.addoption("--conformance-client-cert", dest="conformance_client_cert", default=None, metavar="PATH",
                    help="client certificate (PEM) for a target that demands mutual TLS")
    group.addoption("--conformance-client-key", dest="conformance_client_key", default=None, metavar="PATH",
                    help="the client certificate's private key (PEM, unencrypted)")


# The run's result, for the hooks below (set by the `conformance_run` fixture).
RESULT_KEY = pytest.StashKey[object]()


# Whether the run judged the embedded reference because no target was named anywhere.
NO_TARGET_KEY = pytest.StashKey[bool]()
# Where the reports were written, when they were.
REPORTS_KEY = pytest.StashKey[str]()

NO_TARGET = ("NO TARGET NAMED: these tests judged the suite's own embedded reference server (a self-test), "
             f"not your API. Name the target with --conformance-base-url, ${BASE_URL_ENV} or base-url in "
             "[tool.checkout-conformance] of ./pyproject.toml (or --conformance-config).")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    result = config.stash.get(RESULT_KEY, None)
    if result is not None:
        reason = getattr(result, "verdict_reason", "")
        scope = getattr(result, "scope", None)
        verdict = str(getattr(scope, "verdict", None) or getattr(result, "verdict", ""))
        # A run of the embedded reference is a self-test and must never read as a target's result.
        target = " (the embedded reference server: a self-test, not a target)" if getattr(result, "embedded", False) \
            else f" ({getattr(result, 'target', '')})"
        terminalreporter.write_line(f"checkout-conformance: {verdict.upper()}{target}"
                                    + (f" - {reason}" if reason else ""))
        if scope is not None and verdict != "conformant":
            terminalreporter.write_line(f"checkout-conformance: scope: {scope.statement()}")
        if config.stash.get(REPORTS_KEY, None):
            terminalreporter.write_line(f"checkout-conformance: reports: {config.stash[REPORTS_KEY]}/")
    if config.stash.get(NO_TARGET_KEY, False):
        terminalreporter.write_sep("!", "checkout-conformance", red=True, bold=True)
        terminalreporter.write_line(f"checkout-conformance: {NO_TARGET}", red=True, bold=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Skips are not a green light: a run that could not judge a MUST exits 3, as the CLI does.
    result = session.config.stash.get(RESULT_KEY, None)
    if result is not None and exitstatus == 0 and getattr(result, "verdict", "") in ("inconclusive", "error"):
        session.exitstatus = 3
