"""Errors of the suite itself, kept apart from findings about the target.

A finding (the target broke a rule) is never an exception: it is an ``Outcome`` with
evidence (see ``conformance.verdicts``). Exceptions here mean the *tool* could not do
its job, and each carries the exit code the CLI maps it to, once, at the edge::

    ConformanceError              exit 2   base class; one clear sentence in str()
    ├── UsageError                exit 2   bad flags or environment values
    ├── SpecError                 exit 2   spec/openapi.yaml or the catalog is invalid
    ├── TargetUnreachable         exit 3   nothing could be judged: no answer at all
    ├── VerificationFailed        exit 1   `verify`: a report dir was altered or disagrees
    ├── VerdictDrift              exit 3   `verify`: intact, but a newer suite judges differently
    └── ClientError               exit 2   raised by the HTTP client inside a check
        ├── ForbiddenMethod                a non-GET request was attempted (suite bug)
        ├── RequestBudgetExhausted         --max-requests reached: later checks are inconclusive
        ├── DeadlinePassed                 --deadline reached: later checks are inconclusive
        └── TransportFailure               timeout, refused, reset, TLS: the check is inconclusive
"""

from __future__ import annotations

from conformance.failure import Failure


class ConformanceError(Exception):
    exit_code = 2


class UsageError(ConformanceError):
    exit_code = 2


class SpecError(ConformanceError):
    exit_code = 2


class TargetUnreachable(ConformanceError):
    exit_code = 3


class VerificationFailed(ConformanceError):
    exit_code = 1


class VerdictDrift(ConformanceError):
    """The evidence is intact, but this suite version re-judges it differently than the one that made it."""

    exit_code = 3


class ClientError(ConformanceError):
    exit_code = 2


class ForbiddenMethod(ClientError):
    """The client refuses anything but GET: the suite is pointed at production."""


class RequestBudgetExhausted(ClientError):
    """The run used up --max-requests; what is left cannot be judged."""


class DeadlinePassed(ClientError):
    """The run reached --deadline; what is left cannot be judged."""


class TransportFailure(ClientError):
    """The target gave no usable HTTP answer (timeout, refused, reset, TLS, oversize).

    str(): the exchange's error, the sentence the reports show; `failure`: its kind
    (conformance.failure), what a caller asks (the preflight tells a TLS or proxy failure, the
    user's setup, from an unreachable target), or None when the request was not sent (the run
    was stopped, the target taken as down: ``Exchange.left_undone`` says why)."""

    def __init__(self, error: str, failure: Failure | None = None) -> None:
        super().__init__(error)
        self.failure = failure
