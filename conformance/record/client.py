"""The one door to the network.

Checks never import ``requests``: they ask this client, which owns the GET-only guard,
timeouts, polite 429 retries, the request budget, redaction and the transcript. Every
request, answered or not, becomes an ``Exchange`` in ``Client.transcript``.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import http.client
import http.cookiejar
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import _basic_auth_str
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.ssltransport import SSLTransport

from conformance.errors import DeadlinePassed, ForbiddenMethod, RequestBudgetExhausted, TransportFailure
from conformance.exchange import (
    AUTH_KEY,
    AUTH_KEY_AS_PASSWORD,
    AUTH_KEY_VARIANT,
    AUTH_NONE,
    BODY_NOT_KEPT,
    Exchange,
    key_variants,
    masked_variants,
)
from conformance.failure import DROPPED, PROXY_FAILED, TLS_FAILED, Failure
from conformance.not_sent import NotSent
from conformance.record.proxy import proxy_failure
from conformance.record.ratelimit import Pacer
from conformance.record.recording import PerThread, Transcript, TranscriptView
from conformance.record.redaction import RedactionTooSlow, Redactor, looks_secret
from conformance.record.tls import (
    TLSFacts,
    TLSOptions,
    build_context,
    closed_after_handshake,
    tls_failure,
)
from conformance.record.transport import Response, Transport
from conformance.spec import OPERATION_PATH

Query = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class BasicCredentials:
    """Basic credentials other than the configured key (unknown key, key as password)."""

    username: str = field(repr=False)
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class RawAuthorization:
    """An Authorization header sent verbatim (malformed on purpose)."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class RepeatedAuthorization:
    """Several Authorization header lines on one request, each sent verbatim (AUTH-003)."""

    values: tuple[str, ...]


Auth = str | BasicCredentials | RawAuthorization | RepeatedAuthorization  # str: AUTH_KEY, ...

# Joins the lines of a RepeatedAuthorization on their way through requests, which keeps one
# value per header name; the connection splits them into separate lines (never on the wire:
# requests refuses no NUL, http.client would refuse one in a value, and we split first).
_LINE_BREAK = "\x00"


@dataclass(frozen=True)
class ClientSettings:
    timeout: float = 10.0
    max_requests: int = 2000
    retries_on_429: int = 3
    max_retry_after: float = 5.0
    # A 100-session page is ~150 KB; anything past the cap is not a page worth parsing.
    body_cap_bytes: int = 4 * 1024 * 1024
    # Of a body over the cap, only this much is kept as evidence: a hostile target sending
    # 50 MB on every request must not fill the transcript (and memory) with it.
    truncated_body_kept_bytes: int = 64 * 1024
    # After this many transport failures in a row the target is taken as down, so a
    # hanging server costs a few timeouts, not one per remaining request.
    failures_before_down: int = 3
    # A connection closed without a response costs nothing to wait for; only this many in a
    # row (each already sent twice) take the target as down.
    drops_before_down: int = 10
    # Requests per second across all lanes (--rate-limit); None: as fast as the lanes go.
    rate_limit: float | None = None
    # Seconds from the client's creation after which nothing more is sent (None: no
    # deadline); a request in flight is cut when it comes.
    deadline: float | None = None
    # Response bodies the whole run keeps as evidence, in bytes: once they pass it the run
    # stops asking, as at the deadline (a target serving 4 MiB on every request must not
    # fill memory and disk). Every body kept is whole, so every one can be judged.
    evidence_budget_bytes: int = 64 * 1024 * 1024
    # Why asking stops at `deadline`, when the run's own deadline is later (the runner keeps
    # its last seconds for judging and writing the reports); None: the deadline itself.
    deadline_reason: str | None = None
    # Seconds to mask the key in one body (conformance.record.redaction); past them the body is kept
    # as its size and digest (Client._keep_body). A 4 MiB body without escapes takes milliseconds.
    redaction_seconds: float = 5.0


