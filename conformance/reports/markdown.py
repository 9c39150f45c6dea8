"""summary.md: a short Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY.

Reasons and evidence quote the target's responses, so every table cell is escaped: a
hostile body must not be able to inject HTML or break the table in a rendered comment,
nor send control sequences to a terminal that shows the file (``terminal.inert``).

A run of several list operations (issue 24) adds a table of each operation's verdict, and the
requirements that need attention in one section per operation; operation keys (from a document
the user gave) are written as code spans all the same. A run of one operation reads as before.
Operations the document declares but the run left out are listed with why.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.judge.waivers import unjudged_operation, waiver_label
from conformance.operations import CHECKOUT_SESSIONS
from conformance.reports.causes import likely_causes, unexplained_entries
from conformance.reports.document import operations_of
from conformance.terminal import inert
from conformance.wording import capped, plural

BANNER = {
    "conformant": "✅ CONFORMANT",
    "conformant-with-waivers": "☑️ CONFORMANT-WITH-WAIVERS",
    "partial": "◐ PARTIAL",
    "partial-with-waivers": "◐ PARTIAL-WITH-WAIVERS",
    "nonconformant": "❌ NONCONFORMANT",
    "inconclusive": "❔ INCONCLUSIVE",
    "error": "💥 ERROR (a bug in the suite)",
}
ATTENTION = ("fail", "warn", "error", "inconclusive")
COUNT_ORDER = ("fail", "warn", "error", "inconclusive", "waived", "skip", "pass")
MAX_ROWS = 50  # GitHub caps a step summary at 1 MiB; the full story is in report.html.
MAX_CELL = 200
COLLAPSE_AT = 3  # as the console (conformance.console): this many inconclusive with one reason share a row


def cell(text: str) -> str:
    """One line of target-controlled text made safe for a Markdown table cell.

    Escaped the Markdown way, with backslashes (CommonMark §2.4), not with HTML entities:
    the file is also printed raw in CI logs, where `&amp;` and `-&gt;` would be noise.
    Only a `<` that could open a tag and an `&` that could start an entity are escaped,
    so `a -> b` and `x & y` stay as written.
    """
    text = inert(" ".join(str(text).split()))
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    text = re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)
    return unlinked(re.sub(r"&(?=#?\w+;)", r"\\&", text))


# GitHub turns text into mentions (@user, @org/team: it notifies them), issue links (#123,
# GH-123), emoji (:rotating_light:) and links (www.x, https://x, a@b.example) *after* the
# Markdown is parsed, on the decoded text of every node outside code. So neither escape a
# parser undoes helps: `\@` and `&#64;` both reach those filters as a plain "@" (cmark
# decodes entities into the text it hands on). What does hold is what Renovate does for the
# same reason: a zero-width space (U+200B) after the character that opens the pattern,
# written as the entity `&#8203;` so that a raw CI log shows it rather than hiding it. The
# rendered text reads the same; the pattern no longer matches.
_ZWSP = "&#8203;"
_OPENERS = re.compile(
    r"@"  # mentions and e-mail autolinks
    r"|(?<=#)(?=\d)"  # #123 (after the `\#` escape too)
    r"|(?i:(?<=\bgh)(?=-\d))"  # GH-123
    r"|(?<!\d):(?=(?:\\?[\w+-])+:)"  # :emoji: (its `_` escaped as `\_` by then), not 12:30:45
    r"|(?i:(?<=\bwww)(?=\.))"  # www.example autolinks
    r"|(?i:(?<=[a-z])(?=://))"  # scheme:// autolinks (https, ftp, ...)
)


def unlinked(text: str) -> str:
    """`text` (Markdown already escaped) with nothing GitHub would turn into a mention, an
    issue reference, an emoji or an autolink: a zero-width space after each opener."""
    return _OPENERS.sub(lambda m: m[0] + _ZWSP, text)


def code(text: str) -> str:
    """Target data as one inline code span (CommonMark 6.1): nothing inside renders, links or
    mentions; the span's backtick run is longer than any inside, so it cannot be closed early."""
    text = inert(" ".join(str(text).split()))[:MAX_CELL]
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}" if text else "(none)"


