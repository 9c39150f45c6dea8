"""The redactor alone, against the decoding oracle: many examples, no network (fast)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.record.redaction import MASK, Redactor

from .oracle import where_is_the_key

keys = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"),
               min_size=12, max_size=40).map(lambda s: "sk_test_" + s)
noise = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=30)


@st.composite
def spelled(draw: st.DrawFn, key: str) -> str:
    kind = draw(st.sampled_from(["case", "json", "percent", "base64", "base64url", "html", "mixed"]))
    if kind == "case":
        return "".join(c.upper() if draw(st.booleans()) else c for c in key)
    if kind == "json":
        return "".join(f"\\u{ord(c):04X}" if draw(st.booleans()) else c for c in key)
    if kind == "percent":
        return "".join(f"%{ord(c):02x}" if draw(st.booleans()) else c for c in key)
    if kind == "html":
        return "".join(f"&#x{ord(c):x};" if draw(st.booleans()) else c for c in key)
    if kind == "mixed":
        forms = [lambda c: c, lambda c: f"\\u{ord(c):04x}", lambda c: f"%{ord(c):02X}", lambda c: f"&#{ord(c)};"]
        return "".join(draw(st.sampled_from(forms))(c) for c in key)
    before = draw(st.binary(max_size=5))
    after = draw(st.sampled_from([b"", b":", b":pw", b"\x00"]))
    colon = draw(st.sampled_from([b"", b":"]))
    encode = base64.b64encode if kind == "base64" else base64.urlsafe_b64encode
    return encode(before + colon + key.encode() + after).decode()


@settings(max_examples=300, deadline=None)
@given(data=st.data(), key=keys, before=noise, after=noise)
def test_every_spelling_is_masked(data: st.DataObject, key: str, before: str, after: str) -> None:
    text = before + data.draw(spelled(key)) + after
    for shown in (text, json.dumps(text), json.dumps({"k": text}, ensure_ascii=True), quote(text)):
        redacted = Redactor([key]).text(shown)
        assert where_is_the_key(redacted, key) is None, (shown, redacted)


@settings(max_examples=100, deadline=None)
@given(key=keys, text=noise)
def test_text_without_the_key_is_left_alone(key: str, text: str) -> None:
    if where_is_the_key(text, key) is None:
        assert Redactor([key]).text(text) == text


def test_adjacent_and_nested_forms_become_one_mask() -> None:
    key = "sk_test_abcdefghijkl"
    basic = base64.b64encode(f"{key}:".encode()).decode()
    assert Redactor([key]).text(f"<{key}{key.upper()}>") == f"<{MASK}>"
    masked = Redactor([key]).text(f"Basic {basic}")
    assert masked.startswith("Basic ") and MASK in masked and where_is_the_key(masked, key) is None


# Texts made of escape fragments and their near misses: the one-round decoding that the
# quick test uses (a split-and-join where only backslash escapes occur) must decode exactly
# as the span-keeping round the masking uses.
fragments = st.lists(st.sampled_from(["\\", '"', "/", "'", "u", "U", "x", "00", "73", "d8", "3d", "DC", "00",
                                      "%", "41", "5C", "&", "#", "115;", "x73;", "amp;", "quot;", "a", "sk"]),
                     max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=fragments, kind=st.sampled_from([None, "\\", "%", "&"]))
def test_the_quick_decoding_is_the_masking_decoding(text: str, kind: str | None) -> None:
    from conformance.record.redaction import _decode_round, _decoded_once

    spanned = _decode_round(text, kind)
    assert _decoded_once(text, kind) == (text if spanned is None else spanned[0])


@pytest.mark.parametrize(("secret", "shown"), [
    # A "%00" straddles the secret's first characters; a JSON reader of the line sees the secret.
    ('00000000000"', json.dumps({"body": '%00000000000"'})),
    # The same one layer further in: a URL decoder, then a JSON reader.
    ('00000000000"', "%2500000000000%5C%22"),
    # An HTML reference before a secret that starts with digits, its quote escaped for JSON.
    ('1234abcdef"/x', json.dumps({"body": '&#1234abcdef"/x'})),
])
def test_an_escape_of_another_kind_before_the_secret_does_not_hide_it(secret: str, shown: str) -> None:
    assert where_is_the_key(shown, secret) is not None  # the oracle reads the secret there
    redacted = Redactor([secret]).text(shown)
    assert where_is_the_key(redacted, secret) is None, (shown, redacted)


secrets_with_escapable_characters = st.text(st.sampled_from('abcXYZ019_"\\/\''), min_size=12, max_size=30)


@settings(max_examples=200, deadline=None)
@given(secret=secrets_with_escapable_characters, depth=st.integers(1, 4), before=noise)
def test_a_secret_inside_json_strings_inside_json_is_masked(secret: str, depth: int, before: str) -> None:
    # A JSON body quoted in a JSON line (exchanges.jsonl), perhaps again: only \" and \\ escapes.
    shown = before + secret
    for _ in range(depth):
        shown = json.dumps({"body": shown})
    redacted = Redactor([secret]).text(shown)
    assert where_is_the_key(redacted, secret) is None, (shown, redacted)


def test_html_references_a_browser_decodes_are_masked() -> None:
    # HTML5 decodes a numeric reference without its ";", with any number of leading zeros,
    # and the legacy named references in capitals or without ";" (`&AMP;`, `&amp`): an
    # escape of an escape spelled so is as readable as `&amp;#115;`.
    key = "sk_test_REVIEWKEY12345"
    for spelling in ("&#115", "&#x73", "&#0000000115;", "&#x0000073;", "&AMP;#115;", "&amp#115;", "&AMP#x73;"):
        text = spelling + key[1:]
        assert Redactor([key]).text(text) == MASK, text
    every_char = "".join(f"&AMP;#{ord(c)};" for c in key)
    assert Redactor([key]).text(f"<p>{every_char}</p>") == f"<p>{MASK}</p>"
