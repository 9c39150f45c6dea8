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


# -- issue 20: defining evidence, look-alikes, order, observation-level causes ------------------------
def _levelled(**verdicts: str) -> list[RequirementVerdict]:
    """Like _verdicts, with the level a warn implies (SHOULD) and a fail (MUST)."""
    return [RequirementVerdict(rid.replace("_", "-"), "SHOULD" if v == "warn" else "MUST", Verdict(v), "", [],
                               [Evidence("m", exchanges=[0])]) for rid, v in verdicts.items()]


def test_a_predicted_symptom_not_shown_lowers_the_rank_it_does_not_veto(monkeypatch: pytest.MonkeyPatch) -> None:
    faults = {f.name: f for f in [
        Fault("partial-match", "", breaks=("B-001", "B-002", "B-003"), title="Partial.",
              signature=Signature(seen=("unknown-cursor-served",))),
        Fault("no-evidence", "", breaks=("B-001", "B-002", "B-003"), title="No evidence."),
    ]}
    monkeypatch.setattr(catalog, "FAULTS", faults)
    verdicts = _verdicts(B_001="fail")  # B-002 and B-003 predicted, not reported
    assert [(c.fault, c.explains) for c in diagnose(verdicts, [UNKNOWN_CURSOR_OK])] == [("partial-match", ["B-001"])]
    # Without its defining evidence the same partial match is not named at all...
    assert [c.fault for c in diagnose(verdicts, [UNKNOWN_CURSOR_404])] == []
    # ...and a fault with no observation needs every requirement it predicts.
    assert [c.fault for c in diagnose(_verdicts(B_001="fail", B_002="fail", B_003="fail"), [UNKNOWN_CURSOR_404])] \
        == ["no-evidence"]


def test_a_full_match_ranks_above_a_partial_one_with_the_same_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    faults = {f.name: f for f in [
        Fault("wider", "", breaks=("B-001", "B-002"), title="Wider.",
              signature=Signature(seen=("unknown-cursor-served",))),
        Fault("exact", "", breaks=("B-001",), title="Exact.",
              signature=Signature(seen=("unknown-cursor-served",))),
    ]}
    monkeypatch.setattr(catalog, "FAULTS", faults)
    assert [c.fault for c in diagnose(_verdicts(B_001="fail"), [UNKNOWN_CURSOR_OK])] == ["exact"]
    assert [c.fault for c in diagnose(_verdicts(B_001="fail", B_002="fail"), [UNKNOWN_CURSOR_OK])] == ["wider"]


def test_look_alikes_are_named_in_one_line_unless_an_observation_tells_them_apart(
        monkeypatch: pytest.MonkeyPatch) -> None:
    faults = {f.name: f for f in [
        Fault("unbounded", "", breaks=("L-001",), title="Unbounded.",
              signature=Signature(seen=("both-cursors-served",), lookalikes=(("clamped", "unknown-cursor-served"),))),
        Fault("clamped", "", breaks=("L-001",), title="Clamped.",
              signature=Signature(seen=("limit-zero-served-empty",))),
    ]}
    monkeypatch.setattr(catalog, "FAULTS", faults)
    both = Exchange(1, "cursor:both", "/v1/checkout/sessions", [("starting_after", "a"), ("ending_before", "b")],
                    status=200, body='{"object": "list", "data": [], "has_more": false}')
    causes = diagnose(_verdicts(L_001="fail"), [UNKNOWN_CURSOR_404, both])
    assert [(c.fault, c.alternatives) for c in causes] == [("unbounded", ["clamped"])]
    assert causes[0].to_dict()["alternatives"] == ["clamped"]
    told_apart = diagnose(_verdicts(L_001="fail"), [UNKNOWN_CURSOR_OK, both])
    assert [(c.fault, c.alternatives) for c in told_apart] == [("unbounded", [])]
    assert "alternatives" not in told_apart[0].to_dict()


def test_causes_of_failed_musts_come_before_should_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    faults = {f.name: f for f in [
        Fault("wide-should", "", breaks=("S-001", "S-002", "S-003"), title="Should."),
        Fault("narrow-must", "", breaks=("M-001",), title="Must."),
    ]}
    monkeypatch.setattr(catalog, "FAULTS", faults)
    causes = diagnose(_levelled(S_001="warn", S_002="warn", S_003="warn", M_001="fail"), [UNKNOWN_CURSOR_404])
    assert [c.fault for c in causes] == ["narrow-must", "wide-should"]


