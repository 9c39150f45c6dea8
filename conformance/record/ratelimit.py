"""Pacing shared by every lane of a run: a proactive request rate and the 429 back-off.

`--rate-limit N` keeps the suite under a target's published limit before it ever sees a
429; a 429's Retry-After then holds every lane, not just the one that was told.

Why not a library: the rate limiters on PyPI that are kept up (pyrate-limiter,
aiolimiter, limits) are sliding-window or leaky-bucket counters built around their own
clock, backends or an event loop. The suite needs a token bucket (one rate, one burst
size) that blocking threads share, driven by an injected clock and sleep so tests can
count without waiting: ``TokenBucket`` and ``Pacer`` are that, in a few lines.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

Clock = Callable[[], float]
Sleep = Callable[[float], None]

MAX_RATE_LIMIT = 10_000.0  # requests per second a --rate-limit may name: a typo above it limits nothing
# The longest interval between requests, in seconds. A rate above 0 can be so small that 1 / rate
# overflows to inf, and GCRA's `due - 0 * inf` is nan, which max() drops: no wait at all. Capped,
# the arithmetic stays finite, and 1e9 s is still far beyond any run's deadline (86,400 s at most).
MAX_INTERVAL = 1e9


class TokenBucket:
    """At most ``rate`` requests a second on average, and at most ``burst`` at once.

    ``take()`` reserves the next free slot under a lock and then sleeps until it outside
    the lock, so threads queue in the order they asked and one sleeping thread does not
    stop another from reserving. Each call sleeps at most once (a fake sleep that returns
    at once cannot make it spin). Times are in seconds of ``clock``.
    """

    def __init__(self, rate: float, burst: int = 1, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs a rate > 0 and a burst >= 1, got {rate!r}, {burst!r}")
        self.interval = min(1.0 / rate, MAX_INTERVAL)
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # When the next request is due at the steady rate (GCRA's theoretical arrival time).
        self._next: float | None = None

    def take(self) -> float:
        """Wait for one token; returns the seconds waited (0.0 when one was there)."""
        with self._lock:
            now = self._clock()
            # GCRA: `_next` is when the next request is due at the steady rate; the bucket's
            # spare tokens let a request go up to (burst - 1) intervals before that.
            due = now if self._next is None else max(self._next, now)
            start = max(now, due - (self.burst - 1) * self.interval)
            self._next = due + self.interval
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)


class Pacer:
    """What every lane does before each attempt: honour a shared 429 hold, then the rate.

    A 429's delay (``hold``) is slept by the lane that got it, as before there were
    lanes; every other lane waits out what is left of it before its next attempt. Each
    lane remembers the hold it has already honoured, so nobody sleeps one twice.
    """

    def __init__(self, rate: float | None = None, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._bucket = TokenBucket(rate, clock=clock, sleep=sleep) if rate else None
        self._lock = threading.Lock()
        self._resume_at = float("-inf")
        self._honoured = threading.local()
        # Once the target has answered 429, requests go single file (see `turn`).
        self._single_file = threading.Lock()
        self._throttled = False

    @contextlib.contextmanager
    def turn(self) -> Iterator[Turn]:
        """One request's turn to send, its 429 retries included.

        Lanes send side by side until the target first answers 429; from then on they send
        one request at a time, and a request told 429 keeps the turn for its retries. Without
        that, the other lanes' requests would fill the slots a limit frees (a target allowing
        three of every four requests could answer one lane's every retry with 429 again).
        """
        turn = Turn(self)
        if self._throttled:
            turn.single_file()
        try:
            yield turn
        finally:
            turn.release()

    def before_attempt(self) -> None:
        """Block until this lane may send: after any hold another lane was given, within the rate."""
        with self._lock:
            resume_at = self._resume_at
        if resume_at > getattr(self._honoured, "until", float("-inf")):
            self._honoured.until = resume_at
            wait = resume_at - self._clock()
            if wait > 0:
                self._sleep(wait)
        if self._bucket is not None:
            self._bucket.take()

    def hold(self, seconds: float) -> None:
        """The target asked to wait `seconds` (a 429): this lane sleeps them, the others catch up."""
        with self._lock:
            until = self._clock() + seconds
            self._resume_at = max(self._resume_at, until)
            self._honoured.until = self._resume_at
        self._sleep(seconds)


class Turn:
    """A request's hold on the single-file lock of a `Pacer` (see `Pacer.turn`)."""

    def __init__(self, pacer: Pacer) -> None:
        self._pacer = pacer
        self._held = False

    def single_file(self) -> None:
        """The target answered 429: from now on every lane waits its turn, and this one keeps it."""
        self._pacer._throttled = True
        if not self._held:
            self._pacer._single_file.acquire()
            self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._pacer._single_file.release()
