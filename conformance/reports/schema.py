"""The JSON Schema of report.json, shipped beside this module, and validation against it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_FILE = "report.schema.json"


@cache
def report_schema() -> dict[str, Any]:
    # importlib.resources, not a path beside __file__: the wheel may be zipped.
    text = resources.files("conformance.reports").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def report_problems(report: Any) -> list[str]:
    """Every way `report` departs from the schema, as 'path: message' lines (empty when valid)."""
    validator = jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        problems.append(f"{where}: {error.message}")
    return problems
