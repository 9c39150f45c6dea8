"""Probes side by side through one client: global budget, 429 hold and GET-only; a
transcript in probe order whatever the timing; a proactive rate on an injected clock."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.checks.base import Probe, ProbeContext, RunContext
from conformance.cli import main
from conformance.errors import TransportFailure
from conformance.exchange import Exchange
from conformance.profiles import PROFILES
from conformance.record.client import Client, ClientSettings
from conformance.record.ratelimit import Pacer, TokenBucket
from conformance.record.recording import Transcript
from conformance.reference.server import ReferenceConfig, start_background
from conformance.run.lanes import ProbeRun, phases, probe_rng, run_probes
from conformance.spec import default_spec
from tests.support.runs import run_cli
from tests.support.scripted import Received, Reply, in_flight_proxy, scripted_server

KEY = "sk_test_LANES_0123456789"
RUN = RunContext(PROFILES["standard"], None, True, 0)


class FakeTime:
    """A clock that moves only when slept on; records each sleep (thread name, seconds)."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.slept: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append((threading.current_thread().name, round(seconds, 9)))
            self.now += seconds


def _ok(_index: int, _request: Received) -> Reply:
    return Reply()


def _jittered(_index: int, request: Received) -> Reply:
    # Each path waits its own few milliseconds, so lanes finish in an order unlike the
    # order they started in.
    time.sleep((zlib.crc32(request.path.encode()) % 7) / 1000)
    return Reply()


def _probes(count: int, requests: int) -> list[Probe]:
    def asks(name: str) -> Probe:
        def run(ctx: ProbeContext) -> None:
            for step in range(requests):
                ctx.client.get(f"{name}:{step}", [("probe", name), ("step", str(step))])
        return Probe(name, "test", run)
    return [asks(f"p{k}") for k in range(count)]


def _context(client: Client) -> Callable[[Probe], ProbeContext]:
    return lambda probe: ProbeContext(client, RUN, default_spec(), probe_rng(0, probe))


def test_the_request_budget_is_exact_across_lanes() -> None:
    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY, ClientSettings(max_requests=25))
        runs = run_probes(client, _probes(8, 10), _context(client), concurrency=8)
        client.close()
    assert len(target.received) == 25
    assert client.requests_sent == 25
    assert sum(r.sent for r in runs) == 25
    answered = [e for e in client.transcript if e.status == 200]
    assert len(answered) == 25
    # Each probe stopped at its first refused request, which says why.
    refused = [e for e in client.transcript if e.error]
    assert refused and all("request budget (25) is used up" in (e.error or "") for e in refused)
    assert len(refused) <= 8


def test_a_429_holds_every_lane_and_its_retry_goes_first() -> None:
    told = threading.Event()
    fake = FakeTime()
    main_lane = threading.current_thread().name

    def limited(_index: int, request: Received) -> Reply:
        if "lane=a" in request.path and not told.is_set():
            return Reply(429, b"{}", {"Retry-After": "2"})
        return Reply()

    def sleep(seconds: float) -> None:
        if threading.current_thread().name == main_lane:
            told.set()  # lane a was told to wait 2 s: lane b asks while it waits
            time.sleep(0.3)
        fake.sleep(seconds)

    with scripted_server(limited) as target:
        client = Client(target.base_url, KEY, ClientSettings(max_retry_after=5.0), sleep=sleep, clock=fake.clock)

        def lane_b() -> None:
            assert told.wait(10)
            client.get("b", [("lane", "b")])
            client.get("b", [("lane", "b")])

        b = threading.Thread(target=lane_b, name="lane-b")
        b.start()
        exchange = client.get("a", [("lane", "a")])
        b.join(10)
        client.close()
    assert exchange.status == 200 and exchange.attempts == 2
    assert (main_lane, 2.0) in fake.slept
    # Lane b asked during a's hold and waited for it: a's retry went first, then b, single file.
    lanes = [r.path.split("lane=")[1] for r in target.received]
    assert lanes == ["a", "a", "b", "b"]


