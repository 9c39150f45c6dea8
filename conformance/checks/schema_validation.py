"""Validation of 200 list bodies against spec/openapi.yaml's `CheckoutSessionList`.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so `jsonschema` validates them as they are
(`x-...` extension keys are unknown keywords and ignored). Errors are split by where
they sit: *envelope* errors (outside `data[i]`: ENV-003's ground) and *item* errors
(inside `data[i]`: OBJ-00x's ground), each with a path a reader can find in the body,
e.g. ``data[3].amount_total: 'abc' is not of type 'integer', 'null'``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from conformance.spec import Spec

if TYPE_CHECKING:
    # Imported where used: the pure-Python validator is only asked about an invalid body,
    # and importing it costs a conformant run's start-up some 45 ms.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

LIST_SCHEMA = "CheckoutSessionList"

# Compiled validators by the document's hash: a Spec is frozen but holds a dict, so it
# cannot key a functools cache, and two loads of the same file should share one.
_VALIDATORS: dict[tuple[str, str], Draft202012Validator] = {}


@dataclass(frozen=True)
class SchemaError:
    """One way a body departs from the schema."""

    path: str  # where, as `data[3].amount_total`; "" for the body itself
    message: str  # `path: what is wrong`, ready for a report
    in_item: bool  # inside data[i] (an item error) rather than the envelope
    keyword: str = ""  # the JSON Schema keyword that failed: type, required, enum, ...
    field: str = ""  # the property concerned: for `required`, the missing one
    item: int | None = None  # i of data[i] for item errors

    @property
    def is_type_error(self) -> bool:
        """A documented field with the wrong JSON type (OBJ-005), not a missing key or bad value."""
        return self.keyword == "type"


def validator_for(spec: Spec, schema_name: str | None = None) -> Draft202012Validator:
    """The compiled validator for one schema of ``spec`` (built once): by default its operation's list schema."""
    schema_name = schema_name or spec.list_schema_name
    from jsonschema import Draft202012Validator

    key = (spec.sha256, schema_name)
    validator = _VALIDATORS.get(key)
    if validator is None:
        schema = spec.schema(schema_name)
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        _VALIDATORS[key] = validator
    return validator


# Invalid sessions of one page described error by error (by the pure-Python validator, for
# its readable messages) at most: a page holds at most 100 sessions (limit's maximum), and a
# page wider than that must not cost minutes. The others are told apart from valid ones by the
# compiled validator alone (microseconds each) and counted in `SchemaErrors.undescribed`.
MAX_ITEMS_DESCRIBED = 100


class SchemaErrors(list[SchemaError]):
    """A body's errors; `undescribed`: invalid sessions past MAX_ITEMS_DESCRIBED, not itemised."""

    undescribed: int = 0


def validation_errors(spec: Spec, body: Any, schema_name: str | None = None) -> SchemaErrors:
    """Departures of ``body`` (parsed JSON) from the schema, in document order: every one of
    the envelope and of the first MAX_ITEMS_DESCRIBED invalid sessions, the rest counted.
    Cost: one compiled (Rust) validation of the body, one of each session when it is invalid,
    and the pure-Python validator for at most MAX_ITEMS_DESCRIBED sessions: linear in the
    bytes, with a small constant (BENCHMARKS.md, "Judging a wide page")."""
    result = SchemaErrors()
    schema_name = schema_name or spec.list_schema_name
    if _fast_validator_for(spec, schema_name).is_valid(body):
        return result  # the usual page: one pass in Rust, nothing serialized per session
    if schema_name == spec.list_schema_name and isinstance(body, dict) and isinstance(body.get("data"), list):
        # Walks at several page sizes fetch the same sessions again and again: validate the
        # envelope once and each distinct session once, then place its errors at data[i].
        errors = _errors(spec, {**body, "data": []}, schema_name)
        fast_item = _fast_validator_for(spec, spec.item_schema_name)
        described = 0
        for index, item in enumerate(body["data"]):
            if fast_item.is_valid(item):
                continue
            if described >= MAX_ITEMS_DESCRIBED:
                result.undescribed += 1
                continue
            described += 1
            errors += [_at_item(index, e) for e in _item_errors(spec, json.dumps(item, sort_keys=True))]
    else:
        errors = _errors(spec, body, schema_name)
    # Duplicates arise when several oneOf branches fail at the same spot for the same reason.
    unique = list(dict.fromkeys(errors))
    result += sorted(unique, key=lambda e: (e.item if e.item is not None else -1, e.path, e.message))
    return result


def _errors(spec: Spec, body: Any, schema_name: str) -> list[SchemaError]:
    # jsonschema-rs (a Schemathesis dependency) answers "valid?" some 50x faster; the
    # pure-Python validator is asked only for the rare invalid body, for its readable errors.
    if _fast_validator_for(spec, schema_name).is_valid(body):
        return []
    return [_describe(error) for error in _leaves(validator_for(spec, schema_name).iter_errors(body))]


