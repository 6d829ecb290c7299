"""Every language's catalogue is complete, matches the code, and is what the pages use."""

from __future__ import annotations

import pytest
from babel import Locale

from tests.app.languages.catalogues import DOMAINS, extracted, po_files, read

CATALOGUES = [
    pytest.param(domain, po, id=f"{domain}-{po.parent.parent.name}")
    for domain, folder, _ in DOMAINS
    for po in po_files(domain, folder)
]


def test_there_is_a_welsh_catalogue_for_the_app_and_for_votes():
    names = {(domain, po.parent.parent.name) for domain, po in (p.values for p in CATALOGUES)}
    assert {("messages", "cy"), ("votes", "cy")} <= names


@pytest.mark.parametrize(("domain", "po"), CATALOGUES)
def test_every_text_is_translated(domain, po):
    catalog = read(po)
    missing, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if not all(s and s.strip() for s in strings) or len(strings) != (
            catalog.num_plurals if message.pluralizable else 1
        ):
            missing.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{len(missing)} texts have no translation in {po.name}: {missing[:20]}"
    assert not fuzzy, f"{len(fuzzy)} translations are marked fuzzy in {po.name}: {fuzzy[:20]}"


@pytest.mark.parametrize(("domain", "po"), CATALOGUES)
def test_translations_keep_every_placeholder(domain, po):
    catalog = read(po)
    problems = [
        f"{message.id!r}: {'; '.join(str(e) for e in errors)}"
        for message, errors in catalog.check()
    ]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize(("domain", "po"), CATALOGUES)
def test_plural_forms_come_from_the_locale_data(domain, po):
    catalog = read(po)
    locale = Locale.parse(po.parent.parent.name)
    assert catalog.num_plurals == len(locale.plural_form.tags | {"other"})


@pytest.mark.parametrize(("domain", "folder", "mapping"), DOMAINS, ids=[d[0] for d in DOMAINS])
def test_the_catalogues_hold_every_text_the_code_marks(domain, folder, mapping):
    marked = extracted(mapping)
    for po in po_files(domain, folder):
        held = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read(po) if m.id}
        new = sorted(str(t) for t in marked - held)
        gone = sorted(str(t) for t in held - marked)
        assert not new, f"{po}: not in the catalogue (run `make messages`): {new[:20]}"
        assert not gone, f"{po}: no longer in the code (run `make messages`): {gone[:20]}"


def test_no_code_names_a_language():
    """Adding a language is adding its catalogues: no code outside the demo says "cy"."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    named = []
    for folder in ("app", "ballots", "votes"):
        for path in (root / folder).rglob("*.py"):
            if "demo" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            named += [
                f"{path.relative_to(root)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and node.value in ("cy", "cy_GB", "Cymraeg", "Welsh")
                and id(node) not in docstrings
            ]
    assert not named, named
