"""report.json: the machine-readable truth of a run, built from a RunResult."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from conformance import __version__
from conformance.catalog import Catalog
from conformance.exchange import Exchange
from conformance.judge.diagnosis import Cause
from conformance.judge.family import activity_text, operation_verdicts
from conformance.not_sent import Stopped
from conformance.operations import CHECKOUT_SESSIONS
from conformance.run.runner import RunResult
from conformance.verdicts import RequirementVerdict, Verdict

# 2: every requirement names the exchanges its verdict rests on (`exchanges`); `coverage`.
# Added since, without a new format (the schema allows added fields): `scope` (the scoped verdict
# and what was not judged, conformance.judge.judgement), `implementation`, each likely cause's `shown`.
# 3: `verdict` is the scoped verdict (what certificate.json's `verdict` says: partial for an --only
# run), `gate_verdict` the gate the exit code reported; in format 2 `verdict` was the gate. One name,
# one meaning in every file: `jq .verdict report.json` cannot read "conformant" for a partial run.
# Added since, without a new format (issue 24, families of list operations): each requirement's and
# cause's `operation`; `operations` (the list operations judged, "GET /path"), `left_out` (those the
# document declares that were not judged, with why) and `by_operation` (each operation's verdict and
# counts); each waiver record's `operation`. A report without them judged checkout sessions alone
# (``with_default_operations`` reads it so).
REPORT_FORMAT_VERSION = 3


def evidence_detail(exchange: Exchange, base_url: str) -> dict[str, Any]:
    """What a reader needs of one exchange next to a finding: request, status, body excerpt, curl."""
    return {
        "seq": exchange.seq,
        "request": f"GET {exchange.target}",
        "auth": exchange.auth,
        "request_headers": exchange.request_headers,
        "status": exchange.status,
        "error": exchange.error,
        "response_excerpt": exchange.body[:600],
        "curl": exchange.curl(base_url),
    }


def diagnosis_entries(causes: Sequence[Cause], exchanges: Sequence[Exchange]) -> list[dict[str, Any]]:
    """report.json's `diagnosis`: each cause with the request and answer of the exchanges that show it
    (`shown`), so a report read alone names them; `verify` rebuilds them and compares."""
    return [{**cause.to_dict(),
             "shown": [{"seq": s, "request": f"GET {exchanges[s].target}", "status": exchanges[s].status,
                        "error": exchanges[s].error} for s in cause.exchanges if 0 <= s < len(exchanges)]}
            for cause in causes]


def requirement_entries(
    verdicts: Sequence[RequirementVerdict], catalog: Catalog, exchanges: Sequence[Exchange], base_url: str
) -> list[dict[str, Any]]:
    """report.json's `requirements`; `verify` rebuilds them from a re-judgement and compares."""
    requirements = []
    for verdict in verdicts:
        req = catalog[verdict.requirement]
        evidence = []
        for item in verdict.evidence:
            entry = item.to_dict()
            entry["exchanges"] = [evidence_detail(exchanges[s], base_url) for s in item.exchanges
                                  if 0 <= s < len(exchanges)]
            evidence.append(entry)
        requirements.append({
            "id": req.id, "operation": verdict.operation, "area": req.area, "level": req.level, "text": req.text,
            "source": req.source,
            "verdict": verdict.verdict.value, "reason": verdict.reason, "checks": verdict.checks,
            "evidence": evidence,
            "exchanges": [s for s in verdict.exchanges if 0 <= s < len(exchanges)],
            **({"waiver": verdict.waiver} if verdict.waiver else {}),
        })
    return requirements


def verdict_counts(verdicts: Sequence[RequirementVerdict], waived: bool) -> dict[str, int]:
    """How many requirement verdicts of each kind (report.json `counts`); `waived` (the run was
    given waivers) adds the `waived` count."""
    counts = {v.value: 0 for v in Verdict if v != Verdict.WAIVED or waived}
    for verdict in verdicts:
        counts[verdict.verdict.value] = counts.get(verdict.verdict.value, 0) + 1
    return counts


def operation_entries(verdicts: Sequence[RequirementVerdict], operations: Sequence[str], strict: bool,
                      waived: bool) -> list[dict[str, Any]]:
    """report.json's `by_operation`: per operation judged (in `operations`' order, then any other a
    verdict names), its verdict as the judge gives it (``conformance.judge.family.operation_verdicts``,
    which the console reads too) and its counts. `verify` rebuilds it."""
    return [{"operation": entry.operation, "verdict": entry.verdict,
             "counts": verdict_counts(entry.verdicts, waived)}
            for entry in operation_verdicts(verdicts, operations, strict)]


