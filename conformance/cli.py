"""The command line: `run`, `serve`, `verify`. Exceptions map to exit codes here, once."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from conformance import __version__
from conformance.errors import ConformanceError, UsageError
from conformance.interrupts import ctrl_c_raises, ctrl_c_seen, interrupted
from conformance.profiles import PROFILES
from conformance.record.ratelimit import MAX_RATE_LIMIT
from conformance.record.tls import TLSOptions
from conformance.run.defaults import DEFAULT_DEADLINE
from conformance.run.lanes import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from conformance.terminal import inert

if TYPE_CHECKING:
    from conformance.run.runner import RunOptions

EXIT_BY_VERDICT = {"conformant": 0, "nonconformant": 1, "inconclusive": 3, "error": 3}

# Headers that ask a server to treat a GET as another method: the suite is GET-only.
_METHOD_OVERRIDES = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})


# The keys of this invocation ($CONFORMANCE_API_KEY, --api-key), set by main(): an error sentence
# may quote a misplaced one (CI variables swapped: the key given as --base-url), and is redacted.
_KEYS: list[str] = []


def _keys_of(argv: Sequence[str]) -> list[str]:
    keys = [os.environ.get("CONFORMANCE_API_KEY") or ""]
    for i, arg in enumerate(argv):
        if arg == "--api-key" and i + 1 < len(argv):
            keys.append(argv[i + 1])
        elif arg.startswith("--api-key="):
            keys.append(arg.split("=", 1)[1])
    return [k for k in keys if k.strip()]


def _redacted(text: str) -> str:
    from conformance.record.redaction import Redactor

    return Redactor(_KEYS).text(text) if _KEYS else text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One sentence and exit 2, as argparse does, but without the wall of usage text, and
        # with the prefix every other error has ("checkout-conformance: --port: ...").
        message = _redacted(message.removeprefix("argument "))
        self.exit(2, f"checkout-conformance: {message[0].upper() if message[0] != '-' else '-'}{message[1:]}. "
                     f"See `{self.prog} --help`.\n")


_N = TypeVar("_N", int, float)


def _number(value: str, kind: Callable[[str], _N], what: str) -> _N:
    """`value` read by `kind` (int or float), or the usage error "expected WHAT, got VALUE"."""
    try:
        return kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None


def _positive_float(value: str) -> float:
    number = _number(value, float, "seconds")
    if not 0 < number <= 600:
        raise argparse.ArgumentTypeError(f"expected seconds more than 0 and up to 600, got {value!r}")
    return number


def _directory(value: str) -> Path:
    # Path("") is ".": an unset CI variable would write the reports over the current directory.
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty value would mean the current directory: name a directory, "
                                         "or leave --report-dir out for reports/")
    return Path(value)


def _file_path(value: str) -> Path:
    # Path("") is ".": an unset CI variable must not quietly name the current directory.
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty value names no file: give a path, or leave the option out")
    return Path(value)


def _deadline(value: str) -> float:
    number = _number(value, float, "seconds")
    if not 0 < number <= 86400:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 86400, got {value!r}")
    return number


def _positive_int(value: str) -> int:
    number = _number(value, int, "a whole number")
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value!r}")
    return number


def _churn_rate(value: str) -> float:
    number = _number(value, float, "sessions per second")
    if not 0 <= number <= 1000:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected sessions per second between 0 and 1000, got {value!r}")
    return number


def _concurrency(value: str) -> int:
    number = _positive_int(value)
    if number > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_CONCURRENCY} requests in flight, got {value!r}")
    return number


def _rate(value: str) -> float:
    number = _number(value, float, "requests per second")
    if not 0 < number <= MAX_RATE_LIMIT:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected requests per second above 0 and at most {MAX_RATE_LIMIT:g}, "
                                         f"got {value!r}")
    return number


def _header(value: str) -> tuple[str, str]:
    name, sep, rest = value.partition(":")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {value!r}")
    if name.strip().lower() == "authorization":
        raise argparse.ArgumentTypeError("use --api-key for credentials, not --header Authorization")
    if name.strip().lower() in _METHOD_OVERRIDES:
        raise argparse.ArgumentTypeError(f"the suite sends GET only, so it refuses --header {name.strip()}")
    return name.strip(), rest.strip()


def _implementation(value: str) -> str:
    name, at, version = value.strip().rpartition("@")
    if not at or not name.strip() or not version.strip() or len(value) > 120 or not value.isprintable():
        raise argparse.ArgumentTypeError(f"expected NAME@VERSION such as payments-api@2.3.1 (at most 120 "
                                         f"printable characters), got {value[:130]!r}")
    return value.strip()


def _port(value: str) -> int:
    number = _number(value, int, "a port number")
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 0 and 65535 (0: any free port), got {value!r}")
    return number


def _count(value: str) -> int:
    number = _number(value, int, "a whole number")
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value!r}")
    return number


_RUN_EPILOG = """exit codes:
  0  conformant: no MUST broken (with --strict, no SHOULD either)
  1  nonconformant: a MUST broken (with --strict, or a SHOULD)
  2  usage or configuration error (bad flags, a refused key, a wrong base URL, a TLS problem such as
     an untrusted issuer or a missing client certificate), found before the run
  3  inconclusive: the target could not be reached or too little could be judged; or a suite error
  130  interrupted (Ctrl-C)