def strip_credentials(base_url: str) -> str:
    """The base URL without user:password@ (users sometimes paste those)."""
    parts = urlsplit(base_url)
    # Host and port as written: rebuilding them from .hostname would drop an IPv6
    # address's brackets ("http://::1:8000"), and .port raises on a malformed port.
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class Client:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        settings: ClientSettings | None = None,
        headers: Mapping[str, str] | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        tls: TLSOptions | None = None,
        transport: Transport | None = None,
    ) -> None:
        """`tls`: the CA bundle and client certificate for an https:// target (None: requests'
        default CAs, no client certificate). Raises UsageError when they cannot be used
        (conformance.record.tls.build_context), before anything is sent. `transport`: what
        sends each GET (conformance.record.transport); None, the real one: this lane's requests
        session. (Client.tls_refusal's extra handshake always goes through the real one.)"""
        self.base_url = strip_credentials(base_url)
        self._api_key = api_key
        self.settings = settings or ClientSettings()
        self._headers = dict(headers or {})
        # A user's --header may carry a credential of its own (X-Api-Key, Cookie): its value
        # is kept out of transcripts and curl lines like the key. So is a user:password@
        # pasted into the base URL.
        userinfo = urlsplit(base_url).netloc.rpartition("@")[0].split(":", 1) if "@" in base_url else []
        # The near misses of the key sent to AUTH-002 that hold a secret (exchange.masked_variants): masked like it.
        self._redactor = Redactor([api_key, *masked_variants(api_key), *userinfo,
                                   *(v for k, v in self._headers.items() if looks_secret(k))])
        self._deadline_at = None if self.settings.deadline is None else time.monotonic() + self.settings.deadline
        self._evidence_bytes = 0
        # Why the run stopped asking before its probes were done (the deadline, the evidence
        # budget, the request budget), as the first request it left undone, or None.
        self.stopped_because: NotSent | None = None
        self._on_exchange = on_exchange
        self._sleep = sleep
        # Lanes (conformance.run.lanes) share this client: each thread gets its own connection
        # and watchdog; the budget, the circuit breaker and the pacing stay global.
        tls = tls or TLSOptions()
        self._client_cert_given = tls.client_cert is not None
        self._ca_given = None if tls.ca_bundle is None else f"{tls.ca_source} {tls.ca_bundle}"
        # One verifying context for every connection (conformance.record.tls); none for plain HTTP.
        context = build_context(tls) if self.base_url.lower().startswith("https://") else None
        # What the TLS connections showed (protocol, server certificate), for the certificate.
        self.tls_facts = TLSFacts()
        self._lines = PerThread(lambda: _Line(context, self.tls_facts), _Line.close)
        self._transport: Transport = transport if transport is not None else _SessionTransport(self._lines)
        self._shared = threading.Lock()  # guards requests_sent and the failure count
        # Set by stop(): wakes a lane waiting for the rate or a 429 hold (see _pause).
        self._woken = threading.Event()
        self._pacer = Pacer(self.settings.rate_limit, clock=clock, sleep=self._pause)
        # trust_env is off (see _Line), so the proxy variables are read here, by name: HTTPS_PROXY,
        # HTTP_PROXY, ALL_PROXY and NO_PROXY (either case), and nothing else (never ~/.netrc).
        # $HTTPS_PROXY/$HTTP_PROXY/$NO_PROXY, read by name (trust_env stays off), except for a
        # loopback target: a proxy cannot reach this machine's loopback, and going through one
        # would hand it the key (the embedded reference server, a local staging tunnel).
        self._proxies = {} if _loopback(self.base_url) else requests.utils.get_environ_proxies(self.base_url)
        # Every exchange of the run, numbered in order: owned by Transcript (conformance.record.recording).
        self._transcript = Transcript()
        self.requests_sent = 0
        self._failures_in_a_row = 0
        self._drops_in_a_row = 0
        self._down_because = "the target stopped answering earlier in the run"
        self._stopped: str | None = None

    @property
    def redactor(self) -> Redactor:
        return self._redactor

    @property
    def proxies(self) -> Mapping[str, str]:
        """The proxies requests go through (read from the environment by name; {} for loopback)."""
        return self._proxies

    @property
    def key_is_test_key(self) -> bool:
        return self._api_key.startswith("sk_test_")

    def close(self) -> None:
        self._lines.close_all()

    def stop(self, reason: str) -> None:
        """Send nothing more: every later request is recorded as not sent, for `reason`, and the
        requests in flight in every lane are cut (their reads return at once, as failed)."""
        self._stopped = reason
        self._woken.set()
        for line in self._lines.made():
            line.in_flight.abort()

    def tls_refusal(self, listen: float = 2.0) -> str | None:
        """Why the server refuses this client at the TLS layer, found by one more handshake that
        sends no request and listens up to `listen` seconds: the sentence of conformance.record.tls, or
        None when the server accepted (its session ticket came), said nothing, or could not be reached.

        For the preflight, after its request met a closed connection right behind the handshake:
        a TLS 1.3 server that demands a client certificate refuses it after the handshake, with an
        alert (RFC 8446 §4.4.2.4) that a request already on its way can lose (the server's close
        of a socket holding unread bytes resets it). With nothing sent, the alert arrives; a server
        that closes a TLS 1.3 connection right after the handshake, before any request and without
        a ticket, is refusing the client certificate too (some servers send no alert).
        Through the same proxy and TLS context as every request; bounded by `listen` twice over.
        """
        if not self.base_url.lower().startswith("https://"):
            return None
        try:
            prepared = requests.Request("GET", self.base_url + OPERATION_PATH).prepare()
            adapter = self._session.get_adapter(self.base_url)
            assert isinstance(adapter, HTTPAdapter)
            pool = adapter.get_connection_with_tls_context(prepared, True, self._proxies)
            conn = pool._new_conn()  # type: ignore[attr-defined]  # a connection of its own, not pooled
        except Exception:  # the request that failed already said what it could
            return None
        listen = min(listen, max(self._seconds_left(), 0.0))
        # The whole step is bounded, handshake included (a trickling target restarts each read's
        # timeout): this lane's watchdog cuts the socket, as for a request.
        self._in_flight.expired = False
        self._watchdog.arm(min(self.settings.timeout, listen) + listen)
        sock: Any = None
        version = None
        try:
            conn.timeout = min(self.settings.timeout, max(listen, 0.001))
            if getattr(pool, "proxy", None) is not None and getattr(pool, "scheme", "") == "https":
                pool._prepare_proxy(conn)  # type: ignore[attr-defined]  # CONNECT, then the handshake
            else:
                conn.connect()
            sock = conn.sock
            if not isinstance(sock, ssl.SSLSocket):
                return None
            version = sock.version()  # before the close below forgets it
            give_up = time.monotonic() + listen
            while time.monotonic() < give_up:
                sock.settimeout(0.05)
                try:
                    if not sock.recv(1):
                        break  # closed without an alert
                except TimeoutError:
                    if sock.session is not None and sock.session.has_ticket:
                        return None  # a ticket follows an accepted handshake (RFC 8446 §4.6.1)
            else:
                return None  # the server kept the connection open: nothing refused
        except (OSError, ValueError) as exc:
            if self._in_flight.expired:
                return None
            named = tls_failure(exc, self._client_cert_given, self._ca_given)
            said = None if named is None else named.why
            if not isinstance(sock, ssl.SSLSocket) or (named is not None
                                                       and named.failure is not Failure.TLS_HANDSHAKE_CLOSED):
                return said  # failed in the handshake itself, or an alert named the cause
            if not isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ConnectionResetError):
                return said
        finally:
            self._watchdog.disarm()
            conn.close()
        # Closed right after the handshake, unasked. Only TLS 1.3 checks the client certificate
        # after the handshake (TLS 1.2 refuses it inside, with an alert the request would have named).
        return closed_after_handshake(self._client_cert_given) if version == "TLSv1.3" else None

    def _pause(self, seconds: float) -> None:
        """The pacer's sleep (the rate, a 429 hold), cut short by the run's deadline or `stop`:
        a lane must not sleep past the run, nor hold up Ctrl-C, for a slow rate."""
        seconds = min(seconds, max(self._seconds_left(), 0.0))
        if self._sleep is time.sleep:
            self._woken.wait(seconds)
        else:  # an injected sleep (tests count the waits on a fake clock)
            self._sleep(seconds)

    @property
    def transcript(self) -> TranscriptView:
        """Every exchange committed so far, in order, each ``seq`` its index, as a read-only
        sequence: only the client and ``commit`` add to it (conformance.record.recording.Transcript)."""
        return self._transcript.view()

    def forget_transcript(self) -> None:
        """Drop every exchange recorded so far (numbering starts again at 0): for a benchmark that
        reuses one client round after round. Never in a run, whose transcript is its evidence."""
        self._transcript.clear()

    @contextlib.contextmanager
    def recording_into(self, buffer: list[Exchange]) -> Iterator[None]:
        """This thread's exchanges go to `buffer` instead of the transcript until the block ends.

        Their seq counts on from the transcript as it is now, provisionally: ``commit`` numbers
        them for good when the buffer joins the transcript.
        """
        with self._transcript.into(buffer):
            yield

    def commit(self, buffer: list[Exchange]) -> None:
        """Join a probe's `buffer` (filled by ``recording_into``) to the transcript, its exchanges
        numbered in order where they land. conformance.run.lanes calls it in probe order, phase by
        phase, so the transcript does not depend on the lanes' timing."""
        self._transcript.commit(buffer)

    @property
    def recorded(self) -> list[Exchange]:
        """What this thread may read so far: the transcript, plus its own buffer if it has one."""
        return self._transcript.visible()

    # This thread's connection (see conformance.record.recording.PerThread).
    @property
    def _session(self) -> requests.Session:
        return self._lines.get().session

    @property
    def _in_flight(self) -> _InFlight:
        return self._lines.get().in_flight

    @property
    def _watchdog(self) -> _Watchdog:
        return self._lines.get().watchdog

    # -- the public verb -------------------------------------------------------------------
    def get(
        self,
        tag: str,
        query: Query = (),
        *,
        auth: Auth = AUTH_KEY,
        headers: Mapping[str, str] | None = None,
        path: str = OPERATION_PATH,
    ) -> Exchange:
        """Send one GET and record it. Raises TransportFailure after recording a failure."""
        return self._request("GET", tag, query, auth=auth, headers=headers, path=path)

    def _request(
        self,
        method: str,
        tag: str,
        query: Query,
        *,
        auth: Auth,
        headers: Mapping[str, str] | None,
        path: str,
    ) -> Exchange:
        if method != "GET":
            raise ForbiddenMethod(f"Refusing to send {method}: the suite sends GET only.")
        pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
        pairs = [(str(k), str(v)) for k, v in pairs]
        extra = {**self._headers, **(headers or {})}
        exchange = Exchange(
            seq=self._transcript.next_seq(),
            tag=tag,
            path=path,
            query=[(self._redactor.text(k), self._redactor.text(v)) for k, v in pairs],
            auth=self._auth_label(auth),
            request_headers=self._redactor.mapping(extra),
        )
        wire_headers = dict(extra)
        authorization = self._authorization(auth)
        if authorization is not None:
            wire_headers["Authorization"] = authorization
        try:
            self._send(exchange, pairs, wire_headers)
        finally:
            self._transcript.add(exchange)
            if self._on_exchange:
                self._on_exchange(exchange)
        if exchange.error is not None:
            raise TransportFailure(exchange.error, exchange.failure)
        return exchange

    # -- internals ---------------------------------------------------------------------------
    def _send(self, exchange: Exchange, pairs: list[tuple[str, str]], headers: dict[str, str]) -> None:
        if self._stopped is not None:
            exchange.leave_undone(NotSent.stopped(self._stopped))
            return
        with self._shared:
            if self._drops_in_a_row >= self.settings.drops_before_down:
                self._failures_in_a_row = max(self._failures_in_a_row, self.settings.failures_before_down)
                self._down_because = "the target closed every connection without a response earlier in the run"
        if self._failures_in_a_row >= self.settings.failures_before_down:
            exchange.leave_undone(NotSent.target_down(self._down_because))
            return
        if not all(_encodable(k) and _encodable(v) for k, v in pairs):
            # A lone surrogate (from an id the target sent) has no UTF-8, so no URL can carry it.
            exchange.leave_undone(NotSent.unencodable())
            return
        with self._pacer.turn() as turn:
            for attempt in range(1, self.settings.retries_on_429 + 2):
                with self._shared:  # check and count as one step: lanes must not overrun the budget
                    if self.requests_sent >= self.settings.max_requests:
                        # conformance.judge.spent_budget names it in the verdicts; `stopped` says the run
                        # was cut (report.json), so a run whose last walk went unsent cannot read as whole.
                        not_sent = NotSent.request_budget(self.settings.max_requests)
                        exchange.leave_undone(not_sent)
                        self.stopped_because = self.stopped_because or not_sent
                        raise RequestBudgetExhausted(exchange.error)
                    if self._evidence_bytes >= self.settings.evidence_budget_bytes:
                        budget = self.settings.evidence_budget_bytes / 2**20
                        not_sent = NotSent.evidence_budget(budget)
                        exchange.leave_undone(not_sent)
                        self.stopped_because = self.stopped_because or not_sent
                        raise RequestBudgetExhausted(exchange.error)
                    if self._seconds_left() <= 0:
                        not_sent = NotSent.deadline(self.settings.deadline, self.settings.deadline_reason)
                        exchange.leave_undone(not_sent)
                        self.stopped_because = self.stopped_because or not_sent
                        raise DeadlinePassed(exchange.error)
                    self.requests_sent += 1
                exchange.attempts = attempt
                self._pacer.before_attempt()
                if not self._still_to_send(exchange, attempt):
                    return
                self._attempt(exchange, pairs, headers)
                dropped = exchange.failure is Failure.DROPPED
                if dropped and self._reproduce_drop(exchange, pairs, headers):
                    return
                if exchange.left_undone is not None:
                    # The run's own bound ended it, not the target: the requests in flight in
                    # every lane are cut at once, and must not trip the circuit breaker, which
                    # would then blame the target for what the deadline left unsent.
                    return
                if exchange.failure is not None and exchange.error is not None:
                    # A hostile target's bytes can reach the error text (a bad status line echoes
                    # them): redact it, and keep it one line for the console. The kind stays.
                    exchange.fail(exchange.failure, self._redactor.text(" ".join(exchange.error.split())))
                    with self._shared:
                        self._failures_in_a_row += 1
                        self._down_because = "the target stopped answering earlier in the run"
                    return
                if exchange.status != 429:
                    with self._shared:
                        self._failures_in_a_row = 0
                        self._drops_in_a_row = 0
                    return
                turn.single_file()  # retried before any other lane sends (see Pacer.turn)
                delay = None
                if attempt <= self.settings.retries_on_429:
                    delay = self._retry_delay(exchange.response_headers.get("retry-after"))
                if delay is None:
                    # Still limited, or asked to wait longer than we will: retrying early would
                    # be rude, so the 429 is recorded as it is (judgements take it as unanswered).
                    # It counts toward the circuit breaker: an always-429 target costs a few
                    # requests, not thousands.
                    with self._shared:
                        self._failures_in_a_row += 1
                        self._down_because = "the target kept answering 429 Too Many Requests earlier in the run"
                    return
                self._pacer.hold(delay)  # this lane sleeps it; the other lanes wait out the rest
                if self._stopped is not None or self._failures_in_a_row >= self.settings.failures_before_down:
                    return  # another lane found the target down meanwhile: the 429 is recorded as it is

    def _still_to_send(self, exchange: Exchange, attempt: int) -> bool:
        """After the pacer's wait: whether the attempt counted for `exchange` is still to go.
        False when the run was stopped or its deadline passed meanwhile; the attempt is then
        given back and, for a first attempt, the exchange recorded as not sent (a retry keeps
        the 429 it had). Raises DeadlinePassed for a first attempt past the deadline."""
        if self._stopped is None and self._seconds_left() > 0:
            return True
        with self._shared:
            self.requests_sent -= 1
        if attempt > 1:
            exchange.attempts = attempt - 1
            return False
        if self._stopped is not None:
            exchange.leave_undone(NotSent.stopped(self._stopped))
            return False
        not_sent = NotSent.deadline(self.settings.deadline, self.settings.deadline_reason)
        exchange.leave_undone(not_sent)
        self.stopped_because = self.stopped_because or not_sent
        raise DeadlinePassed(exchange.error)

    def _reproduce_drop(self, exchange: Exchange, pairs: list[tuple[str, str]], headers: dict[str, str]) -> bool:
        """The same request once more after a connection closed without a response.

        True when it was dropped again: a reproducible answer of its own (CONTRACT.md counts it
        as a 5xx for the rule), recorded as such and not taken for a target that is down.
        False when the second attempt got some other outcome, which `_send` then records.
        """
        with self._shared:  # the same budget as every attempt
            if self.requests_sent >= self.settings.max_requests:
                return False
            self.requests_sent += 1
        exchange.attempts += 1
        self._pacer.before_attempt()
        if self._stopped is not None or self._seconds_left() <= 0:
            # Stopped, or out of time, while waiting for the rate: the first drop is what is recorded.
            with self._shared:
                self.requests_sent -= 1
            exchange.attempts -= 1
            return False
        self._attempt(exchange, pairs, headers)
        if exchange.failure is not Failure.DROPPED or exchange.error is None:
            return False
        # The words of a drop begin with DROPPED (Client._attempt_once): ", twice" goes after them.
        twice = f"{DROPPED}, twice {exchange.error.removeprefix(DROPPED)}"
        exchange.fail(Failure.DROPPED, self._redactor.text(" ".join(twice.split())))
        with self._shared:
            self._drops_in_a_row += 1
        return True

    def _attempt(self, exchange: Exchange, pairs: list[tuple[str, str]], headers: dict[str, str]) -> None:
        # Per-read timeouts restart with every byte, so a trickling target could hold one
        # request for hours: a watchdog cuts the connection when the whole attempt is late.
        # Late means past --timeout itself, the number the user gave and reads in the report
        # (or the run's deadline, if that comes first).
        limit = min(self.settings.timeout, max(self._seconds_left(), 0.001))
        self._in_flight.expired = self._in_flight.timed_out = False
        self._watchdog.arm(limit)
        try:
            received = self._attempt_once(exchange, pairs, headers)
        finally:
            self._watchdog.disarm()
        if received is not None and not self._in_flight.expired:
            # Masking the key is the suite's work, done off the target's clock (after the
            # watchdog): a body slow to mask is never recorded as a target that did not answer.
            self._keep_body(exchange, *received)
        # The socket's own timeout (set to the same limit) can fire before the watchdog, and
        # either may fire a hair before the deadline's instant on a loaded machine: an attempt
        # bounded by what was left of the run (not by --timeout) that ran out of time was given
        # all the time the run had, so it is the deadline's cut, never the target's timeout.
        timed_out = self._in_flight.expired or self._in_flight.timed_out
        if self._in_flight.expired:
            exchange.status, exchange.body, exchange.response_headers = None, "", {}
            exchange.body_error = None
            exchange.fail(Failure.TIMEOUT, f"no complete response within {limit:g} s")
        if timed_out and limit < self.settings.timeout:
            # The run's deadline cut it, not the target's slowness against --timeout: say so.
            cut = NotSent.deadline_cut(self.settings.deadline, self.settings.deadline_reason)
            exchange.leave_undone(cut)
            with self._shared:
                self.stopped_because = self.stopped_because or cut

    def _keep_body(self, exchange: Exchange, text: str, raw: bytes) -> None:
        """The body as evidence, masked within `redaction_seconds`; a body that takes longer
        (thousands of escapes to undo in every spelling) is kept as its size and SHA-256 only,
        the reason said as the suite's, not the target's."""
        try:
            exchange.body = self._redactor.text(text, within=self.settings.redaction_seconds)
        except RedactionTooSlow:
            exchange.body, exchange.body_truncated = "", True
            exchange.body_error = (f"{BODY_NOT_KEPT} masking the key in its {len(raw):,} bytes took over "
                                   f"{self.settings.redaction_seconds:g} s (the suite's bound, not the target's "
                                   f"fault); SHA-256 of the body received: {hashlib.sha256(raw).hexdigest()}")
        with self._shared:
            self._evidence_bytes += len(exchange.body)
        exchange.forget_readings()  # computed from the body; drop any stale value

    def _attempt_once(self, exchange: Exchange, pairs: list[tuple[str, str]],
                      headers: dict[str, str]) -> tuple[str, bytes] | None:
        """One attempt under the watchdog: (the decoded body, its bytes) to keep, or None."""
        timeout = min(self.settings.timeout, max(self._seconds_left(), 0.001))
        started = time.monotonic()
        exchange.clear_failure()
        try:
            response = self._transport.get(self.base_url + exchange.path, params=pairs, headers=headers,
                                           timeout=timeout, proxies=self._proxies)
        except requests.exceptions.SSLError as exc:
            named = tls_failure(exc, self._client_cert_given, self._ca_given)
            if named is None:
                exchange.fail(Failure.TLS, f"{TLS_FAILED}the TLS handshake failed ({_root_cause(exc)})")
            else:
                exchange.fail(named.failure, TLS_FAILED + named.why)
            return None
        except requests.exceptions.ProxyError as exc:
            # The proxy (HTTPS_PROXY, ...) failed, so nothing reached the target: say so, not "connection failed".
            exchange.fail(Failure.PROXY,
                          PROXY_FAILED + proxy_failure(exc, self.base_url + exchange.path, self._proxies))
            return None
        except requests.exceptions.ConnectTimeout:
            self._in_flight.timed_out = True
            exchange.fail(Failure.TIMEOUT, f"connection timed out after {timeout:g} s")
            return None
        except requests.exceptions.ReadTimeout:
            self._in_flight.timed_out = True
            exchange.fail(Failure.TIMEOUT, f"no response within {timeout:g} s")
            return None
        except requests.exceptions.ConnectionError as exc:
            # A TLS 1.3 server refuses a client certificate after the handshake: the ssl error then
            # comes wrapped as a connection error.
            https = self.base_url.lower().startswith("https://")
            if https and (named := tls_failure(exc, self._client_cert_given, self._ca_given)):
                exchange.fail(named.failure, TLS_FAILED + named.why)
                return None
            cause = _root_cause(exc)
            if _closed_without_response(exc):
                exchange.fail(Failure.DROPPED, f"{DROPPED} ({cause})")
            else:
                exchange.fail(Failure.CONNECTION_FAILED, f"connection failed ({cause})")
            return None
        except requests.exceptions.RequestException as exc:
            exchange.fail(Failure.OTHER, f"request failed ({_root_cause(exc)})")
            return None
        try:
            body, truncated = self._read_body(response)
        except requests.exceptions.RequestException as exc:
            exchange.fail(Failure.BROKE_OFF, f"response broke off ({_root_cause(exc)})")
            return None
        finally:
            response.close()
        exchange.elapsed_ms = round((time.monotonic() - started) * 1000, 2)
        exchange.status = response.status_code
        exchange.response_headers = self._redactor.mapping(
            {k.lower(): v for k, v in response.headers.items()}
        )
        text, exchange.body_error = _decode(body, response.encoding, exchange.content_type)
        exchange.body_error = _still_encoded(body, exchange.response_headers) or exchange.body_error
        exchange.body_truncated = truncated
        return text, body

    def _seconds_left(self) -> float:
        return math.inf if self._deadline_at is None else self._deadline_at - time.monotonic()

    def _read_body(self, response: Response) -> tuple[bytes, bool]:
        cap = self.settings.body_cap_bytes
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                return b"".join(chunks)[: self.settings.truncated_body_kept_bytes], True
        return b"".join(chunks), False

    def _retry_delay(self, retry_after: str | None) -> float | None:
        """Seconds to wait before retrying a 429; None when the target asks for more than
        ``max_retry_after``. A missing or unreadable Retry-After gets the default delay."""
        cap = self.settings.max_retry_after
        wanted = _retry_after_seconds(retry_after) if retry_after is not None else None
        if wanted is None:
            return min(1.0, cap)
        if wanted > cap:
            return None
        return max(0.0, wanted)

    def key_variant_kinds(self) -> list[str]:
        """The kinds of near miss of the configured key this client can send (``AUTH_KEY_VARIANT``)."""
        return list(key_variants(self._api_key))

    def _authorization(self, auth: Auth) -> str | None:
        if auth == AUTH_KEY:
            return _basic_auth_str(self._api_key, "")
        if auth == AUTH_KEY_AS_PASSWORD:
            return _basic_auth_str("", self._api_key)
        if auth == AUTH_NONE:
            return None
        if isinstance(auth, str) and auth.startswith(AUTH_KEY_VARIANT):
            return _basic_auth_str(key_variants(self._api_key)[auth.removeprefix(AUTH_KEY_VARIANT)], "")
        if isinstance(auth, BasicCredentials):
            return _basic_auth_str(auth.username, auth.password)
        if isinstance(auth, RawAuthorization):
            return auth.value
        if isinstance(auth, RepeatedAuthorization):
            return _LINE_BREAK.join(auth.values)
        raise ValueError(f"unknown auth {auth!r}")

    def _auth_label(self, auth: Auth) -> str:
        if isinstance(auth, str):
            return auth
        if isinstance(auth, BasicCredentials):
            return self._redactor.text(f"basic {auth.username}:{auth.password}")
        if isinstance(auth, RepeatedAuthorization):
            return self._redactor.text(f"headers {json.dumps(list(auth.values))}")
        return self._redactor.text(f"header {auth.value}")