_FAST: dict[tuple[str, str], Any] = {}


def _fast_validator_for(spec: Spec, schema_name: str) -> Any:
    key = (spec.sha256, schema_name)
    if key not in _FAST:
        _FAST[key] = jsonschema_rs.Draft202012Validator(spec.schema(schema_name))
    return _FAST[key]


_ITEM_CACHE: dict[tuple[str, str, str], list[SchemaError]] = {}


def _item_errors(spec: Spec, item_json: str) -> list[SchemaError]:
    key = (spec.sha256, spec.item_schema_name, item_json)
    if key not in _ITEM_CACHE:
        if len(_ITEM_CACHE) > 50_000:  # bounded: a thorough run on a large target sees many sessions
            _ITEM_CACHE.clear()
        _ITEM_CACHE[key] = _errors(spec, json.loads(item_json), spec.item_schema_name)
    return _ITEM_CACHE[key]


def _at_item(index: int, error: SchemaError) -> SchemaError:
    """An error found in a lone session, placed where it sits in the page: data[index]...."""
    path = f"data[{index}]" + ("" if not error.path else error.path if error.path.startswith("[") else f".{error.path}")
    detail = error.message.split(": ", 1)[1] if ": " in error.message else error.message
    return SchemaError(path=path, message=f"{path}: {detail}", in_item=True, keyword=error.keyword,
                       field=error.field, item=index)


def envelope_errors(errors: Iterable[SchemaError]) -> list[SchemaError]:
    return [e for e in errors if not e.in_item]


def item_errors(errors: Iterable[SchemaError]) -> list[SchemaError]:
    return [e for e in errors if e.in_item]


def format_path(parts: Iterable[Any]) -> str:
    """`data[3].customer_details.address` from jsonschema's absolute path."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _leaves(errors: Iterable[ValidationError]) -> Iterable[ValidationError]:
    """Replace oneOf/anyOf failures by their cause.

    `customer_details.address: 5` fails `oneOf: [Address, null]`: every branch rejects
    the value's JSON type, so it is reported as one type error (OBJ-005's business),
    not as "not valid under any of the given schemas". `address: {"city": 4}` has the
    right type for the Address branch: the cause is that branch's own error at
    `address.city`. Anything less clear-cut keeps the oneOf error itself.
    """
    for error in errors:
        if error.validator not in ("oneOf", "anyOf") or not error.context:
            yield error
            continue
        branches: dict[Any, list[ValidationError]] = {}
        for cause in error.context:
            branch = cause.relative_schema_path[0] if cause.relative_schema_path else None
            branches.setdefault(branch, []).append(cause)
        fitting = [causes for causes in branches.values() if not any(_wrong_type_here(c) for c in causes)]
        if not fitting:
            yield _merged_type_error(error, [c for cs in branches.values() for c in cs if _wrong_type_here(c)])
        elif len(fitting) == 1:
            yield from _leaves(fitting[0])
        else:
            yield error


def _wrong_type_here(cause: ValidationError) -> bool:
    """A branch rejected the value's own JSON type (not something deeper inside it)."""
    return cause.validator == "type" and not cause.relative_path


def _merged_type_error(error: ValidationError, causes: list[ValidationError]) -> ValidationError:
    from jsonschema.exceptions import ValidationError

    allowed: list[str] = []
    for cause in causes:
        wanted = cause.validator_value
        for name in wanted if isinstance(wanted, list) else [wanted]:
            if name not in allowed:
                allowed.append(name)
    return ValidationError(
        f"{error.instance!r} is not of type {', '.join(repr(a) for a in allowed)}",
        validator="type", validator_value=allowed, instance=error.instance,
        path=error.absolute_path,
    )


def _describe(error: ValidationError) -> SchemaError:
    parts = list(error.absolute_path)
    in_item = len(parts) >= 2 and parts[0] == "data" and isinstance(parts[1], int)
    item = parts[1] if in_item else None
    field = str(parts[-1]) if parts and not isinstance(parts[-1], int) else ""
    if error.validator == "required" and isinstance(error.instance, dict):
        # jsonschema reports a missing key at its parent; name the key itself.
        missing = _missing_key(error)
        field = missing or field
    path = format_path(parts)
    where = path or "(body)"
    return SchemaError(
        path=path,
        message=f"{where}: {error.message}",
        in_item=in_item,
        keyword=str(error.validator),
        field=field,
        item=item,
    )


def _missing_key(error: ValidationError) -> str:
    # One error per missing key, each naming it only in its message: match the message.
    required = error.validator_value if isinstance(error.validator_value, list) else []
    instance = error.instance if isinstance(error.instance, dict) else {}
    missing = [str(k) for k in required if k not in instance]
    return next((k for k in missing if error.message.startswith(repr(k))), missing[0] if missing else "")
