"""No pass without evidence (issue 10): every pass names the exchanges it rests on, and a
target that is not the API passes nothing."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from conformance.selftest.kill_matrix import FaultRun
from conformance.verdicts import Verdict
from tests.support.runs import run_cli
from tests.support.scripted import loopback

# Requirements that once passed against a static file server although nothing they
# describe ever happened there (issue 10).
ONCE_PASSED_ON_NOTHING = ("LIM-007", "FLT-002", "FLT-005", "PAG-011", "PAG-012", "VER-001", "ENV-004", "LIM-002")


def test_every_pass_of_every_fault_run_names_its_exchanges(fault_runs: dict[str | None, FaultRun]) -> None:
    """The whole catalog against the reference (and each fault): no pass without exchanges."""
    unevidenced = [(fault, v.requirement) for fault, run in fault_runs.items() for v in run.verdicts
                   if v.verdict == Verdict.PASS and not v.exchanges]
    assert not unevidenced
    reference = fault_runs[None]
    assert all(v.exchanges and v.reason for v in reference.verdicts if v.verdict == Verdict.PASS)
    assert sum(v.verdict == Verdict.PASS for v in reference.verdicts) > 50


@contextmanager
def static_files(root: Path) -> Iterator[str]:
    """`python -m http.server` over `root`: a plain file server, not the API."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined, assignment]
    with loopback(handler) as base_url:
        yield base_url


def test_a_static_file_server_passes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "v1" / "checkout").mkdir(parents=True)
    (root / "v1" / "checkout" / "sessions").write_text(
        json.dumps({"name": "marketing-site", "version": "2.1.0", "pages": ["home", "pricing"]}))
    with static_files(root) as base_url:
        code, report = run_cli(base_url, "sk_test_not_the_api", tmp_path / "report", "--profile", "quick")
    verdicts = {r["id"]: r for r in report["requirements"]}
    passed = [rid for rid, r in verdicts.items() if r["verdict"] == "pass"]
    assert passed == []
    assert all(verdicts[rid]["verdict"] != "pass" for rid in ONCE_PASSED_ON_NOTHING)
    assert {verdicts[rid]["verdict"] for rid in ("ENV-002", "ENV-003")} == {"fail"}
    assert code == 1
    lim002 = verdicts["LIM-002"]
    assert lim002["verdict"] == "inconclusive"
    assert "status 200, but the body has no `data`" in lim002["reason"]
    assert "never answered like the list API" in verdicts["VER-001"]["reason"]
