"""Judgements on a live collection (CONTRACT.md, "A live collection"), over hand-made records.

Each changed judgement gets two cases: a correct server whose collection changes while the
suite reads it (sessions created at the head, an open session expiring) passes; the same
record with the fault the judgement targets fails. A change outside the model makes the
comparisons inconclusive, naming it; a quiet record is judged exactly as before.
"""

from __future__ import annotations

from typing import Any

from conformance.catalog import default_catalog
from conformance.checks import envelope, filtering, limits, pagination, protocol, stability, version
from conformance.checks.base import RunContext
from conformance.checks.history import History, describe
from conformance.judge.pipeline import judge
from conformance.profiles import PROFILES
from conformance.verdicts import Finding, Verdict
from tests.checks.test_judgements import RUN, SPEC, Transcript, only, session

# Twelve sessions that existed before the run (s0 newest; s4 and s5 share a second), and two
# created while it ran, newer than anything the first head page saw.
OLD = [session(f"cs_s{i}", created=1100 - 10 * i if i != 5 else 1060,
               status=("open", "complete", "expired")[i % 3]) for i in range(12)]
YOUNG = [session("cs_y2", created=2001), session("cs_y1", created=2000)]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


def live_walks(t: Transcript, skip: str | None = None) -> None:
    """walk:100 before anything was created, walk:7 after cs_y1 was, the recheck at the end."""
    t.page("walk:100", [("limit", "100")], OLD, False)
    first = [YOUNG[1], *OLD[:6]]
    t.page("walk:7", [("limit", "7")], first, True)
    rest = [s for s in OLD[6:] if s["id"] != skip]
    t.page("walk:7", [("limit", "7"), ("starting_after", "cs_s5")], rest, False)
    t.page("walk:recheck", [("limit", "100")], [*YOUNG, *OLD], False)


def test_a_quiet_record_is_not_live_and_compares_everything() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], OLD, False)
    t.page("walk:recheck", [("limit", "100")], OLD, False)
    history = History.of(t.record)
    assert not history.live and not history.outside and history.ids_unstable is None
    assert history.stable(["cs_s0", "cs_x"]) == ["cs_s0", "cs_x"]
    assert describe(history.summary()).startswith("the account was quiet")


def test_history_sees_sessions_created_and_status_moves() -> None:
    t = Transcript()
    live_walks(t)
    moved = {**OLD[0], "status": "expired"}
    t.page("filter:expired", [("limit", "50"), ("status", "expired")], [moved], False)
    history = History.of(t.record)
    assert history.young == {"cs_y1", "cs_y2"}
    assert history.moved == {"cs_s0"}
    summary = history.summary()
    assert (summary["sessions_created"], summary["status_changes"], summary["sessions_judged"]) == (2, 1, 12)
    assert describe(summary).startswith("the account was live: 2 sessions created and 1 status change seen")


def test_walks_agree_on_the_sessions_that_existed_throughout() -> None:
    t = Transcript()
    live_walks(t)
    outcomes = list(pagination.judge_walks(t.record, RUN, SPEC))
    assert only(outcomes, "PAG-001") == Finding.HELD
    assert only(outcomes, "PAG-002") == Finding.HELD


def test_a_walk_that_skips_an_old_session_fails_on_a_live_account() -> None:
    t = Transcript()
    live_walks(t, skip="cs_s6")
    assert only(pagination.judge_walks(t.record, RUN, SPEC), "PAG-001") == Finding.VIOLATED


def test_targeted_cursor_next_to_new_sessions() -> None:
    """ending_before the head: sessions created meanwhile take the first places of the page."""
    t = Transcript()
    live_walks(t)
    t.page("cursor:after", [("limit", "5"), ("starting_after", "cs_s0")], OLD[1:6], True)
    t.page("cursor:before", [("limit", "5"), ("ending_before", "cs_s2")], [*YOUNG, *OLD[:2]], False)
    outcomes = list(pagination.judge_cursors(t.record, RUN, SPEC))
    assert only(outcomes, "PAG-004") == Finding.HELD
    assert only(outcomes, "PAG-005") == Finding.HELD


def test_has_more_before_the_old_head_is_excused_only_when_sessions_were_created() -> None:
    """Before cs_s0 nothing existed at the start; on a live account new sessions may wait there."""
    t = Transcript()
    live_walks(t)
    t.page("cursor:before", [("limit", "3"), ("ending_before", "cs_s3")], OLD[:3], True)
    assert only(pagination.judge_cursors(t.record, RUN, SPEC), "PAG-008") == Finding.SKIPPED
    quiet = Transcript()
    quiet.page("walk:100", [("limit", "100")], OLD, False)
    quiet.page("cursor:before", [("limit", "3"), ("ending_before", "cs_s3")], OLD[:3], True)
    assert only(pagination.judge_cursors(quiet.record, RUN, SPEC), "PAG-008") == Finding.VIOLATED


