"""Judging bounded like sending: by the run's deadline and by a memory budget.

A target controls what judging costs: a page of 270,000 tiny sessions under the 4 MiB body
cap is cheap to send and was minutes and gigabytes to judge. So judging runs in a worker
thread while the caller's thread watches the clock and the process's resident memory; past
either bound the worker is stopped (an exception raised in it between two bytecodes, so a
check in pure Python stops where it is) and what was not judged is inconclusive with that
reason. The reports are still written, by the caller, with what was judged.

An exception raised into a thread lands at whatever bytecode runs next, which may be inside a
destructor or a weakref callback (a WeakValueDictionary's ``remove``): Python cannot propagate it
from there, prints it as "Exception ignored in ..." and judging runs on. While a judging thread
runs, ``sys.unraisablehook`` is one that swallows a JudgingCut of that thread and tells the
watching thread, which raises it again until it lands in the work itself: the cut still takes
effect and nothing reaches the terminal;
every other unraisable exception goes to the hook that was there before, restored when the last
judging thread ends.

Who may touch what the work shares (its record, its readings, what it judged so far): the work's
thread until it ends, then the caller. ``run()`` returns when the thread has ended, or, after a
cut, once it has not stopped within ``grace`` seconds (one long C call, which the cut cannot
interrupt): then ``abandoned`` is true, the thread still runs and may still write what it shares,
and the caller must conclude from copies it takes under the shared values' own locks
(conformance.run.runner._judge_bounded does).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from conformance.not_sent import Stopped

T = TypeVar("T")

# Resident memory past which judging stops: a run must end under 400 MB whatever the target
# sends, and writing the reports after a cut needs some room of its own.
MEMORY_BUDGET_BYTES = 370 * 1024 * 1024
# What judging itself may add when the process already held more when judging began: the suite
# inside a bigger process (the pytest plugin in a team's test session, a test worker) must not
# have its judging cut for memory the suite never used.
JUDGING_GROWTH_BYTES = 100 * 1024 * 1024
_POLL_SECONDS = 0.02
# How long a cut thread may take to stop before the caller goes on without it (a thread inside
# one long C call stops when the call returns).
GRACE_SECONDS = 2.0
# How soon a cut swallowed in a destructor is raised again.
_RECUT_SECONDS = 0.002


class JudgingCut(BaseException):
    """Raised inside the judging thread when a bound stops it. A BaseException, so that a
    check's own `except Exception` (a crash reported as a suite error) does not catch it."""


