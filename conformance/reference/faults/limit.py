"""Faults in reading `limit`."""

from __future__ import annotations

from conformance.reference import decisions
from conformance.reference.decisions import current_resource
from conformance.reference.errors import invalid
from conformance.reference.faults._base import Fault, Signature


def _refuse(raw: str) -> None:
    raise invalid(f"Invalid limit: must be an integer between 1 and {current_resource().max_limit}, got {raw!r}.",
                  "limit")


def _int64_unguarded(raw: str | None) -> int:
    """`limit` goes through a 64-bit integer parse before the range check, its overflow unguarded:
    a value past 64 bits crashes (500); every other value is read as the reference reads it."""
    if raw is not None and raw.lstrip("-").isdigit() and not -2**63 <= int(raw) < 2**63:
        raise OverflowError("value out of range for int64")
    return decisions.parse_limit(raw)


def _exponent_accepted(raw: str | None) -> int:
    """`limit` is read by a number parser that takes exponent notation: `1e1` is served as 10."""
    if raw is not None and "e" in raw.lower():
        try:
            value = float(raw)
        except ValueError:
            value = 0.5
        if value.is_integer():
            return decisions.parse_limit(str(int(value)))
    return decisions.parse_limit(raw)


def _off_by_one(raw: str | None) -> int:
    return decisions.parse_limit(raw) - 1


def _ignored(raw: str | None) -> int:
    return current_resource().default_limit


def _no_upper_bound(raw: str | None) -> int:
    if raw is None:
        return current_resource().default_limit
    if not raw.isdigit() or int(raw) < 1:
        _refuse(raw)
    return int(raw)


def _zero_accepted(raw: str | None) -> int:
    if raw is None:
        return current_resource().default_limit
    if not raw.isdigit() or int(raw) > current_resource().max_limit:
        _refuse(raw)
    return int(raw)


def _clamped(raw: str | None) -> int:
    if raw is None:
        return current_resource().default_limit
    try:
        number = int(raw)
    except ValueError:
        _refuse(raw)
    return min(max(number, 1), current_resource().max_limit)


def _default_25(raw: str | None) -> int:
    return 25 if raw is None else decisions.parse_limit(raw)


def _max_rejected(raw: str | None) -> int:
    limit = decisions.parse_limit(raw)
    if limit >= current_resource().max_limit:
        _refuse(str(raw))
    return limit


def _unguarded_int(raw: str | None) -> int:
    if raw is None:
        return current_resource().default_limit
    number = int(raw)  # ValueError on "abc": a 500
    if not 1 <= number <= current_resource().max_limit:
        _refuse(raw)
    return number


def _float_truncated(raw: str | None) -> int:
    if raw is None:
        return current_resource().default_limit
    try:
        number = int(float(raw))
    except ValueError:
        _refuse(raw)
    if not 1 <= number <= current_resource().max_limit:
        _refuse(raw)
    return number


def _empty_is_default(raw: str | None) -> int:
    return decisions.parse_limit(raw or None)