def _code_cell(text: str) -> str:
    """`code` for a table cell: GFM splits cells at every unescaped `|`, inside code spans too."""
    return code(text).replace("|", "\\|")


def _fence(text: str) -> str:
    # A fence longer than any backtick run inside, so the block cannot be closed from within.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def cite(seqs: list[int], most: int = 5) -> str:
    """`exchanges.jsonl #3, #7 and 2 more`: where the evidence of a verdict is; "" for none."""
    if not seqs:
        return ""
    shown = ", ".join(f"#{s}" for s in seqs[:most])
    more = f" and {len(seqs) - most} more" if len(seqs) > most else ""
    return f"exchanges.jsonl {shown}{more}"


def _one_line(requirement: dict[str, Any]) -> str:
    where = cite(requirement.get("exchanges", []))
    where = f" [{where}]" if where else ""
    if not requirement["evidence"]:
        return requirement["reason"] + where
    first = requirement["evidence"][0]
    line = first["message"]
    if first["expected"] or first["actual"]:
        line += f" (expected {first['expected']}; got {first['actual']})"
    return line + where


def _operation(entry: dict[str, Any]) -> str:
    return str(entry.get("operation") or CHECKOUT_SESSIONS)


def _several(report: dict[str, Any]) -> bool:
    return len(operations_of(report)) > 1


def _likely_cause(report: dict[str, Any]) -> list[str]:
    """The diagnosis first: what to fix, the requirements it explains, the exchanges that show it."""
    causes = likely_causes(report)
    several = _several(report)
    left = [f"{e['id']} on {code(_operation(e))}" if several else e["id"] for e in unexplained_entries(report)]
    if not causes and not left:
        return []
    heading = "### Likely cause" if len(causes) <= 1 else "### Likely causes"
    lines = [heading, ""]
    for cause in causes:
        shown = ", ".join(unlinked(f"#{e['seq']}")
                          + (f" {cell(e['request'])} → {e['status']}" if "request" in e else "")
                          for e in cause["exchanges"])
        # Title and fault name are the catalog's own text (not the target's): Markdown as written.
        named = " or ".join(f"`{name}`" for name in [cause["fault"], *cause.get("alternatives", [])])
        where = f" on {code(_operation(cause))}" if several else ""
        lines.append(f"- **{cause['title']}** ({named}){where} explains {', '.join(cause['explains'])}"
                     + (f"; shown by {shown}" if shown else ""))
        if cause.get("observed"):  # the target's own values: target text, escaped
            lines.append(f"  - this target: {cell(cause['observed'])}")
    if left:
        what = "No known cause matches" if not causes else "Not explained by a known cause"
        lines.append(f"- {what}: {', '.join(left)}")
    return [*lines, ""]


def scoped_verdict(report: dict[str, Any]) -> str:
    """The scoped verdict of a report (conformance.judge.judgement); a report without one, its gate verdict."""
    return str((report.get("scope") or {}).get("verdict", report["verdict"]))


