"""One request and its response, as recorded by the client: the unit of evidence.

Judgements read exchanges, never live responses, so a saved transcript
(``exchanges.jsonl``) can be judged again offline. Everything in an exchange has
already been redacted.
"""

from __future__ import annotations

import collections
import json
import math
import re
import shlex
import threading
import weakref
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from conformance.failure import DROPPED as DROPPED  # defined with its kind; importable here, where it was
from conformance.failure import Failure
from conformance.not_sent import NotSent

# How the request authenticated, recorded as a label rather than the header itself:
# AUTH_KEY, AUTH_NONE, "basic USER:PASSWORD", "header VALUE" or "headers [JSON list of VALUEs]"
# (all already redacted).
AUTH_KEY = "key"  # Basic, the configured key as username, empty password
AUTH_NONE = "none"
AUTH_KEY_AS_PASSWORD = "key-as-password"  # Basic, empty username, the key as password
# Basic with a near miss of the configured key, one per kind of `key_variants` ("key-variant:dropped"):
# a server that compares keys by prefix or case-insensitively accepts one (AUTH-002).
AUTH_KEY_VARIANT = "key-variant:"
# Each variant as a shell expression of $CONFORMANCE_API_KEY, for curl lines (the key stays unwritten).
KEY_VARIANT_SHELL = {
    "appended": "${CONFORMANCE_API_KEY}x",
    "dropped": "${CONFORMANCE_API_KEY%?}",
    "case": '$(printf %s "$CONFORMANCE_API_KEY" | tr a-zA-Z A-Za-z)',
    "prefix": "${CONFORMANCE_API_KEY:0:$((${#CONFORMANCE_API_KEY}*3/4))}",
}


