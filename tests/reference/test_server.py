"""Server lifecycle: fast start, free ports, clean stops, the CLI's foreground mode."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conformance.reference import ReferenceConfig, ServerStartError, start_background

from .conftest import LIST_PATH, REPO


def test_starts_fast_and_stops(tmp_path: Path) -> None:
    started = time.perf_counter()
    server = start_background(ReferenceConfig())
    assert time.perf_counter() - started < 1.0
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.api_key.startswith("sk_test_") and len(server.api_key) > 20
    assert requests.get(server.base_url + LIST_PATH, auth=(server.api_key, ""),
                        timeout=5).status_code == 200
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(server.base_url + LIST_PATH, timeout=5)


def test_each_server_gets_its_own_key_and_port() -> None:
    with start_background(ReferenceConfig()) as a, start_background(ReferenceConfig()) as b:
        assert a.port != b.port and a.api_key != b.api_key
        response = requests.get(a.base_url + LIST_PATH, auth=(b.api_key, ""), timeout=5)
        assert response.status_code == 401


def test_port_taken() -> None:
    with start_background(ReferenceConfig()) as running, pytest.raises(ServerStartError) as info:
        start_background(ReferenceConfig(), port=running.port)
    assert str(running.port) in str(info.value)


def test_bad_host() -> None:
    with pytest.raises(ServerStartError):
        start_background(ReferenceConfig(), host="no-such-host.invalid")


def test_given_key_db_file_and_livemode(tmp_path: Path) -> None:
    db = str(tmp_path / "ref.sqlite3")
    config = ReferenceConfig(sessions=30, seed=2, api_key="sk_live_abc", db=db)
    with start_background(config) as server:
        body = requests.get(server.base_url + LIST_PATH, auth=("sk_live_abc", ""),
                            params={"limit": 100}, timeout=5).json()
    assert len(body["data"]) == 30 and all(s["livemode"] for s in body["data"])
    assert all(s["id"].startswith("cs_live_") for s in body["data"])
    assert os.path.exists(db)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_prints_three_lines_and_stops_cleanly(signum: int) -> None:
    port = _free_port()
    code = ("import sys; from conformance.reference.server import serve_forever, "
            "ReferenceConfig; sys.exit(serve_forever(ReferenceConfig(api_key='sk_test_cli'), "
            f"'127.0.0.1', {port}))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        first, second, third = proc.stdout.readline(), proc.stdout.readline(), proc.stdout.readline()
        assert first == f"base_url: http://127.0.0.1:{port}\n"
        assert second == "api_key: sk_test_cli\n"
        assert third == "api_versions: 2026-11-01 2025-06-30\n"
        response = requests.get(f"http://127.0.0.1:{port}{LIST_PATH}",
                                auth=("sk_test_cli", ""), timeout=5)
        assert response.status_code == 200
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err


def test_serve_forever_port_taken() -> None:
    with start_background(ReferenceConfig()) as running, pytest.raises(ServerStartError):
        from conformance.reference import serve_forever

        serve_forever(ReferenceConfig(), "127.0.0.1", running.port)
