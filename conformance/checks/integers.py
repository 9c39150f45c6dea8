"""Integers written as JSON integers (OBJ-005, CONTRACT.md: the checkout.session object).

JSON Schema counts `1763900000.0` as an integer (a number with a zero fractional part), so
validating against spec/openapi.yaml lets it through; Go, Java and .NET SDKs decoding into
int64 reject it, as they would a string. Python reads a number written with a fraction or an
exponent as a float, so a float where the spec says integer is exactly that defect.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from conformance.checks.base import Check, Record, RunContext
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, violated


def _json_integer(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _written_integers() -> Any:
    """The spec's schemas' validator class, with "integer" meaning an integer as written, not a
    number of integral value. Made on first need: most runs never meet such a number, and
    importing jsonschema costs start-up some 40 ms."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(
        Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _json_integer))


def _has_integral_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_has_integral_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_integral_float(v) for v in value)
    return False


def _sessions(record: Record) -> Iterator[tuple[int, dict[str, Any], Exchange]]:
    for exchange in record:
        if not exchange.writes_fractions:
            continue  # no such number anywhere in the body, as parsed: nothing to find (the common case)
        body = exchange.json
        if exchange.status == 200 and isinstance(body, dict) and isinstance(body.get("data"), list):
            for index, item in enumerate(body["data"]):
                if isinstance(item, dict):
                    yield index, item, exchange


def judge_written_integers(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = "objects.written-integers"
    validator = None
    evidence: list[Evidence] = []
    pages = {e.seq for e in record if e.page_ids}
    for index, item, exchange in _sessions(record):
        if not _has_integral_float(item):  # the common case costs no validation
            continue
        validator = validator or _written_integers()(spec.schema(spec.item_schema_name))
        for error in validator.iter_errors(item):
            if error.validator == "type" and isinstance(error.instance, float) and error.instance.is_integer():
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                evidence.append(Evidence(
                    f"data[{index}]{where} of {item.get('id')} is written {error.instance!r}, "
                    "a number with a fraction or exponent where the spec says integer",
                    expected=f"a JSON integer ({int(error.instance)})", actual=repr(error.instance),
                    exchanges=[exchange.seq]))
        if len(evidence) >= 5:
            break
    if evidence:
        yield violated("OBJ-005", name, *evidence[:5])
    elif not pages:
        yield skipped("OBJ-005", name, "no 200 page listed any session")
    else:
        yield held("OBJ-005", name, f"integers on {len(pages)} pages written without fraction or exponent",
                   seqs(e for e in record if e.seq in pages))


CHECKS = (Check("objects.written-integers", "object", ("OBJ-005",), judge_written_integers),)
