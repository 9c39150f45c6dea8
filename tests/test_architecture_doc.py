"""docs/architecture.md is true of the tree: its requirement map, its folders and their one sentence."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conformance.selftest.requirement_map import BEGIN, END, table, with_table

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
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"conformance/{stage}/__init__.py has no docstring"
        assert f"`conformance/{stage}/`" in DOC, f"docs/architecture.md does not describe conformance/{stage}/"
