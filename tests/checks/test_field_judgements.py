"""Judgements added for faults from the field (issue 10), over hand-made exchanges: each
behaviour once on the correct side and once on the faulty side."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.checks import envelope, identity, integers, limits, next_cursor, portability, protocol
from conformance.checks.base import Record
from conformance.checks.common import not_a_page
from conformance.failure import DROPPED, Failure
from conformance.judge import premises
from conformance.verdicts import Finding
from tests.checks.test_judgements import RUN, SPEC, Transcript, findings, only, session

IDS = [f"cs_{n:02d}" for n in range(12)]


def _items(ids: list[str], status: str = "open") -> list[dict]:
    return [session(i, created=2000 - n, status=status) for n, i in enumerate(ids)]


def _next_cursor_pages(t: Transcript, cursor: str, by_cursor: list[str], by_id: list[str]) -> None:
    t.page(next_cursor.SOURCE, [("status", "open"), ("limit", "3")], _items(IDS[:3]), True, next_cursor=cursor)
    t.page(next_cursor.BY_CURSOR, [("status", "open"), ("starting_after", cursor), ("limit", "3")],
           _items(by_cursor), True)
    t.page(next_cursor.BY_ID, [("status", "open"), ("starting_after", IDS[2]), ("limit", "3")], _items(by_id), True)


def test_a_filtered_next_cursor_that_gives_the_same_page_holds() -> None:
    t = Transcript()
    _next_cursor_pages(t, "opaque-token", IDS[3:6], IDS[3:6])
    [outcome] = next_cursor.judge_next_cursor_everywhere(t.record, RUN, SPEC)
    assert (outcome.finding, outcome.exchanges) == (Finding.HELD, [0, 1, 2])


def test_a_filtered_next_cursor_that_repeats_sessions_is_a_violation() -> None:
    t = Transcript()
    _next_cursor_pages(t, IDS[0], IDS[1:4], IDS[3:6])
    [outcome] = next_cursor.judge_next_cursor_everywhere(t.record, RUN, SPEC)
    assert outcome.finding == Finding.VIOLATED
    assert "status=open page" in outcome.reason and outcome.evidence[0].actual == " ".join(IDS[1:4])


def test_no_next_cursor_on_filtered_pages_is_a_skip_not_a_pass() -> None:
    t = Transcript()
    t.page(next_cursor.SOURCE, [("status", "open"), ("limit", "3")], _items(IDS[:3]), True)
    assert only(next_cursor.judge_next_cursor_everywhere(t.record, RUN, SPEC), "ENV-005") == Finding.SKIPPED


def test_nothing_refused_leaves_the_refusal_shape_unjudged() -> None:
    t = Transcript()
    for value in limits.OUT_OF_RANGE:
        t.page("limit:range", [("limit", value)], _items(IDS[:3]), False)
    outcomes = list(limits.judge_rejected(t.record, RUN, SPEC))
    assert only(outcomes, "LIM-005") == Finding.VIOLATED
    assert only(outcomes, "LIM-007") == Finding.SKIPPED


def test_no_next_cursor_anywhere_leaves_env_004_unjudged() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], _items(IDS[:3]), False)
    assert only(envelope.judge_envelope(t.record, RUN, SPEC), "ENV-004") == Finding.SKIPPED


def test_a_page_that_is_not_a_list_is_described_by_its_defect() -> None:
    t = Transcript()
    page = t.add("limit:accept", [("limit", "1")], body={"object": "list", "data": {}, "has_more": False})
    assert not_a_page(page) == "status 200, but `data` is a JSON object, not an array"
    outcomes = list(limits.judge_accepted(t.record, RUN, SPEC))
    [lim002] = findings(outcomes, "LIM-002")
    assert lim002.evidence[0].actual == "status 200, but `data` is a JSON object, not an array"


def test_a_list_rule_on_pages_that_are_not_lists_is_inconclusive() -> None:
    t = Transcript()
    t.add("limit:accept", [("limit", "1")], body={"object": "list", "data": {}, "has_more": False})
    t.add("auth:none", [("limit", "3")], status=401, body={"error": {"type": "x", "message": "y"}})
    outcomes = premises.apply_premises(limits.judge_accepted(t.record, RUN, SPEC), t.record)
    [lim002] = findings(outcomes, "LIM-002")
    assert lim002.finding == Finding.INCONCLUSIVE and "`data` is a JSON object" in lim002.reason


def test_a_list_rule_on_another_operations_pages_that_are_not_lists_is_inconclusive() -> None:
    """Judged per operation, a record holds that operation's exchanges under their transcript
    numbers (docs/family.md), beyond the record's length: the premise still reads them."""
    t = Transcript()
    t.add("limit:accept", [("limit", "1")], body={"object": "list", "data": {}, "has_more": False})
    t.add("auth:none", [("limit", "3")], status=401, body={"error": {"type": "x", "message": "y"}})
    record = Record([dataclasses.replace(e, seq=e.seq + 300) for e in t.exchanges])
    outcomes = premises.apply_premises(limits.judge_accepted(record, RUN, SPEC), record)
    [lim002] = findings(outcomes, "LIM-002")
    assert lim002.finding == Finding.INCONCLUSIVE and lim002.exchanges == [300]
    assert premises.exchange_at(record, 301) is record.exchanges[1]
    assert premises.exchange_at(record, -1) is None and premises.exchange_at(record, 400) is None


