"""conformance.judge.judgement.conclude on constructed verdicts: each rule of the scoped verdict, and the
stopped suffix kept with waivers (issue 23). The catalog is a small one made here, so every
expectation is read off the verdicts given, not off the suite's catalog."""

from __future__ import annotations

import datetime as dt

import pytest

from conformance.catalog import Catalog, Requirement
from conformance.judge.judgement import conclude
from conformance.judge.waivers import Waiver
from conformance.not_sent import Kind, Stopped
from conformance.verdicts import RequirementVerdict, Unjudged, Verdict

CATALOG = Catalog(tuple(Requirement(i, area, level, "text", "seed") for i, area, level in (
    ("PAG-001", "pagination", "MUST"), ("PAG-002", "pagination", "MUST"), ("LIM-001", "limit", "MUST"),
    ("LIM-002", "limit", "SHOULD"), ("DATA-001", "dataset", "MUST"))), (), "0" * 64)
DAY = dt.date(2026, 12, 6)


def _verdicts(**changes: Verdict | tuple[Verdict, bool]) -> list[RequirementVerdict]:
    """Every requirement passes, except those named (PAG_002=Verdict.FAIL; (Verdict.SKIP, True): too
    little data); DATA-001 does not apply (a skip that is not for want of data)."""
    verdicts = []
    for requirement in CATALOG.requirements:
        change = changes.get(requirement.id.replace("-", "_"), Verdict.SKIP if requirement.id == "DATA-001"
                             else Verdict.PASS)
        kind, lacks = change if isinstance(change, tuple) else (change, False)
        if requirement.level == "SHOULD" and kind == Verdict.FAIL:
            kind = Verdict.WARN
        verdicts.append(RequirementVerdict(requirement.id, requirement.level, kind, f"{kind.value} reason", [],
                                           [], lacks, [0] if kind == Verdict.PASS else []))
    return verdicts


def _waiver(requirement: str) -> Waiver:
    return Waiver(requirement, "fix tracked in PAY-9", dt.date(2999, 1, 1))


@pytest.mark.parametrize(("verdicts", "kwargs", "gate", "scoped"), [
    pytest.param(_verdicts(), {}, "conformant", "conformant", id="all-judged"),
    pytest.param(_verdicts(LIM_002=Verdict.FAIL), {}, "conformant", "conformant", id="should-warns-lenient"),
    pytest.param(_verdicts(LIM_002=Verdict.FAIL), {"strict": True}, "nonconformant", "nonconformant",
                 id="should-warns-strict"),
    pytest.param(_verdicts(LIM_002=Verdict.INCONCLUSIVE), {"strict": True}, "conformant", "partial",
                 id="should-unjudged-strict"),
    pytest.param([v for v in _verdicts() if v.requirement.startswith("PAG")], {"only": ("pagination",)},
                 "conformant", "partial", id="only"),
    pytest.param(_verdicts(PAG_002=(Verdict.SKIP, True)), {}, "conformant", "partial", id="too-little-data"),
    pytest.param(_verdicts(LIM_001=Verdict.INCONCLUSIVE), {"stopped": Stopped(Kind.DEADLINE, "the deadline passed")},
                 "inconclusive", "partial", id="cut"),
    pytest.param(_verdicts(PAG_001=(Verdict.SKIP, True)), {}, "inconclusive", "inconclusive", id="data-gate"),
    pytest.param(_verdicts(PAG_002=Verdict.FAIL), {}, "nonconformant", "nonconformant", id="must-fails"),
    pytest.param(_verdicts(PAG_002=Verdict.FAIL), {"waivers": [_waiver("PAG-002")]}, "conformant",
                 "conformant-with-waivers", id="must-waived"),
    pytest.param(_verdicts(LIM_002=Verdict.FAIL), {"waivers": [_waiver("LIM-002")]}, "conformant", "conformant",
                 id="should-waived-lenient"),
    pytest.param(_verdicts(LIM_002=Verdict.FAIL), {"waivers": [_waiver("LIM-002")], "strict": True},
                 "conformant", "conformant-with-waivers", id="should-waived-strict"),
    pytest.param(_verdicts(PAG_002=Verdict.FAIL, LIM_001=(Verdict.SKIP, True)), {"waivers": [_waiver("PAG-002")]},
                 "conformant", "partial-with-waivers", id="waived-and-partial"),
    pytest.param(_verdicts(PAG_002=Verdict.ERROR), {}, "error", "error", id="suite-error"),
    pytest.param([RequirementVerdict(r.id, r.level, Verdict.INCONCLUSIVE, "refused", [], [])
                  for r in CATALOG.requirements], {"aborted": "the key was refused"}, "inconclusive",
                 "inconclusive", id="aborted"),
])
def test_the_scoped_verdict(verdicts: list[RequirementVerdict], kwargs: dict[str, object], gate: str,
                            scoped: str) -> None:
    conclusion = conclude(verdicts, CATALOG, **{"strict": False, "target": "http://t", "on": DAY, **kwargs})  # type: ignore[arg-type]
    assert (conclusion.verdict, conclusion.scope.verdict) == (gate, scoped)


def test_what_was_not_judged_is_listed_with_why() -> None:
    verdicts = [v for v in _verdicts(PAG_002=(Verdict.SKIP, True), LIM_001=Verdict.INCONCLUSIVE)
                if v.requirement != "LIM-002"]
    scope = conclude(verdicts, CATALOG, strict=False, only=("PAG-001", "PAG-002", "LIM-001", "DATA-001")).scope
    assert [(n["id"], n["why"]) for n in scope.not_judged] == [
        ("PAG-002", "too little data"), ("LIM-001", "inconclusive"), ("LIM-002", "not selected"),
        ("DATA-001", "does not apply")]
    # MUSTs: PAG-001 judged; PAG-002 and LIM-001 not; DATA-001 does not apply; LIM-002 is a SHOULD.
    assert (scope.judged, scope.total) == (1, 4)  # the catalog's MUSTs, DATA-001 among them
    assert scope.statement() == ("judged 1 of the catalog's 4 MUST requirements; 1 does not apply (DATA-001); "
                                 "not judged: PAG-002 (too little data); LIM-001 (inconclusive)")


@pytest.mark.parametrize("waived", [False, True])
def test_the_stopped_suffix_is_kept_with_waivers_or_without(waived: bool) -> None:
    waivers = [_waiver("PAG-002")] if waived else []
    conclusion = conclude(_verdicts(PAG_002=Verdict.FAIL), CATALOG, strict=False,
                          stopped=Stopped(Kind.DEADLINE, "the deadline (5 s)"), waivers=waivers, target="http://t",
                          on=DAY)
    assert conclusion.reason.endswith("the deadline (5 s).") or conclusion.reason.endswith("(the deadline (5 s))")
    assert conclusion.reason  # never "" with `stopped` set: issue 23


def test_a_spent_request_budget_the_verdicts_name_is_not_said_twice() -> None:
    # The kind, not the words, tells that the verdicts' "not judged: the request budget ..." says it.
    verdicts = _verdicts(LIM_001=Verdict.INCONCLUSIVE)
    verdicts = [v if v.requirement != "LIM-001" else RequirementVerdict(
        v.requirement, v.level, v.verdict, "not judged: the request budget (--max-requests 9) was used up", [], [],
        unjudged=Unjudged.REQUEST_BUDGET)
        for v in verdicts]
    budget = conclude(verdicts, CATALOG, strict=False, stopped=Stopped(Kind.REQUEST_BUDGET, "nine were sent"))
    other = conclude(verdicts, CATALOG, strict=False, stopped=Stopped(Kind.DEADLINE, "nine were sent"))
    assert "nine were sent" not in budget.reason
    assert other.reason.endswith("(nine were sent)")


def test_a_judging_cut_in_a_run_that_also_spent_its_budget_is_named_as_the_cut() -> None:
    # Review F2: the spent --max-requests budget used to rewrite the reasons of the rules the deadline
    # left unjudged, so the run told the user to raise --max-requests when the deadline was the cause.
    from conformance.catalog import default_catalog
    from conformance.exchange import Exchange
    from conformance.judge.bounded import CUT_RULE_SUFFIX
    from conformance.judge.pipeline import Judged
    from conformance.not_sent import NotSent

    unsent = Exchange(seq=1, tag="walk:100", path="/v1/checkout/sessions", query=[("limit", "100")], auth="key",
                      request_headers={}, status=None, body="", error=NotSent.request_budget(9).error,
                      left_undone=NotSent.request_budget(9))
    cut = "the run's deadline came" + CUT_RULE_SUFFIX
    catalog = default_catalog()
    verdicts = Judged().verdicts(catalog, (), {}, [unsent], cut=cut)
    assert {v.reason for v in verdicts if v.verdict == Verdict.INCONCLUSIVE} == {cut}
    conclusion = conclude(verdicts, catalog, strict=False,
                          stopped=Stopped.judging_cut(None, "the run's deadline came"))
    assert "--max-requests" not in conclusion.reason
    assert cut in conclusion.reason


