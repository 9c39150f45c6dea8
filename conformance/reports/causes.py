"""The "Likely cause" block of the HTML and Markdown reports, read from report.json alone."""

from __future__ import annotations

from typing import Any

from conformance.operations import CHECKOUT_SESSIONS

REPORTED = ("fail", "warn")


def likely_causes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """report.json's ``diagnosis``, each exchange number resolved to the request it names
    when a requirement's evidence quotes that exchange: [{fault, title, explains,
    exchanges: [{seq, request?, status?, curl?}]}]."""
    known: dict[int, dict[str, Any]] = {}
    for cause in report.get("diagnosis", []):  # each cause names its own exchanges (`shown`)
        for exchange in cause.get("shown", []):
            known[exchange["seq"]] = exchange
    for requirement in report["requirements"]:
        for item in requirement["evidence"]:
            for exchange in item["exchanges"]:
                known[exchange["seq"]] = exchange  # with the curl line too
    return [
        {**{k: v for k, v in cause.items() if k != "shown"},
         "exchanges": [known.get(seq, {"seq": seq}) for seq in cause["exchanges"]]}
        for cause in report.get("diagnosis", [])
    ]


def unexplained(report: dict[str, Any]) -> list[str]:
    """Failed or warned requirement IDs that no likely cause explains, in report order (a cause
    explains the requirements of its own operation only)."""
    return [r["id"] for r in unexplained_entries(report)]


def unexplained_entries(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The failed or warned requirement entries that no likely cause of their operation explains
    (a report without operations: checkout sessions), in report order."""
    explained = {(cause.get("operation", CHECKOUT_SESSIONS), r)
                 for cause in report.get("diagnosis", []) for r in cause["explains"]}
    return [r for r in report["requirements"]
            if r["verdict"] in REPORTED and (r.get("operation", CHECKOUT_SESSIONS), r["id"]) not in explained]
