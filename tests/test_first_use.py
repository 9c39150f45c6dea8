"""What a new user types, and the one sentence and exit code they must get back.

Each test replays a command from issue 14 (a new user's papercuts) as the user typed it.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reference.server import ReferenceConfig, start_background
from tests.support.scripted import Reply, scripted_server

KEY = "sk_test_FIRST_USE_abcdef0123456789"


def _exit(argv: list[str]) -> int:
    """main()'s exit code, whether it returns it or argparse raises SystemExit."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def _one_sentence(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("CONFORMANCE_BASE_URL", "CONFORMANCE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# -- 3. an empty base URL is a usage error, never the embedded reference -----------------------


def test_an_empty_base_url_secret_in_ci_is_exit_2(
    no_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_env.setenv("CONFORMANCE_BASE_URL", "")
    no_env.setenv("CONFORMANCE_API_KEY", KEY)
    assert _exit(["run", "--report-dir", str(tmp_path / "r")]) == 2
    assert _one_sentence(capsys.readouterr().err) == (
        "checkout-conformance: CONFORMANCE_BASE_URL is set but empty (a missing CI secret?): set it to the "
        "target's base URL, or unset it to judge the embedded reference server.")
    assert not (tmp_path / "r" / "report.json").exists()


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_base_url_flag_is_exit_2(
    no_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert _exit(["run", "--base-url", value, "--api-key", KEY, "--report-dir", str(tmp_path)]) == 2
    assert _one_sentence(capsys.readouterr().err).startswith("checkout-conformance: --base-url is empty: ")


def test_a_run_of_the_embedded_reference_says_so_in_every_report(no_env: pytest.MonkeyPatch, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--quiet", "--only", "limit", "--report-dir", str(tmp_path)]) == 0
    assert "embedded reference server" in capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["target"]["embedded_reference"] is True
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert certificate["notice"].startswith("SELF-TEST: this run judged the suite's own embedded reference server")
    assert "embedded reference server" in (tmp_path / "report.html").read_text()
    assert "embedded reference" in (tmp_path / "summary.md").read_text()
    assert '<property name="target.embedded_reference" value="true"' in (tmp_path / "junit.xml").read_text()
    assert main(["verify", str(tmp_path)]) == 0
    # The notice is digested: removing it is caught like any other alteration.
    del certificate["notice"]
    (tmp_path / "certificate.json").write_text(json.dumps(certificate))
    assert main(["verify", str(tmp_path)]) == 1


def test_a_target_certificate_carries_no_self_test_notice(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(sessions=25)) as server:
        assert main(["run", "--quiet", "--only", "limit", "--base-url", server.base_url,
                     "--api-key", server.api_key, "--report-dir", str(tmp_path)]) == 0
    assert "notice" not in json.loads((tmp_path / "certificate.json").read_text())
    assert '<property name="target.embedded_reference" value="false"' in (tmp_path / "junit.xml").read_text()


# -- 4. --report-dir problems surface before anything is sent ----------------------------------


def test_a_report_dir_that_is_a_file_is_refused_before_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "reports"
    target.write_text("not a directory")
    with scripted_server(lambda _i, _r: Reply()) as server:
        code = _exit(["run", "--base-url", server.base_url, "--api-key", KEY, "--report-dir", str(target)])
        assert server.received == []
    assert code == 2
    assert _one_sentence(capsys.readouterr().err) == (
        f"checkout-conformance: --report-dir {target} is a file, not a directory.")


def test_an_empty_report_dir_is_refused_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--report-dir "$REPORT_DIR"` with the variable unset would scatter reports over the checkout.
    monkeypatch.chdir(tmp_path)
    assert _exit(["run", "--quiet", "--report-dir", ""]) == 2
    assert "--report-dir: an empty value would mean the current directory" in _one_sentence(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_a_read_only_report_dir_is_refused_before_sending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with scripted_server(lambda _i, _r: Reply()) as server:
            code = _exit(["run", "--base-url", server.base_url, "--api-key", KEY, "--report-dir", str(target)])
            assert server.received == []
    finally:
        target.chmod(stat.S_IRWXU)
    assert code == 2
    assert "is not writable: Permission denied." in _one_sentence(capsys.readouterr().err)


def test_a_report_dir_on_a_read_only_mount_is_refused_before_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /proc refuses every new file, even to root: a read-only place on any Linux machine.
    target = Path("/proc/self/conformance-reports")
    with scripted_server(lambda _i, _r: Reply()) as server:
        code = _exit(["run", "--base-url", server.base_url, "--api-key", KEY, "--report-dir", str(target)])
        assert server.received == []
    assert code == 2
    assert _one_sentence(capsys.readouterr().err).startswith(
        f"checkout-conformance: --report-dir {target} cannot be created: ")


# -- 6. --api-version mistakes are the user's, not the target's -------------------------------


def test_an_empty_api_version_is_a_usage_error(no_env: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit(["run", "--api-version", "", "--report-dir", str(tmp_path)]) == 2
    assert _one_sentence(capsys.readouterr().err) == (
        "checkout-conformance: --api-version is empty: name an X-API-Version value the target supports, "
        "or leave it out.")


# -- 14. a live key gets a warning ------------------------------------------------------------


def test_a_live_key_is_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with start_background(ReferenceConfig(sessions=25, api_key="sk_live_FIRST_USE_0123456789")) as server:
        code = main(["run", "--quiet", "--only", "limit", "--base-url", server.base_url,
                     "--api-key", server.api_key, "--report-dir", str(tmp_path)])
    assert code == 0
    err = capsys.readouterr().err
    assert err.strip() == ("checkout-conformance: warning: this is a live key (sk_live_): the suite only reads, "
                           "but a dedicated sk_test_ key on staging is the safer target.")
    assert "sk_live_FIRST_USE" not in err


def test_a_version_the_target_refuses_is_a_configuration_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with start_background(ReferenceConfig(sessions=25)) as server:
        code = main(["run", "--quiet", "--only", "version", "--base-url", server.base_url, "--api-key",
                     server.api_key, "--api-version", "1999-01-01", "--report-dir", str(tmp_path)])
    assert code == 2
    assert _one_sentence(capsys.readouterr().err) == (
        f"checkout-conformance: {server.base_url} refused --api-version '1999-01-01' (400 Bad Request): "
        "name a version the target supports, or leave --api-version out.")
    # The arguments were accepted, so the reports are written (issue 11) and say why nothing was judged.
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["gate_verdict"] == "inconclusive"
    assert "refused --api-version '1999-01-01'" in report["aborted"]


def test_the_ver_002_curl_line_replays_the_request_with_the_version(tmp_path: Path) -> None:
    from conformance.console import print_summary
    from conformance.profiles import PROFILES
    from conformance.run.runner import RunOptions, run

    with start_background(ReferenceConfig(sessions=25, fault="version-newest-refused")) as server:
        # As the kill matrix runs it: no version preflight, so VER-002 itself is judged.
        result = run(RunOptions(base_url=server.base_url, api_key=server.api_key, profile=PROFILES["quick"],
                                api_version=server.config.api_versions[0], only=("VER-002",)))
    out = io.StringIO()
    print_summary(result, [], out)
    lines = out.getvalue().splitlines()
    at = next(i for i, line in enumerate(lines) if "VER-002" in line)
    curl = next(line.strip() for line in lines[at:] if line.strip().startswith("curl "))
    assert f"-H 'X-API-Version: {server.config.api_versions[0]}'" in curl, curl


def test_a_huge_expected_or_got_is_capped_on_the_console_without_cutting_a_key(tmp_path: Path) -> None:
    # A target that puts 20,000 sessions on a page made one 200 KB "got" line on the console.
    from conformance.console import print_summary
    from conformance.profiles import PROFILES
    from conformance.run.runner import RunOptions, run

    with start_background(ReferenceConfig(sessions=25, fault="limit-off-by-one")) as server:
        result = run(RunOptions(base_url=server.base_url, api_key=server.api_key, profile=PROFILES["quick"],
                                only=("LIM-001",)))
        failed = next(v for v in result.verdicts if v.evidence)
        # The key straddles any cut a plain slice would make near the start of the line.
        failed.evidence[0].actual = " ".join(f"cs_{i:06d}" for i in range(20000))
        failed.evidence[0].expected = "x" * 390 + server.api_key + "y" * 50_000  # a cut at 400 splits it
        out = io.StringIO()
        print_summary(result, [], out)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 1000, max(len(line) for line in lines)
    assert any("cs_000000" in line and "more" in line for line in lines), lines
    assert server.api_key[:10] not in out.getvalue()


# -- 7. base-URL hints say what was requested and how to fix it -------------------------------


def test_a_base_url_ending_in_v1_is_told_to_drop_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with start_background(ReferenceConfig(sessions=5)) as server:
        code = _exit(["run", "--base-url", f"{server.base_url}/v1", "--api-key", server.api_key,
                      "--report-dir", str(tmp_path)])
    assert code == 2
    assert _one_sentence(capsys.readouterr().err) == (
        f"checkout-conformance: {server.base_url}/v1 answered 404 Not Found to GET "
        f"{server.base_url}/v1/v1/checkout/sessions: drop /v1 from --base-url (the suite adds "
        f"/v1/checkout/sessions itself): try {server.base_url}.")


def test_a_trailing_slash_redirect_does_not_suggest_the_same_url(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    with scripted_server(lambda _i, _r: Reply(301, b"", {"Location": "/v1/checkout/sessions/"})) as target:
        code = _exit(["run", "--base-url", target.base_url, "--api-key", KEY, "--report-dir", str(tmp_path)])
    assert code == 2
    assert _one_sentence(capsys.readouterr().err) == (
        f"checkout-conformance: {target.base_url} redirected (301) GET /v1/checkout/sessions to "
        "/v1/checkout/sessions/: the suite never follows redirects, so the target must answer "
        "/v1/checkout/sessions itself.")


# -- 8. a spent --max-requests is named as the reason -----------------------------------------


def test_a_spent_request_budget_is_named_not_blamed_on_the_target(no_env: pytest.MonkeyPatch, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--quiet", "--max-requests", "5", "--report-dir", str(tmp_path)]) == 3
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    unjudged = [r for r in report["requirements"] if r["verdict"] == "inconclusive"]
    assert unjudged
    reason = "not judged: the request budget (--max-requests 5) was used up before its requests were sent"
    assert {r["reason"] for r in unjudged} == {reason}
    assert "did not answer" not in out and "no an " not in out
    assert out.strip().splitlines()[-2] == (
        f"{len(unjudged)} requirements could not be judged: the request budget (--max-requests 5) was used up "
        "before its requests were sent; raise --max-requests, or judge fewer areas with --only.")
    banner = (tmp_path / "report.html").read_text().split('id="verdict-banner"', 1)[1].split("</div>", 1)[0]
    assert "Nothing could be judged" not in banner
    assert f"{len(unjudged)} requirements could not be judged" in banner
    assert main(["verify", str(tmp_path)]) == 0  # the re-judgement names the budget the same way


# -- 12. a timeout is reported as the user gave it ----------------------------------------------


def test_a_timeout_is_reported_as_given(tmp_path: Path) -> None:
    import socket

    from conformance.record.client import Client, ClientSettings

    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = Client(f"http://127.0.0.1:{silent.getsockname()[1]}", KEY, ClientSettings(timeout=0.3))
        try:
            with pytest.raises(Exception, match=r"within 0\.3 s$"):
                client.get("t")
        finally:
            client.close()
    # Whichever fires first, the read timeout or the whole-attempt watchdog, it names 0.3 s.
    assert (client.transcript[0].error or "").endswith("within 0.3 s")


# -- 12. wording a person reads -----------------------------------------------------------------


def test_counts_and_lists_read_as_english() -> None:
    from conformance.wording import capped, plural

    assert plural(1, "request") == "1 request"
    assert plural(2, "request") == "2 requests"
    assert plural(0, "entry", "entries") == "0 entries"
    assert capped(["a", "b", "c"], 5) == "a b c"
    assert capped([f"cs_{n}" for n in range(9)], 5, ", ") == "cs_0, cs_1, cs_2, cs_3, cs_4 and 4 more"
    assert capped([], 5) == "-"


def test_flt_002_names_only_the_differences_there_are() -> None:
    from conformance.checks.filtering import _difference

    assert _difference(["a", "b"], ["b", "a"]) == "the same sessions in another order"
    assert _difference(["a", "b"], ["a", "a", "b"]) == "listed more than once a"
    assert _difference(["a", "b", "c"], ["a", "x"]) == "missing b, c; extra x"


def test_a_faulty_run_reads_as_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with start_background(ReferenceConfig(sessions=40, fault="cursor-inclusive")) as server:
        code = main(["run", "--quiet", "--profile", "quick", "--base-url", server.base_url,
                     "--api-key", server.api_key, "--report-dir", str(tmp_path)])
    assert code == 1
    out = capsys.readouterr().out
    assert "(s)" not in out
    assert not re.search(r"walk:\S+ walk", out), out
    report = json.loads((tmp_path / "report.json").read_text())
    by_id = {r["id"]: r for r in report["requirements"]}
    duplicates = next(e for e in by_id["PAG-001"]["evidence"] if "duplicated id" in e["actual"])
    count = int(duplicates["actual"].split()[0])
    assert count > 5
    assert duplicates["actual"].endswith(f" and {count - 5} more")
    assert duplicates["message"].startswith("the walk with limit=")
    flt = by_id["FLT-002"]["evidence"][0]["actual"]
    assert "listed more than once" in flt and "same" not in flt and "missing -" not in flt


def test_every_usage_error_has_the_same_prefix(no_env: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    sentences = []
    for argv in (["run", "--header", "NoColon"], ["run", "--only", "nonsense"], ["serve", "--port", "80000"],
                 ["run", "--timeout", "0"]):
        assert _exit([*argv, "--report-dir", str(tmp_path)] if argv[0] == "run" else argv) == 2
        sentences.append(_one_sentence(capsys.readouterr().err))
    assert sentences[0] == ("checkout-conformance: --header: expected 'Name: value', got 'NoColon'. "
                            "See `checkout-conformance run --help`.")
    assert sentences[1].startswith("checkout-conformance: --only 'nonsense' is neither an area")
    assert all(s.startswith("checkout-conformance: --") for s in sentences), sentences


def test_a_passing_run_names_what_it_skipped(no_env: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--quiet", "--only", "limit", "--only", "dataset", "--report-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  skipped: DATA-001 (no --expect-dataset given)" in lines
    # --only judged part of the catalog: the gate passes (exit 0), the verdict says how far it reached.
    assert lines[-2].startswith("verdict: PARTIAL: judged ") and "(not selected)" in lines[-2]
    assert lines[-2].endswith("; every requirement judged held")


# -- 14. Ctrl-C is exit 130, as the README says -------------------------------------------------


def test_ctrl_c_during_a_run_is_exit_130(tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        proc = subprocess.Popen(
            [sys.executable, "-m", "conformance", "run", "--base-url", f"http://127.0.0.1:{silent.getsockname()[1]}",
             "--api-key", KEY, "--timeout", "30", "--report-dir", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            silent.settimeout(30)
            conn, _ = silent.accept()  # the preflight is in flight: the user gives up waiting
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=30)
            conn.close()
        finally:
            proc.kill()
    assert proc.returncode == 130
    assert err == "checkout-conformance: interrupted.\n"
    assert "**130** interrupted (Ctrl-C)" in (Path(__file__).parent.parent / "README.md").read_text()


# A parent that ignores SIGINT hands that on to what it starts (`cmd &` in a script does so), and
# Python keeps it; the run must still stop on Ctrl-C (or `kill -INT`): it owns SIGINT.
_SIGINT_IGNORED = ["-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                         "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"]
_PAGE = b'{"object": "list", "data": [], "has_more": false, "url": "/v1/checkout/sessions"}'


def _interrupted_while_waiting(tmp_path: Path, *, answered: int, waiting: int, python: list[str],
                               extra: tuple[str, ...] = ()) -> tuple[int | None, str, float]:
    """Start `run --timeout 60` against a target that answers its first `answered` requests and
    then reads requests without ever answering; once `waiting` of those have been read whole (their
    senders are blocked reading the answer), send SIGINT. Returns (exit code, stderr, seconds
    from the signal to the exit); None and the seconds waited if it has not exited 15 s after."""
    import signal
    import socket
    import subprocess
    import sys
    import threading
    import time

    silent: list[socket.socket] = []
    read = threading.Semaphore(0)

    def serve(listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            silent.append(conn)
            threading.Thread(target=answer, args=(conn, len(silent) <= answered), daemon=True).start()

    def answer(conn: socket.socket, reply: bool) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(65536)
            if not chunk:
                return
            request += chunk
        if reply:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(_PAGE), _PAGE))
            conn.close()
        else:
            read.release()  # its sender now waits for an answer that never comes

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
        proc = subprocess.Popen(
            [sys.executable, *python, "-m", "conformance", "run", "--base-url",
             f"http://127.0.0.1:{listener.getsockname()[1]}", "--api-key", KEY, "--timeout", "60",
             "--report-dir", str(tmp_path), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(waiting):
                assert read.acquire(timeout=60), "the requests to wait on never came"
            proc.send_signal(signal.SIGINT)
            sent = time.monotonic()
            try:
                _out, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                return None, "", time.monotonic() - sent
            return proc.returncode, err, time.monotonic() - sent
        finally:
            proc.kill()
            proc.communicate()
            for conn in silent:
                conn.close()


def test_ctrl_c_is_exit_130_in_a_run_started_with_sigint_ignored(tmp_path: Path) -> None:
    code, err, seconds = _interrupted_while_waiting(tmp_path, answered=0, waiting=1, python=_SIGINT_IGNORED)
    assert code == 130, f"still running {seconds:.0f} s after SIGINT" if code is None else err
    assert err == "checkout-conformance: interrupted.\n"


def test_ctrl_c_while_lanes_wait_on_a_silent_target_exits_at_once(tmp_path: Path) -> None:
    # The preflight is answered; then two lanes' requests are read and never answered. The lanes
    # must not hold the exit for their --timeout (60 s): it comes within seconds, and nothing a
    # lane reports follows the sentence.
    code, err, seconds = _interrupted_while_waiting(tmp_path, answered=1, waiting=2, python=[])
    assert code == 130, f"still running {seconds:.0f} s after SIGINT" if code is None else err
    assert seconds < 10
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "checkout-conformance: interrupted."


def _run_whose_work_is(tmp_path: Path, loading: str) -> tuple[int, str]:
    """`python -m probe`, whose probe/__main__.py calls `cli.main(["run", ...])` with the run's work
    replaced by `loading` (the source of a function `loading(args)`): (exit code, stderr)."""
    import subprocess
    import sys

    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "__main__.py").write_text(
        "from conformance import cli\n" + loading + "cli._run = loading\n"
        f"raise SystemExit(cli.main(['run', '--base-url', 'http://127.0.0.1:9', '--api-key', '{KEY}']))\n")
    done = subprocess.run([sys.executable, "-m", "probe"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stderr


def test_ctrl_c_inside_code_run_from_a_string_is_still_exit_130(tmp_path: Path) -> None:
    # A dataclass's __init__ is generated and exec'd from a string as its module loads (cli loads
    # most of the suite lazily). A KeyboardInterrupt raised in there is marked unhandled by
    # CPython, which would end a `python -m` process with SIGINT (-2) after main returned 130.
    code, err = _run_whose_work_is(tmp_path, (
        "def loading(args):\n"
        "    exec('raise KeyboardInterrupt', {})\n"))
    assert (code, err) == (130, "checkout-conformance: interrupted.\n")


def test_an_error_ctrl_c_caused_while_loading_is_reported_as_the_interruption(tmp_path: Path) -> None:
    # An extension loading when Ctrl-C comes turns the KeyboardInterrupt into an error of its own
    # (an ImportError from a C module, a PanicException from a Rust one): not an internal error.
    code, err = _run_whose_work_is(tmp_path, (
        "import os, signal, time\n"
        "def loading(args):\n"
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        time.sleep(30)\n"
        "    except KeyboardInterrupt:\n"
        "        raise ImportError('PyCapsule_Import could not import module \"_socket\"') from None\n"))
    assert (code, err) == (130, "checkout-conformance: interrupted.\n")
