"""The transcript and its plumbing: what the client records, and the one place it is numbered.

``Transcript`` owns the run's exchanges: the client adds each one as it is made, a probe running
in a lane (conformance.run.lanes) records into its own buffer instead, and ``Transcript.commit``
joins a buffer to the transcript, numbering its exchanges where they land, so the same seed gives
the same transcript (and the same ``seq``) whatever the lanes' timing was. Nothing outside this
module appends to the transcript or numbers an exchange. ``PerThread`` gives each lane its own
connection.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from conformance.exchange import Exchange

T = TypeVar("T")


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


class Transcript:
    """The run's exchanges in transcript order, and where each thread's next exchange goes: the
    buffer of the probe it runs (``into``), or else the transcript itself.

    Only this class appends to ``exchanges`` and sets an exchange's ``seq``: an exchange added
    outside a buffer is numbered by its place; a buffered one gets a provisional number (its place
    were the buffer committed now), and its final one when ``commit`` joins the buffer.
    """

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._local = threading.local()

    def buffer(self) -> list[Exchange] | None:
        """This thread's probe buffer, or None when its exchanges go straight to the transcript."""
        found: list[Exchange] | None = getattr(self._local, "buffer", None)
        return found

    @contextlib.contextmanager
    def into(self, buffer: list[Exchange]) -> Iterator[None]:
        """This thread's exchanges go to `buffer` until the block ends (then to where they went before)."""
        previous = self.buffer()
        self._local.buffer = buffer
        try:
            yield
        finally:
            self._local.buffer = previous

    def next_seq(self) -> int:
        """The number of this thread's next exchange: its place in the transcript, counted on
        through its buffer if it has one (provisional: ``commit`` renumbers buffered exchanges)."""
        buffer = self.buffer()
        return len(self.exchanges) + (len(buffer) if buffer is not None else 0)

    def add(self, exchange: Exchange) -> None:
        """Record `exchange` (made with ``next_seq``): in this thread's buffer, or the transcript."""
        buffer = self.buffer()
        (self.exchanges if buffer is None else buffer).append(exchange)

    def visible(self) -> list[Exchange]:
        """What this thread may read so far: the transcript, plus its own buffer if it has one
        (never another lane's buffer, whose progress depends on timing)."""
        buffer = self.buffer()
        return self.exchanges + buffer if buffer is not None else list(self.exchanges)

    def commit(self, exchanges: Iterable[Exchange]) -> None:
        """Join a probe's buffered `exchanges` to the transcript, in their order, each numbered
        (``seq``) by the place it lands at. The caller commits buffers in probe order (the lanes
        do, phase by phase), which makes the numbering independent of the lanes' timing."""
        for exchange in exchanges:
            exchange.seq = len(self.exchanges)
            self.exchanges.append(exchange)
