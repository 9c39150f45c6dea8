"""The suite as a client of broken and hostile targets.

Each test runs `checkout-conformance run` as a subprocess against a small server of
``hostile.py`` and states the exit code and a wall-time bound. Under all of them: no
traceback, no hang (a hard timeout), GET only on the wire, and the API key nowhere in
the report directory nor on the console (also not in its Basic/base64 shapes).

Exit codes: 0 conformant, 1 nonconformant, 2 usage/config, 3 inconclusive/unreachable.
"""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest

from conformance.cli import main as verify_main
from conformance.reference.server import RunningServer

from . import hostile
from .conftest import API_KEY, SECRET_FORMS, CliRun, run_cli

# -- shared assertions -------------------------------------------------------------------------


def assert_hygiene(run: CliRun, *servers: hostile.HostileServer) -> None:
    """What must hold whatever the target did."""
    assert "Traceback" not in run.stderr, run.describe()
    assert "Traceback" not in run.stdout, run.describe()
    for form in SECRET_FORMS:
        assert form not in run.stdout, f"the key leaked on stdout as {form!r}\n{run.describe()}"
        assert form not in run.stderr, f"the key leaked on stderr as {form!r}\n{run.describe()}"
    if run.report_dir.exists():
        for path in sorted(p for p in run.report_dir.rglob("*") if p.is_file()):
            data = path.read_bytes()
            for form in SECRET_FORMS:
                assert form.encode() not in data, (
                    f"the key leaked into {path.name} as {form!r}: "
                    f"...{_around(data, form.encode())}...")
    for server in servers:
        methods = {m for m in server.methods if m is not None}
        assert methods <= {"GET"}, f"{server.name} received {sorted(methods)}"
    report = run.report
    if report is not None:
        crashed = [r for r in report["requirements"] if r["verdict"] == "error"]
        assert not crashed, "a check crashed (suite bug): " + "; ".join(
            f"{r['id']}: {r['reason']}" for r in crashed[:3])


def _around(data: bytes, needle: bytes, width: int = 80) -> str:
    at = data.find(needle)
    return data[max(0, at - width): at + len(needle) + width].decode(errors="replace")


def assert_one_sentence(run: CliRun) -> str:
    """exit-3/2 errors: one line on stderr, from the tool, ending like a sentence."""
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr\n{run.describe()}"
    line = lines[0]
    assert line.startswith("checkout-conformance: "), run.describe()
    assert line.rstrip().endswith("."), run.describe()
    return line


def assert_exit(run: CliRun, code: int, within: float) -> None:
    assert run.returncode == code, f"expected exit {code}\n{run.describe()}"
    assert run.seconds <= within, f"took {run.seconds:.1f} s, bound {within} s\n{run.describe()}"


def assert_reports_say_why(run: CliRun, why: str) -> None:
    """A run that judged nothing still wrote its reports, and report.json says why."""
    report = run.report
    assert report is not None, f"no report.json\n{run.describe()}"
    assert report["gate_verdict"] == "inconclusive", report["gate_verdict"]
    assert why in report["verdict_reason"], report["verdict_reason"]
    names = {p.name for p in run.report_dir.iterdir()}
    assert names >= {"report.json", "exchanges.jsonl", "junit.xml", "report.html", "summary.md"}, names
    assert verify_main(["verify", str(run.report_dir)]) == 0, "verify disagrees with a run that judged nothing"


# -- 1. accepts, never answers -----------------------------------------------------------------
def test_target_that_never_answers_is_unreachable(tmp_path: Path) -> None:
    with hostile.serving(hostile.hang, "hang") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "1", timeout=30)
    assert_hygiene(run, server)
    assert_exit(run, 3, within=10)
    line = assert_one_sentence(run)
    assert "Cannot reach" in line and "1 s" in line, line
    assert len(server.received) == 1, "after the preflight failed, nothing more should be sent"
    assert_reports_say_why(run, "Cannot reach")


def test_target_that_answers_the_preflight_then_hangs_is_not_a_pass(
        tmp_path: Path, reference: RunningServer) -> None:
    """The circuit breaker: after a few timeouts the rest is not sent, and the verdict is
    honest (never conformant for a target that stopped answering)."""
    forward = hostile.forward_to(reference.base_url)

    def first_then_hang(conn: hostile.Connection) -> None:
        (forward if conn.index == 0 else hostile.hang)(conn)

    with hostile.serving(first_then_hang, "hang-after-preflight") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "1", timeout=40)
    assert_hygiene(run, server)
    # Nothing after the preflight was answered: no rule can fail, the MUSTs are inconclusive.
    assert_exit(run, 3, within=20)
    assert len(server.received) <= 1 + 3 + 3, f"{len(server.received)} requests reached a dead target"
    assert (run.report or {}).get("gate_verdict") == "inconclusive"


