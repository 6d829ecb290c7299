"""Arrows point inward only: app -> ballots -> votes. A forbidden import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "votes": {
        "flask",
        "flask_sqlalchemy",
        "flask_login",
        "flask_wtf",
        "sqlalchemy",
        "app",
        "ballots",
        "pabutools",
        "werkzeug",
    },
    "ballots": {"flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "app", "werkzeug"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_inward(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    bad = {
        f"{f.relative_to(ROOT)} imports {m}"
        for f in files
        for m in imported_modules(f) & FORBIDDEN[package]
    }
    assert not bad, "forbidden imports:\n" + "\n".join(sorted(bad))


def test_the_check_catches_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom sqlalchemy.orm import Session\nfrom . import sibling\n")
    assert imported_modules(bad) == {"flask", "sqlalchemy"}
