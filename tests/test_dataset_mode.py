"""Known-dataset mode: the canonical fixture, `serve --dataset canonical`, and DATA-001 with
`run --expect-dataset canonical` against matching and differing targets."""

from __future__ import annotations

import copy
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.cli import main
from conformance.reference import ReferenceConfig, RunningServer, start_background
from conformance.reference.canonical import build_document, fixture_path, list_order, load_dataset, render
from conformance.reference.store import SessionStore, open_store
from tests.support.scripted import Received, Reply, Scripted, scripted_server

LIST = "/v1/checkout/sessions"


# -- the fixture ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sessions() -> list[dict[str, Any]]:
    return load_dataset("canonical")


def test_fixture_is_what_the_script_builds() -> None:
    text = fixture_path("canonical").read_text(encoding="utf-8")
    assert text == render(build_document()), "stale: run python -m conformance.reference.canonical"
    assert len(text.encode()) < 1_000_000


def test_fixture_is_in_list_order_with_unique_ids(sessions: list[dict[str, Any]]) -> None:
    assert len(sessions) == 240
    assert sessions == list_order(sessions)
    assert len({s["id"] for s in sessions}) == len(sessions)


def test_fixture_covers_the_edge_cases(sessions: list[dict[str, Any]]) -> None:
    by_id = {s["id"]: s for s in sessions}
    assert {s["status"] for s in sessions} == {"open", "complete", "expired"}
    assert {s["mode"] for s in sessions} == {"payment", "setup", "subscription"}
    seconds: dict[int, int] = {}
    for s in sessions:
        seconds[s["created"]] = seconds.get(s["created"], 0) + 1
    assert sum(1 for n in seconds.values() if n > 1) >= 20 and max(seconds.values()) >= 12
    assert any(s["amount_total"] == 0 and s["amount_subtotal"] == 0 for s in sessions)
    setup = [s for s in sessions if s["mode"] == "setup"]
    assert setup and all(s["currency"] is None and s["amount_total"] is None for s in setup)
    assert any(s["status"] == "complete" and s["payment_status"] == "unpaid" for s in sessions)
    assert any(isinstance(s["metadata"], dict) and len(s["metadata"]) >= 5 for s in sessions)
    assert any(s["customer_details"] and s["customer_details"]["address"] is None for s in sessions)
    assert any(len(s["client_reference_id"] or "") >= 200 for s in sessions)
    assert any(not (s["customer_details"] or {}).get("name", "").isascii() for s in sessions
               if s["customer_details"] and s["customer_details"]["name"])
    assert by_id["cs_test_edge_all_null"]["metadata"] is None
    # Ids that differ only by case or length: code point order decides the tie.
    tie = [s["id"] for s in sessions[:12]]
    assert tie == sorted(tie, reverse=True) and "cs_test_tie" in tie and "cs_test_Tie" in tie


# -- serving --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def canonical_server() -> Iterator[RunningServer]:
    with start_background(ReferenceConfig(dataset="canonical")) as server:
        yield server