def _inconclusive(requirement: str, reason: str, unjudged: Unjudged | None = None) -> RequirementVerdict:
    return RequirementVerdict(requirement, "MUST", Verdict.INCONCLUSIVE, reason, [], [], unjudged=unjudged)


def test_the_spent_budget_renames_only_what_no_other_cause_left_unjudged() -> None:
    from conformance.exchange import Exchange
    from conformance.judge.spent_budget import name_spent_budget
    from conformance.not_sent import NotSent

    unsent = Exchange(seq=1, tag="walk:100", path="/v1/checkout/sessions", query=[("limit", "100")], auth="key",
                      request_headers={}, status=None, body="", error=NotSent.request_budget(4).error,
                      left_undone=NotSent.request_budget(4))
    verdicts = [_inconclusive("PAG-001", "the target did not answer"),
                _inconclusive("PAG-002", "the collection changed", Unjudged.DISTRUSTED),
                _inconclusive("LIM-001", "the deadline came before this rule was judged", Unjudged.JUDGING_CUT)]
    named = name_spent_budget(verdicts, [unsent])
    assert [(v.reason, v.unjudged) for v in named] == [
        ("not judged: the request budget (--max-requests 4) was used up before its requests were sent",
         Unjudged.REQUEST_BUDGET),
        ("the collection changed", Unjudged.DISTRUSTED),
        ("the deadline came before this rule was judged", Unjudged.JUDGING_CUT)]
    assert name_spent_budget(verdicts, []) == verdicts  # nothing spent: nothing renamed


def test_the_run_reason_names_the_budget_by_the_kind_not_by_the_words() -> None:
    from conformance.verdicts import verdict_reason

    words = "not judged: the request budget (--max-requests 4) was used up before its requests were sent"
    spent = verdict_reason([_inconclusive("PAG-001", words, Unjudged.REQUEST_BUDGET)], "inconclusive")
    assert spent == ("1 requirement could not be judged: the request budget (--max-requests 4) was used up before "
                     "its requests were sent; raise --max-requests, or judge fewer areas with --only.")
    # The same words from elsewhere (no kind) are a reason like any other.
    assert verdict_reason([_inconclusive("PAG-001", words)], "inconclusive") == f"PAG-001 could not be judged: {words}."


def test_the_stop_is_said_once_by_the_typed_cause_not_by_the_words() -> None:
    stop = Stopped(Kind.DEADLINE, "the run's deadline (5 s) has passed")
    base = [v for v in _verdicts() if v.requirement != "LIM-001"]
    # A reason that holds the stop's words by chance (the target's own text) does not say why the run stopped.
    echoed = conclude([*base, _inconclusive("LIM-001", f"the target said: {stop.detail}")], CATALOG, strict=False,
                      stopped=stop)
    assert echoed.reason == f"LIM-001 could not be judged: the target said: {stop.detail}. ({stop.text()})"
    # A requirement whose requests the run left undone says it, in whatever words: said once.
    for cause in (Unjudged.LEFT_UNDONE, Unjudged.RUN_CUT):
        left = conclude([*base, _inconclusive("LIM-001", "its requests were not sent", cause)], CATALOG,
                        strict=False, stopped=stop)
        assert left.reason == "LIM-001 could not be judged: its requests were not sent."
    # Only judging was cut: no requirement's reason quotes that, so the stop is added.
    judging = Stopped.judging_cut(None, "the run's deadline came")
    cut = conclude([*base, _inconclusive("LIM-001", "its requests were not sent", Unjudged.LEFT_UNDONE)], CATALOG,
                   strict=False, stopped=judging)
    assert cut.reason.endswith(f"({judging.text()})")
