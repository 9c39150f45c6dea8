"""The checks inside a team's own pytest run: `pytest --pyargs conformance.checks`."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.reference.server import ReferenceConfig, start_background
from conformance.signing import generate_keypair


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    env.update({k: v for k, v in changes.items() if v is not None})
    return env


def _pytest(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str],
                                                                                    ET.Element]:
    junit = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q",
         "--conformance-profile", "quick", f"--junitxml={junit}", *args],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env or _env(),
    )
    return proc, ET.parse(junit).getroot()


def _properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def test_one_test_per_requirement_passes_against_the_reference(tmp_path: Path) -> None:
    proc, junit = _pytest(tmp_path, "--conformance-self-test", env=_env(CI="true"))
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert ("checkout-conformance: CONFORMANT (the embedded reference server: a self-test, not a target)"
            in proc.stdout)
    cases = list(junit.iter("testcase"))
    assert len(cases) >= 60
    assert {"requirement", "level"} <= set(_properties(cases[0]))


def test_a_faulty_target_fails_the_requirements_it_breaks(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(fault="no-auth")) as server:
        proc, junit = _pytest(tmp_path, "--conformance-base-url", server.base_url,
                                  "--conformance-api-key", server.api_key)
    assert proc.returncode == 1
    failed = {_properties(c)["requirement"] for c in junit.iter("testcase") if c.find("failure") is not None}
    assert {"AUTH-001", "AUTH-002"} <= failed
    assert server.api_key not in proc.stdout + proc.stderr


def test_a_target_with_too_little_data_exits_3_not_green(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(sessions=1)) as server:
        proc, _junit = _pytest(tmp_path, "--conformance-base-url", server.base_url,
                                  "--conformance-api-key", server.api_key)
    assert proc.returncode == 3, proc.stdout[-1500:]
    assert f"checkout-conformance: INCONCLUSIVE ({server.base_url}) - Too little data to judge" in proc.stdout


# pytest-base-url (a dependency of pytest-playwright and pytest-selenium) owns --base-url;
# it is in the `test` extra so these run where the README says to run the tests.
needs_pytest_base_url = pytest.mark.skipif(importlib.util.find_spec("pytest_base_url") is None,
                                           reason="pytest-base-url is not installed (pip install -e '.[test]')")


@needs_pytest_base_url
def test_an_unrelated_pytest_run_works_beside_pytest_base_url(tmp_path: Path) -> None:
    (tmp_path / "test_unrelated.py").write_text(
        "def test_base_url_is_pytest_base_urls(base_url):\n    assert base_url == 'http://app.example'\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "no:xdist",
                           "--base-url", "http://app.example", "test_unrelated.py"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env())
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    assert "1 passed" in proc.stdout


@needs_pytest_base_url
def test_the_readme_plugin_command_works_beside_pytest_base_url(tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("pytest --pyargs conformance.checks"))
    assert "--conformance-api-key" not in command  # the key travels in $CONFORMANCE_API_KEY, not in argv
    with start_background(ReferenceConfig(sessions=30, fault="no-auth")) as server:
        argv = shlex.split(command.replace("https://staging.example.com", server.base_url))
        assert argv[:3] == ["pytest", "--pyargs", "conformance.checks"], argv
        proc, junit = _pytest(tmp_path, *argv[3:], env=_env(CONFORMANCE_API_KEY=server.api_key))
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-1500:]
    failed = {_properties(c)["requirement"] for c in junit.iter("testcase") if c.find("failure") is not None}
    assert "AUTH-001" in failed


@needs_pytest_base_url
def test_pytest_base_urls_option_is_refused_not_silently_replaced_by_the_embedded_reference(tmp_path: Path) -> None:
    # `--base-url` is pytest-base-url's: taken for the target, it would judge the embedded reference: green.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q",
         "--base-url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env(),
    )
    assert proc.returncode == 2, proc.stdout[-1500:]
    assert "--base-url is pytest-base-url's option, not the conformance target" in proc.stdout + proc.stderr


@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_empty_target_is_a_usage_error_not_the_embedded_reference(tmp_path: Path, how: str) -> None:
    args = ("--conformance-base-url", "") if how == "flag" else ()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q", *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env=_env(CONFORMANCE_BASE_URL="" if how == "env" else None),
    )
    assert proc.returncode == 2, proc.stdout[-1500:]
    sentence = ("--conformance-base-url is empty" if how == "flag"
                else "CONFORMANCE_BASE_URL is set but empty (a missing CI secret?)")
    assert sentence in proc.stdout + proc.stderr


def test_the_plugin_keeps_to_its_concurrency(tmp_path: Path) -> None:
    from tests.support.scripted import in_flight_proxy

    with start_background(ReferenceConfig()) as server, in_flight_proxy(server.base_url) as proxy:
        proc, _junit = _pytest(tmp_path, "--conformance-base-url", proxy.base_url,
                               "--conformance-api-key", server.api_key, "--conformance-concurrency", "2",
                               "--conformance-rate-limit", "5000")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert proxy.most == 2


@pytest.mark.parametrize(("flag", "value", "sentence"), [
    ("--conformance-concurrency", "0", "--conformance-concurrency takes 1 to 16 requests in flight, got 0."),
    ("--conformance-concurrency", "17", "--conformance-concurrency takes 1 to 16 requests in flight, got 17."),
    ("--conformance-rate-limit", "0", "--conformance-rate-limit takes requests per second above 0 and at most "
                                      "10000, got 0."),
    ("--conformance-rate-limit", "nan", "--conformance-rate-limit takes requests per second above 0 and at most "
                                        "10000, got nan."),
])
def test_a_bad_concurrency_or_rate_is_a_usage_error_before_anything_is_sent(tmp_path: Path, flag: str, value: str,
                                                                               sentence: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q",
         "--conformance-base-url", "http://127.0.0.1:9", flag, value],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env(),
    )
    assert proc.returncode == 2, proc.stdout[-1500:]
    assert f"checkout-conformance: {sentence}" in proc.stdout + proc.stderr


# limit-off-by-one serves one item too few per page: with --only limit it breaks LIM-001, LIM-002
# and LIM-004 (`serve --list-faults`), as tests/test_waivers.py shows for the CLI.
LIMIT_BROKEN = {"LIM-001", "LIM-002", "LIM-004"}
WAIVERS = "".join(f"- requirement: {r}\n  reason: fix tracked in PAY-1\n  expires: 2999-12-31\n"
                  for r in sorted(LIMIT_BROKEN))


def _project(folder: Path, base_url: str, waivers: bool = False) -> Path:
    """A team's project folder: its pyproject.toml names the target, as the README teaches."""
    folder.mkdir()
    table = f'[tool.checkout-conformance]\nbase-url = "{base_url}"\nprofile = "quick"\nonly = ["limit"]\n' \
            'report-dir = "conformance-reports"\n'
    if waivers:
        (folder / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
        table += 'waivers = "waivers.yaml"\n'
    (folder / "pyproject.toml").write_text(table, encoding="utf-8")
    return folder


def _plugin(folder: Path, api_key: str, *args: str) -> tuple[subprocess.CompletedProcess[str], ET.Element]:
    junit = folder / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q",
         f"--junitxml={junit}", *args],
        capture_output=True, text=True, timeout=300, cwd=folder, env=_env(CONFORMANCE_API_KEY=api_key, CI="true"))
    return proc, ET.parse(junit).getroot()