def build_summary(report: dict[str, Any]) -> str:
    embedded = " (embedded reference)" if report["target"]["embedded_reference"] else ""
    verdict = scoped_verdict(report)
    scope = report.get("scope")
    implementation = f" · {cell(report['implementation'])}" if report.get("implementation") else ""
    lines = [
        f"## checkout-conformance: {BANNER.get(verdict, cell(verdict))}"
        + (" (strict)" if report["strict"] else ""),
        "",
        *([f"Scope: {cell(scope['statement'])}.", ""] if scope and verdict != "conformant" else []),
        f"Target {code(report['target']['base_url'])}{embedded}"
        f" · profile {cell(report['context']['profile'])} · seed {report['context']['seed']}"
        f" · {plural(report['requests'], 'request')} · {report['duration_seconds']:.1f} s"
        f" · suite {cell(report['suite']['version'])}{implementation}",
        "",
        # Each its own sentence: the coverage statement ends without a full stop.
        f"Coverage: {cell(report['coverage']['statement'])}."
        # What changed on the target while it was judged (a live account), in the same paragraph.
        + (f" Activity: {cell(report['activity']['text'])}." if report.get("activity") and not report.get("aborted")
           else ""),
        # A run stopped before its first check says what happened, not a verdict over nothing.
        *(["", f"Nothing judged: {cell(report['aborted'])}"] if report.get("aborted") else []),
        "",
        *_left_out(report),
        *_likely_cause(report),
        *_operations_table(report),
        "| verdict | requirements |",
        "| --- | ---: |",
        *(f"| {name} | {report['counts'].get(name, 0)} |" for name in COUNT_ORDER if name in report["counts"]),
        "",
    ]
    if _several(report):
        return _by_operation(report, lines)
    waived = _waived(report)
    attention = [r for r in report["requirements"] if r["verdict"] in ATTENTION]
    attention.sort(key=lambda r: ATTENTION.index(r["verdict"]))
    lines += _skipped(report["requirements"])
    if not attention:
        # "Held" only when nothing failed: accepted failures (waived) are failures still.
        lines.append("No judged requirement failed apart from the waived ones below; each pass names the exchanges "
                     "it rests on (report.json `exchanges`)." if waived and any(r["verdict"] == "waived" for r in
                                                                                 report["requirements"])
                     else "Every judged requirement held; each pass names the exchanges it rests on "
                     "(report.json `exchanges`).")
        return "\n".join([*lines, *(["", *waived] if waived else [])]) + "\n"
    lines += ["### Requirements that need attention", "", *_attention_rows(attention)]
    lines += _commands(attention, several=False)
    if waived:
        lines += ["", *waived]
    return "\n".join(lines) + "\n"


def _skipped(requirements: list[dict[str, Any]]) -> list[str]:
    skipped = [r for r in requirements if r["verdict"] == "skip"]
    if not skipped:
        return []
    named = ", ".join(f"{r['id']} ({cell(r['reason'])})" for r in skipped[:MAX_ROWS])
    rest = f" and {len(skipped) - MAX_ROWS} more" if len(skipped) > MAX_ROWS else ""
    return [f"Skipped: {named}{rest}.", ""]


def _attention_rows(attention: list[dict[str, Any]]) -> list[str]:
    """The table of requirements that need attention (header included), at most MAX_ROWS rows."""
    lines = ["| ID | level | verdict | evidence |", "| --- | --- | --- | --- |"]
    # Inconclusive ones sharing one reason (a refused key, a spent budget) share one row, as on the console.
    shared = Counter(r["reason"] for r in attention if r["verdict"] == "inconclusive")
    rows: list[str] = []
    said: set[str] = set()
    for requirement in attention:
        reason = requirement["reason"]
        if requirement["verdict"] == "inconclusive" and shared[reason] >= COLLAPSE_AT:
            if reason not in said:
                said.add(reason)
                same = [r for r in attention if r["verdict"] == "inconclusive" and r["reason"] == reason]
                levels = "/".join(sorted({r["level"] for r in same}))
                rows.append(f"| {capped([r['id'] for r in same], 8, ', ')} ({len(same)} requirements) | {levels} "
                            f"| **inconclusive** | {cell(reason)} |")
            continue
        rows.append(f"| {requirement['id']} | {requirement['level']} | **{requirement['verdict']}** "
                    f"| {cell(_one_line(requirement))} |")
    lines += rows[:MAX_ROWS]
    if len(rows) > MAX_ROWS:
        lines.append(f"\n…and {len(rows) - MAX_ROWS} more: see report.html.")
    return lines


def _commands(attention: list[dict[str, Any]], several: bool) -> list[str]:
    """The curl lines of the first evidence of each requirement that needs attention, in one block."""
    commands = []
    for requirement in attention[:MAX_ROWS]:
        for item in requirement["evidence"][:1]:
            for exchange in item["exchanges"][:1]:
                # In a shell comment: inert, on one line; the operation key likewise.
                where = f" on {inert(' '.join(_operation(requirement).split()))[:MAX_CELL]}" if several else ""
                commands.append(f"# {requirement['id']}{where}: {inert(' '.join(item['message'].split()))[:MAX_CELL]}")
                commands.append(inert(exchange["curl"]))
    if not commands:
        return []
    body = "\n".join(commands)
    fence = _fence(body)
    return ["", "<details><summary>Reproduce with curl (the key is read from $CONFORMANCE_API_KEY)</summary>",
            "", f"{fence}sh", body, fence, "", "</details>"]


