"""Every install of the repository comes from the lock, and the lock agrees with what it pins for.

The README's two commands and `.ci/run` install `requirements/run.txt` / `requirements/test.txt`
in pip's hash-checking mode; these tests fail when the lock and `pyproject.toml`, the shipped
pre-drawn requests or the running environment drift apart (issue 19).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PREDRAWN = REPO / "conformance" / "checks" / "predrawn.json"
# Not distributions the project depends on: the venv's own installer (not pinned, on purpose: README.md,
# "Development") and the project itself.
_VENV_OWN = {"pip", "setuptools"}
_NOT_LOCKED = {*_VENV_OWN, "checkout-conformance"}
# pip's first release with PEP 660 editable installs (`pip install --no-build-isolation -e .` of a
# hatchling project); hash-checking mode is older.
_PIP_NEEDED = (21, 3)


def _locked(name: str) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} for the entries of requirements/NAME.txt
    that apply to this interpreter (an entry's environment marker is evaluated here)."""
    text = (REPO / "requirements" / f"{name}.txt").read_text(encoding="utf-8")
    entries: dict[str, tuple[str, int]] = {}
    # An entry: "name==version [; marker] \" then its "--hash=sha256:..." continuation lines.
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = block.split("\\", 1)[0].strip()
        if not head or head.startswith("#"):
            continue
        requirement = Requirement(head)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{head}: a lock pins exact versions"
        entries[canonicalize_name(requirement.name)] = (spec.version, block.count("--hash=sha256:"))
    return entries


def _declared(extra: str | None) -> list[Requirement]:
    names = list(PYPROJECT["project"]["dependencies"])
    if extra:
        names += PYPROJECT["project"]["optional-dependencies"][extra]
    return [Requirement(r) for r in names]


@pytest.mark.parametrize(("lock", "extra"), [("run", None), ("test", "test")])
def test_the_lock_pins_every_declared_dependency_within_its_range_with_hashes(lock: str, extra: str | None) -> None:
    locked = _locked(lock)
    for requirement in _declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in locked, \
            f"{requirement.name} is declared in pyproject.toml but not pinned in requirements/{lock}.txt"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), \
            f"requirements/{lock}.txt pins {name}=={version}, outside pyproject.toml's {requirement.specifier}"
        assert hashes >= 1
    assert all(hashes >= 1 for _, hashes in locked.values()), "every locked distribution carries its hashes"
    # The build backend is locked too, so `pip install --no-build-isolation -e .` fetches nothing.
    assert {"hatchling", "editables"} <= set(locked)


def test_the_test_lock_agrees_with_the_run_lock() -> None:
    run, test = _locked("run"), _locked("test")
    assert {name: v for name, (v, _) in run.items()} == {name: test[name][0] for name in run}


def test_the_lock_holds_the_library_versions_the_shipped_cases_were_drawn_with() -> None:
    entries = json.loads(PREDRAWN.read_text(encoding="utf-8"))["entries"]
    for lock in ("run", "test"):
        locked = _locked(lock)
        for entry in entries:
            for library in ("schemathesis", "hypothesis"):
                assert locked[library][0] == entry["versions"][library], (
                    f"requirements/{lock}.txt pins {library} {locked[library][0]} but the shipped cases were drawn "
                    f"with {entry['versions'][library]}: move requirements/pins.txt and redraw together")


@pytest.mark.skipif(os.environ.get("CONFORMANCE_UNLOCKED") == "1",
                    reason="tox -e latest installs the newest allowed versions on purpose")
def test_every_installed_distribution_is_the_locked_one() -> None:
    locked = _locked("test")
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    stray = {name: version for name, version in installed.items()
             if name not in _NOT_LOCKED and locked.get(name, ("", 0))[0] != version}
    assert not stray, (f"installed but not as locked in requirements/test.txt: {stray} "
                       f"(python {default_environment()['python_full_version']})")


def test_every_install_command_of_the_repository_uses_the_lock() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(python3 -m venv .*)\n", readme)
    assert len(commands) == 2
    assert "pip install --require-hashes -r requirements/run.txt && pip install --no-deps --no-build-isolation -e ." \
        in commands[0]
    assert "pip install --require-hashes -r requirements/test.txt && pip install --no-deps --no-build-isolation -e ." \
        in commands[1]
    assert commands[1] in ci.splitlines(), ".ci/run runs the README's test command verbatim"
    assert "pip install -e" not in readme.split("## Development", 1)[0]


def test_the_venvs_own_pip_and_setuptools_are_left_as_the_readme_says() -> None:
    """README.md says why the venv's pip and setuptools are not pinned: the locks must not pin them
    (an install from them would then need a pip bootstrap the commands do not do), and the pip the
    commands run with must be able to do what they ask (the venv's bundled one, in `.ci/run`)."""
    development = (REPO / "README.md").read_text(encoding="utf-8").split("## Development", 1)[1]
    assert "pip and setuptools" in development and "are not pinned" in development
    for lock in ("run", "test"):
        text = (REPO / "requirements" / f"{lock}.txt").read_text(encoding="utf-8")
        pinned = {canonicalize_name(m) for m in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", text, re.M)}
        assert not pinned & _VENV_OWN, f"requirements/{lock}.txt pins {pinned & _VENV_OWN}: README says it does not"
    pip = tuple(int(part) for part in re.findall(r"\d+", metadata.version("pip"))[:2])
    assert pip >= _PIP_NEEDED, f"pip {metadata.version('pip')} cannot do `pip install --no-build-isolation -e .`"
