"""The transcript and its plumbing: what the client records, and the one place it is numbered.

``Transcript`` owns the run's exchanges: the client adds each one as it is made, a probe running
in a lane (conformance.run.lanes) records into its own buffer instead, and ``Transcript.commit``
joins a buffer to the transcript, numbering its exchanges where they land, so the same seed gives
the same transcript (and the same ``seq``) whatever the lanes' timing was. Nothing outside this
module appends to the transcript or numbers an exchange: outside conformance/record/ it is read
through a ``TranscriptView``, which has no way to change it. ``PerThread`` gives each lane its own
connection.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar, overload

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

    def made(self) -> list[T]:
        """Every ``T`` made so far (in any thread), still open."""
        with self._lock:
            return list(self._made)

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

    def view(self) -> TranscriptView:
        """The exchanges committed so far, to read only (``Client.transcript``)."""
        return TranscriptView(self.exchanges)

    def clear(self) -> None:
        """Forget every exchange committed so far: the next one is numbered 0 again."""
        self.exchanges.clear()

    def commit(self, exchanges: Iterable[Exchange]) -> None:
        """Join a probe's buffered `exchanges` to the transcript, in their order, each numbered
        (``seq``) by the place it lands at. The caller commits buffers in probe order (the lanes
        do, phase by phase), which makes the numbering independent of the lanes' timing."""
        for exchange in exchanges:
            exchange.seq = len(self.exchanges)
            self.exchanges.append(exchange)


class TranscriptView(Sequence[Exchange]):
    """The transcript as others read it: index, slice (a copy), iterate, count; no method changes
    it (tests/test_layers.py also fails on a module outside conformance/record/ that tries)."""

    __slots__ = ("_exchanges",)

    def __init__(self, exchanges: list[Exchange]) -> None:
        self._exchanges = exchanges

    @overload
    def __getitem__(self, index: int) -> Exchange: ...

    @overload
    def __getitem__(self, index: slice) -> list[Exchange]: ...

    def __getitem__(self, index: int | slice) -> Exchange | list[Exchange]:
        return self._exchanges[index]

    def __len__(self) -> int:
        return len(self._exchanges)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self._exchanges)

    def __repr__(self) -> str:
        return f"TranscriptView({len(self._exchanges)} exchanges)"
