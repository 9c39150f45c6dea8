"""Reading the suite's own source as a syntax tree, for the tests that check its shape."""

from __future__ import annotations

import ast

# How often a parse that CPython 3.11 fails spuriously (below) is tried; a real error repeats.
_TRIES = 5


def parse(source: str) -> ast.Module:
    """`source` parsed by `ast.parse`; SyntaxError as `ast.parse` raises it.

    CPython 3.11 keeps the AST constructor's recursion count in state shared by the interpreter's
    threads, and a parse that meets another in flight can end in "SystemError: AST constructor
    recursion depth mismatch" (python/cpython#106905; Hypothesis parses source to describe functions,
    on whatever thread generates). In a full test run that made the layer test fail once, depending
    on which tests ran beside it. The count starts afresh with each parse, so the parse is tried
    again; a SystemError of any other kind, or one that repeats, is raised.
    """
    for attempt in range(1, _TRIES + 1):
        try:
            return ast.parse(source)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == _TRIES:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises
