"""Small helpers for sentences a person reads: counts with the right plural, capped lists.

"1 request", "2 requests"; "cs_1 cs_2 cs_3 and 4 more": never "request(s)", never a list
cut short without saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and the noun in the right number: plural(1, "request") -> "1 request",
    plural(3, "session") -> "3 sessions", plural(2, "entry", "entries") -> "2 entries"."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


@dataclass(frozen=True)
class Noun:
    """What a list operation lists, in both numbers ("invoice", "invoices"), for sentences about its
    items (coverage, activity). From the operation's own path (conformance.operations.items_noun):
    target text, so every report escapes the sentences it is in like any other."""

    one: str
    many: str

    def word(self, count: int) -> str:
        """The noun in the number ``count`` asks for."""
        return self.one if count == 1 else self.many


# Checkout sessions' noun: the words of every run before families, unchanged.
SESSIONS = Noun("session", "sessions")
# For a path whose last segment names no plural (``/v1/list``, ``/v1/{id}``).
OBJECTS = Noun("object", "objects")


def capped(items: Sequence[str], limit: int, sep: str = " ") -> str:
    """At most ``limit`` of ``items`` joined by ``sep``, then " and N more" for the rest
    ("-" for none, so an empty list still reads as a value)."""
    if not items:
        return "-"
    shown = sep.join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown
