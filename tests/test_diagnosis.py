"""The diagnosis rules on hand-made findings: a cause is named only when its signature is
met and nothing contradicts it; a small set of causes covers the failures, the broadest
first; what no cause explains stays unexplained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.exchange import Exchange
from conformance.judge.diagnosis import diagnose, unexplained
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


def _exchange(seq: int, tag: str, query: list[tuple[str, str]], status: int, body: object) -> Exchange:
    import json

    return Exchange(seq, tag, "/v1/checkout/sessions", query, status=status,
                    body=body if isinstance(body, str) else json.dumps(body))


def _hostile_transcript() -> list[Exchange]:
    """A sound reference walk, then every other probe answered with odd shapes."""
    items = [{"id": f"cs_{n}", "created": 100 - n // 2, "status": "open"} for n in range(6)]
    odd_items = [1, "x", None, {"id": 5}, {"id": "cs_1", "created": "soon", "status": ["open"],
                                           "livemode": "no", "metadata": "[]", "total_details": []}]
    bodies: list[object] = [
        {"object": "list", "data": odd_items, "has_more": "true", "next_cursor": {"a": 1}},
        {"object": "list", "data": [{"id": "cs_1"}, {"id": "cs_1", "created": None}], "has_more": True,
         "next_cursor": 7, "url": 5},
        [], "not json", {"error": "nope"}, {"data": "cs_1 cs_2"}, {"data": [], "has_more": None},
    ]
    exchanges = [_exchange(0, "walk:100", [("limit", "100")], 200,
                           {"object": "list", "data": items, "has_more": False, "url": "/v1/checkout/sessions"})]
    tags = [("walk:7", [("limit", "7"), ("starting_after", "cs_1")]), ("walk:1", [("limit", "x")]),
            ("cursor:after", [("limit", "5"), ("starting_after", "cs_2")]),
            ("cursor:before", [("limit", "5"), ("ending_before", "cs_4")]), ("cursor:unknown", []),
            ("cursor:both", []), ("limit:range", [("limit", "0")]), ("limit:type", [("limit", "1.5")]),
            ("filter:open", [("limit", "3"), ("status", "open")]), ("filter:invalid", [("status", "x")]),
            ("auth:none", []), ("version:unknown", []), ("walk:default", [])]
    for tag, query in tags:
        for status in (200, 401, 404, 500):
            for body in bodies:
                exchanges.append(_exchange(len(exchanges), tag, query, status, body))
    return exchanges


def test_every_observation_reads_a_hostile_transcript_without_crashing() -> None:
    from conformance.checks.base import Record
    from conformance.judge.observations import OBSERVATIONS
    from conformance.spec import default_spec

    exchanges = _hostile_transcript()
    for name, observation in OBSERVATIONS.items():
        seqs = observation.read(Record(exchanges), default_spec())
        assert isinstance(seqs, list) and all(0 <= s < len(exchanges) for s in seqs), name


def test_the_real_catalog_diagnoses_a_hostile_transcript_without_crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the catalog's own table, not the fixture's
    verdicts = [RequirementVerdict(r, "MUST", Verdict.FAIL, "", [], [])
                for r in ("PAG-001", "PAG-004", "PAG-005", "FLT-001", "OBJ-005", "ENV-003", "AUTH-002")]
    causes = diagnose(verdicts, _hostile_transcript())
    assert all(c.explains and c.title for c in causes)


def test_an_equivalent_fault_is_an_acceptable_top_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.judge.diagnosis import Cause
    from conformance.selftest.kill_matrix import top_diagnosis_ok

    twin = Fault("twin", "", breaks=("A-002",), title="Twin.", signature=Signature(equivalent=("narrow",)))
    monkeypatch.setitem(catalog.FAULTS, "twin", twin)
    assert top_diagnosis_ok("twin", [Cause("narrow", "Narrow.", ["A-002"])])
    assert top_diagnosis_ok("twin", [Cause("twin", "Twin.", ["A-002"])])
    assert not top_diagnosis_ok("twin", [Cause("broad", "Broad.", ["A-002"])])
    assert not top_diagnosis_ok("twin", [])
