"""report.html: one self-contained page a person reads (inline CSS and JS, no network).

Reasons and evidence quote the target's responses, so the templates run with autoescape
on and only our own CSS and script are inserted unescaped. A Content-Security-Policy
that admits just that script (by hash) and no network is the second line of defence.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from conformance.reports.causes import likely_causes, unexplained

COUNT_ORDER = ("fail", "warn", "error", "inconclusive", "waived", "skip", "pass")
BANNER = {
    "conformant": "CONFORMANT",
    "nonconformant": "NONCONFORMANT",
    "inconclusive": "INCONCLUSIVE",
    "error": "ERROR",
}
EXPLANATION = {
    "conformant": "No MUST requirement was broken.",
    "nonconformant": "At least one MUST requirement was broken (or a SHOULD, under --strict).",
    "inconclusive": "Nothing could be judged: see the inconclusive requirements.",
    "error": "The suite itself failed on a requirement; this is a bug in the suite, not a finding.",
}


@cache
def _environment() -> Environment:
    # autoescape=True for every template, whatever its name: evidence is target-controlled.
    return Environment(loader=PackageLoader("conformance.reports", "templates"), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def _asset(name: str) -> str:
    return resources.files("conformance.reports").joinpath("templates", name).read_text(encoding="utf-8")


def render_html(report: dict[str, Any]) -> str:
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return _environment().get_template("report.html.j2").render(
        report=report,
        css=_asset("report.css"),
        script=script,
        script_hash=f"sha256-{digest}",
        banner=BANNER.get(report["verdict"], report["verdict"].upper()),
        explanation=EXPLANATION.get(report["verdict"], ""),
        count_order=[name for name in COUNT_ORDER if name in report["counts"]],
        areas=list(dict.fromkeys(r["area"] for r in report["requirements"])),
        causes=likely_causes(report),
        unexplained=unexplained(report),
    )


def write_html(report: dict[str, Any], path: Path) -> None:
    path.write_text(render_html(report), encoding="utf-8")