def test_a_target_limiting_one_request_in_four_answers_every_lane_after_retries() -> None:
    # Counted across lanes, every fourth request is refused with Retry-After: 0. Side by side,
    # the other lanes would take the slots a retry needs; single file after the first 429,
    # every request ends answered.
    def every_fourth(index: int, _request: Received) -> Reply:
        return Reply(429, b"{}", {"Retry-After": "0"}) if index % 4 == 3 else Reply()

    with scripted_server(every_fourth) as target:
        client = Client(target.base_url, KEY, ClientSettings())
        run_probes(client, _probes(4, 12), _context(client), concurrency=4)
        client.close()
    assert len(client.transcript) == 48
    assert [e for e in client.transcript if e.status != 200] == []
    assert any(e.attempts > 1 for e in client.transcript)


def test_a_hold_is_slept_once_by_each_lane() -> None:
    slept: list[tuple[str, float]] = []
    pacer = Pacer(None, clock=lambda: 100.0, sleep=lambda s: slept.append((threading.current_thread().name, s)))
    pacer.hold(3.0)  # this lane was told 429, Retry-After 3, and sleeps it

    def other_lane() -> None:
        pacer.before_attempt()
        pacer.before_attempt()

    other = threading.Thread(target=other_lane, name="other")
    other.start()
    other.join(10)
    pacer.before_attempt()
    assert slept == [(threading.current_thread().name, 3.0), ("other", 3.0)]


def test_only_get_leaves_any_lane() -> None:
    def tries_post(ctx: ProbeContext) -> None:
        ctx.client.get("fine")
        ctx.client._request("POST", "nope", (), auth="key", headers=None, path="/v1/checkout/sessions")

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        probes = [Probe(f"p{k}", "test", tries_post) for k in range(4)]
        runs = run_probes(client, probes, _context(client), concurrency=4)
        client.close()
    assert [r.method for r in target.received] == ["GET"] * 4
    assert [e.tag for e in client.transcript] == ["fine"] * 4
    assert all(r.crashed is None for r in runs)  # refused by the guard, not a crash


def _transcript_of_jittered_run(concurrency: int) -> list[tuple[int, str, list[tuple[str, str]]]]:
    with scripted_server(_jittered) as target:
        client = Client(target.base_url, KEY)
        first = Probe("walks", "test", lambda ctx: ctx.client.get("walk", [("probe", "walk")]), order="first")
        last = Probe("recheck", "test", lambda ctx: ctx.client.get("recheck", [("probe", "recheck")]), order="last")
        run_probes(client, [last, *_probes(6, 5), first], _context(client), concurrency)
        client.close()
        # The server did see the lanes interleave (else this test proves nothing).
        if concurrency > 1:
            seen = [r.path for r in target.received[1:-1]]
            assert seen != sorted(seen, key=lambda p: (p.split("probe=p")[1][:1], p))
    return [(e.seq, e.tag, e.query) for e in client.transcript]


def test_the_transcript_is_in_probe_order_and_the_same_every_time() -> None:
    sequential = _transcript_of_jittered_run(1)
    expected_tags = ["walk", *(f"p{k}:{s}" for k in range(6) for s in range(5)), "recheck"]
    assert [tag for _, tag, _ in sequential] == expected_tags
    assert [seq for seq, _, _ in sequential] == list(range(len(expected_tags)))
    assert _transcript_of_jittered_run(4) == sequential
    assert _transcript_of_jittered_run(4) == sequential


def test_the_transcript_numbers_each_buffer_where_it_lands_in_commit_order() -> None:
    # conformance.record.recording.Transcript, alone: two buffers filled side by side both count on
    # from the same place; committed B then A, they are numbered in that order, one after another.
    transcript = Transcript()
    transcript.add(Exchange(transcript.next_seq(), "walk", "/v1/checkout/sessions", []))
    a: list[Exchange] = []
    b: list[Exchange] = []
    for buffer, name in ((a, "a"), (b, "b"), (a, "a")):
        with transcript.into(buffer):
            transcript.add(Exchange(transcript.next_seq(), name, "/v1/checkout/sessions", []))
            assert [e.tag for e in transcript.visible()] == ["walk", *(e.tag for e in buffer)]
    assert [e.seq for e in (*a, *b)] == [1, 2, 1]  # provisional: each counts on from the transcript
    transcript.commit(b)
    transcript.commit(a)
    assert [(e.seq, e.tag) for e in transcript.exchanges] == [(0, "walk"), (1, "b"), (2, "a"), (3, "a")]