def test_targeted_cursor_that_skips_fails_on_a_live_account() -> None:
    t = Transcript()
    live_walks(t)
    t.page("cursor:after", [("limit", "5"), ("starting_after", "cs_s0")], OLD[2:7], True)
    outcomes = list(pagination.judge_cursors(t.record, RUN, SPEC))
    assert only(outcomes, "PAG-004") == Finding.VIOLATED
    t2 = Transcript()
    live_walks(t2)
    t2.page("cursor:before", [("limit", "5"), ("ending_before", "cs_s4")], [YOUNG[1], OLD[0], OLD[2], OLD[3]],
            False)
    assert only(pagination.judge_cursors(t2.record, RUN, SPEC), "PAG-005") == Finding.VIOLATED


def test_has_more_false_before_old_sessions_fails_even_when_live() -> None:
    t = Transcript()
    live_walks(t)
    t.page("cursor:before", [("limit", "2"), ("ending_before", "cs_s4")], OLD[2:4], False)
    assert only(pagination.judge_cursors(t.record, RUN, SPEC), "PAG-008") == Finding.VIOLATED


def test_has_more_true_on_the_last_forward_page_fails_even_when_live() -> None:
    t = Transcript()
    live_walks(t)
    t.page("cursor:after", [("limit", "2"), ("starting_after", "cs_s9")], OLD[10:12], True)
    assert only(pagination.judge_cursors(t.record, RUN, SPEC), "PAG-007") == Finding.VIOLATED


def _filter_walks(t: Transcript, open_ids: list[str]) -> None:
    by_id = {s["id"]: s for s in OLD}
    t.page("filter:open", [("limit", "50"), ("status", "open")], [by_id[i] for i in open_ids], False)
    t.page("filter:complete", [("limit", "50"), ("status", "complete")],
           [s for s in OLD if s["status"] == "complete"], False)


def test_filter_walk_may_lose_a_session_that_expired_meanwhile() -> None:
    t = Transcript()
    live_walks(t)
    _filter_walks(t, ["cs_s0", "cs_s6", "cs_s9"])  # cs_s3 expired before the open walk reached it
    expired = [s for s in OLD if s["status"] == "expired"] + [{**OLD[3], "status": "expired"}]
    expired.sort(key=lambda s: -s["created"])
    t.page("filter:expired", [("limit", "50"), ("status", "expired")], expired, False)
    outcomes = list(filtering.judge_filter(t.record, RUN, SPEC))
    assert only(outcomes, "FLT-002") == Finding.HELD
    assert only(outcomes, "FLT-003") == Finding.HELD


def test_filter_walk_that_drops_a_session_which_stayed_open_fails() -> None:
    t = Transcript()
    live_walks(t)
    _filter_walks(t, ["cs_s0", "cs_s6", "cs_s9"])  # cs_s3 is never listed in another status
    t.page("filter:expired", [("limit", "50"), ("status", "expired")],
           [s for s in OLD if s["status"] == "expired"], False)
    assert only(filtering.judge_filter(t.record, RUN, SPEC), "FLT-002") == Finding.VIOLATED


def test_filtered_has_more_with_nothing_to_follow_fails_on_a_live_account() -> None:
    t = Transcript()
    live_walks(t)
    complete = [s for s in OLD if s["status"] == "complete"]  # four: nothing follows the last
    t.page("filter:complete", [("limit", "4"), ("status", "complete")], complete, True)
    assert only(filtering.judge_filter(t.record, RUN, SPEC), "FLT-003") == Finding.VIOLATED


def test_default_limit_counts_sessions_created_meanwhile() -> None:
    t = Transcript()
    live_walks(t)
    t.page("walk:default", [], [*YOUNG, *OLD[:8]], True)
    assert only(limits.judge_default(t.record, RUN, SPEC), "LIM-001") == Finding.HELD
    t2 = Transcript()
    live_walks(t2)
    t2.page("walk:default", [], [*YOUNG, *OLD[:7]], True)  # nine: one short
    assert only(limits.judge_default(t2.record, RUN, SPEC), "LIM-001") == Finding.VIOLATED


def test_unknown_parameter_page_may_hold_new_sessions() -> None:
    t = Transcript()
    live_walks(t)
    t.page("unknown-param:baseline", [("limit", "5")], OLD[:5], True)
    t.page("unknown-param", [("limit", "5"), ("foo", "1")], [YOUNG[1], *OLD[:4]], True)
    assert only(protocol.judge_unknown_params(t.record, RUN, SPEC), "ERR-003") == Finding.HELD
    t.page("unknown-param", [("limit", "5"), ("bar", "1")], [YOUNG[1], *OLD[1:5]], True)
    assert only(protocol.judge_unknown_params(t.record, RUN, SPEC), "ERR-003") == Finding.VIOLATED


