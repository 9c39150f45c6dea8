"""Keeps the API key out of everything the suite prints or writes.

A target that wants the key in the report can echo it in any spelling a reader will later
undo: JSON ``\\u0073`` escapes (the report builds evidence from *parsed* bodies),
percent-encoding, HTML or XML character references, escapes of escapes (``\\\\u0073``,
``%5Cu0073``, ``&amp;#115;``), another letter case, or base64 of ``key``, ``key:`` or
``:key`` at any offset inside a longer string (a Basic credential echoed back).

So the redactor does not list spellings. It normalises, then matches: the text is decoded
escape by escape, round after round until nothing changes (up to four rounds), keeping
for every decoded character the span of the original text it came from. A text holding
escapes of several kinds is also decoded one kind at a time, as a JSON parser, a URL
decoder or a browser would (``_decodings``): an escape of one kind can straddle the first
characters of a secret spelled in another. The secrets are searched for in every decoded
text (in any letter case), and so are their base64 *cores*, the base64 characters that
depend on the secret's bytes alone at each of the three byte alignments; every span found
is masked in the original text.

``Redactor.text`` is the one function every string leaving the process passes through:
transcripts (``Client``), report files (``reports.writer``), the console (``console``) and
error lines (``cli``).
"""

from __future__ import annotations

import base64
import functools
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

MASK = "[REDACTED]"


class RedactionTooSlow(Exception):
    """Masking a text would take longer than the time it was given (Redactor.text's `within`)."""


def _in_time(ends_at: float | None) -> None:
    if ends_at is not None and time.monotonic() > ends_at:
        raise RedactionTooSlow

# Words in a header name that say its value is a credential (X-Api-Key, Cookie, X-Auth-Token...).
_SECRET_HEADER_WORDS = ("cookie", "token", "secret", "key", "auth", "session", "password")

# Fewer base64 characters than this that depend on the secret alone are not searched for
# at every offset: a 2-character run would mask innocent text all over a report. Secrets
# that short are still masked in their whole-credential base64 forms.
_MIN_BASE64_CORE = 6

# Escapes of escapes are undone round after round; a spelling nested deeper than this is
# not one a reader undoes by accident.
_MAX_ROUNDS = 4

# One escaped character: a JSON/Python backslash escape (a surrogate pair as one), a run
# of percent-encoded bytes (UTF-8), an HTML/XML character reference. Every alternative
# starts with a literal character, which the regex engine finds at C speed.
_ESCAPES_OF_KIND = {
    "\\": r"\\(?:[uU]([dD][89abAB][0-9a-fA-F]{2})\\[uU]([dD][c-fC-F][0-9a-fA-F]{2})|[uU]([0-9a-fA-F]{4})"
          r"|x([0-9a-fA-F]{2})|([\"\\/']))",
    "%": r"%[0-9a-fA-F]{2}(?:%[0-9a-fA-F]{2})*",
    "&": r"&(?:#([0-9]+);?|#[xX]([0-9a-fA-F]+);?|(amp|AMP|lt|LT|gt|GT|quot|QUOT);?|(apos);)",
}
_ESCAPE = re.compile("|".join(_ESCAPES_OF_KIND.values()))
# HTML5's reading of a reference, which a browser showing report.html applies: digits as many
# as given, the ";" optional after a numeric reference and after the legacy named ones (which
# have capital forms too); a number past U+10FFFF is U+FFFD.
_MAX_CODE_DIGITS = 8
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}

# The kinds of escape, by the character each begins with: a JSON/Python reader undoes the
# first, a URL decoder the second, a browser the third. One kind's escape can straddle a
# secret spelled in another (`%00` before a secret beginning `00`, whose `"` is written
# `\"`): decoding every kind at once then eats the secret's first characters, where the
# reader of the secret's own kind sees it whole. So wherever a text holds several kinds,
# each kind is also undone alone (``_decodings``).
_KINDS = tuple(_ESCAPES_OF_KIND)
_KIND_PRESENT = {
    "\\": re.compile(r"\\(?:[uU][0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\"\\/'])"),
    "%": re.compile(r"%[0-9a-fA-F]{2}"),
    "&": re.compile(r"&(?:#[0-9]|#[xX][0-9a-fA-F]|amp|AMP|lt|LT|gt|GT|quot|QUOT|apos;)"),
}
_OF_KIND = {kind: re.compile(pattern) for kind, pattern in _ESCAPES_OF_KIND.items()}

