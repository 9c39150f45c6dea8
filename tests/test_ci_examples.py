"""The CI examples in docs/ci/ are valid YAML, use the README's install command, and every
`checkout-conformance ...` command in them (and in docs/ci.md) parses with the real CLI parser."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
GITHUB = REPO / "docs" / "ci" / "github-actions.yml"
GITLAB = REPO / "docs" / "ci" / "gitlab-ci.yml"
GUIDE = REPO / "docs" / "ci.md"

# What the placeholders stand for when a command line is parsed.
ENV = {
    "CONFORMANCE_BASE_URL": "https://staging.example.com",
    "CONFORMANCE_API_KEY": "sk_test_placeholder",
    "CONFORMANCE_SUITE_URL": "https://github.com/your-org/checkout-conformance.git",
    "GITHUB_STEP_SUMMARY": "/tmp/summary",
    "CI_PROJECT_DIR": "/builds/project",
}
# `checkout-conformance` followed by arguments, up to the end of the shell command.
COMMAND = re.compile(r"(?:^|&&|\|\||;)\s*(checkout-conformance\s+[^;&|]+)")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _commands(texts: Iterator[str]) -> list[str]:
    found = []
    for text in texts:
        for line in text.splitlines():
            found += [m.strip() for m in COMMAND.findall(line.strip())]
    return found


def _substitute(command: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in ENV, f"unknown placeholder ${name} in {command!r}"
        return ENV[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, command)


def _guide_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    return _commands(iter(blocks))


def _readme_install() -> str:
    """The README's install command: its first command line, up to `&& checkout-conformance`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.*?)\n", readme)
    assert first is not None
    install, sep, _ = first.group(1).partition(" && checkout-conformance")
    assert sep and "pip install --require-hashes -r requirements/run.txt" in install
    return install


@pytest.fixture(scope="module")
def github() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def gitlab() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    return loaded


def _steps(github: dict[Any, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = github["jobs"]["conformance"]["steps"]
    return steps


def test_examples_are_yaml_mappings(github: dict[Any, Any], gitlab: dict[Any, Any]) -> None:
    assert isinstance(github, dict) and "jobs" in github
    assert isinstance(gitlab, dict) and "checkout-conformance" in gitlab


@pytest.mark.parametrize("source", ["github", "gitlab", "guide"])
def test_every_command_parses_with_the_real_parser(source: str, github: dict[Any, Any],
                                                   gitlab: dict[Any, Any]) -> None:
    commands = {"github": lambda: _commands(_strings(github)), "gitlab": lambda: _commands(_strings(gitlab)),
                "guide": _guide_commands}[source]()
    assert any(c.startswith("checkout-conformance run") for c in commands), commands
    parser = build_parser()
    for command in commands:
        argv = shlex.split(_substitute(command))
        assert argv[0] == "checkout-conformance"
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit as exc:  # argparse's way of refusing
            pytest.fail(f"{source}: {command!r} does not parse (exit {exc.code})")
        if args.command == "run":
            assert args.base_url, f"{source}: {command!r} names no target"
            assert "--api-key" not in argv or source == "guide", "CI passes the key through the environment only"


def test_ci_runs_gate_on_the_secret_target(github: dict[Any, Any], gitlab: dict[Any, Any]) -> None:
    for text in (GITHUB.read_text(encoding="utf-8"), GITLAB.read_text(encoding="utf-8")):
        assert 'test -n "$CONFORMANCE_BASE_URL"' in text  # an empty secret must not judge the embedded server
    run_step = next(s for s in _steps(github) if "checkout-conformance run" in s.get("run", ""))
    assert run_step["env"] == {"CONFORMANCE_BASE_URL": "${{ secrets.CONFORMANCE_BASE_URL }}",
                               "CONFORMANCE_API_KEY": "${{ secrets.CONFORMANCE_API_KEY }}"}
    assert "continue-on-error" not in run_step  # exit 1 fails the job


def test_the_cli_reads_the_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFORMANCE_BASE_URL", ENV["CONFORMANCE_BASE_URL"])
    monkeypatch.setenv("CONFORMANCE_API_KEY", ENV["CONFORMANCE_API_KEY"])
    args = build_parser().parse_args(["run"])
    assert (args.base_url, args.api_key) == (ENV["CONFORMANCE_BASE_URL"], ENV["CONFORMANCE_API_KEY"])


def test_install_command_is_the_readmes(github: dict[Any, Any], gitlab: dict[Any, Any]) -> None:
    install = _readme_install()
    assert install == ("python3 -m venv .venv && . .venv/bin/activate"
                       " && pip install --require-hashes -r requirements/run.txt"
                       " && pip install --no-deps --no-build-isolation -e .")
    for source, texts in (("github", _strings(github)), ("gitlab", _strings(gitlab))):
        lines = [line.strip().removeprefix("- ") for text in texts for line in text.splitlines()]
        assert install in lines, f"{source} does not install with the README's command"
    assert install in GUIDE.read_text(encoding="utf-8")


def test_reports_are_kept_and_summarised_even_on_failure(github: dict[Any, Any], gitlab: dict[Any, Any]) -> None:
    steps = _steps(github)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"].rstrip("/") == "reports"
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()"
    assert 'cat reports/summary.md >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    job = gitlab["checkout-conformance"]
    assert job["artifacts"]["when"] == "always"
    assert [p.rstrip("/") for p in job["artifacts"]["paths"]] == ["reports"]
    assert job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
