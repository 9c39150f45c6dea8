"""A disk cache for generated requests (and for facts such as "this spec digest validated").

Generation is a pure function of the spec, the seed, the example count and the
library versions, yet it costs seconds (importing Schemathesis, loading the document,
drawing cases) while the requests themselves take milliseconds. The cache holds only
queries and headers the suite generated itself: never a key, never a response.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

CACHE_ENV = "CONFORMANCE_CACHE_DIR"


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "checkout-conformance"


def cache_key(*parts: Any) -> str:
    versions = list(library_versions().values())
    return hashlib.sha256(json.dumps([*parts, *versions]).encode()).hexdigest()[:32]


def library_versions() -> dict[str, str]:
    """The versions generation depends on: the suite's own, Schemathesis' and Hypothesis'."""
    return {name: _version(name) for name in ("checkout-conformance", "schemathesis", "hypothesis")}


def cached(key: str, produce: Callable[[], list[Any]]) -> list[Any]:
    """produce() once per key; a cache that cannot be read or written is simply skipped."""
    path = cache_dir() / f"generated-{key}.json"
    with contextlib.suppress(OSError, ValueError):
        return list(json.loads(path.read_text(encoding="utf-8")))
    value = produce()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value), encoding="utf-8")
        tmp.replace(path)  # atomic: a parallel run never reads half a file
    return value


class _Seen:
    before = False


@contextlib.contextmanager
def remembered(kind: str, *parts: str) -> Iterator[_Seen]:
    """Whether this fact (e.g. "spec-valid" for a digest) was recorded before; recorded
    when the block ends without an exception. An unwritable cache records nothing."""
    path = cache_dir() / f"{kind}-{hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]}"
    seen = _Seen()
    seen.before = path.is_file()
    yield seen
    if not seen.before:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"
