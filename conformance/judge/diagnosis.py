"""Diagnosis: the known defects that best explain a run's failures.

Runs after judgement, on the verdicts and the transcript alone (so ``run`` and ``verify``
derive the same diagnosis); it never changes a verdict. The table is the fault catalog of
the reference server (``conformance.reference.faults``): each fault declares a ``title``
and a :class:`~conformance.reference.faults.Signature`. Partial variants of a fault
(``cursor-inclusive:forward``) are not rows of their own: they are diagnosed as the parent.

**Candidates: named by defining evidence.** A fault whose signature declares ``seen``
observations is a candidate when all of them hold (the defining evidence: what only this
defect produces), none of its ``unseen`` observations holds (a contradiction vetoes), and at
least one requirement it explains (``breaks`` and ``also``) was reported. The requirements
it usually breaks (``requires``, default ``breaks``) do not have to be reported: each one
that was not is *missing*, and lowers the cause's rank. A fault without ``seen`` has only
its requirements as evidence: it is a candidate only when every one of them was reported.

**Scoring.** Candidates are chosen greedily, as a small set cover of the reported
requirements. Each round takes the highest of ``(gain - missing, missing == 0,
specificity)``, where *gain* counts the still-unexplained reported requirements it explains
and *specificity* prefers more ``seen`` observations, then more required requirements, then
catalog order. A chosen cause's look-alikes (``Signature.lookalikes``: another fault and the
observation that rules it out) are named in the same line when that observation does not
hold: the record cannot tell them apart.

Example: a server whose ``starting_after`` page repeats the cursor item while
``ending_before`` is right reports PAG-001, PAG-002, PAG-004, PAG-009 and FLT-002, not
PAG-005. ``cursor-inclusive`` (breaks PAG-001, PAG-004, PAG-005) has its defining evidence
(``page-repeats-cursor`` holds) and nothing contradicts it: gain 5 (three through ``also``),
missing 1 (PAG-005), score 4. No other fault's evidence holds, so it is named, and explains
all five.

**Only what was observed on this operation.** An observation that reads a filter
(``Observation.reads``: the catalog's `status` observations) is not made on an operation that
does not declare that filter as a partition (``observe`` gives None): a fault resting on it,
seen or unseen, is then no candidate, and its findings there are left unexplained rather than
named in `status` words for an `email` or `type` filter (docs/family.md, "Judging a family").
Where the operation has that filter beside others (invoices' `status` and `customer`), a fault
with no ``seen``, whose contradictions read it, is a candidate only when each required
requirement's evidence holds a page asked with it: a `customer` page's finding is not pinned on
a `status` defect whose `status` observations saw nothing wrong.

**When no catalog fault fits**, what is left unexplained gets an observation-level cause:
an observation that holds and is the defining evidence of a fault for one of those
requirements, said in plain words with the target's own values (``observed:<name>``).

**Order.** Causes explaining a failed MUST come before those explaining SHOULD warnings
only; within each, the order of choice.

**What this target did.** Titles speak of the defect, not of the catalog's variant of it; the
target's own values go in ``observed``, quoted from the exchanges the cause cites, and every
value a cause states must appear in those exchanges (:func:`unsupported_values`, asserted
over the kill matrix and the variant server). What no cause explains is left unexplained,
never forced into a cause. A run with nothing reported has no diagnosis.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.base import Record
from conformance.exchange import Exchange
from conformance.judge.observations import EXPLAINS, OBSERVATIONS, describe, observe, stated_values
from conformance.operations import CHECKOUT_SESSIONS
from conformance.spec import Spec, default_spec
from conformance.verdicts import RequirementVerdict, Verdict

REPORTED = (Verdict.FAIL, Verdict.WARN)
SHOWN_EXCHANGES = 2
OBSERVED = "observed:"  # the prefix of an observation-level cause's name


@dataclass(frozen=True)
class Cause:
    """One likely cause: a catalog fault (or ``observed:<observation>`` when no catalog fault
    fits), the reported requirements it explains (catalog order), the sequence numbers of the
    exchanges that show it best, the look-alikes the record cannot tell apart from it, and
    what this target did, in its own values from those exchanges."""

    fault: str
    title: str
    explains: list[str]
    exchanges: list[int] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    observed: str = ""
    # The list operation whose exchanges show it, as ``"GET /path"``.
    operation: str = CHECKOUT_SESSIONS

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"operation": self.operation, "fault": self.fault, "title": self.title,
                                 "explains": list(self.explains),
                                 "exchanges": list(self.exchanges)}
        if self.alternatives:
            found["alternatives"] = list(self.alternatives)
        if self.observed:
            found["observed"] = self.observed
        return found


@dataclass(frozen=True)
class _Candidate:
    fault: str
    title: str
    explainable: frozenset[str]
    missing: int
    specificity: tuple[int, int, int]
    shown: list[int]
    alternatives: list[str]
    observed: str


def diagnose(verdicts: Sequence[RequirementVerdict], exchanges: Sequence[Exchange] | Record,
             spec: Spec | None = None) -> list[Cause]:
    """The likely causes of the reported (failed or warned) requirements, most likely first.

    ``verdicts`` as the judge gives them, ``exchanges`` the transcript they rest on. Empty
    when nothing was reported; the rules are this module's docstring.
    """
    order = [v.requirement for v in verdicts]
    reported = {v.requirement for v in verdicts if v.verdict in REPORTED}
    if not reported:
        return []
    failed_must = {v.requirement for v in verdicts if v.verdict == Verdict.FAIL}
    evidence = {v.requirement: [s for e in v.evidence for s in e.exchanges] for v in verdicts}
    record = Record.of(exchanges)
    spec = spec or default_spec()
    candidates = _candidates(record, spec, reported, evidence)
    causes: list[Cause] = []
    unexplained = set(reported)
    while candidates:
        best = max(candidates, key=lambda c: (len(c.explainable & unexplained) - c.missing, c.missing == 0,
                                              c.specificity))
        if not best.explainable & unexplained:
            break
        candidates.remove(best)
        unexplained -= best.explainable
        causes.append(Cause(best.fault, best.title, [r for r in order if r in best.explainable], best.shown,
                            best.alternatives, best.observed))
    causes += _observed_causes(record, spec, unexplained, order)
    # Causes of failed MUSTs first; sorted() keeps the order of choice within each group.
    return sorted(causes, key=lambda c: not set(c.explains) & failed_must)


def _contradicted(names: Sequence[str], record: Record, spec: Spec) -> bool:
    # Unreadable (None) counts against the fault: never named on a guess.
    return any(seqs is None or seqs for seqs in (observe(n, record, spec) for n in names))


def _candidates(record: Record, spec: Spec, reported: set[str],
                evidence: dict[str, list[int]]) -> list[_Candidate]:
    # Here, not at the top: the fault catalog brings the reference server's imports, which
    # a conformant run against a target never needs (some 55 ms of start-up).
    from conformance.reference.faults import FAULTS

    found: list[_Candidate] = []
    for index, fault in enumerate(FAULTS.values()):
        if fault.parent is not None:
            continue  # a partial variant is diagnosed as its parent
        signature = fault.signature
        required = signature.requires if signature.requires is not None else fault.breaks
        explainable = frozenset({*fault.breaks, *signature.also} & reported)
        if not required or not explainable:
            continue
        if not signature.seen and not set(required) <= reported:
            continue  # the requirements are its only evidence: all of them
        if not signature.seen and not _found_on_its_filters(signature.unseen, required, evidence, record):
            continue  # its findings come from another filter than the one its title speaks of
        seen = [observe(name, record, spec) for name in signature.seen]
        if not all(seen) or _contradicted(signature.unseen, record, spec):
            continue
        shown = [s for seqs in seen if seqs for s in seqs]
        for requirement in required:  # no observation named: the requirements' own evidence
            shown += evidence.get(requirement, [])[:1]
        shown = list(dict.fromkeys(shown))[:SHOWN_EXCHANGES]
        alternatives = [other for other, rules_out in signature.lookalikes
                        if not observe(rules_out, record, spec)
                        and not _contradicted(FAULTS[other].signature.unseen, record, spec)]
        observed = next((text for name, seqs in zip(signature.seen, seen, strict=True)
                         if seqs and (text := describe(name, record, seqs))), "")
        found.append(_Candidate(fault.name, fault.title, explainable, len(set(required) - reported),
                                (len(signature.seen), len(required), -index), shown, alternatives, observed))
    return found


def _found_on_its_filters(unseen: Sequence[str], required: Sequence[str], evidence: dict[str, list[int]],
                          record: Record) -> bool:
    """Whether a fault with no defining evidence, whose contradictions read filters (``reads``:
    the catalog's `status`), has findings shown on pages asked with one of those filters: each
    required requirement's evidence holds such a page. A fault on an operation's `customer` filter
    is not named in `status` words for `status` pages that were fine (docs/family.md)."""
    filters = {OBSERVATIONS[name].reads for name in unseen} - {""}
    if not filters:
        return True

    def asked_with_filter(seq: int) -> bool:
        try:
            return bool(filters & set(record.by_seq(seq).params))
        except (KeyError, IndexError):
            return False

    return all(any(asked_with_filter(seq) for seq in evidence.get(requirement, [])) for requirement in required)


def _observed_causes(record: Record, spec: Spec, unexplained: set[str], order: list[str]) -> list[Cause]:
    """Observation-level causes for what no catalog fault explains: each observation that holds
    and is the defining evidence of some fault for an unexplained requirement (or declares the
    requirement itself: ``observations.EXPLAINS``), said in plain words."""
    from conformance.reference.faults import FAULTS

    explains: dict[str, set[str]] = {name: set(ids) for name, ids in EXPLAINS.items()}
    for fault in FAULTS.values():
        if fault.parent is None:
            for name in fault.signature.seen:
                explains.setdefault(name, set()).update(fault.breaks, fault.signature.also)
    causes: list[Cause] = []
    left = set(unexplained)
    for name in OBSERVATIONS:
        covered = explains.get(name, set()) & left
        if not covered:
            continue
        seqs = observe(name, record, spec)
        if not seqs:
            continue
        left -= covered
        # The title is the vocabulary's own words; the target's values go in `observed` only.
        title = "No catalog fault fits: " + _sentence(OBSERVATIONS[name].text)
        causes.append(Cause(OBSERVED + name, title, [r for r in order if r in covered], seqs[:SHOWN_EXCHANGES],
                            observed=describe(name, record, seqs)))
    return causes


def _sentence(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:] + ("" if phrase.endswith(".") else ".")


def unsupported_values(cause: Cause, exchanges: Sequence[Exchange] | Record) -> list[str]:
    """The values ``cause`` states (``observations.stated_values`` of its title and ``observed``)
    that none of the exchanges it cites shows, in its request or its response body: [] when the
    cause says only what this target did. A value cut short (``...``) is looked up by its head."""
    record = Record.of(exchanges)
    cited = [e for e in record if e.seq in cause.exchanges]
    return [value for value in stated_values(f"{cause.title} {cause.observed}")
            if not any(_shows(e, value) for e in cited)]


def _shows(exchange: Exchange, value: str) -> bool:
    head = value.removesuffix("...")
    request = (exchange.target, "&".join(f"{k}={v}" for k, v in exchange.query))
    if any(head in text for text in (*request, exchange.body)):
        return True
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    # The same JSON value written with other spacing, or a JSON string written bare in the request.
    return (isinstance(parsed, str) and any(parsed in text for text in request)) or _holds(exchange.json, parsed)


def _holds(document: Any, value: Any) -> bool:
    if document == value and type(document) is type(value):
        return True
    children = document.values() if isinstance(document, dict) else document if isinstance(document, list) else []
    return any(_holds(child, value) for child in children)


def unexplained(verdicts: Sequence[RequirementVerdict], causes: Sequence[Cause]) -> list[str]:
    """Reported requirements no cause explains, in verdict order (a cause explains the requirements
    of its own operation only)."""
    explained = {(c.operation, r) for c in causes for r in c.explains}
    return [v.requirement for v in verdicts
            if v.verdict in REPORTED and (v.operation, v.requirement) not in explained]
