"""What the user does after a run must be safe too (issue 22): the working directory is left
as it was, report directories holding symlinks are refused, summary.md mentions no one,
reproducers are bounded like the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import _child_env


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
