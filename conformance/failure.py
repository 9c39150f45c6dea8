"""Why a request that was sent got no usable answer, as a value: what the client writes and what the judge reads.

The client records a transport failure on the exchange as a :class:`Failure` (``Exchange.failure``)
together with its words (``Exchange.error``, the text a reader sees in exchanges.jsonl, the
reports and the console), both set by ``Exchange.fail`` so they cannot drift apart.
exchanges.jsonl stores the kind (``"failure": "dropped"``, or null) beside the text, so the readers
(``Exchange.dropped`` and the checks that count a drop as a server error, the client's second try
of a dropped request, the preflight that names a TLS or proxy failure as the user's setup) ask the
kind and never match the prose. Only a transcript written before ``failure`` existed has its kind
read from the text, in :meth:`Failure.from_legacy_error`.

A request the run's own bounds left undone (not sent, or cut in flight by the deadline) has no
failure: that is ``Exchange.left_undone`` (conformance.not_sent).
"""

from __future__ import annotations

from enum import Enum

from conformance.not_sent import NotSent

# The words that begin an exchange's `error` for some kinds: the reports have always shown them,
# and a transcript written before `failure` existed is read from them (Failure.from_legacy_error).

# The target accepted the request and closed the connection without any response, on the first
# attempt and again on a second one (", twice" follows). CONTRACT.md: reproducible for one kind of
# request while others are answered, that counts as a 5xx.
DROPPED = "closed the connection without a response"
# TLS failed (conformance.record.tls names the cause after it).
TLS_FAILED = "TLS failed: "
# How conformance.record.tls names a connection closed during (or right behind) the handshake with
# no alert: the cause is not known yet (Client.tls_refusal may tell it).
HANDSHAKE_CLOSED = "the target closed the TLS connection abruptly, without a response"
# The proxy, not the target, failed (conformance.record.proxy names it after these words).
PROXY_FAILED = "proxy failed: "


class Failure(Enum):
    """What kept a sent request from a usable answer, as the client tells it apart
    (conformance.record.client: ``Client._attempt_once`` and the watchdog of ``Client._attempt``)."""

    # Closed without a response (the error starts with DROPPED): twice, or once when no second
    # attempt could be made (the budget or the deadline ran out before it).
    DROPPED = "dropped"
    TLS = "tls"  # the handshake failed, its cause named (the error starts with TLS_FAILED)
    TLS_HANDSHAKE_CLOSED = "tls handshake closed"  # TLS_FAILED + HANDSHAKE_CLOSED: closed, cause unknown
    PROXY = "proxy"  # the proxy failed, nothing reached the target (the error starts with PROXY_FAILED)
    CONNECTION_FAILED = "connection failed"  # refused, reset, no route: "connection failed (...)"
    TIMEOUT = "timeout"  # no connection, no response or no complete response within the time allowed
    BROKE_OFF = "broke off"  # the response began, then broke off: "response broke off (...)"
    OTHER = "other"  # any other failure of the HTTP library: "request failed (...)"

    @property
    def tls(self) -> bool:
        """A TLS failure (named or not): the user's setup or the target's certificate, not its API."""
        return self in (Failure.TLS, Failure.TLS_HANDSHAKE_CLOSED)

    def cause(self, error: str) -> str:
        """`error`, an exchange's error of this kind, without the words that name the kind
        (TLS_FAILED, PROXY_FAILED): the cause alone, for a sentence that names the kind itself.
        Other kinds' errors are returned whole."""
        return error.removeprefix(_NAMED_BY.get(self, ""))

    @staticmethod
    def from_record(value: object) -> Failure | None:
        """The kind exchanges.jsonl holds as ``failure`` (its value, or null). Raises ValueError
        or TypeError on anything else (a transcript edited by hand), which `verify` reports as a
        line that is not an exchange."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"failure is not a kind the suite writes: {value!r:.60}")
        return Failure(value)

    @staticmethod
    def from_legacy_error(error: str | None) -> Failure | None:
        """The kind of an exchange's `error` in a transcript written before ``failure`` existed,
        read from its words: None when there is no error or the run's bounds left the request
        undone (``not sent: ``, ``cut: ``: conformance.not_sent), else the kind its words begin
        with, OTHER when they begin with none of them. The one place the words are read."""
        if not error or NotSent.from_legacy_error(error) is not None:
            return None
        for words, kind in _LEGACY_WORDS:
            if error.startswith(words):
                return kind
        return Failure.OTHER


_NAMED_BY = {Failure.TLS: TLS_FAILED, Failure.TLS_HANDSHAKE_CLOSED: TLS_FAILED, Failure.PROXY: PROXY_FAILED}

# How the client has worded each kind (the longer TLS words before the shorter).
_LEGACY_WORDS = (
    (DROPPED, Failure.DROPPED),
    (TLS_FAILED + HANDSHAKE_CLOSED, Failure.TLS_HANDSHAKE_CLOSED),
    (TLS_FAILED, Failure.TLS),
    (PROXY_FAILED, Failure.PROXY),
    ("connection failed (", Failure.CONNECTION_FAILED),
    ("connection timed out after ", Failure.TIMEOUT),
    ("no response within ", Failure.TIMEOUT),
    ("no complete response within ", Failure.TIMEOUT),
    ("response broke off (", Failure.BROKE_OFF),
    ("request failed (", Failure.OTHER),
)