The key is read from --api-key or $CONFORMANCE_API_KEY and never printed or written.
Reports: report.json, junit.xml, report.html, summary.md, exchanges.jsonl, certificate.json."""

_SERVE_EPILOG = """It prints its base URL, API key and supported X-API-Version values, one line each, and
stops cleanly on Ctrl-C (exit 0). Exit 2: the port, host or --db cannot be used, or a --fault names an
unknown fault, a path not served, or a checkout-only fault (see --list-faults) at another path."""

_VERIFY_EPILOG = """exit codes:
  0  every file matches the certificate and every verdict re-judges the same
  1  something was altered or disagrees (each problem is named)
  2  REPORT_DIR is missing, not a directory, or holds no report
  3  the evidence is intact, but this suite version judges it differently than the one that made it"""

_KEYGEN_EPILOG = """exit codes:
  0  the key pair was written
  2  a key already exists there (keygen never overwrites one), or DIR cannot be written"""

_DIFF_EPILOG = """exit codes:
  0  nothing regressed and no operation was dropped
  1  something regressed (each regression is named), or an operation the old run
     judged is not judged in the new one (each dropped operation is named)
  2  a directory holds no readable report"""


def default_areas() -> tuple[str, ...]:
    """The catalog's areas, for --only's help; none when the catalog cannot be read (`run` says why)."""
    from conformance.catalog import default_catalog

    try:
        return default_catalog().areas
    except ConformanceError:
        return ()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="checkout-conformance",
                     description="Conformance suite for GET /v1/checkout/sessions.",
                     epilog="`checkout-conformance COMMAND --help` describes each command's options.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="judge a target (default: the embedded reference server)",
                         description="Judge a target's GET /v1/checkout/sessions (or every list operation of the\n"
                                     "document --spec names), requirement by requirement (GET only, every request\n"
                                     "and walk bounded).",
                         epilog=_RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--base-url", default=os.environ.get("CONFORMANCE_BASE_URL"), metavar="URL",
                     help="the target's base URL, e.g. https://staging.example.com (without /v1; "
                          "default: $CONFORMANCE_BASE_URL; neither set: the embedded reference server)")
    run.add_argument("--api-key", default=os.environ.get("CONFORMANCE_API_KEY"), metavar="KEY",
                     help="the secret key, sent as the Basic username (default: $CONFORMANCE_API_KEY); never written")
    run.add_argument("--report-dir", type=_directory, default=Path("reports"), metavar="DIR",
                     help="where the reports go, created if missing (default: reports)")
    run.add_argument("--seed", type=int, default=0, help="the same seed sends the same requests (default: 0)")
    run.add_argument("--strict", action=argparse.BooleanOptionalAction, default=False,
                     help="fail on SHOULD violations too (--no-strict: not, whatever the config file says)")
    run.add_argument("--profile", choices=sorted(PROFILES), default="standard",
                     help="how hard to look: quick, standard (what CI gates use) or thorough (default: standard)")
    run.add_argument("--api-version", metavar="V",
                     help="an X-API-Version value the target supports, to judge VER-002 (default: none, "
                          "VER-002 skipped)")
    caps = ", ".join(f"{p.max_requests} for {name}" for name, p in PROFILES.items())
    run.add_argument("--max-requests", type=_positive_int, default=None, metavar="N",
                     help=f"hard cap on requests sent; what it leaves unjudged is inconclusive (default: the "
                          f"profile's, {caps}, for each operation judged)")
    run.add_argument("--timeout", type=_positive_float, default=10.0, metavar="SECONDS",
                     help="seconds each request may take, more than 0 and up to 600 (default: 10)")
    run.add_argument("--concurrency", type=_concurrency, default=DEFAULT_CONCURRENCY, metavar="N",
                     help=f"probes side by side, N requests in flight at most (1 to {MAX_CONCURRENCY}, default "
                          f"{DEFAULT_CONCURRENCY}; 1: one at a time). The same seed sends the same requests "
                          "whatever N is, unless --max-requests, --deadline or a failing target cuts the run short")
    run.add_argument("--rate-limit", type=_rate, metavar="N",
                     help="at most N requests per second across all of them (a token bucket), for targets "
                          "with a published limit; a 429 is still honoured")
    run.add_argument("--deadline", type=_deadline, default=DEFAULT_DEADLINE, metavar="SECONDS",
                     help="end the run, reports written, within this many seconds: asking stops at 70%% "
                          "of it and judging at 85%%, the rest is inconclusive "
                          f"(default {DEFAULT_DEADLINE:g})")
    run.add_argument("--header", type=_header, action="append", default=[], metavar="'Name: value'",
                     help="an extra header on every request (repeatable; not Authorization: use --api-key)")
    run.add_argument("--only", action="append", default=[], metavar="AREA|ID",
                     help=f"judge only an area ({', '.join(default_areas())}) or requirement IDs "
                          "such as PAG-001 (repeatable)")
    run.add_argument("--spec", type=_file_path, metavar="PATH",
                     help="the OpenAPI 3.x document whose list operations are judged (default: the shipped "
                          "spec/openapi.yaml, GET /v1/checkout/sessions)")
    run.add_argument("--operation", action="append", default=[], metavar="'GET /path'",
                     help="judge only this list operation of the document (repeatable; default: every "
                          "list operation it declares)")
    run.add_argument("--expect-dataset", choices=["canonical"],
                     help="also check the target lists exactly spec/fixtures/canonical.json, in order (DATA-001)")
    run.add_argument("--quiet", action=argparse.BooleanOptionalAction, default=False,
                     help="no progress lines on stderr (the summary still prints; --no-quiet: progress shown)")
    run.add_argument("--config", type=Path, metavar="PATH",
                     help="TOML file of run options (default: [tool.checkout-conformance] in ./pyproject.toml)")
    run.add_argument("--waivers", type=Path, metavar="FILE", help="YAML list of accepted failures, with expiry dates")
    run.add_argument("--sign-key", type=Path, metavar="PATH", help="Ed25519 key (keygen) that signs certificate.json")
    run.add_argument("--implementation", type=_implementation, metavar="NAME@VERSION",
                     help="what is being certified, in your words (e.g. payments-api@2.3.1): written into "
                          "report.json and certificate.json")
    run.add_argument("--ca-bundle", type=_file_path, metavar="PATH",
                     help="CA certificates to trust for an https:// target, a PEM file or a directory of them "
                          "(default: the config file's ca-bundle, else $REQUESTS_CA_BUNDLE, else $SSL_CERT_FILE, "
                          "else the certifi bundle; the one named is all that is trusted); "
                          "verification cannot be turned off")
    run.add_argument("--client-cert", type=_file_path, metavar="PATH",
                     help="client certificate (PEM) for a target that demands mutual TLS; may hold the key too")
    run.add_argument("--client-key", type=_file_path, metavar="PATH",
                     help="the client certificate's private key (PEM, unencrypted); read, never copied or written")

    serve = sub.add_parser("serve", help="run the embedded reference server",
                           description="Serve the embedded reference implementation of GET /v1/checkout/sessions\n"
                                       "and its family, GET /v1/customers and GET /v1/invoices (spec/family.yaml):\n"
                                       "a correct server, or one with injected faults.",
                           epilog=_SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on, 0: any free port (default: 8000)")
    serve.add_argument("--sessions", type=_count, default=57, metavar="N",
                       help="how many sessions to generate (default: 57)")
    serve.add_argument("--seed", type=int, default=0, help="the same seed generates the same sessions (default: 0)")
    serve.add_argument("--api-key", metavar="KEY",
                       help="the key to accept (default: a new sk_test_ key each start, printed); "
                            "an sk_live_ key serves livemode data")
    serve.add_argument("--db", metavar="PATH",
                       help="keep the sessions in this SQLite file, reused while it holds the same sessions "
                            "(default: in memory); never overwrites another file")
    serve.add_argument("--rebuild", action="store_true",
                       help="replace a --db file built with other --sessions/--seed/--dataset")
    serve.add_argument("--fault", metavar="NAME[@/PATH]", action="append", default=[],
                       help="inject a named fault (see --list-faults) into checkout sessions, or with @/PATH into "
                            "that operation (a generic fault); repeatable, one per operation")
    serve.add_argument("--list-faults", action="store_true",
                       help="list the injectable faults with the requirements each breaks and where each can be "
                            "injected, then exit")
    serve.add_argument("--dataset", choices=["canonical"],
                       help="serve a fixed dataset (spec/fixtures/canonical.json) instead of generated sessions")
    serve.add_argument("--churn", type=_churn_rate, default=0.0, metavar="RATE",
                       help="a live account: RATE sessions created per second at the head, and open "
                            "sessions expiring at a comparable rate (at most 1/s); combinable with --fault")

    verify = sub.add_parser("verify", help="re-judge a report directory offline",
                            description="Re-judge every requirement from REPORT_DIR/exchanges.jsonl alone, without\n"
                                        "contacting the target, and check every file against certificate.json.",
                            epilog=_VERIFY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("report_dir", type=Path, metavar="REPORT_DIR",
                        help="a directory written by `checkout-conformance run --report-dir`")
    verify.add_argument("--public-key", type=Path, metavar="PUB",
                        help="also check certificate.sig against this public key (signing-key.pub.pem)")
    verify.add_argument("--spec", type=_file_path, metavar="PATH",
                        help="the OpenAPI document the run judged (`run --spec`; default: the shipped one)")

    keygen = sub.add_parser("keygen", help="make an Ed25519 key pair for signing certificates",
                            description="Write DIR/signing-key.pem (the private key, mode 0600: keep it secret) and\n"
                                        "DIR/signing-key.pub.pem (publish it; `verify --public-key` checks with it).\n"
                                        "Sign a run with `run --sign-key DIR/signing-key.pem`.",
                            epilog=_KEYGEN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    keygen.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="directory for the key pair, created if missing")

    diff = sub.add_parser("diff", help="compare two report directories: regressions, fixes, other changes",
                          description="Compare two runs requirement by requirement: regressions (pass or skip to\n"
                                      "warn or fail, warn to fail), fixes, and other changes.",
                          epilog=_DIFF_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    diff.add_argument("old_dir", type=Path, metavar="OLD_REPORT_DIR", help="the baseline run's --report-dir")
    diff.add_argument("new_dir", type=Path, metavar="NEW_REPORT_DIR", help="the run to compare with it")
    diff.add_argument("--format", choices=["text", "md", "json"], default="text",
                      help="text (default), md (a pull-request comment) or json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (`argv`, default sys.argv[1:]); returns its exit code (README "Exit
    codes"). Ctrl-C (SIGINT) at any point returns 130 after one sentence, never a traceback
    (conformance.interrupts)."""
    try:
        with ctrl_c_raises():
            if ctrl_c_seen():  # came while the program loaded, and was lost there (an import fallback)
                raise KeyboardInterrupt
            return _main(argv)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt) or ctrl_c_seen():
            return interrupted()
        raise


