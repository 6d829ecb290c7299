"""The ``app.workflow.rounds`` package: its modules import one another without a cycle, and
every name its callers use is part of the API the package re-exports."""

from __future__ import annotations

import ast
from pathlib import Path

import app.workflow.rounds as rounds_package
import votes.verify

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = "app.workflow.rounds"
FOLDER = ROOT / "app" / "workflow" / "rounds"
SUBMODULES = {"ballot", "budget", "common", "details", "manifest", "phases", "schedule", "voting"}


def package_imports(folder: Path, package: str) -> dict[str, set[str]]:
    """For each module of ``package`` (in ``folder``; ``__init__`` included), the modules of the
    package it imports anywhere in the file, at the top or inside a function.

    Importing a name from the package itself (``from app.workflow.rounds import x``) counts as
    importing ``__init__``, which imports every module: a module of the package imports a
    sibling by the sibling's own name.
    """
    modules = {p.stem for p in folder.glob("*.py")}
    graph = {}
    for path in sorted(folder.glob("*.py")):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    # Relative to this module's package; level 1 is the package itself.
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    if node.module is None:
                        targets = [f"{base}.{alias.name}" for alias in node.names]
                        base = None
                    else:
                        base = f"{base}.{node.module}"
                else:
                    base = node.module
                if base is not None:
                    targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if target == package:
                    found.add("__init__")
                elif target.startswith(package + "."):
                    found.add(target.removeprefix(package + ".").split(".")[0])
        graph[path.stem] = (found & modules) - {path.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``graph``, as the modules along it (the first again at the end),
    or None when there is none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        path.append(module)
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_the_rounds_modules_import_one_another_without_a_cycle():
    graph = package_imports(FOLDER, PACKAGE)
    assert set(graph) == SUBMODULES | {"__init__"}
    # The walk sees the imports that are there: moving a round uses most of the others.
    assert graph["phases"] == {"ballot", "common", "manifest", "voting"}
    assert graph["__init__"] == SUBMODULES - {"__init__"}
    assert find_cycle(graph) is None


def test_the_cycle_check_finds_a_cycle_through_any_kind_of_import(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    files = {
        "__init__.py": "from pkg.a import f\nfrom pkg.d import k\n",
        "a.py": "from .b import g\n",
        "b.py": "def g():\n    from pkg.c import h\n    return h\n",
        "c.py": "import pkg.a\n\nh = 1\n",
        "d.py": "import os\nfrom pkg import f as k\n",
        "e.py": "from . import c\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    graph = package_imports(pkg, "pkg")
    assert graph == {
        "__init__": {"a", "d"},
        "a": {"b"},
        "b": {"c"},
        "c": {"a"},
        "d": {"__init__"},
        "e": {"c"},
    }
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    # Break a -> b -> c -> a: the package importing itself back is still a cycle.
    (pkg / "c.py").write_text("h = 1\n")
    assert find_cycle(package_imports(pkg, "pkg")) == ["__init__", "d", "__init__"]
    (pkg / "d.py").write_text("from pkg.a import f as k\n")
    assert find_cycle(package_imports(pkg, "pkg")) is None


def names_used_from_rounds(path: Path) -> set[str]:
    """The names a file takes from ``app.workflow.rounds``: ``from app.workflow.rounds import
    x``, and ``r.x`` wherever the file binds ``r`` to the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module == PACKAGE:
                used.update(alias.name for alias in node.names)
            elif node.module == "app.workflow":
                aliases |= {a.asname or a.name for a in node.names if a.name == "rounds"}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.name == PACKAGE and a.asname}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            used.add(node.attr)
    return used


def test_every_name_callers_use_is_in_the_public_api():
    files = [
        p
        for folder in ("app", "tests", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if FOLDER not in p.parents and p != Path(__file__).resolve()
    ]
    used = {(name, p.relative_to(ROOT)) for p in files for name in names_used_from_rounds(p)}
    assert {name for name, _ in used} >= {"change_phase", "lock_round", "canonical_json"}
    missing = sorted(
        f"{where}: {name}"
        for name, where in used
        if name not in rounds_package.__all__ and name not in SUBMODULES
    )
    assert not missing, "used but not exported by app.workflow.rounds:\n" + "\n".join(missing)
    for name in rounds_package.__all__:
        assert hasattr(rounds_package, name), name


def test_the_manifest_is_written_with_the_verifiers_canonical_json():
    assert rounds_package.canonical_json is votes.verify.canonical_json
    assert rounds_package.manifest.canonical_json is votes.verify.canonical_json
