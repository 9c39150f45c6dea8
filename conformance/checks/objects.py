"""The checkout.session object: required keys and the SHOULD-level semantics.

Field lists, known values and id prefixes are read from spec/openapi.yaml
(`required`, `x-known-values`, `x-id-prefix`, `x-pattern`, `x-non-negative`):
no second copy of them lives here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from conformance.checks.base import Check, Record, RunContext
from conformance.checks.common import lacking, not_asked, unanswered
from conformance.checks.walks import REFERENCE_WALK, Walk
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, too_little_data, violated
from conformance.wording import plural

Item = dict[str, Any]


def _seen_items(record: Record) -> list[tuple[Item, Exchange]]:
    """Each distinct session seen in any 200 page, with the page it came from."""
    seen: dict[str, tuple[Item, Exchange]] = {}
    for exchange in record:
        body = exchange.json
        if exchange.status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), list):
            continue
        for item in body["data"]:
            if isinstance(item, dict):
                item_id = item.get("id")
                key = item_id if isinstance(item_id, str) else f"#{exchange.seq}:{len(seen)}"
                seen.setdefault(key, (item, exchange))
    return list(seen.values())


def _each(req: str, name: str, items: list[tuple[Item, Exchange]],
          problem: Callable[[Item], tuple[str, str, str] | None]) -> Outcome:
    """Violated with the first few items for which problem() returns (message, expected, actual)."""
    evidence = []
    for item, exchange in items:
        found = problem(item)
        if found:
            message, expected, actual = found
            evidence.append(Evidence(f"{item.get('id')}: {message}", expected=expected, actual=actual,
                                     exchanges=[exchange.seq]))
            if len(evidence) >= 3:
                break
    return violated(req, name, *evidence) if evidence else held(req, name, f"{plural(len(items), 'session')} checked",
                                                                 {exchange.seq for _, exchange in items})


def _walk_schema(schema: dict[str, Any], spec: Spec, prefix: str = "") -> Iterable[tuple[str, dict[str, Any]]]:
    """(dotted path, property schema) for every property, nested objects included."""
    if "$ref" in schema:
        schema = spec.component(schema["$ref"].rsplit("/", 1)[-1])
    for option in schema.get("oneOf", []):
        if option.get("type") != "null":
            yield from _walk_schema(option, spec, prefix)
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        yield path, sub
        yield from _walk_schema(sub, spec, path + ".")
        if "items" in sub:
            yield from _walk_schema(sub["items"], spec, path + "[].")


def _values_at(item: Any, path: str | list[str]) -> list[Any]:
    values = [item]
    for part in path.split(".") if isinstance(path, str) else path:
        nxt: list[Any] = []
        for value in values:
            if part.endswith("[]"):
                inner = value.get(part[:-2]) if isinstance(value, dict) else None
                nxt.extend(inner if isinstance(inner, list) else [])
            elif isinstance(value, dict) and value.get(part) is not None:
                nxt.append(value[part])
        values = nxt
    return values


SEMANTICS_CHECK = "object.semantics"


def judge_objects(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = SEMANTICS_CHECK
    items = _seen_items(record)
    if not items:
        for req in ("OBJ-001", "OBJ-002", "OBJ-003", "OBJ-004", "OBJ-006", "OBJ-007", "OBJ-008", "OBJ-009",
                    "OBJ-010", "OBJ-011", "OBJ-012", "OBJ-013", "OBJ-014"):
            yield too_little_data(req, name, "the target listed no sessions")
        return
    # The operation's item schema (its `required`, `properties`, `enum`s are the document's MUSTs).
    schema = spec.item_schema
    required = list(schema.get("required") or [])
    documented = list(schema.get("properties") or {})
    statuses = _enum((schema.get("properties") or {}).get("status"), spec)
    kinds = _enum((schema.get("properties") or {}).get("object"), spec)
    rules = list(_walk_schema(schema, spec))

    # A required key whose schema allows null may be null (the document's own MUST is presence);
    # checkout sessions' required keys allow no null (CONTRACT.md: all non-null).
    nullable = {k for k in required if _allows_null((schema.get("properties") or {}).get(k), spec)}

    def missing_required(item: Item) -> tuple[str, str, str] | None:
        absent = [k for k in required if k not in item or (item[k] is None and k not in nullable)]
        return (f"missing or null {', '.join(absent)}", "non-null " + ", ".join(required),
                "absent/null: " + ", ".join(absent)) if absent else None

    yield _each("OBJ-001", name, items, missing_required)
    if kinds:
        yield _each("OBJ-002", name, items, lambda i: None if i.get("object") in kinds else (
            f"object is not {' | '.join(kinds)}", " | ".join(f'"{k}"' for k in kinds), repr(i.get("object"))))
    else:
        yield skipped("OBJ-002", name, "the item schema names no `object` value")
    if statuses:
        yield _each("OBJ-003", name, items, lambda i: None if i.get("status") in statuses else (
            "unknown status", " | ".join(statuses), repr(i.get("status"))))
    else:
        yield skipped("OBJ-003", name, "the item schema has no `status` enum")
    yield _judge_unique_ids(record, name)
    yield _each("OBJ-006", name, items, lambda i: (
        "documented keys absent", "every documented key present (null allowed)",
        ", ".join(k for k in documented if k not in i)) if any(k not in i for k in documented) else None)

    def rule_problem(keyword: str, test: Callable[[Any, Any], bool], describe: str) -> Callable[[Item], Any]:
        # The paths that carry this keyword, split once: every session seen is read against them.
        applicable = [(path, path.split("."), sub[keyword]) for path, sub in rules if keyword in sub]

        def problem(item: Item) -> tuple[str, str, str] | None:
            for path, parts, rule in applicable:
                for value in _values_at(item, parts):
                    if not test(value, rule):
                        return (f"{path} = {value!r}", describe.format(rule=rule), repr(value))
            return None
        return problem

    yield _each("OBJ-007", name, items, rule_problem("x-known-values", lambda v, known: v in known,
                                                     "one of {rule}"))
    yield _each("OBJ-008", name, items, rule_problem(
        "x-id-prefix", lambda v, prefix: isinstance(v, str) and v.startswith(prefix), "starts with {rule}"))
    yield _each("OBJ-009", name, items, rule_problem(
        "x-pattern", lambda v, pattern: isinstance(v, str) and re.fullmatch(pattern, v) is not None,
        "matches {rule}"))
    yield _each("OBJ-010", name, items, rule_problem(
        "x-non-negative", lambda v, _: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a non-negative integer"))
    yield _each("OBJ-011", name, items, _expires_before_created)
    yield _each("OBJ-012", name, items, lambda i: (
        "url set on a session that is not open", "null unless status is open", repr(i.get("url")))
        if i.get("url") is not None and i.get("status") != "open" else None)
    if run.key_is_test_key:
        yield _each("OBJ-013", name, items, lambda i: (
            "livemode under a test key", "false", repr(i.get("livemode"))) if i.get("livemode") is not False
            else None)
    else:
        yield skipped("OBJ-013", name, "the API key is not a test key (sk_test_)")
    yield _each("OBJ-014", name, items, _total_mismatch)


def _allows_null(schema: Any, spec: Spec) -> bool:
    """Whether a property schema admits null: `type` naming "null", `nullable: true` (OpenAPI 3.0),
    or a `oneOf`/`anyOf` member that does."""
    if isinstance(schema, dict) and "$ref" in schema:
        schema = spec.component(str(schema["$ref"]).rsplit("/", 1)[-1])
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind) or schema.get("nullable") is True:
        return True
    return any(_allows_null(member, spec) for key in ("oneOf", "anyOf") for member in schema.get(key) or [])


def _enum(schema: Any, spec: Spec) -> list[str]:
    """The values a property schema allows (``enum``, or ``const``), its $ref followed; [] when open."""
    if isinstance(schema, dict) and "$ref" in schema:
        schema = spec.component(str(schema["$ref"]).rsplit("/", 1)[-1])
    if not isinstance(schema, dict):
        return []
    if "const" in schema:
        return [schema["const"]]
    return [v for v in schema.get("enum") or [] if v is not None]


def _expires_before_created(item: Item) -> tuple[str, str, str] | None:
    created, expires = item.get("created"), item.get("expires_at")
    if isinstance(created, int) and isinstance(expires, int) and expires <= created:
        return ("expires_at is not after created", f"> {created}", str(expires))
    return None


def _total_mismatch(item: Item) -> tuple[str, str, str] | None:
    raw_details = item.get("total_details")
    details = raw_details if isinstance(raw_details, dict) else {}
    parts = [item.get("amount_total"), item.get("amount_subtotal"), details.get("amount_discount"),
             details.get("amount_shipping"), details.get("amount_tax")]
    if not all(isinstance(p, int) for p in parts[:2]):
        return None
    total, subtotal, discount, shipping, tax = (p if isinstance(p, int) else 0 for p in parts)
    exclusive = subtotal - discount + shipping + tax
    inclusive = subtotal - discount + shipping
    if total in (exclusive, inclusive):
        return None
    return ("amount_total does not add up", f"{exclusive} (tax-exclusive) or {inclusive} (tax-inclusive)",
            str(total))


def _judge_unique_ids(record: Record, name: str) -> Outcome:
    walk = Walk.read(record, REFERENCE_WALK)
    if walk.unanswered is not None:
        return unanswered("OBJ-004", name, walk.unanswered)
    if not walk.pages:
        return not_asked("OBJ-004", name, "the reference walk was not made", record)
    if len(walk.ids) < 2:
        return lacking("OBJ-004", name, "the reference walk saw fewer than two sessions", record)
    ids = walk.ids
    # Two different sessions under one id: the bodies differ, so this is data, not a cursor slip.
    seen: dict[Any, Any] = {}
    for page in walk.usable_pages:
        for item in page.json["data"]:
            if not isinstance(item, dict):
                continue
            other = seen.get(item.get("id"))
            if other is not None and other != item:
                return violated("OBJ-004", name, Evidence(
                    f"two different sessions share the id {item.get('id')}", expected="unique ids",
                    actual="the same id with different bodies", exchanges=[page.seq]))
            seen[item.get("id")] = item
    return held("OBJ-004", name, f"{plural(len(set(ids)), 'distinct id')} in the {walk.name}, each with one body",
                seqs(walk.usable_pages))


CHECKS = (
    Check(SEMANTICS_CHECK, "object",
          ("OBJ-001", "OBJ-002", "OBJ-003", "OBJ-004", "OBJ-006", "OBJ-007", "OBJ-008", "OBJ-009",
           "OBJ-010", "OBJ-011", "OBJ-012", "OBJ-013", "OBJ-014"), judge_objects,
          compares=("OBJ-004",)),
)
