"""Shared test set-up."""

from __future__ import annotations

import os
import tempfile

# Generated-request caching is exercised by its own test; elsewhere each test session
# starts from an empty cache of its own, so no run depends on an earlier one.
os.environ.setdefault("CONFORMANCE_CACHE_DIR", tempfile.mkdtemp(prefix="conformance-cache-"))
