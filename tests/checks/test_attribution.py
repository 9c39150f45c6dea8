"""A refusal or a "leak" is blamed on what is really there (issue 21).

PAG-016 judges ids, not parameters: `ending_before` refused for every id while the same ids
work as `starting_after` is not an unstable id (PAG-005/006 report it), but ids refused under
both parameters are. AUTH-005 looks for ids, not words: a placeholder id that is a plain word
is not session data when an error message uses the word, while a minted id is.
"""

from __future__ import annotations

from conformance.checks import auth, stability
from conformance.verdicts import Finding
from tests.checks.test_judgements import RUN, SPEC, Transcript, only, session

REFUSED = {"error": {"type": "invalid_request_error", "message": "Unexpected ending_before"}}


def _listed() -> Transcript:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session(f"cs_{k}", 100 - k) for k in range(6)], False)
    return t


def test_an_unsupported_ending_before_is_not_an_unstable_id() -> None:
    t = _listed()
    t.page("walk:1", [("limit", "1"), ("starting_after", "cs_0")], [session("cs_1", 99)], True)
    t.add("walk:back", [("limit", "2"), ("ending_before", "cs_3")], 400, REFUSED)
    t.add("cursor:before", [("limit", "2"), ("ending_before", "cs_5")], 400, REFUSED)
    assert only(stability.judge_identity(t.record, RUN, SPEC), "PAG-016") == Finding.HELD


def test_ids_refused_under_both_parameters_are_unstable_ids() -> None:
    t = _listed()
    t.add("walk:1", [("limit", "1"), ("starting_after", "cs_0")], 400, REFUSED)
    t.add("walk:back", [("limit", "2"), ("ending_before", "cs_3")], 400, REFUSED)
    assert only(stability.judge_identity(t.record, RUN, SPEC), "PAG-016") == Finding.VIOLATED


def test_an_id_refused_where_the_parameter_works_for_others_is_a_refused_cursor() -> None:
    t = _listed()
    t.page("walk:1", [("limit", "1"), ("starting_after", "cs_0")], [session("cs_1", 99)], True)
    t.add("walk:7", [("limit", "1"), ("starting_after", "cs_4")], 404, REFUSED)
    assert only(stability.judge_identity(t.record, RUN, SPEC), "PAG-016") == Finding.VIOLATED


PLACEHOLDER_ERROR = {"error": {"type": "string", "message": "string", "param": "string"}}


def test_a_placeholder_id_that_is_a_word_is_not_looked_for() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("string")], False)
    t.add("limit:invalid", [("limit", "0")], 400, PLACEHOLDER_ERROR)
    assert only(auth.judge_no_leak(t.record, RUN, SPEC), "AUTH-005") == Finding.HELD


def test_a_minted_id_in_an_error_is_still_a_leak() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("string"), session("cs_9f", 999)], False)
    t.add("limit:invalid", [("limit", "0")], 400,
          {"error": {"type": "string", "message": "limit 0; first session cs_9f", "param": "string"}})
    assert only(auth.judge_no_leak(t.record, RUN, SPEC), "AUTH-005") == Finding.VIOLATED


# -- an empty filtered walk is compared like any other (FLT-002) -----------------------------------
def _two_open() -> Transcript:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("cs_a", 3, "complete"), session("cs_b", 2, "complete"),
                                            session("cs_c", 1, "complete"), session("cs_d", 0, "open")], False)
    return t


def test_an_empty_filtered_page_that_says_has_more_is_compared_as_the_whole_walk() -> None:
    from conformance.checks import filtering

    t = _two_open()
    # The filter applied after slicing: the first three sessions hold no open one.
    t.page("filter:open", [("limit", "3"), ("status", "open")], [], True)
    assert only(filtering.judge_filter(t.record, RUN, SPEC), "FLT-002") == Finding.VIOLATED


def test_the_right_filtered_walk_holds() -> None:
    from conformance.checks import filtering

    t = _two_open()
    t.page("filter:open", [("limit", "3"), ("status", "open")], [session("cs_d", 0, "open")], False)
    t.page("filter:complete", [("limit", "3"), ("status", "complete")],
           [session("cs_a", 3, "complete"), session("cs_b", 2, "complete"), session("cs_c", 1, "complete")], False)
    assert only(filtering.judge_filter(t.record, RUN, SPEC), "FLT-002") == Finding.HELD
