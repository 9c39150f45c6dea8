"""The README matches the tool: every option documented, every instruction runnable."""

from __future__ import annotations

import argparse
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from conformance.cli import build_parser
from conformance.generation_cache import CACHE_ENV

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
CI_GUIDE = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _options(name: str) -> list[str]:
    return [opt for action in _subparser(name)._actions for opt in action.option_strings
            if opt.startswith("--") and opt != "--help"]


def test_every_run_option_is_in_the_readme_table() -> None:
    table = [line for line in README.splitlines() if line.startswith("| `--")]
    for option in _options("run"):
        assert any(f"`{option}" in row for row in table), f"{option} is missing from the README's option table"


def test_every_serve_option_is_in_the_readme() -> None:
    for option in _options("serve"):
        assert option in README, f"serve {option} is missing from the README"


@pytest.mark.parametrize("command", ["run", "serve", "verify"])
def test_help_describes_every_option(command: str) -> None:
    subparser = _subparser(command)
    assert subparser.description
    assert "exit" in (subparser.epilog or "").lower()
    for action in subparser._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help text"


def test_the_documented_development_commands_are_installed_by_the_test_extra() -> None:
    extra = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower() for requirement in extra["test"]}
    assert "tox -e test" in README
    assert "tox" in names
    assert "pytest-base-url" in names  # the plugin is tested beside it


def test_exit_codes_and_the_cache_are_documented() -> None:
    for text in ("**0** conformant", "**1** nonconformant", "**2** usage", "**3** inconclusive",
                 "**130** interrupted", "~/.cache/checkout-conformance", CACHE_ENV):
        assert text in README, text


def test_the_local_ci_example_uses_the_key_serve_is_given() -> None:
    block = CI_GUIDE.split("To see a passing run locally", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip().rstrip("&").strip() for line in block.strip().splitlines()]
    key = next(line for line in lines if line.startswith("export ")).split("=", 1)[1]
    env = {"CONFORMANCE_API_KEY": key}
    serve_line = next(line for line in lines if line.startswith("checkout-conformance serve"))
    run_line = next(line for line in lines if line.startswith("checkout-conformance run"))
    argv = [arg.replace('"$CONFORMANCE_API_KEY"', key) for arg in shlex.split(
        serve_line.replace('"$CONFORMANCE_API_KEY"', key))][1:]
    serve = build_parser().parse_args(argv)
    assert serve.api_key == env["CONFORMANCE_API_KEY"]
    run_argv = shlex.split(run_line)[1:]
    assert "--api-key" not in run_argv  # read from the exported CONFORMANCE_API_KEY
    assert f"--port {serve.port}" in serve_line and f":{serve.port}" in run_line
