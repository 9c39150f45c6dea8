"""Keeps the API key out of everything the suite prints or writes.

A target that wants the key in the report can echo it in any spelling a parser will later
undo: JSON ``\\u0073`` escapes (the report builds evidence from *parsed* bodies),
percent-encoding, HTML or XML character references, another letter case, or base64 of
``key``, ``key:`` or ``:key`` at any offset inside a longer string (a Basic credential
echoed back). So the redactor does not list spellings of whole strings; it normalises
character by character: each character of a secret may appear as itself or as any escape
that decodes to it, and the base64 forms are the runs of base64 characters that depend
on the secret's bytes alone, at each of the three byte alignments. Whatever matches, in a
mixture of spellings too, is masked.

``Redactor.text`` is the one function every string leaving the process passes through:
transcripts (``Client``), report files (``reports.writer``), the console and error lines
(``cli``).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"

# Words in a header name that say its value is a credential (X-Api-Key, Cookie, X-Auth-Token...).
_SECRET_HEADER_WORDS = ("cookie", "token", "secret", "key", "auth", "session", "password")

# Fewer base64 characters than this that depend on the secret alone are not searched for
# at every offset: a 2-character run would mask innocent text all over a report. Secrets
# that short are still masked in their whole-credential base64 forms.
_MIN_BASE64_CORE = 6

# Named references HTML, XML and Jinja's escaping produce for the characters they escape.
_NAMED_REFERENCES = {"&": ("amp",), "<": ("lt",), ">": ("gt",), '"': ("quot",), "'": ("apos",)}


# The quick test's decoders. Each pattern starts with one literal character, which the
# regex engine searches for at C speed: a 4 MiB body with a few escapes costs milliseconds.
_BACKSLASH_ESCAPE = re.compile(r"\\(?:(?i:u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|u([0-9a-f]{4})|x([0-9a-f]{2}))"
                               r"|([\"\\/']))")
_PERCENT_RUN = re.compile(r"%[0-9a-fA-F]{2}(?:%[0-9a-fA-F]{2})*")


def _backslash_unescape(match: re.Match[str]) -> str:
    high, low, u, x, backslashed = match.groups()
    if high:
        return (chr(int(high, 16)) + chr(int(low, 16))).encode("utf-16", "surrogatepass").decode("utf-16")
    if u or x:
        return chr(int(u or x, 16))
    return str(backslashed)


def _percent_unescape(match: re.Match[str]) -> str:
    return bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8", "replace")


def _decodings(value: str) -> list[str]:
    """`value` raw, then with JSON/Python backslash escapes, percent-encoding and HTML/XML
    character references decoded in turn (each step on the one before)."""
    found = [value]
    if "\\" in value:
        found.append(_BACKSLASH_ESCAPE.sub(_backslash_unescape, found[-1]))
    if "%" in value:
        found.append(_PERCENT_RUN.sub(_percent_unescape, found[-1]))
    if "&" in value:
        found.append(html.unescape(found[-1]))
    return found


def looks_secret(header_name: str) -> bool:
    """Whether a header's value should be treated as a secret, judged by its name alone."""
    name = header_name.lower()
    return any(word in name for word in _SECRET_HEADER_WORDS)


def _spellings(char: str) -> list[str]:
    """Regex alternatives for every way `char` can be written in text that a JSON, URL,
    HTML/XML or Python-repr reader decodes back to it."""
    code = ord(char)
    hex_digits = f"{code:x}"
    alternatives = [
        re.escape(char),
        # &#115; &#x73; (leading zeros allowed), and the named references.
        rf"&\#0*{code};",
        rf"(?i:&\#x0*{hex_digits};)",
        *(rf"&{name};" for name in _NAMED_REFERENCES.get(char, ())),
        # percent-encoding of the UTF-8 bytes
        "(?i:" + "".join(f"%{byte:02x}" for byte in char.encode("utf-8", "surrogatepass")) + ")",
    ]
    if code <= 0xFFFF:
        alternatives.append(rf"(?i:\\u{code:04x})")  # JSON and Python \u escapes
    else:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        alternatives.append(rf"(?i:\\u{high:04x}\\u{low:04x})")
    if code <= 0xFF:
        alternatives.append(rf"(?i:\\x{code:02x})")
    if char in "\"\\/'":
        alternatives.append(re.escape("\\" + char))  # JSON's and Python's backslash escapes
    return alternatives


def _spelled(value: str, fold_case: bool) -> str:
    """A pattern matching `value` with each character in any of its spellings."""
    parts = []
    for char in value:
        variants = dict.fromkeys([char, char.lower(), char.upper()] if fold_case else [char])
        alternatives = [a for v in variants if len(v) == 1 for a in _spellings(v)]
        parts.append("(?:" + "|".join(dict.fromkeys(alternatives)) + ")")
    return "".join(parts)


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
    docstring), replaced by ``MASK``; adjacent occurrences become one mask.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        secrets_list = list(secrets)
        alternatives: list[str] = []
        for secret in dict.fromkeys(s for s in secrets_list if s):
            alternatives.append(_spelled(secret, fold_case=True))
            encoded = secret.encode("utf-8", "surrogatepass")
            forms = base64_cores(encoded) or _whole_forms(secret)
            alternatives += [_spelled(form, fold_case=False) for form in sorted(set(forms), key=len, reverse=True)]
        # Every form is masked whatever its length: a short key is still the key, and
        # mangling a few innocent substrings is the price of never printing it.
        self._pattern = re.compile("(?:" + "|".join(alternatives) + ")+") if alternatives else None
        # The full pattern tries a dozen alternatives at every character: too slow for a
        # 4 MiB body. A quick test on the decoded text says first whether it is needed.
        self._lowered = [s.lower() for s in dict.fromkeys(s for s in secrets_list if s)]
        self._cores = [f for s in dict.fromkeys(s for s in secrets_list if s)
                       for f in (base64_cores(s.encode("utf-8", "surrogatepass")) or _whole_forms(s))]

    def __repr__(self) -> str:
        return "Redactor(...)"

    def text(self, value: str) -> str:
        """`value` with every secret masked."""
        if self._pattern is None or not value or not self._may_hold_secret(value):
            return value
        return self._pattern.sub(MASK, value)

    def _may_hold_secret(self, value: str) -> bool:
        """Whether `value`, raw or with its escapes decoded, contains a secret or one of its
        base64 cores. Never False where the full pattern matches, for secrets without
        escape introducers of their own (\\ % &); for others it errs towards True."""
        if any(c in "\\%&" for s in self._lowered for c in s):
            return True
        for decoded in _decodings(value):
            lowered = decoded.lower()
            if any(s in lowered for s in self._lowered) or any(c in decoded for c in self._cores):
                return True
        return False

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
