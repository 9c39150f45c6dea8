"""TLS as staging has it: which CAs to trust, a client certificate, and the TLS cause of a failure.

The client keeps ``requests``' ``trust_env`` off (it would let ``~/.netrc`` add credentials to
the "no credentials" probes), so nothing here comes from the environment implicitly: the
CA bundle is ``--ca-bundle``, else the config file's ``ca-bundle``, else ``$REQUESTS_CA_BUNDLE``,
else ``$SSL_CERT_FILE`` (read by name, as requests and OpenSSL read them), else the certifi bundle
requests uses by default; the bundle named is all that is trusted (``build_context``).
There is deliberately no way to turn verification off: a certificate over unverified TLS
proves nothing about which server was judged.

Everything a person can get wrong is found by ``build_context`` before anything is sent
(``UsageError``, exit 2, one sentence with the fix); what only the target can reveal
(an unknown CA, a hostname mismatch, expiry, a demanded client certificate, plain HTTP) is
named by ``tls_failure`` from the handshake's error.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import UsageError
from conformance.failure import HANDSHAKE_CLOSED, Failure

# The standard variables, read explicitly in this order (requests reads the first, OpenSSL the second).
CA_BUNDLE_ENVS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")

# X509_V_ERR_* codes (OpenSSL's x509_vfy.h) the verification error carries.
_ISSUER_UNTRUSTED = frozenset({2, 18, 19, 20, 21})
_EXPIRED = 10
_NOT_YET_VALID = 9
_HOST_MISMATCH = frozenset({62, 64})  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
# Alerts a server sends when it wanted a client certificate it did not get (RFC 8446 §4.4.2.4:
# certificate_required; TLS 1.2 servers send handshake_failure).
_CERT_REQUIRED = frozenset({"TLSV13_ALERT_CERTIFICATE_REQUIRED"})
_HANDSHAKE_FAILURE = frozenset({"SSLV3_ALERT_HANDSHAKE_FAILURE"})
# Alerts refusing the client certificate that was sent (RFC 8446 §6.2).
_CLIENT_CERT_REFUSED = frozenset({"TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE",
                                  "SSLV3_ALERT_CERTIFICATE_UNKNOWN", "SSLV3_ALERT_CERTIFICATE_EXPIRED",
                                  "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE", "TLSV1_ALERT_ACCESS_DENIED",
                                  "SSLV3_ALERT_CERTIFICATE_REVOKED"})
# What OpenSSL says when the first bytes back are not a TLS record: "HTTP/1.1 400" read as one.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
                      "UNKNOWN_PROTOCOL", "HTTP_REQUEST"})


@dataclass(frozen=True)
class TLSOptions:
    """What the user said about TLS; paths as given. `ca_source` names where the bundle came
    from (``--ca-bundle``, ``REQUESTS_CA_BUNDLE``, ...), for the sentences that quote it."""

    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    ca_source: str = "--ca-bundle"


def tls_options(ca_bundle: Path | None, client_cert: Path | None, client_key: Path | None,
                environ: Mapping[str, str] | None = None, flag: str = "--ca-bundle") -> TLSOptions:
    """The options with the CA bundle resolved: `ca_bundle` (a flag or config value), else the
    first non-empty of $REQUESTS_CA_BUNDLE and $SSL_CERT_FILE in `environ` (default os.environ).

    An empty variable counts as unset, as requests treats it."""
    environ = os.environ if environ is None else environ
    source = flag
    if ca_bundle is None:
        for name in CA_BUNDLE_ENVS:
            if environ.get(name):
                ca_bundle, source = Path(environ[name]), name
                break
    return TLSOptions(ca_bundle, client_cert, client_key, source)


def build_context(options: TLSOptions) -> ssl.SSLContext:
    """A verifying client context: the CA bundle (or certifi's), hostname checks on, the client
    certificate and key loaded. One context serves every connection of the run.

    Raises UsageError (exit 2), before anything is sent, when the bundle path is missing or holds
    no certificate, a client file is missing or unreadable, the key is encrypted, or the key does
    not match the certificate (RFC 8446 §4.4.2: the key must sign for that certificate).
    """
    # PROTOCOL_TLS_CLIENT: CERT_REQUIRED, check_hostname, TLS 1.2 at least. Not
    # create_default_context(), which also loads OpenSSL's default paths ($SSL_CERT_FILE,
    # $SSL_CERT_DIR, the system store): the bundle named here is then all that is trusted,
    # as the README says, and a --ca-bundle that did not sign the target is refused.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if options.ca_bundle is None:
        import certifi  # what requests trusts by default

        context.load_verify_locations(cafile=certifi.where())
    else:
        _load_ca(context, options.ca_bundle, options.ca_source)
    if options.client_key is not None and options.client_cert is None:
        raise UsageError(f"--client-key {options.client_key} was given without --client-cert: pass the "
                         "certificate the key belongs to with --client-cert.")
    if options.client_cert is not None:
        _load_client(context, options.client_cert, options.client_key)
    return context


def _load_ca(context: ssl.SSLContext, path: Path, source: str) -> None:
    if not path.exists():
        raise UsageError(f"{source} {path} does not exist: name a PEM file or a directory of PEM files "
                         "holding the CA that signed the target's certificate.")
    try:
        if path.is_dir():
            # A hashed directory (c_rehash) works as OpenSSL's CApath; plain PEM files in it are read too,
            # since few people hash the directory they put a CA file in.
            context.load_verify_locations(capath=str(path))
            pems = "".join(_pem_text(p) for p in sorted(path.iterdir()) if p.is_file())
            if "-----BEGIN CERTIFICATE-----" in pems:
                context.load_verify_locations(cadata=pems)
            elif not any(p.is_file() for p in path.iterdir()):
                raise UsageError(f"{source} {path} is an empty directory: put the CA's PEM file in it, "
                                 "or name the file itself.")
        else:
            # Read once and loaded from memory: `--ca-bundle <(vault read ...)` names a pipe, which a
            # second read would find empty.
            pem = _pem_text(path)
            if "-----BEGIN CERTIFICATE-----" not in pem:
                raise UsageError(f"{source} {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----): "
                                 "name the CA's certificate in PEM form.")
            # Only the certificate blocks: OpenSSL wants ASCII, and bundles (certifi's) carry comments
            # with issuers' names in UTF-8.
            context.load_verify_locations(cadata="\n".join(_PEM_BLOCK.findall(pem)))
    except PermissionError:
        raise UsageError(f"{source} {path} cannot be read (permission denied).") from None
    except ssl.SSLError as exc:
        raise UsageError(f"{source} {path} is not a usable CA bundle ({_reason(exc)}): name the CA's "
                         "certificate in PEM form.") from None


_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----")


def _pem_text(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except IsADirectoryError:
        return ""


def _load_client(context: ssl.SSLContext, cert: Path, key: Path | None) -> None:
    for flag, path in (("--client-cert", cert), ("--client-key", key)):
        if path is None:
            continue
        if not path.is_file():
            raise UsageError(f"{flag} {path} does not exist or is not a file.")
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            raise UsageError(f"{flag} {path} cannot be read ({exc.strerror or exc}).") from None

    if key is None and "PRIVATE KEY-----" not in _pem_text(cert):
        # Checked here, not read from OpenSSL's error: for a lone certificate it says only "PEM lib".
        raise UsageError(f"--client-cert {cert} holds no private key: pass the key with --client-key.")

    def no_password() -> str:
        # Without a callback OpenSSL would prompt on the terminal, and a CI job would hang.
        raise _EncryptedKey

    try:
        context.load_cert_chain(str(cert), str(key) if key is not None else None, password=no_password)
    except _EncryptedKey:
        raise UsageError(f"the client key {key or cert} is encrypted: give an unencrypted key file "
                         "(e.g. `openssl pkey -in KEY -out plain.pem`), kept readable only by you.") from None
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise UsageError(f"the client key {key} does not match the client certificate {cert}: pass the key "
                             "the certificate was issued for.") from None
        if key is None and exc.reason in ("NO_START_LINE", "PEM_LIB"):
            raise UsageError(f"--client-cert {cert} holds no private key: pass it with --client-key.") from None
        given = f"--client-cert {cert}" + (f" / --client-key {key}" if key is not None else "")
        raise UsageError(f"{given} is not a usable PEM certificate and key ({_reason(exc)}).") from None


class _EncryptedKey(Exception):
    pass


def _reason(exc: ssl.SSLError) -> str:
    return (exc.reason or str(exc)).lower().replace("_", " ")


@dataclass(frozen=True)
class TLSCause:
    """The TLS cause of a failed request: `why`, one sentence with the fix, and its kind `failure`:
    Failure.TLS_HANDSHAKE_CLOSED when the connection closed during (or right behind) the handshake
    with no alert, so the cause is not known yet (`why` starts with HANDSHAKE_CLOSED;
    Client.tls_refusal may tell it), else Failure.TLS."""

    failure: Failure
    why: str


def tls_failure(exc: BaseException, client_cert_given: bool, ca_given: str | None = None) -> TLSCause | None:
    """The TLS cause of a failed request (:class:`TLSCause`); None when the failure was not TLS's
    (a refused connection, a timeout). ``ca_given``: the CA bundle the user named, as its source
    and path (``"--ca-bundle ca.pem"``), or None when certifi's bundle was trusted.

    Reads the ssl error in `exc`'s chain (causes, contexts, and the `reason`/`args` urllib3 and
    requests wrap it in): its X509 verification code, or the alert the server sent.
    """
    error = _ssl_error(exc)
    if error is None:
        return None
    named = _named_cause(error, client_cert_given, ca_given)
    if named is not None:
        return TLSCause(Failure.TLS, named)
    if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return TLSCause(Failure.TLS_HANDSHAKE_CLOSED, f"{HANDSHAKE_CLOSED}; check that it serves HTTPS on "
                        "that port, and whether it demands a client certificate (--client-cert, --client-key)")
    return TLSCause(Failure.TLS, f"the TLS handshake failed ({_reason(error)})")


def _named_cause(error: ssl.SSLError, client_cert_given: bool, ca_given: str | None) -> str | None:
    """tls_failure's sentence when `error` names its cause (a verification code, an alert, a
    client certificate refused), else None."""
    if isinstance(error, ssl.SSLCertVerificationError):
        code = error.verify_code
        if code in _ISSUER_UNTRUSTED:
            if ca_given:
                # The user named a bundle: telling them to pass one would send them in a circle.
                return (f"certificate verify failed: issuer not trusted by the bundle given ({ca_given}); "
                        "pass the CA that signed the target's certificate")
            return ("certificate verify failed: issuer not trusted; pass the CA with --ca-bundle "
                    "(or set REQUESTS_CA_BUNDLE)")
        if code in _HOST_MISMATCH:
            return (f"certificate verify failed: hostname mismatch ({error.verify_message.rstrip('.')}); "
                    "use the host name the certificate was issued for in --base-url")
        if code == _EXPIRED:
            return "certificate verify failed: the server's certificate has expired; the target must renew it"
        if code == _NOT_YET_VALID:
            return ("certificate verify failed: the server's certificate is not valid yet; check the target's "
                    "certificate dates and this machine's clock")
        return (f"certificate verify failed: {error.verify_message}; check the target's certificate chain "
                "and --ca-bundle")
    reason = error.reason or ""
    if reason in _NOT_TLS:
        return ("the target answered in plain HTTP, not TLS; use an http:// --base-url, or the target's "
                "HTTPS port")
    if reason in _CERT_REQUIRED or (reason in _HANDSHAKE_FAILURE and not client_cert_given):
        if client_cert_given:
            return ("the server demanded a client certificate and refused the one given; pass one its CA "
                    "trusts with --client-cert and --client-key")
        more = "" if reason in _CERT_REQUIRED else " (or shares no cipher with this client)"
        return (f"the server demanded a client certificate and none was given{more}; pass one with "
                "--client-cert and --client-key")
    closed = isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError)
    if client_cert_given and (reason in _CLIENT_CERT_REFUSED or reason in _HANDSHAKE_FAILURE or closed):
        return ("the server refused the client certificate given; pass one its CA trusts with --client-cert "
                "and --client-key")
    return None


def closed_after_handshake(client_cert_given: bool) -> str:
    """The sentence for a TLS 1.3 server that completed the handshake, then closed the connection
    before any request, without a session ticket or an alert: what a server that checks the client
    certificate after the handshake does when it refuses it (RFC 8446 §4.4.2.4), with the fix."""
    said = "the server closed the connection right after the TLS handshake, before any request"
    if client_cert_given:
        return (f"{said}, as a server does that refuses the client certificate given; pass one its CA trusts "
                "with --client-cert and --client-key")
    return (f"{said}, as a server does that demands a client certificate and none was given; pass one with "
            "--client-cert and --client-key")


def plugin_wording(sentence: str) -> str:
    """A sentence naming `run`'s options (--ca-bundle, --client-cert, --client-key, --base-url) with
    the pytest plugin's names for them (--conformance-ca-bundle, ...)."""
    # pytest-base-url's own --base-url, named as such in a sentence, is not ours to rename.
    return re.sub(r"(?<![\w-])--(ca-bundle|client-cert|client-key|base-url(?! is pytest-base-url's))\b",
                  r"--conformance-\1", sentence)