# Accepts no cookie and offers none (see Client.__init__).
_NO_COOKIES = http.cookiejar.DefaultCookiePolicy(allowed_domains=[])


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _retry_after_seconds(value: str) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date); None if unreadable."""
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (ValueError, TypeError, OverflowError):  # "soon", a year out of range...
        return None
    return when.timestamp() - time.time()


# The leading bytes of the compressed formats a Content-Encoding names (RFC 9110 8.4.1; zstd).
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"))


def _still_encoded(body: bytes, headers: Mapping[str, str]) -> str | None:
    """Why a body that declared a Content-Encoding is still compressed once that was undone (a
    server that compresses twice), in one sentence; None when it is not. zlib's deflate header is
    told by its checksum (RFC 1950 2.2)."""
    coding = headers.get("content-encoding", "").strip().lower()
    if not coding or coding == "identity" or not body:
        return None
    found = next((name for magic, name in _COMPRESSED if body.startswith(magic)), None)
    if found is None and len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] * 256 + body[1]) % 31 == 0:
        # Text can start so too ("8", "x"): only bytes that are no UTF-8 text are taken for deflate.
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            found = "deflate"
    if found is None:
        return None
    return (f"the body is still {found}-compressed after its Content-Encoding ({coding[:40]}) was undone: "
            "the server compressed it twice")


def _decode(body: bytes, charset: str | None, content_type: str) -> tuple[str, str | None]:
    """(the body as text, why it is not JSON text even if it reads like it, or None).

    JSON is UTF-8 whatever the Content-Type says (RFC 8259 section 8.1; section 11: a
    charset parameter "has no effect on compliant recipients"): a JSON body that is not
    valid UTF-8 is the target's malformed answer, kept with U+FFFD for the bytes that are
    not. Other bodies are read in their declared charset, or utf-8 when that charset is
    unknown (``charset=x-bogus``) or no text codec at all (``charset=base64``).
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return body.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            return body.decode("utf-8", errors="replace"), f"not UTF-8 (byte {exc.start}: {exc.reason})"
    try:
        return body.decode(charset or "utf-8", errors="replace"), None
    except (LookupError, UnicodeError):
        return body.decode("utf-8", errors="replace"), None