def test_an_unmatched_failure_gets_an_observation_level_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    contradicted = Fault("contradicted-one", "", breaks=("D-001",), title="Contradicted.",
                         signature=Signature(seen=("unknown-cursor-served",), unseen=("unknown-cursor-served",)))
    monkeypatch.setattr(catalog, "FAULTS", {contradicted.name: contradicted})
    causes = diagnose(_verdicts(D_001="fail"), [UNKNOWN_CURSOR_OK])
    assert [(c.fault, c.explains, c.exchanges) for c in causes] == [("observed:unknown-cursor-served", ["D-001"], [0])]
    assert causes[0].title.startswith("No catalog fault fits: A cursor no session has answered 200")
    assert unexplained(_verdicts(D_001="fail"), causes) == []
    assert diagnose(_verdicts(D_001="fail"), [UNKNOWN_CURSOR_404]) == []  # nothing holds: nothing said


def test_an_observation_level_cause_quotes_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's first server: the page after `starting_after=X` starts with X, said with X."""
    monkeypatch.setattr(catalog, "FAULTS", {})
    walk = _exchange(0, "walk:100", [("limit", "100")], 200, {"object": "list", "has_more": False, "data": [
        {"id": f"cs_{n}", "created": 100 - n, "status": "open"} for n in range(4)]})
    first = _exchange(1, "walk:7", [("limit", "2")], 200, {"object": "list", "has_more": True, "data": [
        {"id": "cs_0", "created": 100, "status": "open"}, {"id": "cs_1", "created": 99, "status": "open"}]})
    after = _exchange(2, "walk:7", [("limit", "2"), ("starting_after", "cs_1")], 200, {
        "object": "list", "has_more": True, "data": [{"id": "cs_1", "created": 99, "status": "open"},
                                                     {"id": "cs_2", "created": 98, "status": "open"}]})
    from conformance.judge.observations import EXPLAINS

    monkeypatch.setitem(EXPLAINS, "page-repeats-cursor", ("PAG-004",))
    causes = diagnose(_verdicts(PAG_004="fail"), [walk, first, after])
    assert [c.fault for c in causes] == ["observed:page-repeats-cursor"]
    assert causes[0].observed == "The page after `starting_after=cs_1` (#2) starts with `cs_1` itself."
    assert causes[0].exchanges == [1, 2]


def test_stated_values_must_come_from_the_cited_exchanges() -> None:
    from conformance.judge.diagnosis import Cause, unsupported_values

    page = _exchange(3, "walk:7", [("starting_after", "cs_1")], 200,
                     {"object": "list", "data": [{"id": "cs_1", "livemode": 0}], "has_more": False})
    said = Cause("x", "A title.", ["A-001"], [3], observed="`livemode` is `0` after `starting_after=cs_1`.")
    assert unsupported_values(said, [page]) == []
    wrong = Cause("x", "A title.", ["A-001"], [3], observed='`livemode` is `"false"`.')
    assert unsupported_values(wrong, [page]) == ['"false"']
    uncited = Cause("x", "A title.", ["A-001"], [], observed="`livemode` is `0`.")
    assert unsupported_values(uncited, [page]) == ["0"]


def test_every_description_of_a_hostile_transcript_quotes_only_what_it_cites() -> None:
    """Each describer, on odd shapes: a sentence (or none), never a crash, and every value it
    states shown by the exchanges the observation cited."""
    from conformance.checks.base import Record
    from conformance.judge.diagnosis import Cause, unsupported_values
    from conformance.judge.observations import DESCRIBERS, OBSERVATIONS, describe
    from conformance.spec import default_spec

    exchanges = _hostile_transcript()
    described = 0
    for name in DESCRIBERS:
        record = Record(exchanges)
        seqs = OBSERVATIONS[name].read(record, default_spec())
        text = describe(name, record, seqs)
        assert isinstance(text, str), name
        if text:
            described += 1
            assert not unsupported_values(Cause(name, "", ["A-001"], seqs, observed=text), exchanges), (name, text)
    assert described  # the transcript is odd enough to be described, not so odd that nothing is


def test_a_partial_fault_is_diagnosed_as_its_parent_or_a_look_alike_named_with_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the catalog's own table, partial variants included
    from conformance.judge.diagnosis import Cause
    from conformance.selftest.kill_matrix import _top_diagnosis, top_diagnosis_ok

    parent = [Cause("cursor-inclusive", "T.", ["PAG-004"])]
    assert top_diagnosis_ok("cursor-inclusive:forward", parent)
    assert _top_diagnosis("cursor-inclusive:forward", parent) == "its parent"
    assert not top_diagnosis_ok("cursor-inclusive:forward", [Cause("cursor-skips-next", "T.", ["PAG-004"])])
    both = [Cause("limit-no-upper-bound", "T.", ["LIM-005"], alternatives=["limit-clamped"])]
    assert top_diagnosis_ok("limit-clamped:above-100", both) and top_diagnosis_ok("limit-clamped", both)
    assert "not told apart" in _top_diagnosis("limit-clamped:above-100", both)
    assert not top_diagnosis_ok("limit-zero-accepted", both)