def key_variants(key: str) -> dict[str, str]:
    """Near misses of ``key`` by kind (KEY_VARIANT_SHELL): a character added, the last dropped, the
    letters' case swapped, the first three quarters; only those that differ from the key and are
    not empty. They are secrets like the key (all but one char of it): the client masks them."""
    made = {"appended": key + "x", "dropped": key[:-1], "case": key.swapcase(), "prefix": key[:len(key) * 3 // 4]}
    return {kind: value for kind, value in made.items() if value and value != key}


# A key's public prefix ("sk_test_", "rk_live_"): the same for every key of its kind, no secret.
_PUBLIC_PREFIX = re.compile(r"[a-z]{2,3}_(?:test|live)_")
# How many characters of its own a near miss must hold past that prefix to be masked as a secret.
_SECRET_CHARS = 4


def masked_variants(key: str) -> list[str]:
    """The near misses of `key` (key_variants) that are secrets to mask: those holding at least
    _SECRET_CHARS characters past the key's public prefix. Of a short key, "sk_test_X", the key
    without its last character is "sk_test_", which every sk_test_ key and the requirement texts
    hold: masking it would alter the report's own words (and `verify` would then call them altered),
    while it reveals nothing of the key. The key itself is always masked, in any letter case."""
    match = _PUBLIC_PREFIX.match(key)
    public = match.end() if match else 0
    return [v for v in key_variants(key).values() if len(v) >= public + _SECRET_CHARS]

# How an exchange's `body_error` starts when the suite kept only the body's size and digest
# (conformance.record.client.Client._keep_body writes it; the judge asks `Exchange.body_not_kept`).
BODY_NOT_KEPT = "not kept:"


# The suite's own body cap (ClientSettings.body_cap_bytes), for the curl lines it prints.
CURL_MAX_BYTES = 4 * 1024 * 1024
# What a printed curl line shows at most (`head -c`): the body cap and 64 KiB for the head (`-i`).
CURL_OUTPUT_BYTES = CURL_MAX_BYTES + 64 * 1024

# Sessions of one page kept for judging: ten times the contract's largest page (`limit` at most
# 100), so a conforming target is always judged whole. A page listing more (a hostile target's
# 100,000 tiny sessions under the body cap) is judged on its first ITEMS_JUDGED sessions, its true
# count kept (Exchange.items_listed) and the cut said in the verdicts that rest on it: the judging
# of a page then costs the parse of its bytes and no more, whatever it lists.
ITEMS_JUDGED = 1_000

# Deeper JSON is the target's malformed answer: judging it would exhaust the interpreter's
# recursion (json itself, schema validation, repr) long before it means anything.
MAX_JSON_DEPTH = 64
# Integers beyond a signed 64-bit range are read as malformed (RFC 8259 section 6 lets a
# parser limit the range; no field of the spec comes near it).
_MAX_INT = 2**63


class _Unreadable(ValueError):
    pass


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise _Unreadable(f"number out of range: {text[:20]}")
    return number


def _bounded_int(text: str) -> int:
    if len(text) > 20 or abs(number := int(text)) >= _MAX_INT:
        raise _Unreadable(f"integer out of range: {text[:20]}")
    return number


def _no_constant(name: str) -> Any:
    raise _Unreadable(f"{name} is not JSON")  # NaN, Infinity: Python accepts them, RFC 8259 does not


def read_json(text: str) -> Any:
    """`text` parsed as JSON, or None when it is not JSON the suite can judge.

    None covers a syntax error, nesting deeper than MAX_JSON_DEPTH (a RecursionError in
    the parser), NaN/Infinity, a number out of range, and a string (or key) holding a lone
    UTF-16 surrogate (RFC 8259 section 8.2: such a string cannot be sent back, as a cursor
    for instance, nor written as UTF-8). Duplicate keys keep the last value, as RFC 8259
    section 4 allows. Never raises.
    """
    return read_json_noting_fractions(text)[0]


def read_json_noting_fractions(text: str) -> tuple[Any, bool]:
    """(`read_json(text)`, whether a number in it is written with a fraction or an exponent).

    Such a number is what the parser hands to `parse_float` (RFC 8259 section 6: `frac`,
    `exp`); `1763900000.0` is one, where a schema's "integer" would let it through (OBJ-005).
    """
    value, fractions, _listed = read_page(text, None)
    return value, fractions


def read_page(text: str, items: int | None) -> tuple[Any, bool, int | None]:
    """(`read_json(text)`, whether a number in it has a fraction or an exponent, how many entries
    `data` lists when more than `items`, else None). With `items`, a JSON object's `data` list is
    cut to its first `items` entries (in a shallow copy of the object), and only what is kept is
    checked for depth and lone surrogates: what is dropped is never read again."""
    fractions = False

    def as_float(number: str) -> float:
        nonlocal fractions
        fractions = True
        return _finite_float(number)

    try:
        value = json.loads(text, parse_float=as_float, parse_int=_bounded_int, parse_constant=_no_constant)
    except (ValueError, RecursionError, OverflowError, MemoryError):
        return None, False, None
    listed = None
    data = value.get("data") if isinstance(value, dict) else None
    if items is not None and isinstance(data, list) and len(data) > items:
        listed = len(data)
        value = {**value, "data": data[:items]}
        del data
    lone_surrogates_possible = "\\u" in text and re.search(r"\\u[dD][89a-fA-F]", text) is not None
    return (value, fractions, listed) if _sound(value, lone_surrogates_possible) else (None, False, None)


def _sound(value: Any, check_strings: bool) -> bool:
    """No deeper than MAX_JSON_DEPTH and, when `check_strings`, every string UTF-8 encodable.
    Iterative: the value may be as deep as the parser's own recursion allowed."""
    # Strings are visited only when they are to be checked: on a page of 100 sessions they
    # are most of the nodes, and depth needs the containers alone.
    kinds: tuple[type, ...] = (dict, list, str) if check_strings else (dict, list)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return False
            if isinstance(item, dict):
                children = [*item.keys(), *item.values()] if check_strings else item.values()
            else:
                children = item
            stack.extend((child, depth + 1) for child in children if isinstance(child, kinds))
        elif check_strings and isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


class _KeptReadings:
    """Parsed bodies are kept on their exchange (judgements read each page many times), but
    only up to a budget counted in JSON values: a 4 MiB page of 270,000 tiny sessions parses
    to some 65 MB of objects, so a run's twenty such pages kept would be over a gigabyte. Past
    the budget the earliest kept are dropped (then parsed again when read again: time linear
    in the bytes read, memory bounded)."""

    # About 100 bytes a value once parsed: some 30 MB. A standard run's pages (100 sessions
    # of some 30 values) stay well inside it, so nothing is parsed twice there.
    BUDGET_VALUES = 300_000

    def __init__(self) -> None:
        self._kept: collections.OrderedDict[int, tuple[weakref.ref[Exchange], int]] = collections.OrderedDict()
        self._values = 0
        self._lock = threading.Lock()

    def kept(self, exchange: Exchange, share: float = 1.0) -> None:
        """Count `exchange`'s reading, `share` of its body's values (less than 1 when sessions past
        ITEMS_JUDGED were left out of it)."""
        # Each value but the last is followed by a comma; each object or array opens once.
        body = exchange.body
        values = int((body.count(",") + body.count("{") + body.count("[")) * share) + 1
        with self._lock:
            old = self._kept.pop(id(exchange), None)
            self._values += values - (old[1] if old else 0)
            self._kept[id(exchange)] = (weakref.ref(exchange), values)
            while self._values > self.BUDGET_VALUES and len(self._kept) > 1:
                _key, (ref, counted) = self._kept.popitem(last=False)
                self._values -= counted
                dropped = ref()
                if dropped is not None and dropped is not exchange:
                    dropped.__dict__.pop("_reading", None)
                    dropped.__dict__.pop("page_ids", None)


_READINGS = _KeptReadings()


# What each plain field of an exchanges.jsonl line must hold (Exchange.from_dict): a hand-edited
# value of another type is refused as "not an exchange", never met later as a crash in judging.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "seq": (int,), "tag": (str,), "path": (str,), "query": (list,), "auth": (str,), "request_headers": (dict,),
    "status": (int, type(None)), "response_headers": (dict,), "body": (str,), "body_truncated": (bool,),
    "elapsed_ms": (int, float), "attempts": (int,), "error": (str, type(None)), "method": (str,),
    "body_error": (str, type(None)),
}
_FIELD_WORDS = {name: " or ".join("null" if kind is type(None) else {
    int: "an integer", str: "text", list: "a list", dict: "an object", bool: "true or false", float: "a number",
}[kind] for kind in kinds) for name, kinds in _FIELD_TYPES.items()}
_REQUIRED = ("seq", "tag", "path", "query")


@dataclass
class Exchange:
    seq: int
    tag: str
    path: str
    query: list[tuple[str, str]]
    auth: str = AUTH_KEY
    request_headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    body_truncated: bool = False
    elapsed_ms: float = 0.0
    attempts: int = 1
    error: str | None = None
    method: str = "GET"
    # Why a body that may read like JSON is not JSON text (e.g. invalid UTF-8), or None.
    body_error: str | None = None
    # What the run's own bounds left undone here (not sent, or cut in flight by the deadline), as
    # a value beside `error`'s words: the judge asks its kind, never the text (conformance.not_sent).
    left_undone: NotSent | None = None
    # Why the request, sent, got no usable answer (dropped, TLS, proxy, timeout, ...), as a value
    # beside `error`'s words: the judge asks its kind, never the text (conformance.failure).
    failure: Failure | None = None

    def leave_undone(self, why: NotSent) -> None:
        """Record that the run's own bounds left this request undone for `why`: the value and its
        words (`error`: ``not sent: …`` or ``cut: …``) together, so they cannot drift apart. What
        the bound cut short is no transport failure: `failure` is cleared."""
        self.left_undone, self.error, self.failure = why, why.error, None

    def fail(self, failure: Failure, error: str) -> None:
        """Record that the request got no usable answer: its kind `failure` and its words `error`
        (the sentence the reports show, e.g. ``TLS failed: …``) together, so they cannot drift apart.
        The one way a failure is recorded; the client calls it again with the same kind to record the
        same failure in other words (redacted, or a drop seen twice)."""
        self.failure, self.error, self.left_undone = failure, error, None

    def clear_failure(self) -> None:
        """A new attempt of the request: no failure yet, neither its kind nor its words."""
        self.failure, self.error = None, None

    # -- reading -----------------------------------------------------------------------------
    @property
    def not_sent(self) -> NotSent | None:
        """Why the request was never sent, or None (sent, even if the deadline then cut it)."""
        return None if self.left_undone is None or self.left_undone.in_flight else self.left_undone

    @property
    def answered(self) -> bool:
        return self.error is None and self.status is not None

    @property
    def dropped(self) -> bool:
        """The target closed the connection without a response, twice (Failure.DROPPED; once when
        the run's bounds left no room for a second attempt): the kind recorded, never `error`'s words."""
        return self.failure is Failure.DROPPED

    @property
    def body_not_kept(self) -> bool:
        """The suite kept only the body's size and digest (masking the key took too long): what it
        held is unknown, by the suite's bound, not the target's fault (see BODY_NOT_KEPT)."""
        return (self.body_error or "").startswith(BODY_NOT_KEPT)

    @property
    def judgeable(self) -> bool:
        """Answered with something to judge: a 429 left after the retries says nothing of the rules."""
        return self.answered and self.status != 429

    @property
    def params(self) -> dict[str, str]:
        """The query as a dict (last value wins; only the repeated-params probe repeats a name, and
        its judgement reads ``query``)."""
        return dict(self.query)

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    @cached_property
    def _reading(self) -> tuple[Any, bool]:
        if self.body_truncated or self.body_error:
            return None, False
        # Past ITEMS_JUDGED a page's sessions are dropped at once (see ITEMS_JUDGED).
        value, fractions, listed = read_page(self.body, ITEMS_JUDGED)
        if listed is not None:
            self.__dict__["_items_listed"] = listed
        _READINGS.kept(self, 1.0 if listed is None else ITEMS_JUDGED / listed)
        return value, fractions

    @property
    def json(self) -> Any:
        """The parsed body, or None when it is not JSON the suite can read (see read_json)."""
        return self._reading[0]

    @property
    def writes_fractions(self) -> bool:
        """Whether the parsed body has a number written with a fraction or an exponent."""
        return self._reading[1]

    @property
    def items_listed(self) -> int | None:
        """How many sessions the page's `data` lists when that is more than ITEMS_JUDGED (the
        reading keeps the first ITEMS_JUDGED), else None."""
        self._reading  # noqa: B018 - reading the body is what finds the count
        listed: int | None = self.__dict__.get("_items_listed")
        return listed

    def forget_readings(self) -> None:
        """Drop what was read from the body (after the body is set again)."""
        for cached in ("_reading", "page_ids", "_items_listed"):
            self.__dict__.pop(cached, None)

    @cached_property
    def page_ids(self) -> list[str] | None:
        """Ids of `data` on a well-formed 200 list page, else None."""
        body = self.json
        if self.status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return None
        ids = [item.get("id") if isinstance(item, dict) else None for item in body["data"]]
        return [str(i) for i in ids] if all(isinstance(i, str) for i in ids) else None

    @property
    def has_more(self) -> Any:
        body = self.json
        return body.get("has_more") if isinstance(body, dict) else None

    @property
    def target(self) -> str:
        """Path and query as sent."""
        return self.path + (f"?{urlencode(self.query)}" if self.query else "")

    def curl(self, base_url: str) -> str:
        """A command that reproduces the request; the key comes from the environment. Bounded like
        the run: no body past the suite's 4 MiB cap and 30 s. curl's --max-filesize refuses a body
        whose declared length is past the cap, but a chunked body declares none (curl 7.88 reads it
        on): so the output goes through `head -c`, which ends it (curl stops at the closed pipe)
        after the cap and room for the head (-i). One line, the same pasted into any shell."""
        parts = ["curl", "-sS", "-i", "--max-filesize", str(CURL_MAX_BYTES), "--max-time", "30"]
        if self.auth == AUTH_KEY:
            parts += ["-u", "$CONFORMANCE_API_KEY:"]
        elif self.auth == AUTH_KEY_AS_PASSWORD:
            parts += ["-u", ":$CONFORMANCE_API_KEY"]
        elif self.auth.startswith(AUTH_KEY_VARIANT):
            parts += ["-u", KEY_VARIANT_SHELL.get(self.auth.removeprefix(AUTH_KEY_VARIANT), "") + ":"]
        elif self.auth.startswith("basic "):
            parts += ["-u", self.auth.removeprefix("basic ")]
        elif self.auth.startswith("header "):
            parts += ["-H", f"Authorization: {self.auth.removeprefix('header ')}"]
        elif self.auth.startswith("headers "):
            try:
                lines = json.loads(self.auth.removeprefix("headers "))
            except ValueError:
                lines = []
            for line in lines if isinstance(lines, list) else []:
                parts += ["-H", f"Authorization: {line}"]
        for name, value in self.request_headers.items():
            parts += ["-H", f"{name}: {value}"]
        parts.append(base_url.rstrip("/") + self.target)
        # The key placeholder must stay expandable by the shell; everything else is quoted.
        command = " ".join(f'"{p}"' if "CONFORMANCE_API_KEY" in p else shlex.quote(p) for p in parts)
        return f"{command} | head -c {CURL_OUTPUT_BYTES}"

    def summary(self) -> str:
        outcome = self.error if self.error else f"{self.status}"
        return f"GET {self.target} -> {outcome}"

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict, whose deep copy of every body was most
        # of writing exchanges.jsonl on a large target; the keys and values are the same.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["query"] = [list(pair) for pair in self.query]
        data["request_headers"] = dict(self.request_headers)
        data["response_headers"] = dict(self.response_headers)
        data["left_undone"] = None if self.left_undone is None else self.left_undone.to_record()
        data["failure"] = None if self.failure is None else self.failure.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        """The exchange :meth:`to_dict` wrote. Raises ValueError or TypeError on a line that is not
        one (a value the suite does not write, a failure without its words or beside a request left
        undone), which `verify` reports as a line that is not an exchange. A transcript written
        before `left_undone` or `failure` existed has those read from `error`'s words
        (NotSent.from_legacy_error, Failure.from_legacy_error)."""
        if not isinstance(data, dict):
            raise TypeError("a line is one JSON object")
        values = dict(data)
        for name, kinds in _FIELD_TYPES.items():
            value = values.get(name)
            # bool is an int to isinstance: a count or a number written as true/false is not one.
            if (name in values or name in _REQUIRED) and (
                    not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
                raise TypeError(f"{name} is not {_FIELD_WORDS[name]}")
        for mapping in ("request_headers", "response_headers"):
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in values.get(mapping, {}).items()):
                raise TypeError(f"{mapping} is not a mapping of text to text")
        if not all(isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
                   for pair in values.get("query", [])):
            raise TypeError("query is not a list of [name, value] pairs of text")
        values["query"] = [tuple(pair) for pair in values.get("query", [])]
        if "left_undone" in values:
            undone = values["left_undone"]
            values["left_undone"] = None if undone is None else NotSent.from_record(undone)
        else:  # written before `left_undone` existed: its words are all there is
            values["left_undone"] = NotSent.from_legacy_error(values.get("error"))
        if "failure" in values:
            values["failure"] = Failure.from_record(values["failure"])
            if values["failure"] is not None and (not isinstance(values.get("error"), str)
                                                  or values["left_undone"] is not None):
                raise ValueError("failure is recorded without its error, or beside a request left undone")
        else:  # written before `failure` existed: its words are all there is
            values["failure"] = Failure.from_legacy_error(values.get("error"))
        return cls(**values)