def test_a_target_that_never_answers_like_the_api_passes_nothing() -> None:
    t = Transcript()
    t.add("version:unknown", [("limit", "5")], body={"name": "static-site", "version": 3})
    judged = list(protocol.judge_no_server_errors(t.record, RUN, SPEC))
    assert only(judged, "ERR-002") == Finding.HELD
    assert only(premises.apply_premises(judged, t.record), "ERR-002") == Finding.INCONCLUSIVE


def test_lenient_status_values_refused_hold_and_accepted_are_violations() -> None:
    t = Transcript()
    for value in portability.lenient_spellings("open"):
        t.add(portability.TAG, [("status", value)], status=400, body={"error": {"type": "x", "message": "y"}})
    assert only(portability.judge_lenient_status(t.record, RUN, SPEC), "FLT-006") == Finding.HELD
    t = Transcript()
    t.page(portability.TAG, [("status", "OPEN")], _items(IDS[:3]), False)
    assert only(portability.judge_lenient_status(t.record, RUN, SPEC), "FLT-006") == Finding.VIOLATED


def test_integers_written_with_a_fraction_are_a_type_violation() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], _items(IDS[:2]), False)
    assert only(integers.judge_written_integers(t.record, RUN, SPEC), "OBJ-005") == Finding.HELD
    t = Transcript()
    t.add("walk:100", [("limit", "100")], body=None)
    t.exchanges[0].body = ('{"object": "list", "has_more": false, "url": "/v1/checkout/sessions", "data": '
                           '[{"id": "cs_1", "object": "checkout.session", "status": "open", "created": 1.7639e9, '
                           '"expires_at": 1763900010, "livemode": false, "mode": "payment", '
                           '"payment_status": "unpaid"}]}')
    [outcome] = integers.judge_written_integers(t.record, RUN, SPEC)
    assert outcome.finding == Finding.VIOLATED
    assert (outcome.evidence[0].expected, outcome.evidence[0].actual) == ("a JSON integer (1763900000)",
                                                                          "1763900000.0")


def test_ids_that_change_per_response_are_a_violation_look_alikes_are_not() -> None:
    t = Transcript()
    for salt in ("a", "b", "c"):
        t.page("walk:100", [("limit", "100")], [session(f"cs_1{salt}", created=5), session(f"cs_2{salt}", created=4)],
               False)
    [outcome] = identity.judge_stable_ids(t.record, RUN, SPEC)
    assert outcome.finding == Finding.VIOLATED and "under 3 ids" in outcome.reason
    t = Transcript()
    twins = [session("cs_a", created=5), session("cs_b", created=5)]  # same fields but the id
    for _ in range(3):
        t.page("walk:100", [("limit", "100")], [*twins, session("cs_c", created=3)], False)
    [outcome] = identity.judge_stable_ids(t.record, RUN, SPEC)
    assert (outcome.finding, outcome.reason) == (Finding.HELD, "1 session listed in several responses kept their ids")


