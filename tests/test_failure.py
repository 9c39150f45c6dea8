"""What the client records for a request that got no usable answer reads back as the same kind
(conformance.failure): from exchanges.jsonl's `failure`, and from the words alone only in a
transcript written before it. The judge and the preflight ask the kind, never the words."""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.checks import protocol
from conformance.errors import TargetUnreachable, TransportFailure, UsageError
from conformance.exchange import Exchange
from conformance.failure import DROPPED, HANDSHAKE_CLOSED, PROXY_FAILED, TLS_FAILED, Failure
from conformance.not_sent import NotSent
from conformance.record.client import Client, ClientSettings
from conformance.record.transport import Answer, MemoryTransport, Sent
from conformance.reports.exchanges import read_exchanges
from conformance.run.runner import _preflight
from conformance.verdicts import Finding
from tests.checks.test_judgements import RUN, SPEC, Transcript

KEY = "sk_test_FAILURE_0123456789"

# One sentence of each kind, worded as the client words it (conformance.record.client).
WORDED = {
    Failure.DROPPED: f"{DROPPED}, twice (Remote end closed connection without response)",
    Failure.TLS: f"{TLS_FAILED}certificate verify failed: the server's certificate has expired; the target must "
                 "renew it",
    Failure.TLS_HANDSHAKE_CLOSED: f"{TLS_FAILED}{HANDSHAKE_CLOSED}; check that it serves HTTPS on that port, and "
                                  "whether it demands a client certificate (--client-cert, --client-key)",
    Failure.PROXY: f"{PROXY_FAILED}the proxy 127.0.0.1:3128 (from HTTPS_PROXY) cannot be reached",
    Failure.CONNECTION_FAILED: "connection failed (Connection refused)",
    Failure.TIMEOUT: "no response within 10 s",
    Failure.BROKE_OFF: "response broke off (Connection broken: IncompleteRead(12 bytes read))",
    Failure.OTHER: "request failed (Invalid header value)",
}


def _exchange(seq: int = 1) -> Exchange:
    return Exchange(seq=seq, tag="walk:100", path="/v1/checkout/sessions", query=[("limit", "100")])


def _saved(exchange: Exchange) -> Exchange:
    """`exchange` written to exchanges.jsonl and read back, as `verify` reads it."""
    return Exchange.from_dict(json.loads(json.dumps(exchange.to_dict())))


def _legacy(exchange: Exchange, *fields: str) -> Exchange:
    """`exchange` as a transcript written before `fields` existed holds it: its words are all it has."""
    written = exchange.to_dict()
    for name in fields:
        del written[name]
    return Exchange.from_dict(json.loads(json.dumps(written)))


def test_every_kind_has_its_words_here() -> None:
    assert set(WORDED) == set(Failure)


@pytest.mark.parametrize("kind", list(Failure))
def test_each_kind_is_written_and_reads_back_as_itself(kind: Failure) -> None:
    exchange = _exchange()
    exchange.fail(kind, WORDED[kind])
    assert (exchange.failure, exchange.error) == (kind, WORDED[kind])
    read = _saved(exchange)
    assert (read.failure, read.error) == (kind, WORDED[kind])
    assert read.to_dict() == exchange.to_dict()
    assert json.loads(json.dumps(exchange.to_dict()))["failure"] == kind.value  # as exchanges.jsonl holds it
    assert read.dropped == (kind is Failure.DROPPED)


def test_an_answered_or_unsent_request_has_no_failure() -> None:
    answered = _exchange()
    answered.status = 200
    assert answered.to_dict()["failure"] is None and _saved(answered).failure is None
    unsent = _exchange()
    unsent.fail(Failure.TIMEOUT, "no response within 10 s")
    unsent.leave_undone(NotSent.deadline_cut(5))  # the run's deadline cut it: a bound, not a failure
    assert (unsent.failure, unsent.error) == (None, "cut: the run's deadline (5 s) has passed")
    assert _saved(unsent).failure is None and _saved(unsent).left_undone == NotSent.deadline_cut(5)


@pytest.mark.parametrize("kind", list(Failure))
def test_a_transcript_written_before_failure_existed_is_read_from_its_words(kind: Failure) -> None:
    exchange = _exchange()
    exchange.fail(kind, WORDED[kind])
    assert _legacy(exchange, "failure").failure is kind  # written this morning: left_undone, no failure
    assert _legacy(exchange, "failure", "left_undone").failure is kind  # older: neither
    assert Failure.from_legacy_error(WORDED[kind]) is kind


