"""The diagnosis rules on hand-made findings: a cause is named only when its signature is
met and nothing contradicts it; a small set of causes covers the failures, the broadest
first; what no cause explains stays unexplained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.diagnosis import diagnose, unexplained
from conformance.exchange import Exchange
from conformance.reference import faults as catalog
from conformance.reference.faults import Fault, Signature
from conformance.verdicts import Evidence, RequirementVerdict, Verdict

UNKNOWN_CURSOR_OK = Exchange(0, "cursor:unknown", "/v1/checkout/sessions", [("starting_after", "cs_nobody")],
                             status=200, body='{"object": "list", "data": [], "has_more": false}')
UNKNOWN_CURSOR_404 = Exchange(0, "cursor:unknown", "/v1/checkout/sessions", [("starting_after", "cs_nobody")],
                              status=404, body='{"error": {"type": "x", "message": "y"}}')


@pytest.fixture(autouse=True)
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A small diagnosis table in place of the catalog."""
    faults = [
        Fault("broad", "", breaks=("A-001", "A-002"), title="Broad.", signature=Signature(also=("A-003",))),
        Fault("narrow", "", breaks=("A-002",), title="Narrow."),
        Fault("needs-evidence", "", breaks=("B-001",), title="Needs evidence.",
              signature=Signature(seen=("unknown-cursor-served",))),
        Fault("contradicted", "", breaks=("C-001",), title="Contradicted.",
              signature=Signature(unseen=("unknown-cursor-served",))),
    ]
    monkeypatch.setattr(catalog, "FAULTS", {f.name: f for f in faults})
    yield


def _verdicts(**verdicts: str) -> list[RequirementVerdict]:
    return [RequirementVerdict(rid.replace("_", "-"), "MUST", Verdict(v), "", [], [Evidence("m", exchanges=[0])])
            for rid, v in verdicts.items()]


def test_nothing_reported_means_no_diagnosis() -> None:
    assert diagnose(_verdicts(A_001="pass", B_001="skip"), [UNKNOWN_CURSOR_OK]) == []


def test_the_broadest_cause_comes_first_and_covers_the_narrow_one() -> None:
    verdicts = _verdicts(A_001="fail", A_002="fail", A_003="warn")
    causes = diagnose(verdicts, [UNKNOWN_CURSOR_404])
    assert [(c.fault, c.title, c.explains) for c in causes] == [("broad", "Broad.", ["A-001", "A-002", "A-003"])]
    assert causes[0].exchanges == [0]  # no observation named: the requirements' own evidence


def test_a_cause_needs_every_required_requirement() -> None:
    causes = diagnose(_verdicts(A_001="pass", A_002="fail"), [UNKNOWN_CURSOR_404])
    assert [c.fault for c in causes] == ["narrow"]


def test_a_cause_needs_its_observation() -> None:
    verdicts = _verdicts(B_001="fail")
    assert [c.fault for c in diagnose(verdicts, [UNKNOWN_CURSOR_OK])] == ["needs-evidence"]
    assert diagnose(verdicts, [UNKNOWN_CURSOR_404]) == []
    assert unexplained(verdicts, []) == ["B-001"]


def test_a_contradicted_cause_is_not_named() -> None:
    verdicts = _verdicts(C_001="fail", A_002="fail")
    assert [c.fault for c in diagnose(verdicts, [UNKNOWN_CURSOR_404])] == ["narrow", "contradicted"]
    causes = diagnose(verdicts, [UNKNOWN_CURSOR_OK])
    assert [c.fault for c in causes] == ["narrow"]
    assert unexplained(verdicts, causes) == ["C-001"]
