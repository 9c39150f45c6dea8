"""Signed certificates: an Ed25519 key pair, and a detached signature over certificate.json.

The crypto is the `cryptography` package's; nothing here is hand-rolled. `certificate.sig` holds
the raw 64-byte Ed25519 signature over the exact bytes of certificate.json, so any Ed25519 tool
checks it too, e.g. ``openssl pkeyutl -verify -pubin -inkey signing-key.pub.pem -rawin
-in certificate.json -sigfile certificate.sig``. The certificate names its signer by the
SHA-256 of the raw 32-byte public key (``signer.public_key_sha256``).

What a valid signature proves: the holder of the private key vouches for this certificate,
and through its digests for every file it covers. It does not prove that the run was honest
(a signer can sign anything), nor that the target still behaves so today.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import UsageError

PRIVATE_KEY = "signing-key.pem"
PUBLIC_KEY = "signing-key.pub.pem"
SIGNATURE = "certificate.sig"
ALGORITHM = "Ed25519"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key: how a certificate names its signer."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def signer_entry(private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The certificate's `signer` field for a key: {algorithm, public_key_sha256}."""
    return {"algorithm": ALGORITHM, "public_key_sha256": fingerprint(private_key.public_key())}


def generate_keypair(out: Path) -> tuple[Path, Path, str]:
    """Write a new key pair into `out` (created if needed): (private path, public path, fingerprint).

    The private key is PKCS#8 PEM, unencrypted, created with mode 0600; the public key is
    SubjectPublicKeyInfo PEM. UsageError if either file exists: a key is never overwritten.
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a directory: name a directory for the key pair.")
    private_path, public_path = out / PRIVATE_KEY, out / PUBLIC_KEY
    existing = [p for p in (private_path, public_path) if p.exists()]
    if existing:
        raise UsageError(f"{existing[0]} already exists: keygen never overwrites a key; choose another --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        # O_EXCL: never replace a file that appeared meanwhile; 0600 from the first byte on.
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(public_pem)
    except OSError as exc:
        raise UsageError(f"Cannot write the key pair into {out}: {exc.strerror or exc}.") from None
    return private_path, public_path, fingerprint(key.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key of a PEM file (as keygen writes); UsageError (exit 2) otherwise."""
    data = _read(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise UsageError(f"The signing key {path} is encrypted; use an unencrypted key from "
                         "`checkout-conformance keygen`.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise UsageError(f"{path} is not a PEM private key (make one with `checkout-conformance keygen`).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key; make one with `checkout-conformance keygen`.")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key of a PEM file (signing-key.pub.pem); UsageError (exit 2) otherwise."""
    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise UsageError(f"{path} is not a PEM public key (keygen writes {PUBLIC_KEY}).") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 public key.")
    return key


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read the {what} {path}: {exc.strerror or exc}.") from None


def sign_file(private_key: Ed25519PrivateKey, path: Path, signature_path: Path) -> None:
    """Write the detached signature over the exact bytes of `path` to `signature_path`."""
    signature_path.write_bytes(private_key.sign(path.read_bytes()))


def signature_problem(certificate_path: Path, signature_path: Path, public_key: Ed25519PublicKey,
                      claimed_signer: Any) -> str | None:
    """None when `signature_path` is `public_key`'s signature over certificate.json's bytes, else one
    sentence saying which: the signature is missing, another key signed, or the certificate changed."""
    if not signature_path.is_file():
        return f"{signature_path.name} is missing: this certificate is not signed."
    try:
        public_key.verify(signature_path.read_bytes(), certificate_path.read_bytes())
        return None
    except InvalidSignature:
        pass
    expected = fingerprint(public_key)
    claimed = claimed_signer.get("public_key_sha256") if isinstance(claimed_signer, dict) else None
    if isinstance(claimed, str) and claimed != expected:
        return (f"certificate.json was signed by another key (public key sha256 {claimed[:16]}…), "
                f"not by the given public key ({expected[:16]}…).")
    return "certificate.json was changed after it was signed: the signature does not match its bytes."
