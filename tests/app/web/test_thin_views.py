"""Views stay thin: every view function the app registers is at most 30 lines, and most (at
least 60%) at most 15. A view parses the request, calls one workflow function through
``attempt`` and answers; anything longer belongs in a workflow function or a helper. And no
template runs a query: no context processor offers one, the views pass what the pages show."""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

LONGEST = 30
SHORT = 15
SHORT_SHARE = 0.6

# What template context processors once offered the pages, each a query per call.
QUERYING = ("ballot_log_head", "delivery_updates", "delivery_progress")


def view_lines(fn) -> int:
    """How many lines a view function is, from its ``def`` to its end: its decorators (the
    route, the sign-in check) are not the view's work, its docstring is."""
    lines, _ = inspect.getsourcelines(inspect.unwrap(fn))
    body = textwrap.dedent("".join(lines)).splitlines()
    start = next(i for i, line in enumerate(body) if line.startswith(("def ", "async def ")))
    return len(body) - start


def app_views(app) -> dict[str, int]:
    """Each endpoint of the app's own views (not Flask's static files) and its length."""
    return {
        endpoint: view_lines(fn)
        for endpoint, fn in app.view_functions.items()
        if inspect.unwrap(fn).__module__.startswith("app.")
    }


def measured(app) -> dict[str, int]:
    return app_views(app)


def test_no_view_is_over_thirty_lines(app):
    long = {e: n for e, n in measured(app).items() if n > LONGEST}
    assert not long, f"views over {LONGEST} lines: {long}"


def test_most_views_are_fifteen_lines_or_fewer(app):
    views = measured(app)
    assert len(views) >= 70, "every audience's views are measured"
    short = [e for e, n in views.items() if n <= SHORT]
    share = len(short) / len(views)
    longer = sorted((n, e) for e, n in views.items() if n > SHORT)
    assert share >= SHORT_SHARE, f"{share:.0%} of views are {SHORT} lines or fewer: {longer}"


def test_every_view_is_measured(app):
    """A view whose source cannot be read would escape both checks."""
    assert all(n > 0 for n in app_views(app).values())
    assert {
        "officers.paper_ballot",
        "auditors.export_pot",
        "residents.confirm_ballot",
        "public.funding_round",
        "api.funding_round",
    } <= set(measured(app))


def too_long(x: int) -> int:
    y = x
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    y += 1
    return y


def short(x: int) -> int:
    return x + 1


@pytest.mark.parametrize(("fn", "lines"), [(too_long, 31), (short, 2)])
def test_the_measure_catches_a_long_function(fn, lines):
    assert view_lines(fn) == lines
    assert (view_lines(fn) > LONGEST) is (fn is too_long)


def test_templates_call_no_query_through_a_context_processor():
    calls = re.compile(r"\b(" + "|".join(QUERYING) + r")\s*\(")
    used = {
        f"{t.relative_to(ROOT)}: {m.group(1)}"
        for t in sorted((ROOT / "templates").rglob("*.html"))
        for m in calls.finditer(t.read_text(encoding="utf-8"))
    }
    assert not used


def test_no_context_processor_offers_a_query(app):
    offered = set()
    with app.test_request_context("/"):
        for processors in app.template_context_processors.values():
            for processor in processors:
                offered |= set(processor())
    assert not offered & set(QUERYING), offered & set(QUERYING)
