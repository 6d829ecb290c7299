"""Views stay thin: every view function the app registers is at most 30 lines, and most (at
least 70%) at most 15. A view parses the request, calls one workflow function through
``attempt`` and answers; anything longer belongs in a workflow function or a helper."""

from __future__ import annotations

import inspect
import textwrap

import pytest

LONGEST = 30
SHORT = 15
SHORT_SHARE = 0.7

# Views another engineer is thinning at the same time (residents', public, results, API and
# accounts); two_factor is in neither task. Removed once their work is merged.
ALLOWED_FOR_NOW = {"residents.", "public.", "results.", "api.", "auth.", "two_factor."}


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
    return {e: n for e, n in app_views(app).items() if not e.startswith(tuple(ALLOWED_FOR_NOW))}


def test_no_view_is_over_thirty_lines(app):
    long = {e: n for e, n in measured(app).items() if n > LONGEST}
    assert not long, f"views over {LONGEST} lines: {long}"


def test_most_views_are_fifteen_lines_or_fewer(app):
    views = measured(app)
    assert len(views) >= 30, "the officers' and auditors' views are all measured"
    short = [e for e, n in views.items() if n <= SHORT]
    share = len(short) / len(views)
    longer = sorted((n, e) for e, n in views.items() if n > SHORT)
    assert share >= SHORT_SHARE, f"{share:.0%} of views are {SHORT} lines or fewer: {longer}"


def test_every_view_is_measured(app):
    """A view whose source cannot be read would escape both checks."""
    assert all(n > 0 for n in app_views(app).values())
    assert {"officers.paper_ballot", "auditors.export_pot"} <= set(measured(app))


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
