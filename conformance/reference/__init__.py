"""The embedded reference server: a real implementation of ``GET /v1/checkout/sessions``
over a generated, seeded data set, with optional injected faults."""

from conformance.reference.config import SUPPORTED_API_VERSIONS, ReferenceConfig
from conformance.reference.server import (
    RunningServer,
    ServerStartError,
    serve_forever,
    start_background,
)

__all__ = ["SUPPORTED_API_VERSIONS", "ReferenceConfig", "RunningServer", "ServerStartError",
           "serve_forever", "start_background"]
