"""docs/contract.md traces every reading of CONTRACT.md to requirement IDs that exist.

A reading without an ID is a rule nobody encoded; an ID the catalog lacks is a pointer to
nothing; a MUST reading encoded by a SHOULD requirement (or the reverse) changes the verdict
the contract asks for; a requirement no reading names has no source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.catalog import Catalog, default_catalog

DOC = Path(__file__).resolve().parents[1] / "docs" / "contract.md"
LEVELS = ("MUST", "SHOULD", "either", "model")
_ID = re.compile(r"[A-Z]+-[0-9]{3}")


@dataclass(frozen=True)
class Reading:
    number: str
    level: str
    text: str
    ids: tuple[str, ...]


def readings(text: str) -> list[Reading]:
    """The rows of the doc's tables whose first cell is a number."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 5 and cells[0].isdigit():
            rows.append(Reading(cells[0], cells[2], cells[3], tuple(cells[4].split())))
    return rows


def problems(rows: list[Reading], catalog: Catalog) -> list[str]:
    """What is wrong with the traceability table, one sentence each (empty: nothing)."""
    found = []
    numbers = [r.number for r in rows]
    if numbers != [str(n) for n in range(1, len(rows) + 1)]:
        found.append(f"rows are not numbered 1..{len(rows)} in order: {numbers}")
    for row in rows:
        if row.level not in LEVELS:
            found.append(f"reading {row.number} has level {row.level!r}, not one of {LEVELS}")
        if not row.ids:
            found.append(f"reading {row.number} ({row.text[:60]}...) names no requirement")
        for rid in row.ids:
            if not _ID.fullmatch(rid) or rid not in catalog:
                found.append(f"reading {row.number} names {rid}, which spec/requirements.yaml does not define")
            elif row.level in ("MUST", "SHOULD") and catalog[rid].level != row.level:
                found.append(f"reading {row.number} is a {row.level} but {rid} is a {catalog[rid].level}")
    named = {rid for row in rows for rid in row.ids}
    found += [f"{r.id} is named by no reading" for r in catalog.requirements if r.id not in named]
    return found


def test_every_reading_names_requirements_that_exist() -> None:
    rows = readings(DOC.read_text(encoding="utf-8"))
    assert len(rows) > 50, "the table was not found"
    assert problems(rows, default_catalog()) == []


@pytest.mark.parametrize("row, wanted", [
    ("| 1 | Envelope | MUST | A reading nobody encoded. | |", "names no requirement"),
    ("| 1 | Envelope | MUST | A reading. | ENV-999 |", "does not define"),
    ("| 1 | Envelope | MUST | A reading. | env-001 |", "does not define"),
    ("| 1 | Envelope | MUST | A reading. | ENV-006 |", "is a MUST but ENV-006 is a SHOULD"),
    ("| 1 | Envelope | MAYBE | A reading. | ENV-001 |", "has level"),
])
def test_a_broken_row_is_found(row: str, wanted: str) -> None:
    # The same check on a table with one bad row: it cannot pass a doc that is wrong.
    found = problems(readings(row), default_catalog())
    assert any(wanted in p for p in found), found


def test_a_requirement_no_reading_names_is_found() -> None:
    catalog = default_catalog()
    rows = [r for r in readings(DOC.read_text(encoding="utf-8")) if "FLT-007" not in r.ids]
    rows = [Reading(str(n), r.level, r.text, r.ids) for n, r in enumerate(rows, 1)]
    assert "FLT-007 is named by no reading" in problems(rows, catalog)