def test_unknown_parameter_empty_page_fails_when_the_baseline_lists_only_new_sessions() -> None:
    """On a busy account the baseline (limit 3) may list only sessions created during the run;
    an empty page is still no ignored parameter: the sessions that existed throughout are gone
    from it (the churn run that failed in two of three fresh runs on a loaded machine)."""
    newer = [session("cs_y4", created=2003), session("cs_y3", created=2002), *YOUNG]
    t = Transcript()
    live_walks(t)
    t.page("walk:recheck", [("limit", "100")], [*newer, *OLD], False)
    t.page("unknown-param:baseline", [("limit", "3")], newer[:3], True)
    t.page("unknown-param", [("limit", "3"), ("foo", "1")], newer[1:4], True)  # a newer page: ignored
    assert only(protocol.judge_unknown_params(t.record, RUN, SPEC), "ERR-003") == Finding.HELD
    t.page("unknown-param", [("limit", "3"), ("bar", "1")], [], False)
    assert only(protocol.judge_unknown_params(t.record, RUN, SPEC), "ERR-003") == Finding.VIOLATED


def test_unknown_parameter_short_page_holding_the_whole_collection_passes() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], OLD[:2], False)
    t.page("unknown-param:baseline", [("limit", "3")], OLD[:2], False)
    t.page("unknown-param", [("limit", "3"), ("foo", "1")], OLD[:2], False)
    assert only(protocol.judge_unknown_params(t.record, RUN, SPEC), "ERR-003") == Finding.HELD
    t.page("unknown-param", [("limit", "3"), ("bar", "1")], OLD[:1], False)
    assert only(protocol.judge_unknown_params(t.record, RUN, SPEC), "ERR-003") == Finding.VIOLATED


def test_next_cursor_compared_with_the_page_of_the_same_last_id() -> None:
    t = Transcript()
    live_walks(t)  # walk:7 went [cs_y1, s0..s5] then after cs_s5
    t.page("walk:next:7", [("limit", "7")], OLD[:7], True, next_cursor="tok")
    t.page("walk:next:7", [("limit", "7"), ("starting_after", "tok")], OLD[7:], False, next_cursor=None)
    t.page("walk:7", [("limit", "7"), ("starting_after", "cs_s6")], OLD[7:], False)
    assert only(envelope.judge_next_cursor(t.record, RUN, SPEC), "ENV-005") == Finding.HELD
    t2 = Transcript()
    live_walks(t2)
    t2.page("walk:next:7", [("limit", "7")], OLD[:7], True, next_cursor="tok")
    t2.page("walk:next:7", [("limit", "7"), ("starting_after", "tok")], OLD[8:], False, next_cursor=None)
    t2.page("walk:7", [("limit", "7"), ("starting_after", "cs_s6")], OLD[7:], False)
    assert only(envelope.judge_next_cursor(t2.record, RUN, SPEC), "ENV-005") == Finding.VIOLATED


def test_created_never_changes() -> None:
    t = Transcript()
    live_walks(t)
    assert only(stability.judge_identity(t.record, RUN, SPEC), "PAG-015") == Finding.HELD
    t.page("filter:open", [("status", "open")], [{**OLD[0], "created": OLD[0]["created"] + 1}], False)
    assert only(stability.judge_identity(t.record, RUN, SPEC), "PAG-015") == Finding.VIOLATED


def test_a_cursor_the_server_issued_is_never_refused() -> None:
    t = Transcript()
    live_walks(t)
    assert only(stability.judge_identity(t.record, RUN, SPEC), "PAG-016") == Finding.HELD
    t.add("cursor:after", [("limit", "5"), ("starting_after", "cs_s3")], status=400,
          body={"error": {"type": "invalid_request_error", "message": "No such checkout.session"}})
    [outcome] = [o for o in stability.judge_identity(t.record, RUN, SPEC) if o.requirement == "PAG-016"]
    assert outcome.finding == Finding.VIOLATED
    assert "refused cs_s3 as a cursor, although it listed that id" in outcome.reason


