"""The kill matrix in every profile and on accounts whose ties fall in different places (issue 21):
`--profile`, `--layout`, and faults a profile is not expected to catch declared with a reason."""

from __future__ import annotations

import itertools

import pytest

from conformance.reference.dataset import generate_sessions
from conformance.selftest import kill_matrix


def _largest_tie(sessions: int, seed: int) -> tuple[int, int]:
    """(first index, last index) of the largest run of one `created` second, newest first."""
    listed = sorted(generate_sessions(sessions, seed), key=lambda s: (s["created"], s["id"]), reverse=True)
    spans, at = [], 0
    for _second, group in itertools.groupby(listed, key=lambda s: s["created"]):
        size = len(list(group))
        spans.append((size, -at, at, at + size - 1))
        at += size
    _size, _neg, first, last = max(spans)
    return first, last


def test_each_layout_puts_the_largest_tie_where_it_says() -> None:
    page = kill_matrix.PAGE
    first, last = _largest_tie(*kill_matrix.layout_account("boundary"))
    assert first > 0 and first % page == 0
    first, last = _largest_tie(*kill_matrix.layout_account("inside"))
    assert first // page == last // page and first % page > 0 and last % page < page - 1
    first, last = _largest_tie(*kill_matrix.layout_account("across"))
    assert first // page < last // page and first % page > 0
    assert kill_matrix.layout_account("default") == kill_matrix.DEFAULT_ACCOUNT
    with pytest.raises(ValueError, match="unknown layout"):
        kill_matrix.layout_account("sideways")


def test_a_miss_is_missed_unless_the_profile_declares_why(monkeypatch: pytest.MonkeyPatch) -> None:
    assert kill_matrix.result_cell("quick", "limit-clamped", []) == "caught"
    assert kill_matrix.result_cell("quick", "limit-clamped", ["LIM-005"]) == "**MISSED** LIM-005"
    monkeypatch.setitem(kill_matrix.PROFILE_EXCEPTIONS, "quick", {"limit-clamped": "too few limits tried"})
    assert kill_matrix.result_cell("quick", "limit-clamped", ["LIM-005"]) == \
        "missed LIM-005 (not expected of quick: too few limits tried)"
    assert kill_matrix.result_cell("standard", "limit-clamped", ["LIM-005"]) == "**MISSED** LIM-005"


def test_every_profile_has_a_declaration_table_and_its_own_document() -> None:
    from conformance.profiles import PROFILES

    assert set(kill_matrix.PROFILE_EXCEPTIONS) == set(PROFILES)
    assert kill_matrix.default_output("standard", "default") == kill_matrix.DOC
    assert kill_matrix.default_output("quick", "default").name == "kill-matrix-quick.md"
    assert kill_matrix.default_output("quick", "across").name == "kill-matrix-quick-across.md"


def test_rows_run_with_the_profile_and_layout_asked(capsys: pytest.CaptureFixture[str]) -> None:
    code = kill_matrix.main(["--profile", "quick", "--layout", "inside", "--processes", "1",
                             "--fault", "next-cursor-backward-ties"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("next-cursor-backward-ties (quick, inside account): declared ENV-005; caught;")


@pytest.mark.parametrize("profile, fault", [(p, f) for p, faults in kill_matrix.PROFILE_EXCEPTIONS.items()
                                            for f in faults])
def test_a_declared_miss_is_really_missed_and_caught_by_standard(profile: str, fault: str) -> None:
    # An entry that no longer describes the suite goes: the profile must still miss the fault, and
    # the standard profile must catch it (the reason says what standard does that the profile does not).
    from conformance.catalog import default_catalog
    from conformance.reference.faults import FAULTS

    catalog, breaks = default_catalog(), FAULTS[fault].breaks
    assert kill_matrix.missed(breaks, kill_matrix.run_fault(fault, False, profile).by_id, catalog)
    assert not kill_matrix.missed(breaks, kill_matrix.run_fault(fault, False, "standard").by_id, catalog)
