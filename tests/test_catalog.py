"""The requirement catalog is data; every ID is verified, every check names known IDs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conformance.catalog import LEVELS, default_catalog, load_catalog
from conformance.checks.registry import CHECKS
from conformance.errors import SpecError


def test_ids_are_unique_and_levels_valid() -> None:
    catalog = default_catalog()
    counts = Counter(r.id for r in catalog.requirements)
    assert [i for i, n in counts.items() if n > 1] == []
    assert {r.level for r in catalog.requirements} <= set(LEVELS)
    assert 40 <= len(catalog.requirements) <= 70


def test_every_requirement_is_verified_by_a_check() -> None:
    verified = {r for check in CHECKS for r in check.verifies}
    unverified = [r.id for r in default_catalog().requirements if r.id not in verified]
    assert unverified == []


def test_every_check_names_only_known_requirements() -> None:
    catalog = default_catalog()
    unknown = [(c.name, r) for c in CHECKS for r in c.verifies if r not in catalog]
    assert unknown == []


def test_check_names_are_unique() -> None:
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))


def test_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.yaml"
    entry = "{id: X-001, area: a, level: MUST, source: seed, text: t}"
    path.write_text(f"requirements:\n  - {entry}\n  - {entry}\n")
    with pytest.raises(SpecError, match="twice"):
        load_catalog(path)


def test_an_unknown_level_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.yaml"
    path.write_text("requirements:\n  - {id: X-001, area: a, level: MAY, source: seed, text: t}\n")
    with pytest.raises(SpecError, match="MAY"):
        load_catalog(path)
