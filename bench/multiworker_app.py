"""An ASGI factory for `uvicorn --factory multiworker_app:create --workers N` (bench/load.py).

`checkout-conformance serve` runs one process; this serves the same app from N uvicorn
workers, each opening the prebuilt read-only SQLite file (BENCH_DB) itself.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from conformance.reference.app import create_app
from conformance.reference.config import ReferenceConfig


def create() -> Starlette:
    config = ReferenceConfig(sessions=int(os.environ["BENCH_SESSIONS"]), seed=0,
                             api_key=os.environ["BENCH_API_KEY"], db=os.environ["BENCH_DB"])
    return create_app(config)
