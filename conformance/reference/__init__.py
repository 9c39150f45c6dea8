"""The embedded reference server: a real implementation of ``GET /v1/checkout/sessions``
over a generated, seeded data set, with optional injected faults."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conformance.reference.config import SUPPORTED_API_VERSIONS, ReferenceConfig

if TYPE_CHECKING:
    from conformance.reference.server import RunningServer, ServerStartError, serve_forever, start_background

__all__ = ["SUPPORTED_API_VERSIONS", "ReferenceConfig", "RunningServer", "ServerStartError",
           "serve_forever", "start_background"]

# The server (uvicorn, ~0.4 s to import) is loaded on first use: the diagnosis reads the
# fault catalog (conformance.reference.faults) of a run against any target, without serving.
_SERVER = ("RunningServer", "ServerStartError", "serve_forever", "start_background")


def __getattr__(name: str) -> Any:
    if name in _SERVER:
        return getattr(importlib.import_module("conformance.reference.server"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
