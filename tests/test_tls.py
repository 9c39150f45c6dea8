"""HTTPS targets through the command line: private CAs (flag, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, the
config file), mutual TLS, a CONNECT proxy, and each TLS failure named before the run sends anything.

The target is the reference server behind a throw-away CA (tests/tls.py). Every failure is exit 2 with
one sentence naming the cause, and the target's HTTP layer received nothing; every success is exit 0
with certificate.json naming the server's certificate by the SHA-256 computed here from trustme's PEM.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from conformance.cli import main
from tests.tls import API_KEY, PROXIED_HOST, ConnectProxy, Pki, Target, make_pki, serve, server_context, sha256_of

_AMBIENT = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "CONFORMANCE_BASE_URL",
            "CONFORMANCE_API_KEY", *(f"{name}_proxy" for name in ("https", "http", "all", "no")),
            *(f"{name}_PROXY" for name in ("HTTPS", "HTTP", "ALL", "NO")))


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no pyproject.toml of ours is read as a config file


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    (tmp_path / "pki").mkdir()
    return make_pki(tmp_path / "pki")


def _run(target: Target | str, tmp_path: Path, *extra: str) -> int:
    base_url = target if isinstance(target, str) else target.base_url
    return main(["run", "--base-url", base_url, "--api-key", API_KEY, "--profile", "quick", "--quiet",
                 "--report-dir", str(tmp_path / "reports"), *extra])


def _certificate(tmp_path: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((tmp_path / "reports" / "certificate.json").read_text())
    return loaded


def _tls_of(tmp_path: Path) -> dict[str, str] | None:
    target = _certificate(tmp_path)["target"]
    assert isinstance(target, dict)
    tls: dict[str, str] | None = target["tls"]
    return tls


@pytest.mark.parametrize("trust", ["--ca-bundle", "--ca-bundle DIR", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_target_behind_a_private_ca_is_judged_and_named_by_its_certificate(
        trust: str, pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    leaf = pki.leaf()
    extra: list[str] = []
    if trust == "--ca-bundle":
        extra = ["--ca-bundle", str(pki.ca_file)]
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.stranger_file))  # the flag beats the variable
    elif trust == "--ca-bundle DIR":
        extra = ["--ca-bundle", str(pki.directory)]  # a plain directory of PEM files, not c_rehash'ed
    else:
        monkeypatch.setenv(trust, str(pki.ca_file))
    with serve(monkeypatch, server_context(leaf)) as target:
        assert target.base_url.startswith("https://")
        code = _run(target, tmp_path, *extra)
    assert code == 0, capsys.readouterr().err
    assert target.http_requests  # judged over TLS, not refused
    tls = _tls_of(tmp_path)
    assert tls is not None
    assert tls["server_certificate_sha256"] == sha256_of(leaf)
    assert tls["protocol"] in ("TLSv1.2", "TLSv1.3")
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "reports")]) == 0
    assert f"server certificate sha256 {sha256_of(leaf)}" in capsys.readouterr().out


def test_a_plain_http_run_records_no_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with serve(monkeypatch, None) as target:
        assert _run(target, tmp_path) == 0
    assert _tls_of(tmp_path) is None
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "reports")]) == 0
    assert "tls: none recorded (plain HTTP)" in capsys.readouterr().out


def test_the_tls_facts_are_covered_by_the_certificate_digest(pki: Pki, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(monkeypatch, server_context(pki.leaf())) as target:
        assert _run(target, tmp_path, "--ca-bundle", str(pki.ca_file)) == 0
    certificate_file = tmp_path / "reports" / "certificate.json"
    certificate = json.loads(certificate_file.read_text())
    certificate["target"]["tls"]["server_certificate_sha256"] = "0" * 64  # another server's
    certificate_file.write_text(json.dumps(certificate, indent=2) + "\n")
    assert main(["verify", str(tmp_path / "reports")]) == 1


_PAST = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("case", "expected"), [
    ("unknown CA", "certificate verify failed: issuer not trusted; pass the CA with --ca-bundle"),
    ("another CA given", "certificate verify failed: issuer not trusted by the bundle given (--ca-bundle {stranger}); "
                         "pass the CA that signed the target's certificate"),
    ("hostname mismatch", "certificate verify failed: hostname mismatch"),
    ("expired", "certificate verify failed: the server's certificate has expired"),
    ("plain HTTP", "the target answered in plain HTTP, not TLS; use an http:// --base-url"),
    ("no client certificate", "the server demanded a client certificate and none was given; pass one with "
                              "--client-cert and --client-key"),
    ("untrusted client certificate", "the server refused the client certificate given"),
    ("no client certificate, no alert", "the server closed the connection right after the TLS handshake, "
     "before any request, as a server does that demands a client certificate and none was given; pass one "
     "with --client-cert and --client-key"),
    ("untrusted client certificate, no alert", "the server closed the connection right after the TLS handshake, "
     "before any request, as a server does that refuses the client certificate given"),
])
def test_each_tls_failure_is_named_before_anything_is_sent(
        case: str, expected: str, pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    trusted = ["--ca-bundle", str(pki.ca_file)]
    context = server_context(pki.leaf())
    extra = trusted
    if case == "unknown CA":
        extra = []
    elif case == "another CA given":
        extra = ["--ca-bundle", str(pki.stranger_file)]
    elif case == "hostname mismatch":
        context = server_context(pki.leaf("other.example"))
    elif case == "expired":
        context = server_context(pki.leaf(not_before=_PAST - datetime.timedelta(days=30), not_after=_PAST))
    elif case == "plain HTTP":
        context = None
    elif case.startswith("no client certificate"):
        context = server_context(pki.leaf(), client_ca=pki.ca)
    elif case.startswith("untrusted client certificate"):
        context = server_context(pki.leaf(), client_ca=pki.ca)
        cert, key = pki.client_files("stranger", pki.stranger)
        extra = [*trusted, "--client-cert", str(cert), "--client-key", str(key)]
    with serve(monkeypatch, context, alerts="no alert" not in case) as target:
        base_url = target.base_url.replace("http://", "https://")
        code = _run(base_url, tmp_path, *extra)
    err = capsys.readouterr().err
    assert code == 2, err
    expected = expected.format(stranger=pki.stranger_file)
    assert f"checkout-conformance: Cannot connect to {base_url} over TLS: {expected}" in err
    assert len(err.strip().splitlines()) == 1 and err.strip().endswith(".")  # one sentence
    assert target.http_requests == []  # nothing reached the target's HTTP layer
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    # The preflight's handshake and nothing after it; a connection closed with no alert is tried twice
    # (the client's rule for a dropped connection) before the listening handshake names the cause.
    assert report["requests"] == (2 if "no alert" in case else 1)
    assert report["gate_verdict"] == "inconclusive"


def test_mutual_tls_with_a_client_certificate_is_judged(pki: Pki, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = pki.client_files("gateway")
    leaf = pki.leaf()
    with serve(monkeypatch, server_context(leaf, client_ca=pki.ca)) as target:
        assert _run(target, tmp_path, "--ca-bundle", str(pki.ca_file), "--client-cert", str(cert),
                    "--client-key", str(key)) == 0
        combined = pki.directory / "combined.pem"  # one PEM file holding certificate and key
        combined.write_text(cert.read_text() + key.read_text())
        assert _run(target, tmp_path / "combined", "--ca-bundle", str(pki.ca_file), "--client-cert",
                    str(combined)) == 0
    assert target.http_requests
    tls = _tls_of(tmp_path)
    assert tls is not None and tls["server_certificate_sha256"] == sha256_of(leaf)
    for path in (tmp_path / "reports", tmp_path / "combined" / "reports"):  # the key is written nowhere
        for written in path.rglob("*"):
            if written.is_file():
                assert "PRIVATE KEY" not in written.read_text(errors="replace")


def _encrypted(key: Path) -> Path:
    loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
    path = key.with_name("encrypted.key.pem")
    path.write_bytes(loaded.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.BestAvailableEncryption(b"secret")))
    return path


@pytest.mark.parametrize(("case", "expected"), [
    ("CA bundle missing", "--ca-bundle {missing} does not exist"),
    ("CA bundle not PEM", "--ca-bundle {garbage} holds no PEM certificate"),
    ("key not matching", "the client key {other_key} does not match the client certificate {cert}"),
    ("key unreadable", "is not a usable PEM certificate and key"),
    ("key missing", "--client-key {missing} does not exist or is not a file"),
    ("key encrypted", "is encrypted: give an unencrypted key file"),
    ("key without certificate", "--client-key {key} was given without --client-cert"),
    ("certificate without key", "--client-cert {cert} holds no private key: pass the key with --client-key"),
])
def test_tls_files_that_cannot_be_used_are_usage_errors_before_anything_is_sent(
        case: str, expected: str, pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cert, key = pki.client_files("gateway")
    _, other_key = pki.client_files("other")
    missing, garbage = pki.directory / "missing.pem", pki.directory / "garbage.pem"
    garbage.write_text("not a certificate\n")
    ca = ["--ca-bundle", str(pki.ca_file)]
    extra = {
        "CA bundle missing": ["--ca-bundle", str(missing)],
        "CA bundle not PEM": ["--ca-bundle", str(garbage)],
        "key not matching": [*ca, "--client-cert", str(cert), "--client-key", str(other_key)],
        "key unreadable": [*ca, "--client-cert", str(cert), "--client-key", str(garbage)],
        "key missing": [*ca, "--client-cert", str(cert), "--client-key", str(missing)],
        "key encrypted": [*ca, "--client-cert", str(cert), "--client-key", str(_encrypted(key))],
        "key without certificate": [*ca, "--client-key", str(key)],
        "certificate without key": [*ca, "--client-cert", str(cert)],
    }[case]
    with serve(monkeypatch, server_context(pki.leaf(), client_ca=pki.ca)) as target:
        code = _run(target, tmp_path, *extra)
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected.format(missing=missing, garbage=garbage, other_key=other_key, cert=cert, key=key) in err
    assert len(err.strip().splitlines()) == 1
    assert target.http_requests == []
    assert not (tmp_path / "reports" / "report.json").exists()  # refused with the arguments: no run, no report


def test_the_config_file_names_the_ca_and_client_certificate(pki: Pki, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = pki.client_files("gateway")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.checkout-conformance]\n"
        f'ca-bundle = "pki/{pki.ca_file.name}"\n'  # relative to the file's directory
        f'client-cert = "pki/{cert.name}"\n'
        f'client-key = "pki/{key.name}"\n')
    with serve(monkeypatch, server_context(pki.leaf(), client_ca=pki.ca)) as target:
        assert _run(target, tmp_path) == 0
        assert target.http_requests


def test_the_config_files_ca_bundle_beats_the_ambient_ca_variables(
        pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # flag > the project's file > $REQUESTS_CA_BUNDLE / $SSL_CERT_FILE, often set machine-wide to the
    # system store (as on this very machine): the file's explicit bundle must not be silently ignored.
    (tmp_path / "pyproject.toml").write_text(f'[tool.checkout-conformance]\nca-bundle = "{pki.ca_file}"\n')
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.stranger_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.stranger_file))
    monkeypatch.chdir(tmp_path)
    with serve(monkeypatch, server_context(pki.leaf())) as target:
        assert _run(target, tmp_path, "--only", "limit") == 0
        assert _run(target, tmp_path / "flag", "--only", "limit", "--ca-bundle", str(pki.stranger_file)) == 2
    assert "issuer not trusted" in capsys.readouterr().err


def test_the_bundle_named_is_all_that_is_trusted(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """OpenSSL's default paths ($SSL_CERT_FILE here holds the target's CA) are not added to a
    --ca-bundle that did not sign the target."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    with serve(monkeypatch, server_context(pki.leaf())) as target:
        assert _run(target, tmp_path, "--only", "limit", "--ca-bundle", str(pki.stranger_file)) == 2
    assert "issuer not trusted" in capsys.readouterr().err