def _main(argv: Sequence[str] | None) -> int:
    from conformance.config_file import parse_with_config

    argv = sys.argv[1:] if argv is None else list(argv)
    _KEYS[:] = _keys_of(argv)
    try:
        args = parse_with_config(build_parser(), argv)
    except ConformanceError as exc:  # the config file or its values: the key may be in the environment
        known = argparse.Namespace(api_key=os.environ.get("CONFORMANCE_API_KEY"),
                                   base_url=os.environ.get("CONFORMANCE_BASE_URL"))
        print(_safe(f"checkout-conformance: {_redacted(str(exc))}", known), file=sys.stderr)
        return exc.exit_code
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "serve":
            return _serve(args)
        if args.command in ("keygen", "diff"):
            return _keygen(args) if args.command == "keygen" else _diff(args)
        return _verify(args)
    except ConformanceError as exc:
        print(_safe(f"checkout-conformance: {_redacted(str(exc))}", args), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `... | head` stopped reading: the reader's choice, not a suite bug
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush is quiet too
        return 128 + 13  # as a shell reports a writer stopped by SIGPIPE
    except Exception as exc:  # a suite bug: one sentence, not a traceback (and exit 3, never "nonconformant")
        if ctrl_c_seen():  # or Ctrl-C, turned into another error by an extension loading then
            return interrupted()
        print(f"checkout-conformance: internal error ({_describe(exc, args)}); please report it.", file=sys.stderr)
        return 3


def _describe(exc: Exception, args: argparse.Namespace) -> str:
    """The exception on one line, without the key (its message may quote a request)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return _safe(text, args)[:300]


def _safe(line: str, args: argparse.Namespace) -> str:
    """A line for stderr: control characters escaped, and every secret the arguments hold
    (the key, secret --header values, a user:password@ in --base-url) masked."""
    from urllib.parse import unquote

    from conformance.record.redaction import Redactor, looks_secret

    secrets = [getattr(args, "api_key", None) or ""]
    secrets += [value for name, value in getattr(args, "header", []) or [] if looks_secret(name)]
    base_url = getattr(args, "base_url", None) or ""
    userinfo = base_url.partition("//")[2].partition("/")[0].rpartition("@")[0]
    for part in userinfo.split(":", 1) if userinfo else ():
        secrets += [part, unquote(part)]
    # Line by line: a tool message may have several (verify lists its problems); target text
    # inside one has had its whitespace collapsed by the client.
    return Redactor(secrets).text("\n".join(inert(part) for part in line.split("\n")))


def run_options(args: argparse.Namespace) -> RunOptions:
    """The RunOptions of parsed `run` arguments (flags, environment and config file already merged
    by conformance.config_file.parse_with_config), with the waiver file loaded: what `run` and the
    pytest plugin both judge with. UsageError (exit 2) for a bad URL, API version or waiver file."""
    from conformance.catalog import default_catalog
    from conformance.judge.waivers import load_waivers
    from conformance.run.runner import RunOptions
    from conformance.usage import base_url_from, check_api_version

    base_url = base_url_from(args.base_url)
    check_api_version(args.api_version)
    options = RunOptions(
        base_url=base_url, api_key=args.api_key or None, profile=PROFILES[args.profile],
        seed=args.seed, strict=args.strict, api_version=args.api_version, max_requests=args.max_requests,
        timeout=args.timeout, headers=dict(args.header), only=tuple(args.only),
        expect_dataset=args.expect_dataset, concurrency=args.concurrency, rate_limit=args.rate_limit,
        deadline=args.deadline, preflight_api_version=True, implementation=args.implementation,
        tls=_tls(args, base_url), spec_path=args.spec, operations=tuple(args.operation),
    )
    _check_url(options.base_url)
    # Checked before anything is sent: a bad waiver file is a usage error, not a run.
    waivers = load_waivers(args.waivers, default_catalog()) if args.waivers else []
    return replace(options, waivers=tuple(waivers))


def _run(args: argparse.Namespace) -> int:
    from conformance.console import print_summary
    from conformance.reports.writer import write_reports
    from conformance.run.runner import run
    from conformance.signing import load_private_key
    from conformance.usage import check_report_dir

    options = run_options(args)
    signing_key = load_private_key(args.sign_key) if args.sign_key else None
    check_report_dir(args.report_dir)
    if options.base_url and options.api_key and options.api_key.startswith("sk_live_"):
        print("checkout-conformance: warning: this is a live key (sk_live_): the suite only reads, but a "
              "dedicated sk_test_ key on staging is the safer target.", file=sys.stderr)
    progress = (lambda _line: None) if args.quiet else (lambda line: print(f"  {line}", file=sys.stderr))
    result = run(options, progress)
    written = write_reports(result, args.report_dir, signing_key)
    print_summary(result, written, sys.stdout)
    if result.aborted is not None:
        raise result.aborted  # its one sentence and exit code, after the reports are written
    return EXIT_BY_VERDICT[result.verdict]


def _tls(args: argparse.Namespace, base_url: str | None) -> TLSOptions:
    """--ca-bundle/--client-cert/--client-key; for an https:// target, the CA bundle falls back to
    $REQUESTS_CA_BUNDLE, then $SSL_CERT_FILE (conformance.record.tls; a stale variable never stops a
    plain-HTTP run)."""
    from conformance.record.tls import tls_options

    https = (base_url or "").lower().startswith("https://")
    return tls_options(args.ca_bundle, args.client_cert, args.client_key, os.environ if https else {})


def _check_url(base_url: str | None) -> None:
    if base_url is None:
        return
    from urllib.parse import urlsplit

    # Quoted without any user:password@ it may carry: that is a credential.
    scheme, slashes, rest = base_url.partition("//")
    netloc, slash, path = rest.partition("/")
    shown = scheme + slashes + netloc.rpartition("@")[2] + slash + path
    try:
        parts = urlsplit(base_url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise UsageError(f"--base-url {shown!r} is not a URL such as https://api.example.com.") from None
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise UsageError(f"--base-url {shown!r} has a port that is not a number.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url {shown!r} is not an http(s) URL such as https://api.example.com.")


def _serve(args: argparse.Namespace) -> int:
    from conformance.operations import CHECKOUT_SESSIONS
    from conformance.reference.faults import FAULTS, FaultTargetError, fault_target
    from conformance.reference.server import ReferenceConfig, ServerStartError, serve_forever
    from conformance.reference.store import StoreFileError

    if args.list_faults:
        for fault in FAULTS.values():
            # Where it can be injected: any list operation (generic, or generic where the operation takes a
            # filter / an enum filter), or checkout sessions only.
            scope = ("generic" + (f":{fault.needs}" if fault.needs else "")) if fault.generic else "checkout"
            print(f"{fault.name}\t{' '.join(fault.breaks)}\t{scope}")
        return 0
    faults: dict[str, str] = {}
    for text in args.fault:
        try:
            key, name = fault_target(text)
        except FaultTargetError as exc:
            raise UsageError(str(exc)) from None
        if key in faults:
            raise UsageError(f"--fault {text!r}: {key} already takes the fault {faults[key]}; "
                             "inject one per operation.")
        faults[key] = name
    if args.api_key is not None and not args.api_key.strip():  # every request would get 401
        raise UsageError("serve --api-key is empty: name a key such as sk_test_local, or leave --api-key out "
                         "for a new one.")
    # A bare NAME keeps today's ReferenceConfig(fault=NAME): checkout sessions.
    config = ReferenceConfig(sessions=args.sessions, seed=args.seed, api_key=args.api_key, db=args.db,
                             fault=faults.pop(CHECKOUT_SESSIONS, None), faults=faults, dataset=args.dataset,
                             churn=args.churn)
    try:
        return serve_forever(config, args.host, args.port, replace_db=args.rebuild)
    except (ServerStartError, StoreFileError) as exc:
        raise UsageError(str(exc)) from None


def _verify(args: argparse.Namespace) -> int:
    from conformance.verify import verify_report_dir

    return verify_report_dir(args.report_dir, sys.stdout, public_key=args.public_key, spec_path=args.spec)


def _keygen(args: argparse.Namespace) -> int:
    from conformance.signing import generate_keypair

    private, public, fingerprint = generate_keypair(args.out)
    print(f"wrote {private} (secret: keep it out of version control) and {public} (publish it)")
    print(f"public key sha256: {fingerprint}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from conformance.rundiff import diff_report_dirs

    return diff_report_dirs(args.old_dir, args.new_dir, args.format, sys.stdout)