def _walk(server: RunningServer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        body = requests.get(server.base_url + LIST, params=params, auth=(server.api_key, ""), timeout=10).json()
        items += body["data"]
        if not body["has_more"]:
            return items
        params["starting_after"] = body["data"][-1]["id"]


def test_start_background_serves_the_dataset_in_order(canonical_server: RunningServer,
                                                      sessions: list[dict[str, Any]]) -> None:
    assert _walk(canonical_server) == sessions


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        ReferenceConfig(dataset="nope")


def test_store_from_a_list_reuses_and_rebuilds_its_file(tmp_path: Path, sessions: list[dict[str, Any]]) -> None:
    path = str(tmp_path / "fixed.db")
    store = open_store(0, 0, path=path, sessions_list=sessions)
    assert store.count() == 240 and store.page(3).items == sessions[:3]
    store.close()
    built = Path(path).stat().st_mtime_ns
    open_store(0, 0, path=path, sessions_list=sessions).close()
    assert Path(path).stat().st_mtime_ns == built  # same list: the file is reused
    again = open_store(0, 0, path=path, sessions_list=sessions[1:])
    assert again.count() == 239  # another list: rebuilt
    again.close()
    generated = open_store(57, 0, path=path)
    assert generated.count() == 57
    generated.close()


def test_cli_serve_dataset_canonical(sessions: list[dict[str, Any]]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--dataset", "canonical", "--port", "0"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split(": ", 1)[1].strip()
        api_key = process.stdout.readline().split(": ", 1)[1].strip()
        body = requests.get(base_url + LIST, params={"limit": 5}, auth=(api_key, ""), timeout=10).json()
        assert body["data"] == sessions[:5]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


# -- judging --------------------------------------------------------------------------------------
def _run(tmp_path: Path, base_url: str, api_key: str, *extra: str) -> tuple[int, dict[str, Any]]:
    report_dir = tmp_path / "reports"
    code = main(["run", "--base-url", base_url, "--api-key", api_key, "--report-dir",
                 str(report_dir), "--quiet", *extra])
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    entry = next(e for e in report["requirements"] if e["id"] == "DATA-001")
    return code, entry


def test_canonical_target_passes_everything(tmp_path: Path, canonical_server: RunningServer,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, entry = _run(tmp_path, canonical_server.base_url, canonical_server.api_key, "--expect-dataset", "canonical")
    assert entry["verdict"] == "pass", entry
    assert code == 0, capsys.readouterr().out
    report = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert report["context"]["expect_dataset"] == "canonical"
    assert main(["verify", str(tmp_path / "reports")]) == 0  # re-judged offline from the context


def test_without_expect_dataset_data_001_is_skipped(tmp_path: Path, canonical_server: RunningServer) -> None:
    _code, entry = _run(tmp_path, canonical_server.base_url, canonical_server.api_key, "--only", "dataset")
    assert entry["verdict"] == "skip" and entry["reason"] == "no --expect-dataset given"
    exchanges = (tmp_path / "reports" / "exchanges.jsonl").read_text(encoding="utf-8")
    assert '"dataset:100"' not in exchanges


def test_generated_reference_fails_with_a_clear_first_difference(tmp_path: Path) -> None:
    with start_background(ReferenceConfig()) as server:
        code, entry = _run(tmp_path, server.base_url, server.api_key, "--expect-dataset", "canonical")
    assert code == 1
    assert entry["verdict"] == "fail"
    first = entry["evidence"][0]
    assert first["message"].startswith("240 sessions of the canonical dataset are not listed; "
                                       "the first is cs_test_tiez (position 1 of 240)")
    assert first["exchanges"]


@contextmanager
def _serving(store: SessionStore) -> Iterator[RunningServer]:
    sock = socket.create_server(("127.0.0.1", 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the reference's own bind does
    sock.setblocking(False)
    server = RunningServer(ReferenceConfig(dataset="canonical"), store, sock, "127.0.0.1").start()
    try:
        yield server
    finally:
        server.stop()


def _judge_altered(tmp_path: Path, store: SessionStore) -> dict[str, Any]:
    with _serving(store) as server:
        return _judge_failing(tmp_path, server.base_url, server.api_key)


def _judge_failing(tmp_path: Path, base_url: str, api_key: str) -> dict[str, Any]:
    code, entry = _run(tmp_path, base_url, api_key, "--expect-dataset", "canonical", "--only", "DATA-001")
    assert code == 1 and entry["verdict"] == "fail", entry
    return entry


def test_one_field_changed(tmp_path: Path, sessions: list[dict[str, Any]]) -> None:
    altered = copy.deepcopy(sessions)
    target = next(s for s in altered if s["id"] == "cs_test_edge_metadata")
    target["metadata"]["région"] = "Bretagne"
    entry = _judge_altered(tmp_path, open_store(0, 0, sessions_list=altered))
    [evidence] = entry["evidence"]
    assert evidence["message"].startswith("cs_test_edge_metadata: `metadata.région` differs from the canonical "
                                          "dataset (1 field difference in 1 session)")
    assert (evidence["expected"], evidence["actual"]) == ('"Île-de-France"', '"Bretagne"')
    assert evidence["exchanges"]


def test_one_session_dropped(tmp_path: Path, sessions: list[dict[str, Any]]) -> None:
    dropped = sessions[150]
    entry = _judge_altered(tmp_path, open_store(0, 0, sessions_list=sessions[:150] + sessions[151:]))
    [evidence] = entry["evidence"]  # a gap, not also an order or field difference
    assert evidence["message"] == (f"1 session of the canonical dataset is not listed; the first is "
                                   f"{dropped['id']} (position 151 of 240)")
    assert evidence["expected"] == f"{dropped['id']} listed after {sessions[149]['id']}"


@contextmanager
def _swapping_proxy(upstream: RunningServer, first: str, second: str) -> Iterator[Scripted]:
    """A target that answers as the canonical server does, but lists two sessions the other way round."""

    def answer(_index: int, request: Received) -> Reply:
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "x-api-version")}
        response = requests.get(upstream.base_url + request.path, headers=headers, timeout=10)
        body = response.json()
        ids = [item["id"] for item in body.get("data", [])] if isinstance(body, dict) else []
        if first in ids and second in ids:
            i, j = ids.index(first), ids.index(second)
            body["data"][i], body["data"][j] = body["data"][j], body["data"][i]
        return Reply(response.status_code, json.dumps(body).encode(), {"Content-Type": "application/json"})

    with scripted_server(answer) as proxy:
        yield proxy


def test_two_tied_sessions_swapped_is_a_legal_tie_order(tmp_path: Path, sessions: list[dict[str, Any]],
                                                        canonical_server: RunningServer) -> None:
    a, b = sessions[3], sessions[4]
    assert a["created"] == b["created"]
    with _swapping_proxy(canonical_server, a["id"], b["id"]) as proxy:
        code, entry = _run(tmp_path, proxy.base_url, canonical_server.api_key,
                           "--expect-dataset", "canonical", "--only", "DATA-001")
    assert (code, entry["verdict"]) == (0, "pass"), entry


def test_two_sessions_of_different_seconds_swapped(tmp_path: Path, sessions: list[dict[str, Any]],
                                                  canonical_server: RunningServer) -> None:
    k = next(k for k in range(len(sessions) - 1) if sessions[k]["created"] != sessions[k + 1]["created"])
    a, b = sessions[k], sessions[k + 1]
    with _swapping_proxy(canonical_server, a["id"], b["id"]) as proxy:
        entry = _judge_failing(tmp_path, proxy.base_url, canonical_server.api_key)
    [evidence] = entry["evidence"]
    assert evidence["message"] == (f"the target lists {a['id']} (created {a['created']}) after {b['id']} "
                                   f"(created {b['created']}); the canonical dataset has it first")
    assert evidence["expected"] == f"{a['id']} before {b['id']}"