def test_a_stale_ca_variable_does_not_stop_a_plain_http_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "gone.pem"))
    with serve(monkeypatch, None) as target:
        assert _run(target, tmp_path, "--only", "limit") == 0


def test_https_through_a_connect_proxy_with_a_private_ca_and_a_client_certificate(
        pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    cert, key = pki.client_files("gateway")
    leaf = pki.leaf(PROXIED_HOST)
    with ConnectProxy() as proxy, serve(monkeypatch, server_context(leaf, client_ca=pki.ca)) as target:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # read by name: trust_env stays off
        port = target.base_url.rsplit(":", 1)[1]
        behind = f"https://{PROXIED_HOST}:{port}"  # a name only the proxy resolves
        assert _run(behind, tmp_path / "untrusted") == 2  # the proxy changes nothing about trust
        assert "issuer not trusted" in capsys.readouterr().err
        assert _run(behind, tmp_path, "--ca-bundle", str(pki.ca_file), "--client-cert", str(cert),
                    "--client-key", str(key)) == 0
    assert proxy.tunnels and set(proxy.tunnels) == {f"{PROXIED_HOST}:{port}"}  # every connection went through it
    tls = _tls_of(tmp_path)
    assert tls is not None and tls["server_certificate_sha256"] == sha256_of(leaf)


def test_no_proxy_is_honoured(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ConnectProxy() as proxy, serve(monkeypatch, server_context(pki.leaf(PROXIED_HOST))) as target:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", PROXIED_HOST)
        behind = f"https://{PROXIED_HOST}:{target.base_url.rsplit(':', 1)[1]}"
        # Not through the proxy, so the name does not resolve here: the client tried it directly.
        assert _run(behind, tmp_path, "--ca-bundle", str(pki.ca_file), "--only", "limit") == 3
    assert proxy.tunnels == []


def test_a_loopback_target_is_never_reached_through_a_proxy(pki: Pki, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine-wide proxy setting would hand the proxy the key for a loopback target (the
    embedded reference server included): loopback is reached directly, whatever the variables."""
    with ConnectProxy() as proxy, serve(monkeypatch, server_context(pki.leaf())) as target:
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy.url)
        assert _run(target, tmp_path, "--ca-bundle", str(pki.ca_file), "--only", "limit") == 0
    with ConnectProxy() as plain:
        monkeypatch.setenv("HTTP_PROXY", plain.url)
        assert main(["run", "--only", "limit", "--quiet", "--report-dir", str(tmp_path / "embedded")]) == 0
    assert proxy.tunnels == [] and plain.tunnels == []


_PROXY_SECRET = "pr0xy-s3cret"  # a password in the proxy URL: never printed, never written


@pytest.mark.parametrize(("scheme", "proxy_says", "said"), [
    ("https", "down", "could not be reached ([Errno 111] Connection refused)"),
    ("https", "403 Forbidden", f"refused the CONNECT tunnel to {PROXIED_HOST} (403 Forbidden)"),
    ("https", "407 Proxy Authentication Required", "asks for authentication (407 Proxy Authentication Required)"),
    ("http", "down", "could not be reached ([Errno 111] Connection refused)"),
    # A proxy forwarding plain HTTP answers 407 itself; only a proxy sends 407 (RFC 9110 §15.5.8).
    ("http", "407 Proxy Authentication Required", "asks for authentication (407 Proxy Authentication Required)"),
])
def test_a_failing_proxy_is_named_as_the_users_setup_not_the_target(
        scheme: str, proxy_says: str, said: str, pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    variable = f"{scheme.upper()}_PROXY"
    with ConnectProxy(None if proxy_says == "down" else proxy_says) as proxy, \
            serve(monkeypatch, server_context(pki.leaf(PROXIED_HOST)) if scheme == "https" else None) as target:
        address = proxy.url.removeprefix("http://")
        if proxy_says == "down":
            proxy.__exit__()  # its port is closed: nothing listens there any more
        monkeypatch.setenv(variable, f"http://alice:{_PROXY_SECRET}@{address}")
        behind = f"{scheme}://{PROXIED_HOST}:{target.base_url.rsplit(':', 1)[1]}"
        code = _run(behind, tmp_path, "--ca-bundle", str(pki.ca_file))
    out, err = capsys.readouterr()
    assert code == 2, err  # the user's setup, not an unreachable target (3)
    assert f"The proxy {address} (from {variable}) {said}" in err
    assert "check " in err and f"{variable}, or add {PROXIED_HOST} to NO_PROXY" in err  # the two fixes
    assert "Cannot reach" not in err and len(err.strip().splitlines()) == 1
    assert target.http_requests == []  # found before anything reached the target
    assert proxy.tunnels == [] and (proxy_says == "down" or proxy.refused)
    written = [f.read_text(errors="replace") for f in tmp_path.rglob("*") if f.is_file()]
    assert not any(_PROXY_SECRET in text or "alice" in text for text in [out, err, *written])


@pytest.mark.parametrize("client", ["none", "trusted", "stranger"])
def test_a_listening_handshake_tells_a_refused_client_certificate_without_sending_a_request(
        client: str, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    # The preflight's fallback when its request met a reset behind the handshake (a TLS 1.3 server's
    # alert can be lost when a request is already on its way).
    from conformance.record.client import Client
    from conformance.record.tls import TLSOptions

    cert, key = pki.client_files("gateway", pki.ca if client == "trusted" else pki.stranger)
    given = (cert, key) if client != "none" else (None, None)
    with serve(monkeypatch, server_context(pki.leaf(), client_ca=pki.ca)) as target:
        refused = Client(target.base_url, API_KEY, tls=TLSOptions(pki.ca_file, *given))
        try:
            said = refused.tls_refusal()
        finally:
            refused.close()
    assert target.http_requests == []
    assert refused.requests_sent == 0
    expected = {"none": "the server demanded a client certificate and none was given",
                "trusted": None, "stranger": "the server refused the client certificate given"}[client]
    assert said == expected or (expected is not None and said is not None and said.startswith(expected))


def test_the_installed_command_honours_requests_ca_bundle_and_never_reads_netrc(
        pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # trust_env stays off: the CA variable is read by name, while a ~/.netrc entry for the target
    # must not reach the "no credentials" probes (AUTH-001) nor any other request.
    (tmp_path / "home").mkdir()
    netrc = tmp_path / "home" / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-secret\n")
    netrc.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k not in _AMBIENT and k != "HOME"}
    env.update(HOME=str(tmp_path / "home"), REQUESTS_CA_BUNDLE=str(pki.ca_file))
    leaf = pki.leaf()
    with serve(monkeypatch, server_context(leaf)) as target:
        done = subprocess.run([sys.executable, "-m", "conformance", "run", "--base-url", target.base_url,
                               "--api-key", API_KEY, "--profile", "quick", "--only", "auth",
                               "--report-dir", str(tmp_path / "reports")],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert target.http_requests
    netrc_credential = base64.b64encode(b"netrc-user:netrc-secret").decode()
    assert not [a for a in target.authorizations if netrc_credential in a]
    assert any(base64.b64encode(f"{API_KEY}:".encode()).decode() in a for a in target.authorizations)
    tls = _tls_of(tmp_path)
    assert tls is not None and tls["server_certificate_sha256"] == sha256_of(leaf)


def test_the_ca_variables_are_read_in_order_and_an_empty_one_is_unset() -> None:
    from conformance.record.tls import tls_options

    both = {"REQUESTS_CA_BUNDLE": "requests.pem", "SSL_CERT_FILE": "openssl.pem"}
    assert tls_options(None, None, None, both).ca_bundle == Path("requests.pem")
    assert tls_options(None, None, None, both).ca_source == "REQUESTS_CA_BUNDLE"
    assert tls_options(None, None, None, {**both, "REQUESTS_CA_BUNDLE": ""}).ca_bundle == Path("openssl.pem")
    assert tls_options(Path("flag.pem"), None, None, both).ca_bundle == Path("flag.pem")
    assert tls_options(None, None, None, {}).ca_bundle is None  # certifi's bundle, as requests


def test_a_second_server_certificate_seen_in_the_run_is_recorded_too(pki: Pki) -> None:
    import jsonschema

    from conformance.record.tls import TLSFacts

    first, second = pki.leaf(), pki.leaf()
    facts = TLSFacts()
    assert facts.to_dict() is None
    for leaf in (first, second, first, second):
        der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
        facts.saw("TLSv1.3", der)
    recorded = facts.to_dict()
    assert recorded == {"protocol": "TLSv1.3", "server_certificate_sha256": sha256_of(first),
                        "other_server_certificates_sha256": [sha256_of(second)]}
    schema = json.loads((Path(__file__).parents[1] / "conformance" / "reports" / "report.schema.json").read_text())
    jsonschema.validate(recorded, {**schema["properties"]["target"]["properties"]["tls"], "$defs": schema["$defs"]})


@pytest.mark.parametrize("option", ["--ca-bundle", "--client-cert", "--client-key"])
def test_an_empty_tls_option_is_a_usage_error(option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A CI variable that expands to nothing must not quietly name the current directory.
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        _run("https://127.0.0.1:9", tmp_path, option, "")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"{option}: an empty value names no file" in err and len(err.strip().splitlines()) == 1


def test_a_ca_bundle_from_a_pipe_is_read_once(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--ca-bundle <(vault read ...)` names a pipe: its bytes can be read once only."""
    import threading

    pipe = tmp_path / "bundle.pipe"
    os.mkfifo(pipe)

    def write_once() -> None:
        with pipe.open("w") as sink:
            sink.write(pki.ca_file.read_text())

    writer = threading.Thread(target=write_once, daemon=True)
    writer.start()
    with serve(monkeypatch, server_context(pki.leaf())) as target:
        assert _run(target, tmp_path, "--only", "limit", "--ca-bundle", str(pipe)) == 0
    writer.join(timeout=5)
    assert not writer.is_alive()
