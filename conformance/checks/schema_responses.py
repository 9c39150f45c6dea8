"""Every recorded 200 body against spec/openapi.yaml: the envelope (ENV-003) and the field
types of every session (OBJ-005), whichever probe asked for it.

OBJ-005 reads the operation's item schema as the document's own MUSTs (docs/family.md): a
field's `type`, and the value keywords in :data:`VALUE_KEYWORDS` (`enum`, `const`, `pattern`,
the numeric bounds, the length bounds). The `enum`/`const` of the item's own `object` and
`status` are OBJ-002's and OBJ-003's, and not reported twice. `multipleOf` is left out: a
validator's float division (0.3 / 0.1) would fail a correct decimal, a false positive."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Record, RunContext
from conformance.checks.common import not_asked
from conformance.checks.generated import schema_evidence
from conformance.checks.schema_validation import MAX_ITEMS_DESCRIBED, SchemaError, validation_errors
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, inconclusive, seqs, too_little_data, violated
from conformance.wording import plural

# Envelope keys whose presence and type are ENV-003's; `object` (ENV-002) and
# `next_cursor` (ENV-004) are judged by envelope.shape and not reported twice.
_ENV_003_KEYS = ("data", "has_more", "url")


def _is_env_003(error: SchemaError) -> bool:
    if error.in_item:
        return False
    if error.path == "":
        # The body itself: not an object, or a missing key.
        return error.keyword != "required" or error.field in _ENV_003_KEYS
    return error.path in _ENV_003_KEYS


RESPONSES_CHECK = "schema.responses"

# The JSON Schema keywords, besides `type`, whose failure inside an item is OBJ-005's.
VALUE_KEYWORDS = frozenset({"enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum",
                            "exclusiveMaximum", "minLength", "maxLength"})
# Item keys whose values other rules judge: `object` (OBJ-002) and `status` (OBJ-003).
_JUDGED_ELSEWHERE = ("object", "status")


def is_obj_005(error: SchemaError) -> bool:
    """Whether a schema error is OBJ-005's: inside an item, a wrong JSON type or a value outside the
    field's `enum`, `const`, `pattern` or bounds (not the `object`/`status` value OBJ-002/OBJ-003 judge)."""
    if not error.in_item:
        return False
    if error.is_type_error:
        return True
    if error.keyword not in VALUE_KEYWORDS:
        return False
    own_key = error.path == f"data[{error.item}].{error.field}"
    return not (own_key and error.field in _JUDGED_ELSEWHERE and error.keyword in ("enum", "const"))


def judge_response_schema(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """ENV-003 and OBJ-005 over every 200 recorded, whoever asked for it."""
    name = RESPONSES_CHECK
    pages = [e for e in record if e.answered and e.status == 200]
    # Non-JSON bodies are ENV-001's finding; truncated ones cannot be read.
    readable = [e for e in pages if e.json is not None]
    if not readable:
        reason = "no 200 response was recorded" if not pages else "no 200 response had a readable JSON body"
        yield not_asked("ENV-003", name, reason, record)
        yield not_asked("OBJ-005", name, reason, record)
        return
    envelope: list[Evidence] = []
    items: list[Evidence] = []
    item_pages: list[Exchange] = []
    unexamined: list[Exchange] = []  # invalid sessions past the itemised ones, no type error among those
    for exchange in readable:
        errors = validation_errors(spec, exchange.json)
        env = [e for e in errors if _is_env_003(e)]
        typed = [e for e in errors if is_obj_005(e)]
        if env:
            envelope.append(schema_evidence(
                exchange, env, "`data` an array, `has_more` a boolean, `url` a string"))
        if typed:
            expected = ("every documented field of the documented JSON type" if all(e.is_type_error for e in typed)
                        else "every documented field of the documented JSON type, enum, pattern and bounds")
            items.append(schema_evidence(exchange, typed, expected, errors.undescribed))
        elif errors.undescribed:
            unexamined.append(exchange)
        body = exchange.json
        if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
            item_pages.append(exchange)
        if len(envelope) >= 5 and len(items) >= 5:
            break  # the evidence a report shows of both: the rest would change neither verdict
    yield violated("ENV-003", name, *envelope[:5]) if envelope else held(
        "ENV-003", name, f"{len(readable)} 200 responses checked", seqs(readable))
    if items:
        yield violated("OBJ-005", name, *items[:5])
    elif unexamined:
        # A page wider than the contract allows: its sessions past the first 100 invalid ones
        # were told valid or not, not examined field by field, so no type error is ruled out.
        yield inconclusive("OBJ-005", name, f"{unexamined[0].summary()} holds more invalid sessions than the "
                                            f"{MAX_ITEMS_DESCRIBED} examined field by field")
    elif not item_pages:
        yield too_little_data("OBJ-005", name, "no 200 response held any session")
    else:
        yield held("OBJ-005", name, f"sessions on {plural(len(item_pages), 'page')} checked", seqs(item_pages))


CHECKS = (
    Check(RESPONSES_CHECK, "envelope", ("ENV-003", "OBJ-005"), judge_response_schema,
          "Every recorded 200 body: envelope keys (ENV-003) and item field types (OBJ-005)."),
)
