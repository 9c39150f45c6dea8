"""Writes a run's report files into the report directory.

Every format is derived from the report.json document (not from the RunResult), so
what a person reads in HTML, JUnit or Markdown cannot say something report.json does
not. The certificate comes last: it carries the digests of everything before it.

This is the report files' output boundary: the document is redacted as data (evidence is
built from parsed bodies, so a key a target spelled with escapes is plain text by now),
and every file's final text passes the run's redactor once more before it is written.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.errors import UsageError
from conformance.exchange import Exchange
from conformance.record.redaction import Redactor
from conformance.reports.certificate import write_certificate
from conformance.reports.document import build_report
from conformance.reports.exchanges import exchange_line
from conformance.reports.files import replacing, write_new
from conformance.reports.html import render_html
from conformance.reports.junit import write_junit
from conformance.reports.markdown import build_summary
from conformance.reports.reproducers import write_reproducers
from conformance.run.runner import RunResult
from conformance.signing import SIGNATURE, sign_file, signer_entry

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPORT_JSON = "report.json"
EXCHANGES = "exchanges.jsonl"
JUNIT = "junit.xml"
HTML = "report.html"
SUMMARY = "summary.md"
CERTIFICATE = "certificate.json"


def write_reports(result: RunResult, report_dir: Path, signing_key: Ed25519PrivateKey | None = None) -> list[Path]:
    """Every report file of `result` in `report_dir`, and certificate.sig when `signing_key` is given.

    Raises UsageError when the directory cannot be written."""
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"Cannot create the report directory {report_dir}: {exc.strerror}.") from None
    redactor = result.redactor
    report = redactor.value(build_report(result))
    paths = {name: report_dir / name for name in (REPORT_JSON, EXCHANGES, JUNIT, HTML, SUMMARY, CERTIFICATE)}
    signature = report_dir / SIGNATURE
    try:
        # An earlier run's verdict-bearing files go first and this run's are written last: a
        # run interrupted while writing (Ctrl-C) leaves no report.json or certificate speaking
        # for files it did not finish, nor an old verdict beside new evidence.
        for stale in (paths[CERTIFICATE], signature, paths[REPORT_JSON]):
            stale.unlink(missing_ok=True)
        # Every file is created new and renamed into place (reports.files): nothing already in
        # the directory, such as a symbolic link, is ever opened for writing.
        with replacing(paths[EXCHANGES]) as temporary, temporary.open("w", encoding="utf-8") as handle:
            for exchange in result.exchanges:  # line by line: it can be large
                handle.write(_masked_line(exchange, redactor))
        with replacing(paths[JUNIT]) as temporary:
            write_junit(report, temporary)
            _seal(temporary, redactor)
        _write(paths[HTML], render_html(report), redactor)
        _write(paths[SUMMARY], build_summary(report), redactor)
        evidence = [paths[name] for name in (REPORT_JSON, EXCHANGES, JUNIT, HTML, SUMMARY)]
        write_reproducers(report, result.exchanges, report_dir, redactor.text)
        _write(paths[REPORT_JSON], json.dumps(report, indent=2) + "\n", redactor)
        # The certificate is built from the redacted document and digests, and may be signed:
        # it is not rewritten after.
        signer = signer_entry(signing_key) if signing_key else None
        with replacing(paths[CERTIFICATE]) as temporary:
            write_certificate(report, report_dir, evidence, temporary, signer)
        if signing_key:
            with replacing(signature) as temporary:
                sign_file(signing_key, paths[CERTIFICATE], temporary)
    except OSError as exc:
        raise UsageError(f"Cannot write the reports into {report_dir}: {exc.strerror or exc}.") from None
    return list(paths.values())


def _masked_line(exchange: Exchange, redactor: Redactor) -> str:
    """The exchanges.jsonl line of `exchange`, masked: its body (up to 4 MiB) as the text it is,
    the rest of the line (small) as written. Masking the whole line at once cost seconds a
    line when a short field held a \\u escape, since the body's millions of \\" then left
    the fast path (BENCHMARKS.md, section 9). It finds no less: JSON's own escaping of the
    body only adds a layer a reader undoes first, so the line's pass saw one round fewer of
    the body's escapes than the body's own pass does."""
    if not exchange.body:
        return redactor.text(exchange_line(exchange))
    rest = redactor.text(exchange_line(dataclasses.replace(exchange, body="")))
    body = json.dumps(redactor.text(exchange.body))  # as exchange_line encodes it (ensure_ascii)
    # `"body":""` is the key itself: inside a value every quote is escaped.
    return rest.replace('"body":""', f'"body":{body}', 1)


def _write(path: Path, text: str, redactor: Redactor) -> None:
    # backslashreplace: a lone surrogate a target smuggled into a string must not stop the write.
    write_new(path, redactor.text(text))


def _seal(path: Path, redactor: Redactor) -> None:
    """Redacts a file a library wrote itself (JUnit XML): the suite's own new temporary file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if (redacted := redactor.text(text)) != text:
        path.write_text(redacted, encoding="utf-8")
