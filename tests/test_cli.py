"""The command line as a user runs it: exit codes and one clear sentence, never a traceback."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.checks.base import Check, Probe, ProbeContext
from conformance.cli import main
from conformance.run import runner
from tests.support.scripted import Reply, scripted_server

KEY = "sk_test_CLI_SECRET_abcdef0123456789"


def test_embedded_reference_is_conformant_also_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--strict", "--quiet", "--api-key", KEY, "--report-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "verdict: CONFORMANT (strict)" in out.out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["gate_verdict"] == "conformant"
    assert {r["verdict"] for r in report["requirements"]} <= {"pass", "skip"}
    assert KEY not in out.out + out.err


def test_only_selects_an_area(tmp_path: Path) -> None:
    assert main(["run", "--quiet", "--only", "limit", "--report-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert {r["area"] for r in report["requirements"]} == {"limit"}


def test_same_seed_gives_the_same_requests(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert main(["run", "--quiet", "--seed", "7", "--report-dir", str(tmp_path / name)]) == 0
    sent = [
        [(e["tag"], e["query"]) for e in map(json.loads, (tmp_path / n / "exchanges.jsonl").read_text().splitlines())]
        for n in ("a", "b")
    ]
    assert sent[0] == sent[1]


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        pytest.param(["run", "--profile", "fast"], "invalid choice", id="bad-profile"),
        pytest.param(["run", "--timeout", "0"], "expected seconds more than 0 and up to 600, got '0'",
                     id="bad-timeout"),
        pytest.param(["run", "--max-requests", "x"], "whole number", id="bad-max-requests"),
        pytest.param(["run", "--header", "NoColon"], "Name: value", id="bad-header"),
        pytest.param(["run", "--header", "X-HTTP-Method-Override: DELETE"], "GET only", id="method-override"),
        pytest.param(["run", "--header", "x-http-method: PUT"], "GET only", id="method-header"),
        pytest.param(["run", "--header", "X-Method-Override: POST"], "GET only", id="method-override-short"),
        pytest.param(["run", "--only", "nonsense"], "neither an area", id="bad-only"),
        pytest.param(["run", "--base-url", "ftp://x", "--api-key", "k"], "not an http(s) URL", id="bad-url"),
        pytest.param(["run", "--base-url", "http://x:abc", "--api-key", "k"], "port that is not a number",
                     id="bad-port"),
        pytest.param(["run", "--base-url", "http://127.0.0.1:9"], "API key is needed", id="no-key"),
        pytest.param(["serve", "--fault", "nope"], "Unknown fault", id="bad-fault"),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(
    argv: list[str], sentence: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONFORMANCE_API_KEY", raising=False)
    with pytest.raises(SystemExit) as exited:
        code = main(argv)
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert sentence in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["run", "--base-url", "{key}"],  # CI variables swapped: the key where the URL goes
    ["run", "--only", "{key}"],
    ["run", "--timeout", "{key}"],
])
def test_a_usage_error_never_echoes_the_key(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk_test_misplaced0123456789abcdef"
    monkeypatch.setenv("CONFORMANCE_API_KEY", key)
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main([a.format(key=key) for a in argv]))
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.startswith("checkout-conformance: ")
    assert key not in err and "[REDACTED]" in err


def test_unreachable_target_exits_3_within_seconds(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--base-url", "http://127.0.0.1:9", "--api-key", KEY,
         "--report-dir", str(tmp_path)], capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 3
    assert time.monotonic() - started < 15
    assert proc.stderr.strip().startswith("checkout-conformance: Cannot reach http://127.0.0.1:9")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert KEY not in proc.stdout + proc.stderr


def test_a_refused_key_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.reference.server import ReferenceConfig, start_background

    with start_background(ReferenceConfig(sessions=5)) as server:
        code = main(["run", "--base-url", server.base_url, "--api-key", "sk_test_wrong", "--quiet",
                     "--report-dir", str(tmp_path)])
    assert code == 2
    assert "refused the API key" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "says"), [
    ("diff", ["regressions", "1  something regressed", "2  a directory holds no readable report"]),
    ("keygen", ["signing-key.pem", "0600", "signing-key.pub.pem", "2  "]),
])
def test_diff_and_keygen_help_describe_the_command_and_its_exit_codes(
    command: str, says: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "exit codes:" in text and all(s in text for s in says), text


def test_serve_lists_faults_with_their_requirements(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines
    # A partial variant is named `<fault>:<restriction>` (conformance/reference/faults/partial.py).
    # The third column says where it can be injected (generic[:filter|:partition] or checkout, issue 24).
    assert all(re.fullmatch(r"[a-z0-9-]+(:[a-z0-9_-]+)?\t[A-Z]+-\d{3}( [A-Z]+-\d{3})*"
                            r"\t(generic(:filter|:partition)?|checkout)", line) for line in lines), lines
    assert any(line.startswith("cursor-inclusive:forward\t") for line in lines)


def test_output_piped_into_head_is_not_an_internal_error() -> None:
    # `serve --list-faults | head` closes the pipe early: that is the reader's choice, not a suite bug.
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--list-faults"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the suite writes its first line
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert "internal error" not in err and err == ""


def test_serve_prints_url_and_key_and_stops_cleanly_on_ctrl_c() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--port", str(port), "--sessions", "20", "--api-key", KEY],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        first, second = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert first == f"base_url: http://127.0.0.1:{port}"
        assert second == f"api_key: {KEY}"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        proc.kill()


@pytest.mark.parametrize("key", ["", "  "])
def test_serve_with_an_empty_api_key_is_a_usage_error(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A server whose key is empty refuses every request (401): it could never be judged.
    assert main(["serve", "--port", "0", "--api-key", key]) == 2
    assert capsys.readouterr().err == ("checkout-conformance: serve --api-key is empty: name a key such as "
                                       "sk_test_local, or leave --api-key out for a new one.\n")


def test_serve_on_a_taken_port_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        code = main(["serve", "--port", str(taken.getsockname()[1])])
    err = capsys.readouterr().err
    assert code == 2
    assert "Cannot listen on" in err
    assert len(err.strip().splitlines()) == 1


def _run_against(answer: Reply, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                 *only: str) -> tuple[int, str]:
    with scripted_server(lambda _i, _r: answer) as target:
        code = main(["run", "--base-url", target.base_url, "--api-key", KEY, "--quiet", "--only", "envelope",
                     *only, "--report-dir", str(tmp_path)])
    return code, capsys.readouterr().err


def test_a_404_preflight_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_against(Reply(404, b"not found", {"Content-Type": "text/plain"}), tmp_path, capsys)
    assert code == 2
    assert re.fullmatch(r"checkout-conformance: (http://127\.0\.0\.1:\d+) answered 404 Not Found to GET \1"
                        r"/v1/checkout/sessions: --base-url must be the part before /v1/checkout/sessions\.",
                        err.strip()), err
    assert "key" not in err
    assert len(err.strip().splitlines()) == 1
    # The reports are written all the same (CI uploads them whatever happened) and say why.
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["gate_verdict"] == "inconclusive"
    assert err.strip().removeprefix("checkout-conformance: ") == report["verdict_reason"]
    assert {r["verdict"] for r in report["requirements"]} == {"inconclusive"}


def test_a_redirecting_preflight_names_the_url_to_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    location = f"http://user:pw@127.0.0.1:1/{KEY}/v1/checkout/sessions?limit=1"
    code, err = _run_against(Reply(302, b"", {"Location": location}), tmp_path, capsys)
    assert code == 2
    assert "redirected (302) to http://127.0.0.1:1/[REDACTED]: use the final URL as --base-url." in err
    assert "pw" not in err
    assert KEY not in err


def test_a_5xx_preflight_goes_on_to_the_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 500 to everything: ERR-002 (no 5xx) fails on it; the envelope, with no 200 to read,
    cannot be judged. Nonconformant, exit 1."""
    code, _err = _run_against(Reply(500, b"{}"), tmp_path, capsys, "--only", "ERR-002")
    report = json.loads((tmp_path / "report.json").read_text())
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert code == 1
    assert verdicts.pop("ERR-002") == "fail"
    assert verdicts["ENV-001"] == "inconclusive"


