"""Partial faults: a catalog fault restricted to the requests real code gets wrong.

Real bugs are rarely a perfect copy of a catalog entry: the `>=` sits in the forward query
only, the status condition is lost under one status only, the page size is mishandled above
some threshold. A fault declares the restrictions that make sense for it
(``Fault.partials``: restriction name -> the requirements a run must then report), and this
module generates the restricted variant, named ``<parent>:<restriction>``
(``serve --fault cursor-inclusive:forward``). The variant injects the parent's broken
decisions on the requests the restriction selects and the correct decisions on every other
request. Its diagnosis must name the parent (``Fault.parent``).

Restrictions, by the decision they can select on:

* ``forward`` / ``backward``: pages asked without / with ``ending_before`` (``fetch_page``, ``envelope``);
* ``filtered``: pages asked with ``status``; ``status-S``: pages asked with ``status=S``;
* ``first-page`` / ``after-first``: pages asked without / with a cursor;
* ``above-N`` / ``below-N``: pages of more / fewer than N sessions (``fetch_page``, ``envelope``), or a
  ``limit`` written as an integer above / below N (``parse_limit``);
* ``no-credentials``: requests without an ``Authorization`` header (``authenticate``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

from conformance.reference.decisions import Decisions, ListQuery
from conformance.reference.faults._base import Fault

# Which argument of each restrictable decision a restriction reads.
_QUERY_AT = {"fetch_page": 1, "envelope": 2}


def _on_query(test: Callable[[ListQuery], bool]) -> dict[str, Callable[..., bool]]:
    return {name: (lambda *args, at=at: test(args[at])) for name, at in _QUERY_AT.items()}


def _integer(raw: str | None) -> int | None:
    return int(raw) if raw is not None and re.fullmatch(r"-?[0-9]{1,6}", raw) else None


def _sized(threshold: int, above: bool) -> dict[str, Callable[..., bool]]:
    def beyond(number: int | None) -> bool:
        return number is not None and (number > threshold if above else number < threshold)

    return {**_on_query(lambda q: beyond(q.limit)), "parse_limit": lambda raw: beyond(_integer(raw))}


def selector(restriction: str) -> dict[str, Callable[..., bool]]:
    """{decision name: predicate over that decision's arguments} for ``restriction``.

    Raises ValueError for a name no restriction has (the catalog's own mistake, at import).
    """
    fixed: dict[str, dict[str, Callable[..., bool]]] = {
        "forward": _on_query(lambda q: q.forward),
        "backward": _on_query(lambda q: not q.forward),
        "filtered": _on_query(lambda q: q.filtered),
        "first-page": _on_query(lambda q: q.starting_after is None and q.ending_before is None),
        "after-first": _on_query(lambda q: q.starting_after is not None or q.ending_before is not None),
        "no-credentials": {"authenticate": lambda headers, _key: "authorization" not in headers},
    }
    if restriction in fixed:
        return fixed[restriction]
    if match := re.fullmatch(r"status-([a-z_]+)", restriction):
        status = match.group(1)
        return _on_query(lambda q: q.status == status)
    if match := re.fullmatch(r"(above|below)-([0-9]+)", restriction):
        return _sized(int(match.group(2)), match.group(1) == "above")
    raise ValueError(f"unknown partial-fault restriction {restriction!r}")


def _restricted(broken: Callable[..., Any], correct: Callable[..., Any],
                applies: Callable[..., bool]) -> Callable[..., Any]:
    def decide(*args: Any) -> Any:
        return (broken if applies(*args) else correct)(*args)

    return decide


def partials_of(fault: Fault) -> list[Fault]:
    """The restricted variants ``fault`` declares, each a Fault of its own (parent: ``fault``)."""
    correct = Decisions()
    found = []
    for restriction, breaks in fault.partials.items():
        select = selector(restriction)
        unselectable = set(fault.overrides) - set(select)
        if unselectable:
            raise ValueError(f"{fault.name}:{restriction} cannot restrict {sorted(unselectable)}")
        overrides = {name: _restricted(broken, getattr(correct, name), select[name])
                     for name, broken in fault.overrides.items()}
        found.append(dataclasses.replace(
            fault, name=f"{fault.name}:{restriction}", breaks=breaks, overrides=overrides, partials={},
            parent=fault.name,
            description=f"{fault.description} Only on {describe(restriction)}."))
    return found


def describe(restriction: str) -> str:
    """The requests a restriction selects, as a phrase ("`ending_before` pages")."""
    words = {"forward": "pages asked without `ending_before`", "backward": "pages asked with `ending_before`",
             "filtered": "pages asked with `status`", "first-page": "pages asked without a cursor",
             "after-first": "pages asked with a cursor",
             "no-credentials": "requests without an `Authorization` header"}
    if restriction in words:
        return words[restriction]
    if restriction.startswith("status-"):
        return f"pages asked with `status={restriction.removeprefix('status-')}`"
    side, _, number = restriction.partition("-")
    return f"pages asked with `limit` {'above' if side == 'above' else 'below'} {number}"


def family(faults: tuple[Fault, ...]) -> tuple[Fault, ...]:
    """Every fault of ``faults`` followed by the partial variants it declares."""
    return tuple(f for fault in faults for f in (fault, *partials_of(fault)))


def parent_of(name: str, faults: Mapping[str, Fault]) -> str:
    """The catalog fault a (possibly partial) fault's diagnosis must name."""
    return faults[name].parent or name
