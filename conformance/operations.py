"""Which operations of an OpenAPI 3.x document are Stripe-style *list operations*, and how each filters.

The first step towards judging a family of list endpoints (issue 24): read any document and
say, per operation, whether the suite can judge it as a list and, when it cannot, why, in one
line a person can act on. Nothing here sends a request or judges a response.

The readings where a document is silent (docs/family.md records them with their reasons):

- A *list operation* is a ``GET`` whose ``200`` JSON schema, with local ``$ref`` resolved and
  ``allOf`` merged, declares ``object`` as the constant ``"list"``, ``data`` as an array and
  ``has_more`` as a boolean, and requires all three; and which takes ``limit`` and at least one
  of the cursors ``starting_after`` / ``ending_before`` as query parameters (path-level
  parameters included).
- Every other query parameter is a *filter* when the suite can say what it means:
  an ``enum`` parameter is a *partition* (each value's walk is the unfiltered walk restricted to
  the items whose field of the same name has that value); a ``string`` parameter that names an
  item field is an *equality* filter. A vendor extension on the parameter,
  ``x-conformance-field: NAME``, names the item field where the two do not share a name.
  A query parameter that is neither is *declared but not judged* as a filter (it still counts
  as a declared parameter, so it is not an unknown one).

Example: in a document declaring ``GET /v1/customers`` (``email`` query parameter, items with an
``email`` property) and ``POST /v1/customers``, :func:`read_operations` gives one
:class:`ListOperation` ``GET /v1/customers`` with an equality filter on ``email``, and one
:class:`LeftOut` for ``POST /v1/customers``: "not a GET: only list reads are judged".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from conformance.errors import SpecError
from conformance.wording import OBJECTS, Noun

# The operation every run judged before families (issue 24), and the default of every verdict,
# cause and waiver that names no other: today's commands and reports mean this one.
CHECKOUT_SESSIONS = "GET /v1/checkout/sessions"
CURSORS = ("starting_after", "ending_before")
PAGING = ("limit", *CURSORS)
FIELD_EXTENSION = "x-conformance-field"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# How deep `$ref` chains and `allOf` nesting are followed: a document is target-independent
# input, but a cycle must end in an error, never a hang.
_MAX_DEPTH = 32


@dataclass(frozen=True)
class Filter:
    """A query parameter the suite can judge as a filter of the list.

    ``kind``: ``"partition"`` (an enum; ``values`` lists it) or ``"equality"`` (a string matched
    exactly against ``field``). ``field``: the item property it restricts.
    """

    parameter: str
    field: str
    kind: Literal["partition", "equality"]
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListOperation:
    """One list operation: ``key`` is ``"GET /path"``, as reports name it.

    ``parameters``: every declared parameter, resolved (``{"name", "in", "schema", ...}``);
    ``item_schema``: the resolved schema of ``data``'s items; ``filters``: the query parameters
    judged as filters; ``unjudged``: declared query parameters that are neither paging nor a
    filter the suite can read.
    """

    path: str
    parameters: tuple[Mapping[str, Any], ...]
    item_schema: Mapping[str, Any]
    cursors: tuple[str, ...]
    filters: tuple[Filter, ...]
    unjudged: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"GET {self.path}"

    def query_parameter(self, name: str) -> Mapping[str, Any] | None:
        return next((p for p in self.parameters if p.get("in") == "query" and p.get("name") == name), None)

    @property
    def noun(self) -> Noun:
        """What it lists, for sentences about its items (:func:`items_noun`)."""
        return items_noun(self.path)


# The longest path segment read as a noun; a longer one reads as "objects".
_NOUN_LENGTH = 64


def items_noun(operation: str) -> Noun:
    """What a list operation lists, from the last segment of its path (``"GET /v1/invoices"`` or
    ``"/v1/invoices"``): ``invoices`` -> invoice / invoices, ``payment_intents`` -> payment intent /
    payment intents, ``sessions`` (checkout sessions) -> session / sessions, as every run before
    families said. A segment that reads as no plural (not ending in ``s``, a template, whitespace,
    control characters, longer than 64 characters) gives "object" / "objects". The noun is the
    document's text: reports escape it with the sentences it is in. Raises nothing."""
    path = operation.split(" ", 1)[1] if " " in operation else operation
    segment = path.rstrip("/").rsplit("/", 1)[-1]
    if (len(segment) < 2 or len(segment) > _NOUN_LENGTH or not segment.endswith("s") or segment.endswith("ss")
            or "{" in segment or not segment.isprintable() or any(c.isspace() for c in segment)):
        return OBJECTS
    many = segment.replace("_", " ").replace("-", " ").strip()
    if not many.endswith("s") or len(many) < 2:
        return OBJECTS
    if many.endswith("ies") and len(many) > 3:
        one = many[:-3] + "y"
    elif many.endswith(("sses", "xes", "ches", "shes", "zzes")):
        one = many[:-2]
    else:
        one = many[:-1]
    return Noun(one, many)