def operations_of(report: dict[str, Any]) -> list[str]:
    """The operations a report judged: its `operations`; for a report made before families (issue 24),
    those its requirements name, or checkout sessions."""
    stated = report.get("operations")
    if isinstance(stated, list) and stated:
        return [str(key) for key in stated]
    named = [r.get("operation", CHECKOUT_SESSIONS) for r in report.get("requirements", []) if isinstance(r, dict)]
    return list(dict.fromkeys(named)) or [CHECKOUT_SESSIONS]


# A slug is at most this long before its disambiguating suffix: a file name stays well under 255 bytes.
_SLUG_LENGTH = 80


def operation_slugs(operations: Iterable[str]) -> dict[str, str]:
    """Each operation key (``GET /v1/invoices``) as a name safe in a file name or an HTML id
    (``GET_v1_invoices``: ASCII letters, digits and ``_`` only, never empty, never ``.`` or ``..``).
    Keys that would share a slug (``/v1/a-b``, ``/v1/a_b``), or a cut one, each get the first 8 hex
    digits of their key's SHA-256 appended, so the slugs of one run are distinct."""
    keys = list(dict.fromkeys(operations))
    plain = {key: re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")[:_SLUG_LENGTH] or "operation" for key in keys}
    shared = {slug for slug in plain.values() if list(plain.values()).count(slug) > 1}
    return {key: f"{slug}_{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"
            if slug in shared or len(re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")) > _SLUG_LENGTH else slug
            for key, slug in plain.items()}


def with_default_operations(report: dict[str, Any]) -> dict[str, Any]:
    """`report` (parsed report.json) as this suite reads it: a requirement, cause or waiver record
    without `operation`, written before families (issue 24), is about checkout sessions (a waiver
    record without one applied to every operation, then only that one). A copy; `report` is not changed."""
    def named(entries: Any, default: str | None) -> Any:
        if not isinstance(entries, list):
            return entries
        return [{"operation": default, **e} if isinstance(e, dict) and "operation" not in e else e for e in entries]

    read = dict(report)
    for key, default in (("requirements", CHECKOUT_SESSIONS), ("diagnosis", CHECKOUT_SESSIONS), ("waivers", None)):
        if key in read:
            read[key] = named(read[key], default)
    return read


def build_report(result: RunResult) -> dict[str, Any]:
    counts = verdict_counts(result.verdicts, bool(result.waivers))
    requirements = requirement_entries(result.verdicts, result.catalog, result.exchanges, result.target)
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "suite": {"name": "checkout-conformance", "version": __version__},
        "spec_sha256": result.spec.sha256,
        "catalog_sha256": result.catalog.sha256,
        # tls: the protocol and the server certificate's SHA-256 the run saw (null for plain HTTP), so a
        # certificate names the server that was judged, not only its URL.
        "target": {"base_url": result.target, "embedded_reference": result.embedded, "tls": result.tls},
        "context": result.context.to_dict(),
        "strict": result.strict,
        "only": list(result.only),
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "duration_seconds": round((result.finished_at - result.started_at).total_seconds(), 3),
        "requests": result.requests_sent,
        # The scoped verdict (what certificate.json, verify, report.html and summary.md say; `scope`
        # says what it covers) and the gate, which the exit code reports (conformance.judge.judgement).
        "verdict": result.scope.verdict if result.scope else result.verdict,
        "gate_verdict": result.verdict,
        "verdict_reason": result.verdict_reason,
        "scope": result.scope.to_dict() if result.scope else None,
        "implementation": result.implementation,
        # Suite bugs during probing: `verify` needs them to re-judge the same way.
        "failed_probes": dict(result.failed_probes),
        # What changed on the target while the run lasted, and what the rules were judged on.
        **({"activity": {**result.activity, "text": activity_text(result.activity, result.operations)}}
           if result.activity else {}),
        # Why nothing was judged (unreachable, refused key...): `verify` re-judges it so.
        "aborted": None if result.aborted is None else result.redactor.text(str(result.aborted)),
        **Stopped.to_report(result.stopped),
        "counts": counts,
        # The list operations judged ("GET /path", the document's order), each one's verdict and counts,
        # and the operations the document declares that were not judged, each with why (issue 24).
        "operations": list(result.operations),
        "by_operation": operation_entries(result.verdicts, result.operations, result.strict, bool(result.waivers)),
        "left_out": [{"operation": o.key, "reason": o.reason} for o in result.left_out],
        # What part of the collection the run saw (format 2).
        "coverage": result.coverage_of_run().to_dict(),
        # The likely causes, most likely first: `verify` derives them again from the transcript.
        "diagnosis": diagnosis_entries(result.diagnosis, result.exchanges),
        "requirements": requirements,
        **({"waivers": result.waivers} if result.waivers else {}),
    }