def test_ids_that_change_per_response_are_named_as_the_fault() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], OLD[:7], True)
    renamed = [{**s, "id": s["id"] + "x"} for s in OLD[:7]]
    t.add("walk:100", [("limit", "100"), ("starting_after", "cs_s6")], status=400,
          body={"error": {"type": "invalid_request_error", "message": "No such checkout.session"}})
    t.page("walk:recheck", [("limit", "100")], renamed, True)
    history = History.of(t.record)
    assert history.ids_unstable is not None and not history.live and not history.outside
    [outcome] = [o for o in stability.judge_identity(t.record, RUN, SPEC) if o.requirement == "PAG-016"]
    assert outcome.finding == Finding.VIOLATED
    assert "ids change from one response to the next" in outcome.reason
    assert "ids change" in describe(history.summary())


def test_a_session_that_vanishes_makes_comparisons_inconclusive_naming_it() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], OLD, False)
    t.page("walk:7", [("limit", "7")], OLD[:7], True)
    t.page("walk:7", [("limit", "7"), ("starting_after", "cs_s6")], OLD[8:], False)  # cs_s7 gone
    t.page("walk:recheck", [("limit", "100")], [s for s in OLD if s["id"] != "cs_s7"], False)
    verdicts = {v.requirement: v for v in judge(t.exchanges, RUN, SPEC, default_catalog(), ("PAG-001",))}
    assert verdicts["PAG-001"].verdict == Verdict.INCONCLUSIVE
    assert "cs_s7" in verdicts["PAG-001"].reason and "vanished" in verdicts["PAG-001"].reason


def test_a_status_that_moves_back_is_outside_the_model() -> None:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], OLD, False)
    t.page("walk:7", [("limit", "7")], OLD[:7], True)
    t.page("walk:7", [("limit", "7"), ("starting_after", "cs_s6")], [{**OLD[1], "status": "open"}], False)
    history = History.of(t.record)
    assert "cs_s1" in history.outside and "moved back" in history.outside["cs_s1"].message


def test_a_short_backward_page_that_says_more_fails_also_next_to_new_sessions() -> None:
    """Fewer than `limit` sessions right before the cursor leaves nothing more before the page,
    even when the page starts with a session created during the run (which is no excuse)."""
    t = Transcript()
    live_walks(t)
    t.page("cursor:before", [("limit", "5"), ("ending_before", "cs_s0")], YOUNG, False)
    assert only(pagination.judge_cursors(t.record, RUN, SPEC), "PAG-008") == Finding.SKIPPED  # nothing to hold
    t.page("cursor:before", [("limit", "5"), ("ending_before", "cs_s1")], [YOUNG[1], OLD[0]], True)
    assert only(pagination.judge_cursors(t.record, RUN, SPEC), "PAG-008") == Finding.VIOLATED


def test_backward_walk_that_climbs_to_new_sessions() -> None:
    t = Transcript()
    live_walks(t)
    t.page("walk:back:7", [("limit", "7"), ("ending_before", "cs_s11")], OLD[4:11], True)
    t.page("walk:back:7", [("limit", "7"), ("ending_before", "cs_s4")], [*YOUNG, *OLD[:4]], False)
    assert only(pagination.judge_walks(t.record, RUN, SPEC), "PAG-006") == Finding.HELD
    t2 = Transcript()
    live_walks(t2)
    t2.page("walk:back:7", [("limit", "7"), ("ending_before", "cs_s11")], OLD[4:11], True)
    t2.page("walk:back:7", [("limit", "7"), ("ending_before", "cs_s4")], [*YOUNG, OLD[0], OLD[1], OLD[3]], False)
    assert only(pagination.judge_walks(t2.record, RUN, SPEC), "PAG-006") == Finding.VIOLATED


def test_accepted_limit_counts_sessions_created_meanwhile() -> None:
    t = Transcript()
    live_walks(t)
    t.page("limit:accept", [("limit", "5")], [YOUNG[1], *OLD[:4]], True)
    assert only(limits.judge_accepted(t.record, RUN, SPEC), "LIM-002") == Finding.HELD
    t.page("limit:accept", [("limit", "6")], [YOUNG[1], *OLD[:4]], True)  # one short
    assert only(limits.judge_accepted(t.record, RUN, SPEC), "LIM-002") == Finding.VIOLATED


def test_supported_version_page_may_hold_new_sessions() -> None:
    run = RunContext(PROFILES["standard"], "2026-11-01", True, 0)
    t = Transcript()
    live_walks(t)
    t.page("version:baseline", [("limit", "5")], OLD[:5], True)
    t.page("version:supported", [("limit", "5")], [YOUNG[1], *OLD[:4]], True)
    assert only(version.judge_version(t.record, run, SPEC), "VER-002") == Finding.HELD
    t2 = Transcript()
    live_walks(t2)
    t2.page("version:baseline", [("limit", "5")], OLD[:5], True)
    t2.page("version:supported", [("limit", "5")], OLD[1:6], True)
    assert only(version.judge_version(t2.record, run, SPEC), "VER-002") == Finding.VIOLATED
