"""A live collection for the reference server (``serve --churn RATE``).

Staging is never quiet: while a conformance run lasts, sessions are created and open
sessions expire. Churn does exactly what CONTRACT.md's model of change ("A live
collection") allows, and nothing else:

- new sessions are created at the head: ``created`` is the newest second already stored
  or the current time, whichever is later; about half of them join the newest second,
  where the id (the reference's tie-break) puts them anywhere among that second's sessions;
- open sessions expire: ``status`` moves forward to ``expired`` and the fields that go with
  it (``url``, ``client_secret``) are cleared; ``id`` and ``created`` never change;
- nothing is deleted.

One daemon thread does both, on a fixed schedule per rate, writing through the store's
lock, so a page is always read from one state of the collection.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from typing import Any

from conformance.reference.dataset import STATUSES, _session
from conformance.reference.store import SessionStore

_OPEN, _EXPIRED = STATUSES[0], STATUSES[2]
# Expiry is capped: on staging sessions expire about as often as they are created, and a
# handful a second already moves every open session of a small collection within a run.
MAX_EXPIRY_RATE = 1.0
# The schedule's clock: real seconds (`serve --churn`, staging as it is), or requests served,
# a virtual second being REQUESTS_PER_SECOND of them (about what the reference answers a
# second on a quiet 2-core machine), for tests whose outcome must not follow the machine's load.
WALL_CLOCK, REQUEST_CLOCK = "wall", "requests"
REQUESTS_PER_SECOND = 250


def default_expiry_rate(creation_rate: float) -> float:
    """Expiries per second that go with ``creation_rate`` creations per second: comparable, at most 1/s."""
    return min(creation_rate, MAX_EXPIRY_RATE)


def new_open_session(rng: random.Random, created: int, livemode: bool) -> dict[str, Any]:
    """A fresh ``open`` session created at ``created`` (seconds), with an unpredictable id."""
    mode = "live" if livemode else "test"
    while True:  # the generator picks a status at random; a new session is open
        sid = f"cs_{mode}_{secrets.token_urlsafe(18).replace('-', 'x').replace('_', 'y')}"
        session = _session(rng, sid, created, livemode)
        if session["status"] == _OPEN:
            return session


def expire(session: dict[str, Any]) -> dict[str, Any]:
    """``session`` after it expired: status forward, the payable URL and secret gone."""
    return {**session, "status": _EXPIRED, "url": None, "client_secret": None}


class Churn:
    """Creates ``rate`` sessions and expires ``expiry_rate`` open sessions per second in ``store``.

    ``start()`` runs it in a daemon thread until ``stop()``. ``created`` and ``expired``
    count what it did (read them after ``stop()`` for exact figures).
    """

    def __init__(self, store: SessionStore, rate: float, expiry_rate: float, livemode: bool = False,
                 seed: int = 0, clock: str = WALL_CLOCK) -> None:
        if rate < 0 or expiry_rate < 0:
            raise ValueError("churn rates must be >= 0")
        if clock not in (WALL_CLOCK, REQUEST_CLOCK):
            raise ValueError(f"churn clock must be {WALL_CLOCK!r} or {REQUEST_CLOCK!r}")
        self.store, self.rate, self.expiry_rate, self.livemode = store, rate, expiry_rate, livemode
        self.clock = clock
        self._requests = 0
        self._due_lock = threading.Lock()
        self._done = [0, 0]  # created, expired on the request clock
        self._rng = random.Random(f"checkout-conformance-churn:{seed}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reference-churn", daemon=True)
        self.created = 0
        self.expired = 0

    def create_one(self) -> None:
        newest = self.store.newest_created() or 0
        join_newest = newest and self._rng.random() < 0.5
        created = newest if join_newest else max(newest, int(time.time()))
        self.store.insert(new_open_session(self._rng, created, self.livemode))
        self.created += 1

    def expire_one(self) -> None:
        if self.store.advance(_OPEN, expire, self._rng.random()) is not None:
            self.expired += 1

    def _run(self) -> None:
        start = time.monotonic()
        created = expired = 0
        while not self._stop.is_set():
            elapsed = time.monotonic() - start
            # Catch up to the schedule: the number due by now, whatever the thread's wake-ups.
            while created < int(elapsed * self.rate):
                self.create_one()
                created += 1
            while expired < int(elapsed * self.expiry_rate):
                self.expire_one()
                expired += 1
            self._stop.wait(self._tick())

    def _tick(self) -> float:
        fastest = max(self.rate, self.expiry_rate, 1.0)
        return min(0.05, 1.0 / fastest / 4)

    def on_request(self) -> None:
        """On the request clock: one request arrived; do what the schedule says is due by now.

        A virtual second is ``REQUESTS_PER_SECOND`` requests, so a run sees the same amount of
        change for the same requests whatever the machine's speed (on the wall clock a loaded
        machine's slower run saw several times more, and a test's outcome followed the load)."""
        if self.clock != REQUEST_CLOCK:
            return
        with self._due_lock:
            self._requests += 1
            elapsed = self._requests / REQUESTS_PER_SECOND
            while self._done[0] < int(elapsed * self.rate):
                self.create_one()
                self._done[0] += 1
            while self._done[1] < int(elapsed * self.expiry_rate):
                self.expire_one()
                self._done[1] += 1

    def start(self) -> Churn:
        if (self.rate or self.expiry_rate) and self.clock == WALL_CLOCK:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
