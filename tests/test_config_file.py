"""`run` reads [tool.checkout-conformance] from ./pyproject.toml or --config PATH:
flags > environment > file > defaults; keys are option names; secrets and unknown keys refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.cli import build_parser, main
from conformance.config_file import parse_with_config

API_KEY = "sk_test_config0123456789abcdef"


def _args(argv: list[str]) -> object:
    return parse_with_config(build_parser(), argv)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONFORMANCE_BASE_URL", raising=False)
    monkeypatch.setenv("CONFORMANCE_API_KEY", API_KEY)
    return tmp_path


def _pyproject(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.checkout-conformance]\n{body}\n")


def test_a_run_takes_its_options_from_pyproject(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pyproject(project, 'profile = "quick"\nseed = 7\nonly = ["limit"]\nreport-dir = "out"\nquiet = true\n'
                        'max-requests = 500\ntimeout = 5\n')
    assert main(["run"]) == 0
    report = json.loads((project / "out" / "report.json").read_text())
    assert report["context"]["profile"] == "quick" and report["context"]["seed"] == 7
    assert report["only"] == ["limit"]
    assert capsys.readouterr().err == ""  # quiet = true: no progress lines


def test_flags_beat_the_environment_which_beats_the_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pyproject(project, 'base-url = "https://file.example.com"\nseed = 7\nheader = ["X-Team: payments"]\n'
                        "rate-limit = 5\nconcurrency = 2")
    args = _args(["run"])
    assert (args.base_url, args.seed, args.header) == ("https://file.example.com", 7, [("X-Team", "payments")])
    assert (args.rate_limit, args.concurrency) == (5, 2)
    monkeypatch.setenv("CONFORMANCE_BASE_URL", "https://env.example.com")
    assert _args(["run"]).base_url == "https://env.example.com"
    args = _args(["run", "--base-url", "https://flag.example.com", "--seed", "3", "--header", "X-Team: risk"])
    assert (args.base_url, args.seed) == ("https://flag.example.com", 3)
    assert args.header == [("X-Team", "risk")]  # a repeatable flag replaces the file's list, not extends it


def test_a_repeatable_flag_replaces_the_files_list(project: Path) -> None:
    # `--only limit` judges limit only, not the file's areas plus limit (flags beat the file).
    _pyproject(project, 'only = ["pagination"]\nheader = ["X-Team: payments"]')
    args = _args(["run", "--only", "limit", "--header", "X-Debug: 1"])
    assert (args.only, args.header) == (["limit"], [("X-Debug", "1")])
    assert _args(["run"]).only == ["pagination"]


def test_a_flag_turns_off_what_the_file_turns_on(project: Path) -> None:
    # strict = true gates CI; a one-off look without it must not need an edit of the committed file.
    _pyproject(project, "strict = true\nquiet = true")
    assert (_args(["run"]).strict, _args(["run"]).quiet) == (True, True)
    args = _args(["run", "--no-strict", "--no-quiet"])
    assert (args.strict, args.quiet) == (False, False)


def test_an_empty_environment_base_url_is_refused_not_replaced_by_the_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # CI sets CONFORMANCE_BASE_URL from a secret to override the file's target; a missing secret is
    # "" and must not silently judge the file's target instead (README: set but empty is exit 2).
    _pyproject(project, 'base-url = "https://file.example.com"')
    monkeypatch.setenv("CONFORMANCE_BASE_URL", "")
    assert main(["run", "--report-dir", "out"]) == 2
    assert "CONFORMANCE_BASE_URL is set but empty" in capsys.readouterr().err
    assert not (project / "out").exists()


def test_without_a_table_nothing_changes(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert vars(_args(["run"])) == vars(build_parser().parse_args(["run"]))


def test_config_option_reads_a_file_and_paths_are_relative_to_it(project: Path) -> None:
    config = project / "ci" / "conformance.toml"
    config.parent.mkdir()
    config.write_text('report-dir = "reports"\nwaivers = "waivers.yaml"\nstrict = true\n')
    args = _args(["run", "--config", str(config)])
    assert args.report_dir == project / "ci" / "reports" and args.waivers == project / "ci" / "waivers.yaml"
    assert args.strict is True


@pytest.mark.parametrize(("body", "says"), [
    pytest.param('api-key = "sk_test_x"', "CONFORMANCE_API_KEY", id="api-key"),
    pytest.param('base_url = "https://x.example.com"', "'base_url'", id="unknown-key"),
    pytest.param('max-requests = "500"', "max-requests must be a number", id="string-for-number"),
    pytest.param('rate-limit = "5"', "rate-limit must be a number", id="string-for-optional-number"),
    pytest.param('strict = "yes"', "strict must be true or false", id="string-for-bool"),
    pytest.param('profile = "fast"', "profile must be one of", id="not-a-choice"),
    pytest.param("timeout = 0", "timeout", id="out-of-range"),
    pytest.param('only = "limit"', "only must be a list of strings", id="string-for-list"),
    pytest.param('header = ["Authorization: Basic x"]', "--api-key", id="refused-header"),
    pytest.param('header = ["X-Tenant-Token: t0k3n"]', "looks like a secret", id="secret-header"),
    pytest.param("profile = ", "not valid TOML", id="not-toml"),
])
def test_bad_files_are_usage_errors_before_anything_is_sent(
    project: Path, capsys: pytest.CaptureFixture[str], body: str, says: str
) -> None:
    # No base-url anywhere: were the file accepted, the embedded reference would be judged and reports written.
    _pyproject(project, body)
    assert main(["run", "--report-dir", "out"]) == 2
    err = capsys.readouterr().err
    assert says in err and "pyproject.toml" in err and len(err.strip().splitlines()) == 1
    assert not (project / "out").exists()


def test_a_missing_config_file_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--config", "nope.toml"]) == 2
    assert "nope.toml does not exist" in capsys.readouterr().err


def test_the_readme_example_is_a_valid_config(project: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", readme, flags=re.S)
    assert example is not None
    (project / "pyproject.toml").write_text(example.group(1))
    args = _args(["run"])
    assert (args.base_url, args.strict, args.only) == ("https://staging.example.com", True, ["pagination", "limit"])
    assert args.waivers == project / "conformance" / "waivers.yaml"
