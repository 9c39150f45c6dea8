"""No check is dead weight: disabling any one lets some injected fault go uncaught.

Each check is disabled in turn (its judgement says ``held`` for every requirement it
verifies, see ``kill_matrix.check_disabled``) and the exchanges recorded for every fault
are judged again. A check is *needed* when some fault's declared breaks then go
unreported. A check no fault needs means a missing fault: add one.
"""

from __future__ import annotations

import pytest

from conformance.catalog import default_catalog
from conformance.checks import registry
from conformance.checks.base import Record
from conformance.selftest.kill_matrix import FaultRun, check_disabled, mutation_kills
from conformance.spec import default_spec
from conformance.verdicts import Finding

CATALOG = default_catalog()


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
