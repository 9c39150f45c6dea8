"""The seam under the client: what sends one GET and hands back its response.

conformance.record.client keeps the policy (GET only, the budget, the deadline, the circuit
breaker, 429 retries, redaction, the transcript) and asks a :class:`Transport` for the wire.
The real one is the client's own requests session (one per lane, watched by its watchdog);
:class:`MemoryTransport` answers from a function instead, with no socket, so the client's
policy can be tested fast and exactly (httpx's ``MockTransport`` is the model). End-to-end
tests keep real sockets.

A transport reports a failure as requests does, by raising a ``requests.exceptions``
error (``ReadTimeout``, ``ConnectionError``...): the client turns those into the exchange's
recorded error, the same way for either transport.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers


class Response(Protocol):
    """What the client reads of an answer (requests.Response has all of it)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def encoding(self) -> str | None: ...

    def iter_content(self, chunk_size: int) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Sends one GET of `url` with the query `params` and `headers` (sent as given), bounded by
    `timeout` seconds for the connection and for each read, through `proxies`; never follows a
    redirect. Returns the response with its body still to read; raises a
    ``requests.exceptions.RequestException`` when no response came."""

    def get(self, url: str, *, params: Sequence[tuple[str, str]], headers: Mapping[str, str], timeout: float,
            proxies: Mapping[str, str]) -> Response: ...


@dataclass(frozen=True)
class Sent:
    """A request a MemoryTransport received: `path` with its query string, encoded as requests
    encodes it on the wire, and the headers as the client gave them."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Answer:
    """What a MemoryTransport's handler answers: a status, a body and headers."""

    status: int = 200
    body: bytes = b'{"object": "list", "data": [], "has_more": false, "url": "/v1/checkout/sessions"}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


class _MemoryResponse:
    def __init__(self, answer: Answer) -> None:
        self.status_code = answer.status
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(answer.headers)
        # The charset requests would read from the same headers (text/* without one: ISO-8859-1).
        self.encoding = get_encoding_from_headers(self.headers)
        self._body = answer.body

    def iter_content(self, chunk_size: int) -> Iterator[bytes]:
        for start in range(0, len(self._body), chunk_size):
            yield self._body[start:start + chunk_size]

    def close(self) -> None:
        pass


class MemoryTransport:
    """A transport with no network: `handler(n, sent)` answers the n-th request (from 0), or raises
    a ``requests.exceptions`` error to stand for a failure (a timeout, a dropped connection).
    Every request is kept in `sent`, in order; safe to share between lanes."""

    def __init__(self, handler: Callable[[int, Sent], Answer]) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.sent: list[Sent] = []

    def get(self, url: str, *, params: Sequence[tuple[str, str]], headers: Mapping[str, str], timeout: float,
            proxies: Mapping[str, str]) -> Response:
        path = requests.Request("GET", url, params=list(params)).prepare().path_url
        sent = Sent("GET", path, dict(headers))
        with self._lock:
            n = len(self.sent)
            self.sent.append(sent)
        return _MemoryResponse(self._handler(n, sent))
