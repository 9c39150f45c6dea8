"""The checks inside a team's own pytest run: `pytest --pyargs conformance.checks`."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.reference.server import ReferenceConfig, start_background


def _pytest(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], ET.Element]:
    junit = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q",
         "--conformance-profile", "quick", f"--junitxml={junit}", *args],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    return proc, ET.parse(junit).getroot()


def _properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def test_one_test_per_requirement_passes_against_the_reference(tmp_path: Path) -> None:
    proc, junit = _pytest(tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    cases = list(junit.iter("testcase"))
    assert len(cases) >= 60
    assert {"requirement", "level"} <= set(_properties(cases[0]))


def test_a_faulty_target_fails_the_requirements_it_breaks(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(fault="no-auth")) as server:
        proc, junit = _pytest(tmp_path, "--base-url", server.base_url, "--api-key", server.api_key)
    assert proc.returncode == 1
    failed = {_properties(c)["requirement"] for c in junit.iter("testcase") if c.find("failure") is not None}
    assert {"AUTH-001", "AUTH-002"} <= failed
    assert server.api_key not in proc.stdout + proc.stderr


def test_a_target_with_too_little_data_exits_3_not_green(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(sessions=1)) as server:
        proc, _junit = _pytest(tmp_path, "--base-url", server.base_url, "--api-key", server.api_key)
    assert proc.returncode == 3, proc.stdout[-1500:]
    assert "checkout-conformance: INCONCLUSIVE - Too little data to judge" in proc.stdout
