"""Report directories written once per session: a clean run, a run against a faulty
reference server, and a 'mixed' report with every verdict and a hostile response body."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.profiles import PROFILES
from conformance.reference.server import ReferenceConfig, start_background
from conformance.reports.writer import write_reports
from conformance.run.runner import RunOptions, RunResult, run
from conformance.verdicts import Evidence, Verdict, overall
from tests.reports.multi import two_operations

API_KEY = "sk_test_SECRETSECRET0123456789abcdef"
HOSTILE = '<script>document.title="PWNED"</script><img src=x onerror="document.body.dataset.pwned=1">'


@pytest.fixture(scope="session")
def api_key() -> str:
    return API_KEY


@pytest.fixture(scope="session")
def hostile() -> str:
    return HOSTILE


@dataclass
class CliRun:
    code: int
    out: str
    err: str
    report_dir: Path


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """cli.main in-process with stdout and stderr captured (usable from session fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """`run` against the embedded reference with a known key: conformant."""
    report_dir = tmp_path_factory.mktemp("clean") / "reports"
    code, out, err = run_cli(["run", "--report-dir", str(report_dir), "--api-key", API_KEY, "--profile", "quick"])
    return CliRun(code, out, err, report_dir)


@pytest.fixture(scope="session")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """`run` against a reference server that serves one item too few per page: nonconformant."""
    report_dir = tmp_path_factory.mktemp("faulty") / "reports"
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-off-by-one")) as server:
        code, out, err = run_cli(["run", "--base-url", server.base_url, "--api-key", API_KEY,
                                  "--report-dir", str(report_dir), "--profile", "quick", "--quiet"])
    return CliRun(code, out, err, report_dir)


def _mixed_result() -> RunResult:
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-off-by-one")) as server:
        result = run(RunOptions(base_url=server.base_url, api_key=API_KEY, profile=PROFILES["quick"]))
    failed = next(v for v in result.verdicts if v.verdict == Verdict.FAIL and v.evidence)
    seq = failed.evidence[0].exchanges[0]
    # A target that echoes markup: the body, and text derived from it, must stay inert in every report.
    result.exchanges[seq].body = HOSTILE + result.exchanges[seq].body
    failed.evidence[0].actual = HOSTILE
    passing = [v for v in result.verdicts if v.verdict == Verdict.PASS]
    should = next(v for v in passing if v.level == "SHOULD")
    should.verdict, should.reason = Verdict.WARN, "a SHOULD was broken (synthetic)"
    should.evidence = [Evidence("a SHOULD was broken (synthetic)", "400", "422", [seq])]
    changes = ((Verdict.INCONCLUSIVE, "the target did not answer (synthetic)"),
               (Verdict.SKIP, "too little data (synthetic)"),
               (Verdict.ERROR, "the check crashed (synthetic)"))
    others = [v for v in passing if v is not should]
    for verdict, (kind, reason) in zip(others, changes, strict=False):
        verdict.verdict, verdict.reason = kind, reason
    return replace(result, verdict=overall(result.verdicts, result.strict))


@pytest.fixture(scope="session")
def mixed_result() -> RunResult:
    return _mixed_result()


@pytest.fixture(scope="session")
def mixed_dir(mixed_result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reports with every verdict kind and a hostile response body (not verifiable: it was edited)."""
    report_dir = tmp_path_factory.mktemp("mixed") / "reports"
    write_reports(mixed_result, report_dir)
    return report_dir


@pytest.fixture
def copy_of(tmp_path: Path) -> Callable[[Path], Path]:
    """A private copy of a session report dir, for a test to tamper with."""
    def copy(source: Path) -> Path:
        target = tmp_path / "copy"
        shutil.copytree(source, target)
        return target
    return copy


@pytest.fixture(scope="session")
def two_result(mixed_result: RunResult) -> RunResult:
    """The mixed result as a run of two operations (tests.reports.multi.two_operations)."""
    return two_operations(mixed_result)


@pytest.fixture(scope="session")
def two_dir(two_result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reports of a run of two operations: checkout sessions and GET /v1/invoices."""
    report_dir = tmp_path_factory.mktemp("two") / "reports"
    write_reports(two_result, report_dir)
    return report_dir
