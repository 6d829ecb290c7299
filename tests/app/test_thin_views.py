"""The residents', public, results, API and auth views stay thin: no view over 30 lines
(parse the form, ``attempt`` a workflow function, answer), and their templates call nothing
that queries the database (the views pass what the pages show)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MODULES = [
    *sorted((ROOT / "app/web/residents").glob("*.py")),
    *(
        ROOT / "app/web" / name
        for name in ("public.py", "results.py", "api.py", "auth.py", "two_factor.py", "status.py")
    ),
]
TEMPLATES = [ROOT / "templates" / d for d in ("residents", "public", "results", "auth")]
ROUTES = {"route", "get", "post"}
LONGEST = 30

# What the template context processors once offered the pages, each a query per call.
QUERYING = ("ballot_log_head", "delivery_updates", "delivery_progress")


def views(path: Path) -> list[tuple[str, int]]:
    """Each view function (a routed one) of a module with its length in lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTES
            for d in node.decorator_list
        ):
            found.append((node.name, node.end_lineno - node.lineno + 1))
    return found


def test_no_view_is_over_30_lines_and_most_are_under_15():
    lengths = {f"{p.relative_to(ROOT)}:{name}": n for p in MODULES for name, n in views(p)}
    assert len(lengths) > 20  # the views are found at all
    long = {view: n for view, n in lengths.items() if n > LONGEST}
    assert not long, f"views over {LONGEST} lines: {long}"
    assert sum(n <= 15 for n in lengths.values()) > len(lengths) / 2


def test_the_length_check_sees_a_long_view(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(LONGEST))
    module = tmp_path / "long.py"
    module.write_text(f"@bp.route('/')\ndef long():\n{body}\n\ndef helper():\n    pass\n")
    assert views(module) == [("long", LONGEST + 1)]


def test_templates_call_no_query_through_a_context_processor():
    calls = re.compile(r"\b(" + "|".join(QUERYING) + r")\s*\(")
    used = {
        f"{t.relative_to(ROOT)}: {m.group(1)}"
        for d in TEMPLATES
        for t in sorted(d.rglob("*.html"))
        for m in calls.finditer(t.read_text(encoding="utf-8"))
    }
    assert not used


def test_the_round_page_is_given_its_ballot_log_head_by_its_view(app):
    offered = set()
    with app.test_request_context("/"):
        for processors in app.template_context_processors.values():
            for processor in processors:
                offered |= set(processor())
    assert "ballot_log_head" not in offered
