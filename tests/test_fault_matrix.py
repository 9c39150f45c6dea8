"""The fault matrix: the suite passes the reference server and catches every injected fault.

Every fault of ``conformance.reference.faults`` is served by an embedded reference server
and judged in-process (``standard`` profile). The whole pass runs once per test process,
in worker processes, before the first test needs it; under pytest-xdist one worker does it
and the others read its results. ``docs/kill-matrix.md`` shows the same results.
"""

from __future__ import annotations

import pytest

from conformance.catalog import default_catalog
from conformance.judge.diagnosis import unexplained
from conformance.judge.observations import OBSERVATIONS, stated_values
from conformance.reference.faults import FAULTS
from conformance.selftest import kill_matrix
from conformance.selftest.kill_matrix import FaultRun, declared_in, missed, top_diagnosis_ok

CATALOG = default_catalog()

# Faults the suite is known to miss, with the reason (the judgement's file:line). Each is
# an xfail(strict=True): the day the check is fixed, the entry must go.
KNOWN_MISSES: dict[str, str] = {}


def _params() -> list[object]:
    return [
        pytest.param(name, id=name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[name]))
        if name in KNOWN_MISSES else pytest.param(name, id=name)
        for name in FAULTS
    ]


def test_reference_is_conformant_under_strict(fault_runs: dict[str | None, FaultRun]) -> None:
    reference = fault_runs[None]
    shown = [f"{v.requirement}: {v.verdict.value} {v.reason}" for v in reference.verdicts
             if v.verdict.value not in ("pass", "skip")]
    assert reference.exit_code(strict=True) == 0, shown


@pytest.mark.parametrize("name", _params())
def test_fault_is_caught(name: str, fault_runs: dict[str | None, FaultRun]) -> None:
    fault = FAULTS[name]
    found = fault_runs[name]
    lost = missed(fault.breaks, found.by_id, CATALOG)
    verdicts = {r: found.by_id.get(r) for r in lost}
    assert not lost, f"{name}: declared but not reported: {verdicts}"
    if any(CATALOG[r].level == "MUST" for r in fault.breaks):
        assert found.exit_code(strict=False) == 1
    else:  # SHOULD-only: a warning, which --strict turns into a failure
        assert found.exit_code(strict=False) == 0, found.reported
        assert found.exit_code(strict=True) == 1


def test_reference_under_churn_is_conformant_under_strict(churn_runs: dict[str | None, FaultRun]) -> None:
    reference = churn_runs[None]
    shown = [f"{v.requirement}: {v.verdict.value} {v.reason}" for v in reference.verdicts
             if v.verdict.value not in ("pass", "skip")]
    assert reference.exit_code(strict=True) == 0, shown


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FAULTS])
def test_fault_caught_quietly_is_caught_under_churn(name: str, fault_runs: dict[str | None, FaultRun],
                                                   churn_runs: dict[str | None, FaultRun]) -> None:
    """The churn column of docs/kill-matrix.md: a live collection hides no fault, except those
    kill_matrix.CHURN_EXCEPTIONS explains (and those must really be missed, or the entry goes)."""
    fault = FAULTS[name]
    if missed(fault.breaks, fault_runs[name].by_id, CATALOG):
        pytest.skip("not caught quietly either")
    lost = missed(fault.breaks, churn_runs[name].by_id, CATALOG)
    if name in kill_matrix.CHURN_EXCEPTIONS:
        assert lost, f"{name} is caught under churn now: remove it from CHURN_EXCEPTIONS"
    else:
        assert not lost, f"{name} under churn: declared but not reported: {lost}"


def test_the_reference_gets_no_diagnosis(fault_runs: dict[str | None, FaultRun]) -> None:
    assert fault_runs[None].diagnosis == []


