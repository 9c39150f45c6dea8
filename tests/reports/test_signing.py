"""keygen, `run --sign-key` and `verify --public-key`: a signature over certificate.json's exact
bytes, checked independently here with `cryptography`; each way it can fail, named; and verdict
drift (another suite version judges differently) told apart from tampering."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conformance.reports.certificate import certificate_digest, sha256_file
from tests.reports.conftest import API_KEY, CliRun, run_cli


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("keys") / "signing"
    assert run_cli(["keygen", "--out", str(out)])[0] == 0
    return out


@pytest.fixture(scope="module")
def signed(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    report_dir = tmp_path_factory.mktemp("signed") / "reports"
    code, out, err = run_cli(["run", "--report-dir", str(report_dir), "--api-key", API_KEY, "--profile", "quick",
                              "--quiet", "--sign-key", str(keys / "signing-key.pem")])
    return CliRun(code, out, err, report_dir)


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(source, target)
    return target


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _reseal(report_dir: Path) -> None:
    """What a forger does after editing report.json: recompute every digest the certificate holds."""
    def change(cert: dict[str, Any]) -> None:
        for name in cert["evidence"]:
            cert["evidence"][name]["sha256"] = sha256_file(report_dir / name)
        cert["certificate_sha256"] = certificate_digest(cert)
    _edit(report_dir / "certificate.json", change)


def test_keygen_writes_a_private_key_only_its_owner_reads(keys: Path) -> None:
    assert stat.S_IMODE((keys / "signing-key.pem").stat().st_mode) == 0o600
    public = serialization.load_pem_public_key((keys / "signing-key.pub.pem").read_bytes())
    assert isinstance(public, Ed25519PublicKey)


def test_keygen_never_overwrites(keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (keys / "signing-key.pem").read_bytes()
    code, _, err = run_cli(["keygen", "--out", str(keys)])
    assert code == 2 and "already exists" in err
    assert (keys / "signing-key.pem").read_bytes() == before


def test_keygen_into_a_file_says_it_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("not a directory")
    code, _, err = run_cli(["keygen", "--out", str(tmp_path / "keys")])
    assert code == 2 and f"--out {tmp_path / 'keys'} is a file, not a directory" in err


def test_the_signature_covers_the_certificates_exact_bytes(signed: CliRun, keys: Path) -> None:
    assert signed.code == 0
    public = serialization.load_pem_public_key((keys / "signing-key.pub.pem").read_bytes())
    assert isinstance(public, Ed25519PublicKey)
    certificate = (signed.report_dir / "certificate.json").read_bytes()
    public.verify((signed.report_dir / "certificate.sig").read_bytes(), certificate)  # raises if not
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    body = json.loads(certificate)
    assert body["signer"] == {"algorithm": "Ed25519", "public_key_sha256": hashlib.sha256(raw).hexdigest()}
    assert body["suite"]["version"] and body["spec_sha256"] and body["catalog_sha256"] and body["target"]["base_url"]


def test_verify_accepts_the_signers_key(signed: CliRun, keys: Path) -> None:
    code, out, _ = run_cli(["verify", str(signed.report_dir), "--public-key", str(keys / "signing-key.pub.pem")])
    assert code == 0 and "certificate.sig is valid" in out


def test_a_changed_target_is_caught_by_the_signature_only(signed: CliRun, keys: Path, tmp_path: Path) -> None:
    """The attack of the issue: another base URL in report and certificate, digests recomputed."""
    copy = _copy(signed.report_dir, tmp_path)
    other = "https://vendor.example.com"
    _edit(copy / "report.json", lambda r: r["target"].update(base_url=other))
    _edit(copy / "certificate.json", lambda c: c["target"].update(base_url=other))
    _reseal(copy)
    code, _, err = run_cli(["verify", str(copy), "--public-key", str(keys / "signing-key.pub.pem")])
    assert code == 1
    assert err.strip().endswith("certificate.json was changed after it was signed: "
                                "the signature does not match its bytes.")


def test_another_key_is_named(signed: CliRun, tmp_path: Path) -> None:
    assert run_cli(["keygen", "--out", str(tmp_path / "other")])[0] == 0
    code, _, err = run_cli(["verify", str(signed.report_dir), "--public-key",
                            str(tmp_path / "other" / "signing-key.pub.pem")])
    assert code == 1 and "was signed by another key" in err and "not by the given public key" in err


def test_a_missing_signature_is_named(clean_run: CliRun, keys: Path) -> None:
    code, _, err = run_cli(["verify", str(clean_run.report_dir), "--public-key", str(keys / "signing-key.pub.pem")])
    assert code == 1 and "certificate.sig is missing: this certificate is not signed." in err


def test_a_bad_sign_key_is_a_usage_error(tmp_path: Path, keys: Path) -> None:
    code, _, err = run_cli(["run", "--report-dir", str(tmp_path / "r"), "--sign-key",
                            str(keys / "signing-key.pub.pem")])
    assert code == 2 and "is not a PEM private key" in err and not (tmp_path / "r").exists()


def _flip_a_pass(report_dir: Path) -> str:
    flipped: list[str] = []

    def report(data: dict[str, Any]) -> None:
        entry = next(r for r in data["requirements"] if r["verdict"] == "pass")
        entry["verdict"] = "skip"
        data["counts"]["pass"] -= 1
        data["counts"]["skip"] += 1
        flipped.append(entry["id"])

    _edit(report_dir / "report.json", report)
    _edit(report_dir / "certificate.json", lambda c: next(
        r for r in c["requirements"] if r["id"] == flipped[0]).update(verdict="skip"))
    return flipped[0]


def test_an_older_suites_verdicts_are_drift_not_tampering(clean_run: CliRun, tmp_path: Path) -> None:
    copy = _copy(clean_run.report_dir, tmp_path)
    for name in ("report.json", "certificate.json"):
        _edit(copy / name, lambda d: d["suite"].update(version="0.0.1"))
    requirement = _flip_a_pass(copy)  # as if suite 0.0.1 had judged it so
    _reseal(copy)
    code, _, err = run_cli(["verify", str(copy)])
    assert code == 3
    assert "verdict drift, not tampering" in err and f"verdict drift: {requirement}: report.json says skip" in err
    assert "was altered:" not in err  # the words of a digest mismatch


def test_the_same_edit_under_the_same_version_is_tampering(clean_run: CliRun, tmp_path: Path) -> None:
    copy = _copy(clean_run.report_dir, tmp_path)
    requirement = _flip_a_pass(copy)
    _reseal(copy)
    code, _, err = run_cli(["verify", str(copy)])
    assert code == 1 and f"{requirement}: report.json says skip, re-judging exchanges.jsonl gives pass" in err
    assert "drift" not in err


def test_a_run_without_the_new_options_writes_what_it_wrote_before(clean_run: CliRun) -> None:
    report = json.loads((clean_run.report_dir / "report.json").read_text())
    certificate = json.loads((clean_run.report_dir / "certificate.json").read_text())
    assert "waivers" not in report and set(report["counts"]) == {"pass", "fail", "warn", "skip", "inconclusive",
                                                                  "error"}
    assert "signer" not in certificate and "waivers" not in certificate
    assert not (clean_run.report_dir / "certificate.sig").exists()


def test_a_public_key_that_is_not_one_is_a_usage_error(signed: CliRun, keys: Path) -> None:
    code, _, err = run_cli(["verify", str(signed.report_dir), "--public-key", str(keys / "signing-key.pem")])
    assert code == 2 and "is not a PEM public key" in err