def test_a_connection_dropped_twice_is_a_server_error() -> None:
    t = Transcript()
    t.add("unknown-param:baseline", [("limit", "3")], body={"object": "list", "data": [], "has_more": False})
    t.add("unknown-param", [("limit", "3"), ("expand[]", "x")], error=f"{DROPPED}, twice (Remote end closed)",
          failure=Failure.DROPPED)
    [err002] = protocol.judge_no_server_errors(t.record, RUN, SPEC)
    assert err002.finding == Finding.VIOLATED and "closed the connection without a response" in err002.reason
    [err003] = protocol.judge_unknown_params(t.record, RUN, SPEC)
    assert err003.finding == Finding.VIOLATED


def test_a_connection_that_failed_otherwise_stays_unanswered() -> None:
    t = Transcript()
    t.add("unknown-param:baseline", [("limit", "3")], body={"object": "list", "data": [], "has_more": False})
    t.add("unknown-param", [("limit", "3"), ("expand[]", "x")], error="no response within 10 s")
    assert only(protocol.judge_unknown_params(t.record, RUN, SPEC), "ERR-003") == Finding.INCONCLUSIVE


@settings(max_examples=300, deadline=None)
@given(value=st.integers(-(10**12), 10**12), spelling=st.sampled_from(["{}.0", "{}.000", "{}e0", "{}E+0", "{}.0e0"]),
       separator=st.sampled_from([":", ": ", ":\n  ", ":\t"]), where=st.sampled_from(["created", "amount_total"]))
def test_every_spelling_of_an_integral_float_is_found(value: int, spelling: str, separator: str, where: str) -> None:
    # However the number is written and spaced, the quick pass over the body must not skip it.
    t = Transcript()
    t.add("walk:100", [("limit", "100")], body=None)
    item = {"id": "cs_1e5.2e3", "object": "checkout.session", "status": "open", "created": 1763900000,
            "expires_at": 1763900010, "livemode": False, "mode": "payment", "payment_status": "unpaid",
            "amount_total": 100}
    text = json.dumps({"object": "list", "has_more": False, "url": "/v1/checkout/sessions", "data": [item]})
    t.exchanges[0].body = text.replace(f'"{where}": {item[where]}', f'"{where}"{separator}{spelling.format(value)}')
    [outcome] = integers.judge_written_integers(t.record, RUN, SPEC)
    assert outcome.finding == Finding.VIOLATED, t.exchanges[0].body


def test_a_session_created_between_the_two_filtered_pages_is_no_violation() -> None:
    """A live account (the reference server under --churn): the reference walk lists the newest
    second (2000) whole and one older session; the status=open next_cursor page then gives
    cs_05 cs_04 cs_03, and the starting_after page, asked a moment later, lists cs_05 cs_new
    cs_04a cs_04, cs_04a being created meanwhile in that same second (not on the head page).
    Out: ENV-005 held, as the unfiltered walk's comparison (envelope.py) judges such pages."""
    newest = [session(f"cs_{n:02d}", created=2000) for n in range(8, 2, -1)]  # cs_08 .. cs_03
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [*newest, session("cs_00", created=1999)], False)
    t.page(next_cursor.SOURCE, [("status", "open"), ("limit", "3")], newest[:3], True, next_cursor="opaque")
    t.page(next_cursor.BY_CURSOR, [("status", "open"), ("starting_after", "opaque"), ("limit", "3")],
           newest[3:6], True)
    t.page(next_cursor.BY_ID, [("status", "open"), ("starting_after", "cs_06"), ("limit", "3")],
           [newest[3], session("cs_04a", created=2000), newest[4]], True)
    assert only(next_cursor.judge_next_cursor_everywhere(t.record, RUN, SPEC), "ENV-005") == Finding.HELD