@dataclass(frozen=True)
class LeftOut:
    """An operation the document declares that is not judged as a list, and why (one line)."""

    key: str
    reason: str


def read_operations(document: Mapping[str, Any]) -> tuple[list[ListOperation], list[LeftOut]]:
    """Every operation of an OpenAPI 3.x ``document``, split into list operations and the rest.

    Both lists follow the document's order (paths, then methods as OpenAPI lists them).
    Raises :class:`SpecError` for a document whose ``paths`` is not a mapping, or a ``$ref``
    that does not resolve inside the document (or loops).
    """
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        raise SpecError("The OpenAPI document has no `paths` mapping, so it declares no operation.")
    found: list[ListOperation] = []
    left: list[LeftOut] = []
    for path, item in paths.items():
        item = _resolve(document, item)
        if not isinstance(item, Mapping):
            continue
        shared = item.get("parameters") or []
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            key = f"{method.upper()} {path}"
            if method != "get":
                left.append(LeftOut(key, f"not a GET: only list reads are judged ({key})"))
                continue
            listed = _as_list(document, str(path), _resolve(document, operation), shared)
            if isinstance(listed, str):
                left.append(LeftOut(key, listed))
            else:
                found.append(listed)
    return found, left


def select(document: Mapping[str, Any], wanted: Sequence[str] = ()) -> tuple[list[ListOperation], list[LeftOut]]:
    """The list operations to judge: all of them, or those named in ``wanted`` (``"GET /path"``).

    Raises :class:`SpecError`, naming the operation, when a wanted one is not declared, is not a
    list (with the reason), or the document declares no list operation at all.
    """
    operations, left = read_operations(document)
    if not wanted:
        if not operations:
            reasons = "; ".join(f"{o.key}: {o.reason}" for o in left[:3]) or "it declares no operation"
            raise SpecError(f"The OpenAPI document declares no list operation ({reasons}).")
        return operations, left
    by_key = {o.key: o for o in operations}
    why = {o.key: o.reason for o in left}
    chosen: list[ListOperation] = []
    for raw in wanted:
        key = normalise_key(raw)
        if key in why:
            raise SpecError(f"--operation {raw!r} is not judged as a list: {why[key]}.")
        if key not in by_key:
            known = ", ".join(sorted(by_key)) or "none"
            raise SpecError(f"--operation {raw!r} is not declared by the document (its list operations: {known}).")
        if by_key[key] not in chosen:
            chosen.append(by_key[key])
    return chosen, [o for o in left if o.key in {normalise_key(w) for w in wanted}]


def normalise_key(raw: str) -> str:
    """``"get  /v1/customers"`` -> ``"GET /v1/customers"``; raises :class:`SpecError` when it is not METHOD PATH."""
    parts = raw.split()
    if len(parts) != 2 or not parts[1].startswith("/"):
        raise SpecError(f"--operation takes 'METHOD /path', e.g. 'GET /v1/customers', got {raw!r}.")
    return f"{parts[0].upper()} {parts[1]}"


# -- recognition ---------------------------------------------------------------------------------
def _as_list(document: Mapping[str, Any], path: str, operation: Any,
             shared: Iterable[Any]) -> ListOperation | str:
    """The operation as a ListOperation, or the one-line reason it is not a list."""
    if not isinstance(operation, Mapping):
        return "its operation object is not a mapping"
    parameters = _parameters(document, shared, operation.get("parameters") or [])
    schema = _success_schema(document, operation)
    if schema is None:
        return "no 200 response with a JSON schema"
    envelope = _merged(document, schema)
    properties = envelope.get("properties") or {}
    required = set(envelope.get("required") or [])
    missing = [name for name in ("object", "data", "has_more") if name not in required]
    if not _is_list_constant(_merged(document, properties.get("object") or {})):
        return "its 200 body is not the list envelope (`object` is not the constant \"list\")"
    data = _merged(document, properties.get("data") or {})
    if _types(data) != {"array"} or not isinstance(data.get("items"), Mapping):
        return "its 200 body is not the list envelope (`data` is not an array of items)"
    if _types(_merged(document, properties.get("has_more") or {})) != {"boolean"}:
        return "its 200 body is not the list envelope (`has_more` is not a boolean)"
    if missing:
        return f"its 200 body does not require {', '.join(f'`{m}`' for m in missing)} (the list envelope's keys)"
    query = {p["name"]: p for p in parameters if p.get("in") == "query"}
    if "limit" not in query:
        return "it takes no `limit` query parameter"
    cursors = tuple(c for c in CURSORS if c in query)
    if not cursors:
        return "it takes neither `starting_after` nor `ending_before`"
    if "{" in path:
        # A list under a parent (`/v1/customers/{customer}/sources`) needs a value for its path
        # parameter, which the document does not give: asked literally it could only answer 404.
        return "its path has a template parameter (a list under a parent object): only lists at a fixed path are judged"
    items = _merged(document, data["items"])
    filters, unjudged = _filters(document, [p for name, p in query.items() if name not in PAGING], items)
    return ListOperation(path, tuple(parameters), items, cursors, tuple(filters), tuple(unjudged))