@pytest.mark.parametrize(("error", "kind"), [
    # Words older transcripts hold, as the client has written them.
    ("closed the connection without a response (Remote end closed connection without response)", Failure.DROPPED),
    ("connection timed out after 10 s", Failure.TIMEOUT),
    ("no complete response within 10 s", Failure.TIMEOUT),
    ("TLS failed: the TLS handshake failed (wrong version number)", Failure.TLS),
    (None, None),
    ("not sent: the request budget (60) is used up", None),  # a bound of the run (left_undone), not a failure
    ("cut: the run's deadline (5 s) has passed", None),
    ("something no version of the suite wrote", Failure.OTHER),
])
def test_older_words_read_back_as_their_kind(error: str | None, kind: Failure | None) -> None:
    assert Failure.from_legacy_error(error) is kind
    exchange = _exchange()
    exchange.error = error
    assert _legacy(exchange, "failure", "left_undone").failure is kind


def test_the_judge_asks_the_kind_not_the_words() -> None:
    # An error worded as a drop whose kind is another (a target's own text could read so) is no drop;
    # a drop is one whatever its words.
    def judged(error: str, failure: Failure) -> tuple[bool, Finding]:
        t = Transcript()
        t.add("unknown-param:baseline", [("limit", "3")], body={"object": "list", "data": [], "has_more": False})
        exchange = t.add("unknown-param", [("limit", "3"), ("expand[]", "x")], error=error, failure=failure)
        t.exchanges[-1] = _saved(exchange)
        [err002] = protocol.judge_no_server_errors(t.record, RUN, SPEC)
        return t.exchanges[-1].dropped, err002.finding

    assert judged(f"{DROPPED}, twice (reset)", Failure.CONNECTION_FAILED) == (False, Finding.HELD)
    assert judged("the connection went away", Failure.DROPPED) == (True, Finding.VIOLATED)
    assert judged(f"{DROPPED}, twice (reset)", Failure.DROPPED) == (True, Finding.VIOLATED)


@pytest.mark.parametrize("fields", [
    {"failure": "nap"},
    {"failure": "DROPPED"},  # the enum's name, not its value
    {"failure": 3},
    {"failure": ["dropped"]},
    {"failure": {"kind": "dropped"}},
    {"failure": True},
    {"failure": "dropped", "error": None},  # a kind without its words
    {"failure": "timeout", "error": NotSent.deadline_cut(5).error,
     "left_undone": NotSent.deadline_cut(5).to_record()},  # both a failure and a bound
    {"error": 12},
])
def test_a_hand_edited_failure_is_refused_as_a_line_that_is_not_an_exchange(fields: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    exchange = _exchange()
    exchange.fail(Failure.DROPPED, WORDED[Failure.DROPPED])
    with pytest.raises((ValueError, TypeError)):
        Exchange.from_dict(exchange.to_dict() | fields)
    saved = tmp_path / "exchanges.jsonl"
    saved.write_text(json.dumps(_exchange(0).to_dict()) + "\n" + json.dumps(exchange.to_dict() | fields) + "\n",
                     encoding="utf-8")
    with pytest.raises(ValueError, match=r"exchanges\.jsonl line 2 is not an exchange"):
        read_exchanges(saved)


# -- what the client records -----------------------------------------------------------------

def _dropped() -> None:
    try:
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    except http.client.RemoteDisconnected as exc:
        raise requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())") from exc


