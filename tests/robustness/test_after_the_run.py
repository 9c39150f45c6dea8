"""What the user does after a run must be safe too (issue 22): the working directory is left
as it was, report directories holding symlinks are refused, summary.md mentions no one,
reproducers are bounded like the suite."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.reference.server import RunningServer

from . import hostile
from .conftest import _child_env, run_cli


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_cold_run_in_a_read_only_directory_writes_only_the_reports_and_the_cache(tmp_path: Path) -> None:
    # A seed with no pre-drawn requests makes Hypothesis draw (and want its unicode tables):
    # a first run with an empty cache is where `.hypothesis/` used to appear in the cwd.
    cwd, cache, reports = tmp_path / "cwd", tmp_path / "cache", tmp_path / "reports"
    cwd.mkdir()
    cache.mkdir()
    (cwd / "keep.txt").write_text("mine")
    before = _tree(cwd)
    cwd.chmod(0o555)
    try:
        env = {**_child_env(), "CONFORMANCE_CACHE_DIR": str(cache), "HOME": str(tmp_path / "home")}
        env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
        done = subprocess.run([sys.executable, "-m", "conformance", "run", "--profile", "quick", "--seed", "90210",
                               "--only", "schema", "--quiet", "--report-dir", str(reports)],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    finally:
        cwd.chmod(0o755)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert _tree(cwd) == before
    assert not (tmp_path / "home").exists()
    assert (reports / "report.json").is_file()
    assert any(p.name.startswith("generated-") for p in cache.iterdir()), _tree(cache)
    assert os.listdir(cwd) == ["keep.txt"]


def _victim(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """Someone else's folder, with files named like report files and a script."""
    victim = tmp_path / "victim"
    (victim / "reproduce").mkdir(parents=True)
    files = {"summary.md": b"victim's summary", "report.html": b"victim's page", "junit.xml": b"<victim/>",
             "exchanges.jsonl": b"victim's log", "report.json": b"{}", "reproduce/LIM-001.sh": b"echo victim"}
    for name, data in files.items():
        (victim / name).write_bytes(data)
    return victim, files


def _untouched(victim: Path, files: dict[str, bytes]) -> None:
    now = {str(p.relative_to(victim)): p.read_bytes() for p in victim.rglob("*") if p.is_file()}
    assert now == files


@pytest.mark.parametrize("planted", ["the directory", "its entries", "reproduce/"])
def test_a_report_dir_holding_symlinks_is_refused_before_anything_is_sent(
        tmp_path: Path, reference: RunningServer, planted: str) -> None:
    victim, files = _victim(tmp_path)
    reports = tmp_path / "reports"
    if planted == "the directory":
        reports.symlink_to(victim, target_is_directory=True)
    else:
        reports.mkdir()
        if planted == "its entries":
            for name in ("summary.md", "report.html", "junit.xml", "exchanges.jsonl"):
                (reports / name).symlink_to(victim / name)
        else:
            (reports / "reproduce").symlink_to(victim / "reproduce", target_is_directory=True)
    with hostile.serving(hostile.forward_to(reference.base_url), "recording") as server:
        run = run_cli(tmp_path, server.base_url, timeout=60)
    assert run.returncode == 2, run.describe()
    line = [x for x in run.stderr.splitlines() if x.strip()]
    assert len(line) == 1 and "symbolic link" in line[0] and line[0].endswith("."), run.describe()
    assert server.received == []  # refused before anything was sent
    _untouched(victim, files)