def test_a_probe_reads_the_earlier_phases_and_its_own_exchanges_only() -> None:
    seen: dict[str, list[str]] = {}
    started = threading.Barrier(3, timeout=10)

    def reader(name: str) -> Probe:
        def run(ctx: ProbeContext) -> None:
            ctx.client.get(f"{name}:own")
            started.wait()  # every lane has recorded something before anyone reads
            seen[name] = [e.tag for e in ctx.record]
            assert [e.seq for e in ctx.record] == list(range(len(seen[name])))
        return Probe(name, "test", run)

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        walks = Probe("walks", "test", lambda ctx: ctx.client.get("walk:100"), order="first")
        run_probes(client, [walks, reader("a"), reader("b"), reader("c")], _context(client), 3)
        client.close()
    assert seen == {n: ["walk:100", f"{n}:own"] for n in "abc"}


def test_probes_are_phased_walks_first_recheck_last() -> None:
    from conformance.checks.registry import PROBES

    grouped = phases(PROBES)
    assert [p.name for p in grouped[0]] == ["walk:100"]
    assert [p.name for p in grouped[-1]] == ["recheck"]
    assert len(grouped) == 3 and len(grouped[1]) == len(PROBES) - 2


def test_a_crashing_probe_is_kept_and_the_others_go_on() -> None:
    def boom(ctx: ProbeContext) -> None:
        ctx.client.get("boom")
        raise KeyError(f"a bug near {KEY}")

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        runs = run_probes(client, [Probe("boom", "test", boom), *_probes(3, 2)], _context(client), 4)
        client.close()
    assert isinstance(runs[0], ProbeRun) and runs[0].crashed is not None
    assert KEY not in runs[0].crashed and "KeyError" in runs[0].crashed
    assert [r.crashed for r in runs[1:]] == [None, None, None]
    assert len(client.transcript) == 7


def test_an_error_escaping_one_lane_ends_the_run_instead_of_hanging_it() -> None:
    # Each lane runs one of two probes (they meet at a barrier); the second lane's on_done
    # raises (e.g. a progress line written to a closed stderr). Its probe never ends, so the
    # other lane, the one run_probes waits on first, must be released rather than wait forever.
    beside = threading.Barrier(2, timeout=10)

    def meet(ctx: ProbeContext) -> None:
        beside.wait()
        ctx.client.get(ctx.rng.choice("ab"))

    def on_done(_run: ProbeRun) -> None:
        if threading.current_thread().name.endswith("_1"):
            raise OSError("stderr is closed")

    outcome: list[BaseException] = []

    def go(client: Client) -> None:
        probes = [Probe("walk", "test", meet, order="first"), Probe("beside", "test", meet, reads_record=False)]
        try:
            run_probes(client, probes, _context(client), concurrency=2, on_done=on_done)
        except BaseException as exc:  # what escaped is the outcome looked at
            outcome.append(exc)

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        runner = threading.Thread(target=go, args=(client,), daemon=True)
        runner.start()
        runner.join(15)
        client.close()
    assert not runner.is_alive(), "run_probes hung after a lane's error"
    assert [type(exc) for exc in outcome] == [OSError]


# -- a proactive rate ---------------------------------------------------------------------------
def test_a_token_bucket_spaces_requests_at_its_rate() -> None:
    fake = FakeTime()
    bucket = TokenBucket(4.0, clock=fake.clock, sleep=fake.sleep)
    waits = [bucket.take() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.25, 0.25, 0.25]
    fake.now += 10  # idle: no credit piles up beyond the burst (1)
    assert [bucket.take() for _ in range(2)] == [0.0, 0.25]


def test_a_token_bucket_lets_its_burst_through_at_once() -> None:
    fake = FakeTime()
    bucket = TokenBucket(2.0, burst=3, clock=fake.clock, sleep=fake.sleep)
    assert [bucket.take() for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 0.5]


def test_rate_limit_is_respected_by_the_client_across_lanes() -> None:
    fake = FakeTime()
    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY, ClientSettings(rate_limit=5.0), sleep=fake.sleep, clock=fake.clock)
        run_probes(client, _probes(4, 5), _context(client), concurrency=4)
        client.close()
    assert len(target.received) == 20
    # 20 requests at 5/s: the first goes at once, each later one 0.2 s after the one before,
    # whichever lane sends it, so the fake clock ends 19 intervals on.
    assert fake.now == pytest.approx(100.0 + 19 * 0.2)
    assert len(fake.slept) == 19


