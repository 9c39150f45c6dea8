"""pytest plugin (entry point `pytest11`): the conformance checks inside a team's own pytest run.

    pytest --pyargs conformance.checks --base-url URL --api-key KEY [--conformance-strict]

One test per requirement; the run happens once per session. Requirement ID and level
reach JUnit files as <property> elements through `record_property`.
"""

from __future__ import annotations

import contextlib
import os

import pytest


def _add(group: pytest.OptionGroup, *names: str, **kwargs: object) -> None:
    # Another plugin (pytest-base-url) may own --base-url already; then we read its value.
    with contextlib.suppress(ValueError):
        group.addoption(*names, **kwargs)  # type: ignore[arg-type]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("checkout-conformance")
    _add(group, "--base-url", dest="base_url", default=os.environ.get("CONFORMANCE_BASE_URL"),
         help="conformance target (default: the embedded reference server)")
    _add(group, "--api-key", dest="conformance_api_key", default=os.environ.get("CONFORMANCE_API_KEY"),
         help="conformance target's secret key")
    _add(group, "--conformance-profile", dest="conformance_profile", default="standard",
         choices=["quick", "standard", "thorough"])
    _add(group, "--conformance-seed", dest="conformance_seed", type=int, default=0)
    _add(group, "--conformance-strict", dest="conformance_strict", action="store_true",
         help="fail on SHOULD violations too")
    _add(group, "--api-version", dest="conformance_api_version", default=None)
    _add(group, "--conformance-only", dest="conformance_only", action="append", default=[])


# The run's result, for the hooks below (set by the `conformance_run` fixture).
RESULT_KEY = pytest.StashKey[object]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    result = config.stash.get(RESULT_KEY, None)
    if result is not None:
        verdict, reason = getattr(result, "verdict", ""), getattr(result, "verdict_reason", "")
        terminalreporter.write_line(f"checkout-conformance: {verdict.upper()}" + (f" - {reason}" if reason else ""))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Skips are not a green light: a run that could not judge a MUST exits 3, as the CLI does.
    result = session.config.stash.get(RESULT_KEY, None)
    if result is not None and exitstatus == 0 and getattr(result, "verdict", "") in ("inconclusive", "error"):
        session.exitstatus = 3
