"""ENV-005 in ties, whatever the account's layout (issue 21).

A `next_cursor` kept as a (`created`, offset) position (Django REST framework's
CursorPagination) goes wrong only on an `ending_before` page that lies wholly inside one
`created` second that began before it. The probe places such a page from what the reference
walk read: at the head, at a page boundary, in the middle or at the end of the account.
"""

from __future__ import annotations

import logging

import pytest

from conformance.checks.collection import Collection
from conformance.checks.next_cursor import backward_anchors
from conformance.profiles import PROFILES
from conformance.reference import ReferenceConfig, start_background
from conformance.run.runner import RunOptions, run


def _layout(size: int, tie_at: int, tie_len: int) -> Collection:
    """`size` sessions newest first, one second each, but `tie_len` of them share a second from `tie_at`."""
    created, items = 10_000, {}
    ids = []
    for k in range(size):
        if not tie_at < k < tie_at + tie_len:
            created -= 1
        ids.append(f"cs_{k:03d}")
        items[ids[-1]] = {"id": ids[-1], "created": created, "status": "open"}
    return Collection(ids=ids, complete=True, items=items)


@pytest.mark.parametrize("size, tie_at, tie_len", [
    (20, 0, 3), (20, 0, 8), (20, 3, 4), (20, 6, 5), (20, 10, 10), (40, 33, 7), (7, 2, 5),
], ids=lambda v: str(v))
def test_a_page_wholly_inside_the_largest_tie_with_a_member_before_it_is_asked(
        size: int, tie_at: int, tie_len: int) -> None:
    collection = _layout(size, tie_at, tie_len)
    group = set(max(collection.tie_groups(), key=len))
    inside = []
    for cursor, limit in backward_anchors(collection):
        pos = collection.ids.index(cursor)
        page = collection.ids[pos - limit:pos]
        if pos - limit >= 1 and set(page) <= group and collection.ids[pos - limit - 1] in group:
            inside.append(cursor)
    assert inside, backward_anchors(collection)


def _env005(fault: str | None, sessions: int, seed: int, profile: str) -> str:
    logging.getLogger("conformance.reference").setLevel(logging.CRITICAL)
    config = ReferenceConfig(fault=fault, sessions=sessions, seed=seed)
    with start_background(config) as server:
        result = run(RunOptions(base_url=server.base_url, api_key=server.api_key,
                                api_version=config.api_versions[0], profile=PROFILES[profile]))
    return {v.requirement: v.verdict.value for v in result.verdicts}["ENV-005"]


ACCOUNTS = [(30, 2, "standard"), (60, 3, "quick"), (150, 4, "standard")]


@pytest.mark.parametrize("sessions, seed, profile", ACCOUNTS)
def test_next_cursor_wrong_inside_a_second_fails(sessions: int, seed: int, profile: str) -> None:
    assert _env005("next-cursor-backward-ties", sessions, seed, profile) == "fail"


@pytest.mark.parametrize("sessions, seed, profile", ACCOUNTS)
def test_the_correct_server_passes(sessions: int, seed: int, profile: str) -> None:
    assert _env005(None, sessions, seed, profile) == "pass"
