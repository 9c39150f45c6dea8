"""Every recorded 200 body against spec/openapi.yaml: the envelope (ENV-003) and the field
types of every session (OBJ-005), whichever probe asked for it."""

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
        typed = [e for e in errors if e.in_item and e.is_type_error]
        if env:
            envelope.append(schema_evidence(
                exchange, env, "`data` an array, `has_more` a boolean, `url` a string"))
        if typed:
            items.append(schema_evidence(exchange, typed, "every documented field of the documented JSON type",
                                         errors.undescribed))
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
