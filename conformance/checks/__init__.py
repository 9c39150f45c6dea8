"""checks: the requirements by area, each a probe that asks and pure judgements of what it recorded.

``test_requirements.py`` is not a check: it is where ``pytest --pyargs conformance.checks`` (the
documented command) collects one test per requirement; the plugin is ``conformance.pytest_plugin``.
"""
