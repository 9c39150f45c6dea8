"""No check is dead weight: disabling any one lets some injected fault go uncaught.

Each check is disabled in turn (its judgement says ``held`` for every requirement it
verifies, see ``kill_matrix.check_disabled``) and the exchanges recorded for every fault
are judged again. A check is *needed* when some fault's declared breaks then go
unreported. A check no fault needs means a missing fault: add one.
"""

from __future__ import annotations

import os

import pytest

from conformance.catalog import default_catalog
from conformance.checks import registry
from conformance.checks.base import Record
from conformance.reference.faults import FAULTS
from conformance.selftest.kill_matrix import FaultRun, cached_runs, check_disabled, mutation_kills, shared_runs
from conformance.spec import default_spec
from conformance.verdicts import Finding

CATALOG = default_catalog()


@pytest.fixture(scope="session")
def fault_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, FaultRun]:
    """Every fault judged once per session: in worker processes, and under pytest-xdist
    by whichever worker comes first, the others reading its results."""
    faults = [None, *FAULTS]
    if "PYTEST_XDIST_WORKER" in os.environ:
        return shared_runs(tmp_path_factory.getbasetemp().parent / "fault-matrix", faults)
    return cached_runs(faults)


@pytest.fixture(scope="module")
def kills(fault_runs: dict[str | None, FaultRun]) -> dict[str, list[str]]:
    return mutation_kills(fault_runs.values(), CATALOG)


def test_disabling_holds_every_requirement_and_restores() -> None:
    check = registry.CHECKS[0]
    with check_disabled(check.name) as original:
        assert original is check
        patched = next(c for c in registry.CHECKS if c.name == check.name)
        outcomes = list(patched.judge(Record([]), None, default_spec()))  # type: ignore[arg-type]
        assert {o.requirement for o in outcomes} == set(check.verifies)
        assert {o.finding for o in outcomes} == {Finding.HELD}
    assert registry.CHECKS[0] is check


@pytest.mark.parametrize("check", [c.name for c in registry.CHECKS])
def test_check_is_needed_by_some_fault(check: str, kills: dict[str, list[str]]) -> None:
    assert kills.get(check), (
        f"disabling {check} lets no fault go uncaught: add a fault that only it catches")