# Where none of these is in a text, the only escapes _ESCAPE can match there are a backslash
# before one of "\/' (the others begin with \u, \U or \x, or are a percent escape or a
# reference, which _KIND_PRESENT finds), so a split-and-join, at C speed, decodes the text
# exactly as _ESCAPE would. That is nearly every line of exchanges.jsonl: a JSON body quoted
# inside a JSON line is all \" escapes.
_BACKSLASHED = re.compile(r"\\([\"\\/'])")
_WIDE_BACKSLASH = re.compile(r"\\[uUx]")
_OTHER_ESCAPE = re.compile("|".join([_WIDE_BACKSLASH.pattern, _KIND_PRESENT["%"].pattern,
                                     _KIND_PRESENT["&"].pattern]))


def looks_secret(header_name: str) -> bool:
    """Whether a header's value should be treated as a secret, judged by its name alone."""
    name = header_name.lower()
    return any(word in name for word in _SECRET_HEADER_WORDS)


def _decoded_units(match: re.Match[str]) -> list[tuple[str, int, int]]:
    """What one escape decodes to: (character, start, end) with the span it came from."""
    high, low, u, x, backslashed, decimal, hexadecimal, named, apos = match.groups()
    start, end = match.span()
    percent = match.group(0) if match.group(0).startswith("%") else None
    if high:
        pair = (chr(int(high, 16)) + chr(int(low, 16))).encode("utf-16", "surrogatepass").decode("utf-16")
        return [(pair, start, end)]
    if u or x:
        return [(chr(int(u or x, 16)), start, end)]
    if backslashed:
        return [(backslashed, start, end)]
    if percent:
        # UTF-8 bytes; a byte that is not UTF-8 becomes one lone surrogate (surrogateescape),
        # so that every character knows its own bytes.
        units = []
        at = start
        for char in bytes.fromhex(percent.replace("%", "")).decode("utf-8", "surrogateescape"):
            width = 3 * (1 if 0xDC80 <= ord(char) <= 0xDCFF else len(char.encode("utf-8")))
            units.append((char, at, at + width))
            at += width
        return units
    digits = (decimal or hexadecimal or "").lstrip("0") or ("0" if decimal or hexadecimal else "")
    if digits:
        # Leading zeros dropped and the length bounded first: int() refuses very long digit strings.
        code = int(digits, 10 if decimal else 16) if len(digits) <= _MAX_CODE_DIGITS else 0x110000
        return [(chr(code) if code <= 0x10FFFF else "\ufffd", start, end)]
    return [(_NAMED[(named or apos).lower()], start, end)]


@functools.lru_cache(maxsize=4096)
def _decoded_escape(escape: str) -> str:
    """What one escape (a whole `_ESCAPE` match) decodes to; the same few escapes recur."""
    match = _ESCAPE.fullmatch(escape)
    assert match is not None
    return "".join(char for char, _start, _end in _decoded_units(match))


def _decoded_text(match: re.Match[str]) -> str:
    return _decoded_escape(match[0])


def _decoded_once(text: str, kind: str | None = None) -> str:
    """`text` with every escape (of `kind` only, if given) decoded once: the text of
    `_decode_round`, without its spans."""
    fast = _OTHER_ESCAPE if kind is None else _WIDE_BACKSLASH if kind == "\\" else None
    if fast is not None and fast.search(text) is None:
        # split() keeps each escape's captured character between the pieces around it, so
        # joining them is the substitution, without a Python call per escape.
        return "".join(_BACKSLASHED.split(text))
    return (_ESCAPE if kind is None else _OF_KIND[kind]).sub(_decoded_text, text)


