"""Pages wider than any the contract allows (issue 22): judged on their first ITEMS_JUDGED sessions,
with the true count in the evidence, and the checks that read no session judged first."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.catalog import default_catalog
from conformance.checks import identity
from conformance.checks.base import Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.history import History
from conformance.checks.registry import checks_for
from conformance.cli import main
from conformance.exchange import ITEMS_JUDGED, Exchange
from conformance.judge import pipeline
from conformance.profiles import PROFILES
from conformance.reports.exchanges import read_exchanges
from conformance.spec import default_spec
from conformance.verdicts import Finding

RUN = RunContext(PROFILES["quick"], None, True, 0)
SPEC = default_spec()


@pytest.fixture(scope="module")
def reference_transcript(tmp_path_factory: pytest.TempPathFactory) -> list[Exchange]:
    """What a quick run against the embedded reference server (a correct target) recorded."""
    report_dir = tmp_path_factory.mktemp("reference") / "reports"
    assert main(["run", "--quiet", "--profile", "quick", "--report-dir", str(report_dir)]) == 0
    return read_exchanges(report_dir / "exchanges.jsonl")


def _page(seq: int, items: int, query: list[tuple[str, str]], tag: str = "walk:100") -> Exchange:
    data = [{"id": f"cs_{n:06d}", "object": "checkout.session", "created": 2_000_000 - n} for n in range(items)]
    body = {"object": "list", "url": "/v1/checkout/sessions", "has_more": False, "data": data}
    return Exchange(seq=seq, tag=tag, path="/v1/checkout/sessions", query=query, status=200,
                    body=json.dumps(body), response_headers={"content-type": "application/json"})


def test_a_page_wider_than_judged_keeps_its_first_sessions_and_its_true_count() -> None:
    wide = _page(0, ITEMS_JUDGED * 5, [("limit", "10")])
    assert len(wide.json["data"]) == ITEMS_JUDGED
    assert wide.page_ids == [f"cs_{n:06d}" for n in range(ITEMS_JUDGED)]
    assert wide.items_listed == ITEMS_JUDGED * 5
    # A page the contract allows (at most 100 sessions) is read whole, and says nothing was cut.
    normal = _page(1, 100, [("limit", "100")])
    assert len(normal.page_ids or []) == 100 and normal.items_listed is None
    # Read again after its reading was dropped: the same.
    wide.forget_readings()
    assert wide.items_listed == ITEMS_JUDGED * 5 and len(wide.page_ids or []) == ITEMS_JUDGED


def test_evidence_on_a_wide_page_gives_the_true_count_and_names_the_cut() -> None:
    record = Record([_page(0, 4321, [("limit", "10")])])
    judged = pipeline.judge(record, RUN, SPEC, default_catalog(), only=("LIM-003",))
    [verdict] = judged
    assert verdict.verdict.value == "fail"
    assert "held 4321" in verdict.evidence[0].message and verdict.evidence[0].actual == "4321"
    assert f"judged on the first {ITEMS_JUDGED:,} sessions of a page listing more: exchange 0 lists 4,321" \
        in verdict.reason, verdict.reason


def test_a_walk_with_a_page_judged_in_part_is_not_complete() -> None:
    record = Record([_page(0, ITEMS_JUDGED + 1, [("limit", "100")])])
    collection = Collection.from_record(record)
    assert not collection.complete and len(collection) == ITEMS_JUDGED
    whole = Record([_page(0, 100, [("limit", "100")])])
    assert Collection.from_record(whole).complete


def test_the_item_free_checks_read_no_session(reference_transcript: list[Exchange],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Judged first so that a cut leaves them judged: they must not build the readings of every
    session (the collection, its history, the fingerprints), which is what a wide page makes slow."""

    def forbidden(*_args: Any) -> Any:
        raise AssertionError("an item-free check read the sessions")

    monkeypatch.setattr(History, "_read", classmethod(forbidden))
    monkeypatch.setattr(Collection, "_read", classmethod(forbidden))
    monkeypatch.setattr(identity, "_ids_by_fingerprint", forbidden)
    record = Record(reference_transcript)
    by_name = {c.name: c for c in checks_for(())}
    for name in pipeline.ITEM_FREE_CHECKS:
        outcomes = pipeline._judge_one(by_name[name], record, RUN, SPEC)
        assert outcomes and all(o.finding != Finding.ERROR for o in outcomes), (name, outcomes)
    # The guard works: a check that reads the collection is caught by it.
    outcomes = pipeline._judge_one(by_name["pagination.walks"], record, RUN, SPEC)
    assert any(o.finding == Finding.ERROR for o in outcomes)


def test_the_judging_order_changes_no_verdict(reference_transcript: list[Exchange],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = default_catalog()
    assert [c.name for c in pipeline.judging_order(checks_for(()))][:len(pipeline.ITEM_FREE_CHECKS)] == \
        [c.name for c in checks_for(()) if c.name in pipeline.ITEM_FREE_CHECKS]
    item_free_first = pipeline.judge(Record(reference_transcript), RUN, SPEC, catalog)
    for exchange in reference_transcript:
        exchange.forget_readings()
    monkeypatch.setattr(pipeline, "judging_order", list)  # the registry's order
    registry_order = pipeline.judge(Record(reference_transcript), RUN, SPEC, catalog)
    assert item_free_first == registry_order
    assert {v.verdict.value for v in item_free_first} <= {"pass", "skip"}, \
        [(v.requirement, v.verdict, v.reason) for v in item_free_first if v.verdict.value not in ("pass", "skip")]