def _closed_without_response(exc: BaseException) -> bool:
    """The server accepted the request and closed (or reset) the connection before any status line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError)


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc) or type(exc).__name__
    # urllib3 messages repeat the pool and object address; the last clause is what matters.
    return text.rsplit(": ", 1)[-1].strip("()'\"") or type(exc).__name__


class _Line:
    """One lane's connection: its own session, in-flight socket and watchdog."""

    def __init__(self, context: ssl.SSLContext | None = None, facts: TLSFacts | None = None) -> None:
        self.session = requests.Session()
        # trust_env would let ~/.netrc add credentials to the "no credentials" probes.
        self.session.trust_env = False
        # A cookie jar would send server-set cookies back, unrecorded, even on the "no
        # credentials" probes: every request must carry exactly what the transcript shows.
        self.session.cookies.set_policy(_NO_COOKIES)
        self.in_flight = _InFlight()
        self.watchdog = _Watchdog(self.in_flight.cut)
        adapter = _watched_adapter(self.in_flight, context, facts or TLSFacts())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.watchdog.close()
        self.session.close()


class _SessionTransport:
    """The real transport: this lane's requests session, on its own connection under its watchdog."""

    def __init__(self, lines: PerThread[_Line]) -> None:
        self._lines = lines

    def get(self, url: str, *, params: Sequence[tuple[str, str]], headers: Mapping[str, str], timeout: float,
            proxies: Mapping[str, str]) -> Response:
        return self._lines.get().session.get(
            url, params=list(params), headers=headers, timeout=(timeout, timeout),
            allow_redirects=False,  # never carry credentials to another host
            stream=True, proxies=dict(proxies),
        )


