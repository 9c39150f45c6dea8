"""Diagnosis: the known defects that best explain a run's failures.

Runs after judgement, on the verdicts and the transcript alone (so ``run`` and ``verify``
derive the same diagnosis). The table is the fault catalog of the reference server
(``conformance.reference.faults``): each fault declares a ``title`` and a
:class:`~conformance.reference.faults.Signature`. A fault is a *candidate* when its
signature is met (its required requirements were all reported, failed or warned, and its
``seen`` observations hold) and nothing contradicts it (none of its ``unseen``
observations holds). Candidates are then chosen greedily, as a small set cover of the
reported requirements: the one that explains the most still-unexplained requirements
first (ties: the more specific signature). What no chosen cause explains is left
unexplained, never forced into a cause. A run with nothing reported has no diagnosis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.base import Record
from conformance.exchange import Exchange
from conformance.judge.observations import observe
from conformance.spec import Spec, default_spec
from conformance.verdicts import RequirementVerdict, Verdict

REPORTED = (Verdict.FAIL, Verdict.WARN)
SHOWN_EXCHANGES = 2


@dataclass(frozen=True)
class Cause:
    """One likely cause: a catalog fault, the reported requirements it explains (catalog
    order) and the sequence numbers of the exchanges that show it best."""

    fault: str
    title: str
    explains: list[str]
    exchanges: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "title": self.title, "explains": list(self.explains),
                "exchanges": list(self.exchanges)}


@dataclass(frozen=True)
class _Candidate:
    fault: str
    title: str
    explainable: frozenset[str]
    specificity: tuple[int, int, int]
    shown: list[int]


def diagnose(verdicts: Sequence[RequirementVerdict], exchanges: Sequence[Exchange] | Record,
             spec: Spec | None = None) -> list[Cause]:
    """The likely causes of the reported (failed or warned) requirements, most likely first.

    ``verdicts`` as the judge gives them, ``exchanges`` the transcript they rest on. Empty
    when nothing was reported or no known fault's signature is met.
    """
    order = [v.requirement for v in verdicts]
    reported = {v.requirement for v in verdicts if v.verdict in REPORTED}
    if not reported:
        return []
    # Here, not at the top: the fault catalog brings the reference server's imports, which
    # a conformant run against a target never needs (some 55 ms of start-up).
    from conformance.reference.faults import FAULTS
    evidence = {v.requirement: [s for e in v.evidence for s in e.exchanges] for v in verdicts}
    record = Record.of(exchanges)
    spec = spec or default_spec()
    candidates: list[_Candidate] = []
    for index, fault in enumerate(FAULTS.values()):
        signature = fault.signature
        required = signature.requires if signature.requires is not None else fault.breaks
        if not required or not set(required) <= reported:
            continue
        seen = [observe(name, record, spec) for name in signature.seen]
        unseen = [observe(name, record, spec) for name in signature.unseen]
        # Unreadable (None) counts against the fault either way: never named on a guess.
        if not all(seen) or any(seqs is None or seqs for seqs in unseen):
            continue
        shown = [s for seqs in seen if seqs for s in seqs]
        for requirement in required:  # no observation named: the requirements' own evidence
            shown += evidence.get(requirement, [])[:1]
        explainable = frozenset({*fault.breaks, *signature.also} & reported)
        specificity = (len(signature.seen), len(required), -index)
        candidates.append(_Candidate(fault.name, fault.title, explainable, specificity,
                                     list(dict.fromkeys(shown))[:SHOWN_EXCHANGES]))
    causes: list[Cause] = []
    unexplained = set(reported)
    while candidates:
        best = max(candidates, key=lambda c: (len(c.explainable & unexplained), c.specificity))
        if not best.explainable & unexplained:
            break
        candidates.remove(best)
        unexplained -= best.explainable
        causes.append(Cause(best.fault, best.title, [r for r in order if r in best.explainable], best.shown))
    return causes


def unexplained(verdicts: Sequence[RequirementVerdict], causes: Sequence[Cause]) -> list[str]:
    """Reported requirements no cause explains, in verdict order."""
    explained = {r for c in causes for r in c.explains}
    return [v.requirement for v in verdicts if v.verdict in REPORTED and v.requirement not in explained]
