"""Lanes: independent probes side by side through the one client, recorded reproducibly.

A run's probes fall in three phases (``Probe.order``): the reference walk first (later
probes pick their cursors from it); then every other probe, up to ``concurrency`` at
once, each in its own lane (thread, connection and watchdog); the recheck last, alone.
Steps within a probe stay sequential. A probe that reads nothing of the earlier phases
(``Probe.reads_record`` false: the generated requests, auth, limits...) need not wait:
it starts beside the first phase. A free lane always takes the longest probe that may
start (by ``Probe.cost``), so that the lanes finish about together.

Each probe records into its own buffer (``Client.recording_into``). When a phase ends, the
lanes commit the buffers in probe order (``Client.commit``: the transcript, which
conformance.record.recording owns, numbers their exchanges where they land), so the same seed
gives the same transcript whatever the lanes' timing was, and ``verify`` re-judges it exactly.
While a probe runs, ``ProbeContext.record`` shows it the earlier phases plus its own
exchanges: never another lane's, whose progress depends on timing.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.errors import ClientError
from conformance.exchange import Exchange

if TYPE_CHECKING:
    from conformance.checks.base import Probe, ProbeContext
    from conformance.record.client import Client

FIRST, ANY, LAST = "first", "any", "last"  # Probe.order
_COMMITTED = "committed"  # a schedule past its last phase: every exchange is in the transcript
DEFAULT_CONCURRENCY = 4  # requests in flight at most: polite to a production target
MAX_CONCURRENCY = 16  # more lanes than probes that can run side by side gain nothing


@dataclass
class ProbeRun:
    """One probe's part of a run: what it recorded, and the suite error it raised if any."""

    probe: Probe
    exchanges: list[Exchange]
    crashed: str | None = None

    @property
    def sent(self) -> int:
        """Requests this probe put on the wire (429 retries included)."""
        return sum(e.attempts for e in self.exchanges if e.not_sent is None)


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
    group: Callable[[Probe], str] = lambda _probe: "",
) -> list[ProbeRun]:
    """Run every probe, ``concurrency`` at most at once; their exchanges join
    ``client.transcript`` in probe order. Returns one ``ProbeRun`` per probe, in order.

    ``context(probe)`` gives the probe its ``ProbeContext``. A ``ClientError`` ends a
    probe quietly (the client recorded why); any other exception is a suite bug, kept
    in ``ProbeRun.crashed`` (redacted, one line) while the other probes go on.
    ``on_done`` is called as each probe ends (from the thread that ran it), one call at a
    time: a progress line written from two lanes at once would interleave. Interrupted
    (KeyboardInterrupt), it raises at once: the client is stopped, its requests in flight are
    cut, and the lanes (daemon threads) are not waited for, nor heard from (no more ``on_done``).
    ``group(probe)`` names the list operation a probe serves (issue 24): the first and last
    phases run one probe at a time *per group*, so that the walks of several operations go
    side by side; commits stay in probe order, so the transcript does not depend on timing.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    if concurrency == 1:
        runs: list[ProbeRun] = []
        for phase in phases(probes):
            done = [_one(client, probe, context, on_done) for probe in phase]
            for probe_run in done:
                client.commit(probe_run.exchanges)
            runs.extend(done)
        return runs
    schedule = _Schedule(client, list(probes), context, on_done, group)
    failed: list[BaseException] = []

    def lane() -> None:
        try:
            schedule.work()
        except BaseException as exc:  # handed to the caller's thread, raised there
            failed.append(exc)

    # Daemon threads, never waited for once the run is interrupted: a lane blocked in a read
    # from a silent target (up to --timeout) must not hold Ctrl-C's exit, nor the process's.
    threads = [threading.Thread(target=lane, name=f"conformance-lane_{k}", daemon=True)
               for k in range(min(concurrency, len(probes)) or 1)]
    try:
        for thread in threads:
            thread.start()
        # A lane that fails abandons the schedule itself (_Schedule.work), so every other
        # lane returns and each join here ends.
        for thread in threads:
            thread.join()
        if failed:
            raise failed[0]
    except BaseException:
        # Interrupted (Ctrl-C) or a bug: stop sending and cut what is in flight, so the lanes
        # finish at once; their results are not waited for.
        client.stop("the run was interrupted")
        schedule.abandon()
        raise
    return schedule.runs()


class _Schedule:
    """Which probe a free lane takes next, and when a phase's buffers join the transcript.

    Ready at the start: the first phase's probes (one after another) and every ANY probe
    that reads nothing of the earlier phases. When the first phase ends its exchanges are
    committed and the other ANY probes become ready, their costs read from what it saw.
    When every ANY probe has ended, their exchanges are committed in probe order and the
    LAST probes run, one after another. Only ``work`` runs outside ``_lock``.
    """

    def __init__(self, client: Client, probes: list[Probe], context: Callable[[Probe], ProbeContext],
                 on_done: Callable[[ProbeRun], None], group: Callable[[Probe], str] = lambda _probe: "") -> None:
        self._client, self._probes, self._context = client, probes, context
        self._groups = [group(p) for p in probes]
        self._reporting = threading.Lock()  # on_done one call at a time: lines from two lanes would interleave
        self._reported_no_more = False
        self._report = on_done
        self._lock = threading.Condition()
        self._offered: set[int] = set()
        self._done: dict[int, ProbeRun] = {}
        self._abandoned = False
        self._phases = {order: [k for k, p in enumerate(probes) if p.order == order] for order in (FIRST, ANY, LAST)}
        self._ready: list[tuple[float, int, ProbeContext]] = []  # (-cost, position, context), best first
        waiting = bool(self._phases[FIRST])
        self._make_ready([k for k in self._phases[ANY] if not (waiting and probes[k].reads_record)])
        self._phase = FIRST
        self._advance()

    def work(self) -> None:
        """One lane: take the best ready probe and run it, until every probe has run. An
        error escaping it (from ``on_done`` or a cost) abandons the schedule and is raised."""
        try:
            self._work()
        except BaseException:
            # Its probe never counts as done: without this the other lanes would wait for it forever.
            self.abandon()
            raise

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._ready and not self._finished():
                    self._lock.wait()
                if self._finished():
                    return
                _cost, position, ctx = self._ready.pop(0)
            probe_run = _one(self._client, self._probes[position], _given(ctx), self._on_done)
            with self._lock:
                self._done[position] = probe_run
                self._advance()
                self._lock.notify_all()

    def abandon(self) -> None:
        """No probe starts any more (the run was interrupted); lanes return once theirs ends,
        without calling ``on_done``: nothing is reported of a run given up."""
        with self._lock:
            self._abandoned = True
            self._ready.clear()
            self._lock.notify_all()
        with self._reporting:  # a report already under way ends before this returns
            self._reported_no_more = True

    def _on_done(self, probe_run: ProbeRun) -> None:
        with self._reporting:
            if not self._reported_no_more:
                self._report(probe_run)

    def runs(self) -> list[ProbeRun]:
        """One ProbeRun per probe that ran, in probe order."""
        return [self._done[k] for k in range(len(self._probes)) if k in self._done]

    def _finished(self) -> bool:
        return self._abandoned or len(self._done) == len(self._probes)

    def _make_ready(self, positions: list[int], first: bool = False) -> None:
        for k in positions:
            ctx = self._context(self._probes[k])
            self._ready.append((-math.inf if first else -_expected(self._probes[k], ctx), k, ctx))
            self._offered.add(k)  # offered once: taken from _ready, never offered again
        self._ready.sort(key=lambda entry: (entry[0], entry[1]))  # longest first, then probe order

    def _one_at_a_time(self, order: str) -> bool:
        """Offers the next probe of a phase that runs alone (alone in its group); False once all
        of it has ended."""
        pending = [k for k in self._phases[order] if k not in self._done]
        if not pending:
            return False
        heads: dict[str, int] = {}
        for k in pending:
            heads.setdefault(self._groups[k], k)
        offer = [k for k in heads.values() if k not in self._offered]
        if offer:
            self._make_ready(offer, first=True)
        return True

    def _advance(self) -> None:
        """Offer what may start now; commit a phase's exchanges once it has ended."""
        if self._abandoned:
            return
        if self._phase == FIRST:
            if self._one_at_a_time(FIRST):
                return
            for k in self._phases[FIRST]:
                self._client.commit(self._done[k].exchanges)
            self._phase = ANY
            self._make_ready([k for k in self._phases[ANY] if k not in self._offered])
        if self._phase == ANY:
            if any(k not in self._done for k in self._phases[ANY]):
                return
            for k in self._phases[ANY]:
                self._client.commit(self._done[k].exchanges)
            self._phase = LAST
        if self._one_at_a_time(LAST) or self._phase != LAST:
            return
        for k in self._phases[LAST]:
            self._client.commit(self._done[k].exchanges)
        self._phase = _COMMITTED


def _expected(probe: Probe, ctx: ProbeContext) -> float:
    """The probe's cost, or 0 when reading it fails: a guess only orders the probes, and what
    a hostile target sent must not stop the run here (the probe itself meets it and says so)."""
    try:
        return float(probe.cost(ctx))
    except Exception:
        return 0.0


def _given(ctx: ProbeContext) -> Callable[[Probe], ProbeContext]:
    return lambda _probe: ctx


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
