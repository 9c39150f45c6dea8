"""junit.xml: one testcase per requirement, for CI systems that render JUnit reports.

How verdicts map, chosen for what Jenkins, GitLab and GitHub test-report actions show:

- pass → a passed testcase.
- fail (a MUST broken) → ``<failure>``; its text holds the evidence: message, expected and
  actual, each cited request with its status and a curl command that repeats it.
- warn (a SHOULD broken) → a *passed* testcase with the same evidence in ``<system-out>``,
  prefixed ``WARNING``. CI systems colour a report red on any failure, and a warning does
  not fail the run (exit 0), so a red report would contradict the exit code. Under
  ``--strict`` warnings do fail the run, and then they are ``<failure>`` elements too.
- skip and inconclusive → ``<skipped>`` with the reason (inconclusive prefixed so):
  neither says anything about the target, which is what "skipped" means to a reader.
- waived (a fail or warn the user waived) → ``<skipped>`` with the waiver's reason and expiry.
- error (a bug in the suite) → ``<error>``, which CI systems show apart from failures.

Every testcase carries the requirement ID, level, area and verdict as ``<property>``
elements (the form pytest's ``record_property`` writes, which Jenkins reads; the strict
Jenkins junit-10.xsd has no testcase properties, so the ID and level are in the testcase
name as well). One testsuite per requirement area keeps the CI view grouped.

A run of several list operations (issue 24) has one testsuite per operation instead, named by its
key (``GET /v1/invoices``), in the order the run judged them, with the operation's own verdict as
the suite property ``operation.verdict``; each testcase's classname is
``checkout-conformance.<operation>.<area>`` and it carries ``requirement.operation``, so the same
requirement on two operations is two distinct testcases. A run of one operation is written as
before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from junitparser import Error, Failure, JUnitXml, Properties, Property, Skipped, SystemOut, TestCase, TestSuite

from conformance.reports.document import operations_of
from conformance.reports.markdown import scoped_verdict

SUITE_PREFIX = "checkout-conformance"

# Characters XML 1.0 cannot carry at all; target-controlled bodies may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def evidence_text(requirement: dict[str, Any]) -> str:
    """The evidence of one requirement as plain text: what a CI log shows under a failure."""
    lines = [f"{requirement['id']} ({requirement['level']}): {requirement['text']}"]
    if requirement["reason"]:
        lines.append(f"reason: {requirement['reason']}")
    for item in requirement["evidence"]:
        lines.append("")
        lines.append(item["message"])
        if item["expected"] or item["actual"]:
            lines.append(f"  expected: {item['expected']}")
            lines.append(f"  actual:   {item['actual']}")
        for exchange in item["exchanges"]:
            outcome = exchange["error"] or exchange["status"]
            lines.append(f"  #{exchange['seq']} {exchange['request']} -> {outcome}")
            lines.append(f"    {exchange['curl']}")
    return _clean("\n".join(lines))


def _testcase(requirement: dict[str, Any], strict: bool, several: bool = False) -> TestCase:
    name = f"{requirement['id']} ({requirement['level']}): {requirement['text']}"
    where = f"{requirement['operation']}." if several else ""
    case = TestCase(_clean(name), classname=_clean(f"{SUITE_PREFIX}.{where}{requirement['area']}"), time=0.0)
    properties = Properties()
    for key in ("id", *(("operation",) if several else ()), "level", "area", "verdict"):
        properties.add_property(Property(f"requirement.{key}", str(requirement[key])))
    case.append(properties)
    verdict, reason = requirement["verdict"], _clean(requirement["reason"])
    if verdict == "fail" or (verdict == "warn" and strict):
        kind = f"{verdict}:{requirement['level']}"
        result: Failure | Error | Skipped = Failure(reason or "requirement violated", kind)
        result.text = evidence_text(requirement)
        case.result = [result]
    elif verdict == "error":
        result = Error(reason or "the suite failed to judge this requirement", "suite-error")
        result.text = evidence_text(requirement)
        case.result = [result]
    elif verdict == "waived":
        waiver = requirement["waiver"]
        case.result = [Skipped(_clean(f"waived ({waiver['verdict']}) until {waiver['expires']}: {waiver['reason']}"),
                               "waived")]
    elif verdict in ("skip", "inconclusive"):
        message = reason if verdict == "skip" else f"inconclusive: {reason}"
        case.result = [Skipped(message or verdict, verdict)]
    elif verdict == "warn":
        out = SystemOut()
        out.text = "WARNING (SHOULD violated; fails only under --strict)\n" + evidence_text(requirement)
        case.append(out)
    return case


def _suite(report: dict[str, Any], name: str) -> TestSuite:
    suite = TestSuite(_clean(name))
    suite.timestamp = report["started_at"]
    suite.add_property("suite.version", report["suite"]["version"])
    suite.add_property("spec.sha256", report["spec_sha256"])
    suite.add_property("catalog.sha256", report["catalog_sha256"])
    suite.add_property("target", report["target"]["base_url"])
    suite.add_property("target.embedded_reference", str(report["target"]["embedded_reference"]).lower())
    suite.add_property("profile", report["context"]["profile"])
    suite.add_property("seed", str(report["context"]["seed"]))
    suite.add_property("verdict", scoped_verdict(report))  # as the certificate says it
    return suite


def build_junit(report: dict[str, Any]) -> JUnitXml:
    xml = JUnitXml(SUITE_PREFIX)
    suites: dict[str, TestSuite] = {}
    operations = operations_of(report)
    several = len(operations) > 1
    if several:  # one suite per operation, in the run's order, each saying its own verdict
        verdicts = {s["operation"]: s["verdict"] for s in report.get("by_operation", [])}
        for key in operations:
            suites[key] = _suite(report, key)
            suites[key].add_property("operation", _clean(key))
            if key in verdicts:
                suites[key].add_property("operation.verdict", verdicts[key])
    for requirement in report["requirements"]:
        group = requirement.get("operation", operations[0]) if several else requirement["area"]
        if group not in suites:
            suites[group] = _suite(report, group if several else f"{SUITE_PREFIX}.{group}")
        suites[group].add_testcase(_testcase(requirement, report["strict"], several))
    for suite in suites.values():
        suite.update_statistics()
        xml.add_testsuite(suite)
    # Root totals set by hand, not by update_statistics(): that would add a `skipped`
    # attribute, which junit-10.xsd does not allow on <testsuites>.
    xml.tests = sum(s.tests for s in suites.values())
    xml.failures = sum(s.failures for s in suites.values())
    xml.errors = sum(s.errors for s in suites.values())
    xml.time = report["duration_seconds"]
    return xml


def write_junit(report: dict[str, Any], path: Path) -> None:
    build_junit(report).write(str(path), pretty=True)
