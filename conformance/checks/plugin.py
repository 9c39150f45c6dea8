"""pytest plugin (entry point `pytest11`): the conformance checks inside a team's own pytest run.

    pytest --pyargs conformance.checks --conformance-base-url URL [--conformance-api-key KEY] [--conformance-strict]

One test per requirement; the run happens once per session. Requirement ID and level
reach JUnit files as <property> elements through `record_property`.

The plugin loads in every pytest session of the environment, so each of its options
carries the `--conformance-` prefix: bare names such as `--base-url` belong to other
plugins (pytest-base-url, which pytest-playwright and pytest-selenium install) and two
plugins registering one name make every pytest run of the environment fail.
"""

from __future__ import annotations

import os

import pytest

from conformance.lanes import DEFAULT_CONCURRENCY
from conformance.profiles import PROFILES
from conformance.usage import API_KEY_ENV, BASE_URL_ENV


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("checkout-conformance")
    group.addoption("--conformance-base-url", dest="conformance_base_url", default=None, metavar="URL",
                    help=f"the conformance target's base URL (default: ${BASE_URL_ENV}; "
                         "neither set: the embedded reference server)")
    group.addoption("--conformance-api-key", dest="conformance_api_key", default=os.environ.get(API_KEY_ENV),
                    metavar="KEY", help=f"the target's secret key (default: ${API_KEY_ENV})")
    group.addoption("--conformance-profile", dest="conformance_profile", default="standard",
                    choices=sorted(PROFILES), help="how hard to look (default: standard)")
    group.addoption("--conformance-seed", dest="conformance_seed", type=int, default=0,
                    help="the same seed sends the same requests (default: 0)")
    group.addoption("--conformance-strict", dest="conformance_strict", action="store_true",
                    help="fail on SHOULD violations too")
    group.addoption("--conformance-api-version", dest="conformance_api_version", default=None, metavar="V",
                    help="an X-API-Version value the target supports (VER-002)")
    group.addoption("--conformance-concurrency", dest="conformance_concurrency", type=int,
                    default=DEFAULT_CONCURRENCY, metavar="N",
                    help=f"probes side by side, N requests in flight at most (default: {DEFAULT_CONCURRENCY}; "
                         "1: one at a time)")
    group.addoption("--conformance-rate-limit", dest="conformance_rate_limit", type=float, default=None,
                    metavar="N", help="at most N requests per second (a token bucket); a 429 is still honoured")
    group.addoption("--conformance-only", dest="conformance_only", action="append", default=[],
                    metavar="AREA|ID", help="judge only an area or requirement IDs (repeatable)")
    group.addoption("--conformance-ca-bundle", dest="conformance_ca_bundle", default=None, metavar="PATH",
                    help="CA certificates to trust for an https:// target, a PEM file or a directory (default: "
                         "$REQUESTS_CA_BUNDLE, else $SSL_CERT_FILE, else the certifi bundle)")
    group.addoption("--conformance-client-cert", dest="conformance_client_cert", default=None, metavar="PATH",
                    help="client certificate (PEM) for a target that demands mutual TLS")
    group.addoption("--conformance-client-key", dest="conformance_client_key", default=None, metavar="PATH",
                    help="the client certificate's private key (PEM, unencrypted)")


# The run's result, for the hooks below (set by the `conformance_run` fixture).
RESULT_KEY = pytest.StashKey[object]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    result = config.stash.get(RESULT_KEY, None)
    if result is not None:
        verdict, reason = getattr(result, "verdict", ""), getattr(result, "verdict_reason", "")
        # A run of the embedded reference is a self-test and must never read as a target's result.
        target = " (the embedded reference server: a self-test, not a target)" if getattr(result, "embedded", False) \
            else f" ({getattr(result, 'target', '')})"
        terminalreporter.write_line(f"checkout-conformance: {verdict.upper()}{target}"
                                    + (f" - {reason}" if reason else ""))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Skips are not a green light: a run that could not judge a MUST exits 3, as the CLI does.
    result = session.config.stash.get(RESULT_KEY, None)
    if result is not None and exitstatus == 0 and getattr(result, "verdict", "") in ("inconclusive", "error"):
        session.exitstatus = 3