def _left_out(report: dict[str, Any]) -> list[str]:
    """The operations the document declares that the run did not judge, each with why."""
    left = report.get("left_out") or []
    if not left:
        return []
    named = "; ".join(f"{code(item['operation'])} ({cell(item['reason'])})" for item in left[:MAX_ROWS])
    rest = f" and {len(left) - MAX_ROWS} more" if len(left) > MAX_ROWS else ""
    return [f"Not judged (left out): {named}{rest}.", ""]


def _operations_table(report: dict[str, Any]) -> list[str]:
    """Each operation's verdict and counts, for a run of several."""
    if not _several(report):
        return []
    lines = ["| operation | verdict | requirements |", "| --- | --- | --- |"]
    for summary in report.get("by_operation", [])[:MAX_ROWS]:
        counts = " · ".join(f"{summary['counts'][name]} {name}" for name in COUNT_ORDER
                            if summary["counts"].get(name))
        verdict = BANNER.get(summary["verdict"], cell(summary["verdict"]))
        lines.append(f"| {_code_cell(summary['operation'])} | {verdict} | {counts or 'none'} |")
    return [*lines, ""]


def _by_operation(report: dict[str, Any], lines: list[str]) -> str:
    """The rest of the summary of a run of several operations: a section per operation (its
    skipped requirements, then those that need attention, failures first), the curl lines, the waivers."""
    verdicts = {s["operation"]: s["verdict"] for s in report.get("by_operation", [])}
    keys = list(dict.fromkeys([*operations_of(report), *(_operation(r) for r in report["requirements"])]))
    every: list[dict[str, Any]] = []
    for key in keys:
        own = [r for r in report["requirements"] if _operation(r) == key]
        attention = sorted((r for r in own if r["verdict"] in ATTENTION), key=lambda r: ATTENTION.index(r["verdict"]))
        every += attention
        verdict = verdicts.get(key, "")
        lines += [f"### {code(key)}: {BANNER.get(verdict, cell(verdict))}", "", *_skipped(own)]
        if attention:
            lines += [*_attention_rows(attention), ""]
        else:
            lines += ["No judged requirement of this operation needs attention.", ""]
    lines += _commands(every, several=True)
    waived = _waived(report)
    if waived:
        lines += ["", *waived]
    return "\n".join(lines) + "\n"


def _waived(report: dict[str, Any]) -> list[str]:
    waived = [r for r in report["requirements"] if r["verdict"] == "waived"]
    notes = [w for w in report.get("waivers", []) if w["status"] in ("expired", "stale")]
    operations = operations_of(report)
    unjudged = [w for w in report.get("waivers", []) if w["status"] == "unused" and unjudged_operation(w, operations)]
    if not waived and not notes and not unjudged:
        return []
    several = _several(report)
    lines = ["### Waived", ""]
    if waived:
        lines += (["| ID | operation | level | waived verdict | until | reason |",
                   "| --- | --- | --- | --- | --- | --- |"] if several else
                  ["| ID | level | waived verdict | until | reason |", "| --- | --- | --- | --- | --- |"])
    lines += [f"| {r['id']} |{f' {_code_cell(_operation(r))} |' if several else ''} {r['level']} "
              f"| {r['waiver']['verdict']} | {r['waiver']['expires']} | {cell(r['waiver']['reason'])} |"
              for r in waived[:MAX_ROWS]]
    lines += [f"\n{_waiver_named(w)} " + (f"expired on {w['expires']}: it no longer applies."
              if w["status"] == "expired" else "is stale: the requirement passes now.") for w in notes]
    lines += [f"\n{_waiver_named(w)} names an operation this run did not judge: it does not apply."
              for w in unjudged]
    return [*lines, ""]


def _waiver_named(record: dict[str, Any]) -> str:
    """`Waiver for PAG-003`, with its operation as a code span when it names one."""
    label = waiver_label({"requirement": record["requirement"]})
    return label[0].upper() + label[1:] + (f" on {code(record['operation'])}" if record.get("operation") else "")


def write_summary(report: dict[str, Any], path: Path) -> None:
    path.write_text(build_summary(report), encoding="utf-8")
