"""Each profile meets the faults that live at the edges of the list, whatever the account's size.

A 60-session account read with `quick`: no walk of quick's budgets ends on a full page (60 is
no multiple of 100 or 7, and the walks at 1 and 10 stop on their budget), so `has_more` on a
full last page is met only by a cursor placed by what the reference walk read (issue 21).
"""

from __future__ import annotations

import logging

import pytest

from conformance.profiles import PROFILES
from conformance.reference import ReferenceConfig, start_background
from conformance.run.runner import RunOptions, run


def _pag007(profile: str, fault: str | None) -> str:
    logging.getLogger("conformance.reference").setLevel(logging.CRITICAL)
    config = ReferenceConfig(fault=fault, sessions=60)
    with start_background(config) as server:
        result = run(RunOptions(base_url=server.base_url, api_key=server.api_key,
                                api_version=config.api_versions[0], profile=PROFILES[profile]))
    return {v.requirement: v.verdict.value for v in result.verdicts}["PAG-007"]


@pytest.mark.parametrize("profile", ["quick", "standard"])
def test_has_more_on_a_full_last_page_fails_in_every_profile(profile: str) -> None:
    assert _pag007(profile, "has-more-when-full") == "fail"


@pytest.mark.parametrize("profile", ["quick", "standard"])
def test_the_correct_server_passes_in_every_profile(profile: str) -> None:
    assert _pag007(profile, None) == "pass"
