"""The transcript's plumbing shared by the client and the lanes (conformance.run.lanes).

``PerThread`` gives each lane its own connection; ``Recording`` sends a thread's exchanges
to its probe's buffer, or else to the client's transcript, so the same seed gives the same
transcript whatever the lanes' timing was.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
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

    def made(self) -> list[T]:
        """Every ``T`` made so far (in any thread), still open."""
        with self._lock:
            return list(self._made)

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
