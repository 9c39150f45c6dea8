"""checkout-conformance: the conformance suite for ``GET /v1/checkout/sessions``."""

__version__ = "0.2.0"
