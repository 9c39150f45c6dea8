"""What the user does after a run must be safe too (issue 22): the working directory is left
as it was, report directories holding symlinks are refused, summary.md mentions no one,
reproducers are bounded like the suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
