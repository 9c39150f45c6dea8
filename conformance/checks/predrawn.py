"""Generated requests drawn ahead of time and shipped in the package, for the default seed.

A first run on a new machine would otherwise import Schemathesis, load the document
into it and draw the cases (2-4 s, more than the rest of the run) before the disk cache
(``generation_cache``) has anything. The rows here are exactly what
``generation.generate_requests`` gives for seed 0 at the ``quick`` and ``standard``
example counts, under the same key as the disk cache: the spec's digest, the seed, the
count and the suite, Schemathesis and Hypothesis versions. A run whose key differs (an
edited spec, another library version) draws as before, so what is sent never depends on
whether this file was used; when only the library versions differ, the run says so in one
progress line (``drawn_afresh_note``), never a failure. ``tests/checks/test_predrawn.py`` fails when the file no
longer matches a fresh draw; regenerate it with::

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
    return {entry["key"]: entry["rows"] for entry in _shipped()}


@cache
def _shipped() -> list[dict[str, Any]]:
    try:
        data = json.loads((resources.files("conformance.checks") / PREDRAWN_FILE).read_text(encoding="utf-8"))
        return [dict(entry) for entry in data["entries"] if "key" in entry and "rows" in entry]
    except (OSError, ValueError, KeyError, TypeError):  # missing or damaged: draw as before
        return []


def drawn_afresh_note(spec_sha256: str, seed: int, examples: int) -> str | None:
    """The one progress line for a run whose generated requests were shipped for this spec, seed
    and count but under other library versions, so they are drawn afresh: which versions drew
    the shipped ones and which this environment has. None when the shipped cases are used, or
    none were shipped for them (another seed: drawing is simply what happens).

    Never a failure: the same seed and versions draw the same requests (generation is pure), so
    the verdict does not depend on whether the shipped file was used.
    """
    from conformance.generation_cache import cache_key, library_versions

    if predrawn_rows(cache_key(spec_sha256, seed, examples)) is not None:
        return None
    shipped = next((e for e in _shipped() if (e.get("spec_sha256"), e.get("seed"), e.get("examples"))
                    == (spec_sha256, seed, examples)), None)
    if shipped is None or not isinstance(shipped.get("versions"), dict):
        return None
    then, now = shipped["versions"], library_versions()
    # The two drawing libraries always; the suite's own version when it is the one that moved.
    names = ["hypothesis", "schemathesis"] + (["checkout-conformance"] if then.get("checkout-conformance")
                                              != now.get("checkout-conformance") else [])
    return ("generated requests: drawn afresh (the shipped cases were drawn with "
            + ", ".join(f"{name} {then.get(name, '?')}" for name in names)
            + "; this environment has " + ", ".join(f"{name} {now.get(name, '?')}" for name in names) + ")")