# -- 2. nothing listens ------------------------------------------------------------------------
def test_closed_port_is_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 9)) == 0:
            pytest.skip("something listens on 127.0.0.1:9 here")
    run = run_cli(tmp_path, "http://127.0.0.1:9", timeout=30)
    assert_hygiene(run)
    assert_exit(run, 3, within=8)
    line = assert_one_sentence(run)
    assert "Cannot reach http://127.0.0.1:9" in line and "refused" in line.lower(), line
    assert_reports_say_why(run, "Cannot reach http://127.0.0.1:9")


# -- 3. polite about 429 -----------------------------------------------------------------------
def _verdict_diff(a: CliRun, b: CliRun) -> dict[str, tuple[str | None, str | None]]:
    va, vb = a.verdicts(), b.verdicts()
    return {k: (va.get(k), vb.get(k)) for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)}


def test_429_on_every_fourth_request_is_retried_and_never_a_finding(
        tmp_path: Path, reference: RunningServer) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "limited").mkdir()
    with hostile.serving(hostile.forward_to(reference.base_url), "proxy") as plain:
        baseline = run_cli(tmp_path / "plain", plain.base_url, timeout=60)
    limited_behaviour = hostile.every(4, hostile.too_many_requests("0"), hostile.forward_to(reference.base_url))
    with hostile.serving(limited_behaviour, "proxy-429") as limited:
        run = run_cli(tmp_path / "limited", limited.base_url, timeout=60)
    assert_hygiene(baseline, plain)
    assert_hygiene(run, limited)
    assert_exit(baseline, 0, within=30)
    assert_exit(run, 0, within=30)
    assert _verdict_diff(baseline, run) == {}, "429s changed verdicts"
    sent = len(limited.received)
    assert sent >= 40 and sent // 4 >= 10, f"only {sent} requests: too few 429s to mean anything"
    retried = [e for e in run.exchanges() if e["attempts"] > 1]
    assert retried and all(e["status"] != 429 for e in run.exchanges()), \
        "every 429 should have been retried into an answer"
    for requirement in (run.report or {})["requirements"]:
        assert "429" not in requirement["reason"], requirement


def test_retry_after_is_waited_for(tmp_path: Path, reference: RunningServer) -> None:
    """`Retry-After: 1` (and no Retry-After at all) is waited for, not hammered: the
    retry reaches the server about a second after the 429, and the run still passes."""
    forward = hostile.forward_to(reference.base_url)
    limits = {2: hostile.too_many_requests("1"), 5: hostile.too_many_requests(None)}

    def behaviour(conn: hostile.Connection) -> None:
        limits.get(conn.index, forward)(conn)

    with hostile.serving(behaviour, "proxy-429-1s") as server:
        # One lane, so the request after a 429 is its retry (every lane held: tests/test_lanes.py).
        run = run_cli(tmp_path, server.base_url, "--only", "envelope", "--concurrency", "1", timeout=60)
    assert_hygiene(run, server)
    assert_exit(run, 0, within=20)
    received = server.received
    assert len(received) > 6, f"only {len(received)} requests"
    for index in limits:
        gap = received[index + 1].at - received[index].at
        assert gap >= 0.9, f"the retry after 429 #{index} came {gap:.2f} s later"
        assert received[index + 1].target == received[index].target, "the retry asked something else"
    assert not any(e["status"] == 429 for e in run.exchanges())


def test_unreadable_retry_after_gets_the_default_delay(tmp_path: Path, reference: RunningServer) -> None:
    """`Retry-After: soon` is neither seconds nor a date: waited for as if absent, not a crash."""
    forward = hostile.forward_to(reference.base_url)

    def behaviour(conn: hostile.Connection) -> None:
        (hostile.too_many_requests("soon") if conn.index == 2 else forward)(conn)

    with hostile.serving(behaviour, "proxy-429-soon") as server:
        run = run_cli(tmp_path, server.base_url, "--only", "envelope", "--concurrency", "1", timeout=60)
    assert_hygiene(run, server)
    assert_exit(run, 0, within=20)
    gap = server.received[3].at - server.received[2].at
    assert gap >= 0.9, f"the retry after `Retry-After: soon` came {gap:.2f} s later"


@pytest.mark.parametrize(("retry_after", "sent"), [("0", 4), ("3600", 1)], ids=["retried", "too-long"])
def test_a_target_that_always_answers_429_exits_3_at_once(tmp_path: Path, retry_after: str, sent: int) -> None:
    """Politeness has bounds: a few retries (none when asked to wait longer than the
    suite waits), then one sentence, not a run of thousands of 429s."""
    with hostile.serving(hostile.too_many_requests(retry_after), "always-429") as server:
        run = run_cli(tmp_path, server.base_url, timeout=60)
    assert_hygiene(run, server)
    assert_exit(run, 3, within=10)
    line = assert_one_sentence(run)
    assert "rate limiting" in line and f"Retry-After: {retry_after}" in line, line
    assert len(server.received) == sent


