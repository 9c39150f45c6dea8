"""Checks of what a user asked for, made before the run sends anything (exit 2 on a mistake).

Shared by the command line and the pytest plugin, so both refuse the same mistakes with the
same sentence: an empty base URL (a CI secret that is missing), an empty API version, a report
directory that cannot be written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from conformance.errors import UsageError

BASE_URL_ENV = "CONFORMANCE_BASE_URL"
API_KEY_ENV = "CONFORMANCE_API_KEY"


def check_concurrency(value: int, flag: str = "--concurrency") -> int:
    """`value` as the most requests in flight: a whole number from 1 to lanes.MAX_CONCURRENCY.

    Raises UsageError naming `flag` otherwise."""
    from conformance.run.lanes import MAX_CONCURRENCY  # here: the pytest plugin loads this module in every session

    if not 1 <= value <= MAX_CONCURRENCY:
        raise UsageError(f"{flag} takes 1 to {MAX_CONCURRENCY} requests in flight, got {value}.")
    return value


def check_rate_limit(value: float | None, flag: str = "--rate-limit") -> float | None:
    """`value` as requests per second (None: no limit): above 0 and at most
    ratelimit.MAX_RATE_LIMIT. Raises UsageError naming `flag` otherwise (nan and inf included)."""
    from conformance.record.ratelimit import MAX_RATE_LIMIT

    if value is not None and not 0 < value <= MAX_RATE_LIMIT:
        raise UsageError(f"{flag} takes requests per second above 0 and at most {MAX_RATE_LIMIT:g}, got {value:g}.")
    return value


def base_url_from(given: str | None, flag: str = "--base-url") -> str | None:
    """The target base URL: ``given`` (the flag's value, which may already hold the
    $CONFORMANCE_BASE_URL default) or else $CONFORMANCE_BASE_URL; None when neither is set,
    which means the embedded reference server.

    Raises UsageError when the value is empty or blank: CI systems expand a missing secret
    to "", and judging the embedded reference instead would turn a CI gate green.
    """
    from_env = os.environ.get(BASE_URL_ENV)
    value = given if given is not None else from_env
    if value is None:
        return None
    if not value.strip():
        if from_env is not None and value == from_env:
            raise UsageError(f"{BASE_URL_ENV} is set but empty (a missing CI secret?): set it to the target's "
                             "base URL, or unset it to judge the embedded reference server.")
        raise UsageError(f"{flag} is empty: give the target's base URL, or leave {flag} out "
                         "to judge the embedded reference server.")
    return value.strip()


def check_api_version(value: str | None, flag: str = "--api-version") -> None:
    """Raises UsageError on an empty or blank X-API-Version value (VER-002 needs a real one)."""
    if value is not None and not value.strip():
        raise UsageError(f"{flag} is empty: name an X-API-Version value the target supports, or leave it out.")


def check_report_dir(report_dir: Path) -> None:
    """Raises UsageError unless ``report_dir`` is (or can be made) a writable directory.

    Checked before the run sends anything, so a mistake costs a second, not a whole run.
    The directory is created if missing (as writing the reports would); a probe file is
    written and removed, because permission bits say nothing to root or on read-only mounts.
    An existing directory that is a symbolic link, or holds one (or an entry of another user),
    is refused (reports.files.refuse_unsafe_dir).
    """
    if report_dir.exists() and not report_dir.is_dir():
        raise UsageError(f"--report-dir {report_dir} is a file, not a directory.")
    if report_dir.is_dir():
        # A link in it would have the reports written through it into someone else's folder.
        from conformance.reports.files import refuse_unsafe_dir

        refuse_unsafe_dir(report_dir)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UsageError(f"--report-dir {report_dir}: a part of that path is a file, not a directory.") from None
    except OSError as exc:
        raise UsageError(f"--report-dir {report_dir} cannot be created: {exc.strerror or exc}.") from None
    try:
        with tempfile.TemporaryFile(dir=report_dir):
            pass
    except OSError as exc:
        raise UsageError(f"--report-dir {report_dir} is not writable: {exc.strerror or exc}.") from None
