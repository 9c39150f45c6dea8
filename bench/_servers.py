"""Start and stop the servers the load benchmarks hit (not run in CI).

Every server is a child process in its own session on 127.0.0.1, stopped by its own
process-group id; every wait is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
API_KEY = "sk_test_bench0000000000000000000000"
AUTH_HEADER = "Authorization: Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
LIST_PATH = "/v1/checkout/sessions"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def db_path(sessions: int, seed: int = 0) -> str:
    """The same files bench/reference_scale.py builds and reuses."""
    return f"/tmp/checkout-reference-{sessions}-seed{seed}.sqlite3"


def prebuild(sessions: int) -> float:
    """Build (or reuse) the SQLite file for ``sessions``; returns seconds spent."""
    from conformance.reference.store import open_store

    started = time.perf_counter()
    open_store(sessions, 0, path=db_path(sessions)).close()
    return time.perf_counter() - started


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


def _command(kind: str, sessions: int, port: int, prism_dir: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if kind == "reference":
        # Exactly what a user runs: `checkout-conformance serve`.
        return [sys.executable, "-m", "conformance", "serve", "--sessions", str(sessions),
                "--db", db_path(sessions), "--port", str(port), "--api-key", API_KEY], env
    if kind.startswith("uvicorn-"):
        # uvicorn's own runner (uvloop + httptools), N worker processes sharing one socket:
        # what a `serve --workers N` flag would run.
        workers = kind.removeprefix("uvicorn-").removesuffix("w")
        env.update(BENCH_SESSIONS=str(sessions), BENCH_DB=db_path(sessions), BENCH_API_KEY=API_KEY)
        return [sys.executable, "-m", "uvicorn", "--factory", "multiworker_app:create",
                "--app-dir", str(BENCH), "--host", "127.0.0.1", "--port", str(port),
                "--workers", workers, "--loop", "uvloop", "--http", "httptools",
                "--no-access-log", "--no-server-header", "--log-level", "warning",
                "--lifespan", "off"], env
    if kind == "prism":
        return ["npx", "--prefix", prism_dir, "prism", "mock", str(REPO / "spec" / "openapi.yaml"),
                "-h", "127.0.0.1", "-p", str(port)], env
    raise ValueError(f"unknown server kind {kind!r}")


@contextlib.contextmanager
def running(kind: str, sessions: int = 57, prism_dir: str = "/tmp/prism",
            start_timeout: float = 120.0) -> Iterator[Server]:
    """One server of ``kind`` (reference, uvicorn-Nw, prism), ready to answer 200."""
    port = free_port()
    command, env = _command(kind, sessions, port, prism_dir)
    with running_command(kind, command, env, port, start_timeout) as server:
        yield server


@contextlib.contextmanager
def slow_proxy(upstream: str, delay_ms: float, start_timeout: float = 30.0) -> Iterator[Server]:
    """bench/slow_proxy.py in front of ``upstream``: every response held ``delay_ms``."""
    port = free_port()
    command = [sys.executable, str(BENCH / "slow_proxy.py"), "--upstream", upstream, "--port", str(port),
               "--delay-ms", str(delay_ms)]
    with running_command(f"slow-proxy-{delay_ms:g}ms", command, dict(os.environ), port, start_timeout) as server:
        yield server


@contextlib.contextmanager
def running_command(kind: str, command: list[str], env: dict[str, str], port: int,
                    start_timeout: float) -> Iterator[Server]:
    """``command`` as a child in its own session, once it answers 200 on ``port``; stopped by its group id."""
    log = open(f"/tmp/bench-{kind}-{port}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = Server(kind, f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{kind} exited with {process.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} not answering after {start_timeout:g} s; see {log.name}")
            with contextlib.suppress(requests.RequestException):
                r = requests.get(server.base_url + LIST_PATH, auth=(API_KEY, ""), timeout=2)
                if r.status_code == 200:
                    break
            time.sleep(0.2)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # our own child's group, by id
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log.close()


def uptime() -> str:
    """Load averages, recorded beside every number (the machine may be shared)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
