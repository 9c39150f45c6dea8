"""A live target: sessions appear while the suite runs. A difference caused by that is no fault."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from conformance.reference.server import ReferenceConfig, RunningServer, start_background
from tests.support.runs import run_cli
from tests.support.scripted import Received, Reply, Scripted, scripted_server


def _add_newest_session(server: RunningServer, number: int) -> None:
    """What a shop does during the run: a new checkout session, newer than all others."""
    store = server._store  # test-only reach into the reference's storage
    with store._lock:
        conn = store._conn
        created, body = conn.execute("SELECT created, body FROM sessions ORDER BY created DESC LIMIT 1").fetchone()
        session = json.loads(body)
        session["id"] = f"cs_test_live{number:06d}"
        session["created"] = created + 1
        session["expires_at"] = created + 3601
        conn.execute("INSERT INTO sessions (id, created, status, body) VALUES (?, ?, ?, ?)",
                     (session["id"], session["created"], session["status"], json.dumps(session)))


@contextmanager
def _proxy(upstream: RunningServer, grow_every: int | None) -> Iterator[Scripted]:
    lock = threading.Lock()

    def answer(index: int, request: Received) -> Reply:
        if grow_every and index and index % grow_every == 0:
            with lock:
                _add_newest_session(upstream, index)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "x-api-version")}
        response = requests.get(upstream.base_url + request.path, headers=headers, timeout=10)
        return Reply(response.status_code, response.content,
                     {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "www-authenticate")})

    with scripted_server(answer) as proxy:
        yield proxy


def _run(proxy: Scripted, server: RunningServer, report_dir: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    return run_cli(proxy.base_url, server.api_key, report_dir, "--api-version", server.config.api_versions[0])


@pytest.mark.parametrize("grow_every", [None, 25], ids=["quiet", "growing"])
def test_sessions_created_during_the_run_are_never_a_failure(tmp_path: Path, grow_every: int | None) -> None:
    with start_background(ReferenceConfig()) as server, _proxy(server, grow_every) as proxy:
        code, report = _run(proxy, server, tmp_path)
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert "fail" not in verdicts.values() and "warn" not in verdicts.values(), report["verdict_reason"]
    assert code == 0, report["verdict_reason"]
    # Judged as a live account (CONTRACT.md "A live collection"), and the report says so.
    assert report["activity"]["live"] is (grow_every is not None)
    if grow_every is not None:
        assert report["activity"]["sessions_created"] >= 1
        assert "inconclusive" not in verdicts.values()
