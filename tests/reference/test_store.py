"""Keyset pagination in the SQLite store, independent of HTTP."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.reference.dataset import generate_sessions
from conformance.reference.store import SessionStore, UnknownCursorError, open_store

COUNT, SEED = 1500, 4


@pytest.fixture(scope="module")
def store() -> SessionStore:
    return open_store(COUNT, SEED)


@pytest.fixture(scope="module")
def expected() -> list[str]:
    """The contract order: created DESC, then id DESC inside one second."""
    sessions = generate_sessions(COUNT, SEED)
    return [s["id"] for s in sorted(sessions, key=lambda s: (s["created"], s["id"]),
                                    reverse=True)]


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def _walk(store: SessionStore, limit: int, status: str | None = None) -> list[str]:
    out: list[str] = []
    cursor = None
    while True:
        items, has_more = store.page(limit, starting_after=cursor, status=status)
        out += _ids(items)
        if not has_more:
            return out
        assert len(items) == limit
        cursor = items[-1]["id"]


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_forward_walk_is_the_contract_order(store: SessionStore, expected: list[str],
                                            limit: int) -> None:
    assert _walk(store, limit) == expected


def test_backward_pages(store: SessionStore, expected: list[str]) -> None:
    for position in (0, 1, 5, 6, 700, COUNT - 1):
        items, has_more = store.page(5, ending_before=expected[position])
        assert _ids(items) == expected[max(0, position - 5):position]
        assert has_more == (position > 5)


def test_starting_after_last_and_ending_before_first(store: SessionStore,
                                                     expected: list[str]) -> None:
    assert store.page(10, starting_after=expected[-1]) == ([], False)
    assert store.page(10, ending_before=expected[0]) == ([], False)


@pytest.mark.parametrize("status", ["open", "complete", "expired"])
def test_filtered_walk_is_the_restricted_order(store: SessionStore, expected: list[str],
                                               status: str) -> None:
    wanted = {i for i in expected if store.get(i)["status"] == status}  # type: ignore[index]
    assert _walk(store, 13, status) == [i for i in expected if i in wanted]
    assert store.count(status) == len(wanted)


def test_cursor_of_another_status_is_a_position(store: SessionStore,
                                                expected: list[str]) -> None:
    cursor = expected[100]
    status = next(s for s in ("open", "complete", "expired")
                  if s != store.get(cursor)["status"])  # type: ignore[index]
    items, _ = store.page(5, starting_after=cursor, status=status)
    following = [i for i in expected[101:]
                 if store.get(i)["status"] == status][:5]  # type: ignore[index]
    assert _ids(items) == following
    items, _ = store.page(5, ending_before=cursor, status=status)
    preceding = [i for i in expected[:100]
                 if store.get(i)["status"] == status][-5:]  # type: ignore[index]
    assert _ids(items) == preceding


def test_unknown_cursor(store: SessionStore) -> None:
    with pytest.raises(UnknownCursorError) as info:
        store.page(3, starting_after="cs_nope")
    assert info.value.cursor == "cs_nope"
    with pytest.raises(UnknownCursorError):
        store.page(3, ending_before="")


@pytest.mark.parametrize("status", [None, "open"])
@pytest.mark.parametrize("cursor", [True, False])
def test_pages_are_index_range_scans(store: SessionStore, status: str | None,
                                     cursor: bool) -> None:
    plan = " ".join(store.explain(status, cursor))
    assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan
    if cursor or status:
        assert "SEARCH" in plan, plan


def test_file_db_reused_when_same_and_rebuilt_otherwise(tmp_path: Path) -> None:
    path = str(tmp_path / "ref.sqlite3")
    first = open_store(300, 1, path=path)
    page = first.page(20)
    first.close()
    mtime = os.stat(path).st_mtime_ns
    time.sleep(0.01)
    again = open_store(300, 1, path=path)
    assert again.page(20) == page
    again.close()
    assert os.stat(path).st_mtime_ns == mtime
    other = open_store(301, 1, path=path)
    assert other.count() == 301
    other.close()
    assert os.stat(path).st_mtime_ns != mtime
    assert sorted(os.listdir(tmp_path)) == ["ref.sqlite3"]


def test_store_is_thread_safe(store: SessionStore, expected: list[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        walks = list(pool.map(lambda limit: _walk(store, limit), [3, 5, 7, 11, 50, 100]))
    assert all(walk == expected for walk in walks)
