"""The OpenAPI document: loaded once, validated, and the single source of field types."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from conformance.errors import SpecError
from conformance.resources import openapi_path, read_yaml

OPERATION_PATH = "/v1/checkout/sessions"


@dataclass(frozen=True)
class Spec:
    path: Path
    document: dict[str, Any]
    sha256: str

    def schema(self, name: str) -> dict[str, Any]:
        """A component schema, with the document's components beside it so $refs resolve."""
        return {
            "$ref": f"#/components/schemas/{name}",
            "components": self.document["components"],
        }

    def component(self, name: str) -> dict[str, Any]:
        return dict(self.document["components"]["schemas"][name])

    @property
    def operation(self) -> dict[str, Any]:
        return dict(self.document["paths"][OPERATION_PATH]["get"])

    def parameter(self, name: str) -> dict[str, Any]:
        for param in self.operation["parameters"]:
            if param["name"] == name:
                return dict(param)
        raise SpecError(f"spec/openapi.yaml does not define the parameter {name!r}.")

    def enum_of(self, parameter: str) -> tuple[str, ...]:
        return tuple(self.parameter(parameter)["schema"]["enum"])


def load_spec(path: Path | None = None) -> Spec:
    path = path or openapi_path()
    raw, document = read_yaml(path, "OpenAPI document")
    sha256 = hashlib.sha256(raw).hexdigest()
    _validate(path, document, sha256)
    return Spec(path=path, document=document, sha256=sha256)


def _validate(path: Path, document: Any, sha256: str) -> None:
    if not isinstance(document, dict):
        raise SpecError(f"The OpenAPI document {path} is not a mapping.")
    from conformance.generation_cache import remembered

    # Full OpenAPI validation costs ~0.8 s a process (most of a warm run's start-up); the
    # same bytes under the same validator version were found valid before, so once is enough.
    with remembered("spec-valid", sha256, _validator_version()) as seen:
        if not seen.before:
            from openapi_spec_validator import validate
            from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

            try:
                validate(document)
            except OpenAPIValidationError as exc:
                raise SpecError(f"The OpenAPI document {path} is invalid: {exc.message}.") from None
    if OPERATION_PATH not in document.get("paths", {}):
        raise SpecError(f"The OpenAPI document {path} does not describe GET {OPERATION_PATH}.")


def _validator_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("openapi-spec-validator")
    except metadata.PackageNotFoundError:
        return "?"


@cache
def default_spec() -> Spec:
    return load_spec()
