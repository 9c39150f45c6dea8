"""Keeps the API key out of everything the suite prints or writes.

The key can leak in three shapes: as itself, inside a Basic credential (base64 of
``key:`` or ``:key``), or echoed back by a hostile target in a body or header. Every
string that leaves the client for a transcript passes through ``Redactor.text``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

MASK = "[REDACTED]"

# Words in a header name that say its value is a credential (X-Api-Key, Cookie, X-Auth-Token...).
_SECRET_HEADER_WORDS = ("cookie", "token", "secret", "key", "auth", "session", "password")


def looks_secret(header_name: str) -> bool:
    """Whether a header's value should be treated as a secret, judged by its name alone."""
    name = header_name.lower()
    return any(word in name for word in _SECRET_HEADER_WORDS)


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            forms.add(secret)
            for wrapped in (f"{secret}:", f":{secret}", secret):
                encoded = base64.b64encode(wrapped.encode()).decode()
                forms.add(encoded)
                forms.add(encoded.rstrip("="))
        # Every form is masked whatever its length: a short key is still the key, and
        # mangling a few innocent substrings is the price of never printing it.
        self._forms = sorted(forms, key=len, reverse=True)

    def text(self, value: str) -> str:
        hits = [form for form in self._forms if form in value]
        if not hits:
            return value
        # Mark every character covered by any occurrence of any form, then replace each
        # marked run once. Replacing form after form would let a short form match inside
        # an earlier MASK (a key "ACT"), or cut a longer form that overlaps a shorter one.
        marked = bytearray(len(value))
        for form in hits:
            at = value.find(form)
            while at != -1:
                marked[at:at + len(form)] = b"\x01" * len(form)
                at = value.find(form, at + 1)
        pieces: list[str] = []
        at = 0
        while at < len(value):
            if marked[at]:
                end = marked.find(0, at)
                pieces.append(MASK)
            else:
                end = marked.find(1, at)
                pieces.append(value[at:end if end != -1 else len(value)])
            at = end if end != -1 else len(value)
        return "".join(pieces)

    def mapping(self, values: dict[str, str]) -> dict[str, str]:
        return {k: self.text(v) for k, v in values.items()}
