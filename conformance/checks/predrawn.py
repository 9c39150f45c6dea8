"""Generated requests drawn ahead of time and shipped in the package, for the default seed.

A first run on a new machine would otherwise import Schemathesis, load the document
into it and draw the cases (2-4 s, more than the rest of the run) before the disk cache
(``generation_cache``) has anything. The rows here are exactly what
``generation.generate_requests`` gives for seed 0 at the ``quick`` and ``standard``
example counts, under the same key as the disk cache: the spec's digest, the seed, the
count and the suite, Schemathesis and Hypothesis versions. A run whose key differs (an
edited spec, another library version) draws as before, so what is sent never depends on
whether this file was used. ``tests/checks/test_predrawn.py`` fails when the file no
longer matches a fresh draw; regenerate it with the maintainer's script (not a runtime module)::

    python -m conformance.selftest.redraw_predrawn
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

PREDRAWN_FILE = "predrawn.json"


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