def _filters(document: Mapping[str, Any], parameters: Iterable[Mapping[str, Any]],
             items: Mapping[str, Any]) -> tuple[list[Filter], list[str]]:
    fields = items.get("properties") or {}
    filters: list[Filter] = []
    unjudged: list[str] = []
    for parameter in parameters:
        name = str(parameter["name"])
        field_name = str(parameter.get(FIELD_EXTENSION) or name)
        schema = _merged(document, parameter.get("schema") or {})
        if field_name not in fields:
            unjudged.append(name)
        elif isinstance(schema.get("enum"), list) and all(isinstance(v, str) for v in schema["enum"]):
            filters.append(Filter(name, field_name, "partition", tuple(schema["enum"])))
        elif _types(schema) == {"string"}:
            filters.append(Filter(name, field_name, "equality"))
        else:
            unjudged.append(name)
    return filters, unjudged


def _parameters(document: Mapping[str, Any], shared: Iterable[Any], own: Iterable[Any]) -> list[Mapping[str, Any]]:
    """Path-level parameters overridden by the operation's own (OpenAPI 3.1 §4.8.9: name + in)."""
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*shared, *own]:
        parameter = _resolve(document, raw)
        if isinstance(parameter, Mapping) and "name" in parameter and "in" in parameter:
            merged[(str(parameter["name"]), str(parameter["in"]))] = parameter
    return list(merged.values())


def _success_schema(document: Mapping[str, Any], operation: Mapping[str, Any]) -> Mapping[str, Any] | None:
    responses = _resolve(document, operation.get("responses") or {})
    if not isinstance(responses, Mapping):
        return None
    response = _resolve(document, responses.get("200", responses.get(200)))
    if not isinstance(response, Mapping):
        return None
    content = response.get("content") or {}
    for media, body in content.items():
        if str(media).split(";")[0].strip().lower() in ("application/json", "*/*") or str(media).endswith("+json"):
            schema = _resolve(document, body).get("schema") if isinstance(_resolve(document, body), Mapping) else None
            if isinstance(schema, Mapping):
                return schema
    return None


def _is_list_constant(schema: Mapping[str, Any]) -> bool:
    return schema.get("const") == "list" or schema.get("enum") == ["list"]


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return {str(k) for k in kind} if isinstance(kind, list) else set()


def _resolve(document: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with a local ``$ref`` (``#/...``, RFC 6901 pointer) followed; raises SpecError otherwise."""
    while isinstance(node, Mapping) and "$ref" in node:
        if depth > _MAX_DEPTH:
            raise SpecError(f"The OpenAPI document's $ref {node['$ref']!r} loops.")
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SpecError(f"The OpenAPI document refers outside itself ({ref!r}); bundle it into one file first.")
        target: Any = document
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or token not in target:
                raise SpecError(f"The OpenAPI document's $ref {ref!r} does not resolve.")
            target = target[token]
        node, depth = target, depth + 1
    return node


def _merged(document: Mapping[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """``schema`` resolved, with ``allOf`` members merged in: properties and required united."""
    if depth > _MAX_DEPTH:
        raise SpecError("The OpenAPI document's allOf nesting loops.")
    node = _resolve(document, schema)
    if not isinstance(node, Mapping):
        return {}
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    properties = dict(merged.get("properties") or {})
    required = list(merged.get("required") or [])
    for member in node.get("allOf") or []:
        part = _merged(document, member, depth + 1)
        properties.update(part.get("properties") or {})
        required += [r for r in part.get("required") or [] if r not in required]
        for key, value in part.items():
            if key not in ("properties", "required"):
                merged.setdefault(key, value)
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged
