"""A verdict states its scope (issue 25), and is computed once for `run` and `verify` (issue 23).

Each scope is run for real against the reference server (correct, or with one injected fault),
signed, and checked with `verify --public-key`: the certificate's verdict, report.json's scope,
`verify`'s first line and the exit code of `run` (which keeps its meaning: a gate) are asserted.
The expected words come from what each run was made to leave out, not from the code under test.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import default_catalog
from conformance.cli import main
from conformance.reference.server import ReferenceConfig, start_background
from conformance.reports.certificate import certificate_digest, sha256_file
from conformance.signing import generate_keypair
from tests.support.scripted import in_flight_proxy

API_KEY = "sk_test_scope0123456789abcdef"
WRONG_KEY = "sk_test_notthekey0123456789abcd"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    private, public, _ = generate_keypair(tmp_path_factory.mktemp("keys"))
    return private, public


@pytest.fixture(scope="module")
def correct() -> Iterator[str]:
    with start_background(ReferenceConfig(api_key=API_KEY)) as server:
        yield server.base_url


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _run(base_url: str, report_dir: Path, keys: tuple[Path, Path], *extra: str,
         api_key: str = API_KEY) -> tuple[int, str, dict[str, Any], dict[str, Any]]:
    """(exit code, console, report.json, certificate.json) of a signed quick run."""
    code, out, _ = _cli("run", "--base-url", base_url, "--api-key", api_key, "--quiet", "--profile", "quick",
                        "--report-dir", str(report_dir), "--sign-key", str(keys[0]), *extra)
    report = json.loads((report_dir / "report.json").read_text())
    certificate = json.loads((report_dir / "certificate.json").read_text())
    return code, out, report, certificate


def _verify(report_dir: Path, keys: tuple[Path, Path]) -> tuple[int, list[str]]:
    code, out, err = _cli("verify", str(report_dir), "--public-key", str(keys[1]))
    assert code == 0, err
    return code, out.splitlines()


def _waivers(path: Path, *requirements: str) -> Path:
    path.write_text("".join(f"- requirement: {r}\n  reason: fix tracked in PAY-7\n  expires: 2999-12-31\n"
                            for r in requirements), encoding="utf-8")
    return path


def _not_judged(report: dict[str, Any]) -> dict[str, str]:
    return {n["id"]: n["why"] for n in report["scope"]["not_judged"]}


def test_a_full_run_of_a_correct_server_is_conformant(correct: str, keys: tuple[Path, Path], tmp_path: Path) -> None:
    code, out, report, certificate = _run(correct, tmp_path / "r", keys, "--implementation", "ref-server@1.2.3")
    assert code == 0 and certificate["verdict"] == report["scope"]["verdict"] == "conformant"
    scope = report["scope"]
    assert scope["judged"] + scope["does_not_apply"] == scope["total"]
    assert "every one that applies was judged" in scope["statement"]
    # What was not judged only "does not apply" (no --api-version, no --expect-dataset): no gap.
    assert set(_not_judged(report).values()) == {"does not apply"}
    assert certificate["implementation"] == "ref-server@1.2.3" and certificate["coverage"].startswith("saw all")
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: CONFORMANT of ref-server@1.2.3 at {correct} (suite ")
    assert "verdict: CONFORMANT" in out


def test_only_is_partial_yet_the_gate_passes(correct: str, keys: tuple[Path, Path], tmp_path: Path) -> None:
    code, out, report, certificate = _run(correct, tmp_path / "r", keys, "--only", "auth")
    assert code == 0  # the gate on --only auth passes when auth passes
    assert certificate["verdict"] == report["verdict"] == "partial" and report["gate_verdict"] == "conformant"
    assert certificate["gate_verdict"] == "conformant"
    # One fixed total, the catalog's MUST count, whatever the run left out or found not to apply.
    assert report["scope"]["total"] == sum(r.level == "MUST" for r in default_catalog().requirements)
    assert f"of the catalog's {report['scope']['total']} MUST requirements" in report["scope"]["statement"]
    assert _not_judged(report)["PAG-001"] == "not selected"
    assert next(n for n in certificate["scope"]["not_judged"] if n["id"] == "PAG-001")["reason"] == \
        "not selected (--only auth)"
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: PARTIAL of {correct} (suite ")
    assert lines[1].startswith("scope: judged ") and "(not selected)" in lines[1]
    assert "verdict: PARTIAL: judged " in out and "every requirement judged held" in out
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert summary.startswith("## checkout-conformance: ◐ PARTIAL") and "CONFORMANT" not in summary
    html = (tmp_path / "r" / "report.html").read_text()
    assert 'class="banner partial"' in html and "PARTIAL" in html
    assert '<property name="verdict" value="partial"' in (tmp_path / "r" / "junit.xml").read_text()
    code, diff, _ = _cli("diff", str(tmp_path / "r"), str(tmp_path / "r"))
    assert code == 0 and diff.startswith("old: partial (")


def test_a_target_with_two_sessions_is_partial(keys: tuple[Path, Path], tmp_path: Path) -> None:
    with start_background(ReferenceConfig(api_key=API_KEY, sessions=2)) as server:
        code, _, report, certificate = _run(server.base_url, tmp_path / "r", keys)
    assert code == 0 and certificate["verdict"] == "partial"
    assert report["scope"]["total"] == sum(r.level == "MUST" for r in default_catalog().requirements)
    lacking = [i for i, why in _not_judged(report).items() if why == "too little data"]
    assert lacking and all(i in certificate["scope"]["statement"] for i in lacking[:3])
    assert {"id": lacking[0], "level": "MUST", "why": "too little data"}.items() <= \
        next(n for n in certificate["scope"]["not_judged"] if n["id"] == lacking[0]).items()
    # Two sessions fit on every page: no next_cursor to follow is too little data, not "does not apply".
    assert _not_judged(report)["ENV-005"] == "too little data"
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: PARTIAL of {server.base_url} (suite ")
    assert "(too little data)" in lines[1]


def test_a_waived_must_failure_says_so_in_the_verdict(keys: tuple[Path, Path], tmp_path: Path) -> None:
    # limit-no-upper-bound breaks LIM-005, and ERR-002 where a limit past 64 bits overflows its query
    # (`serve --list-faults`); the rest of the catalog is judged.
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-no-upper-bound")) as server:
        unwaived = _run(server.base_url, tmp_path / "plain", keys)
        code, out, _, certificate = _run(server.base_url, tmp_path / "r", keys,
                                         "--waivers", str(_waivers(tmp_path / "w.yaml", "LIM-005", "ERR-002")))
    assert (unwaived[0], unwaived[3]["verdict"]) == (1, "nonconformant")
    assert code == 0 and certificate["verdict"] == "conformant-with-waivers"
    assert [w["status"] for w in certificate["waivers"]] == ["applied", "applied"]
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: CONFORMANT-WITH-WAIVERS of {server.base_url} (suite ")
    assert "verdict: CONFORMANT-WITH-WAIVERS: LIM-005, ERR-002 failed and are waived" in out
    assert "CONFORMANT-WITH-WAIVERS" in (tmp_path / "r" / "summary.md").read_text().splitlines()[0]


def test_a_nonconformant_run_stays_nonconformant(keys: tuple[Path, Path], tmp_path: Path) -> None:
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-no-upper-bound")) as server:
        code, _, _, certificate = _run(server.base_url, tmp_path / "r", keys, "--only", "limit")
    assert (code, certificate["verdict"]) == (1, "nonconformant")  # a broken MUST, whatever the scope
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: NONCONFORMANT of {server.base_url}")


def test_a_run_cut_by_the_deadline_is_partial(correct: str, keys: tuple[Path, Path], tmp_path: Path) -> None:
    # 20 requests a second for 2 seconds: far fewer than a quick run asks.
    code, _, report, certificate = _run(correct, tmp_path / "r", keys, "--rate-limit", "20", "--deadline", "2")
    assert report["stopped"] and code == 3  # MUSTs left inconclusive: the gate cannot pass
    assert certificate["verdict"] == "partial" and "inconclusive" in set(_not_judged(report).values())
    # Steps the deadline cut say so: never "does not apply" nor "too little data", never the target's fault.
    assert {"does not apply", "too little data"} & {_not_judged(report).get(i) for i in ("PAG-005", "PAG-008")} \
        == set()
    reasons = [r["reason"] for r in report["requirements"]] + [report["verdict_reason"]]
    assert not [r for r in reasons if "did not answer" in r and "deadline" in r], reasons
    assert report["verdict_reason"].count(report["stopped"]) == 1
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: PARTIAL of {correct}")


def test_a_run_cut_by_max_requests_is_partial_and_said_once(correct: str, keys: tuple[Path, Path],
                                                             tmp_path: Path) -> None:
    code, out, report, certificate = _run(correct, tmp_path / "r", keys, "--max-requests", "50")
    assert code == 3 and certificate["verdict"] == "partial"
    unjudged = [i for i, why in _not_judged(report).items() if why == "inconclusive"]
    assert len(unjudged) > 3
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: PARTIAL of {correct}")
    # The requirements the spent budget left unjudged share one line with their count, not one line each.
    budget = [line for line in out.splitlines() if "the request budget (--max-requests 50)" in line]
    assert len(budget) == 2, out  # that line, and the verdict's reason
    assert budget[0].lstrip().startswith(f"INCONCLUSIVE {len(unjudged)} requirements (")


def test_a_refused_key_says_what_happened_not_a_verdict(correct: str, keys: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    code, out, err = _cli("run", "--base-url", correct, "--api-key", WRONG_KEY, "--quiet",
                          "--report-dir", str(tmp_path / "r"))
    assert code == 2 and "refused the API key (401)" in err
    assert "verdict:" not in out and "sessions judged" not in out
    assert "nothing judged: the run stopped before its first check: " in out and "refused the API key" in out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["scope"]["verdict"] == "inconclusive"
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "Nothing judged: " in summary and "sessions judged" not in summary
    # One row for the requirements that share the refusal, as the console says it, not one each.
    rows = [line for line in summary.splitlines() if "| **inconclusive** |" in line]
    assert len(rows) == 1 and f"({len(report['requirements'])} requirements)" in rows[0], rows[:3]
    html = (tmp_path / "r" / "report.html").read_text()
    assert "Activity:" not in html and "the account was quiet" not in html
    assert f"· {report['requests']} request{'' if report['requests'] == 1 else 's'} ·" in summary


def test_an_implementation_must_be_name_at_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--implementation", "no-version", "--report-dir", str(tmp_path / "r")])
    assert exited.value.code == 2 and "expected NAME@VERSION" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_the_certificates_scope_is_signed(correct: str, keys: tuple[Path, Path], tmp_path: Path) -> None:
    # Widening a partial certificate into a conformant one breaks the signature (and the digest).
    _run(correct, tmp_path / "r", keys, "--only", "auth")
    path = tmp_path / "r" / "certificate.json"
    path.write_text(path.read_text().replace('"verdict": "partial"', '"verdict": "conformant"'))
    code, _, err = _cli("verify", str(tmp_path / "r"), "--public-key", str(keys[1]))
    assert code == 1 and "changed after it was signed" in err


# ---- issue 23: one function concludes for run and verify -------------------------------------


def test_a_waivers_run_stopped_by_the_deadline_verifies(keys: tuple[Path, Path], tmp_path: Path) -> None:
    """The reproduction of issue 23: `serve --fault limit-default-25`, `run --waivers w.yaml --rate-limit 20
    --deadline 5` wrote verdict_reason "" with `stopped` set, and `verify` exited 1."""
    waivers = _waivers(tmp_path / "w.yaml", "LIM-001", "LIM-003", "LIM-004")
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-default-25")) as server:
        _, _, report, _ = _run(server.base_url, tmp_path / "r", keys, "--waivers", str(waivers),
                               "--rate-limit", "20", "--deadline", "5")
    assert report["stopped"] and "waivers" in report
    assert report["stopped"] in report["verdict_reason"]  # the reason says the run was cut, waivers or not
    _verify(tmp_path / "r", keys)


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("aborted", [False, True], ids=["judged", "aborted"])
@pytest.mark.parametrize("stopped", [False, True], ids=["whole", "stopped"])
@pytest.mark.parametrize("waived", [False, True], ids=["no-waivers", "waivers"])
def test_every_combination_verifies(waived: bool, stopped: bool, aborted: bool, strict: bool,
                                    keys: tuple[Path, Path], tmp_path: Path) -> None:
    """waivers x stopped x aborted x strict, each a real run: `verify` re-judges it to the same conclusion.

    Stopped: a rate limit and a short deadline; aborted and stopped: a target that holds every answer
    longer than the whole deadline, so not even the first is in time (whatever the machine's speed: a
    bare 1 ms deadline raced the preflight's answer on a fast machine); aborted alone: a refused key."""
    extra = ["--only", "limit"]
    if waived:
        extra += ["--waivers", str(_waivers(tmp_path / "w.yaml", "LIM-001", "LIM-002", "LIM-004", "LIM-005"))]
    if strict:
        extra.append("--strict")
    if stopped:
        extra += ["--rate-limit", "20", "--deadline", "0.3" if aborted else "1"]
    api_key = WRONG_KEY if aborted and not stopped else API_KEY
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-off-by-one")) as server, \
            in_flight_proxy(server.base_url, hold_seconds=2.0 if aborted and stopped else 0.0) as proxy:
        code, _, report, certificate = _run(proxy.base_url, tmp_path / "r", keys, *extra, api_key=api_key)
    assert bool(report["stopped"]) == stopped and bool(report["aborted"]) == aborted
    assert ("waivers" in report) == waived and report["strict"] == strict
    assert certificate["verdict"] == report["scope"]["verdict"]
    if aborted:  # a refused key is a usage error (2); a deadline before the first answer, inconclusive (3)
        assert code == (3 if stopped else 2) and certificate["verdict"] == "inconclusive"
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: {certificate['verdict'].upper()}")


def test_a_waived_must_failure_in_a_partial_run_says_so_in_the_verdict(keys: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    # cursor-inclusive repeats the cursor's own session on the next page, which breaks PAG-001
    # (`serve --list-faults`); --only PAG-001 leaves the rest of the catalog unjudged.
    with start_background(ReferenceConfig(api_key=API_KEY, fault="cursor-inclusive")) as server:
        code, out, report, certificate = _run(server.base_url, tmp_path / "r", keys, "--only", "PAG-001",
                                              "--waivers", str(_waivers(tmp_path / "w.yaml", "PAG-001")))
    assert code == 0 and report["gate_verdict"] == "conformant"  # the gate: the failure is accepted
    assert certificate["verdict"] == report["verdict"] == "partial-with-waivers"
    assert "held" not in out and "verdict: PARTIAL-WITH-WAIVERS: PAG-001 failed and is waived; judged " in out
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: PARTIAL-WITH-WAIVERS of {server.base_url} (suite ")
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert summary.startswith("## checkout-conformance: ◐ PARTIAL-WITH-WAIVERS") and "held" not in summary
    html = (tmp_path / "r" / "report.html").read_text()
    assert 'class="banner partial-with-waivers"' in html and "held" not in html
    assert '<property name="verdict" value="partial-with-waivers"' in (tmp_path / "r" / "junit.xml").read_text()


def test_the_html_banner_of_waived_failures_explains_once(keys: tuple[Path, Path], tmp_path: Path) -> None:
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-no-upper-bound")) as server:
        _run(server.base_url, tmp_path / "r", keys,
             "--waivers", str(_waivers(tmp_path / "w.yaml", "LIM-005", "ERR-002")))
    html = (tmp_path / "r" / "report.html").read_text()
    assert html.count("apart from accepted failures (waivers)") == 1
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "Every judged requirement held" not in summary and "apart from the waived ones" in summary


def test_report_json_verdict_is_the_scoped_word_and_the_gate_has_its_own_name(
        correct: str, keys: tuple[Path, Path], tmp_path: Path) -> None:
    # A CI step reading `jq .verdict report.json` for an --only run must not read "conformant".
    code, _, report, certificate = _run(correct, tmp_path / "r", keys, "--only", "auth")
    assert code == 0 and report["format_version"] == 3
    assert report["verdict"] == certificate["verdict"] == report["scope"]["verdict"] == "partial"
    assert report["gate_verdict"] == certificate["gate_verdict"] == "conformant"
    assert "run_verdict" not in certificate


def test_verify_names_the_suite_that_reads_a_report_of_another_format(correct: str, keys: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:
    _run(correct, tmp_path / "r", keys, "--only", "auth")
    path = tmp_path / "r" / "report.json"
    report = json.loads(path.read_text())
    report["format_version"], report["suite"]["version"] = 2, "0.0.1"
    path.write_text(json.dumps(report))
    code, _, err = _cli("verify", str(tmp_path / "r"))
    # The file was changed after the certificate covered it: that is tampering, whatever its format.
    assert code == 1 and "report.json was altered" in err
    # Intact (the certificate recomputed over it, as the suite that made it would have): not tampering,
    # but another format: the suite that reads it is named, exit 3 as for verdict drift.
    certificate_path = tmp_path / "r" / "certificate.json"
    certificate = json.loads(certificate_path.read_text())
    certificate["evidence"]["report.json"]["sha256"] = sha256_file(path)
    certificate["certificate_sha256"] = certificate_digest(certificate)
    certificate_path.write_text(json.dumps(certificate))
    code, _, err = _cli("verify", str(tmp_path / "r"))
    assert code == 3 and "report.json is format 2 (made with suite 0.0.1)" in err and "verify with suite 0.0.1" in err


def test_a_run_whose_last_request_the_budget_cut_is_partial_and_says_so(correct: str, keys: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    # The recheck walk goes last, alone: a budget one short of a whole run's requests leaves just it unsent.
    _, _, whole, _ = _run(correct, tmp_path / "whole", keys)
    assert whole["stopped"] is None and whole["activity"]["text"].startswith("the account was quiet")
    budget = whole["requests"] - 1
    _, out, report, certificate = _run(correct, tmp_path / "r", keys, "--max-requests", str(budget))
    assert report["requests"] == budget
    assert report["stopped"] == f"the request budget ({budget}) is used up"
    assert certificate["verdict"] == report["verdict"] == "partial" and "CONFORMANT" not in out
    assert f"the run was cut before all its requests were sent (the request budget ({budget}) is used up)" in \
        report["scope"]["statement"]
    assert "quiet" not in report["activity"]["text"].split("was not checked")[-1]
    assert report["activity"]["text"].startswith("whether the account was quiet was not checked")
    assert not report["activity"]["rechecked"]
    _, lines = _verify(tmp_path / "r", keys)
    assert lines[0].startswith(f"verdict: PARTIAL of {correct}")


def test_a_run_cut_at_its_first_request_blames_the_cut_not_the_data(correct: str, keys: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    # The reference lists 57 sessions: "fewer than two sessions" would be false; the budget left them unseen.
    _, _, report, _ = _run(correct, tmp_path / "r", keys, "--max-requests", "1")
    assert not [r for r in report["requirements"] if "fewer than two sessions" in r["reason"]]
    assert "too little data" not in _not_judged(report).values()
    # What does not apply is what no data could change (no --expect-dataset, no --api-version).
    assert {i for i, why in _not_judged(report).items() if why == "does not apply"} <= {"DATA-001", "VER-002"}
    _verify(tmp_path / "r", keys)


def test_a_scope_whose_judging_alone_was_cut_does_not_say_requests_were_left_unsent() -> None:
    from conformance.judge.judgement import Scope
    from conformance.not_sent import Kind, Stopped

    judging_only = Stopped.judging_cut(None, "the run's deadline came")
    statement = Scope("partial", ("MUST",), 40, 48, [], judging_only).statement()
    assert "every request was sent, but the run's deadline came: judging was cut short" in statement
    assert "before all its requests were sent" not in statement
    asking = Stopped(Kind.DEADLINE, "the run's deadline came")
    assert "the run was cut before all its requests were sent" in Scope("partial", ("MUST",), 40, 48, [],
                                                                            asking).statement()


@pytest.mark.parametrize(("fault", "broken", "profile"), [
    (None, (), "quick"),
    (None, (), "standard"),
    ("has-more-when-full", ("PAG-007", "PAG-008"), "quick"),
    ("ending-before-wrong-end", ("PAG-005", "PAG-008"), "standard"),
    ("has-more-backward-looks-ahead", ("LIM-004",), "quick"),
], ids=["correct-quick", "correct-standard", "has-more-when-full", "ending-before-wrong-end",
        "has-more-backward-looks-ahead"])
def test_a_cut_run_never_passes_what_the_whole_run_fails(fault: str | None, broken: tuple[str, ...], profile: str,
                                                         keys: tuple[Path, Path], tmp_path: Path) -> None:
    """Rules whose design relies on requests asked in every profile (the full page at the list's edge
    for has_more, the cursor probe's cursors, the walks for a short has_more page) must not pass a run
    its bounds cut before those were asked. Reviewers cut runs with --max-requests 80 or 200 and saw
    PAG-007, PAG-005 and LIM-004 pass against servers the whole run fails. Whatever the budget, a cut
    run must not pass them against those faults, nor fail them on a correct server."""
    watched = ("PAG-004", "PAG-005", "PAG-007", "PAG-008", "LIM-004")
    with start_background(ReferenceConfig(api_key=API_KEY, fault=fault)) as server:
        _, _, whole, _ = _run(server.base_url, tmp_path / "whole", keys, "--concurrency", "1", "--profile", profile)
        verdicts: dict[int, dict[str, str]] = {}
        for budget in range(10, whole["requests"], 10):
            _, _, report, _ = _run(server.base_url, tmp_path / str(budget), keys, "--concurrency", "1",
                                   "--profile", profile, "--max-requests", str(budget))
            verdicts[budget] = {r["id"]: r["verdict"] for r in report["requirements"] if r["id"] in watched}
    stated = {r["id"]: r["verdict"] for r in whole["requirements"] if r["id"] in watched}
    failed = {i for i, verdict in stated.items() if verdict == "fail"}
    assert set(broken) <= failed and (failed or fault is None) and set(stated.values()) <= {"pass", "fail"}
    assert not [b for b, v in verdicts.items() if any(v[i] == "fail" for i in watched if i not in failed)]
    assert not [b for b, v in verdicts.items() if any(v[i] == "pass" for i in failed)], verdicts


def test_a_short_key_masks_no_public_words_and_its_report_verifies(keys: tuple[Path, Path], tmp_path: Path) -> None:
    """A reviewer's key `sk_test_X`: its near miss without the last character is `sk_test_`, which was
    masked as a secret in the requirement texts, so `verify` called an untouched report altered."""
    from conformance.exchange import masked_variants

    short = "sk_test_X"
    assert masked_variants(short) == []  # nothing past the public prefix is secret enough to mask
    assert set(masked_variants(API_KEY)) >= {API_KEY[:-1], API_KEY + "x"}  # a real key's near misses are
    with start_background(ReferenceConfig(api_key=short, sessions=25)) as server:
        code, _, report, _ = _run(server.base_url, tmp_path / "r", keys, "--only", "object", api_key=short)
    assert code == 0
    texts = {r["id"]: r["text"] for r in report["requirements"]}
    assert "(sk_test_)" in texts["OBJ-013"]  # the catalog's own words, unmasked
    _verify(tmp_path / "r", keys)
