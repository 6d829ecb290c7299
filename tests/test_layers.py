"""Arrows point inward only: app.web -> app.workflow -> ballots -> votes. A forbidden import fails
here, and so does a module in the wrong folder importing the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WEB_FRAMEWORK = {"flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "flask_limiter"}
WEB_FRAMEWORK |= {"flask_mail", "flask_migrate", "werkzeug", "govuk_frontend_wtf", "wtforms"}

# A package (a folder) and the modules it may not import; a name forbids the module and all
# below it ("app" forbids "app.web.public").
FORBIDDEN = {
    "votes": WEB_FRAMEWORK | {"sqlalchemy", "app", "ballots", "pabutools"},
    "ballots": WEB_FRAMEWORK | {"app"},
    "app/workflow": WEB_FRAMEWORK | {"app.web", "app.demo", "app.cli", "jinja2", "markupsafe"},
    "app/web": {"app.demo"},
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, and for ``from x import y`` also ``x.y`` (which
    may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden(names: set[str], rules: set[str]) -> set[str]:
    return {n for n in names for r in rules if n == r or n.startswith(r + ".")}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_inward(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    bad = {
        f"{f.relative_to(ROOT)} imports {m}"
        for f in files
        for m in forbidden(imported_modules(f), FORBIDDEN[package])
    }
    assert not bad, "forbidden imports:\n" + "\n".join(sorted(bad))


def test_the_check_catches_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import flask\nfrom sqlalchemy.orm import Session\nfrom . import sibling\n"
        "from app.web import public\n"
    )
    names = imported_modules(bad)
    assert names == {
        "flask",
        "sqlalchemy.orm",
        "sqlalchemy.orm.Session",
        "app.web",
        "app.web.public",
    }
    assert forbidden(names, FORBIDDEN["app/workflow"]) == {"flask", "app.web", "app.web.public"}
    # A name that merely begins like a forbidden one is not it.
    assert forbidden({"flasky", "app.webhooks"}, FORBIDDEN["app/workflow"]) == set()


def test_app_has_no_loose_modules_beyond_its_root():
    """``app/`` itself holds only what builds the app (its factory and command line); every
    other module lives in ``workflow``, ``web`` or ``demo``."""
    loose = {p.name for p in (ROOT / "app").glob("*.py")}
    assert loose == {"__init__.py", "cli.py"}
    packages = {p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").exists()}
    assert packages == {"workflow", "web", "demo"}
