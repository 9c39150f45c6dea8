"""summary.md: a short Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY.

Reasons and evidence quote the target's responses, so every table cell is escaped: a
hostile body must not be able to inject HTML or break the table in a rendered comment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

BANNER = {
    "conformant": "✅ CONFORMANT",
    "nonconformant": "❌ NONCONFORMANT",
    "inconclusive": "❔ INCONCLUSIVE",
    "error": "💥 ERROR (a bug in the suite)",
}
ATTENTION = ("fail", "warn", "error", "inconclusive")
COUNT_ORDER = ("fail", "warn", "error", "inconclusive", "skip", "pass")
MAX_ROWS = 50  # GitHub caps a step summary at 1 MiB; the full story is in report.html.
MAX_CELL = 200


def cell(text: str) -> str:
    """One line of target-controlled text made safe for a Markdown table cell."""
    text = " ".join(str(text).split())
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)


def _fence(text: str) -> str:
    # A fence longer than any backtick run inside, so the block cannot be closed from within.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _one_line(requirement: dict[str, Any]) -> str:
    if not requirement["evidence"]:
        return requirement["reason"]
    first = requirement["evidence"][0]
    line = first["message"]
    if first["expected"] or first["actual"]:
        line += f" (expected {first['expected']}; got {first['actual']})"
    return line


def build_summary(report: dict[str, Any]) -> str:
    embedded = " (embedded reference)" if report["target"]["embedded_reference"] else ""
    lines = [
        f"## checkout-conformance: {BANNER.get(report['verdict'], report['verdict'])}"
        + (" (strict)" if report["strict"] else ""),
        "",
        f"Target {cell(report['target']['base_url'])}{embedded}"
        f" · profile {cell(report['context']['profile'])} · seed {report['context']['seed']}"
        f" · {report['requests']} requests · {report['duration_seconds']:.1f} s"
        f" · suite {cell(report['suite']['version'])}",
        "",
        "| verdict | requirements |",
        "| --- | ---: |",
        *(f"| {name} | {report['counts'].get(name, 0)} |" for name in COUNT_ORDER),
        "",
    ]
    if report.get("activity"):
        lines += [f"Activity: {cell(report['activity']['text'])}.", ""]
    attention = [r for r in report["requirements"] if r["verdict"] in ATTENTION]
    attention.sort(key=lambda r: ATTENTION.index(r["verdict"]))
    if not attention:
        lines.append("Every judged requirement held.")
        return "\n".join(lines) + "\n"
    lines += ["### Requirements that need attention", "", "| ID | level | verdict | evidence |",
              "| --- | --- | --- | --- |"]
    for requirement in attention[:MAX_ROWS]:
        lines.append(f"| {requirement['id']} | {requirement['level']} | **{requirement['verdict']}** "
                     f"| {cell(_one_line(requirement))} |")
    if len(attention) > MAX_ROWS:
        lines.append(f"\n…and {len(attention) - MAX_ROWS} more: see report.html.")
    commands = []
    for requirement in attention[:MAX_ROWS]:
        for item in requirement["evidence"][:1]:
            for exchange in item["exchanges"][:1]:
                commands.append(f"# {requirement['id']}: {' '.join(item['message'].split())[:MAX_CELL]}")
                commands.append(exchange["curl"])
    if commands:
        body = "\n".join(commands)
        fence = _fence(body)
        lines += ["", "<details><summary>Reproduce with curl (the key is read from $CONFORMANCE_API_KEY)</summary>",
                  "", f"{fence}sh", body, fence, "", "</details>"]
    return "\n".join(lines) + "\n"


def write_summary(report: dict[str, Any], path: Path) -> None:
    path.write_text(build_summary(report), encoding="utf-8")
