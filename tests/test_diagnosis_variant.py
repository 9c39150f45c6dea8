"""The diagnosis on servers it has never seen: the independently written variant server
(tests/servers/variant.py) with one, two or three classic mistakes injected in its own
code. The named causes must be the injected mistakes, each shown by exchanges, and
together they must explain every failure; a correct variant gets no diagnosis
(tests/test_variant.py). Its partial and look-alike mistakes (one direction only, one
status only, a limit capped rather than unbounded) are written apart from the catalog and
named as the catalog fault they are (``DIAGNOSED_AS``); every value a cause states comes from
the exchanges it cites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.cli import main
from conformance.judge.diagnosis import Cause, unsupported_values
from conformance.reports.exchanges import read_exchanges
from tests.servers.variant import DIAGNOSED_AS, FAULTS, start_variant
from tests.support.runs import run_cli

SCHEMA = json.loads((Path(__file__).parents[1] / "conformance" / "reports" / "report.schema.json").read_text())


def _diagnosed(tmp_path: Path, faults: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    with start_variant(sessions=60, seed=1, faults=frozenset(faults)) as (base_url, api_key, version):
        _code, report = run_cli(base_url, api_key, tmp_path, "--api-version", version)
    reported = [r["id"] for r in report["requirements"] if r["verdict"] in ("fail", "warn")]
    return report, reported


def _stated_only_what_it_did(tmp_path: Path, report: dict[str, Any]) -> None:
    exchanges = read_exchanges(tmp_path / "exchanges.jsonl")
    for cause in report["diagnosis"]:
        stated = Cause(cause["fault"], cause["title"], cause["explains"], cause["exchanges"],
                       observed=cause.get("observed", ""))
        assert not unsupported_values(stated, exchanges), (cause["fault"], cause.get("observed"))


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_one_injected_mistake_is_named(tmp_path: Path, fault: str) -> None:
    report, reported = _diagnosed(tmp_path, (fault,))
    causes = [(c["fault"], c.get("alternatives", []), c["explains"]) for c in report["diagnosis"]]
    assert reported, f"the suite did not catch {fault} in the variant"
    expected = DIAGNOSED_AS[fault]
    if expected is None:  # no catalog fault fits: what the record shows, in words, and no catalog name
        assert report["diagnosis"] and all(c["fault"].startswith("observed:") for c in report["diagnosis"]), causes
        assert all(c.get("observed") for c in report["diagnosis"]), causes
    else:
        assert len(report["diagnosis"]) == 1, causes
        top = report["diagnosis"][0]
        assert expected in (top["fault"], *top.get("alternatives", [])), causes
    assert sorted(r for c in report["diagnosis"] for r in c["explains"]) == sorted(reported)
    assert report["diagnosis"][0]["exchanges"]
    _stated_only_what_it_did(tmp_path, report)
    jsonschema.validate(report, SCHEMA)  # `observed` and `alternatives` included
    assert main(["verify", str(tmp_path)]) == 0  # verify derives the same diagnosis from the transcript


@pytest.mark.parametrize("faults", [
    ("cursor-inclusive", "limit-default-25"),
    ("filter-ignored", "has-more-when-full", "auth-any-key"),
], ids="+".join)
def test_several_mistakes_get_several_causes(tmp_path: Path, faults: tuple[str, ...]) -> None:
    report, reported = _diagnosed(tmp_path, faults)
    causes = report["diagnosis"]
    assert sorted(c["fault"] for c in causes) == sorted(faults), [(c["fault"], c["explains"]) for c in causes]
    for cause in causes:
        assert cause["exchanges"], cause["fault"]
        assert set(cause["explains"]) <= set(reported), cause["fault"]
    assert {r for c in causes for r in c["explains"]} == set(reported)
