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

from conformance.cli import main

KEY = "sk_test_CLI_SECRET_abcdef0123456789"


def test_embedded_reference_is_conformant_also_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--strict", "--quiet", "--api-key", KEY, "--report-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "verdict: CONFORMANT (strict)" in out.out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "conformant"
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
        pytest.param(["run", "--timeout", "0"], "seconds between", id="bad-timeout"),
        pytest.param(["run", "--max-requests", "x"], "whole number", id="bad-max-requests"),
        pytest.param(["run", "--header", "NoColon"], "Name: value", id="bad-header"),
        pytest.param(["run", "--only", "nonsense"], "neither an area", id="bad-only"),
        pytest.param(["run", "--base-url", "ftp://x", "--api-key", "k"], "not an http(s) URL", id="bad-url"),
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


def test_serve_lists_faults_with_their_requirements(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines
    assert all(re.fullmatch(r"[a-z0-9-]+\t[A-Z]+-\d{3}( [A-Z]+-\d{3})*", line) for line in lines), lines


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


def test_serve_on_a_taken_port_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        code = main(["serve", "--port", str(taken.getsockname()[1])])
    err = capsys.readouterr().err
    assert code == 2
    assert "Cannot listen on" in err
    assert len(err.strip().splitlines()) == 1
