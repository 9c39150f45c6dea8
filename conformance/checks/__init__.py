"""The conformance checks. Also a pytest plugin: ``pytest --pyargs conformance.checks``."""
