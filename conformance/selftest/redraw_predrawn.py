"""Redraw the generated requests shipped for the default seed (conformance/checks/predrawn.json).

A maintainer's script, kept out of the runtime module (conformance.checks.predrawn) so that
the generation and the rows it ships do not import each other::

    python -m conformance.selftest.redraw_predrawn
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.checks import predrawn
from conformance.checks.predrawn import PREDRAWN_FILE

# (seed, examples per generation mode): the default seed at the quick and standard profiles.
SHIPPED = ((0, 15), (0, 40))


def draw_all() -> dict[str, Any]:
    """The file's content, drawn now with the installed libraries (slow: seconds)."""
    from conformance.checks.generation import rows_of  # here: Schemathesis loads on first draw
    from conformance.generation_cache import cache_key, library_versions
    from conformance.spec import default_spec

    spec = default_spec()
    entries = [{"key": cache_key(spec.sha256, seed, examples), "seed": seed, "examples": examples,
                "spec_sha256": spec.sha256, "versions": library_versions(), "rows": rows_of(spec, seed, examples)}
               for seed, examples in SHIPPED]
    about = "generated requests drawn ahead of time; python -m conformance.selftest.redraw_predrawn redraws them"
    return {"about": about, "entries": entries}


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
    path = Path(predrawn.__file__).with_name(PREDRAWN_FILE)
    path.write_text(as_text(draw_all()), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
