"""The pytest plugin: the checks inside a team's own pytest run (``pytest --pyargs conformance.checks``)."""
