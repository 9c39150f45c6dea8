"""Lanes: independent probes side by side through the one client, recorded reproducibly.

A run's probes fall in three phases (``Probe.order``): the walks first, alone (later
probes pick their cursors from the reference walk); then every other probe, up to
``concurrency`` at once, each in its own lane (thread, connection and watchdog); the
recheck last, alone. Steps within a probe stay sequential.

Each probe records into its own buffer. When a phase ends, the buffers join the client's
transcript in probe order and their exchanges are numbered there, so the same seed gives
the same transcript whatever the lanes' timing was, and ``verify`` re-judges it exactly.
While a probe runs, ``ProbeContext.record`` shows it the earlier phases plus its own
exchanges: never another lane's, whose progress depends on timing.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from conformance.errors import ClientError
from conformance.exchange import Exchange

if TYPE_CHECKING:
    from conformance.checks.base import Probe, ProbeContext
    from conformance.client import Client

T = TypeVar("T")

FIRST, ANY, LAST = "first", "any", "last"  # Probe.order
DEFAULT_CONCURRENCY = 4  # requests in flight at most: polite to a production target
MAX_CONCURRENCY = 16  # more lanes than probes that can run side by side gain nothing


class PerThread(Generic[T]):
    """One ``T`` per thread, made on first use there; ``close_all`` closes every one made."""

    def __init__(self, make: Callable[[], T], close: Callable[[T], None]) -> None:
        self._make = make
        self._close = close
        self._local = threading.local()
        self._made: list[T] = []
        self._lock = threading.Lock()

    def get(self) -> T:
        item: T | None = getattr(self._local, "item", None)
        if item is None:
            item = self._make()
            self._local.item = item
            with self._lock:
                self._made.append(item)
        return item

    def close_all(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for item in made:
            self._close(item)


class Recording:
    """Where this thread's exchanges go: a probe's own buffer, or else the transcript."""

    def __init__(self) -> None:
        self._local = threading.local()

    def buffer(self) -> list[Exchange] | None:
        found: list[Exchange] | None = getattr(self._local, "buffer", None)
        return found

    @contextlib.contextmanager
    def into(self, buffer: list[Exchange]) -> Iterator[None]:
        previous = self.buffer()
        self._local.buffer = buffer
        try:
            yield
        finally:
            self._local.buffer = previous


@dataclass
class ProbeRun:
    """One probe's part of a run: what it recorded, and the suite error it raised if any."""

    probe: Probe
    exchanges: list[Exchange]
    crashed: str | None = None

    @property
    def sent(self) -> int:
        """Requests this probe put on the wire (429 retries included)."""
        return sum(e.attempts for e in self.exchanges if not (e.error or "").startswith("not sent"))


def probe_rng(seed: int, probe: Probe) -> random.Random:
    """A probe's own random source: its draws do not depend on which probes ran before it."""
    return random.Random(f"{seed}:{probe.name}")


def phases(probes: Sequence[Probe]) -> list[list[Probe]]:
    """The probes in their phases: the FIRST ones, then ANY, then LAST (each in given order)."""
    grouped = [[p for p in probes if p.order == order] for order in (FIRST, ANY, LAST)]
    return [group for group in grouped if group]


def run_probes(
    client: Client,
    probes: Sequence[Probe],
    context: Callable[[Probe], ProbeContext],
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[ProbeRun], None] = lambda _run: None,
) -> list[ProbeRun]:
    """Run every probe, ``concurrency`` at most at once; their exchanges join
    ``client.transcript`` in probe order. Returns one ``ProbeRun`` per probe, in order.

    ``context(probe)`` gives the probe its ``ProbeContext``. A ``ClientError`` ends a
    probe quietly (the client recorded why); any other exception is a suite bug, kept
    in ``ProbeRun.crashed`` (redacted, one line) while the other probes go on.
    ``on_done`` is called as each probe ends (from the thread that ran it).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    runs: list[ProbeRun] = []
    for phase in phases(probes):
        if concurrency == 1 or len(phase) == 1 or phase[0].order != ANY:
            done = [_one(client, probe, context, on_done) for probe in phase]
        else:
            done = _side_by_side(client, phase, context, concurrency, on_done)
        for probe_run in done:
            _commit(client, probe_run.exchanges)
        runs.extend(done)
    return runs


def _side_by_side(
    client: Client,
    phase: list[Probe],
    context: Callable[[Probe], ProbeContext],
    concurrency: int,
    on_done: Callable[[ProbeRun], None],
) -> list[ProbeRun]:
    contexts = [context(probe) for probe in phase]
    # The longest probes start first (LPT), so the lanes finish about together; the
    # results still come back in probe order.
    starts = sorted(range(len(phase)), key=lambda k: -_cost(phase[k], contexts[k]))
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(phase)), thread_name_prefix="conformance-lane")
    try:
        futures = {k: pool.submit(_one, client, phase[k], _given(contexts[k]), on_done) for k in starts}
        return [futures[k].result() for k in range(len(phase))]
    except BaseException:
        # Interrupted (Ctrl-C) or a bug here: stop sending, so the lanes finish at once.
        client.stop("the run was interrupted")
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _given(ctx: ProbeContext) -> Callable[[Probe], ProbeContext]:
    return lambda _probe: ctx


def _cost(probe: Probe, ctx: ProbeContext) -> int:
    return probe.cost(ctx)


def _one(client: Client, probe: Probe, context: Callable[[Probe], ProbeContext],
         on_done: Callable[[ProbeRun], None]) -> ProbeRun:
    probe_run = ProbeRun(probe, [])
    with client.recording_into(probe_run.exchanges):
        try:
            probe.run(context(probe))
        except ClientError:
            pass  # recorded; its checks will say inconclusive
        except Exception as exc:  # a suite bug: the other probes still run, the verdicts say so
            probe_run.crashed = client.redactor.text(" ".join(repr(exc).split()))
    on_done(probe_run)
    return probe_run


def _commit(client: Client, exchanges: list[Exchange]) -> None:
    """Append a probe's exchanges to the transcript, numbered where they land."""
    for exchange in exchanges:
        exchange.seq = len(client.transcript)
        client.transcript.append(exchange)
