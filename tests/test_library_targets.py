"""The suite on a target built on real libraries (issue 21's proof): tests/servers/keyset_sqlalchemy.py,
SQLite through SQLAlchemy, paged by sqlakeyset over (created DESC, id DESC), written apart from the
embedded reference. Correct, it passes `run --strict` with no diagnosis; with one library misuse, the
suite reports exactly the MUST failures that misuse causes, each checked true against the server's
code (the comments say why), and the top cause names it.

Each misuse is also shown directly over HTTP, without the suite, so the expected findings rest on
the server's observable behaviour and not only on the suite's judgement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
