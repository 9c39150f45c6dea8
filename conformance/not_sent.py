"""Why a request was not sent, and why a run stopped, as values: what the client writes and what the judge reads.

The client records a request it refused to send as a :class:`NotSent` on the exchange
(``Exchange.left_undone``), together with the error ``not sent: <why>`` (the text a reader
sees in exchanges.jsonl and the reports); a request the run's deadline cut in flight carries
one with `in_flight` and the error ``cut: <why>``. exchanges.jsonl stores the value
(``left_undone``: its kind, sentence and budget) beside the text, so the readers (the lanes'
request count, the spent-budget naming of conformance.judge, the cut run's reasons) ask for
the kind and never match the prose. Only a transcript written before ``left_undone`` existed
has its kind read from the text, in :meth:`NotSent.from_legacy_error`. Why the run as a whole
stopped early is a :class:`Stopped`, written to report.json as its text and its parts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

PREFIX = "not sent: "
# How an exchange's `error` starts when the run's deadline cut its request in flight.
DEADLINE_CUT = "cut: "


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
    request budget, the --max-requests value `limit`. `in_flight`: the request was sent and the
    run's deadline cut it before its answer came (the error ``cut: <why>``; kind DEADLINE)."""

    kind: Kind
    why: str
    limit: int | None = None
    in_flight: bool = False

    @property
    def error(self) -> str:
        """The exchange's recorded error, exactly as the reports show it."""
        return (DEADLINE_CUT if self.in_flight else PREFIX) + self.why

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

    @classmethod
    def deadline_cut(cls, seconds: float | None, reason: str | None = None) -> NotSent:
        """A request in flight when the run's deadline came (its error starts ``cut: ``)."""
        return replace(cls.deadline(seconds, reason), in_flight=True)

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

    def to_record(self) -> dict[str, Any]:
        """The value as exchanges.jsonl holds it (``left_undone``): kind, sentence, budget, in flight."""
        return {"kind": self.kind.value, "why": self.why, "limit": self.limit, "in_flight": self.in_flight}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> NotSent:
        """The value :meth:`to_record` wrote. Raises ValueError or TypeError on anything else (a
        transcript that was edited by hand), which `verify` reports as a line that is not an exchange."""
        if not isinstance(record, Mapping):
            raise TypeError("left_undone is not an object")
        limit, in_flight, why = record.get("limit"), record.get("in_flight", False), record.get("why")
        if not isinstance(why, str) or not isinstance(in_flight, bool) or not (
                limit is None or (isinstance(limit, int) and not isinstance(limit, bool))):
            raise TypeError(f"left_undone is not a reason the suite writes: {dict(record)!r:.120}")
        return cls(Kind(record.get("kind")), why, limit, in_flight)

    @classmethod
    def from_legacy_error(cls, error: str | None) -> NotSent | None:
        """What a transcript written before ``left_undone`` existed records in an exchange's `error`:
        a request not sent (``not sent: <why>``), one the deadline cut in flight (``cut: <why>``;
        kind DEADLINE, `in_flight`), or None (sent, or another error). Kinds whose sentence is given
        by the caller (stopped, target down) read back as STOPPED: the text does not say which."""
        if error is not None and error.startswith(DEADLINE_CUT):
            return cls(Kind.DEADLINE, error.removeprefix(DEADLINE_CUT), in_flight=True)
        if error is None or not error.startswith(PREFIX):
            return None
        why = error.removeprefix(PREFIX)
        if match := _REQUEST_BUDGET.fullmatch(why):
            return cls(Kind.REQUEST_BUDGET, why, int(match.group(1)))
        for kind, pattern in _FIXED:
            if pattern.fullmatch(why):
                return cls(kind, why)
        return cls(Kind.STOPPED, why)


# How `Stopped.text` ends when judging was cut short (after the cut's reason).
JUDGING_CUT = ": judging was cut short"


