"""Shared test set-up."""

from __future__ import annotations

import os
import tempfile

import pytest

# Generated-request caching is exercised by its own test; elsewhere each test session
# starts from an empty cache of its own, so no run depends on an earlier one.
os.environ.setdefault("CONFORMANCE_CACHE_DIR", tempfile.mkdtemp(prefix="conformance-cache-"))


@pytest.fixture(scope="session")
def fault_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, object]:
    """Every fault judged once per session (the fault matrix and the mutation test share it):
    in worker processes, and under pytest-xdist by whichever worker comes first, the others
    reading its results."""
    from conformance.reference.faults import FAULTS
    from conformance.selftest.kill_matrix import cached_runs, shared_runs

    faults = [None, *FAULTS]
    if "PYTEST_XDIST_WORKER" in os.environ:
        return dict(shared_runs(tmp_path_factory.getbasetemp().parent / "fault-matrix", faults))
    return dict(cached_runs(faults))


@pytest.fixture(scope="session")
def churn_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, object]:
    """The same on a live collection (the kill matrix's churn column), keyed by fault name."""
    from conformance.reference.faults import FAULTS
    from conformance.selftest.kill_matrix import cached_runs, churn_key, shared_runs

    faults = [None, *FAULTS]
    keys = [churn_key(f) for f in faults]
    if "PYTEST_XDIST_WORKER" in os.environ:
        runs = shared_runs(tmp_path_factory.getbasetemp().parent / "fault-matrix-churn", keys)
    else:
        runs = cached_runs(keys)
    return {fault: runs[key] for fault, key in zip(faults, keys, strict=True)}