def test_the_writer_replaces_links_it_meets_and_never_writes_through_them(tmp_path: Path) -> None:
    # Links planted after the check (a race): each report file is created new and renamed over
    # its name, so the link is replaced and the victim untouched; reproduce/ as a link is refused.
    from conformance.errors import UsageError
    from conformance.reports.writer import write_reports

    from ..reports.conftest import _mixed_result

    result = _mixed_result()
    victim, files = _victim(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("summary.md", "report.html", "junit.xml", "exchanges.jsonl", "report.json"):
        (reports / name).symlink_to(victim / name)
    (reports / "certificate.json").symlink_to(victim / "certificate.json")  # a dangling link: not created there
    write_reports(result, reports)
    _untouched(victim, files)
    assert not (victim / "certificate.json").exists()
    assert not any(p.is_symlink() for p in reports.rglob("*"))
    assert (reports / "reproduce").is_dir() and any((reports / "reproduce").glob("*.sh"))
    assert not [p for p in reports.rglob("*") if p.name.endswith(".tmp")]  # no temporary file left
    shutil.rmtree(reports / "reproduce")
    (reports / "reproduce").symlink_to(victim / "reproduce", target_is_directory=True)
    with pytest.raises(UsageError):
        write_reports(result, reports)
    _untouched(victim, files)


def _tree_rss_kb(session: int) -> int:
    """Resident memory of every process in the session `session` (the script, curl, python3)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:  # the session id (field 6 of /proc/PID/stat)
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def _disk_bytes(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        with contextlib.suppress(OSError):  # a file the script removed meanwhile
            total += path.stat().st_size if path.is_file() else 0
    return total


@pytest.mark.parametrize("answer", ["endless chunked", "600 MiB"])
def test_a_reproducer_reads_at_most_the_body_cap(tmp_path: Path, answer: str) -> None:
    from conformance.exchange import Exchange
    from conformance.reports.reproducers import BODY_CAP, build_script

    # Two steps: a page, then the page its last id leads to (the cursor comes from the live body).
    first = Exchange(0, "walk:2", "/v1/checkout/sessions", [("limit", "2")], status=200,
                     body='{"object":"list","data":[{"id":"cs_1"},{"id":"cs_2"}],"has_more":true}')
    second = Exchange(1, "walk:2", "/v1/checkout/sessions", [("limit", "2"), ("starting_after", "cs_2")],
                      status=200, body='{"object":"list","data":[{"id":"cs_2"}],"has_more":false}')
    requirement = {"id": "PAG-001", "level": "MUST", "verdict": "fail", "text": "pages do not overlap",
                   "evidence": [{"message": "cs_2 twice", "expected": "", "actual": "", "exchanges": [{"seq": 1}]}]}
    script = tmp_path / "PAG-001.sh"
    script.write_text(build_script(requirement, [first, second], "http://127.0.0.1:9") or "")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    behaviour = hostile.endless_chunked if answer == "endless chunked" else hostile.huge_body(600 * 2**20)
    peak_rss_kb = peak_disk = 0
    with hostile.serving(behaviour, "oversized") as server:
        env = {**_child_env(), "CONFORMANCE_API_KEY": "sk_test_x", "CONFORMANCE_BASE_URL": server.base_url,
               "TMPDIR": str(temporary)}
        proc = subprocess.Popen(["bash", str(script)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        started = time.monotonic()
        while proc.poll() is None and time.monotonic() - started < 120:
            peak_rss_kb = max(peak_rss_kb, _tree_rss_kb(proc.pid))
            peak_disk = max(peak_disk, _disk_bytes(temporary))
            time.sleep(0.02)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    assert proc.returncode == 0, out + err
    assert len(server.received) == 2  # both steps were asked, each body cut at the cap
    assert peak_disk <= BODY_CAP + 4096, peak_disk  # one body at most, and curl's one-line error
    assert peak_rss_kb < 200 * 1024, peak_rss_kb
    assert not any(temporary.iterdir())  # the script's temporary files are gone
    assert err.count("passed the suite's cap of 4194304 bytes") == 2, err  # one line per body cut


@pytest.mark.parametrize("answer", ["endless chunked", "600 MiB"])
def test_a_console_curl_line_reads_at_most_the_body_cap(tmp_path: Path, answer: str) -> None:
    """The curl line of the console, summary.md, report.json and junit.xml, pasted into a shell.
    A declared length past the cap is refused by curl (--max-filesize); an endless chunked body
    declares none, and curl 7.88 reads it on until --max-time: `head -c` ends it at the cap."""
    from conformance.exchange import CURL_OUTPUT_BYTES, Exchange

    line = Exchange(0, "walk:2", "/v1/checkout/sessions", [("limit", "2")]).curl("http://127.0.0.1:9")
    assert "--max-filesize 4194304 --max-time 30" in line and line.endswith(f" | head -c {CURL_OUTPUT_BYTES}")
    behaviour = hostile.endless_chunked if answer == "endless chunked" else hostile.huge_body(600 * 2**20)
    with hostile.serving(behaviour, "oversized") as server:
        command = line.replace("http://127.0.0.1:9", server.base_url)
        started = time.monotonic()
        proc = subprocess.Popen(["bash", "-c", command], env={**_child_env(), "CONFORMANCE_API_KEY": "sk_test_x"},
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        assert proc.stdout is not None and proc.stderr is not None
        shown = 0
        # Read as a terminal would, but no further than well past the cap: a line that does not
        # end by itself fails the test instead of filling the test's memory.
        while (chunk := proc.stdout.read(65536)) and shown <= CURL_OUTPUT_BYTES + 2**20:
            shown += len(chunk)
        ended = proc.poll() is not None or _wait(proc, 5)
        if not ended:
            os.killpg(proc.pid, signal.SIGKILL)
        err = proc.stderr.read().decode(errors="replace")
        proc.wait()
    assert ended, f"the curl line did not end by itself ({shown} bytes shown)"
    assert shown <= CURL_OUTPUT_BYTES, shown
    assert time.monotonic() - started < 20
    if answer == "600 MiB":  # refused by its declared length: nothing of the body shown
        assert shown < 64 * 1024 and "Maximum file size exceeded" in err, err


def _wait(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        return False
    return True
