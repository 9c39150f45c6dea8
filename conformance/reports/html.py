"""report.html: one self-contained page a person reads (inline CSS and JS, no network).

Reasons and evidence quote the target's responses, so the templates run with autoescape
on and only our own CSS and script are inserted unescaped. Operation keys come from an OpenAPI
document the user gave, and are escaped like target text all the same.

A run of several list operations (issue 24) shows each operation's verdict at the top, and the
table in one section per operation (its failures first); requirement anchors then name the
operation (``#req-GET_v1_invoices-PAG-005``), and a filter picks an operation. A run of one
operation renders as before. A Content-Security-Policy
that admits just that script (by hash) and no network is the second line of defence.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from conformance.judge.waivers import unjudged_operation
from conformance.operations import CHECKOUT_SESSIONS
from conformance.reports.causes import likely_causes, unexplained_entries
from conformance.reports.document import operation_slugs, operations_of
from conformance.reports.markdown import scoped_verdict
from conformance.terminal import inert_page
from conformance.wording import capped, plural

COUNT_ORDER = ("fail", "warn", "error", "inconclusive", "waived", "skip", "pass")
BANNER = {
    "conformant": "CONFORMANT",
    "conformant-with-waivers": "CONFORMANT-WITH-WAIVERS",
    "partial": "PARTIAL",
    "partial-with-waivers": "PARTIAL-WITH-WAIVERS",
    "nonconformant": "NONCONFORMANT",
    "inconclusive": "INCONCLUSIVE",
    "error": "ERROR",
}
EXPLANATION = {
    "conformant": "Every MUST requirement of the catalog was judged, and none was broken.",
    "conformant-with-waivers": "No MUST requirement was broken, apart from accepted failures (waivers).",
    "partial": "Not every MUST requirement of the catalog was judged (see the scope); no MUST requirement "
               "judged was broken (nor a SHOULD, under --strict).",
    "partial-with-waivers": "Not every MUST requirement of the catalog was judged (see the scope), and some "
                            "judged ones failed: accepted failures (waivers).",
    "nonconformant": "At least one MUST requirement was broken (or a SHOULD, under --strict).",
    "inconclusive": "Some requirements could not be judged: see the inconclusive ones.",
    "error": "The suite itself failed on a requirement; this is a bug in the suite, not a finding.",
}
# Verdicts a reader must look at, in the order they are listed (the rest follow in catalog order).
ATTENTION = ("fail", "warn", "error", "inconclusive", "waived")
_BACKTICKS = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """``text`` HTML-escaped, with Markdown code spans (`limit`) shown as <code>; the
    escaping comes first, so target-controlled text still cannot add markup."""
    return Markup(_BACKTICKS.sub(r"<code>\1</code>", str(escape(text))))


def human_time(iso: str) -> str:
    """An ISO 8601 timestamp as a person reads it: 2026-11-30 10:05:04 UTC."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.utcoffset() is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def headline(report: dict[str, Any]) -> str:
    """What the banner says under the verdict: what failed, by ID (grouped by operation when the run
    judged several), or why nothing could be told."""
    several = len(operations_of(report)) > 1
    by_verdict: dict[str, dict[str, list[str]]] = {}
    for requirement in report["requirements"]:
        by_verdict.setdefault(requirement["verdict"], {}).setdefault(_operation(requirement), []).append(
            requirement["id"])

    def named(groups: dict[str, list[str]]) -> str:
        if not several:
            return capped([i for ids in groups.values() for i in ids], 8, ", ")
        return " and ".join(f"{capped(ids, 8, ', ')} on {key}" for key, ids in groups.items())

    parts = [f"{plural(sum(map(len, by_verdict[verdict].values())), 'requirement')} {label}: "
             f"{named(by_verdict[verdict])}"
             for verdict, label in (("fail", "failed"), ("warn", "warned (SHOULD)"), ("error", "hit a suite error"),
                                    ("waived", "waived (accepted failures)"))
             if by_verdict.get(verdict)]
    reason = report.get("verdict_reason") or EXPLANATION.get(scoped_verdict(report), "")
    if parts and by_verdict.keys() & {"fail", "warn", "error"}:
        return "; ".join(parts) + "."
    return f"{reason} {parts[0]}." if parts else reason  # only waived ones: the verdict's reason, then them


