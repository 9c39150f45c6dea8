"""The OpenAPI document: loaded once, validated, and the single source of field types.

A :class:`Spec` is the document seen from one list operation (``operation_path``; by default
``GET /v1/checkout/sessions``, the operation every run judged before families, issue 24).
:meth:`Spec.for_operation` gives the view of another: its parameters, its list and item
schemas, its filters. Probes and checks read the operation only through that view.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.errors import SpecError
from conformance.resources import openapi_path, read_yaml

if TYPE_CHECKING:
    from conformance.operations import Filter, ListOperation

OPERATION_PATH = "/v1/checkout/sessions"
_COMPONENT = "#/components/schemas/"


@dataclass(frozen=True)
class Spec:
    path: Path
    document: dict[str, Any]
    sha256: str
    # The list operation this view judges (its path; the method is GET).
    operation_path: str = OPERATION_PATH

    def for_operation(self, operation: ListOperation | str) -> Spec:
        """The same document seen from another list operation (a ListOperation, or its path)."""
        path = operation if isinstance(operation, str) else operation.path
        return self if path == self.operation_path else replace(self, operation_path=path)

    @property
    def operation_key(self) -> str:
        """``"GET /path"``: how verdicts and reports name this view's operation."""
        return f"GET {self.operation_path}"

    @cached_property
    def list_operation(self) -> ListOperation:
        """The operation read as a list (conformance.operations); raises SpecError when it is not one."""
        from conformance.operations import read_operations

        found, left = read_operations(self.document)
        for operation in found:
            if operation.path == self.operation_path:
                return operation
        why = next((o.reason for o in left if o.key == self.operation_key), "it is not declared")
        raise SpecError(f"The OpenAPI document {self.path} cannot judge {self.operation_key} as a list: {why}.")

    @property
    def filters(self) -> tuple[Filter, ...]:
        return self.list_operation.filters

    def partitions(self) -> tuple[Filter, ...]:
        """The operation's partition filters (enum parameters), in declaration order."""
        return tuple(f for f in self.filters if f.kind == "partition")

    def equalities(self) -> tuple[Filter, ...]:
        """The operation's equality filters (string parameters naming an item field)."""
        return tuple(f for f in self.filters if f.kind == "equality")

    def schema(self, name: str) -> dict[str, Any]:
        """A schema by component name, or by a local JSON pointer (``#/paths/...``), with the
        document's components (and paths) beside it so $refs resolve."""
        ref = name if name.startswith("#/") else f"{_COMPONENT}{name}"
        document = self._json_schema_document
        wrapped: dict[str, Any] = {"$ref": ref, "components": document.get("components", {})}
        if name.startswith("#/paths/"):
            wrapped["paths"] = document["paths"]
        return wrapped

    @cached_property
    def _json_schema_document(self) -> dict[str, Any]:
        """The document as JSON Schema 2020-12 reads it: an OpenAPI 3.0 document's `nullable: true`
        becomes a type that admits null, and its boolean `exclusiveMinimum`/`exclusiveMaximum` the
        numeric form (OpenAPI 3.1 is JSON Schema already). Without this a null a 3.0 document allows
        would read as a wrong type (OBJ-005), and a boolean bound would not compile."""
        if not str(self.document.get("openapi", "")).startswith("3.0"):
            return self.document
        return _as_json_schema(self.document)

    def component(self, name: str) -> dict[str, Any]:
        return dict(self.document["components"]["schemas"][name])

    @property
    def operation(self) -> dict[str, Any]:
        return dict(self.document["paths"][self.operation_path]["get"])

    def parameter(self, name: str) -> dict[str, Any]:
        """The operation's declared parameter ``name`` (path-level ones included), resolved."""
        for param in self.list_operation.parameters:
            if param["name"] == name:
                return dict(param)
        raise SpecError(f"The OpenAPI document does not define the parameter {name!r} for {self.operation_key}.")

    def declares(self, name: str) -> bool:
        """Whether the operation declares the query parameter ``name``."""
        return self.list_operation.query_parameter(name) is not None

    def enum_of(self, parameter: str) -> tuple[str, ...]:
        """The values of the operation's partition filter ``parameter``; () when it has none by
        that name (another operation's ``status`` is not this one's: issue 24)."""
        for found in self.partitions():
            if found.parameter == parameter:
                return found.values
        return ()

    @cached_property
    def list_schema_name(self) -> str:
        """The operation's 200 JSON schema, as :meth:`schema` takes it: the component's name when
        the response refers to one (``CheckoutSessionList``), else a JSON pointer into the document."""
        response = self.document["paths"][self.operation_path]["get"]["responses"]
        pointer = f"#/paths/{_escape(self.operation_path)}/get/responses"
        node: Any = response
        for key in ("200", "content"):
            node = node.get(key, node.get(int(key)) if key.isdigit() else None) if isinstance(node, dict) else None
            pointer += f"/{key}"
            while isinstance(node, dict) and isinstance(node.get("$ref"), str):
                pointer, node = node["$ref"], self._at(node["$ref"])
        if not isinstance(node, dict):
            raise SpecError(f"{self.operation_key} has no 200 response with a JSON schema.")
        media = next((m for m in node if "json" in str(m) or m == "*/*"), None)
        if media is None:
            raise SpecError(f"{self.operation_key} has no 200 response with a JSON schema.")
        return _named(f"{pointer}/{_escape(str(media))}/schema", node[media].get("schema"))

    @cached_property
    def item_schema_name(self) -> str:
        """The schema of ``data``'s items, as :meth:`schema` takes it (``CheckoutSession``)."""
        start = self.list_schema_name
        found = self._items_pointer(start if start.startswith("#/") else f"{_COMPONENT}{start}", 0)
        if found is None:
            raise SpecError(f"{self.operation_key}'s 200 schema has no `data` items schema.")
        return found

    @property
    def item_schema(self) -> dict[str, Any]:
        """The item schema, resolved, with ``allOf`` merged (conformance.operations)."""
        return dict(self.list_operation.item_schema)

    def _items_pointer(self, pointer: str, depth: int) -> str | None:
        node = self._at(pointer)
        if depth > 32 or not isinstance(node, dict):
            return None
        if isinstance(node.get("$ref"), str):
            return self._items_pointer(node["$ref"], depth + 1)
        # As conformance.operations merges allOf (a later member's property wins over an earlier's
        # and over the schema's own), the last member that declares `data` names the items.
        for index in reversed(range(len(node.get("allOf") or []))):
            found = self._items_pointer(f"{pointer}/allOf/{index}", depth + 1)
            if found is not None:
                return found
        data = (node.get("properties") or {}).get("data")
        if isinstance(data, dict):
            data_pointer = f"{pointer}/properties/data"
            while isinstance(data, dict) and isinstance(data.get("$ref"), str):
                data_pointer, data = data["$ref"], self._at(data["$ref"])
            if isinstance(data, dict) and isinstance(data.get("items"), dict):
                return _named(f"{data_pointer}/items", data["items"])
        return None

    def _at(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(token)] if token.isdigit() and int(token) < len(node) else None
            else:
                node = node.get(token) if isinstance(node, dict) else None
        return node