def _kinds_in(text: str) -> list[str]:
    """The kinds of escape `text` holds (see _KINDS)."""
    return [kind for kind in _KINDS if kind in text and _KIND_PRESENT[kind].search(text)]


def _decode_round(text: str, kind: str | None = None) -> tuple[str, list[int], list[int]] | None:
    """`text` with every escape (of `kind` only, if given) decoded once, and for each
    character of the result the start and end of its span in `text`; None when `text`
    holds no such escape."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    at = 0
    for match in _ESCAPE.finditer(text):
        if kind is not None and match[0][0] != kind:
            continue  # the escapes of one kind never overlap another kind's (each starts with its own character)
        if match.start() > at:
            pieces.append(text[at:match.start()])
            starts.extend(range(at, match.start()))
            ends.extend(range(at + 1, match.start() + 1))
        for char, start, end in _decoded_units(match):
            pieces.append(char)
            starts.extend([start] * len(char))
            ends.extend([end] * len(char))
        at = match.end()
    if not pieces:
        return None
    pieces.append(text[at:])
    starts.extend(range(at, len(text)))
    ends.extend(range(at + 1, len(text) + 1))
    return "".join(pieces), starts, ends


def base64_cores(secret: bytes) -> list[str]:
    """The base64 characters that encode `secret` alone, at each of the three alignments
    it can have inside a longer encoded string (standard and URL-safe alphabets).

    With `offset` bytes before it, character i of the encoding carries bits 6i..6i+5;
    those that lie wholly within the secret's bits are the same whatever surrounds it.
    """
    cores: list[str] = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret + b"\0\0").decode()
        first = -(-8 * offset // 6)  # ceil
        last = (8 * (offset + len(secret))) // 6  # exclusive
        core = encoded[first:last]
        if len(core) >= _MIN_BASE64_CORE:
            cores += [core, core.translate(str.maketrans("+/", "-_"))]
    return list(dict.fromkeys(cores))


def _whole_forms(secret: str) -> list[str]:
    """Base64 of the key as a whole Basic credential (for keys too short for cores)."""
    forms = []
    for wrapped in (f"{secret}:", f":{secret}", secret):
        encoded = base64.b64encode(wrapped.encode("utf-8", "surrogatepass")).decode()
        forms += [encoded, encoded.rstrip("="), encoded.translate(str.maketrans("+/", "-_"))]
    return forms


class Redactor:
    """Masks secrets (the API key, secret header values) in text.

    ``secrets`` are the strings never to be written; empty ones are ignored. ``text``
    returns its argument with every occurrence, in any spelling (see the module
    docstring), replaced by ``MASK``; overlapping and adjacent occurrences become one mask.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        kept = list(dict.fromkeys(s for s in secrets if s))
        alternatives = [re.escape(s) for s in kept]
        cores = [c for s in kept for c in (base64_cores(s.encode("utf-8", "surrogatepass")) or _whole_forms(s))]
        self._lowered = [s.lower() for s in kept]
        self._core_list = cores
        # Secrets in any letter case; base64 cores exactly (their case is their meaning).
        self._secrets = re.compile("|".join(alternatives), re.IGNORECASE) if kept else None
        self._cores = re.compile("|".join(re.escape(c) for c in sorted(set(cores), key=len, reverse=True))) \
            if cores else None

    def __repr__(self) -> str:
        return "Redactor(...)"

    def text(self, value: str, within: float | None = None) -> str:
        """`value` with every secret masked. With `within` (seconds), RedactionTooSlow is raised
        when masking would take longer (checked between the decodings, each linear in `value`).

        Memory is proportional to the matches, not to `value`: the decodings are made as text
        alone (a few strings of at most `value`'s length), and only where a secret is found is
        its place traced back, step by step, to `value` (``_trace_back``)."""
        if self._secrets is None or not value or not self._may_hold_secret(value, within):
            return value
        ends_at = None if within is None else time.monotonic() + within
        spans: list[tuple[int, int]] = []
        for steps, decoded in _chains(value):
            _in_time(ends_at)
            found = self._spans(decoded)
            if found:
                spans += _trace_back(steps, found, ends_at)
        return _mask(value, spans)

    def _may_hold_secret(self, value: str, within: float | None = None) -> bool:
        """The quick test: the same decodings, without keeping the spans (a 4 MiB body costs
        milliseconds when it holds no secret, which is nearly always)."""
        ends_at = None if within is None else time.monotonic() + within
        for decoded, _starts, _ends in _decodings(value, spanned=False):
            _in_time(ends_at)
            lowered = decoded.lower()  # `in` is a C search; a case-folding regex is not
            if any(s in lowered for s in self._lowered) or any(c in decoded for c in self._core_list):
                return True
        return False

    def _spans(self, text: str) -> list[tuple[int, int]]:
        assert self._secrets is not None
        spans = [m.span() for m in self._secrets.finditer(text)]
        if self._cores is not None:
            spans += [m.span() for m in self._cores.finditer(text)]
        return spans

    def mapping(self, values: dict[str, str]) -> dict[str, str]:
        """Header-like maps: names are masked as well as values (a target can send the
        key as a header *name*)."""
        return {self.text(k): self.text(v) for k, v in values.items()}

    def value(self, value: Any) -> Any:
        """A JSON-like value (dicts, lists, strings, numbers) with every string and key masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value


_Decoding = tuple[str, list[int] | None, list[int] | None]


def _decodings(value: str, spanned: bool) -> Iterator[_Decoding]:
    """Every text a reader may make of `value`, with (when `spanned`) the start and end in
    `value` of each of its characters: `value` itself; every kind undone at once, round after
    round (up to _MAX_ROUNDS); and, from each of these that holds more than one kind, each
    kind undone alone, round after round, within the same number of rounds."""
    text = value
    starts: list[int] | None = list(range(len(value))) if spanned else None
    ends: list[int] | None = list(range(1, len(value) + 1)) if spanned else None
    for done in range(_MAX_ROUNDS + 1):
        yield text, starts, ends
        kinds = _kinds_in(text)
        if len(kinds) > 1:
            for kind in kinds:
                yield from _rounds(text, starts, ends, kind, _MAX_ROUNDS - done, spanned)
        if not kinds or done == _MAX_ROUNDS:
            return
        step = _step(text, starts, ends, None, spanned)
        if step is None:
            return
        text, starts, ends = step


def _rounds(text: str, starts: list[int] | None, ends: list[int] | None, kind: str, rounds: int,
            spanned: bool) -> Iterator[_Decoding]:
    """`text` with `kind` undone round after round (at most `rounds`), each round's text."""
    for _ in range(rounds):
        step = _step(text, starts, ends, kind, spanned)
        if step is None:
            return
        text, starts, ends = step
        yield text, starts, ends


