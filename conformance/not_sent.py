"""Why a request was not sent, as a value: what the client writes and what the judge reads back.

The client records a request it refused to send with the error ``not sent: <why>`` (the text
a reader sees in exchanges.jsonl and the reports). Building that text from a :class:`NotSent`
and reading it back with :meth:`NotSent.of`, in this one module, keeps the writer and the
readers (the lanes' request count, the spent-budget naming of conformance.judge) from drifting
apart: they ask for the kind, never match the prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

PREFIX = "not sent: "


class Kind(Enum):
    """What kept a request from being sent."""

    REQUEST_BUDGET = "request budget"  # --max-requests used up: named in the verdicts, not a stop
    EVIDENCE_BUDGET = "evidence budget"  # the bodies recorded reached the run's cap: the run stops
    DEADLINE = "deadline"  # --deadline passed: the run stops
    STOPPED = "stopped"  # Client.stop (Ctrl-C, a fatal answer): the reason given there
    TARGET_DOWN = "target down"  # the circuit breaker: the target stopped answering
    UNENCODABLE = "unencodable"  # a query value no URL can carry


@dataclass(frozen=True)
class NotSent:
    """A request not sent: its `kind`, the sentence `why` (after ``not sent: ``) and, for the
    request budget, the --max-requests value `limit`."""

    kind: Kind
    why: str
    limit: int | None = None

    @property
    def error(self) -> str:
        """The exchange's recorded error, exactly as the reports show it."""
        return PREFIX + self.why

    @classmethod
    def request_budget(cls, limit: int) -> NotSent:
        return cls(Kind.REQUEST_BUDGET, f"the request budget ({limit}) is used up", limit)

    @classmethod
    def evidence_budget(cls, mebibytes: float) -> NotSent:
        return cls(Kind.EVIDENCE_BUDGET, f"the run's evidence budget ({mebibytes:g} MiB of bodies) is used up")

    @classmethod
    def deadline(cls, seconds: float | None, reason: str | None = None) -> NotSent:
        # `seconds`: ClientSettings.deadline, never None here (without one no deadline passes);
        # `reason`: ClientSettings.deadline_reason, the run's own sentence (see deadline_near).
        return cls(Kind.DEADLINE, reason or f"the run's deadline ({seconds:g} s) has passed")

    @staticmethod
    def deadline_near(deadline: float, asking: float) -> str:
        """Why a run stopped asking at `asking` seconds of its --deadline `deadline`: the rest
        is kept for judging and writing the reports (conformance.run.runner._deadline_shares)."""
        return (f"the run's deadline ({deadline:g} s) was near: the suite stopped asking at {asking:g} s "
                "and kept the rest for judging and writing the reports")

    @classmethod
    def stopped(cls, reason: str) -> NotSent:
        return cls(Kind.STOPPED, reason)

    @classmethod
    def target_down(cls, reason: str) -> NotSent:
        return cls(Kind.TARGET_DOWN, reason)

    @classmethod
    def unencodable(cls) -> NotSent:
        return cls(Kind.UNENCODABLE, "a query value holds a lone surrogate, which no URL can carry")

    @classmethod
    def of(cls, error: str | None) -> NotSent | None:
        """The NotSent an exchange's `error` records, or None when the request was sent (or the
        error is another one). Kinds whose sentence is given by the caller (stopped, target
        down) read back as STOPPED: a saved transcript does not say which of the two it was."""
        if error is None or not error.startswith(PREFIX):
            return None
        why = error.removeprefix(PREFIX)
        if match := _REQUEST_BUDGET.fullmatch(why):
            return cls(Kind.REQUEST_BUDGET, why, int(match.group(1)))
        for kind, pattern in _FIXED:
            if pattern.fullmatch(why):
                return cls(kind, why)
        return cls(Kind.STOPPED, why)


_NUMBER = r"[0-9.e+-]+"
_REQUEST_BUDGET = re.compile(r"the request budget \((\d+)\) is used up")
_FIXED = (
    (Kind.EVIDENCE_BUDGET, re.compile(rf"the run's evidence budget \({_NUMBER} MiB of bodies\) is used up")),
    (Kind.DEADLINE, re.compile(rf"the run's deadline \({_NUMBER} s\) has passed")),
    (Kind.DEADLINE, re.compile(rf"the run's deadline \({_NUMBER} s\) was near: the suite stopped asking at "
                               rf"{_NUMBER} s and kept the rest for judging and writing the reports")),
    (Kind.UNENCODABLE, re.compile(re.escape(NotSent.unencodable().why))),
)