@pytest.mark.parametrize("lanes", [1, 4])
def test_a_target_that_turns_to_429_after_the_preflight_is_not_hammered(
        tmp_path: Path, reference: RunningServer, lanes: int) -> None:
    """Requests still 429 after their retries trip the circuit breaker like timeouts do."""
    forward, limited = hostile.forward_to(reference.base_url), hostile.too_many_requests("0")

    def behaviour(conn: hostile.Connection) -> None:
        (forward if conn.index == 0 else limited)(conn)

    with hostile.serving(behaviour, "429-after-preflight") as server:
        run = run_cli(tmp_path, server.base_url, "--concurrency", str(lanes), timeout=60)
    assert_hygiene(run, server)
    assert_exit(run, 3, within=15)
    # The preflight, then 3 requests of 4 attempts each trip the breaker; with several lanes,
    # each other lane may be inside one request's retries when it trips.
    most = 1 + 4 * (3 + lanes - 1)
    assert len(server.received) <= most, f"{len(server.received)} requests to a target answering 429"
    assert (run.report or {}).get("gate_verdict") == "inconclusive"


# -- 4. endless pagination ---------------------------------------------------------------------
def test_endless_pagination_is_a_finding_not_a_hang(
        tmp_path: Path, reference: RunningServer, reference_items: list[dict[str, object]]) -> None:
    behaviour = hostile.cycling_pages(reference.base_url, reference_items, pages_in_cycle=3)
    with hostile.serving(behaviour, "cycling") as server:
        run = run_cli(tmp_path, server.base_url, timeout=60)
    assert_hygiene(run, server)
    assert_exit(run, 1, within=30)
    assert run.verdicts().get("PAG-009") == "fail", run.verdicts()
    assert len(server.received) <= 600, f"{len(server.received)} requests for a quick run"


# -- 5. 200 with a body that is not the list ---------------------------------------------------
@pytest.mark.parametrize(("behaviour", "failed"), [
    (hostile.html_page, "ENV-001"),
    (hostile.truncated_json, "ENV-002"),
], ids=["html", "truncated-json"])
def test_200_with_unusable_body_is_nonconformant(
        tmp_path: Path, behaviour: hostile.Behaviour, failed: str) -> None:
    with hostile.serving(behaviour, "bad-body") as server:
        run = run_cli(tmp_path, server.base_url, timeout=60)
    assert_hygiene(run, server)
    assert_exit(run, 1, within=30)
    assert run.verdicts().get(failed) == "fail", run.verdicts()


def test_an_unknown_charset_is_read_as_utf8(tmp_path: Path, reference: RunningServer) -> None:
    behaviour = hostile.forward_with_headers(reference.base_url,
                                             {"Content-Type": "application/json; charset=x-bogus"})
    with hostile.serving(behaviour, "bogus-charset") as server:
        run = run_cli(tmp_path, server.base_url, timeout=60)
    assert_hygiene(run, server)
    # RFC 8259 section 11: a charset parameter on application/json has no effect on a
    # compliant recipient. The reference's answers, read as UTF-8, conform.
    assert_exit(run, 0, within=30)


# -- 6. a 50 MB body ---------------------------------------------------------------------------
def test_50_mb_body_is_capped(tmp_path: Path) -> None:
    with hostile.serving(hostile.huge_body(50 * 1024 * 1024), "huge") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "5", timeout=90)
    assert_hygiene(run, server)
    # Every request, with credentials or without, gets a 200: AUTH-001 (no credentials, 401) fails.
    assert_exit(run, 1, within=45)
    assert run.verdicts()["AUTH-001"] == "fail", run.verdicts()
    report_bytes = sum(p.stat().st_size for p in run.report_dir.rglob("*") if p.is_file()) \
        if run.report_dir.exists() else 0
    # A quick run against the reference peaks near 300 MB (Schemathesis, Hypothesis); the cap
    # is 8 MiB a body, so a few capped bodies in flight must not add much to that.
    print(f"peak RSS {run.max_rss_mb:.0f} MB, {len(server.received)} requests, {run.seconds:.1f} s")
    assert run.max_rss_mb < 600, f"peak RSS {run.max_rss_mb:.0f} MB for {len(server.received)} requests"
    assert report_bytes < 64 * 1024 * 1024, \
        f"the report dir holds {report_bytes / 2**20:.0f} MB for {len(server.received)} requests"


