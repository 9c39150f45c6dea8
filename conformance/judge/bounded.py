"""Judging bounded like sending: by the run's deadline and by a memory budget.

A target controls what judging costs: a page of 270,000 tiny sessions under the 4 MiB body
cap is cheap to send and was minutes and gigabytes to judge. So judging runs in a worker
thread while the caller's thread watches the clock and the process's resident memory; past
either bound the worker is stopped (an exception raised in it between two bytecodes, so a
check in pure Python stops where it is) and what was not judged is inconclusive with that
reason. The reports are still written, by the caller, with what was judged.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

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
    the run: "the run's deadline came", or None) and `cut` (the same said of a rule not judged)."""

    def __init__(self, work: Callable[[], T], until: float | None,
                 memory_bytes: int | None = MEMORY_BUDGET_BYTES) -> None:
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

    def run(self) -> Bounded[T]:
        if self._memory is not None:
            # The budget is the larger of the absolute one and what the process held at the start
            # plus what judging may add (JUDGING_GROWTH_BYTES).
            self._memory = max(self._memory, resident_bytes() + JUDGING_GROWTH_BYTES)
        thread = threading.Thread(target=self._target, name="judging", daemon=True)
        thread.start()
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
                thread.join(2.0)  # a thread inside one long C call stops when it returns; past that, alone
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
            value = self._work()
            with self._lock:
                self._finished = True
                self.value = value
        except JudgingCut:
            pass
        except BaseException as exc:  # handed to the caller's thread
            self._error = exc

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
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(JudgingCut))
