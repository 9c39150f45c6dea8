"""Judgements over hand-made exchanges: each case is a server behaviour, correct or faulty."""

from __future__ import annotations

import json
from typing import Any

from conformance.checks import auth, envelope, filtering, objects, pagination
from conformance.checks.base import Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.generated import Kind, classify
from conformance.checks.schema_validation import validation_errors
from conformance.exchange import Exchange
from conformance.failure import Failure
from conformance.profiles import PROFILES
from conformance.spec import default_spec
from conformance.verdicts import Finding, Outcome

RUN = RunContext(PROFILES["standard"], None, True, 0)
SPEC = default_spec()


class Transcript:
    """Builds a record exchange by exchange, numbering them as the client would."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def add(self, tag: str, query: list[tuple[str, str]], status: int = 200, body: Any = None,
            error: str | None = None, failure: Failure | None = None) -> Exchange:
        """`error`: the words of a failed request; `failure`: its kind, which the judge reads."""
        text = json.dumps(body) if body is not None else ""
        exchange = Exchange(seq=len(self.exchanges), tag=tag, path="/v1/checkout/sessions", query=query,
                            status=None if error else status, body=text, error=error, failure=failure,
                            response_headers={"content-type": "application/json"})
        self.exchanges.append(exchange)
        return exchange

    def page(self, tag: str, query: list[tuple[str, str]], items: list[dict[str, Any]], has_more: bool,
             **extra: Any) -> Exchange:
        body = {"object": "list", "data": items, "has_more": has_more, "url": "/v1/checkout/sessions", **extra}
        return self.add(tag, query, body=body)

    @property
    def record(self) -> Record:
        return Record(self.exchanges)


def session(item_id: str, created: int = 1000, status: str = "open", **fields: Any) -> dict[str, Any]:
    return {"id": item_id, "object": "checkout.session", "status": status, "created": created,
            "expires_at": created + 10, "livemode": False, "mode": "payment", "payment_status": "unpaid", **fields}


def findings(outcomes: Any, requirement: str) -> list[Outcome]:
    return [o for o in outcomes if o.requirement == requirement]


def only(outcomes: Any, requirement: str) -> Finding:
    [outcome] = findings(outcomes, requirement)
    return outcome.finding


def test_numeric_ids_inside_other_words_are_no_leak() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("1"), session("2", 999)], False)
    t.add("cursor:unknown", [("starting_after", "cs_conformance_unknown_0a5d2f34")], 404,
          {"error": {"type": "not_found", "message": "No such session 'cs_conformance_unknown_0a5d2f34' (2026)"}})
    assert only(auth.judge_no_leak(t.record, RUN, SPEC), "AUTH-005") == Finding.HELD


def test_ids_with_other_characters_are_found_as_whole_tokens_only() -> None:
    # A target chooses its ids: ones with a dot or a colon are not single word tokens.
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("cs.1"), session("cs:2", 999), session("x-3", 998)], False)
    t.add("cursor:unknown", [("starting_after", "zz")], 404,
          {"error": {"type": "not_found", "message": "no zz; see acs.1 and cs:20 and x-3b"}})
    assert only(auth.judge_no_leak(t.record, RUN, SPEC), "AUTH-005") == Finding.HELD
    t.add("cursor:unknown", [("starting_after", "zz")], 404,
          {"error": {"type": "not_found", "message": "no zz; did you mean (cs:2)?"}})
    assert only(auth.judge_no_leak(t.record, RUN, SPEC), "AUTH-005") == Finding.VIOLATED


def test_an_error_naming_another_session_is_a_leak() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("1"), session("2", 999)], False)
    t.add("cursor:unknown", [("starting_after", "9")], 400,
          {"error": {"type": "invalid_request_error", "message": "No such session 9; did you mean 2?"}})
    assert only(auth.judge_no_leak(t.record, RUN, SPEC), "AUTH-005") == Finding.VIOLATED


def test_a_status_with_one_session_that_the_filter_drops_is_caught() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("cs_a", 3, "open"), session("cs_b", 2, "complete"),
                                            session("cs_c", 1, "complete")], False)
    t.page("filter:open", [("limit", "3"), ("status", "open")], [], False)
    t.page("filter:complete", [("limit", "3"), ("status", "complete")],
           [session("cs_b", 2, "complete"), session("cs_c", 1, "complete")], False)
    t.page("filter:expired", [("limit", "3"), ("status", "expired")], [], False)
    assert only(filtering.judge_filter(t.record, RUN, SPEC), "FLT-002") == Finding.VIOLATED


def test_unique_ids_are_not_passed_on_an_unanswered_walk() -> None:
    t = Transcript()
    t.page("preflight", [], [session("cs_a")], False)
    t.add("walk:100", [("limit", "100")], error="no response within 1 s")
    assert only(objects.judge_objects(t.record, RUN, SPEC), "OBJ-004") == Finding.INCONCLUSIVE


def test_odd_values_are_findings_not_crashes() -> None:
    t = Transcript()
    odd = [session("cs_a", total_details="lots", amount_total=5, amount_subtotal=5),
           {**session("cs_b"), "created": {"at": 1}}, {**session("cs_c"), "created": [1]}]
    t.page("walk:100", [("limit", "100")], odd, False)
    outcomes = list(objects.judge_objects(t.record, RUN, SPEC)) + list(pagination.judge_walks(t.record, RUN, SPEC))
    assert Finding.ERROR not in {o.finding for o in outcomes}
    assert Collection.from_record(t.record).tie_groups() == []


def test_an_empty_backward_page_that_says_has_more_is_no_backward_walk() -> None:
    t = Transcript()
    items = [session(f"cs_{k}", 100 - k) for k in range(5)]
    t.page("walk:100", [("limit", "100")], items, False)
    for tag in ("walk:7", "walk:default"):
        t.page(tag, [("limit", "7")], items, False)
    for k, item in enumerate(items):
        query = [("limit", "1")] + ([("starting_after", items[k - 1]["id"])] if k else [])
        t.page("walk:1", query, [item], k < 4)
    t.page("walk:back:7", [("limit", "7"), ("ending_before", "cs_4")], [], True)
    # The backward walk from cs_4 must give the four sessions before it: nothing is a violation.
    assert only(pagination.judge_walks(t.record, RUN, SPEC), "PAG-006") == Finding.VIOLATED


def test_a_next_cursor_that_loops_is_endless_pagination() -> None:
    t = Transcript()
    a, b = [session("cs_a", 3), session("cs_b", 2)], [session("cs_c", 1)]
    t.page("walk:100", [("limit", "100")], a + b, False)
    t.page("walk:next:7", [("limit", "7")], a, True, next_cursor="tok1")
    t.page("walk:next:7", [("limit", "7"), ("starting_after", "tok1")], b, True, next_cursor="tok1")
    assert only(pagination.judge_walks(t.record, RUN, SPEC), "PAG-009") == Finding.VIOLATED


def test_next_cursor_pages_that_are_not_lists_do_not_agree() -> None:
    t = Transcript()
    t.page("walk:next:7", [("limit", "7")], [session("cs_a")], True, next_cursor="tok")
    t.add("walk:next:7", [("limit", "7"), ("starting_after", "tok")], 500, {"oops": 1})
    t.page("walk:7", [("limit", "7")], [session("cs_a")], True)
    t.add("walk:7", [("limit", "7"), ("starting_after", "cs_a")], 500, {"oops": 1})
    assert only(envelope.judge_next_cursor(t.record, RUN, SPEC), "ENV-005") == Finding.VIOLATED


def test_an_unanswered_first_next_cursor_page_is_inconclusive_not_skipped() -> None:
    t = Transcript()
    t.add("walk:next:7", [("limit", "7")], error="connection failed (reset)")
    assert only(envelope.judge_next_cursor(t.record, RUN, SPEC), "ENV-005") == Finding.INCONCLUSIVE


def test_an_empty_status_may_be_read_as_no_filter() -> None:
    t = Transcript()
    exchange = t.add("generated:positive", [("status", "")], 200, {})
    assert classify(exchange, None, SPEC.enum_of("status")).kind == Kind.UNJUDGED


def test_metadata_values_of_any_type_are_valid() -> None:
    body = {"object": "list", "has_more": False, "url": "/v1/checkout/sessions",
            "data": [session("cs_a", metadata={"order_no": 42, "tags": ["a"]})]}
    assert validation_errors(SPEC, body) == []


def test_the_full_last_filtered_page_asked_after_the_walk_must_say_has_more_false() -> None:
    """Four open sessions and limit 3: the walk's last page is not full, so a server computing
    has_more as `len(page) == limit` passes the walk; the tail page (limit=2 after the third-last)
    is full and meets it (FLT-003)."""
    opened = [session(f"cs_o{k}", 100 - k, "open") for k in range(4)]
    for has_more, finding in ((False, Finding.HELD), (True, Finding.VIOLATED)):
        t = Transcript()
        t.page("walk:100", [("limit", "100")], opened, False)
        t.page("filter:open", [("limit", "3"), ("status", "open")], opened[:3], True)
        t.page("filter:open", [("limit", "3"), ("status", "open"), ("starting_after", "cs_o2")], opened[3:], False)
        t.page(f"{filtering.TAIL}:open", [("limit", "2"), ("status", "open"), ("starting_after", "cs_o1")],
               opened[2:], has_more)
        assert only(filtering.judge_filter(t.record, RUN, SPEC), "FLT-003") == finding
