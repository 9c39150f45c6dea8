"""`checkout-conformance diff OLD_REPORT_DIR NEW_REPORT_DIR`: what changed between two runs.

Per requirement ID, the verdicts of the two report.json files are sorted into:

    regression  pass or skip -> warn or fail, and warn -> fail        (exit 1 if any)
    fix         fail -> warn or pass, warn -> pass, waived -> pass
    other       every other change: to or from inconclusive, error or waived, fail -> skip,
                a requirement only one run judged

Exit 0 when nothing regressed, 2 when a directory holds no readable report.json. The
Markdown form is a pull-request comment: target text is escaped like summary.md's.

A requirement is known by its operation and ID (issue 24): PAG-005 on GET /v1/invoices and on
GET /v1/checkout/sessions are two entries, each diff entry carries its `operation`, and the text
and Markdown forms name it when either run judged several operations. A report made before families
(no `operation` anywhere) reads as one of GET /v1/checkout/sessions, so it compares with today's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from conformance.errors import UsageError
from conformance.operations import CHECKOUT_SESSIONS
from conformance.reports.document import operations_of, with_default_operations
from conformance.reports.markdown import cell, code, scoped_verdict
from conformance.reports.schema import report_problems
from conformance.wording import plural

REPORT = "report.json"
GOOD = ("pass", "skip")
BROKEN = ("warn", "fail")


def classify(old: str | None, new: str | None) -> str | None:
    """'regression', 'fix', 'other' or None (unchanged) for one requirement's old and new verdict."""
    if old == new:
        return None
    if (old in GOOD and new in BROKEN) or (old == "warn" and new == "fail"):
        return "regression"
    if (old == "fail" and new in ("warn", "pass")) or (old in ("warn", "waived") and new == "pass"):
        return "fix"
    return "other"