def _cli(folder: Path, api_key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", "run", "--quiet"], capture_output=True, text=True,
                          timeout=300, cwd=folder, env=_env(CONFORMANCE_API_KEY=api_key, CI="true"))


def test_the_plugin_judges_the_target_the_config_file_names_and_fails_it(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(fault="limit-off-by-one")) as server:
        folder = _project(tmp_path / "project", server.base_url)
        proc, junit = _plugin(folder, server.api_key)
        cli = _cli(folder, server.api_key)
    assert proc.returncode == 1 and cli.returncode == 1, proc.stdout[-2000:]
    failed = {_properties(c)["requirement"] for c in junit.iter("testcase") if c.find("failure") is not None}
    assert failed == LIMIT_BROKEN
    assert f"checkout-conformance: NONCONFORMANT ({server.base_url})" in proc.stdout
    assert "embedded reference" not in proc.stdout
    # The same reports as `run` writes, into the config file's report dir, about the configured target.
    report = json.loads((folder / "conformance-reports" / "report.json").read_text())
    assert report["target"] == {"base_url": server.base_url, "embedded_reference": False, "tls": None}
    assert report["context"]["profile"] == "quick" and report["only"] == ["limit"]
    assert {p.name for p in (folder / "conformance-reports").iterdir()} >= {
        "report.json", "junit.xml", "report.html", "summary.md", "exchanges.jsonl", "certificate.json"}
    assert server.api_key not in proc.stdout + proc.stderr