@pytest.mark.parametrize("flag", [["--concurrency", "0"], ["--concurrency", "99"], ["--rate-limit", "0"],
                                  ["--rate-limit", "nan"], ["--rate-limit", "fast"]])
def test_bad_concurrency_or_rate_is_a_usage_error(flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", *flag])
    assert stop.value.code == 2
    assert "See `checkout-conformance run --help`." in capsys.readouterr().err


# -- a whole run --------------------------------------------------------------------------------
def _requests(report_dir: Path) -> list[tuple[int, str, str, list[list[str]], str]]:
    lines = (report_dir / "exchanges.jsonl").read_text().splitlines()
    return [(d["seq"], d["tag"], d["path"], d["query"], d["auth"]) for d in map(json.loads, lines)]


def test_a_concurrent_run_sends_what_a_sequential_one_does_and_verifies(tmp_path: Path) -> None:
    with start_background(ReferenceConfig()) as server:
        code_1, report_1 = run_cli(server.base_url, server.api_key, tmp_path / "one", "--concurrency", "1")
        code_4, report_4 = run_cli(server.base_url, server.api_key, tmp_path / "four", "--concurrency", "4")
    assert (code_1, code_4) == (0, 0)
    assert _requests(tmp_path / "four") == _requests(tmp_path / "one")
    assert report_4["requests"] == report_1["requests"]
    assert main(["verify", str(tmp_path / "four")]) == 0


def test_the_longest_probes_start_first_and_the_transcript_keeps_probe_order() -> None:
    started: list[str] = []
    both_running = threading.Barrier(2, timeout=10)

    def probe(name: str, cost: int) -> Probe:
        def run(ctx: ProbeContext) -> None:
            started.append(name)
            if len(started) <= 2:
                both_running.wait()  # the first two hold their lanes until both have started
            ctx.client.get(name)
        return Probe(name, "test", run, cost=lambda _ctx: cost)

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        probes = [probe("short", 1), probe("long", 9), probe("middle", 3), probe("longer", 5)]
        run_probes(client, probes, _context(client), concurrency=2)
        client.close()
    assert set(started[:2]) == {"long", "longer"}
    assert [e.tag for e in client.transcript] == ["short", "long", "middle", "longer"]


@pytest.mark.parametrize(("sessions", "profile"), [(57, "standard"), (230, "quick"), (1_200, "standard")])
def test_each_probe_is_expected_to_send_what_it_sends(sessions: int, profile: str) -> None:
    # The lanes start the longest probes first by these guesses: a guess far off leaves a long
    # probe to start last and the run waits on it alone (issue 12). Against the reference each
    # guess is exact, but for the generated streams, whose guess is their upper bound.
    import dataclasses

    from conformance.checks.registry import PROBES

    expected: dict[str, int] = {}

    def recording(probe: Probe) -> Probe:
        def cost(ctx: ProbeContext) -> int:
            expected[probe.name] = probe.cost(ctx)
            return expected[probe.name]
        return dataclasses.replace(probe, cost=cost)

    run = RunContext(PROFILES[profile], None, True, 0)
    with start_background(ReferenceConfig(sessions=sessions, api_key=KEY)) as server:
        client = Client(server.base_url, KEY)
        runs = run_probes(client, [recording(p) for p in PROBES],
                          lambda probe: ProbeContext(client, run, default_spec(), probe_rng(0, probe)), concurrency=4)
        client.close()
    sent = {r.probe.name: r.sent for r in runs if r.probe.order == "any"}
    assert set(expected) == set(sent)
    generated = {name for name in sent if name.startswith("generated")}
    assert {n: expected[n] for n in sent if n not in generated} == {n: sent[n] for n in sent if n not in generated}
    assert all(sent[n] <= expected[n] for n in generated), (sent, expected)


def test_a_probe_reading_nothing_earlier_starts_beside_the_reference_walk() -> None:
    # The reference walk holds its lane until the independent probe has started beside it;
    # the probe that reads the record waits for the walk and sees it.
    beside = threading.Barrier(2, timeout=10)
    seen: list[str] = []

    def walk(ctx: ProbeContext) -> None:
        beside.wait()
        ctx.client.get("walk:100")

    def independent(ctx: ProbeContext) -> None:
        beside.wait()
        ctx.client.get("independent")

    def reader(ctx: ProbeContext) -> None:
        seen.extend(e.tag for e in ctx.record)
        ctx.client.get("reader")

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        probes = [Probe("walk", "test", walk, order="first"), Probe("reader", "test", reader, cost=lambda _ctx: 9),
                  Probe("independent", "test", independent, reads_record=False)]
        runs = run_probes(client, probes, _context(client), concurrency=2)
        client.close()
    assert [r.crashed for r in runs] == [None, None, None]
    assert seen == ["walk:100"]
    assert [e.tag for e in client.transcript] == ["walk:100", "reader", "independent"]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_no_more_requests_are_in_flight_than_concurrency_allows(tmp_path: Path, concurrency: int) -> None:
    # Each request is held 5 ms at the proxy, so lanes that may overlap do overlap.
    with start_background(ReferenceConfig()) as server, in_flight_proxy(server.base_url) as proxy:
        code, report = run_cli(proxy.base_url, server.api_key, tmp_path, "--profile", "quick",
                               "--concurrency", str(concurrency))
    assert code == 0
    assert proxy.forwarded == report["requests"]
    assert proxy.most == concurrency


def test_a_cost_that_cannot_be_read_orders_the_probe_last_and_the_run_goes_on() -> None:
    def broken(_ctx: ProbeContext) -> int:
        raise TypeError("a cost read from a hostile page")

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        probes = [Probe("broken", "test", lambda ctx: ctx.client.get("broken"), cost=broken), *_probes(2, 1)]
        runs = run_probes(client, probes, _context(client), concurrency=2)
        client.close()
    assert [r.crashed for r in runs] == [None, None, None]
    assert [e.tag for e in client.transcript] == ["broken", "p0:0", "p1:0"]


def test_a_failure_in_the_scheduling_itself_is_raised_not_a_hang() -> None:
    # The recheck's context cannot be made: the lane that ends the last ANY probe finds it
    # out and fails, while the other lane waits for a phase that will never come.
    outcome: list[BaseException | None] = []

    def context_of(client: Client) -> Callable[[Probe], ProbeContext]:
        def make(probe: Probe) -> ProbeContext:
            if probe.name == "recheck":
                raise RuntimeError("no context")
            return ProbeContext(client, RUN, default_spec(), probe_rng(0, probe))
        return make

    def slow(ctx: ProbeContext) -> None:
        time.sleep(0.3)
        ctx.client.get("slow")

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        probes = [Probe("walk", "test", lambda ctx: ctx.client.get("walk:100"), order="first"),
                  Probe("slow", "test", slow, reads_record=False),
                  Probe("quick", "test", lambda ctx: ctx.client.get("quick")),
                  Probe("recheck", "test", lambda ctx: ctx.client.get("recheck"), order="last")]

        def go() -> None:
            try:
                run_probes(client, probes, context_of(client), concurrency=2)
                outcome.append(None)
            except RuntimeError as exc:
                outcome.append(exc)

        runner = threading.Thread(target=go, daemon=True)
        runner.start()
        runner.join(timeout=20)
        client.close()
    assert not runner.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError)


