"""For each requirement of the catalog, the files that hold its judgement and its probes.

The table in docs/architecture.md is this module's output, so a newcomer finds a requirement's
code without a search; ``tests/test_architecture_doc.py`` fails when the two differ. Regenerate
it after adding or moving a check::

    python -m conformance.selftest.requirement_map --write
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.catalog import default_catalog
from conformance.checks.registry import CHECKS, PROBES

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
BEGIN = "<!-- requirement map: python -m conformance.selftest.requirement_map --write -->"
END = "<!-- end of requirement map -->"


def _file(function: Callable[..., Any]) -> str:
    """The source file of a judgement or probe function, relative to the package's parent."""
    while isinstance(function, functools.partial):
        function = function.func
    module = getattr(function, "__module__", None) or type(function).__module__
    return "`" + module.replace(".", "/") + ".py`"


def table() -> str:
    """The markdown table: requirement, level, judged in, probed by (the probes of the judging checks' areas)."""
    judged: dict[str, set[str]] = {}
    areas: dict[str, set[str]] = {}
    for check in CHECKS:
        for verified in check.verifies:
            judged.setdefault(verified, set()).add(_file(check.judge))
            areas.setdefault(verified, set()).add(check.area)
    probed: dict[str, set[str]] = {}
    for probe in PROBES:
        probed.setdefault(probe.area, set()).add(_file(probe.run))
    rows = ["| Requirement | Level | Judged in | Probed by |", "|---|---|---|---|"]
    for requirement in default_catalog().requirements:
        probes = set().union(*(probed.get(area, set()) for area in areas.get(requirement.id, set())))
        judged_in = ", ".join(sorted(judged.get(requirement.id, set()))) or "not judged"
        probed_by = ", ".join(sorted(probes)) or "the reference walks (every list page)"
        rows.append(f"| {requirement.id} | {requirement.level} | {judged_in} | {probed_by} |")
    return "\n".join(rows)


def with_table(document: str) -> str:
    """`document` with the text between the markers replaced by the current table; ValueError without them."""
    head, found, rest = document.partition(BEGIN)
    _old, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"{DOC} lacks the requirement map's markers")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> None:
    if argv == ["--write"]:
        DOC.write_text(with_table(DOC.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote the requirement map into {DOC}")
    else:
        print(table())


if __name__ == "__main__":
    main(sys.argv[1:])