class _InFlight:
    """The socket the client's request is using right now, so a watchdog can cut it.

    The socket itself is kept, not the connection: on `Connection: close` the connection
    lets go of it while the response goes on reading from it.
    """

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.expired = False
        # The attempt's own socket timeout fired (connect or read), as against the watchdog.
        self.timed_out = False

    def cut(self) -> None:
        """The attempt ran out of time (the watchdog): end it now."""
        self.expired = True
        self.abort()

    def abort(self) -> None:
        """End the request in flight, if any: its blocked read (or send) returns at once."""
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One long-lived thread per client that fires `on_expiry` when an armed deadline passes.

    A thread per request (threading.Timer) cost about half a millisecond each: a third of
    the client's own overhead on a fast target.
    """

    def __init__(self, on_expiry: Callable[[], None]) -> None:
        self._on_expiry = on_expiry
        self._wake = threading.Condition()
        self._deadline: float | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> None:
        with self._wake:
            self._deadline = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="conformance-watchdog", daemon=True)
                self._thread.start()
            self._wake.notify()

    def disarm(self) -> None:
        with self._wake:
            self._deadline = None

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()

    def _watch(self) -> None:
        with self._wake:
            while not self._closed:
                if self._deadline is None:
                    self._wake.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._wake.wait(remaining)
                    continue
                self._deadline = None
                self._on_expiry()


def _split_repeated(kwargs: dict[str, Any]) -> None:
    """Headers whose value holds _LINE_BREAK become one header line per part."""
    headers = kwargs.get("headers")
    if not headers or not any(_LINE_BREAK in str(v) for v in headers.values()):
        return
    lines = HTTPHeaderDict()
    for name, value in headers.items():
        for part in str(value).split(_LINE_BREAK):
            lines.add(name, part)
    kwargs["headers"] = lines


def _watched_adapter(in_flight: _InFlight, context: ssl.SSLContext | None = None,
                     facts: TLSFacts | None = None) -> HTTPAdapter:
    """An adapter whose connections report themselves to `in_flight` as each request starts.

    Its https:// connections use `context` alone (conformance.record.tls.build_context): not the CA
    bundle requests would add, nor anything from the environment. Each TLS connection tells
    `facts` its protocol and the server's certificate. Through a proxy (CONNECT) the same holds.
    """

    # The raw socket is reported as soon as it exists, so that the watchdog can also cut a
    # TLS handshake that a target trickles byte by byte (each read restarts its timeout).
    class Watched(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            in_flight.sock = super()._new_conn()
            return in_flight.sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            in_flight.sock = self.sock
            _split_repeated(kwargs)
            try:
                super().request(*args, **kwargs)  # connects on first use
            finally:
                in_flight.sock = self.sock or in_flight.sock

    # Watched's reporting, over urllib3's TLS connection (the MRO puts HTTPSConnection under it).
    class WatchedTLS(Watched, HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sock = self.sock
            if facts is not None and isinstance(sock, ssl.SSLSocket | SSLTransport):  # SSLTransport: TLS in TLS
                facts.saw(sock.version(), sock.getpeercert(binary_form=True))

    class Pool(HTTPConnectionPool):
        ConnectionCls = Watched

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedTLS

    classes = {"http": Pool, "https": TLSPool}

    class Adapter(HTTPAdapter):
        def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
            host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
            if context is not None:
                # The run's context decides trust, and nothing else (no ca_certs, no cert_file).
                pool = {"cert_reqs": "CERT_REQUIRED", "ssl_context": context}
            return host, pool

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            if context is None:
                super().cert_verify(conn, url, verify, cert)
            # else: requests would add its default CA bundle to the run's context

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **proxy_kwargs)
            if not proxy.lower().startswith("socks"):  # SOCKS pools are classes of their own
                manager.pool_classes_by_scheme = classes  # watched through a proxy too
            return manager

    adapter = Adapter(max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = classes
    return adapter


def _loopback(base_url: str) -> bool:
    """Whether `base_url` names this machine's loopback: localhost (RFC 6761 §6.3), 127.0.0.0/8, ::1."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(base_url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
