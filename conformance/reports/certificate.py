"""certificate.json: what was tested, the verdict per requirement, and digests over the evidence.

The certificate is derived from report.json and the bytes of the files written before it,
so `verify` can rebuild it field by field and say exactly which part disagrees. Its own
digest covers its body: the JSON of every other field, keys sorted, compact separators,
ASCII only (``canonical_bytes``), so any JSON tool can recompute it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

# 2: `verdict` is the scoped verdict (conformance.judge.judgement): conformant only when every MUST of
# the catalog was judged and held; `scope` (what was not judged, and why), `coverage`,
# `implementation` and `run_verdict` (the gate, which the run's exit code reported).
# 3: `run_verdict` is named `gate_verdict`, as in report.json (format 3): one name, one meaning.
# Added since, without a new format (issue 24): `operations` (the list operations it covers, as
# "GET /path"), `by_operation` (each one's verdict), `left_out` (operations the document declares
# that were not judged, with why: it certifies nothing about them), and each requirement's
# `operation`. A certificate without them covers GET /v1/checkout/sessions alone.
CERTIFICATE_FORMAT_VERSION = 3
DIGEST_FIELD = "certificate_sha256"
DIGEST_METHOD = ("sha256 over this object without certificate_sha256, as JSON with sorted keys, "
                 "separators ',' ':', ASCII")
# Files the certificate must cover for a verifier to trust the rest.
REQUIRED_EVIDENCE = ("report.json", "exchanges.jsonl")
# Written into (and digested with) the certificate of a run that judged the suite's own
# embedded reference server, so that it cannot pass for a certificate of a vendor's target.
SELF_TEST_NOTICE = ("SELF-TEST: this run judged the suite's own embedded reference server, "
                    "not a vendor's target; it certifies no target.")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def canonical_bytes(body: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in body.items() if k != DIGEST_FIELD}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def certificate_digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def build_certificate(report: dict[str, Any], evidence_files: dict[str, str],
                      signer: dict[str, Any] | None = None) -> dict[str, Any]:
    """The certificate for `report`; `evidence_files` maps file names in the report dir to their sha256.

    `signer` (conformance.signing.signer_entry) names the key that will sign it, when one will.
    """
    body: dict[str, Any] = {
        "format_version": CERTIFICATE_FORMAT_VERSION,
        "suite": dict(report["suite"]),
        "catalog_sha256": report["catalog_sha256"],
        "spec_sha256": report["spec_sha256"],
        "target": dict(report["target"]),
        **({"notice": SELF_TEST_NOTICE} if report["target"]["embedded_reference"] else {}),
        "profile": report["context"]["profile"],
        "seed": report["context"]["seed"],
        "api_version": report["context"]["api_version"],
        "strict": report["strict"],
        "only": list(report["only"]),
        "tested_from": report["started_at"],
        "tested_until": report["finished_at"],
        # What is certified, and how far: a reader of this line alone cannot mistake a partial
        # run (--only, too little data, a cut run) or accepted failures for full conformance.
        "verdict": report["verdict"],
        "gate_verdict": report["gate_verdict"],
        "verdict_reason": report.get("verdict_reason", ""),
        **({"implementation": report["implementation"]} if report.get("implementation") else {}),
        "scope": _scope(report.get("scope")),
        "coverage": report["coverage"]["statement"],
        # Which list operations it covers, each one's verdict, and those it does not (left out, with why).
        **({"operations": list(report["operations"])} if "operations" in report else {}),
        **({"by_operation": [{"operation": s["operation"], "verdict": s["verdict"]} for s in report["by_operation"]]}
           if "by_operation" in report else {}),
        **({"left_out": [{"operation": o["operation"], "reason": o["reason"], "judged": False}
                         for o in report["left_out"]]} if "left_out" in report else {}),
        "requirements": [{"id": r["id"], **({"operation": r["operation"]} if "operation" in r else {}),
                          "level": r["level"], "verdict": r["verdict"]}
                         for r in report["requirements"]],
        "evidence": {name: {"sha256": digest} for name, digest in sorted(evidence_files.items())},
        "digest_method": DIGEST_METHOD,
        **({"waivers": report["waivers"]} if "waivers" in report else {}),
        **({"signer": signer} if signer else {}),
    }
    body[DIGEST_FIELD] = certificate_digest(body)
    return body


def _scope(scope: dict[str, Any] | None) -> dict[str, Any] | None:
    """The scope of report.json without its verdict (the certificate's `verdict` says it)."""
    return None if scope is None else {k: v for k, v in scope.items() if k != "verdict"}


def write_certificate(report: dict[str, Any], report_dir: Path, evidence: list[Path], path: Path,
                      signer: dict[str, Any] | None = None) -> None:
    files = {p.relative_to(report_dir).as_posix(): sha256_file(p) for p in evidence}
    certificate = build_certificate(report, files, signer)
    path.write_text(json.dumps(certificate, indent=2) + "\n", encoding="utf-8")
