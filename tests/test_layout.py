"""The folder tree shows the pipeline: one package per stage, read from the code's own
imports. No module imports itself back through others, no package does (the stages form
layers), nothing outside a package imports its private modules (`_name.py`), each
package's `__init__` says what each of its public modules does, and README's map names
every package."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "transcribe"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC if path.is_relative_to(SRC) else ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(path: Path) -> set[str]:
    """The modules of this project `path` imports, at its top or inside a function,
    relative imports resolved; `from package import module` counts the module."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES} or {target}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {name for name in found if name in MODULES}


def graph() -> dict[str, set[str]]:
    return {name: imported(path) - {name} for name, path in MODULES.items()}


def unit(module: str) -> str:
    """The package a module belongs to (`transcribe.asr.backend`), or the module itself at the top."""
    parts = module.split(".")
    return ".".join(parts[:2])


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the names around it, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_itself_back():
    assert cycle(graph()) is None


def test_the_packages_form_layers():
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph().items():
        # A package's __init__ hands its own modules' names on: not an edge between units.
        edges[unit(module)] |= {unit(t) for t in targets} - {unit(module)}
    assert cycle(edges) is None


def private(module: str) -> bool:
    return any(part.startswith("_") and part != "__init__" for part in module.split(".")[2:])


def outside_users() -> list[tuple[str, Path]]:
    """(module imported, file) for every file of src, flows and bench."""
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "flows").glob("*.py"), *(ROOT / "bench").glob("*.py")]
    return [(target, path) for path in files for target in imported(path)]


def test_nothing_outside_a_package_imports_its_private_modules():
    wrong = [f"{path.relative_to(ROOT)} imports {target}" for target, path in outside_users()
             if private(target) and not module_name(path).startswith(target.rsplit(".", 1)[0] + ".")
             and module_name(path) != target.rsplit(".", 1)[0]]
    assert wrong == []


PACKAGES = sorted(p.parent for p in PACKAGE.glob("*/__init__.py"))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_package_says_what_each_public_module_does(package):
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()), clean=False) or ""
    public = [p.stem for p in package.glob("*.py") if not p.stem.startswith("_")]
    assert public and [name for name in public if not re.search(rf"^\s+{name}\s", doc, re.M)] == []


def readme_order() -> list[str]:
    """The packages in the order of README's map ("Where things are")."""
    where = (ROOT / "README.md").read_text().split("## Where things are")[1].split("\n## ")[0]
    return [line.split("`")[1].rstrip("/") for line in where.splitlines() if line.startswith("| `")]


def test_readme_maps_every_package_in_the_order_they_import_each_other():
    order = readme_order()
    assert sorted(order) == [p.name for p in PACKAGES]
    rank = {f"transcribe.{name}": index for index, name in enumerate(order)}
    upward = {(unit(m), unit(t)) for m, targets in graph().items() for t in targets
              if unit(m) in rank and unit(t) in rank and rank[unit(t)] > rank[unit(m)]}
    assert upward == set()
