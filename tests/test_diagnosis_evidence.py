"""The real catalog on hand-made transcripts (issue 20): a cause is named by its defining
evidence, never on a look-alike's, and never when that evidence is absent.

Each case is the same failures with and without the observation that defines the fault, so
every assertion can fail both ways."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.exchange import Exchange
from conformance.judge.diagnosis import diagnose, unsupported_values
from conformance.verdicts import Evidence, RequirementVerdict, Verdict

PATH = "/v1/checkout/sessions"


def _exchange(seq: int, tag: str, query: list[tuple[str, str]], status: int, body: Any) -> Exchange:
    return Exchange(seq, tag, PATH, query, status=status, body=json.dumps(body))


def _page(items: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "url": PATH, "has_more": has_more, "data": items}


def _session(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"cs_{n:04d}", "object": "checkout.session", "created": 1_000_000 - n, "status": "open",
            "currency": "usd", "payment_status": "unpaid", "livemode": False, **fields}


def _walk(count: int, **fields: Any) -> list[Exchange]:
    """The reference walk (`walk:100`) over ``count`` sessions, in pages of 100."""
    items = [_session(n, **fields) for n in range(count)]
    pages = [items[start:start + 100] for start in range(0, count, 100)]
    return [_exchange(i, "walk:100", [("limit", "100")] + ([("starting_after", pages[i - 1][-1]["id"])] if i else []),
                      200, _page(page, has_more=i < len(pages) - 1)) for i, page in enumerate(pages)]


def _failed(*requirements: str) -> list[RequirementVerdict]:
    return [RequirementVerdict(r, "MUST", Verdict.FAIL, "", [], [Evidence("m", exchanges=[0])]) for r in requirements]


def _named(verdicts: list[RequirementVerdict], exchanges: list[Exchange]) -> list[tuple[str, list[str]]]:
    causes = diagnose(verdicts, exchanges)
    for cause in causes:
        assert not unsupported_values(cause, exchanges), cause
    return [(c.fault, c.alternatives) for c in causes]


def test_a_value_format_fault_is_never_named_on_a_placeholder() -> None:
    """Prism serves the literal "string" for every string field: not upper-case currency codes,
    not hyphenated payment statuses."""
    verdicts = _failed("OBJ-009", "OBJ-007", "OBJ-008")
    placeholder = _walk(3, currency="string", payment_status="string", customer="string")
    assert [f for f, _ in _named(verdicts, placeholder)] == []
    real = _walk(3, currency="USD", payment_status="no-payment-required", customer="8f3kQ2xLm9")
    assert sorted(f for f, _ in _named(verdicts, real)) == ["currency-uppercase", "customer-unprefixed",
                                                             "payment-status-hyphenated"]
    observed = {c.fault: c.observed for c in diagnose(verdicts, real)}
    assert observed["currency-uppercase"] == '`currency` is `"USD"` in #0.'


def test_a_filter_crash_is_named_only_on_a_filtered_page() -> None:
    verdicts = _failed("SCH-002", "ERR-002")
    walk = _walk(3)
    unfiltered = _exchange(1, "limit:range", [("limit", "50")], 500, {"error": {"type": "api_error", "message": "x"}})
    assert "filter-large-limit-500" not in [f for f, _ in _named(verdicts, [*walk, unfiltered])]
    filtered = _exchange(1, "generated:plain", [("status", "open"), ("limit", "50")], 500,
                         {"error": {"type": "api_error", "message": "x"}})
    assert [f for f, _ in _named(verdicts, [*walk, filtered])] == ["filter-large-limit-500"]


@pytest.mark.parametrize(("status", "failed", "expected"), [
    (200, ("AUTH-001",), "no-auth"),  # no credentials served, a wrong key refused: no-auth, one way only
    (403, ("AUTH-001",), "auth-missing-403"),
])
def test_no_credentials_served_and_refused_with_403_are_told_apart(status: int, failed: tuple[str, ...],
                                                                   expected: str) -> None:
    answer = _page([_session(0)]) if status == 200 else {"error": {"type": "forbidden", "message": "no"}}
    exchanges = [*_walk(3), _exchange(1, "auth:none", [], status, answer)]
    assert [f for f, _ in _named(_failed(*failed), exchanges)] == [expected]


def test_a_wrong_key_refused_with_403_is_said_in_words() -> None:
    refused = _exchange(1, "auth:unknown-key", [], 403, {"error": {"type": "forbidden", "message": "no"}})
    exchanges = [*_walk(3), refused]
    assert _named(_failed("AUTH-002"), exchanges) == [("observed:unknown-key-403", [])]


def test_an_unknown_status_ignored_and_one_served_empty_are_told_apart() -> None:
    verdicts = _failed("FLT-004", "SCH-003")
    walk = _walk(3)
    ignored = _exchange(1, "filter:invalid", [("status", "pending")], 200, _page([_session(0), _session(1)]))
    assert [f for f, _ in _named(verdicts, [*walk, ignored])] == ["filter-invalid-ignored"]
    empty = _exchange(1, "filter:invalid", [("status", "pending")], 200, _page([]))
    assert _named(verdicts, [*walk, empty]) == [("observed:status-invalid-served-empty", [])]
    cause = diagnose(verdicts, [*walk, empty])[0]
    assert cause.observed == "An unknown `status=pending` (#1) answered 200 with an empty page instead of 400."


@pytest.mark.parametrize(("sessions", "served", "expected"), [
    (150, 100, [("limit-clamped", [])]),  # `limit=101` served 100 of 150: clamped
    (150, 101, [("limit-no-upper-bound", [])]),  # served 101: unbounded
    (57, 57, [("limit-no-upper-bound", ["limit-clamped"])]),  # 57 either way: both named, in one line
])
def test_clamped_and_unbounded_limits_are_told_apart_by_the_page_length(
        sessions: int, served: int, expected: list[tuple[str, list[str]]]) -> None:
    walk = _walk(sessions)
    above = _exchange(len(walk), "limit:range", [("limit", "101")], 200,
                      _page([_session(n) for n in range(served)], has_more=served < sessions))
    assert _named(_failed("LIM-005"), [*walk, above]) == expected


@pytest.mark.parametrize(("tag", "failed", "fault"), [
    ("cursor:unknown", ("PAG-011", "PAG-013", "ERR-002"), "unknown-cursor-500"),
    ("cursor:both", ("PAG-012", "PAG-014", "ERR-002"), "both-cursors-500"),
    ("filter:invalid", ("FLT-004", "ERR-002", "SCH-003"), "filter-invalid-500"),
])
def test_a_crash_is_blamed_on_the_request_that_crashed(tag: str, failed: tuple[str, ...], fault: str) -> None:
    crash = {"error": {"type": "api_error", "message": "x"}}
    elsewhere = [*_walk(3), _exchange(1, tag, [], 400, {"error": {"type": "invalid", "message": "no"}}),
                 _exchange(2, "limit:type", [("limit", "x")], 500, crash)]
    assert fault not in [f for f, _ in _named(_failed(*failed), elsewhere)]
    here = [*_walk(3), _exchange(1, tag, [], 500, crash)]
    assert fault in [f for f, _ in _named(_failed(*failed), here)]
