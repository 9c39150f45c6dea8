"""action.yml's steps, run with bash as a GitHub runner runs a composite action, against the
reference server: inputs reach the suite through the environment, the job summary and the
outputs are written, and the step exits with the run's code.

The runner is simulated: each step's `run` script goes to `bash --noprofile --norc -eo pipefail`
(GitHub's command for `shell: bash`), with `${{ inputs.* }}` in its `env` resolved from the
inputs and their defaults, and GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and
RUNNER_TEMP set. CONFORMANCE_ACTION_VENV points the install step at this test venv, so no
package is installed here (the install command, from the hashed lock, is checked as text below).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import build_parser
from conformance.reference.server import ReferenceConfig, start_background

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
GITLAB = REPO / "docs" / "ci" / "gitlab-ci.yml"
API_KEY = "sk_test_action0123456789abcdef"


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def _resolve(value: str, inputs: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in inputs, f"action.yml uses an undeclared input {name}"
        return inputs[name]

    resolved = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", one, value)
    assert "${{" not in resolved, f"an expression the simulated runner does not resolve: {value}"
    return resolved


def _run_action(action: dict[str, Any], given: dict[str, str], workdir: Path) -> tuple[int, str, dict[str, str]]:
    """(exit code of the first failing step or 0, the job summary, the step outputs)."""
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(given)
    summary, output = workdir / "step-summary.md", workdir / "github-output"
    summary.touch()
    runner_env = {
        "PATH": os.environ["PATH"], "HOME": str(workdir), "RUNNER_TEMP": str(workdir / "tmp"),
        "GITHUB_ACTION_PATH": str(REPO), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
        "CONFORMANCE_ACTION_VENV": sys.prefix,  # this test's venv: no install in the test
        "CONFORMANCE_CACHE_DIR": os.environ.get("CONFORMANCE_CACHE_DIR", str(workdir / "cache")),
    }
    (workdir / "tmp").mkdir()
    code = 0
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash"
        env = {**runner_env, **{k: _resolve(str(v), inputs) for k, v in step.get("env", {}).items()}}
        script = workdir / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workdir,
                              env=env, capture_output=True, text=True, timeout=300)
        assert API_KEY not in done.stdout + done.stderr
        if done.returncode:
            code = done.returncode
            break
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return code, summary.read_text(encoding="utf-8"), outputs


def test_the_action_judges_a_faulty_server_and_fails_with_its_code(action: dict[str, Any], tmp_path: Path) -> None:
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-off-by-one")) as server:
        code, summary, outputs = _run_action(action, {
            "base-url": server.base_url, "api-key": API_KEY, "profile": "quick", "report-dir": "conformance-reports",
            "args": "--only limit --seed '3'"}, tmp_path)
    assert code == 1
    assert outputs == {"verdict": "nonconformant", "report-dir": "conformance-reports"}
    assert "NONCONFORMANT" in summary and "LIM-001" in summary
    report = (tmp_path / "conformance-reports" / "report.json").read_text()
    assert '"seed": 3' in report and '"only": [\n    "limit"\n  ]' in report  # `args` reached the suite, split
    assert API_KEY not in report


def test_the_action_refuses_an_empty_base_url(action: dict[str, Any], tmp_path: Path) -> None:
    code, summary, outputs = _run_action(action, {"base-url": "", "api-key": API_KEY}, tmp_path)
    assert (code, summary, outputs) == (2, "", {})


def test_the_config_file_supplies_what_the_inputs_leave_out(action: dict[str, Any], tmp_path: Path) -> None:
    # The repository's pyproject.toml names the target, the profile and the report dir; the workflow
    # sets only the key. Profile and report dir must be the file's: no input default overrides them.
    with start_background(ReferenceConfig(api_key=API_KEY, fault="limit-off-by-one")) as server:
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.checkout-conformance]\nbase-url = "{server.base_url}"\nprofile = "quick"\n'
            'report-dir = "from-config"\nonly = ["limit"]\n', encoding="utf-8")
        code, summary, outputs = _run_action(action, {"api-key": API_KEY}, tmp_path)
    assert code == 1
    report = json.loads((tmp_path / "from-config" / "report.json").read_text())
    assert report["context"]["profile"] == "quick" and report["target"]["base_url"] == server.base_url
    assert not (tmp_path / "reports").exists()
    assert Path(outputs["report-dir"]) == tmp_path / "from-config"
    assert outputs["verdict"] == "nonconformant" and "NONCONFORMANT" in summary


def test_the_inputs_that_are_set_beat_the_config_file(action: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.checkout-conformance]\nprofile = "thorough"\n'
                                             'report-dir = "from-config"\n', encoding="utf-8")
    with start_background(ReferenceConfig(api_key=API_KEY)) as server:
        code, summary, outputs = _run_action(action, {"base-url": server.base_url, "api-key": API_KEY,
                                                      "profile": "quick", "args": "--only auth"}, tmp_path)
    assert code == 0  # the gate on --only auth passes when auth passes...
    report = json.loads((tmp_path / "from-config" / "report.json").read_text())
    assert report["context"]["profile"] == "quick"
    # ...but the verdict a reader sees says it judged part of the contract, in the summary and the output.
    assert outputs["verdict"] == "partial" and "PARTIAL" in summary and "CONFORMANT" not in summary


def test_a_refused_key_still_fills_the_summary_and_the_verdict(action: dict[str, Any], tmp_path: Path) -> None:
    # Exit 2 after the preflight: all reports were written, saying why nothing was judged.
    with start_background(ReferenceConfig(api_key="sk_test_another0123456789abcdef")) as server:
        code, summary, outputs = _run_action(action, {"base-url": server.base_url, "api-key": API_KEY}, tmp_path)
    assert code == 2
    assert outputs == {"verdict": "inconclusive", "report-dir": "reports"}
    assert "INCONCLUSIVE" in summary and "refused the API key" in summary


def test_args_that_cannot_be_split_are_refused_not_dropped(action: dict[str, Any], tmp_path: Path) -> None:
    # An unclosed quote must not silently run without the arguments (here: a whole run instead of
    # --only limit); nothing is sent, so no server is needed.
    code, summary, outputs = _run_action(action, {"base-url": "http://127.0.0.1:9", "api-key": API_KEY,
                                                  "args": "--only 'limit"}, tmp_path)
    assert (code, summary, outputs) == (2, "", {})
    assert not (tmp_path / "reports").exists()


def test_a_usage_error_does_not_publish_an_earlier_runs_summary(action: dict[str, Any], tmp_path: Path) -> None:
    # Exit 2 writes nothing: a summary.md left in the report dir by an earlier run is not this run's.
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "summary.md").write_text("## checkout-conformance: ✅ CONFORMANT (an old run)\n")
    code, summary, outputs = _run_action(action, {"base-url": "http://127.0.0.1:9", "api-key": API_KEY,
                                                  "args": "--max-requests 0"}, tmp_path)
    assert (code, summary, outputs["verdict"]) == (2, "", "")


def test_the_key_is_not_on_any_command_line(action: dict[str, Any]) -> None:
    for step in action["runs"]["steps"]:
        assert "inputs." not in step["run"]  # inputs reach scripts through env only: no injection, no argv
        assert "--api-key" not in step["run"]
    run_step = action["runs"]["steps"][-1]
    assert run_step["env"]["CONFORMANCE_API_KEY"] == "${{ inputs.api-key }}"


def test_the_gitlab_template_uses_the_actions_flags(action: dict[str, Any]) -> None:
    """Both judge a target with the same options, so a team moving between them keeps its gate."""
    run_script = action["runs"]["steps"][-1]["run"]
    action_flags = set(re.findall(r"--[a-z-]+", run_script))
    gitlab = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    command = next(line for line in gitlab["checkout-conformance"]["script"] if "checkout-conformance run" in line)
    argv = shlex.split(command.replace('"$CONFORMANCE_BASE_URL"', "https://staging.example.com"))
    gitlab_flags = {a for a in argv if a.startswith("--")}
    assert gitlab_flags <= action_flags, gitlab_flags - action_flags
    parser = build_parser()
    parser.parse_args(argv[1:])  # and it parses with the real CLI


def test_the_tls_inputs_reach_the_suite_only_when_set(action: dict[str, Any], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # An https:// staging URL behind a private CA that demands a client certificate (tests/tls.py).
    from tests.tls import API_KEY as TLS_KEY
    from tests.tls import make_pki, serve, server_context, sha256_of

    (tmp_path / "pki").mkdir()
    pki = make_pki(tmp_path / "pki")
    cert, key = pki.client_files("gateway")
    leaf = pki.leaf()
    with serve(monkeypatch, server_context(leaf, client_ca=pki.ca)) as target:
        given = {"base-url": target.base_url, "api-key": TLS_KEY, "profile": "quick", "args": "--only limit"}
        (tmp_path / "without").mkdir()
        code, summary, outputs = _run_action(action, given, tmp_path / "without")
        # No CA given: refused before anything was sent; the reports say so, and the output with them.
        assert code == 2 and outputs["verdict"] == "inconclusive"
        assert target.http_requests == []
        code, summary, outputs = _run_action(action, {**given, "ca-bundle": str(pki.ca_file),
                                                      "client-cert": str(cert), "client-key": str(key)}, tmp_path)
    assert code == 0, summary
    assert outputs["verdict"] == "partial"  # --only limit: judged, and held, but not the whole catalog
    certificate = (tmp_path / "reports" / "certificate.json").read_text()
    assert sha256_of(leaf) in certificate


@pytest.mark.parametrize("args", ["--help", "--only limit -h"])
def test_args_asking_for_help_are_refused_not_a_green_step(action: dict[str, Any], tmp_path: Path, args: str) -> None:
    # `run --help` prints and exits 0: a gate that judged nothing must not pass, nor leak help into outputs.
    code, summary, outputs = _run_action(action, {"base-url": "http://127.0.0.1:9", "api-key": API_KEY,
                                                  "args": args}, tmp_path)
    assert (code, summary, outputs) == (2, "", {})


@pytest.mark.parametrize("strict", ["yes", "1", "on"])
def test_a_strict_input_other_than_true_or_false_is_refused(action: dict[str, Any], tmp_path: Path,
                                                            strict: str) -> None:
    # A correct server, --only auth: a run would pass (exit 0), so only the refusal gives 2.
    with start_background(ReferenceConfig(api_key=API_KEY)) as server:
        code, summary, outputs = _run_action(action, {"base-url": server.base_url, "api-key": API_KEY,
                                                      "strict": strict, "args": "--only auth"}, tmp_path)
    assert (code, summary, outputs) == (2, "", {})
    assert not (tmp_path / "reports").exists()


def test_the_action_installs_from_the_hashed_lock(action: dict[str, Any]) -> None:
    install = action["runs"]["steps"][0]["run"]
    # As the README installs: every dependency pinned by hash, then the suite alone without resolving.
    assert '--require-hashes -r "$GITHUB_ACTION_PATH/requirements/run.txt"' in install
    assert 'install --quiet --no-deps --no-build-isolation "$GITHUB_ACTION_PATH"' in install
    assert 'pip" install --quiet "$GITHUB_ACTION_PATH"' not in install
