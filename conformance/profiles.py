"""How hard a run looks. `standard` is the default and what CI gates use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    # Page budgets per walk: a 1M-session target is sampled, not read whole.
    pages_limit_100: int
    pages_limit_7: int
    pages_limit_1: int
    pages_default: int
    pages_filtered: int
    filtered_limit: int
    # limits tried besides 1 and 100 (LIM-002); "all" tries 1..100.
    extra_limits: tuple[int, ...] | str
    # Schemathesis examples per generation mode.
    generated_examples: int
    cursor_samples: int
    # The request cap when --max-requests is not given: above what the budgets above can send
    # against any account, so that the cap stops only a target that makes the suite retry.
    max_requests: int = 2000


PROFILES: dict[str, Profile] = {
    "quick": Profile("quick", 5, 10, 15, 5, 8, 3, (7, 10), 15, 3),
    # standard's budgets read a 57-session account whole with room to spare and cost a 1M-session
    # account about 1.3x the requests (issue 12's goal: 1.5x the time); 2026-11-30's earlier
    # 20/30/15/20 pages caught one fault more, and only on an account of exactly 2,000 sessions
    # (bench/budget_detection.py, BENCHMARKS.md).
    "standard": Profile("standard", 10, 15, 60, 10, 10, 3, (2, 7, 10, 50, 99), 40, 6),
    # thorough's budgets alone can send about 3,000 requests on a large account.
    "thorough": Profile("thorough", 200, 300, 400, 100, 200, 2, "all", 200, 12, max_requests=6000),
}


def limits_to_try(profile: Profile) -> list[int]:
    if profile.extra_limits == "all":
        return list(range(1, 101))
    return sorted({1, 100, *profile.extra_limits})