def load_report(report_dir: Path) -> dict[str, Any]:
    """report.json of a report directory; UsageError (exit 2) if missing, unreadable or not a report."""
    path = report_dir / REPORT
    if not report_dir.is_dir():
        raise UsageError(f"{report_dir} is not a directory.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{report_dir} holds no {REPORT}: it is not a report directory.") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path} cannot be read as JSON ({exc}).") from None
    if isinstance(data, dict):  # a report made before families of operations: checkout sessions
        data = with_default_operations(data)
    problems = report_problems(data) if isinstance(data, dict) else ["not a JSON object"]
    if problems:
        raise UsageError(f"{path} is not a checkout-conformance report ({problems[0]}).")
    report: dict[str, Any] = data
    return report


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The diff as data (the json format): both runs' identity, then regressions, fixes, other changes,
    each entry known by its operation and requirement ID."""
    before = {_key(r): r for r in old["requirements"]}
    after = {_key(r): r for r in new["requirements"]}
    groups: dict[str, list[dict[str, Any]]] = {"regressions": [], "fixes": [], "other": []}
    for key in [*after, *(k for k in before if k not in after)]:
        then, now = before.get(key), after.get(key)
        kind = classify(then and then["verdict"], now and now["verdict"])
        if kind is None:
            continue
        entry = now or then
        assert entry is not None
        groups["regressions" if kind == "regression" else "fixes" if kind == "fix" else "other"].append({
            "id": key[1], "operation": key[0], "level": entry["level"], "text": entry["text"],
            "old": then["verdict"] if then else None, "new": now["verdict"] if now else None,
            "reason": now["reason"] if now else "not judged in the new run",
        })
    unchanged = sum(1 for k in after if k in before and before[k]["verdict"] == after[k]["verdict"])
    return {"old": _identity(old), "new": _identity(new), **groups, "unchanged": unchanged}


def _key(requirement: dict[str, Any]) -> tuple[str, str]:
    return str(requirement.get("operation", CHECKOUT_SESSIONS)), str(requirement["id"])


def _identity(report: dict[str, Any]) -> dict[str, Any]:
    # The scoped verdict (conformance.judge.judgement), as the certificate and summary.md say it; a report
    # made before it existed, its gate verdict.
    return {"target": report["target"]["base_url"], "verdict": scoped_verdict(report),
            "started_at": report["started_at"], "operations": operations_of(report),
            "suite": report["suite"]["version"], "catalog_sha256": report["catalog_sha256"]}


def render_text(diff: dict[str, Any]) -> str:
    lines = [f"old: {diff['old']['verdict']} ({diff['old']['target']}, {diff['old']['started_at']})",
             f"new: {diff['new']['verdict']} ({diff['new']['target']}, {diff['new']['started_at']})"]
    lines += _catalog_note(diff)
    several = _several(diff)
    for group, title in (("regressions", "REGRESSED"), ("fixes", "FIXED"), ("other", "CHANGED")):
        for entry in diff[group]:
            where = f" on {_one_line(entry['operation'])}" if several else ""
            lines.append(f"  {title:<10} {entry['id']:<9} {entry['old'] or '-'} -> {entry['new'] or '-'}{where}  "
                         f"{_one_line(entry['reason'])}")
    lines.append(f"{len(diff['regressions'])} regressed, {len(diff['fixes'])} fixed, "
                 f"{plural(len(diff['other']), 'other change')}, {diff['unchanged']} unchanged")
    return "\n".join(lines) + "\n"


def render_markdown(diff: dict[str, Any]) -> str:
    regressed = len(diff["regressions"])
    headline = f"❌ {regressed} regressed" if regressed else "✅ no regression"
    old, new = diff["old"], diff["new"]
    # Runs of two targets name both, so a comparison across targets is not read as one target's history.
    targets = (f"target {code(new['target'])}" if old["target"] == new["target"]
               else f"targets {code(old['target'])} (old) and {code(new['target'])} (new)")
    lines = [f"## checkout-conformance diff: {headline}",
             "",
             f"Old run {cell(old['started_at'])}: **{old['verdict']}** · "
             f"new run {cell(new['started_at'])}: **{new['verdict']}** · {targets}", ""]
    lines += [f"> {cell(note)}\n" for note in _catalog_note(diff)]
    several = _several(diff)
    for group, title in (("regressions", "Regressions"), ("fixes", "Fixes"), ("other", "Other changes")):
        if not diff[group]:
            continue
        if several:
            lines += [f"### {title}", "", "| ID | operation | level | old | new | now |",
                      "| --- | --- | --- | --- | --- | --- |"]
        else:
            lines += [f"### {title}", "", "| ID | level | old | new | now |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {e['id']} |{_operation_cell(e) if several else ''} {e['level']} | {e['old'] or 'none'} "
                  f"| **{e['new'] or 'none'}** | {cell(e['reason'])} |" for e in diff[group]]
        lines.append("")
    lines.append(f"{regressed} regressed, {len(diff['fixes'])} fixed, {plural(len(diff['other']), 'other change')}, "
                 f"{diff['unchanged']} unchanged.")
    return "\n".join(lines) + "\n"


def _several(diff: dict[str, Any]) -> bool:
    """Whether either run judged more than one operation (then each change names its operation)."""
    return len({*diff["old"].get("operations", []), *diff["new"].get("operations", [])}) > 1


def _operation_cell(entry: dict[str, Any]) -> str:
    """An entry's operation key (from a user's document) as a code span in a table cell (GFM: `|` escaped)."""
    return " " + code(entry["operation"]).replace("|", "\\|") + " |"


def _catalog_note(diff: dict[str, Any]) -> list[str]:
    notes = []
    if diff["old"]["target"].rstrip("/") != diff["new"]["target"].rstrip("/"):
        notes.append("note: the runs judged different targets.")
    if diff["old"]["catalog_sha256"] != diff["new"]["catalog_sha256"]:
        notes.append(f"note: the runs used different requirement catalogs (suite {diff['old']['suite']} and "
                     f"{diff['new']['suite']}); requirements only one of them has show as other changes.")
    return notes


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return "".join(c if c.isprintable() else "?" for c in line)[:200]


def diff_report_dirs(old_dir: Path, new_dir: Path, form: str, out: TextIO) -> int:
    """Print the diff of two report directories in `form` (text, md, json); 1 if anything regressed, else 0."""
    diff = compare(load_report(old_dir), load_report(new_dir))
    if form == "json":
        out.write(json.dumps(diff, indent=2) + "\n")
    else:
        out.write(render_markdown(diff) if form == "md" else render_text(diff))
    return 1 if diff["regressions"] else 0