def test_an_internal_error_is_one_sentence_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"boom near {KEY}\nsecond line")

    monkeypatch.setattr(runner, "run", broken)
    code = main(["run", "--quiet", "--api-key", KEY, "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 3
    assert err.strip() == ("checkout-conformance: internal error (RuntimeError: boom near [REDACTED] second line); "
                           "please report it.")


def test_a_crashed_probe_is_a_suite_error_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_ctx: ProbeContext) -> None:
        raise KeyError("oops")

    real = runner.probes_for

    def with_a_crashing_limits_probe(checks: tuple[Check, ...]) -> tuple[Probe, ...]:
        return tuple(Probe(p.name, p.area, boom) if p.name == "limits" else p for p in real(checks))

    monkeypatch.setattr(runner, "probes_for", with_a_crashing_limits_probe)
    code = main(["run", "--quiet", "--only", "limit", "--only", "envelope", "--report-dir", str(tmp_path)])
    assert code == 3
    assert "Traceback" not in capsys.readouterr().err
    report = json.loads((tmp_path / "report.json").read_text())
    by_area: dict[str, set[str]] = {}
    for requirement in report["requirements"]:
        by_area.setdefault(requirement["area"], set()).add(requirement["verdict"])
        if requirement["area"] == "limit":
            assert requirement["reason"] == "probe limits crashed: KeyError('oops')", requirement
    assert by_area["limit"] == {"error"}
    assert "error" not in by_area["envelope"]  # the other probes ran and were judged
    assert report["gate_verdict"] == "error"
    assert report["failed_probes"] == {"limits": "KeyError('oops')"}
    assert main(["verify", str(tmp_path)]) == 0  # re-judged offline the same way


def test_progress_lines_keep_their_columns_for_every_probe_name(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # `next-cursor-everywhere` is longer than the others: its count must not push out of line.
    assert main(["run", "--profile", "quick", "--report-dir", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if re.search(r"\d+ requests?$", line)]
    assert any("next-cursor-everywhere" in line for line in lines)
    assert len({len(line) for line in lines}) == 1, lines
