"""The layers of the house (docs/architecture.md), checked on the code's own imports.

Every `import` and `from … import` of a cnntool module is an edge, including imports inside
functions (a lazy import is still a dependency); imports under `if TYPE_CHECKING:` serve
annotations only and are not edges. The graph must have no cycle; the core never
imports the shells (cli/, tui/) or the views; nothing imports another module's private names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "cnntool"
SHELLS = ("cnntool.cli", "cnntool.tui", "cnntool.__main__")
VIEWS = "cnntool.views"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The cnntool module `name` refers to (a module, or the package holding an attribute)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import statement of `module`."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:  # annotations only: not a dependency at run time
            continue
        if isinstance(node, ast.Import):
            found += [
                (alias.name, [], node.lineno) for alias in node.names if alias.name.startswith("cnntool")
            ]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("cnntool"):
                continue
            names = [alias.name for alias in node.names]
            for name in names:  # `from cnntool.engine import losses` imports the module cnntool.engine.losses
                target = f"{base}.{name}" if f"{base}.{name}" in MODULES else base
                found.append((target, [name] if target == base else [], node.lineno))
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for target, _, _ in _imports(module):
            resolved = _resolve(target)
            if resolved and resolved != module:
                graph[module].add(resolved)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _is_ancestor_package(importer: str, target: str) -> bool:
    """A module importing its own package's __init__ (a package re-export) is not a cycle of design."""
    return importer.startswith(target + ".")


def test_the_package_has_no_import_cycles() -> None:
    graph = _graph()
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not _is_ancestor_package(module, t)}
    assert _cycles(graph) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith((*SHELLS, VIEWS))))
def test_the_core_never_imports_the_shells_or_the_views(module: str) -> None:
    outward = [(target, line) for target, _, line in _imports(module) if target.startswith((*SHELLS, VIEWS))]
    assert outward == [], f"{module} imports {outward}: the core must not depend on cli/, tui/ or views/"


def test_views_never_import_the_shells() -> None:
    bad = [
        (m, target)
        for m in MODULES
        if m.startswith(VIEWS)
        for target, _, _ in _imports(m)
        if target.startswith(SHELLS)
    ]
    assert bad == []


def test_no_module_imports_another_modules_private_names() -> None:
    bad = [
        f"{module}:{line} imports {name} from {target}"
        for module in MODULES
        for target, names, line in _imports(module)
        for name in names
        if name.startswith("_") and not name.startswith("__") and _resolve(target) != module
    ]
    assert bad == []


def test_the_checker_sees_real_edges() -> None:
    """Guard against a walker that finds nothing: known edges must be present."""
    graph = _graph()
    assert "cnntool.arith.formulas" in graph["cnntool.engine.layers.conv"]
    assert "cnntool.engine.containers" in graph["cnntool.engine.builder"]
    assert "cnntool.engine.checkpoint" in graph["cnntool.engine.containers"]  # the lazy import in Model.save


def test_every_json_schema_is_listed_in_the_json_output_page() -> None:
    docs = ROOT.parent / "docs"
    page = (docs / "json-output.md").read_text(encoding="utf-8")
    missing = [p.name for p in (docs / "schemas").glob("*.schema.json") if f"schemas/{p.name}" not in page]
    assert missing == []
