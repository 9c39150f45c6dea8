"""Self-tests of the suite: inject every known fault into the reference server and show
what the suite reports (the kill matrix, ``python -m conformance.selftest.kill_matrix``)."""
