"""Fixtures for robustness tests: the suite's CLI run as a subprocess against hostile
targets, with a hard timeout, its exit code, wall time and peak memory."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.reference.server import ReferenceConfig, RunningServer, start_background

API_KEY = "sk_test_ROBUSTNESS_SECRET_123456"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Every shape in which the key could leak: itself, and inside a Basic credential.
SECRET_FORMS: tuple[str, ...] = tuple(dict.fromkeys([
    API_KEY,
    _b64(f"{API_KEY}:"), _b64(f"{API_KEY}:").rstrip("="),
    _b64(f":{API_KEY}"), _b64(f":{API_KEY}").rstrip("="),
    _b64(API_KEY), _b64(API_KEY).rstrip("="),
    "ROBUSTNESS_SECRET",
]))


@dataclass
class CliRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    report_dir: Path

    @property
    def report(self) -> dict[str, Any] | None:
        path = self.report_dir / "report.json"
        if not path.exists():
            return None
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded

    def verdicts(self) -> dict[str, str]:
        report = self.report or {}
        return {r["id"]: r["verdict"] for r in report.get("requirements", [])}

    def exchanges(self) -> list[dict[str, Any]]:
        path = self.report_dir / "exchanges.jsonl"
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def describe(self) -> str:
        return (f"exit {self.returncode} after {self.seconds:.1f} s, peak RSS {self.max_rss_mb:.0f} MB\n"
                f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}")


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CONFORMANCE_") and "proxy" not in k.lower()}
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def run_cli(workdir: Path, base_url: str, *extra: str, timeout: float, quiet: bool = True) -> CliRun:
    """`checkout-conformance run` against ``base_url`` as a subprocess, killed (and the
    test failed) if it outlives ``timeout`` seconds: a hang is a failure, not a wait."""
    report_dir = workdir / "reports"
    args = [sys.executable, "-m", "conformance", "run", "--base-url", base_url, "--api-key", API_KEY,
            "--profile", "quick", "--report-dir", str(report_dir), *(["--quiet"] if quiet else []), *extra]
    out_path, err_path = workdir / "cli.stdout", workdir / "cli.stderr"
    started = time.monotonic()
    peak_kb = 0
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=workdir,
                                env=_child_env(), start_new_session=True)
        try:
            while proc.poll() is None:
                peak_kb = max(peak_kb, _peak_rss_kb(proc.pid))
                if time.monotonic() - started > timeout:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    seconds = time.monotonic() - started
                    stdout = out_path.read_text(errors="replace")
                    stderr = err_path.read_text(errors="replace")
                    pytest.fail(f"the suite hung: no exit within {timeout:g} s (killed after {seconds:.1f} s)\n"
                                f"--- stdout ---\n{stdout[-3000:]}\n--- stderr ---\n{stderr[-3000:]}")
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    seconds = time.monotonic() - started
    return CliRun(args, proc.returncode, out_path.read_text(errors="replace"),
                  err_path.read_text(errors="replace"), seconds, peak_kb / 1024, report_dir)


def _peak_rss_kb(pid: int) -> int:
    """The process's peak resident set so far (VmHWM), polled: 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@pytest.fixture(scope="session")
def reference() -> Iterator[RunningServer]:
    """A correct target behind the distinctive key."""
    with start_background(ReferenceConfig(api_key=API_KEY)) as server:
        yield server


@pytest.fixture(scope="session")
def reference_items(reference: RunningServer) -> list[dict[str, Any]]:
    """Every session of the reference target, in list order."""
    import requests

    items: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": "100"}
    with requests.Session() as http:
        http.trust_env = False
        while True:
            body = http.get(reference.base_url + "/v1/checkout/sessions", params=params,
                            auth=(API_KEY, ""), timeout=10).json()
            items += body["data"]
            if not body["has_more"]:
                return items
            params["starting_after"] = body["data"][-1]["id"]