def _as_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema tree (a copy) in JSON Schema 2020-12's words (see Spec.schema)."""
    if isinstance(node, list):
        return [_as_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _as_json_schema(v) for k, v in node.items()}
    if out.get("nullable") is True:
        out.pop("nullable")
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            base = {k: v for k, v in out.items() if k not in ("description",)}
            out = {"anyOf": [base, {"type": "null"}]}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool):
            flag = out.pop(bound)
            if flag and limit in out:
                out[bound] = out.pop(limit)
    return out


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _named(pointer: str, node: Any) -> str:
    """A component's name where ``node`` only refers to a component schema, else ``pointer``."""
    if isinstance(node, dict) and set(node) == {"$ref"} and str(node["$ref"]).startswith(_COMPONENT):
        rest = str(node["$ref"])[len(_COMPONENT):]
        if "/" not in rest:
            return rest
    return pointer


def load_spec(path: Path | None = None) -> Spec:
    """The OpenAPI 3.x document at ``path`` (default: the shipped one), validated.

    Raises SpecError (one sentence) when it cannot be read, is not valid OpenAPI, or (the shipped
    document only) does not describe GET /v1/checkout/sessions. Which of its operations are
    list operations is conformance.operations' reading, made when a run selects them.
    """
    shipped = path is None
    path = path or openapi_path()
    raw, document = read_yaml(path, "OpenAPI document")
    sha256 = hashlib.sha256(raw).hexdigest()
    _validate(path, document, sha256, shipped)
    return Spec(path=path, document=document, sha256=sha256)


def _validate(path: Path, document: Any, sha256: str, shipped: bool = True) -> None:
    if not isinstance(document, dict):
        raise SpecError(f"The OpenAPI document {path} is not a mapping.")
    from conformance.generation_cache import remembered

    # Full OpenAPI validation costs ~0.8 s a process (most of a warm run's start-up); the
    # same bytes under the same validator version were found valid before, so once is enough.
    with remembered("spec-valid", sha256, _validator_version()) as seen:
        if not seen.before:
            from openapi_spec_validator import validate
            from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
            from referencing.exceptions import Unresolvable

            try:
                validate(document)
            except OpenAPIValidationError as exc:
                raise SpecError(f"The OpenAPI document {path} is invalid: {exc.message}.") from None
            except (RecursionError, Unresolvable, LookupError, ValueError) as exc:  # the resolver's own failures
                # A `$ref` that loops or points outside the document: conformance.operations names which.
                from conformance.operations import read_operations

                read_operations(document)
                raise SpecError(f"The OpenAPI document {path} cannot be read: a $ref in it does not resolve "
                                f"inside it ({type(exc).__name__}); bundle it into one file first.") from None
    if shipped and OPERATION_PATH not in (document.get("paths") or {}):
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
