"""Target text made inert before it reaches a terminal or a rendered page.

Ids, messages and headers come from the target. Printed raw, an ESC sequence can clear
the screen or recolour a CI log, a carriage return or newline can overwrite or forge a
line (``verdict: CONFORMANT``), and a bidirectional override can reorder what a reader
sees. ``inert`` shows each such character as a visible escape instead.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (Unicode category Cc), the line and paragraph separators, and
# the bidirectional embeddings, overrides and isolates (Unicode TR9 "explicit formatting").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text: object) -> str:
    """`str(text)` with every control character written as a ``\\xNN``/``\\uNNNN`` escape:
    one line, nothing a terminal or a Markdown renderer acts on."""
    return _CONTROL.sub(_escaped, str(text))


# `_CONTROL` without tab and newline: the layout characters of a page we render ourselves.
_CONTROL_IN_PAGE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def inert_page(text: str) -> str:
    """A whole rendered page (report.html) with every control character but tab and newline
    written as a ``\\xNN``/``\\uNNNN`` escape, so `cat` or `less -R` in a CI log shows the
    target's text without acting on it. Target newlines stay: in HTML they are layout."""
    return _CONTROL_IN_PAGE.sub(_escaped, text)
