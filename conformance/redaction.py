"""Keeps the API key out of everything the suite prints or writes.

The key can leak in three shapes: as itself, inside a Basic credential (base64 of
``key:`` or ``:key``), or echoed back by a hostile target in a body or header. Every
string that leaves the client for a transcript passes through ``Redactor.text``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

MASK = "[REDACTED]"


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
        # Longest first, so a base64 form is masked before a shorter form inside it.
        self._forms = sorted((f for f in forms if len(f) >= 6), key=len, reverse=True)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def mapping(self, values: dict[str, str]) -> dict[str, str]:
        return {k: self.text(v) for k, v in values.items()}
