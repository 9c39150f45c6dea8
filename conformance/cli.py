"""The command line: `run`, `serve`, `verify`. Exceptions map to exit codes here, once."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__
from conformance.errors import ConformanceError, UsageError
from conformance.lanes import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from conformance.profiles import PROFILES

EXIT_BY_VERDICT = {"conformant": 0, "nonconformant": 1, "inconclusive": 3, "error": 3}

# Headers that ask a server to treat a GET as another method: the suite is GET-only.
_METHOD_OVERRIDES = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One sentence and exit 2, as argparse does, but without the wall of usage text.
        self.exit(2, f"{self.prog}: {message[0].upper()}{message[1:]}. See --help.\n")


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {value!r}") from None
    if not 0 < number <= 600:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 600, got {value!r}")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value!r}")
    return number


def _churn_rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sessions per second, got {value!r}") from None
    if not 0 <= number <= 1000:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected sessions per second between 0 and 1000, got {value!r}")
    return number


def _concurrency(value: str) -> int:
    number = _positive_int(value)
    if number > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_CONCURRENCY} requests in flight, got {value!r}")
    return number


def _rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected requests per second, got {value!r}") from None
    if not 0 < number <= 10_000:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected requests per second above 0 and at most 10000, got {value!r}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="checkout-conformance",
                     description="Conformance suite for GET /v1/checkout/sessions.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="judge a target (default: the embedded reference server)")
    run.add_argument("--base-url", default=os.environ.get("CONFORMANCE_BASE_URL"),
                     help="target base URL (env CONFORMANCE_BASE_URL); omitted: the embedded reference")
    run.add_argument("--api-key", default=os.environ.get("CONFORMANCE_API_KEY"),
                     help="secret key (env CONFORMANCE_API_KEY); never written anywhere")
    run.add_argument("--report-dir", type=Path, default=Path("reports"))
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--strict", action="store_true", help="fail on SHOULD violations too")
    run.add_argument("--profile", choices=sorted(PROFILES), default="standard")
    run.add_argument("--api-version", help="an X-API-Version value the target supports")
    run.add_argument("--max-requests", type=_positive_int, default=2000)
    run.add_argument("--timeout", type=_positive_float, default=10.0, help="seconds per request")
    run.add_argument("--concurrency", type=_concurrency, default=DEFAULT_CONCURRENCY, metavar="N",
                     help=f"probes side by side, N requests in flight at most (default {DEFAULT_CONCURRENCY}; "
                          "1: one at a time). The same seed sends the same requests whatever N is")
    run.add_argument("--rate-limit", type=_rate, metavar="N",
                     help="at most N requests per second across all of them (a token bucket), for targets "
                          "with a published limit; a 429 is still honoured")
    run.add_argument("--header", type=_header, action="append", default=[], metavar="'Name: value'")
    run.add_argument("--only", action="append", default=[], metavar="AREA|ID")
    run.add_argument("--expect-dataset", choices=["canonical"], help="also check the exact collection")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--config", type=Path, metavar="PATH",
                     help="TOML file of run options (default: [tool.checkout-conformance] in ./pyproject.toml)")
    run.add_argument("--waivers", type=Path, metavar="FILE", help="YAML list of accepted failures, with expiry dates")
    run.add_argument("--sign-key", type=Path, metavar="PATH", help="Ed25519 key (keygen) that signs certificate.json")

    serve = sub.add_parser("serve", help="run the embedded reference server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--sessions", type=int, default=57)
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument("--api-key")
    serve.add_argument("--db", help="SQLite file (reused when it holds the same data)")
    serve.add_argument("--fault", help="inject one named fault (see --list-faults)")
    serve.add_argument("--list-faults", action="store_true")
    serve.add_argument("--dataset", choices=["canonical"], help="serve a fixed dataset instead")
    serve.add_argument("--churn", type=_churn_rate, default=0.0, metavar="RATE",
                       help="a live account: RATE sessions created per second at the head, and open "
                            "sessions expiring at a comparable rate (at most 1/s); combinable with --fault")

    verify = sub.add_parser("verify", help="re-judge a report directory offline")
    verify.add_argument("report_dir", type=Path)
    verify.add_argument("--public-key", type=Path, metavar="PUB",
                        help="also check certificate.sig against this public key (signing-key.pub.pem)")

    keygen = sub.add_parser("keygen", help="make an Ed25519 key pair for signing certificates")
    keygen.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory for the key pair")

    diff = sub.add_parser("diff", help="compare two report directories: regressions, fixes, other changes")
    diff.add_argument("old_dir", type=Path, metavar="OLD_REPORT_DIR")
    diff.add_argument("new_dir", type=Path, metavar="NEW_REPORT_DIR")
    diff.add_argument("--format", choices=["text", "md", "json"], default="text", help="md: a pull-request comment")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from conformance.config_file import parse_with_config

    try:
        args = parse_with_config(build_parser(), sys.argv[1:] if argv is None else list(argv))
    except ConformanceError as exc:
        print(f"checkout-conformance: {exc}", file=sys.stderr)
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
        print(f"checkout-conformance: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("checkout-conformance: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a suite bug: one sentence, not a traceback (and exit 3, never "nonconformant")
        print(f"checkout-conformance: internal error ({_describe(exc, args)}); please report it.", file=sys.stderr)
        return 3


def _describe(exc: Exception, args: argparse.Namespace) -> str:
    """The exception on one line, without the key (its message may quote a request)."""
    from conformance.redaction import Redactor

    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return Redactor([getattr(args, "api_key", None) or ""]).text(text)[:300]


def _run(args: argparse.Namespace) -> int:
    from conformance.catalog import default_catalog
    from conformance.console import print_summary
    from conformance.reports.writer import write_reports
    from conformance.runner import RunOptions, run
    from conformance.signing import load_private_key
    from conformance.waivers import load_waivers, waive_result

    options = RunOptions(
        base_url=args.base_url or None, api_key=args.api_key or None, profile=PROFILES[args.profile],
        seed=args.seed, strict=args.strict, api_version=args.api_version, max_requests=args.max_requests,
        timeout=args.timeout, headers=dict(args.header), only=tuple(args.only),
        expect_dataset=args.expect_dataset, concurrency=args.concurrency, rate_limit=args.rate_limit,
    )
    _check_url(options.base_url)
    # Checked before anything is sent: a bad waiver file or key is a usage error, not a run.
    waivers = load_waivers(args.waivers, default_catalog()) if args.waivers else []
    signing_key = load_private_key(args.sign_key) if args.sign_key else None
    progress = (lambda _line: None) if args.quiet else (lambda line: print(f"  {line}", file=sys.stderr))
    result = waive_result(run(options, progress), waivers)
    written = write_reports(result, args.report_dir, signing_key)
    print_summary(result, written, sys.stdout)
    return EXIT_BY_VERDICT[result.verdict]


def _check_url(base_url: str | None) -> None:
    if base_url is None:
        return
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise UsageError(f"--base-url {base_url!r} has a port that is not a number.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url {base_url!r} is not an http(s) URL such as https://api.example.com.")


def _serve(args: argparse.Namespace) -> int:
    from conformance.reference.faults import FAULTS
    from conformance.reference.server import ReferenceConfig, ServerStartError, serve_forever

    if args.list_faults:
        for fault in FAULTS.values():
            print(f"{fault.name}\t{' '.join(fault.breaks)}")
        return 0
    if args.fault and args.fault not in FAULTS:
        raise UsageError(f"Unknown fault {args.fault!r}: `checkout-conformance serve --list-faults` lists them.")
    if args.sessions < 0:
        raise UsageError("--sessions must be 0 or more.")
    config = ReferenceConfig(sessions=args.sessions, seed=args.seed, api_key=args.api_key, db=args.db,
                             fault=args.fault, dataset=args.dataset, churn=args.churn)
    try:
        return serve_forever(config, args.host, args.port)
    except ServerStartError as exc:
        raise UsageError(str(exc)) from None


def _verify(args: argparse.Namespace) -> int:
    from conformance.verify import verify_report_dir

    return verify_report_dir(args.report_dir, sys.stdout, public_key=args.public_key)


def _keygen(args: argparse.Namespace) -> int:
    from conformance.signing import generate_keypair

    private, public, fingerprint = generate_keypair(args.out)
    print(f"wrote {private} (secret: keep it out of version control) and {public} (publish it)")
    print(f"public key sha256: {fingerprint}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from conformance.rundiff import diff_report_dirs

    return diff_report_dirs(args.old_dir, args.new_dir, args.format, sys.stdout)
