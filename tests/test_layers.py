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

from tests.support.source import parse

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"

# Lowest first. A module may import its own layer and any layer below, never one above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Vocabulary every stage shares: values, the spec, the catalog, errors, caches.
    ("foundation", ("conformance", "conformance.errors", "conformance.resources", "conformance.spec",
                    "conformance.generation_cache", "conformance.exchange", "conformance.verdicts",
                    "conformance.wording", "conformance.profiles", "conformance.terminal",
                    "conformance.catalog", "conformance.signing", "conformance.operations", "conformance.not_sent",
                    "conformance.failure")),
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
    for node in ast.walk(parse(path.read_text(encoding="utf-8"))):
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


# The transcript has one owner (issue 23): conformance.record.recording.Transcript numbers every
# exchange and appends it; the client adds through it and the lanes commit a probe's buffer through
# Client.commit. A module elsewhere that set an exchange's `seq` or changed `….transcript` would
# number the transcript from outside again. (`Client.transcript` is a read-only view besides: this
# test finds the forms that view cannot stop, and says where.)
_TRANSCRIPT_CHANGES = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                                 "__setitem__", "__delitem__", "__iadd__"})
_TRANSCRIPT_NAMES = frozenset({"transcript", "_transcript"})


def _spine(expr: ast.expr) -> Iterator[ast.expr]:
    """`expr` and what it is an attribute or item of: `a.b[0].c` gives a.b[0].c, a.b[0], a.b, a
    (not into a call's result, which is a new value: `list(client.transcript)` is a copy)."""
    while True:
        yield expr
        if not isinstance(expr, ast.Attribute | ast.Subscript):
            return
        expr = expr.value


def _reaches(expr: ast.expr, aliases: set[str]) -> bool:
    """Whether `expr` is the transcript or inside it: an attribute `transcript`/`_transcript` on
    its spine, or a name bound to one."""
    return any((isinstance(part, ast.Attribute) and part.attr in _TRANSCRIPT_NAMES)
               or (isinstance(part, ast.Name) and part.id in aliases) for part in _spine(expr))


def _aliases(tree: ast.AST) -> set[str]:
    """Names bound anywhere in `tree` to the transcript (`t = client.transcript`, `x = t`, a
    walrus), to a fixed point; scopes are not told apart (a lint errs toward finding)."""
    aliases: set[str] = set()
    while True:
        found = set(aliases)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and node.value is not None \
                    and _reaches(node.value, aliases):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found |= {t.id for t in targets if isinstance(t, ast.Name)}
        if found == aliases:
            return aliases
        aliases = found


def _flat(targets: list[ast.expr]) -> Iterator[ast.expr]:
    for target in targets:
        if isinstance(target, ast.Tuple | ast.List):
            yield from _flat(target.elts)
        elif isinstance(target, ast.Starred):
            yield from _flat([target.value])
        else:
            yield target


def _is_seq(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "seq"


def _transcript_writes(source: str) -> list[str]:
    """Each place in `source` that sets an exchange's `seq` (assigned, `setattr`,
    `object.__setattr__`, `dataclasses.replace(…, seq=…)`) or changes the transcript (a list
    method, an item assigned or deleted, `+=`, directly or through a name bound to it, or
    `._transcript`, the client's own, reached at all), as "line N: what", in source order."""
    tree = parse(source)
    aliases = _aliases(tree)
    found: list[tuple[int, int, str]] = []

    def note(node: ast.AST, what: str) -> None:
        found.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in _flat(targets):
                if isinstance(target, ast.Attribute) and target.attr == "seq":
                    note(node, "sets .seq")
                elif isinstance(target, ast.Subscript) and _reaches(target.value, aliases):
                    note(node, "deletes from .transcript" if isinstance(node, ast.Delete)
                         else "assigns into .transcript")
                elif isinstance(target, ast.Attribute) and target.attr in _TRANSCRIPT_NAMES:
                    note(node, "assigns .transcript")
                elif isinstance(target, ast.Name) and target.id in aliases and isinstance(node, ast.AugAssign):
                    note(node, f"changes .transcript through {target.id}")
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute) \
                        and target.value.attr == "__dict__" and _is_seq(target.slice):
                    note(node, "sets .seq")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _TRANSCRIPT_CHANGES and isinstance(func, ast.Attribute) and _reaches(func.value, aliases):
                note(node, f".transcript.{name}()")
            elif name in ("setattr", "__setattr__") and any(_is_seq(arg) for arg in node.args[1:2]):
                note(node, "sets .seq")
            elif name == "replace" and any(k.arg == "seq" for k in node.keywords):
                note(node, "sets .seq (replace)")
        elif isinstance(node, ast.Attribute) and node.attr == "_transcript" \
                and not (isinstance(node.value, ast.Name) and node.value.id == "self"):
            note(node, "reaches into ._transcript")
    return [f"line {line}: {what}" for line, _col, what in sorted(found)]


def test_only_record_numbers_or_appends_to_the_transcript() -> None:
    outside = {module: path for module, path in MODULES.items() if not module.startswith("conformance.record.")}
    writes = [f"{module} {where}" for module, path in sorted(outside.items())
              for where in _transcript_writes(path.read_text(encoding="utf-8"))]
    assert not writes, "\n".join(writes)


@pytest.mark.parametrize(("source", "writes"), [
    ("client.commit(run.exchanges)\nrecord = Record(client.transcript)\nn = len(client.transcript)", []),
    ("for e in buffer:\n    e.seq = len(client.transcript)\n    client.transcript.append(e)",
     ["line 2: sets .seq", "line 3: .transcript.append()"]),
    ("self._client.transcript[0] = e\nx.transcript.extend(more)",
     ["line 1: assigns into .transcript", "line 2: .transcript.extend()"]),
    ("t = client.transcript\nt.append(e)", ["line 2: .transcript.append()"]),
    ("t = client.transcript\nu = t\nu[0] = e\nu += [e]",
     ["line 3: assigns into .transcript", "line 4: changes .transcript through u"]),
    ("client.transcript += [e]", ["line 1: assigns .transcript"]),
    ("client.transcript = []", ["line 1: assigns .transcript"]),
    ("del client.transcript[0]", ["line 1: deletes from .transcript"]),
    ("dataclasses.replace(e, seq=5)", ["line 1: sets .seq (replace)"]),
    ("replace(e, tag='x', seq=n)", ["line 1: sets .seq (replace)"]),
    ("setattr(e, 'seq', 5)", ["line 1: sets .seq"]),
    ("object.__setattr__(e, 'seq', 5)", ["line 1: sets .seq"]),
    ("e.__dict__['seq'] = 5", ["line 1: sets .seq"]),
    ("a, e.seq = 1, 2", ["line 1: sets .seq"]),
    ("client._transcript.exchanges.append(e)",
     ["line 1: .transcript.append()", "line 1: reaches into ._transcript"]),
    ("client._transcript.commit(buffer)", ["line 1: reaches into ._transcript"]),
    # Reading, or changing a copy, is no write.
    ("exchanges = list(client.transcript)\nexchanges.append(e)\nfirst = client.transcript[0].tag\n"
     "replace(e, tag='x')\nsetattr(e, 'tag', 'x')\nlast = client.transcript[-1]", []),
])
def test_a_write_to_the_transcript_from_outside_would_be_reported(source: str, writes: list[str]) -> None:
    assert _transcript_writes(source) == writes