def _eof() -> ssl.SSLEOFError:
    """The ssl error of a connection closed in the handshake with no alert, as the ssl module raises it."""
    error = ssl.SSLEOFError(8, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol")
    error.reason = "UNEXPECTED_EOF_WHILE_READING"  # set by the ssl module on the errors it raises
    return error


def _raises(exc: BaseException) -> Any:
    def handler(_index: int, _sent: Sent) -> Answer:
        raise exc
    return handler


class _BreaksOff:
    """A transport whose answer starts, then breaks off in the body."""

    class _Response:
        status_code = 200
        headers = {"content-type": "application/json"}
        encoding = "utf-8"

        def iter_content(self, chunk_size: int) -> Iterator[bytes]:
            yield b'{"object": "li'
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(14 bytes read)")

        def close(self) -> None:
            pass

    def get(self, url: str, *, params: Sequence[tuple[str, str]], headers: Mapping[str, str], timeout: float,
            proxies: Mapping[str, str]) -> Any:
        return self._Response()


def _drop_handler(index: int, sent: Sent) -> Answer:
    _dropped()
    raise AssertionError("unreachable")


@pytest.mark.parametrize(("transport", "kind", "words"), [
    (MemoryTransport(_drop_handler), Failure.DROPPED, f"{DROPPED}, twice "),
    (MemoryTransport(_raises(requests.exceptions.ConnectionError("refused"))), Failure.CONNECTION_FAILED,
     "connection failed ("),
    (MemoryTransport(_raises(requests.exceptions.ConnectTimeout("slow"))), Failure.TIMEOUT, "connection timed out"),
    (MemoryTransport(_raises(requests.exceptions.ReadTimeout("slow"))), Failure.TIMEOUT, "no response within"),
    (MemoryTransport(_raises(requests.exceptions.ProxyError("Unable to connect to proxy"))), Failure.PROXY,
     PROXY_FAILED),
    (MemoryTransport(_raises(requests.exceptions.SSLError(_eof()))),
     Failure.TLS_HANDSHAKE_CLOSED, TLS_FAILED + HANDSHAKE_CLOSED),
    (MemoryTransport(_raises(requests.exceptions.SSLError("no ssl error inside"))), Failure.TLS,
     f"{TLS_FAILED}the TLS handshake failed ("),
    (MemoryTransport(_raises(requests.exceptions.InvalidHeader("bad"))), Failure.OTHER, "request failed ("),
    (_BreaksOff(), Failure.BROKE_OFF, "response broke off ("),
], ids=lambda value: value.value if isinstance(value, Failure) else None)
def test_the_client_records_each_failure_with_its_kind_and_its_usual_words(
        transport: Any, kind: Failure, words: str) -> None:
    client = Client("http://memory.invalid", KEY, ClientSettings(), transport=transport)
    with pytest.raises(TransportFailure) as raised:
        client.get("x")
    [exchange] = client.transcript
    assert exchange.failure is kind and exchange.error is not None and exchange.error.startswith(words)
    assert (raised.value.failure, str(raised.value)) == (kind, exchange.error)  # the kind travels with the words
    assert Failure.from_legacy_error(exchange.error) is kind  # the words a reader sees still say the same
    assert exchange.dropped == (kind is Failure.DROPPED)


def test_a_request_the_run_left_unsent_raises_without_a_kind() -> None:
    client = Client("http://memory.invalid", KEY, transport=MemoryTransport(lambda i, s: Answer()))
    client.stop("the run was interrupted")
    with pytest.raises(TransportFailure) as raised:
        client.get("x")
    assert raised.value.failure is None and client.transcript[0].left_undone == NotSent.stopped(
        "the run was interrupted")


# -- the preflight asks the kind ---------------------------------------------------------------

class _Refused:
    """Stands for a client whose first request failed with `error` of kind `failure`."""

    base_url = "http://target.invalid"
    stopped_because = None

    def __init__(self, error: str, failure: Failure | None) -> None:
        self.error, self.failure = error, failure

    def get(self, tag: str, path: str) -> Exchange:
        raise TransportFailure(self.error, self.failure)


@pytest.mark.parametrize(("error", "failure", "raised", "said"), [
    (f"{PROXY_FAILED}the proxy 127.0.0.1:3128 (from HTTPS_PROXY) cannot be reached", Failure.PROXY, UsageError,
     "the proxy 127.0.0.1:3128 (from HTTPS_PROXY) cannot be reached."),
    (f"{TLS_FAILED}the target answered in plain HTTP, not TLS", Failure.TLS, UsageError,
     "Cannot connect to http://target.invalid over TLS: the target answered in plain HTTP, not TLS."),
    # Worded as the user's setup, but of another kind: the target is what could not be reached.
    (f"{PROXY_FAILED}the target said so", Failure.CONNECTION_FAILED, TargetUnreachable,
     f"Cannot reach http://target.invalid: {PROXY_FAILED}the target said so."),
    (f"{TLS_FAILED}the target said so", Failure.OTHER, TargetUnreachable,
     f"Cannot reach http://target.invalid: {TLS_FAILED}the target said so."),
    # Of the kind, in other words: the kind decides, its words are said as they are.
    ("the proxy would not tunnel", Failure.PROXY, UsageError, "the proxy would not tunnel."),
])
def test_the_preflight_classifies_a_failure_by_its_kind(error: str, failure: Failure, raised: type[Exception],
                                                        said: str) -> None:
    with pytest.raises(raised) as caught:
        _preflight(_Refused(error, failure))  # type: ignore[arg-type]
    assert str(caught.value) == said


def test_the_readme_names_every_kind_exchanges_jsonl_holds() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith("| `exchanges.jsonl` |")]
    assert [kind for kind in Failure if f"`{kind.value}`" not in row] == []