FAULTS = (
    Fault("limit-off-by-one", "Every page holds one item fewer than `limit` asks for.",
          breaks=("LIM-001", "LIM-002", "LIM-004", "FLT-003"),
          title=("Pages hold one session fewer than `limit` asks for (an off-by-one in the page "
                 "size)."),
          signature=Signature(seen=("pages-one-short",), also=("PAG-004", "PAG-005", "PAG-007")),
          partials={"above-20": ("LIM-002", "LIM-004"), "below-10": ("LIM-002", "LIM-004")},
          overrides={"parse_limit": _off_by_one}),
    Fault("limit-ignored", "`limit` is never read: every page holds 10 sessions, and no value is refused.",
          breaks=("LIM-002", "LIM-003", "LIM-004", "LIM-005", "LIM-006", "SCH-003"),
          title=("`limit` is never read: every page holds the default 10 sessions and no value is "
                 "refused."),
          signature=Signature(seen=("page-holds-default-not-limit",), also=("PAG-004", "PAG-005", "FLT-003")),
          overrides={"parse_limit": _ignored}),
    Fault("limit-no-upper-bound", "Any positive integer is accepted: `limit=1000` serves up to 1000 sessions.",
          breaks=("LIM-005",),
          title=("`limit` has no upper bound: values above the maximum are served instead of "
                 "refused with 400."),
          # Clamping shows only in the page's length, with more sessions than the maximum.
          signature=Signature(seen=("limit-above-max-served",),
                              unseen=("limit-below-min-served", "limit-zero-served-empty", "limit-above-max-at-max"),
                              also=("SCH-003", "ERR-002"),  # a limit past 64 bits overflows the query
                              lookalikes=(("limit-clamped", "limit-above-max-over-max"),)),
          overrides={"parse_limit": _no_upper_bound}),
    Fault("limit-zero-accepted", "`limit=0` is accepted (checked with `< 0`) and answers an empty page.",
          breaks=("LIM-005",),
          title=("`limit=0` is accepted (the lower bound is checked with `< 0`) and answers an "
                 "empty page instead of 400."),
          signature=Signature(seen=("limit-zero-served-empty",), also=("SCH-003",)),
          overrides={"parse_limit": _zero_accepted}),
    Fault("limit-int64-overflow-500", "`limit` is parsed into a 64-bit integer before the range check: a value "
          "past 64 bits crashes (500).",
          breaks=("LIM-005", "ERR-002"),
          title=("A `limit` past 64 bits crashes the server (500, an unguarded int64 parse): refuse any value "
                 "outside 1..100 with 400, however long."),
          signature=Signature(seen=("limit-huge-crashed",), unseen=("limit-above-max-served",)),
          overrides={"parse_limit": _int64_unguarded}),
    Fault("limit-exponent-accepted", "`limit` is read by a number parser that takes exponent notation: `1e1` "
          "is served as 10.",
          breaks=("LIM-006",),
          title="A `limit` in exponent notation (`1e1`) is served; refuse anything but digits with 400.",
          signature=Signature(seen=("limit-exponent-served",), unseen=("limit-fraction-served",)),
          overrides={"parse_limit": _exponent_accepted}),
    Fault("limit-clamped", "Out-of-range integers are clamped to 1..100 instead of rejected.",
          breaks=("LIM-005",),
          title="Out-of-range `limit` values are clamped into 1..100 instead of refused with 400.",
          signature=Signature(seen=("limit-clamped-shown",),
                              unseen=("limit-above-max-over-max", "limit-zero-served-empty"), also=("SCH-003",),
                              lookalikes=(("limit-no-upper-bound", "limit-below-min-served"),)),
          partials={"above-100": ("LIM-005",)},
          overrides={"parse_limit": _clamped}),
    Fault("limit-default-25", "Without `limit` a page holds 25 sessions, not 10.",
          breaks=("LIM-001",),
          title="Without `limit` a page holds another number of sessions than the default 10.",
          signature=Signature(seen=("limit-omitted-not-default",), also=("LIM-003", "LIM-004")),
          overrides={"parse_limit": _default_25}),
    Fault("limit-max-rejected", "The maximum itself is refused (`limit < 100` instead of `<= 100`).",
          breaks=("LIM-002",),
          title=("`limit` at the maximum (100) is refused: the bound is checked with `<` instead "
                 "of `<=`."),
          signature=Signature(seen=("limit-max-refused",), also=("PAG-001",)),
          overrides={"parse_limit": _max_rejected}),
    Fault("limit-garbage-500", "`int(limit)` is called unguarded: `abc`, `1.5` and an empty value crash (500).",
          breaks=("LIM-006", "ERR-002", "SCH-003"),
          title=("A `limit` that is not an integer crashes the server (500): the integer parsing "
                 "is unguarded."),
          signature=Signature(seen=("limit-garbage-crashed",)),
          overrides={"parse_limit": _unguarded_int}),
    Fault("limit-float-truncated", "`limit` is parsed with `int(float(...))`: `1.5` is served as 1.",
          breaks=("LIM-006",),
          title=("A fractional `limit` such as 1.5 is truncated and served instead of refused with "
                 "400."),
          signature=Signature(seen=("limit-fraction-served",)),
          overrides={"parse_limit": _float_truncated}),
    Fault("limit-empty-is-default", "An empty `limit=` is read as absent (a falsy check) and served 10 sessions.",
          breaks=("LIM-006",),
          title=("An empty `limit=` is taken as absent (a falsy check) and served instead of "
                 "refused with 400."),
          signature=Signature(seen=("limit-empty-served",)),
          overrides={"parse_limit": _empty_is_default}),
)