@dataclass(frozen=True)
class Stopped:
    """Why a run stopped before its work was done, as a value.

    `kind`: what stopped the asking (the deadline, a budget: the :class:`Kind` of the request
    it left unsent), or None when asking finished; `detail`: that sentence; `judging`: why
    judging was cut short (conformance.judge.bounded: "the run's deadline came"), or "".
    report.json holds :meth:`text` as ``stopped`` (the words it has always held) and the parts as
    ``stopped_kind`` and ``stopped_judging``; :meth:`from_report` reads them back, and reads
    reports written before those fields existed from the text.
    """

    kind: Kind | None
    detail: str = ""
    judging: str = ""

    def text(self) -> str:
        """The sentence the reports show: why asking stopped, then why judging was cut, joined by "; "."""
        return "; ".join(s for s in (self.detail, self.judging and f"{self.judging}{JUDGING_CUT}") if s)

    @property
    def asking_finished(self) -> bool:
        """Every request the run meant to send was sent: only judging was cut."""
        return self.kind is None and not self.detail

    @classmethod
    def asking(cls, not_sent: NotSent | None) -> Stopped | None:
        """Why the run stopped asking (Client.stopped_because), or None when it did not."""
        return None if not_sent is None else cls(not_sent.kind, not_sent.why)

    @classmethod
    def judging_cut(cls, stopped: Stopped | None, why: str) -> Stopped:
        """`stopped` (None: asking finished) with judging cut short for `why` (the deadline, memory)."""
        return cls(None, judging=why) if stopped is None else replace(stopped, judging=why)

    @staticmethod
    def to_report(stopped: Stopped | None) -> dict[str, Any]:
        """report.json's fields for `stopped` (None: the run did not stop early): ``stopped``, the
        text or null; ``stopped_kind``, the Kind's value or null; ``stopped_judging``, why judging
        was cut short or null."""
        if stopped is None:
            return {"stopped": None, "stopped_kind": None, "stopped_judging": None}
        return {"stopped": stopped.text(), "stopped_kind": None if stopped.kind is None else stopped.kind.value,
                "stopped_judging": stopped.judging or None}

    @classmethod
    def from_report(cls, report: Mapping[str, Any]) -> Stopped | None:
        """The Stopped a report.json records, or None. Raises ValueError for a ``stopped_kind`` the
        suite does not write. A report written before ``stopped_judging`` existed has the judging
        cut read from the end of its text (``<why>: judging was cut short``), and one written before
        ``stopped_kind`` existed has its kind read from the text too (:meth:`NotSent.from_legacy_error`)."""
        text = report.get("stopped")
        if not text:
            return None
        text = str(text)
        if "stopped_judging" in report:
            judging = str(report["stopped_judging"] or "")
            detail = text.removesuffix(f"{judging}{JUDGING_CUT}").removesuffix("; ") if judging else text
        else:
            # The judging cut is the text's last part; its reason never holds "; ".
            asked, _, last = text.rpartition("; ")
            detail, judging = (asked, last.removesuffix(JUDGING_CUT)) if last.endswith(JUDGING_CUT) else (text, "")
        if "stopped_kind" in report:
            kind = report["stopped_kind"]
            return cls(None if kind is None else Kind(kind), detail, judging)
        asking = NotSent.from_legacy_error(PREFIX + detail) if detail else None
        return cls(asking.kind if asking is not None else None, detail, judging)


_NUMBER = r"[0-9.e+-]+"
_REQUEST_BUDGET = re.compile(r"the request budget \((\d+)\) is used up")
_FIXED = (
    (Kind.EVIDENCE_BUDGET, re.compile(rf"the run's evidence budget \({_NUMBER} MiB of bodies\) is used up")),
    (Kind.DEADLINE, re.compile(rf"the run's deadline \({_NUMBER} s\) has passed")),
    (Kind.DEADLINE, re.compile(rf"the run's deadline \({_NUMBER} s\) was near: the suite stopped asking at "
                               rf"{_NUMBER} s and kept the rest for judging and writing the reports")),
    (Kind.UNENCODABLE, re.compile(re.escape(NotSent.unencodable().why))),
)
