"""What the client records for a request it did not send reads back as the same value (conformance.not_sent):
from exchanges.jsonl's `left_undone`, and from the words alone only in a transcript written before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.exchange import Exchange
from conformance.judge.spent_budget import budget_spent
from conformance.not_sent import DEADLINE_CUT, Kind, NotSent, Stopped
from conformance.reports.exchanges import read_exchanges


def _exchange(seq: int) -> Exchange:
    return Exchange(seq=seq, tag="walk:100", path="/v1/checkout/sessions", query=[("limit", "100")], auth="key",
                    request_headers={}, status=None, body="")


def _unsent(seq: int, error: str) -> Exchange:
    """An exchange read from a transcript written before `left_undone` existed: its words are all it has."""
    written = _exchange(seq).to_dict() | {"error": error}
    del written["left_undone"]
    return Exchange.from_dict(written)


def _saved(exchange: Exchange) -> Exchange:
    """`exchange` written to exchanges.jsonl and read back, as `verify` reads it."""
    return Exchange.from_dict(json.loads(json.dumps(exchange.to_dict())))


@pytest.mark.parametrize("written", [
    NotSent.request_budget(2000),
    NotSent.evidence_budget(64),
    NotSent.evidence_budget(0.5),
    NotSent.deadline(280.0),
    NotSent.deadline(1.5),
    NotSent.deadline(196.0, NotSent.deadline_near(280.0, 196.0)),  # the run's asking share (issue 22)
    NotSent.unencodable(),
    NotSent.stopped("the run was interrupted"),
])
def test_each_written_reason_reads_back_as_itself(written: NotSent) -> None:
    exchange = _exchange(1)
    exchange.leave_undone(written)
    assert exchange.error == written.error
    assert _saved(exchange).left_undone == written
    assert NotSent.from_legacy_error(written.error) == written  # a transcript from before left_undone


def test_the_text_is_what_reports_have_always_shown() -> None:
    # exchanges.jsonl of earlier runs must still verify: the sentences are unchanged.
    assert NotSent.request_budget(3).error == "not sent: the request budget (3) is used up"
    assert NotSent.deadline(5).error == "not sent: the run's deadline (5 s) has passed"
    assert NotSent.evidence_budget(64).error == "not sent: the run's evidence budget (64 MiB of bodies) is used up"
    assert NotSent.deadline(2.8, NotSent.deadline_near(4, 2.8)).error == (
        "not sent: the run's deadline (4 s) was near: the suite stopped asking at 2.8 s "
        "and kept the rest for judging and writing the reports")


@pytest.mark.parametrize("error", [None, "", "connection reset", "dropped: the target closed the connection"])
def test_a_sent_request_or_another_error_is_not_a_not_sent(error: str | None) -> None:
    assert NotSent.from_legacy_error(error) is None
    assert _unsent(1, error).left_undone is None  # type: ignore[arg-type]


def test_the_judge_asks_the_value_not_the_words() -> None:
    # The words of a bound, with no value recorded (a target's own error text could read so), are not a cut;
    # the value is one whatever its words.
    lookalike = _exchange(1)
    lookalike.error = NotSent.request_budget(7).error
    lookalike = _saved(lookalike)
    assert lookalike.left_undone is None and budget_spent([lookalike]) is None
    reworded = _exchange(2)
    reworded.leave_undone(NotSent(Kind.REQUEST_BUDGET, "seven were sent, and no more", 7))
    assert budget_spent([lookalike, _saved(reworded)]) == 7
    from conformance.checks.common import run_cut
    assert run_cut([lookalike]) is None and run_cut([_saved(reworded)]) == reworded.left_undone


@pytest.mark.parametrize("record", [[], "deadline", {"kind": "nap", "why": "x"}, {"kind": "deadline"},
                                    {"kind": "deadline", "why": "x", "limit": "7"},
                                    {"kind": "deadline", "why": "x", "in_flight": 1}])
def test_a_hand_edited_left_undone_is_refused_as_a_line_that_is_not_an_exchange(record: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        Exchange.from_dict(_exchange(1).to_dict() | {"left_undone": record})


def test_a_reason_given_by_the_caller_reads_back_as_stopped() -> None:
    # The circuit breaker's sentence is its own; a saved transcript cannot tell it from a stop.
    down = NotSent.target_down("the target closed every connection without a response earlier in the run")
    assert NotSent.from_legacy_error(down.error) == NotSent(Kind.STOPPED, down.why)
    exchange = _exchange(1)
    exchange.leave_undone(down)
    assert _saved(exchange).left_undone == down  # recorded as a value, the kind is kept


def test_the_spent_budget_is_read_from_the_kind_not_from_a_lookalike() -> None:
    spent = _unsent(1, NotSent.request_budget(7).error)
    lookalike = _unsent(2, NotSent.stopped("the request budget (9) is not the issue").error)
    assert budget_spent([lookalike, spent]) == 7
    assert budget_spent([lookalike]) is None


@pytest.mark.parametrize(("error", "cut"), [
    (NotSent.request_budget(50).error, NotSent.request_budget(50)),
    (NotSent.target_down("the target stopped answering earlier in the run").error,
     NotSent(Kind.STOPPED, "the target stopped answering earlier in the run")),
    ("cut: the run's deadline (5 s) has passed", NotSent(Kind.DEADLINE, "the run's deadline (5 s) has passed",
                                                          in_flight=True)),
    (NotSent.unencodable().error, None),  # one request the URL could not carry: nothing was cut
    ("no response within 10 s", None),
])
def test_too_little_data_in_a_cut_run_is_inconclusive(error: str, cut: NotSent | None) -> None:
    from conformance.checks.common import lacking, run_cut
    from conformance.verdicts import Finding

    exchanges = [_unsent(1, error)]
    assert run_cut(exchanges) == cut
    outcome = lacking("PAG-004", "pagination.cursors", "fewer than two sessions", exchanges)
    assert outcome.finding == (Finding.SKIPPED if cut is None else Finding.INCONCLUSIVE)


def test_a_request_cut_in_flight_reads_back_as_the_deadline_and_keeps_its_text() -> None:
    cut = NotSent.deadline_cut(5)
    assert cut.error == "cut: the run's deadline (5 s) has passed"  # the words transcripts have always held
    assert cut.error.startswith(DEADLINE_CUT)
    assert NotSent.from_legacy_error(cut.error) == cut
    exchange = _exchange(1)
    exchange.leave_undone(cut)
    assert _saved(exchange).left_undone == cut
    assert exchange.not_sent is None  # it was sent
    assert _unsent(2, cut.error).not_sent is None and _unsent(2, cut.error).left_undone == cut


@pytest.mark.parametrize("stopped", [
    Stopped(Kind.DEADLINE, NotSent.deadline(4, NotSent.deadline_near(4, 2.8)).why),
    Stopped(Kind.REQUEST_BUDGET, NotSent.request_budget(9).why),
    Stopped.judging_cut(Stopped(Kind.EVIDENCE_BUDGET, NotSent.evidence_budget(1).why), "memory ran short"),
    Stopped.judging_cut(None, "the run's deadline (4 s) came"),
])
def test_a_stop_reads_back_from_report_json_with_its_kind_and_text(stopped: Stopped) -> None:
    fields = Stopped.to_report(stopped)
    read = Stopped.from_report(fields)
    assert read is not None and (read.kind, read.text()) == (stopped.kind, stopped.text())
    assert fields["stopped"] == stopped.text()


def test_the_report_text_of_a_stop_is_unchanged() -> None:
    both = Stopped.judging_cut(Stopped.asking(NotSent.request_budget(9)), "the run's deadline (4 s) came")
    assert both.text() == "the request budget (9) is used up; the run's deadline (4 s) came: judging was cut short"
    assert Stopped.to_report(None) == {"stopped": None, "stopped_kind": None, "stopped_judging": None}
    assert Stopped.from_report({"stopped": None, "stopped_kind": None}) is None
    assert Stopped.to_report(both)["stopped_judging"] == "the run's deadline (4 s) came"


@pytest.mark.parametrize(("text", "kind"), [
    ("the request budget (9) is used up", Kind.REQUEST_BUDGET),
    ("the request budget (9) is used up; the run's deadline (4 s) came: judging was cut short", Kind.REQUEST_BUDGET),
    (NotSent.deadline(4, NotSent.deadline_near(4, 2.8)).why, Kind.DEADLINE),
    ("memory ran short: judging was cut short", None),  # only judging was cut: asking finished
])
def test_a_report_written_before_stopped_kind_is_read_from_its_text(text: str, kind: Kind | None) -> None:
    read = Stopped.from_report({"stopped": text})  # no stopped_kind: an older report.json
    assert read is not None and (read.kind, read.text()) == (kind, text)


@pytest.mark.parametrize(("fields", "parts"), [
    # Written with stopped_kind but before stopped_judging: the cut is read from the end of the text.
    ({"stopped": "the request budget (9) is used up; the run's deadline came: judging was cut short",
      "stopped_kind": "request budget"},
     (Kind.REQUEST_BUDGET, "the request budget (9) is used up", "the run's deadline came")),
    ({"stopped": "judging reached the suite's memory budget (512 MB): judging was cut short", "stopped_kind": None},
     (None, "", "judging reached the suite's memory budget (512 MB)")),
    ({"stopped": "the run's deadline (4 s) has passed", "stopped_kind": "deadline"},
     (Kind.DEADLINE, "the run's deadline (4 s) has passed", "")),
    # Before stopped_kind too.
    ({"stopped": "the run's deadline came: judging was cut short"}, (None, "", "the run's deadline came")),
])
def test_an_older_report_has_its_judging_cut_read_from_the_end_of_its_text(
        fields: dict[str, object], parts: tuple[Kind | None, str, str]) -> None:
    read = Stopped.from_report(fields)
    assert read is not None and (read.kind, read.detail, read.judging) == parts
    assert read.text() == fields["stopped"]
    assert read.asking_finished == (parts[:2] == (None, ""))


@pytest.mark.parametrize("edit", [
    {"left_undone": {"why": "x"}}, {"seq": "1"}, {"seq": None}, {"tag": 5}, {"body": 5}, {"status": "200"},
    {"attempts": True}, {"elapsed_ms": "3"}, {"query": [["limit", "1", "x"]]}, {"query": [["limit", 1]]},
    {"request_headers": {"accept": 1}}, {"response_headers": []}, {"error": 7},
])
def test_a_hand_edited_line_is_named_as_not_an_exchange(edit: dict[str, object], tmp_path: Path) -> None:
    # Found by a reviewer: such edits made `verify` end in "internal error" (exit 3: "evidence intact").
    line = _exchange(0).to_dict() | edit
    path = tmp_path / "exchanges.jsonl"
    path.write_text(json.dumps(_exchange(0).to_dict()) + "\n" + json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^exchanges.jsonl line 2 is not an exchange \("):
        read_exchanges(path)


@pytest.mark.parametrize(("line", "why"), [
    ("null", "a line is one JSON object"), ("[1, 2]", "a line is one JSON object"),
    ("[" * 100_000 + "]" * 100_000, "it is nested too deep"),
])
def test_a_line_that_is_no_object_is_named_in_the_suites_words(line: str, why: str, tmp_path: Path) -> None:
    # A reviewer saw "('NoneType' object is not iterable)", and an internal error (exit 3) for deep nesting.
    path = tmp_path / "exchanges.jsonl"
    path.write_text(json.dumps(_exchange(0).to_dict()) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        read_exchanges(path)
    assert str(raised.value) == f"exchanges.jsonl line 2 is not an exchange ({why})"


def test_report_files_nested_too_deep_are_named_not_an_internal_error(tmp_path: Path) -> None:
    from conformance.errors import UsageError
    from conformance.rundiff import load_report
    from conformance.verify import VerificationFailed, _load_json

    (tmp_path / "report.json").write_text('{"a":' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(VerificationFailed, match=r"^report.json cannot be read as JSON \(it is nested too deep\)"):
        _load_json(tmp_path / "report.json")
    with pytest.raises(UsageError, match=r"cannot be read as JSON \(it is nested too deep\)"):
        load_report(tmp_path)