def test_the_plugin_honours_the_config_files_waivers_as_the_cli_does(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(fault="limit-off-by-one")) as server:
        folder = _project(tmp_path / "project", server.base_url, waivers=True)
        proc, junit = _plugin(folder, server.api_key)
        cli = _cli(folder, server.api_key)
    assert (proc.returncode, cli.returncode) == (0, 0), proc.stdout[-2000:]
    assert not [c for c in junit.iter("testcase") if c.find("failure") is not None]
    report = json.loads((folder / "conformance-reports" / "report.json").read_text())
    assert {r["id"] for r in report["requirements"] if r["verdict"] == "waived"} == LIMIT_BROKEN
    # An accepted failure is no pass: skipped with its waiver, as junit.xml of `run` says it.
    waived = {_properties(c)["requirement"]: c.find("skipped") for c in junit.iter("testcase")
              if _properties(c)["requirement"] in LIMIT_BROKEN}
    assert all(s is not None and s.get("message", "").startswith("waived (fail) until 2999-12-31: fix tracked in PAY-1")
               for s in waived.values()), {i: s is not None and s.attrib for i, s in waived.items()}
    # --only limit, waived failures: the scoped verdict says both; the gate passes.
    assert report["verdict"] == report["scope"]["verdict"] == "partial-with-waivers"
    assert f"checkout-conformance: PARTIAL-WITH-WAIVERS ({server.base_url})" in proc.stdout


def test_the_plugin_signs_with_the_config_files_sign_key_as_run_does(tmp_path: Path) -> None:
    private, public, _ = generate_keypair(tmp_path / "keys")
    with start_background(ReferenceConfig()) as server:
        folder = _project(tmp_path / "project", server.base_url)
        pyproject = folder / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + f'sign-key = "{private}"\n', encoding="utf-8")
        proc, _junit = _plugin(folder, server.api_key)
    assert proc.returncode == 0, proc.stdout[-2000:]
    verified = subprocess.run([sys.executable, "-m", "conformance", "verify", str(folder / "conformance-reports"),
                               "--public-key", str(public)], capture_output=True, text=True, timeout=300)
    assert verified.returncode == 0, verified.stderr
    assert "signature: certificate.sig is valid" in verified.stdout


def test_a_sign_key_with_no_report_dir_is_refused_not_dropped(tmp_path: Path) -> None:
    private, _public, _ = generate_keypair(tmp_path / "keys")
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(f'[tool.checkout-conformance]\nsign-key = "{private}"\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider",
                           "-q", "--conformance-self-test"], capture_output=True, text=True, timeout=300, cwd=folder,
                          env=_env(CI="true"))
    assert proc.returncode == 2, proc.stdout[-1500:]
    assert "checkout-conformance: sign-key is set" in proc.stdout + proc.stderr