def _step(text: str, starts: list[int] | None, ends: list[int] | None, kind: str | None,
          spanned: bool) -> _Decoding | None:
    """One round of decoding (every kind, or `kind` alone), the spans composed back to the
    original text; None when nothing changes."""
    if not spanned:
        decoded = _decoded_once(text, kind)
        return None if decoded == text else (decoded, None, None)
    decoded_round = _decode_round(text, kind)
    if decoded_round is None or decoded_round[0] == text:
        return None
    assert starts is not None and ends is not None
    decoded, round_starts, round_ends = decoded_round
    # Compose: a character of this round maps back through the previous rounds to `value`.
    return decoded, [starts[s] for s in round_starts], [ends[e - 1] for e in round_ends]


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with every span replaced, overlapping and touching spans by one MASK."""
    if not spans:
        return text
    pieces: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start > at:
            pieces += [text[at:start], MASK]
        elif not pieces:
            pieces.append(MASK)
        at = max(at, end)
    pieces.append(text[at:])
    return "".join(pieces)


# -- spans traced back, for the matches alone ------------------------------------------------------
_Step = tuple[str, str | None]  # a text, and the kind of escape undone to make the next (None: all)


def _round_text(text: str, kind: str | None) -> str | None:
    """`_decode_round`'s text alone (the same escapes, in the same order), or None when
    `text` holds no such escape."""
    pieces: list[str] = []
    at = 0
    for match in _ESCAPE.finditer(text):
        if kind is not None and match[0][0] != kind:
            continue
        pieces += [text[at:match.start()], _decoded_escape(match[0])]
        at = match.end()
    if not pieces:
        return None
    pieces.append(text[at:])
    return "".join(pieces)


def _chains(value: str) -> Iterator[tuple[list[_Step], str]]:
    """What `_decodings(value, spanned=True)` yields, as (the steps that made it, the text):
    the same texts, with no per-character span lists."""
    steps: list[_Step] = []
    text = value
    for done in range(_MAX_ROUNDS + 1):
        yield list(steps), text
        kinds = _kinds_in(text)
        if len(kinds) > 1:
            for kind in kinds:
                alone, current = list(steps), text
                for _ in range(_MAX_ROUNDS - done):
                    decoded = _round_text(current, kind)
                    if decoded is None or decoded == current:
                        break
                    alone.append((current, kind))
                    current = decoded
                    yield list(alone), current
        if not kinds or done == _MAX_ROUNDS:
            return
        decoded = _round_text(text, None)
        if decoded is None or decoded == text:
            return
        steps.append((text, None))
        text = decoded


def _units(match: re.Match[str]) -> Iterator[tuple[int, int, int]]:
    """(length in the decoded text, start, end) of each character one escape decodes to, as
    `_decoded_units` gives them, one at a time (a run of percent escapes can be long)."""
    text = match.group(0)
    if not text.startswith("%"):
        for char, start, end in _decoded_units(match):
            yield len(char), start, end
        return
    at = match.start()
    for char in bytes.fromhex(text.replace("%", "")).decode("utf-8", "surrogateescape"):
        width = 3 * (1 if 0xDC80 <= ord(char) <= 0xDCFF else len(char.encode("utf-8")))
        yield len(char), at, at + width
        at += width


def _trace_back(steps: list[_Step], spans: list[tuple[int, int]], ends_at: float | None) -> list[tuple[int, int]]:
    """`spans` of the last text of `steps` as spans of the first: each start at the start of
    its first character's source, each end at the end of its last character's source."""
    # Queries: (character, whether its end is wanted), traced back through each step in turn.
    queries = [q for a, b in spans for q in ((a, False), (b - 1, True))]
    for text, kind in reversed(steps):
        _in_time(ends_at)
        queries = _trace_step(text, kind, queries)
    return [(queries[i][0], queries[i + 1][0] + 1) for i in range(0, len(queries), 2)]


def _trace_step(text: str, kind: str | None, queries: list[tuple[int, bool]]) -> list[tuple[int, bool]]:
    """Each query (a character of the text `text` decodes to, start or end wanted) as a query
    on `text`: the first or the last character of the characters it came from."""
    order = sorted(range(len(queries)), key=lambda i: queries[i][0])
    answers: list[tuple[int, bool]] = list(queries)
    position = 0  # the next query to answer, in `order`
    decoded_at = 0  # where the current piece begins in the decoded text
    source_at = 0  # and in `text`

    def answer_within(length: int, start: int, end: int | None) -> None:
        """The queries on decoded characters decoded_at..decoded_at+length: literal text when
        `end` is None (one to one from `start`), else an escape's unit from start to end."""
        nonlocal position
        while position < len(order) and queries[order[position]][0] < decoded_at + length:
            index = order[position]
            char, wants_end = queries[index]
            if end is None:
                answers[index] = (start + (char - decoded_at), wants_end)
            else:
                answers[index] = (end - 1 if wants_end else start, wants_end)
            position += 1

    for match in _ESCAPE.finditer(text):
        if position >= len(order):
            break
        if kind is not None and match[0][0] != kind:
            continue
        literal = match.start() - source_at
        answer_within(literal, source_at, None)
        decoded_at += literal
        for length, start, end in _units(match):
            answer_within(length, start, end)
            decoded_at += length
        source_at = match.end()
    answer_within(len(text) - source_at, source_at, None)
    return answers
