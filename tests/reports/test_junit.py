"""junit.xml: one testcase per requirement, verdicts mapped as junit.py documents, valid JUnit."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.reports.junit import build_junit

XSD = Path(__file__).parent / "data" / "junit-10.xsd"


def _load(report_dir: Path) -> tuple[dict[str, Any], ET.Element]:
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    return report, ET.parse(report_dir / "junit.xml").getroot()


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    cases = {}
    for case in root.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        cases[props["requirement.id"]] = case
    return cases


def _validate_against_the_jenkins_schema(junit: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema validates junit.xml against junit-10.xsd")
    root = ET.parse(junit).getroot()
    # junit-10.xsd has no testcase <properties> (see data/README.md): checked apart below.
    for case in root.iter("testcase"):
        for props in case.findall("properties"):
            case.remove(props)
    xmlschema.XMLSchema(str(XSD)).validate(ET.tostring(root, encoding="unicode"))


def test_junit_validates_against_the_jenkins_schema(mixed_dir: Path) -> None:
    _validate_against_the_jenkins_schema(mixed_dir / "junit.xml")


def test_one_testcase_per_requirement_with_id_and_level(mixed_dir: Path) -> None:
    report, root = _load(mixed_dir)
    assert root.tag == "testsuites"
    cases = _cases(root)
    assert list(cases) == [r["id"] for r in report["requirements"]]
    for requirement in report["requirements"]:
        case = cases[requirement["id"]]
        props = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        assert props["requirement.level"] == requirement["level"]
        assert props["requirement.verdict"] == requirement["verdict"]
        assert case.get("classname") == f"checkout-conformance.{requirement['area']}"
        assert case.get("name").startswith(f"{requirement['id']} ({requirement['level']})")
    assert int(root.get("tests")) == len(report["requirements"])


def test_verdicts_map_to_junit_results(mixed_dir: Path) -> None:
    report, root = _load(mixed_dir)
    cases = _cases(root)
    by_verdict: dict[str, list[dict[str, Any]]] = {}
    for requirement in report["requirements"]:
        by_verdict.setdefault(requirement["verdict"], []).append(requirement)
    assert set(by_verdict) == {"pass", "fail", "warn", "skip", "inconclusive", "error"}

    for requirement in by_verdict["pass"]:
        case = cases[requirement["id"]]
        assert case.find("failure") is None and case.find("skipped") is None and case.find("error") is None
    for requirement in by_verdict["fail"]:
        failure = cases[requirement["id"]].find("failure")
        assert failure is not None and failure.get("message") == requirement["reason"]
        evidence = requirement["evidence"][0]
        assert evidence["message"] in failure.text
        assert f"expected: {evidence['expected']}" in failure.text
        assert evidence["exchanges"][0]["curl"] in failure.text
    for requirement in by_verdict["warn"]:
        case = cases[requirement["id"]]
        assert case.find("failure") is None  # not strict: shown as passed, with a warning
        assert case.find("system-out").text.startswith("WARNING")
    for requirement in by_verdict["skip"]:
        assert cases[requirement["id"]].find("skipped").get("message") == requirement["reason"]
    for requirement in by_verdict["inconclusive"]:
        skipped = cases[requirement["id"]].find("skipped")
        assert skipped.get("message") == f"inconclusive: {requirement['reason']}"
    for requirement in by_verdict["error"]:
        assert cases[requirement["id"]].find("error") is not None
    assert int(root.get("failures")) == len(by_verdict["fail"])
    assert int(root.get("errors")) == len(by_verdict["error"])


def test_warnings_are_failures_under_strict(mixed_dir: Path) -> None:
    report, _ = _load(mixed_dir)
    strict = copy.deepcopy(report)
    strict["strict"] = True
    root = ET.fromstring(build_junit(strict).tostring())
    warned = next(r for r in report["requirements"] if r["verdict"] == "warn")
    assert _cases(root)[warned["id"]].find("failure") is not None


def test_control_characters_from_the_target_stay_valid_xml(mixed_dir: Path) -> None:
    report, _ = _load(mixed_dir)
    broken = copy.deepcopy(report)
    failed = next(r for r in broken["requirements"] if r["verdict"] == "fail")
    failed["reason"] = "bell \x07 and nul \x00 from the target"
    ET.fromstring(build_junit(broken).tostring())  # parses: nothing invalid was written


def test_one_testsuite_per_operation_when_several(two_dir: Path) -> None:
    report, root = _load(two_dir)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == report["operations"] == ["GET /v1/checkout/sessions", "GET /v1/invoices"]
    verdicts = {s["operation"]: s["verdict"] for s in report["by_operation"]}
    for suite in suites:
        key = suite.get("name")
        props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
        assert props["operation"] == key and props["operation.verdict"] == verdicts[key]
        own = [r for r in report["requirements"] if r["operation"] == key]
        cases = suite.findall("testcase")
        assert [c.get("name").split(" ")[0] for c in cases] == [r["id"] for r in own]
        assert int(suite.get("tests")) == len(own)
        assert int(suite.get("failures")) == sum(r["verdict"] == "fail" for r in own)
        for case, requirement in zip(cases, own, strict=True):
            case_props = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
            assert case_props["requirement.operation"] == key
            assert case.get("classname") == f"checkout-conformance.{key}.{requirement['area']}"
    # The same requirement on two operations is two distinct testcases (classname and name).
    names = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(names) == len(set(names)) == len(report["requirements"])
    assert int(root.get("failures")) == sum(r["verdict"] == "fail" for r in report["requirements"])


def test_an_invoices_failure_cites_the_invoices_request(two_dir: Path) -> None:
    _, root = _load(two_dir)
    invoices = next(s for s in root.findall("testsuite") if s.get("name") == "GET /v1/invoices")
    (failure,) = [c.find("failure") for c in invoices.findall("testcase") if c.find("failure") is not None]
    assert "GET /v1/invoices" in failure.text and "/v1/checkout/sessions" not in failure.text


def test_a_one_operation_run_keeps_its_suites_per_area(mixed_dir: Path) -> None:
    report, root = _load(mixed_dir)
    assert [s.get("name") for s in root.findall("testsuite")] == list(
        dict.fromkeys(f"checkout-conformance.{r['area']}" for r in report["requirements"]))
    for case in root.iter("testcase"):
        assert "requirement.operation" not in {p.get("name") for p in case.findall("properties/property")}


def test_two_operation_junit_validates_against_the_jenkins_schema(two_dir: Path) -> None:
    _validate_against_the_jenkins_schema(two_dir / "junit.xml")