# -- 7. slow trickle ---------------------------------------------------------------------------
@pytest.mark.parametrize("behaviour", [hostile.trickle_body(0.5), hostile.trickle_head(0.5)],
                         ids=["body", "headers"])
def test_slow_trickle_is_bounded_by_the_timeout(tmp_path: Path, behaviour: hostile.Behaviour) -> None:
    with hostile.serving(behaviour, "trickle") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "1", timeout=15)
    assert_hygiene(run, server)
    # Even the preflight gets no complete answer: unreachable, with its one sentence and reports.
    assert_exit(run, 3, within=10)
    assert "no complete response within 1 s" in assert_one_sentence(run)
    assert_reports_say_why(run, "Cannot reach")


# -- 8. reset mid-body -------------------------------------------------------------------------
def test_connection_reset_mid_body(tmp_path: Path) -> None:
    with hostile.serving(hostile.reset_mid_body, "reset") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "2", timeout=30)
    assert_hygiene(run, server)
    assert_exit(run, 3, within=10)
    assert "response broke off" in assert_one_sentence(run)
    assert_reports_say_why(run, "Cannot reach")


def test_reset_on_every_third_request_after_the_preflight(tmp_path: Path, reference: RunningServer) -> None:
    """A flaky target: the run goes on, the lost answers make rules inconclusive, not crash."""
    behaviour = hostile.every(3, hostile.reset_mid_body, hostile.forward_to(reference.base_url), offset=1)
    with hostile.serving(behaviour, "flaky-reset") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "2", timeout=60)
    assert_hygiene(run, server)
    # A reset is not a finding (it is not reproducible for one kind of request): the rules
    # that lost an answer are inconclusive, none fails.
    assert_exit(run, 3, within=30)
    assert (run.report or {})["gate_verdict"] == "inconclusive"
    assert "fail" not in set(run.verdicts().values()), run.verdicts()


# -- 9. https:// to a plain-HTTP port ----------------------------------------------------------
def test_https_to_a_plain_http_port_says_tls(tmp_path: Path) -> None:
    with hostile.serving(hostile.fixed(200, b"{}", {"Content-Type": "application/json"}), "plain") as server:
        run = run_cli(tmp_path, f"https://127.0.0.1:{server.port}", "--timeout", "2", timeout=30)
    assert_hygiene(run, server)
    assert_exit(run, 2, within=10)  # the user's to fix (the URL's scheme or port), found at the handshake
    line = assert_one_sentence(run)
    assert "TLS" in line and "plain HTTP" in line, line
    assert all(r.method is None for r in server.received), "plain HTTP went to an https target"
    raw = server.raw_bytes
    assert all(form.encode() not in raw for form in SECRET_FORMS), "the key went out in clear"


# -- 10. redirects are never followed ----------------------------------------------------------
def test_redirect_to_another_host_is_never_followed(tmp_path: Path) -> None:
    other = hostile.plain_listener().start()
    try:
        with hostile.serving(hostile.redirect_to(other.base_url), "redirect") as server:
            run = run_cli(tmp_path, server.base_url, timeout=60)
    finally:
        other.stop()
    assert_hygiene(run, server, other)
    assert other.received == [], f"the other host received {len(other.received)} requests " \
        f"(Authorization on {sum('authorization' in r.headers for r in other.received)})"
    # A redirected preflight is a configuration problem: the user is told where to point.
    assert_exit(run, 2, within=10)
    line = assert_one_sentence(run)
    assert f"redirected (302) to {other.base_url}: use the final URL as --base-url." in line, line
    assert len(server.received) == 1


# -- 11. a target that echoes the credentials back ---------------------------------------------
def test_credentials_echoed_in_headers_and_body_are_redacted(tmp_path: Path) -> None:
    with hostile.serving(hostile.echo_credentials(API_KEY), "echo") as server:
        run = run_cli(tmp_path, server.base_url, timeout=60)
    assert_hygiene(run, server)
    # An empty 200 to everything, with credentials or without: AUTH-001 fails.
    assert_exit(run, 1, within=30)
    assert run.verdicts()["AUTH-001"] == "fail", run.verdicts()
    # The echo did happen: the redactor, not luck, kept the key out.
    basic = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert any(r.headers.get("authorization") == basic for r in server.received)


def test_credentials_echoed_as_a_status_line_are_redacted(tmp_path: Path) -> None:
    """Not HTTP at all: the first line the target sends is the request's Authorization
    header. The transport error the suite records and prints must not carry it."""
    with hostile.serving(hostile.echo_authorization_as_status_line, "reflector") as server:
        run = run_cli(tmp_path, server.base_url, "--timeout", "2", timeout=30)
    assert_hygiene(run, server)
    assert_exit(run, 3, within=10)
    assert_one_sentence(run)
