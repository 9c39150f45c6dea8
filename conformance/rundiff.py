"""`checkout-conformance diff OLD_REPORT_DIR NEW_REPORT_DIR`: what changed between two runs.

Per requirement ID, the verdicts of the two report.json files are sorted into:

    regression  pass or skip -> warn or fail, and warn -> fail        (exit 1 if any)
    fix         fail -> warn or pass, warn -> pass, waived -> pass
    other       every other change: to or from inconclusive, error or waived, fail -> skip,
                a requirement only one run judged

An operation one run judged and the other did not is one entry, not one per requirement:

    dropped     judged in the old run, not in the new one                  (exit 1 if any)
    added       judged in the new run only

A dropped operation fails the comparison like a regression, whatever its old verdict: a gate
comparing runs must not pass a run that silently judges less (a list left out of the new
document, or no longer named with --operation, would otherwise drop its failures unseen).

Exit 0 when nothing regressed and no operation was dropped, 2 when a directory holds no
readable report.json. The Markdown form is a pull-request comment: target text is escaped like
summary.md's.

A requirement is known by its operation and ID (issue 24): PAG-005 on GET /v1/invoices and on
GET /v1/checkout/sessions are two entries, each diff entry carries its `operation`, and the text
and Markdown forms name it when either run judged several operations. A report made before families
(no `operation` anywhere) reads as one of GET /v1/checkout/sessions, so it compares with today's.

`diff` does not re-judge, so it does not call conformance.judge.pipeline.judge_run: it compares
the verdicts each report.json states, which are what judge_run gave when that run was made.
Re-judging here would compare two runs under today's rules instead of under the rules each
was certified with, and would need both transcripts; whether a report's verdicts are what its
transcript gives is `verify`'s question (it calls judge_run), asked of one report at a time.
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
    except RecursionError:  # nested deeper than the parser goes: nothing this suite writes
        raise UsageError(f"{path} cannot be read as JSON (it is nested too deep).") from None
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
    old_operations, new_operations = operations_of(old), operations_of(new)
    dropped = [key for key in old_operations if key not in new_operations]
    added = [key for key in new_operations if key not in old_operations]
    # A dropped or added operation is one entry (below), never one per requirement.
    before = {_key(r): r for r in old["requirements"] if _key(r)[0] not in dropped}
    after = {_key(r): r for r in new["requirements"] if _key(r)[0] not in added}
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
    left_out = {str(e.get("operation")): str(e.get("reason", "")) for e in new.get("left_out") or []
                if isinstance(e, dict)}
    return {"old": _identity(old), "new": _identity(new), **groups,
            "dropped_operations": [_operation_entry(old, key, left_out.get(key)) for key in dropped],
            "added_operations": [_operation_entry(new, key) for key in added], "unchanged": unchanged}


def _operation_entry(report: dict[str, Any], key: str, left_out: str | None = None) -> dict[str, Any]:
    """One operation only one run judged: its key, that run's verdict on it and how many
    requirements it judged there; for a dropped one, why the new run left it out, if it says."""
    stated = next((e for e in report.get("by_operation") or [] if isinstance(e, dict) and e.get("operation") == key),
                  None)
    verdict = stated["verdict"] if stated else scoped_verdict(report)
    requirements = sum(1 for r in report["requirements"] if _key(r)[0] == key)
    entry = {"operation": key, "verdict": str(verdict), "requirements": requirements}
    return {**entry, "left_out": left_out} if left_out is not None else entry


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
    for entry in diff.get("dropped_operations", []):
        why = f"; the new run left it out: {_one_line(entry['left_out'])}" if entry.get("left_out") else ""
        lines.append(f"  DROPPED    {_one_line(entry['operation'])}  judged in the old run ({_judged(entry)}), "
                     f"not in the new one{why}")
    for entry in diff.get("added_operations", []):
        lines.append(f"  ADDED      {_one_line(entry['operation'])}  judged in the new run only ({_judged(entry)})")
    several = _several(diff)
    for group, title in (("regressions", "REGRESSED"), ("fixes", "FIXED"), ("other", "CHANGED")):
        for entry in diff[group]:
            where = f" on {_one_line(entry['operation'])}" if several else ""
            lines.append(f"  {title:<10} {entry['id']:<9} {entry['old'] or '-'} -> {entry['new'] or '-'}{where}  "
                         f"{_one_line(entry['reason'])}")
    lines.append(f"{len(diff['regressions'])} regressed, {len(diff['fixes'])} fixed, "
                 f"{plural(len(diff['other']), 'other change')}, {diff['unchanged']} unchanged"
                 + _operations_tally(diff))
    return "\n".join(lines) + "\n"


def _judged(entry: dict[str, Any]) -> str:
    """"conformant, 69 requirements": what one run said of an operation only it judged."""
    return f"{_one_line(entry['verdict'])}, {plural(entry['requirements'], 'requirement')}"


def _operations_tally(diff: dict[str, Any]) -> str:
    """"; 1 operation dropped, 2 added" after the counts, or nothing when both runs judged the same operations."""
    parts = [f"{plural(len(diff.get(group, [])), 'operation')} {said}"
             for group, said in (("dropped_operations", "dropped"), ("added_operations", "added"))
             if diff.get(group)]
    return "; " + ", ".join(parts) if parts else ""


def failed(diff: dict[str, Any]) -> bool:
    """Whether the comparison fails a gate (exit 1): a requirement regressed, or an operation the old
    run judged is not judged in the new one."""
    return bool(diff["regressions"] or diff.get("dropped_operations"))


def render_markdown(diff: dict[str, Any]) -> str:
    regressed = len(diff["regressions"])
    dropped = len(diff.get("dropped_operations", []))
    problems = [*([f"{regressed} regressed"] if regressed else []),
                *([f"{plural(dropped, 'operation')} dropped"] if dropped else [])]
    headline = f"❌ {', '.join(problems)}" if problems else "✅ no regression"
    old, new = diff["old"], diff["new"]
    # Runs of two targets name both, so a comparison across targets is not read as one target's history.
    targets = (f"target {code(new['target'])}" if old["target"] == new["target"]
               else f"targets {code(old['target'])} (old) and {code(new['target'])} (new)")
    lines = [f"## checkout-conformance diff: {headline}",
             "",
             f"Old run {cell(old['started_at'])}: **{old['verdict']}** · "
             f"new run {cell(new['started_at'])}: **{new['verdict']}** · {targets}", ""]
    lines += [f"> {cell(note)}\n" for note in _catalog_note(diff)]
    if dropped:
        lines += ["### Operations dropped", "", "| operation | old verdict | requirements | now |",
                  "| --- | --- | --- | --- |"]
        lines += [f"|{_operation_cell(e)} {cell(e['verdict'])} | {e['requirements']} | **not judged**"
                  + (f": left out, {cell(e['left_out'])}" if e.get("left_out") else "") + " |"
                  for e in diff["dropped_operations"]]
        lines.append("")
    if diff.get("added_operations"):
        lines += ["### Operations added", "", "| operation | verdict | requirements |", "| --- | --- | --- |"]
        lines += [f"|{_operation_cell(e)} {cell(e['verdict'])} | {e['requirements']} |"
                  for e in diff["added_operations"]]
        lines.append("")
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
                 f"{diff['unchanged']} unchanged{_operations_tally(diff)}.")
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
    """Print the diff of two report directories in `form` (text, md, json); 1 if anything regressed or an
    operation the old run judged is not judged in the new one (:func:`failed`), else 0."""
    diff = compare(load_report(old_dir), load_report(new_dir))
    if form == "json":
        out.write(json.dumps(diff, indent=2) + "\n")
    else:
        out.write(render_markdown(diff) if form == "md" else render_text(diff))
    return 1 if failed(diff) else 0