def _second_request_in_a_thread(client: Client) -> tuple[threading.Thread, list[Exception]]:
    """The client's second request (the first took the bucket's one token), sent from a thread."""
    client.get("first")
    raised: list[Exception] = []

    def second() -> None:
        try:
            client.get("second")
        except Exception as exc:  # a request not sent ends with a ClientError
            raised.append(exc)

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    return thread, raised


# 1e-320 is above 0, so --rate-limit accepts it, but 1 / 1e-320 overflows to inf: the bucket
# must still space requests by its interval, not meet 0 * inf = nan and let everything through.
@pytest.mark.parametrize("rate", [0.01, 1e-320])
def test_a_wait_for_the_rate_ends_at_the_deadline_and_sends_nothing(rate: float) -> None:
    """Two requests at `rate` (at most one per 100 s) with a 1 s deadline: the first is sent,
    the second waits for its token past the deadline and is recorded as not sent."""
    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY, ClientSettings(rate_limit=rate, deadline=1.0))
        thread, raised = _second_request_in_a_thread(client)
        thread.join(10)
        client.stop("the test is over")
        client.close()
    assert not thread.is_alive(), "the rate's wait went past the run's deadline"
    assert len(target.received) == 1 and client.requests_sent == 1
    assert [type(exc).__name__ for exc in raised] == ["DeadlinePassed"]
    assert (client.transcript[-1].tag, client.transcript[-1].error) == \
        ("second", "not sent: the run's deadline (1 s) has passed")


