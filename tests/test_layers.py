"""The import graph of `conformance` follows the pipeline: no circle, no arrow from a lower stage up.

The graph is read from the source with `ast` (every import counts: at the top, inside a
function, or under TYPE_CHECKING), so a module moved into the wrong folder, or an import
added against the flow record -> checks -> judge -> run -> reports -> front door, fails here
with the offending edge named. docs/architecture.md draws the same order.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"

# Lowest first. A module may import its own layer and any layer below, never one above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Vocabulary every stage shares: values, the spec, the catalog, errors, caches.
    ("foundation", ("conformance", "conformance.errors", "conformance.resources", "conformance.spec",
                    "conformance.generation_cache", "conformance.exchange", "conformance.verdicts",
                    "conformance.wording", "conformance.profiles", "conformance.terminal",
                    "conformance.catalog", "conformance.signing", "conformance.operations", "conformance.not_sent")),
    # The embedded reference server and its fault catalog: built on the spec alone; the checks
    # read its canonical data set, the diagnosis its fault signatures, `run` may start it.
    ("reference", ("conformance.reference",)),
    ("record", ("conformance.record",)),
    ("checks", ("conformance.checks",)),
    ("judge", ("conformance.judge",)),
    ("run", ("conformance.run",)),
    ("reports", ("conformance.reports",)),
    # `pytest --pyargs conformance.checks` (the documented command) collects
    # checks/test_requirements.py, so that one module lives in checks/ but belongs here.
    ("front door", ("conformance.__main__", "conformance.cli", "conformance.interrupts", "conformance.config_file",
                    "conformance.console", "conformance.verify", "conformance.rundiff", "conformance.usage",
                    "conformance.pytest_plugin", "conformance.checks.test_requirements")),
    ("selftest", ("conformance.selftest",)),
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The module an imported name belongs to: `a.b.c` is module a.b.c, else a.b's attribute."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from a import b` imports module a.b when there is one, else a name of a.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            owner = _owner(target) if target.split(".")[0] == "conformance" else None
            if owner is not None and owner != module:
                yield owner


GRAPH = {module: sorted(set(_imports(module, path))) for module, path in MODULES.items()}


def layer_of(module: str) -> int:
    """The index in LAYERS of the most specific prefix naming `module`; KeyError if none does."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            exact = prefix == "conformance"  # the package itself holds only the version
            named = module == prefix or (not exact and module.startswith(prefix + "."))
            if named and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    if best is None:
        raise KeyError(module)
    return best[1]


def test_every_module_has_a_declared_layer() -> None:
    unplaced = []
    for module in MODULES:
        try:
            layer_of(module)
        except KeyError:
            unplaced.append(module)
    assert not unplaced, f"declare these modules' layer in tests/test_layers.py: {sorted(unplaced)}"


def _upward(graph: dict[str, list[str]]) -> list[str]:
    """Each import from a module to one of a higher layer, as a sentence."""
    return [f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
            for module, targets in graph.items() for target in targets if layer_of(target) > layer_of(module)]


def test_no_import_from_a_lower_stage_to_a_higher_one() -> None:
    upward = _upward(GRAPH)
    assert not upward, "\n".join(upward)


def _circles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_circle() -> None:
    assert _circles(GRAPH) == []


# The checker itself, on graphs small enough to know the answer (so the tests above can fail).
@pytest.mark.parametrize(("graph", "circles"), [
    ({"a": ["b"], "b": ["c"], "c": []}, []),
    ({"a": ["b"], "b": ["c"], "c": ["a"]}, [["a", "b", "c"]]),
    ({"a": ["b"], "b": ["a"], "c": ["c"]}, [["a", "b"]]),
])
def test_circles_are_found(graph: dict[str, list[str]], circles: list[list[str]]) -> None:
    assert _circles(graph) == circles


def test_the_graph_sees_every_kind_of_import() -> None:
    # Known edges of the tree, one per import form: top-level `from`, a function-level import
    # (the embedded server, started on demand), `from package import module`.
    assert "conformance.record.client" in GRAPH["conformance.checks.base"]
    assert "conformance.reference.server" in GRAPH["conformance.run.runner"]
    assert "conformance.judge.field_observations" in GRAPH["conformance.judge.observations"]


def test_an_upward_import_would_be_reported() -> None:
    assert layer_of("conformance.record.client") < layer_of("conformance.checks.base") < \
        layer_of("conformance.judge.diagnosis") < layer_of("conformance.run.runner") < \
        layer_of("conformance.reports.writer") < layer_of("conformance.cli")
    assert layer_of("conformance.checks.test_requirements") == layer_of("conformance.cli")
    assert _upward({"conformance.record.client": ["conformance.run.lanes", "conformance.exchange"],
                    "conformance.run.lanes": ["conformance.record.client"]}) == [
        "conformance.record.client (record) imports conformance.run.lanes (run)"]
