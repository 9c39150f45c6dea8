"""Ctrl-C for the command line: at any point, one sentence on stderr and exit 130 (README "Exit codes").

Three things stand between a SIGINT and that exit, each handled here:

- A process started with SIGINT ignored (`checkout-conformance run ... &` in a script: the shell
  sets SIG_IGN, and Python keeps it) never sees Ctrl-C or `kill -INT`; a run then goes on to its
  end. The command line owns SIGINT instead (`ctrl_c_raises`, `own_ctrl_c`).
- Code that loads a C or Rust extension turns the KeyboardInterrupt raised inside it into another
  error (an ImportError, pyo3's PanicException), or a fallback import swallows it. So a SIGINT is
  also recorded as it arrives (`ctrl_c_seen`), and whatever ends the command after one is
  reported as the interruption it is.
- CPython marks a KeyboardInterrupt that escapes code run from a string (`exec` of text: the
  ``__init__`` a dataclass generates as its module loads) as unhandled, even once a caller has
  caught it, and under `python -m` then kills the process with SIGINT after main returns (exit
  -2, not 130). `interrupted` clears that mark.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

INTERRUPTED = "checkout-conformance: interrupted."
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command Ctrl-C stopped

_seen = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _seen.set()
    raise KeyboardInterrupt  # what Python's own handler (signal.default_int_handler) does


def _replaceable(handler: object) -> bool:
    """Whether the SIGINT `handler` is the default one (Python's, the system's) or none at all; a
    handler an embedding program installed is its own, and kept."""
    return handler in (signal.SIG_IGN, signal.SIG_DFL, None, signal.default_int_handler, _on_sigint)


def own_ctrl_c() -> None:
    """From now on, in this process, SIGINT raises KeyboardInterrupt and is recorded (see the module
    docstring). For `python -m conformance`, before anything else loads; main thread only."""
    if _replaceable(signal.getsignal(signal.SIGINT)):
        signal.signal(signal.SIGINT, _on_sigint)


@contextmanager
def ctrl_c_raises() -> Iterator[None]:
    """`own_ctrl_c` for the block only: the previous SIGINT disposition is restored after (main()
    also runs inside other programs: pytest, the plugin's callers). Outside the main thread, where
    signals cannot be set, a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    owned = _replaceable(previous)
    if owned:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        if owned:
            signal.signal(signal.SIGINT, previous)


def ctrl_c_seen() -> bool:
    """Whether a SIGINT came (under `own_ctrl_c` or `ctrl_c_raises`) and was not yet reported by
    `interrupted`."""
    return _seen.is_set()


def interrupted() -> int:
    """Report the interruption: INTERRUPTED on stderr; returns EXIT_INTERRUPTED, the exit code."""
    _seen.clear()  # reported: a later command in the same process starts afresh
    print(INTERRUPTED, file=sys.stderr)
    # Running any string resets CPython's mark of an unhandled KeyboardInterrupt
    # (Python/pythonrun.c, run_eval_code_obj), so the exit code stays 130.
    exec("", {})
    return EXIT_INTERRUPTED