def attention_first(requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures first, then warnings, suite errors and inconclusive ones; catalog order within each."""
    rank = {verdict: i for i, verdict in enumerate(ATTENTION)}
    return sorted(requirements, key=lambda r: rank.get(r["verdict"], len(ATTENTION)))


def _operation(entry: dict[str, Any]) -> str:
    return str(entry.get("operation") or CHECKOUT_SESSIONS)


def sections(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The requirement table's sections: one (key None) for a run of one operation; else one per
    operation, in the run's order, with its key, slug, verdict, counts and requirements (failures first)."""
    operations = operations_of(report)
    keys = list(dict.fromkeys([*operations, *(_operation(r) for r in report["requirements"])]))
    if len(keys) <= 1:
        return [{"key": None, "slug": None, "verdict": None, "counts": {},
                 "requirements": attention_first(report["requirements"])}]
    slugs = operation_slugs(keys)
    summaries = {s["operation"]: s for s in report.get("by_operation", [])}
    return [{"key": key, "slug": slugs[key], "verdict": summaries.get(key, {}).get("verdict", ""),
             "counts": summaries.get(key, {}).get("counts", {}),
             "requirements": attention_first([r for r in report["requirements"] if _operation(r) == key])}
            for key in keys]


def _anchors(report: dict[str, Any], parts: list[dict[str, Any]]) -> Any:
    """anchor(id, operation): the id of a requirement's row; operation None (a waiver on every
    operation) is the first operation whose section lists it."""
    slugs = {part["key"]: part["slug"] for part in parts}
    if len(parts) == 1:
        return lambda requirement, operation=None: f"req-{requirement}"

    def anchor(requirement: str, operation: str | None = None) -> str:
        if operation is None:
            operation = next((part["key"] for part in parts
                              if any(r["id"] == requirement for r in part["requirements"])), parts[0]["key"])
        return f"req-{slugs.get(operation, 'unknown')}-{requirement}"
    return anchor


@cache
def _environment() -> Environment:
    # autoescape=True for every template, whatever its name: evidence is target-controlled.
    environment = Environment(loader=PackageLoader("conformance.reports", "templates"), autoescape=True,
                              undefined=StrictUndefined, keep_trailing_newline=True)
    environment.filters["code_spans"] = code_spans
    environment.filters["human_time"] = human_time
    return environment


def _asset(name: str) -> str:
    return resources.files("conformance.reports").joinpath("templates", name).read_text(encoding="utf-8")


def render_html(report: dict[str, Any]) -> str:
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    parts = sections(report)
    operations = operations_of(report)
    return inert_page(_environment().get_template("report.html.j2").render(
        report=report,
        css=_asset("report.css"),
        script=script,
        script_hash=f"sha256-{digest}",
        verdict=scoped_verdict(report),
        banner=BANNER.get(scoped_verdict(report), scoped_verdict(report).upper()),
        # The run's own reason says more than the generic line, which would only repeat it.
        # nor the generic line twice (a headline of waived failures already starts with it).
        explanation="" if headline(report) == report.get("verdict_reason")
        or EXPLANATION.get(scoped_verdict(report), "") in headline(report)
        else EXPLANATION.get(scoped_verdict(report), ""),
        headline=headline(report),
        sections=parts,
        several=len(parts) > 1,
        anchor=_anchors(report, parts),
        count_order=[name for name in COUNT_ORDER if name in report["counts"]],
        areas=list(dict.fromkeys(r["area"] for r in report["requirements"])),
        causes=likely_causes(report),
        unexplained=unexplained_entries(report),
        left_out=report.get("left_out", []),
        # Waivers naming an operation this run did not judge: said, as expired and stale ones are.
        unjudged_waivers=[w for w in report.get("waivers", [])
                          if w["status"] == "unused" and unjudged_operation(w, operations)],
    ))


def write_html(report: dict[str, Any], path: Path) -> None:
    path.write_text(render_html(report), encoding="utf-8")