def test_the_reference_under_churn_gets_no_diagnosis(churn_runs: dict[str | None, FaultRun]) -> None:
    assert churn_runs[None].diagnosis == []


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in FAULTS])
def test_top_diagnosis_names_the_fault(name: str, fault_runs: dict[str | None, FaultRun]) -> None:
    """The kill-matrix run of each fault, diagnosed: the most likely cause is the fault (or a
    declared equivalent), it shows its evidence, and nothing reported is left unexplained."""
    found = fault_runs[name]
    causes = [(c.fault, c.explains) for c in found.diagnosis]
    assert top_diagnosis_ok(name, found.diagnosis), f"{name}: diagnosed as {causes}"
    assert found.diagnosis[0].exchanges, f"{name}: the cause shows no exchange"
    assert not unexplained(found.verdicts, found.diagnosis), f"{name}: {causes} leave some unexplained"


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in FAULTS])
def test_causes_state_only_what_the_target_did(name: str, fault_runs: dict[str | None, FaultRun]) -> None:
    """Every value a cause states (its title and its `observed` sentence) appears in the exchanges
    it cites: a cause speaks of this target, not of the catalog's variant (issue 20)."""
    assert not fault_runs[name].unsupported, f"{name}: {fault_runs[name].unsupported}"


def test_every_requirement_is_declared_by_some_fault() -> None:
    declared = {r for f in FAULTS.values() for r in f.breaks}
    unexercised = [r.id for r in CATALOG.requirements if r.id not in declared]
    assert not [r for r in unexercised if CATALOG[r].level == "MUST"], unexercised
    assert not unexercised


def test_faults_are_well_formed() -> None:
    for fault in FAULTS.values():
        assert fault.breaks, fault.name
        assert len(set(fault.breaks)) == len(fault.breaks), fault.name
        assert all(r in CATALOG for r in fault.breaks), fault.name


def test_every_fault_is_diagnosable() -> None:
    """The diagnosis table is well formed: a title, and a signature naming known requirements,
    observations and faults."""
    for fault in FAULTS.values():
        if fault.parent is not None:
            continue  # a partial variant is diagnosed by its parent's row (test below)
        signature = fault.signature
        assert fault.title.strip() and fault.title.endswith("."), fault.name
        assert all(r in CATALOG for r in (*(signature.requires or ()), *signature.also)), fault.name
        assert not set(signature.also) & set(fault.breaks), fault.name
        assert all(o in OBSERVATIONS for o in (*signature.seen, *signature.unseen)), fault.name
        assert all(e in FAULTS and e != fault.name for e in signature.equivalent), fault.name
        assert all(other in FAULTS and other != fault.name and rules_out in OBSERVATIONS
                   for other, rules_out in signature.lookalikes), fault.name
        # A title speaks of the defect: what this target sent goes in `observed`, quoted from it.
        assert not [v for v in stated_values(fault.title) if v.startswith(('"', "{", "["))], fault.name


def test_partial_faults_are_their_parents_restricted() -> None:
    """Each partial variant names its parent, declares requirements of its own, and only the
    faults with a direction, filter, status, page-size or credentials dimension have one."""
    partials = [f for f in FAULTS.values() if f.parent is not None]
    assert partials
    for fault in partials:
        parent = FAULTS[fault.parent or ""]
        assert fault.name.startswith(f"{parent.name}:") and parent.parent is None, fault.name
        assert fault.breaks and set(fault.overrides) == set(parent.overrides), fault.name
        assert fault.title == parent.title and fault.signature == parent.signature, fault.name


def test_kill_matrix_doc_is_up_to_date() -> None:
    """docs/kill-matrix.md lists exactly the catalog's faults and declared breaks (timings aside)."""
    assert kill_matrix.DOC.exists(), f"run `{kill_matrix.COMMAND}`"
    written = declared_in(kill_matrix.DOC.read_text(encoding="utf-8"))
    current = {name: fault.breaks for name, fault in FAULTS.items()}
    stale = sorted(set(written.items()) ^ set(current.items()))
    assert not stale, f"docs/kill-matrix.md is stale ({stale[:5]}...): run `{kill_matrix.COMMAND}`"
