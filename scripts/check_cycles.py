"""Fail when project modules import each other in a circle, counting imports inside functions.

import-linter checks the layering contract (`.importlinter`); this checks what it can't say across many root
packages: no cycle between any two project modules. grimp reads every import statement, the ones inside
functions included, so a cycle can't hide behind a function-level import.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"benchmarks", "tests"}


def packages() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in SKIP)


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    modules = {m for m in graph.modules if ".tests" not in m and ".migrations" not in m}
    edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
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

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def main() -> int:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*packages(), cache_dir=None)
    found = cycles(graph)
    for component in found:
        print("Import cycle:", " ↔ ".join(component))
        for importer in component:
            for imported in graph.find_modules_directly_imported_by(importer):
                if imported in component:
                    lines = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
                    print(f"    {importer} -> {imported} (line {', '.join(map(str, lines))})")
    if not found:
        print(f"No import cycles between the modules of {len(packages())} packages.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
