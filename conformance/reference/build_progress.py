"""Progress of building a large reference database, for `serve --sessions 1000000` (~60 s).

On a terminal: a rich progress bar. Elsewhere (CI logs, pipes): one line per tenth done,
so a log shows the build is alive without a line per batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

# Below this many sessions a build takes under a couple of seconds: no progress is shown.
SHOWN_FROM = 50_000
_STEPS = 10


@contextlib.contextmanager
def build_progress(total: int, out: TextIO) -> Iterator[Callable[[int, int], None] | None]:
    """A callback taking (sessions written, sessions in all) that reports on ``out``, or
    None when ``total`` is too small to be worth reporting. The bar is closed on exit."""
    if total < SHOWN_FROM:
        yield None
        return
    if out.isatty():
        console = Console(file=out)
        columns = (TextColumn("building sessions"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("build", total=total)
            yield lambda done, _total: bar.update(task, completed=done)
        return
    reported = 0

    def line(done: int, all_: int) -> None:
        nonlocal reported
        step = done * _STEPS // max(all_, 1)
        if step > reported:
            reported = step
            print(f"building sessions: {done}/{all_} ({step * 100 // _STEPS}%)", file=out, flush=True)

    yield line
