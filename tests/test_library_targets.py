"""The suite on targets built on real libraries (issue 21's proof), written apart from the embedded
reference: tests/servers/keyset_sqlalchemy.py, SQLite through SQLAlchemy, paged by sqlakeyset over
(created DESC, id DESC); and tests/servers/drf_cursor.py, Django REST framework's CursorPagination
over SQLite (its tie artifact caught in three layouts, a unique ordering passing). Correct, each
passes `run --strict` with no diagnosis; with one library misuse, the suite reports exactly the MUST
failures that misuse causes, each checked true against the server's code (the comments say why),
and the top cause names it.

Each misuse is also shown directly over HTTP, without the suite, so the expected findings rest on
the server's observable behaviour and not only on the suite's judgement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers.keyset_sqlalchemy import LIST_PATH, start_keyset_target
from tests.support.runs import run_cli


def _suite(tmp_path: Path, fault: str | None = None) -> tuple[int, dict[str, Any]]:
    with start_keyset_target(sessions=60, seed=7, fault=fault) as (base_url, api_key, version):
        return run_cli(base_url, api_key, tmp_path, "--api-version", version, "--strict")


def _failed_musts(report: dict[str, Any]) -> set[str]:
    return {r["id"] for r in report["requirements"] if r["verdict"] == "fail" and r["level"] == "MUST"}


def _get(fault: str | None, **params: Any) -> list[dict[str, Any]]:
    """Every page of the forward walk with `params`, fetched directly."""
    pages = []
    with start_keyset_target(sessions=60, seed=7, fault=fault) as (base_url, api_key, _version), \
            requests.Session() as http:
        http.trust_env = False
        http.auth = (api_key, "")
        while True:
            response = http.get(base_url + LIST_PATH, params=params, timeout=10)
            assert response.status_code == 200, response.text
            pages.append(response.json())
            if not pages[-1]["has_more"] or not pages[-1]["data"] or len(pages) > 60:
                return pages
            params = {**params, "starting_after": pages[-1]["data"][-1]["id"]}


def test_the_correct_library_target_passes_strict(tmp_path: Path) -> None:
    code, report = _suite(tmp_path)
    bad = [(r["id"], r["verdict"], r.get("reason")) for r in report["requirements"]
           if r["verdict"] not in ("pass", "skip")]
    assert (code, bad) == (0, [])
    assert report["diagnosis"] == []


def test_a_keyset_on_created_alone_is_caught_as_created_only(tmp_path: Path) -> None:
    # Ordered by `created DESC` alone, sqlakeyset's keyset is (created,): `starting_after=X` becomes
    # `created < X.created`, `ending_before=X` becomes `created > X.created`, so the sessions sharing
    # X's second on the far side of X are lost in both directions.
    walk = [s for page in _get("keyset-created-only", limit=7) for s in page["data"]]
    assert len(walk) < 60  # the gaps, seen without the suite
    code, report = _suite(tmp_path, "keyset-created-only")
    assert code == 1
    assert _failed_musts(report) == {
        "PAG-001", "PAG-002",  # the limit=7 walk has gaps (the line above), so it also differs from limit=100's
        "PAG-004",  # starting_after skips the rest of the cursor's second
        "PAG-005", "PAG-006",  # ending_before skips the earlier part of the cursor's second, and so its walk
        "FLT-002",  # the filtered walk loses the S-sessions of each cursor's second just the same
        "FLT-007",  # a non-S cursor with status=S: the S-sessions later in its second are skipped
    }
    assert report["diagnosis"][0]["fault"] == "cursor-created-only"
    assert set(report["diagnosis"][0]["explains"]) == _failed_musts(report)


def test_the_status_filter_applied_after_paging_is_caught(tmp_path: Path) -> None:
    # The page is cut by sqlakeyset from the unfiltered query, then filtered in Python: pages come
    # short (even empty) with the unfiltered `has_more`, and `next_cursor` is the bookmark of the last
    # row of the *unfiltered* page, not of the last session the page shows.
    pages = _get("status-after-paging", status="open", limit=3)
    assert any(page["has_more"] and len(page["data"]) < 3 for page in pages)  # seen without the suite
    code, report = _suite(tmp_path, "status-after-paging")
    assert code == 1
    assert _failed_musts(report) == {
        "LIM-004", "FLT-003",  # a filtered page with has_more true holds fewer than `limit`
        "FLT-002",  # a page with no S-session but has_more true leaves the walk no id to go on: S-sessions lost
        "ENV-005",  # next_cursor (last unfiltered row) is not starting_after=<last id of data>
    }
    top = report["diagnosis"][0]
    assert top["fault"] == "filter-after-slice"
    assert {"LIM-004", "FLT-003", "FLT-002"} <= set(top["explains"])


# -- Django REST framework's CursorPagination (tests/servers/drf_cursor.py) ---------------------------
def _drf_suite(tmp_path: Path, layout: str, ordering: str, profile: str = "standard") -> tuple[int, dict[str, Any]]:
    from tests.servers.drf_cursor import start_drf_target

    with start_drf_target(sessions=60, layout=layout, ordering=ordering) as (base_url, api_key, version):
        return run_cli(base_url, api_key, tmp_path, "--api-version", version, "--strict", "--profile", profile)


def _drf_artifact(layout: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], int]:
    """Over HTTP, without the suite: an `ending_before` page (limit 3) lying wholly inside one
    `created` second with a session before it, its `next_cursor` decoded as DRF encodes it
    (base64 of `o=..&r=..&p=..`), and the created of the session just before the page."""
    import base64
    from urllib.parse import parse_qs

    from tests.servers.drf_cursor import LIST_PATH as DRF_PATH
    from tests.servers.drf_cursor import start_drf_target

    with start_drf_target(sessions=60, layout=layout, ordering="created-id") as (base_url, api_key, _v), \
            requests.Session() as http:
        http.trust_env = False
        http.auth = (api_key, "")
        listed = http.get(base_url + DRF_PATH, params={"limit": 100}, timeout=10).json()["data"]
        for end in range(4, len(listed)):
            page = listed[end - 3:end]
            if len({s["created"] for s in page}) == 1:
                break
        body = http.get(base_url + DRF_PATH, params={"limit": 3, "ending_before": listed[end]["id"]},
                        timeout=10).json()
        assert [s["id"] for s in body["data"]] == [s["id"] for s in page]  # the page itself is right
        cursor = {k: v[0] for k, v in parse_qs(base64.b64decode(body["next_cursor"]).decode(), True).items()}
        by_token = http.get(base_url + DRF_PATH, params={"limit": 3, "starting_after": body["next_cursor"]},
                            timeout=10).json()
        by_id = http.get(base_url + DRF_PATH, params={"limit": 3, "starting_after": page[-1]["id"]},
                         timeout=10).json()
        return cursor, by_token, by_id, listed[end - 4]["created"]


@pytest.mark.parametrize("layout, profile", [("head", "standard"), ("middle", "standard"), ("tail", "standard"),
                                             ("middle", "quick")])
def test_drf_cursor_pagination_tie_artifact_is_caught_wherever_the_ties_fall(
        tmp_path: Path, layout: str, profile: str) -> None:
    # DRF keeps a position for `ordering[0]` (`created`) only, ties as an offset. On an ending_before
    # page (a reverse cursor with an offset) whose rows all share one position, get_next_link finds no
    # row with a position of its own and, the cursor being reversed, takes its documented "paging
    # artifact" branch: `offset = 0; position = self.previous_position`, the `created` of the session
    # just before the page. Following that cursor starts after that whole second, not after the page.
    cursor, by_token, by_id, before_page = _drf_artifact(layout)
    assert cursor == {"p": str(before_page)}  # offset 0 and forward (DRF leaves both out), that position
    assert by_token["data"] != by_id["data"]  # next_cursor is not starting_after=<last id>: ENV-005
    code, report = _drf_suite(tmp_path, layout, "created-id", profile)
    assert code == 1
    assert _failed_musts(report) == {"ENV-005"}  # every other page and walk of DRF's is right
    assert report["diagnosis"][0]["fault"] == "next-cursor-backward-ties"


@pytest.mark.parametrize("layout, profile", [("middle", "standard"), ("head", "quick")])
def test_drf_cursor_pagination_on_a_unique_ordering_passes_strict(tmp_path: Path, layout: str, profile: str) -> None:
    # Ordered by one unique field, no two rows share a position: every cursor DRF issues has offset 0
    # and the artifact branch (a page with no row of its own position) is never taken.
    code, report = _drf_suite(tmp_path, layout, "unique", profile)
    bad = [(r["id"], r["verdict"], r.get("reason")) for r in report["requirements"]
           if r["verdict"] not in ("pass", "skip")]
    assert (code, bad) == (0, [])
    assert report["diagnosis"] == []
