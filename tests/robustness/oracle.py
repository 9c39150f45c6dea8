"""An oracle for "the key is nowhere in this output", independent of the redactor.

It does not list spellings of the key (that list would be the redactor's own, and could
never find a spelling the redactor misses). It decodes: every output is read raw and
through each decoder a reader might apply (JSON string escapes, percent-encoding, HTML and
XML character references, Python escapes), one and two layers deep, in any order; each
reading is searched for the key in any letter case, and every run of base64 characters in
it is decoded at each of its four alignments and searched for the key's bytes.
"""

from __future__ import annotations

import base64
import binascii
import html
import itertools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote

_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\(.)")


def _json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code, byte, other = match.groups()
        if code or byte:
            return chr(int(code or byte, 16))
        return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(other, other)

    decoded = _JSON_ESCAPE.sub(one, text)
    # Surrogate pairs written as two \u escapes become one character.
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_DECODERS: tuple[Callable[[str], str], ...] = (_json_unescape, unquote, html.unescape)


def readings(text: str) -> Iterable[str]:
    """`text` raw and through every decoder, one and two layers deep."""
    yield text
    for depth in (1, 2):
        for chain in itertools.product(_DECODERS, repeat=depth):
            decoded = text
            for decoder in chain:
                decoded = decoder(decoded)
            yield decoded


def _base64_hits(text: str, key: bytes) -> bool:
    # Fewer characters than this cannot hold the key's bytes at any alignment.
    shortest = -(-len(key) * 4 // 3)
    for run in re.findall(rf"[A-Za-z0-9+/_-]{{{shortest},}}", text):
        standard = run.replace("-", "+").replace("_", "/")
        for start in range(4):
            piece = standard[start:]
            if len(piece) % 4 == 1:
                piece = piece[:-1]
            piece += "=" * (-len(piece) % 4)
            try:
                decoded = base64.b64decode(piece, validate=True)
            except (binascii.Error, ValueError):
                continue
            if key in decoded or key.lower() in decoded.lower():
                return True
    return False


def where_is_the_key(data: bytes | str, key: str) -> str | None:
    """None when no reading of `data` holds `key`; else a description of the first one found."""
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    for number, reading in enumerate(dict.fromkeys(readings(text))):
        at = reading.lower().find(key.lower())
        if at != -1:
            return f"reading {number}: ...{reading[max(0, at - 60): at + len(key) + 60]!r}..."
        if _base64_hits(reading, key.encode()):
            return f"reading {number}: base64 of the key"
    return None


def assert_key_nowhere(key: str, report_dir: Path, *texts: str) -> None:
    """Every file of `report_dir` and every given text (console output) is free of `key`."""
    outputs = {p.name: p.read_bytes() for p in sorted(report_dir.rglob("*")) if p.is_file()}
    outputs.update({f"console {i}": t.encode("utf-8", "surrogatepass") for i, t in enumerate(texts)})
    for name, data in outputs.items():
        found = where_is_the_key(data, key)
        assert found is None, f"the key is in {name}: {found}"
