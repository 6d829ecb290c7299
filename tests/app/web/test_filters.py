"""Counted nouns on pages agree with their numbers."""

import pytest

from app.web.presenters.methods import _choice_limits
from app.workflow.text import plural, times


@pytest.mark.parametrize(
    ("n", "word", "words", "expected"),
    [
        (0, "ballot", None, "0 ballots"),
        (1, "ballot", None, "1 ballot"),
        (2, "ballot", None, "2 ballots"),
        (1204, "support", None, "1,204 supports"),
        (1, "person", "people", "1 person"),
        (3, "person", "people", "3 people"),
    ],
)
def test_plural(n, word, words, expected):
    assert plural(n, word, words) == expected


@pytest.mark.parametrize(("n", "expected"), [(1, "once"), (2, "twice"), (3, "3 times")])
def test_times(n, expected):
    assert times(n) == expected


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (1, None, " (at least 1 project)"),
        (None, 1, " (at most 1 project)"),
        (None, 3, " (at most 3 projects)"),
        (2, 2, " (2 projects)"),
        (1, 3, " (between 1 and 3 projects)"),
        (None, None, ""),
    ],
)
def test_choice_limits_count_projects(lo, hi, expected):
    assert _choice_limits(lo, hi) == expected
