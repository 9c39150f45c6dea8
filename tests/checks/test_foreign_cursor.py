"""FLT-007: a cursor of another status under `status=S` is refused, or answered from its place.

Judgements over hand-made exchanges (each case a server behaviour, correct or faulty), then
whole runs: the reference answers such a cursor from its place, a twin refuses it with 400
(both readings of CONTRACT.md pass), and the catalog fault that skips an S-session fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.checks import foreign_cursor
from conformance.checks.collection import Collection
from conformance.reference import ReferenceConfig, start_background
from conformance.reference import decisions as reference
from conformance.reference.decisions import ListQuery
from conformance.reference.errors import invalid
from conformance.reference.faults import FAULTS, Fault
from conformance.reference.store import Page, SessionStore
from conformance.verdicts import Finding
from tests.checks.test_judgements import RUN, SPEC, Transcript, only, session
from tests.support.runs import run_cli

# Walk order: o1 o2 c1 o3 o4 c2 o5 (o: open, c: complete).
LAYOUT = [("o1", "open"), ("o2", "open"), ("c1", "complete"), ("o3", "open"), ("o4", "open"),
          ("c2", "complete"), ("o5", "open")]


def _walked() -> Transcript:
    t = Transcript()
    items = [session(sid, 100 - k, status) for k, (sid, status) in enumerate(LAYOUT)]
    t.page("walk:100", [("limit", "100")], items, False)
    return t


def _item(sid: str) -> dict[str, object]:
    k, status = next((k, s) for k, (i, s) in enumerate(LAYOUT) if i == sid)
    return session(sid, 100 - k, status)


def _ask(t: Transcript, param: str, cursor: str, ids: list[str] | None, has_more: bool = True,
         status: int = 200) -> None:
    query = [("status", "open"), (param, cursor), ("limit", "3")]
    if ids is None:
        t.add(foreign_cursor.TAG, query, status, {"error": {"type": "invalid_request_error",
                                                            "message": "cursor is not open", "param": param}})
    else:
        t.page(foreign_cursor.TAG, query, [_item(i) for i in ids], has_more)


def _verdict(t: Transcript) -> Finding:
    return only(foreign_cursor.judge_foreign_cursor(t.record, RUN, SPEC), "FLT-007")


def test_the_anchor_has_sessions_of_the_filter_on_both_sides() -> None:
    collection = Collection.from_record(_walked().record)
    assert foreign_cursor.anchor(collection, "open") == "c1"
    assert foreign_cursor.anchor(collection, "complete") == "o3"
    assert foreign_cursor.anchor(collection, "expired") is None


def test_pages_from_the_cursors_place_hold() -> None:
    t = _walked()
    _ask(t, "starting_after", "c1", ["o3", "o4", "o5"], has_more=False)
    _ask(t, "ending_before", "c1", ["o1", "o2"], has_more=False)
    assert _verdict(t) == Finding.HELD


def test_refusals_hold() -> None:
    t = _walked()
    _ask(t, "starting_after", "c1", None, status=400)
    _ask(t, "ending_before", "c1", None, status=404)
    assert _verdict(t) == Finding.HELD


def test_a_page_that_skips_the_first_session_after_the_cursor_fails() -> None:
    t = _walked()
    _ask(t, "starting_after", "c1", ["o4", "o5"], has_more=False)
    assert _verdict(t) == Finding.VIOLATED


def test_a_backward_page_that_skips_the_session_before_the_cursor_fails() -> None:
    t = _walked()
    _ask(t, "ending_before", "c1", ["o1"], has_more=False)
    assert _verdict(t) == Finding.VIOLATED


def test_a_page_that_repeats_a_session_before_the_cursor_fails() -> None:
    t = _walked()
    _ask(t, "starting_after", "c1", ["o2", "o3", "o4"])
    assert _verdict(t) == Finding.VIOLATED


def test_a_5xx_fails() -> None:
    t = _walked()
    _ask(t, "starting_after", "c1", None, status=500)
    assert _verdict(t) == Finding.VIOLATED


def test_a_session_that_moved_from_open_meanwhile_is_not_held_against_the_page() -> None:
    t = _walked()
    # o3 is listed expired later in the run: a live account, the page may leave it out.
    t.page("walk:recheck", [("limit", "100")], [session("o3", 97, "expired")], False)
    _ask(t, "starting_after", "c1", ["o4", "o5"], has_more=False)
    assert _verdict(t) == Finding.HELD


def test_without_a_foreign_cursor_it_is_not_judged() -> None:
    outcome = only(foreign_cursor.judge_foreign_cursor(_walked().record, RUN, SPEC), "FLT-007")
    assert outcome == Finding.SKIPPED


# -- whole runs ----------------------------------------------------------------------------------
def _refuse_foreign(store: SessionStore, query: ListQuery) -> Page:
    """The other reading of CONTRACT.md, written as a server would: a cursor whose session does
    not match the filter is refused with 400 on the cursor's parameter."""
    cursor = query.starting_after if query.forward else query.ending_before
    if query.status is not None and cursor is not None:
        found = [i for i in store.all_items() if i["id"] == cursor]
        if found and found[0]["status"] != query.status:
            param = "starting_after" if query.forward else "ending_before"
            raise invalid(f"{cursor} is not a {query.status} session.", param)
    return reference.fetch_page(store, query)


def _flt007(tmp_path: Path, fault: str | None) -> str:
    with start_background(ReferenceConfig(fault=fault)) as server:
        _, report = run_cli(server.base_url, server.api_key, tmp_path, "--only", "filter")
    [verdict] = [r for r in report["requirements"] if r["id"] == "FLT-007"]
    return str(verdict["verdict"])


def test_the_reference_answering_from_the_place_passes(tmp_path: Path) -> None:
    assert _flt007(tmp_path, None) == "pass"


def test_a_server_refusing_such_cursors_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FAULTS, "refuse-foreign-cursor", Fault(
        "refuse-foreign-cursor", "correct: refuses a cursor of another status", breaks=("FLT-007",),
        overrides={"fetch_page": _refuse_foreign}))
    assert _flt007(tmp_path, "refuse-foreign-cursor") == "pass"


def test_the_catalog_fault_that_skips_a_session_fails(tmp_path: Path) -> None:
    assert _flt007(tmp_path, "filter-foreign-cursor-skips") == "fail"
