"""The requirement catalog (spec/requirements.yaml): data that every check points at."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from conformance.errors import SpecError
from conformance.resources import read_yaml, requirements_path

LEVELS = ("MUST", "SHOULD")
SOURCES = ("seed", "convention", "judgement")


@dataclass(frozen=True)
class Requirement:
    id: str
    area: str
    level: str
    text: str
    source: str
    # The list operations ("GET /path") it applies to; () means every list operation. Rules that
    # only make sense for one resource (the checkout session's fields, its pre-drawn generated
    # cases, its known dataset) name it in spec/requirements.yaml (issue 24).
    operations: tuple[str, ...] = ()

    def applies_to(self, operation: str) -> bool:
        return not self.operations or operation in self.operations


@dataclass(frozen=True)
class Catalog:
    requirements: tuple[Requirement, ...]
    either: tuple[str, ...]
    sha256: str

    def __getitem__(self, requirement_id: str) -> Requirement:
        return self.by_id[requirement_id]

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self.by_id

    @property
    def by_id(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.requirements}

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.area for r in self.requirements))


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or requirements_path()
    raw, data = read_yaml(path, "requirement catalog")
    try:
        requirements = tuple(
            Requirement(
                id=str(e["id"]),
                area=str(e["area"]),
                level=str(e["level"]),
                text=str(e["text"]),
                source=str(e["source"]),
                operations=tuple(str(o) for o in e.get("operations") or ()),
            )
            for e in data["requirements"]
        )
    except (KeyError, TypeError) as exc:
        raise SpecError(f"The requirement catalog {path} has an entry without {exc}.") from None
    seen: set[str] = set()
    for req in requirements:
        if req.id in seen:
            raise SpecError(f"The requirement catalog {path} lists {req.id} twice.")
        if req.level not in LEVELS:
            raise SpecError(f"{req.id} in {path} has level {req.level!r}; expected MUST or SHOULD.")
        if req.source not in SOURCES:
            raise SpecError(f"{req.id} in {path} has source {req.source!r}.")
        seen.add(req.id)
    return Catalog(
        requirements=requirements,
        either=tuple(str(x) for x in data.get("either", ())),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


@cache
def default_catalog() -> Catalog:
    return load_catalog()
