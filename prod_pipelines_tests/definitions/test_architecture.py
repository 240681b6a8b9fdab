"""The package's walls, read from its imports (every import, including those inside functions).

Layers, lowest first: what a module may import is at its own layer or below. Operator tools
(`ops`), producer stand-ins and the benchmark sit above the definitions, so Dagster never loads them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import prod_pipelines

PACKAGE = Path(prod_pipelines.__file__).parent
LAYERS = [
    {"compat", "settings", "sqlite_commits"},
    {"partitions", "warehouse", "resources"},
    {"landing", "catalog", "warehouses"},
    {"dbt"},
    {"completeness", "delivery", "producers"},
    {"assets", "automation"},
    {"definitions"},
    {"ops"},
    {"bench"},
]
RANK = {area: rank for rank, areas in enumerate(LAYERS) for area in areas}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """The package modules `path` imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            # `from package import module` imports the module; `from module import name` the module.
            names = submodules if all(s in MODULES for s in submodules) else [node.module, *submodules]
        else:
            continue
        found |= {n for n in names if n in MODULES}
    return found


GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def area(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_area_of_the_package_has_a_layer():
    areas = {area(m) for m in MODULES if area(m) and not area(m).startswith("__")}
    assert areas == set(RANK), f"areas without a layer: {areas - set(RANK)}; layers without code: {set(RANK) - areas}"


def test_no_module_imports_another_in_a_loop():
    assert cycles(GRAPH) == []


def test_no_area_imports_another_in_a_loop():
    areas: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        areas.setdefault(area(module), set()).update(area(t) for t in targets if area(t) != area(module))
    assert cycles(areas) == []


def test_no_import_points_up_the_layers():
    upward = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
                    if area(m) in RANK and RANK[area(t)] > RANK[area(m)])
    assert upward == []


def test_dagster_never_loads_the_operator_tools_producers_or_benchmark():
    seen, todo = set(), ["prod_pipelines.definitions"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(GRAPH[module])
    assert sorted(m for m in seen if area(m) in {"ops", "producers", "bench"}) == []


def test_only_compat_touches_dagster_private_names():
    tests = Path(__file__).parents[1].rglob("*.py")
    private = sorted(str(path) for path in [*MODULES.values(), *tests] if path.name != "compat.py"
                     and any(isinstance(n, ast.ImportFrom) and (n.module or "").startswith("dagster._")
                             for n in ast.walk(ast.parse(path.read_text()))))
    assert private == []
