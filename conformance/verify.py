"""`checkout-conformance verify REPORT_DIR`: check a report directory offline.

It trusts nothing in the directory: the certificate's own digest and the digests of the
files it covers are recomputed, report.json is checked against its schema and against
the installed suite's spec and catalog, and every requirement is judged again from
exchanges.jsonl alone (no request to the target), with the waivers report.json records
applied again as on the day of the run. Reproducer scripts must be what the evidence gives.
Every disagreement is collected, so one run of `verify` names all of them, not just the first.

With `--public-key`, certificate.sig is checked first (conformance.signing): a missing
signature, another signer or a changed certificate ends verification with one sentence. A
report made by another suite version is re-judged too, and where the rules now judge
differently that is reported as verdict drift (exit 3), not as tampering (exit 1).

Requirements are compared per operation (issue 24): an entry is known by its operation and ID,
in report.json, certificate.json and the re-judgement alike, and each operation's summary
(`by_operation`) is rebuilt from the re-judged verdicts. A report made before families (no
`operation` anywhere) reads as one of checkout sessions.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from conformance import __version__
from conformance.catalog import Catalog, default_catalog
from conformance.checks.base import Record, RunContext
from conformance.errors import UsageError, VerdictDrift, VerificationFailed
from conformance.exchange import Exchange
from conformance.judge.bounded import recorded_cut
from conformance.judge.coverage import Coverage
from conformance.judge.diagnosis import Cause
from conformance.judge.family import (
    combined,
    coverage_of_operations,
    judge_operations,
    own_failures,
    path_of,
    records_by_operation,
    tagged,
)
from conformance.judge.judgement import Conclusion
from conformance.judge.pipeline import Judged, RunJudgement, judge_cut_short, judge_run, judging_steps
from conformance.judge.waivers import recorded_waivers, status_problems
from conformance.not_sent import Stopped
from conformance.operations import CHECKOUT_SESSIONS
from conformance.profiles import PROFILES
from conformance.reports.certificate import (
    DIGEST_FIELD,
    REQUIRED_EVIDENCE,
    build_certificate,
    certificate_digest,
    sha256_file,
)
from conformance.reports.document import (
    REPORT_FORMAT_VERSION,
    diagnosis_entries,
    operation_entries,
    operations_of,
    requirement_entries,
    with_default_operations,
)
from conformance.reports.exchanges import read_exchanges
from conformance.reports.reproducers import reproducer_problems
from conformance.reports.schema import report_problems
from conformance.reports.writer import CERTIFICATE, EXCHANGES
from conformance.reports.writer import REPORT_JSON as REPORT  # the writer's names: they cannot drift
from conformance.signing import SIGNATURE, fingerprint, load_public_key, signature_problem
from conformance.spec import Spec, default_spec, load_spec
from conformance.verdicts import RequirementVerdict
from conformance.wording import plural


def verify_report_dir(report_dir: Path, out: TextIO, public_key: Path | None = None,
                      spec_path: Path | None = None) -> int:
    """0 and a short summary on `out` when the directory holds up; VerificationFailed (exit 1) naming
    every problem if not; UsageError (exit 2) when `report_dir` is missing or holds no report at all.

    With `public_key` (PEM), certificate.sig must first be that key's signature over certificate.json
    (else VerificationFailed with one sentence saying why). A report made by another suite version
    whose re-judgement differs raises VerdictDrift (exit 3): the evidence is intact, the rules moved.
    `spec_path`: the OpenAPI document the run judged (`run --spec`); default: the shipped one. Its
    digest must be the report's, and each operation the report names is re-judged with it.
    """
    # Nothing to verify is the user's mistake (exit 2); a report with a file gone is not (exit 1).
    if not report_dir.exists():
        raise UsageError(f"{report_dir} does not exist: pass the directory `checkout-conformance run` wrote "
                         "its reports into (--report-dir, default reports).")
    key = load_public_key(public_key) if public_key else None
    spec = default_spec() if spec_path is None else load_spec(spec_path)
    if not report_dir.is_dir():
        raise UsageError(f"{report_dir} is a file, not a directory: pass the directory the reports are in.")
    missing = [name for name in (REPORT, EXCHANGES, CERTIFICATE) if not (report_dir / name).is_file()]
    if len(missing) == 3:
        raise UsageError(f"{report_dir} holds no report (no report.json, exchanges.jsonl or certificate.json): "
                         "pass the directory `checkout-conformance run` wrote.")
    if missing:
        raise VerificationFailed(f"{report_dir} is missing {', '.join(missing)}: nothing to verify against.")
    certificate = _load_json(report_dir / CERTIFICATE)
    if key is not None:
        problem = signature_problem(report_dir / CERTIFICATE, report_dir / SIGNATURE, key, certificate.get("signer"))
        if problem:
            raise VerificationFailed(f"{report_dir}: {problem}")
    # A report made before families of operations names none: it judged checkout sessions.
    written = _load_json(report_dir / REPORT)
    report = with_default_operations(written)
    problems = _certificate_problems(certificate, report_dir)
    _format_check(report_dir, report, problems)
    schema_problems = report_problems(report)
    if schema_problems:
        problems += [f"report.json does not match its schema: {p}" for p in schema_problems[:5]]
        _fail(report_dir, problems)  # the checks below read fields the schema guarantees
    made_by = report["suite"]["version"]
    drifting = made_by != __version__  # another suite's rules: differences are drift, not tampering
    if (unknown := _undeclared(report, spec)) is not None:
        if problems:  # altered files: that is the finding, whatever the document
            _fail(report_dir, [*problems, unknown])
        raise UsageError(unknown)
    if not drifting:
        problems += _suite_problems(report, spec)
    try:
        exchanges = read_exchanges(report_dir / EXCHANGES)
    except (OSError, ValueError) as exc:
        problems.append(str(exc))
        _fail(report_dir, problems)
    problems += _order_problems(exchanges)
    # The certificate was built from report.json as written (one made before families names no operation).
    problems += _agreement_problems(certificate, written, report_dir)
    problems += reproducer_problems(report, exchanges, report_dir)
    rejudged, rejudge_problems = _rejudge_problems(report, certificate, exchanges, spec)
    rejudge_problems += coverage_problems(report, exchanges)
    if not drifting:
        problems += rejudge_problems
    if problems:
        _fail(report_dir, problems)
    if rejudge_problems:
        _drift(report_dir, made_by, rejudge_problems)
    covered = len(certificate.get("evidence", {}))
    # Which server the verdict is about, so a self-test of the embedded reference never reads as a target's.
    target = report.get("target", {})
    about = ("the embedded reference server (a self-test of the suite, not a certificate of any target)"
             if target.get("embedded_reference") else str(target.get("base_url")))
    if report.get("implementation"):
        about = f"{report['implementation']} at {about}"
    about = "".join(c if c.isprintable() else "?" for c in about)[:200]  # report text stays inert on a terminal
    # The scoped verdict first: what the certificate certifies, and how far (conformance.judge.judgement).
    print(f"verdict: {report['scope']['verdict'].upper()}{' (strict)' if report['strict'] else ''} of {about} "
          f"(suite {report['suite']['version']}, spec {report['spec_sha256'][:12]}, "
          f"catalog {report['catalog_sha256'][:12]})", file=out)
    print(f"scope: {_inert(report['scope']['statement'])}", file=out)
    if len(operations_of(report)) > 1 or report.get("left_out"):
        print(_inert(_operations_line(report))[:2000], file=out)
    print(_tls_line(target.get("tls", "absent")), file=out)
    if report["verdict_reason"]:
        print(f"reason: {_inert(report['verdict_reason'])}", file=out)
    print(f"verified {report_dir}: certificate intact, {covered} files match their digests, "
          f"{plural(rejudged, 'requirement')} re-judged from {plural(len(exchanges), 'exchange')} agree with report "
          "and certificate.",
          file=out)
    waived = [r["id"] for r in report["requirements"] if r["verdict"] == "waived"]
    if waived:  # a verdict that rests on accepted failures says so where a certificate is checked
        print(f"waived: {', '.join(waived)} (accepted failures, listed with reasons in report.json)", file=out)
    if key is not None:
        print(f"signature: certificate.sig is valid, signed by the given key (sha256 {fingerprint(key)}).", file=out)
    elif (report_dir / SIGNATURE).is_file():
        print("signature: certificate.sig present but not checked; pass --public-key to check who signed.", file=out)
    if drifting:
        print(f"made with suite {made_by}, re-judged with {__version__}: no verdict drift.", file=out)
    return 0


def _operations_line(report: dict[str, Any]) -> str:
    """Which operations the verdict covers, each with its verdict, and which were left out (not judged)."""
    verdicts = {s["operation"]: s["verdict"] for s in report.get("by_operation", [])}
    judged = ", ".join(f"{key} ({verdicts.get(key, 'no verdict')})" for key in operations_of(report))
    left = report.get("left_out") or []
    return f"operations: {judged}" + (f"; left out, not judged: {', '.join(o['operation'] for o in left)}"
                                      if left else "")


def _inert(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _tls_line(tls: Any) -> str:
    """Which server the certificate names: the TLS facts report.json records (schema-checked)."""
    if tls == "absent":  # made by a suite version that did not record TLS facts
        return "tls: not recorded by the suite version that made this report"
    if not isinstance(tls, dict):
        return "tls: none recorded (plain HTTP)"
    line = f"tls: {tls.get('protocol')}, server certificate sha256 {tls.get('server_certificate_sha256')}"
    others = tls.get("other_server_certificates_sha256") or []
    if others:
        line += f" (and {len(others)} other certificate(s) on later connections: {', '.join(others)})"
    return _inert(line)


def _drift(report_dir: Path, made_by: str, differences: list[str]) -> None:
    lines = "\n".join(f"  - verdict drift: {d}" for d in differences)
    raise VerdictDrift(
        f"{report_dir} is intact (no file was altered), but this suite ({__version__}) re-judges its transcript "
        f"differently from suite {made_by}, which made it; that is verdict drift, not tampering. "
        f"Verify with suite {made_by} to confirm the verdicts as issued:\n{lines}")


def _format_check(report_dir: Path, report: dict[str, Any], problems: list[str]) -> None:
    """A report of another format was made by another suite: its fields mean other things (format 2's
    `verdict` was the gate), so it is not judged against this schema. Intact evidence of another
    format is not tampering: say which suite reads it (VerdictDrift, exit 3); altered files still fail."""
    stated = report.get("format_version")
    if stated == REPORT_FORMAT_VERSION or not isinstance(stated, int) or isinstance(stated, bool):
        return  # the schema check names a missing or mistyped format_version
    if problems:
        _fail(report_dir, problems)
    suite = report.get("suite")
    made_by = _inert(str(suite.get("version", "unknown") if isinstance(suite, dict) else "unknown"))[:40]
    raise VerdictDrift(f"{report_dir}: the certificate and the files it covers are intact, but report.json is "
                       f"format {stated} (made with suite {made_by}) and this suite ({__version__}) reads format "
                       f"{REPORT_FORMAT_VERSION}: verify with suite {made_by}.")


def _fail(report_dir: Path, problems: list[str]) -> None:
    lines = "\n".join(f"  - {p}" for p in problems)
    noun = "problem" if len(problems) == 1 else "problems"
    raise VerificationFailed(f"{report_dir} failed verification ({len(problems)} {noun}):\n{lines}")


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise VerificationFailed(f"{path.name} cannot be read as JSON ({exc}).") from None
    except RecursionError:  # nested deeper than the parser goes: nothing this suite writes
        raise VerificationFailed(f"{path.name} cannot be read as JSON (it is nested too deep).") from None
    if not isinstance(data, dict):
        raise VerificationFailed(f"{path.name} is not a JSON object.")
    return data


def _certificate_problems(certificate: dict[str, Any], report_dir: Path) -> list[str]:
    problems = []
    stated = certificate.get(DIGEST_FIELD)
    actual = certificate_digest(certificate)
    if stated != actual:
        problems.append(f"certificate.json was altered: its body hashes to {actual}, "
                        f"but its {DIGEST_FIELD} says {stated}")
    evidence = certificate.get("evidence")
    if not isinstance(evidence, dict):
        return [*problems, "certificate.json has no evidence digests"]
    for name in REQUIRED_EVIDENCE:
        if name not in evidence:
            problems.append(f"certificate.json does not cover {name}")
    for name, entry in sorted(evidence.items()):
        # A tampered certificate must not make us read files outside the report dir.
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            problems.append(f"certificate.json names {name!r}, which is not a file of the report directory")
            continue
        path = report_dir / name
        if not path.is_file():
            problems.append(f"{name} is covered by certificate.json but missing")
            continue
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        digest = sha256_file(path)
        if digest != expected:
            problems.append(f"{name} was altered: its sha256 is {digest}, certificate.json says {expected}")
    return problems


def _undeclared(report: dict[str, Any], spec: Spec) -> str | None:
    """The sentence saying that the document verify reads does not declare, as a list, an operation
    the report judged (a `run --spec` report verified without that document), or None."""
    from conformance.operations import read_operations

    declared = {o.key for o in read_operations(spec.document)[0]}
    missing = [key for key in operations_of(report) if key not in declared]
    if not missing:
        return None
    return (f"report.json judged {_inert(missing[0])[:200]}, which {spec.path} does not declare as a list "
            f"operation: pass the run's document with --spec (its sha256 is {report['spec_sha256'][:12]}...).")


def _suite_problems(report: dict[str, Any], spec: Spec) -> list[str]:
    """The run must have used the spec given (`--spec`, else the installed one) and the catalog
    installed here, or re-judging means nothing."""
    problems = []
    catalog = default_catalog()
    if report["spec_sha256"] != spec.sha256:
        problems.append(f"spec digest differs: report.json was made with OpenAPI document {report['spec_sha256']}, "
                        f"this verify has {spec.sha256} ({spec.path}; pass the run's document with --spec)")
    if report["catalog_sha256"] != catalog.sha256:
        problems.append(f"catalog digest differs: report.json was made with requirement catalog "
                        f"{report['catalog_sha256']}, the installed suite has {catalog.sha256}")
    return problems


def _order_problems(exchanges: list[Exchange]) -> list[str]:
    for index, exchange in enumerate(exchanges):
        if exchange.seq != index:
            return [f"exchanges.jsonl line {index + 1} holds exchange #{exchange.seq}, expected #{index}: "
                    "an exchange was removed, added or reordered"]
    return []


def _agreement_problems(certificate: dict[str, Any], report: dict[str, Any], report_dir: Path) -> list[str]:
    """The certificate must say what report.json says; rebuilt from it, field by field."""
    files = {name: sha256_file(report_dir / name) for name in certificate.get("evidence", {})
             if isinstance(name, str) and "/" not in name and "\\" not in name and (report_dir / name).is_file()}
    expected = build_certificate(report, files)
    problems = []
    for key, value in expected.items():
        if key in (DIGEST_FIELD, "evidence", "requirements"):
            continue  # digests were checked above; requirement verdicts are compared with the re-judgement
        if certificate.get(key) != value:
            problems.append(f"certificate.json and report.json disagree on {key}: "
                            f"{_short(certificate.get(key))} vs {_short(value)}")
    return problems


def coverage_problems(report: dict[str, Any], exchanges: list[Exchange]) -> list[str]:
    """[] when report.json's ``coverage`` is what ``exchanges`` show, else one sentence. A report made
    before ``not_probed`` existed is compared on the rest, so it still verifies."""
    derived = _coverage(report, exchanges)
    if "not_probed" not in report["coverage"]:
        derived.pop("not_probed", None)
    if report["coverage"] != derived:
        return ["report.json's coverage differs from what exchanges.jsonl shows"]
    return []


def _rejudge_problems(
    report: dict[str, Any], certificate: dict[str, Any], exchanges: list[Exchange], spec: Spec | None = None,
) -> tuple[int, list[str]]:
    context_data = report["context"]
    profile = PROFILES.get(context_data["profile"])
    if profile is None:
        return 0, [f"report.json names the profile {context_data['profile']!r}, which this suite does not have"]
    context = RunContext(profile, context_data["api_version"], context_data["key_is_test_key"], context_data["seed"],
                         context_data.get("expect_dataset"))
    only = tuple(report["only"])
    catalog = default_catalog()
    spec = spec or default_spec()
    # The operations judged, each re-judged as `run` judged it (conformance.judge.family).
    operations = operations_of(report)
    waivers, problems = recorded_waivers(report, catalog)
    started = dt.datetime.fromisoformat(report["started_at"]).astimezone(dt.UTC).date()
    common: dict[str, Any] = dict(only=only, failed_probes=report.get("failed_probes", {}),
                                  aborted=report.get("aborted"), stopped=Stopped.from_report(report),
                                  strict=report["strict"], waivers=waivers, target=report["target"]["base_url"],
                                  on=started)
    cut = recorded_cut(Stopped.from_report(report))
    judged: RunJudgement
    if cut is not None and report.get("aborted") is None:
        # A bound cut the run's judging: judged again under the same cut, not unbounded, each
        # operation at the point the cut left it (conformance.judge.family.judge_operations_cut_short).
        judged = _rejudge_cut(report, exchanges, context, cut, common, spec, operations)
    else:
        # The very function `run` judged with: per operation, the checks (or, when the preflight found
        # nothing to judge, every requirement saying why), the diagnosis, the waivers, the stopped
        # suffix, the scope; combined as the run combined them.
        judged = judge_operations(Record(exchanges), context, spec, catalog, operations, **common)
    return len(judged.conclusion.verdicts), problems + judgement_problems(
        report, certificate, exchanges, judged.diagnosis, judged.conclusion)


def judgement_problems(report: dict[str, Any], certificate: dict[str, Any], exchanges: list[Exchange],
                       causes: list[Cause], conclusion: Conclusion) -> list[str]:
    """Every way report.json (read with ``with_default_operations``) and certificate.json differ from a
    judgement of the transcript (`causes`, the diagnosis; `conclusion`, the verdicts with the waivers
    applied, the gate, its reason and the scope), as sentences. Requirements are known by their
    operation and ID (a certificate entry without `operation` is checkout sessions'), and each
    operation's summary (`by_operation`) is rebuilt from the verdicts."""
    problems: list[str] = []
    diagnosis = diagnosis_entries(causes, exchanges)
    problems += status_problems(conclusion.waivers, report.get("waivers"))
    verdicts = conclusion.verdicts
    several = len({v.operation for v in verdicts} | set(operations_of(report))) > 1

    def label(key: tuple[Any, Any]) -> str:
        return f"{key[1]} on {key[0]}" if several else str(key[1])

    rejudged = {(v.operation, v.requirement): v.verdict.value for v in verdicts}
    if report.get("diagnosis", []) != diagnosis:
        named = [c.get("fault") for c in report.get("diagnosis", []) if isinstance(c, dict)]
        derived = [c["fault"] for c in diagnosis]
        if named == derived and len(report["diagnosis"]) == len(diagnosis):  # the same causes: which fields changed
            fields = sorted({key for stated, own in zip(report["diagnosis"], diagnosis, strict=True)
                             for key in stated.keys() | own.keys() if stated.get(key) != own.get(key)})
            problems.append(f"report.json's diagnosis ({', '.join(derived)}) differs in its {' and '.join(fields)} "
                            f"from what re-judging exchanges.jsonl gives")
        else:
            problems.append(f"report.json's diagnosis ({', '.join(map(str, named)) or 'none'}) differs from what "
                            f"re-judging exchanges.jsonl gives ({', '.join(derived) or 'none'})")
    # Same verdict is not enough: the reason and evidence a reader sees must also be what the exchanges show.
    stated_entries = {(e.get("operation", CHECKOUT_SESSIONS), e["id"]): e for e in report["requirements"]}
    for entry in requirement_entries(verdicts, default_catalog(), exchanges, report["target"]["base_url"]):
        stated_entry = stated_entries.get((entry["operation"], entry["id"]))
        if stated_entry is not None and stated_entry["verdict"] == entry["verdict"]:
            differing = [key for key in entry if stated_entry.get(key) != entry[key]]
            if differing:
                verb = "differs" if len(differing) == 1 else "differ"
                problems.append(f"{label((entry['operation'], entry['id']))}: report.json's "
                                f"{' and '.join(differing)} {verb} from what re-judging exchanges.jsonl gives")
    for source, entries in ((REPORT, report["requirements"]), (CERTIFICATE, certificate.get("requirements"))):
        if not isinstance(entries, list):
            problems.append(f"{source} lists no requirements")
            continue
        stated = {(e.get("operation", CHECKOUT_SESSIONS), e.get("id")): e.get("verdict")
                  for e in entries if isinstance(e, dict)}
        for key, verdict in rejudged.items():
            if key not in stated:
                problems.append(f"{label(key)}: missing from {source}; re-judging exchanges.jsonl gives {verdict}")
            elif stated[key] != verdict:
                problems.append(f"{label(key)}: {source} says {stated[key]}, "
                                f"re-judging exchanges.jsonl gives {verdict}")
        for extra in sorted(set(stated) - set(rejudged), key=str):
            problems.append(f"{label(extra)}: in {source} but not a requirement this run judges")
    if report.get("verdict_reason", "") != conclusion.reason:
        problems.append("report.json's verdict_reason differs from what re-judging exchanges.jsonl gives")
    scope = conclusion.scope.to_dict()
    for source, stated_verdict, whole in ((REPORT, report["gate_verdict"], conclusion.verdict),
                                          (REPORT, report["verdict"], scope["verdict"]),
                                          (CERTIFICATE, certificate.get("verdict"), scope["verdict"])):
        if stated_verdict != whole:
            problems.append(f"overall verdict: {source} says {stated_verdict}, re-judging gives {whole}")
    if report.get("scope") != scope:
        stated_scope = (report.get("scope") or {}).get("verdict")
        problems.append(f"report.json's scope ({stated_scope}) differs from what re-judging exchanges.jsonl gives "
                        f"({scope['verdict']}: {scope['statement']})")
    counts = {name: 0 for name in report["counts"]}
    for value in rejudged.values():
        counts[value] = counts.get(value, 0) + 1
    if counts != report["counts"]:
        problems.append(f"report.json counts {report['counts']} do not match the re-judged {counts}")
    problems += _operation_problems(report, verdicts)
    return problems


def _operation_problems(report: dict[str, Any], verdicts: list[RequirementVerdict]) -> list[str]:
    """Each operation's summary (report.json `by_operation`) against the one the re-judged verdicts
    give; every verdict's operation must be one report.json says was judged. A report made before
    families has neither: nothing to compare."""
    problems = []
    operations = operations_of(report)
    strange = sorted({v.operation for v in verdicts} - set(operations))
    if "operations" in report and strange:
        problems.append(f"re-judging exchanges.jsonl judges {', '.join(strange)}, which report.json's operations "
                        f"({', '.join(operations)}) do not name")
    if "by_operation" not in report:
        return problems
    rebuilt = operation_entries(verdicts, operations, report["strict"], "waived" in report["counts"])
    stated = {s["operation"]: s for s in report["by_operation"]}
    own = {s["operation"]: s for s in rebuilt}
    for key in dict.fromkeys([*own, *stated]):
        if key not in stated:
            problems.append(f"report.json's by_operation lacks {key}; re-judging gives {own[key]['verdict']}")
        elif key not in own:
            problems.append(f"report.json's by_operation names {key}, which re-judging does not judge")
        elif stated[key] != own[key]:
            what = "verdict" if stated[key]["verdict"] != own[key]["verdict"] else "counts"
            problems.append(f"{key}: report.json's by_operation says {stated[key][what]}, re-judging exchanges.jsonl "
                            f"gives {own[key][what]}")
    return problems


def _coverage(report: dict[str, Any], exchanges: list[Exchange]) -> dict[str, Any]:
    """The coverage report.json must state: what the exchanges show, or, when a bound cut judging
    before the pages were read (conformance.run.runner._judge_bounded), that they were not read."""
    stopped = Stopped.from_report(report)
    if stopped is not None and stopped.judging:
        unread = Coverage(0, None, 0, f"not read: {stopped.judging} before the pages were read").to_dict()
        if report["coverage"] == unread:
            return unread
    return coverage_of_operations(exchanges, operations_of(report)).to_dict()


def _rejudge_cut(report: dict[str, Any], exchanges: list[Exchange], context: RunContext, cut: str,
                 common: dict[str, Any], spec: Spec, operations: list[str]) -> RunJudgement:
    """The judgement of a run whose judging a bound cut (its `stopped` says so; `cut` is the reason
    each rule it left unjudged gives), made as the run made it. The run judged its operations one
    after the other (conformance.judge.family.judge_operations), so the cut left each one's checks
    judged up to some point of the run's order (a prefix, conformance.judge.pipeline.judging_steps:
    all of them for an operation judged before the cut, none for one after it); each operation is
    concluded from its own prefix with ``judge_cut_short`` and the parts combined as the run
    combined them. Raises nothing for a target's answers."""
    catalog = default_catalog()
    stated = {(e.get("operation", CHECKOUT_SESSIONS), e.get("id")): (e.get("id"), e.get("verdict"), e.get("reason"))
              for e in report["requirements"] if isinstance(e, dict)}
    failed = common.get("failed_probes") or {}
    parts = []
    for key, sub in records_by_operation(Record(exchanges), operations).items():
        own = {**common, "failed_probes": own_failures(failed, key, operations)}
        parts.append((key, tagged(_cut_prefix(sub, context, cut, own, spec.for_operation(path_of(key)), catalog,
                                              stated, key), key)))
    return combined(parts)


def _cut_prefix(record: Record, context: RunContext, cut: str, common: dict[str, Any], spec: Spec,
                catalog: Catalog, stated: dict[tuple[Any, Any], tuple[Any, Any, Any]], key: str) -> RunJudgement:
    """One operation's part of a cut run: the first prefix of its judging whose verdicts and reasons
    are those report.json records for ``key``; the checks after it are not judged at all, so verify
    is bounded as the run was. The whole prefix is tried once more after the last check, when the
    distrusted comparisons are read. When no prefix gives them, the whole judgement is returned, and
    the comparison names what differs."""
    def recorded(judgement: RunJudgement) -> bool:
        return all((v.requirement, v.verdict.value, v.reason) == stated.get((key, v.requirement))
                   for v in judgement.conclusion.verdicts)

    so_far = Judged()
    for _judged in judging_steps(record, context, spec, common["only"], so_far, catalog):
        judgement = judge_cut_short(record, so_far, catalog, cut, **common)
        if recorded(judgement):
            return judgement
    judgement = judge_cut_short(record, so_far, catalog, cut, **common)
    if recorded(judgement):
        return judgement
    return judge_run(record, context, spec, catalog, **common)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
