"""The shape of the ``votes`` code, checked from its source: no import cycle between its
modules, and every object's attributes set when it is made."""

import ast
from fractions import Fraction
from pathlib import Path

import pytest

from votes.model import Ballot, BallotKind, BallotRules, Election, Project, TieBreak
from votes.rules.mes import Engine
from votes.rules.profile import build_profile

VOTES = Path(__file__).resolve().parents[2] / "votes"


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``, by dotted name."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """For each module of the package at ``root``, the modules of the package it imports,
    anywhere in it (inside functions too: a deferred import still makes a cycle)."""
    known = modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        named = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                named += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package
                    for _ in range(node.level - 1):
                        parent = parent.rpartition(".")[0]
                    base = f"{parent}.{base}" if base else parent
                # ``from a import b`` imports the module a.b when there is one, else a.
                named += [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                    for alias in node.names
                ]
        edges = set()
        for target in named:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan's
    strongly connected components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_votes_has_no_import_cycle():
    graph = import_graph(VOTES)
    assert "votes.rules.mes.engine" in graph["votes.rules.mes.lockstep"]  # the walk sees imports
    assert cycles(graph) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_cycle_through_a_deferred_import_is_found(tmp_path):
    root = write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "def thing():\n    from pkg import a\n    return a\n",
            "pkg/c.py": "import pkg.a\n",
        },
    )
    assert cycles(import_graph(root)) == [["pkg.a", "pkg.b"]]


def test_a_cycle_through_relative_imports_and_a_subpackage_is_found(tmp_path):
    root = write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "from .x import X\n",
            "pkg/sub/x.py": "from ..y import Y\nX = 1\n",
            "pkg/y.py": "import json\nfrom pkg.z import Z\nY = 2\n",
            "pkg/z.py": "from pkg.sub import x\nZ = 3\n",
        },
    )
    assert cycles(import_graph(root)) == [["pkg.sub.x", "pkg.y", "pkg.z"]]


def test_no_cycle_in_a_chain(tmp_path):
    root = write(
        tmp_path,
        {"pkg/__init__.py": "from pkg.a import A\n", "pkg/a.py": "from pkg import b\n"},
    )
    root.joinpath("b.py").write_text("B = 1\n", encoding="utf-8")
    assert cycles(import_graph(root)) == []


def attributes_set_late(source: str) -> list[str]:
    """``Class.attribute (method)`` for every ``self.attribute = ...`` in a method other than
    ``__init__`` (or a dataclass's ``__post_init__``) of an attribute the class does not set
    there or declare in its body."""
    late = []
    for cls in ast.walk(ast.parse(source)):
        if not isinstance(cls, ast.ClassDef):
            continue
        methods = [f for f in cls.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
        declared = set()
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                declared.add(stmt.target.id)
        for f in methods:
            if f.name in ("__init__", "__post_init__"):
                declared |= {attr for attr, _ in _self_assignments(f)}
        for f in methods:
            if f.name in ("__init__", "__post_init__"):
                continue
            for attr, _ in _self_assignments(f):
                if attr not in declared:
                    late.append(f"{cls.name}.{attr} ({f.name})")
    return late


def _self_assignments(f: ast.FunctionDef | ast.AsyncFunctionDef):
    if not f.args.args or any(
        isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")
        for d in f.decorator_list
    ):
        return
    me = f.args.args[0].arg
    for node in ast.walk(f):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        while targets:
            t = targets.pop()
            if isinstance(t, ast.Tuple | ast.List):
                targets += t.elts
            elif isinstance(t, ast.Starred):
                targets.append(t.value)
            elif isinstance(t, ast.Attribute) and getattr(t.value, "id", None) == me:
                yield t.attr, node


def test_every_attribute_of_a_votes_object_is_set_when_it_is_made():
    late = []
    for path in sorted(VOTES.rglob("*.py")):
        late += [f"{path.name}: {a}" for a in attributes_set_late(path.read_text("utf-8"))]
    assert late == []


def test_an_attribute_added_by_a_method_is_found():
    source = (
        "class Engine:\n"
        "    x: int\n"
        "    def __init__(self):\n"
        "        self.a, self.b = 1, 2\n"
        "    def run(self):\n"
        "        self.a += 1\n"
        "        self.x = 3\n"
        "        self.c, (self.d, other.e) = 4, (5, 6)\n"
        "    @staticmethod\n"
        "    def helper(thing):\n"
        "        thing.f = 7\n"
    )
    assert attributes_set_late(source) == ["Engine.d (run)", "Engine.c (run)"]


def test_an_engine_cannot_gain_attributes_after_it_is_made():
    election = Election(
        Fraction(10),
        (Project("a", Fraction(4)), Project("b", Fraction(6))),
        (Ballot(("a", "b")), Ballot(("b",))),
        BallotRules(BallotKind.APPROVAL),
    )
    profile = build_profile(election)
    engine = Engine(profile, profile.sats("approval"), True, profile.tie_key(TieBreak.COST_VOTES))
    before = {name: type(getattr(engine, name)) for name in Engine.__slots__}
    engine.run(Fraction(5) * engine.unit, track=True, param=True)
    assert {name: type(getattr(engine, name)) for name in Engine.__slots__} == before
    with pytest.raises(AttributeError):
        engine.beta = None