def test_a_flag_beats_the_config_file(tmp_path: Path) -> None:
    with start_background(ReferenceConfig(fault="limit-off-by-one")) as server:
        folder = _project(tmp_path / "project", server.base_url)
        proc, _junit = _plugin(folder, server.api_key, "--conformance-only", "auth",
                               "--conformance-report-dir", "elsewhere")
    assert proc.returncode == 0, proc.stdout[-2000:]
    report = json.loads((folder / "elsewhere" / "report.json").read_text())
    assert report["only"] == ["auth"] and not (folder / "conformance-reports").exists()


def test_no_target_anywhere_is_said_loudly_and_refused_under_ci(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env(CI="true"))
    assert proc.returncode == 2, proc.stdout[-1500:]
    assert "NO TARGET NAMED, and under CI=true the plugin will not judge its own embedded reference server" \
        in proc.stdout + proc.stderr
    assert " passed" not in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q",
         "--conformance-profile", "quick"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env(CI="false"))
    assert proc.returncode == 0, proc.stdout[-1500:]
    assert ("checkout-conformance: NO TARGET NAMED: these tests judged the suite's own embedded reference "
            "server (a self-test), not your API.") in proc.stdout


def test_an_https_target_behind_a_private_ca_with_mutual_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tls import API_KEY as TLS_KEY
    from tests.tls import make_pki, serve, server_context

    (tmp_path / "pki").mkdir()
    pki = make_pki(tmp_path / "pki")
    cert, key = pki.client_files("gateway")
    with serve(monkeypatch, server_context(pki.leaf(), client_ca=pki.ca)) as target:
        target_args = ("--conformance-base-url", target.base_url, "--conformance-api-key", TLS_KEY,
                       "--conformance-only", "limit")
        refused = subprocess.run(
            [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-q",
             "--conformance-profile", "quick", *target_args],
            capture_output=True, text=True, timeout=300, cwd=tmp_path, env=_env())
        assert refused.returncode == 2
        assert "certificate verify failed: issuer not trusted; pass the CA with --conformance-ca-bundle" in \
            refused.stdout + refused.stderr
        assert target.http_requests == []
        proc, _ = _pytest(tmp_path, *target_args, "--conformance-client-cert", str(cert),
                          "--conformance-client-key", str(key),
                          # REQUESTS_CA_BUNDLE, set machine-wide on some machines, would come first.
                          env=_env(SSL_CERT_FILE=str(pki.ca_file), REQUESTS_CA_BUNDLE=""))
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert f"checkout-conformance: PARTIAL ({target.base_url})" in proc.stdout  # --conformance-only limit
    assert target.http_requests


def test_the_plugin_judges_the_operations_of_the_document_it_is_given(tmp_path: Path) -> None:
    from conformance.resources import family_path

    # A fault in invoices only: the invoices run fails the requirement it breaks, naming the operation.
    with start_background(ReferenceConfig(faults={"GET /v1/invoices": "limit-zero-accepted"})) as server:
        proc, junit = _pytest(tmp_path, "--conformance-base-url", server.base_url,
                              "--conformance-api-key", server.api_key, "--conformance-spec", str(family_path()),
                              "--conformance-operation", "GET /v1/customers",
                              "--conformance-operation", "GET /v1/invoices")
        assert proc.returncode == 1, proc.stdout[-2000:]
        failures = {_properties(c)["requirement"]: (c.find("failure").get("message") or "")  # type: ignore[union-attr]
                    for c in junit.iter("testcase") if c.find("failure") is not None}
        assert set(failures) == {"LIM-005"}
        assert "[GET /v1/invoices]" in failures["LIM-005"]
        # Customers alone: no fault there, so the same document passes.
        proc, _junit = _pytest(tmp_path, "--conformance-base-url", server.base_url,
                               "--conformance-api-key", server.api_key, "--conformance-spec", str(family_path()),
                               "--conformance-operation", "GET /v1/customers")
    assert proc.returncode == 0, proc.stdout[-2000:]