def test_a_wait_for_the_rate_ends_when_the_run_is_stopped_and_sends_nothing() -> None:
    # Ctrl-C stops the client while a lane waits for its token: the lane must not sleep out
    # its 100 s, nor send once it wakes.
    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY, ClientSettings(rate_limit=0.01))
        thread, raised = _second_request_in_a_thread(client)
        time.sleep(0.2)
        client.stop("the run was interrupted")
        thread.join(10)
        client.close()
    assert not thread.is_alive(), "the rate's wait outlasted the stop"
    assert len(target.received) == 1 and client.requests_sent == 1
    assert [type(exc).__name__ for exc in raised] == ["TransportFailure"]
    assert (client.transcript[-1].tag, client.transcript[-1].error) == ("second", "not sent: the run was interrupted")


def test_a_dropped_request_is_not_sent_again_once_the_run_is_stopped() -> None:
    # A connection closed without a response is sent once more; at 1 request per 100 s that
    # second attempt waits for its token, and a stop meanwhile (Ctrl-C) must end the wait unsent.
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def drop_all() -> None:
        with contextlib.suppress(OSError):
            while len(accepted) < 5:
                connection, _ = listener.accept()
                accepted.append(1)
                connection.close()

    threading.Thread(target=drop_all, daemon=True).start()
    client = Client(f"http://127.0.0.1:{listener.getsockname()[1]}", KEY, ClientSettings(rate_limit=0.01))

    def send() -> None:
        with contextlib.suppress(TransportFailure):  # dropped, or not sent: recorded either way
            client.get("dropped")

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    time.sleep(0.3)
    client.stop("the run was interrupted")
    sender.join(10)
    client.close()
    listener.close()
    assert not sender.is_alive(), "the retry's wait outlasted the stop"
    assert (len(accepted), client.requests_sent, client.transcript[-1].attempts) == (1, 1, 1)


def test_on_done_is_called_one_lane_at_a_time() -> None:
    # A progress line printed from two lanes at once interleaves ("...10 requests  limit ...").
    inside: list[int] = []
    most = [0]

    def on_done(_run: ProbeRun) -> None:
        inside.append(1)
        most[0] = max(most[0], len(inside))
        time.sleep(0.02)  # a slow terminal: the other lanes end meanwhile
        inside.pop()

    with scripted_server(_ok) as target:
        client = Client(target.base_url, KEY)
        run_probes(client, _probes(8, 1), _context(client), concurrency=8, on_done=on_done)
        client.close()
    assert most[0] == 1


def test_requests_the_deadline_cut_in_every_lane_do_not_blame_the_target() -> None:
    """Three lanes' requests to a target that takes 2 s to answer, with a 1 s deadline and a
    30 s timeout: the deadline cuts all three (the suite's bound, not the target's failure).
    The next request is recorded as not sent for the deadline, not for a target that
    "stopped answering" (three cuts in a row must not trip the circuit breaker)."""
    def slow(_index: int, _request: Received) -> Reply:
        time.sleep(2.0)
        return Reply()

    with scripted_server(slow) as target:
        client = Client(target.base_url, KEY, ClientSettings(deadline=1.0, timeout=30.0))
        lanes = [threading.Thread(target=_get, args=(client, "lane"), daemon=True)
                 for _ in range(client.settings.failures_before_down)]
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join(10)
        with contextlib.suppress(Exception):
            client.get("after")
        client.close()
    assert [e.error for e in client.transcript if e.tag == "lane"] == \
        ["cut: the run's deadline (1 s) has passed"] * client.settings.failures_before_down
    assert client.transcript[-1].error == "not sent: the run's deadline (1 s) has passed"


def _get(client: Client, tag: str) -> None:
    """client.get(tag), a failed request (its exchange recorded) being what the caller looks at."""
    with contextlib.suppress(TransportFailure):
        client.get(tag)