def _ssl_error(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
    return None


def certificate_sha256(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate, lower-case hex (as `openssl x509 -fingerprint
    -sha256` prints it, without the colons)."""
    return hashlib.sha256(der).hexdigest()


@dataclass
class TLSFacts:
    """What the run's TLS connections showed: the first connection's protocol and server
    certificate, and any other certificate a later connection presented (a load balancer
    with several). Shared by the lanes."""

    protocol: str | None = None
    server_certificate_sha256: str | None = None
    others: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def saw(self, protocol: str | None, der: bytes | None) -> None:
        if der is None:
            return
        fingerprint = certificate_sha256(der)
        with self._lock:
            if self.server_certificate_sha256 is None:
                self.protocol, self.server_certificate_sha256 = protocol, fingerprint
            elif fingerprint != self.server_certificate_sha256 and fingerprint not in self.others:
                self.others.append(fingerprint)

    def to_dict(self) -> dict[str, Any] | None:
        """report.json's target.tls: None when no TLS connection was made (plain HTTP)."""
        if self.server_certificate_sha256 is None:
            return None
        entry: dict[str, Any] = {"protocol": self.protocol,
                                 "server_certificate_sha256": self.server_certificate_sha256}
        if self.others:
            entry["other_server_certificates_sha256"] = list(self.others)
        return entry
