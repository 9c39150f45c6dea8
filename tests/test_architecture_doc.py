"""docs/architecture.md is true of the tree: its requirement map, its folders and their one sentence."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conformance.selftest.requirement_map import BEGIN, END, table, with_table
from tests.support.source import parse

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
STAGES = ("record", "checks", "judge", "run", "reports", "reference", "selftest", "pytest_plugin")


def test_the_requirement_map_is_current() -> None:
    assert with_table(DOC) == DOC, "regenerate it: python -m conformance.selftest.requirement_map --write"


def test_the_map_names_every_requirement_and_only_files_that_exist() -> None:
    rows = [line for line in table().splitlines()[2:]]
    assert len(rows) == len(re.findall(r"\bid: [A-Z]+-\d+", (REPO / "spec" / "requirements.yaml").read_text()))
    for path in set(re.findall(r"`(conformance/[\w/]+\.py)`", table())):
        assert (REPO / path).is_file(), path
    assert "not judged" not in table()  # every requirement of the catalog has a check


def test_every_file_the_doc_names_exists() -> None:
    for path in set(re.findall(r"`(conformance/[\w/]+(?:\.py|/))`", DOC.replace(BEGIN, "").replace(END, ""))):
        assert (REPO / path).exists(), f"docs/architecture.md names {path}, which does not exist"


def test_each_stage_folder_says_its_job_in_its_init_docstring() -> None:
    for stage in STAGES:
        init = REPO / "conformance" / stage / "__init__.py"
        docstring = ast.get_docstring(parse(init.read_text(encoding="utf-8")))
        assert docstring, f"conformance/{stage}/__init__.py has no docstring"
        assert f"`conformance/{stage}/`" in DOC, f"docs/architecture.md does not describe conformance/{stage}/"


def test_the_map_names_the_probes_a_judgement_reads_not_its_areas() -> None:
    """FLT-007 is judged on the foreign-cursor probe's exchanges (and the reference walk's cursors),
    not on the filtering and portability probes of its area (the map's old approximation)."""
    row = next(line for line in table().splitlines() if line.startswith("| FLT-007 |"))
    probed_by = row.split("|")[4]
    assert "`conformance/checks/foreign_cursor.py`" in probed_by
    assert "filtering.py" not in probed_by and "portability.py" not in probed_by
    auth = next(line for line in table().splitlines() if line.startswith("| AUTH-001 |"))
    assert auth.split("|")[4].strip() == "`conformance/checks/auth.py`"


def test_a_check_that_reads_another_probes_tag_is_mapped_to_that_probe() -> None:
    """The map is measured from what a judgement asks for: a check in one area that reads the
    version probe's exchanges by tag is probed by version.py, whatever its own area."""
    from conformance.checks.base import Check, Record, RunContext
    from conformance.checks.registry import PROBES
    from conformance.selftest.requirement_map import measure
    from conformance.spec import Spec
    from conformance.verdicts import Outcome

    def judge(record: Record, _context: RunContext, _spec: Spec) -> list[Outcome]:
        record.tagged("version:unknown")
        return []

    measured = measure(PROBES, (Check("test.reader", "auth", ("AUTH-001",), judge),))
    assert measured.read["AUTH-001"] == {"version:unknown"}
    assert measured.probe_of_tag["version:unknown"] == {"`conformance/checks/version.py`"}
