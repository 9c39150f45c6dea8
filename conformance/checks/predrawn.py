"""Generated requests drawn ahead of time and shipped in the package, for the default seed.

A first run on a new machine would otherwise import Schemathesis, load the document
into it and draw the cases (2-4 s, more than the rest of the run) before the disk cache
(``generation_cache``) has anything. The rows here are exactly what
``generation.generate_requests`` gives for seed 0 at the ``quick`` and ``standard``
example counts, under the same key as the disk cache: the spec's digest, the seed, the
count and the suite, Schemathesis and Hypothesis versions. A run whose key differs (an
edited spec, another library version) draws as before, so what is sent never depends on
whether this file was used. ``tests/checks/test_predrawn.py`` fails when the file no
longer matches a fresh draw; regenerate it with::

    python -m conformance.checks.predrawn
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

PREDRAWN_FILE = "predrawn.json"
# (seed, examples per generation mode): the default seed at the quick and standard profiles.
SHIPPED = ((0, 15), (0, 40))


def predrawn_rows(key: str) -> list[Any] | None:
    """The shipped rows for a disk-cache key, or None when none were drawn for it."""
    return _entries().get(key)


@cache
def _entries() -> dict[str, list[Any]]:
    try:
        data = json.loads((resources.files("conformance.checks") / PREDRAWN_FILE).read_text(encoding="utf-8"))
        return {entry["key"]: entry["rows"] for entry in data["entries"]}
    except (OSError, ValueError, KeyError, TypeError):  # missing or damaged: draw as before
        return {}


def draw_all() -> dict[str, Any]:
    """The file's content, drawn now with the installed libraries (slow: seconds)."""
    from conformance.checks.generation import rows_of
    from conformance.generation_cache import cache_key, library_versions
    from conformance.spec import default_spec

    spec = default_spec()
    entries = [{"key": cache_key(spec.sha256, seed, examples), "seed": seed, "examples": examples,
                "spec_sha256": spec.sha256, "versions": library_versions(), "rows": rows_of(spec, seed, examples)}
               for seed, examples in SHIPPED]
    return {"about": "generated requests drawn ahead of time; python -m conformance.checks.predrawn redraws them",
            "entries": entries}


def as_text(content: dict[str, Any]) -> str:
    """JSON with one request per line, so a redraw shows in a diff request by request."""
    lines = ["{", f' "about": {json.dumps(content["about"])},', ' "entries": [']
    for n, entry in enumerate(content["entries"]):
        head = {k: v for k, v in entry.items() if k != "rows"}
        lines.append(f"  {json.dumps(head)[:-1]}, \"rows\": [")
        rows = [f"   {json.dumps(row)}" for row in entry["rows"]]
        lines.append(",\n".join(rows))
        lines.append("  ]}" + ("," if n < len(content["entries"]) - 1 else ""))
    return "\n".join([*lines, " ]", "}", ""])


def main() -> None:
    path = Path(__file__).with_name(PREDRAWN_FILE)
    path.write_text(as_text(draw_all()), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