def resident_bytes() -> int:
    """The process's resident set now (Linux /proc), else its peak so far (getrusage)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


class Bounded(Generic[T]):
    """`work()` run in a thread, stopped at `until` (time.monotonic()) or past `memory_bytes`
    of resident memory. After `run()`: `value` (None if cut), `why` (what cut judging, said of
    the run: "the run's deadline came", or None), `cut` (the same said of a rule not judged) and
    `abandoned` (the cut thread had not stopped `grace` seconds after the cut, GRACE_SECONDS if
    None: it still runs)."""

    def __init__(self, work: Callable[[], T], until: float | None,
                 memory_bytes: int | None = MEMORY_BUDGET_BYTES, grace: float | None = None) -> None:
        self._work = work
        self._until = until
        self._memory = memory_bytes
        self.value: T | None = None
        self.why: str | None = None
        self._error: BaseException | None = None
        # Set by the worker when its work is over, under `_lock`, inside the block that catches
        # JudgingCut: the cut is raised only before, so it always lands inside that block.
        self._finished = False
        self._lock = threading.Lock()
        # Set after a cut when the thread had not stopped `grace` seconds later (see the module).
        self.abandoned = False
        self._grace = GRACE_SECONDS if grace is None else grace
        # Set by the hook (in the judging thread) when a cut landed where Python swallows it.
        self._swallowed = False

    def run(self) -> Bounded[T]:
        if self._memory is not None:
            # The budget is the larger of the absolute one and what the process held at the start
            # plus what judging may add (JUDGING_GROWTH_BYTES).
            self._memory = max(self._memory, resident_bytes() + JUDGING_GROWTH_BYTES)
        thread = threading.Thread(target=self._target, name="judging", daemon=True)
        with self._lock:  # the thread waits for the lock before its work: it is watched by then
            thread.start()
            _CUTS.watch(thread, self)
        while thread.is_alive():
            thread.join(_POLL_SECONDS)
            if not thread.is_alive():
                break
            why = self._exceeded()
            if why is not None:
                with self._lock:
                    if self._finished:
                        break
                    self.why = why
                    _raise_in(thread)
                self._until_stopped(thread)
                break
        if self._error is not None and self.why is None:
            raise self._error
        return self

    @property
    def cut(self) -> str | None:
        """Why a rule was not judged, the reason its verdict gives; None when judging was not cut."""
        return None if self.why is None else f"{self.why}{CUT_RULE_SUFFIX}"

    def _target(self) -> None:
        try:
            try:
                with self._lock:
                    pass  # until run() has handed this thread to the hook (_CUTS.watch)
                value = self._work()
                with self._lock:
                    self._finished = True
                    self.value = value
            except JudgingCut:
                pass
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
            with self._lock:  # no cut is raised from now on: one still pending is dropped
                self._finished = True
                _clear_in(threading.get_ident())
        except JudgingCut:
            pass  # a cut raised again that landed in the handlers above: the work is over
        finally:
            _CUTS.forget(threading.get_ident())

    def _until_stopped(self, thread: threading.Thread) -> None:
        """After the cut: wait for `thread` to stop, at most `grace` seconds (a thread inside one
        long C call stops when the call returns; past that, it is abandoned: see the module). A cut
        that landed in a destructor or weakref callback was swallowed there (`_swallowed`, set by
        the hook): it is raised again from here, where it cannot land inside the hook itself."""
        end = time.monotonic() + self._grace
        while thread.is_alive() and time.monotonic() < end:
            thread.join(_RECUT_SECONDS)
            if thread.is_alive() and self._swallowed:
                with self._lock:
                    if not self._finished:
                        self._swallowed = False
                        _raise_in(thread)
        self.abandoned = thread.is_alive()

    def _exceeded(self) -> str | None:
        if self._until is not None and time.monotonic() >= self._until:
            return "the run's deadline came"
        if self._memory is not None and resident_bytes() > self._memory:
            return f"judging reached the suite's memory budget ({self._memory // 2**20} MB)"
        return None


# How a cut reads: each rule it left unjudged says `<why> before this rule was judged`, and the
# run's `stopped` ends in `<why>: judging was cut short` (conformance.not_sent.Stopped.judging).
CUT_RULE_SUFFIX = " before this rule was judged"


def recorded_cut(stopped: Stopped | None) -> str | None:
    """The reason a cut run's report gives each rule it did not judge, from the run's `stopped`
    (report.json, read by Stopped.from_report), or None when judging was not cut: what `verify`
    re-judges by."""
    if stopped is None or not stopped.judging:
        return None
    return stopped.judging + CUT_RULE_SUFFIX


def _raise_in(thread: threading.Thread) -> None:
    """Raise JudgingCut in `thread` at its next bytecode (CPython's PyThreadState_SetAsyncExc)."""
    if thread.ident is not None:
        _raise_in_ident(thread.ident)


def _raise_in_ident(ident: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(JudgingCut))


def _clear_in(ident: int) -> None:
    """Drop the JudgingCut pending in the thread `ident`, if any (SetAsyncExc with NULL)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object())


class _UnraisableCuts:
    """The ``sys.unraisablehook`` of the judging threads (see the module's docstring): installed
    while at least one runs, the previous hook restored when the last ends, unless someone else
    replaced it meanwhile (then theirs stays)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._judging: dict[int, Bounded[Any]] = {}
        self._previous: Callable[[Any], object] | None = None

    def watch(self, thread: threading.Thread, bounded: Bounded[Any]) -> None:
        with self._lock:
            if not self._judging:
                self._previous = sys.unraisablehook
                sys.unraisablehook = self._hook
            assert thread.ident is not None  # started
            self._judging[thread.ident] = bounded

    def forget(self, ident: int) -> None:
        with self._lock:
            self._judging.pop(ident, None)
            if not self._judging and self._previous is not None:
                if sys.unraisablehook == self._hook:
                    sys.unraisablehook = self._previous
                self._previous = None

    def _hook(self, unraisable: Any) -> None:
        bounded = self._judging.get(threading.get_ident())
        if bounded is not None and isinstance(unraisable.exc_value, JudgingCut):
            # Nothing after this store: a cut raised again now would land in this hook (the
            # caller raises it only once the flag is seen).
            bounded._swallowed = True
            return
        previous = self._previous or sys.__unraisablehook__
        previous(unraisable)


_CUTS = _UnraisableCuts()
