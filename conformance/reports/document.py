"""report.json: the machine-readable truth of a run, built from a RunResult."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance import __version__
from conformance.catalog import Catalog
from conformance.checks.history import describe
from conformance.exchange import Exchange
from conformance.judge.diagnosis import Cause
from conformance.not_sent import Stopped
from conformance.run.runner import RunResult
from conformance.verdicts import RequirementVerdict, Verdict

# 2: every requirement names the exchanges its verdict rests on (`exchanges`); `coverage`.
# Added since, without a new format (the schema allows added fields): `scope` (the scoped verdict
# and what was not judged, conformance.judge.judgement), `implementation`, each likely cause's `shown`.
# 3: `verdict` is the scoped verdict (what certificate.json's `verdict` says: partial for an --only
# run), `gate_verdict` the gate the exit code reported; in format 2 `verdict` was the gate. One name,
# one meaning in every file: `jq .verdict report.json` cannot read "conformant" for a partial run.
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


def build_report(result: RunResult) -> dict[str, Any]:
    counts = {v.value: 0 for v in Verdict if v != Verdict.WAIVED or result.waivers}
    for verdict in result.verdicts:
        counts[verdict.verdict.value] += 1
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
        **({"activity": {**result.activity, "text": describe(result.activity)}} if result.activity else {}),
        # Why nothing was judged (unreachable, refused key...): `verify` re-judges it so.
        "aborted": None if result.aborted is None else result.redactor.text(str(result.aborted)),
        **Stopped.to_report(result.stopped),
        "counts": counts,
        # What part of the collection the run saw (format 2).
        "coverage": result.coverage_of_run().to_dict(),
        # The likely causes, most likely first: `verify` derives them again from the transcript.
        "diagnosis": diagnosis_entries(result.diagnosis, result.exchanges),
        "requirements": requirements,
        **({"waivers": result.waivers} if result.waivers else {}),
    }
