"""Dates, times, numbers, money and ordinals in the page's language, from Babel's locale data."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from babel.dates import get_month_names
from flask_babel import refresh

from app.web.presenters.formatting import london_time, long_date, money, number, ordinal


@pytest.fixture
def in_language(app):
    @contextmanager
    def enter(code):
        with app.test_request_context(f"/?lang={code}"):
            refresh()  # as each request does: the test's app context outlives it
            yield

    return enter


def test_english_is_as_gov_uk_writes_it(in_language):
    with in_language("en"):
        assert london_time(datetime(2026, 12, 1, 17, 52, tzinfo=UTC)) == "1 December 2026 at 5:52pm"
        # British Summer Time: 09:05 UTC is 10:05 in London.
        assert london_time(datetime(2026, 7, 1, 9, 5, tzinfo=UTC)) == "1 July 2026 at 10:05am"
        assert long_date(date(2026, 1, 3)) == "3 January 2026"
        assert money(1250000) == "£12,500"
        assert money(1250050) == "£12,500.50"
        assert money(-525) == "-£5.25"
        assert number(1204) == "1,204"
        assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101)] == [
            "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
        ]  # fmt: skip


def test_welsh_dates_use_welsh_month_names_and_day_periods(in_language):
    with in_language("cy"):
        assert london_time(datetime(2026, 12, 1, 17, 52, tzinfo=UTC)) == "1 Rhagfyr 2026 am 5:52yh"
        assert london_time(datetime(2026, 7, 1, 9, 5, tzinfo=UTC)) == "1 Gorffennaf 2026 am 10:05yb"
        welsh_months = get_month_names("wide", locale="cy")
        for month in range(1, 13):
            assert long_date(date(2026, month, 15)) == f"15 {welsh_months[month]} 2026"
        assert long_date(date(2026, 2, 1)) == "1 Chwefror 2026"


def test_welsh_ordinals_take_the_ending_of_their_cldr_category(in_language):
    with in_language("cy"):
        assert [ordinal(n) for n in range(1, 11)] == [
            "1af", "2il", "3ydd", "4ydd", "5ed", "6ed", "7fed", "8fed", "9fed", "10fed",
        ]  # fmt: skip


def test_welsh_money_and_numbers(in_language):
    with in_language("cy"):
        assert money(1250000) == "£12,500"
        assert money(99) == "£0.99"
        assert money(1250000, always_pence=True) == "£12,500.00"
        assert number(1204) == "1,204"


def test_an_invalid_ballot_refused_as_a_whole_is_said_in_the_page_language(in_language):
    """The refusal page and the API join votes' own problems: in Welsh on a Welsh page."""
    from app.web.views import say
    from ballots.errors import InvalidBallot
    from votes.ballot import validate_ballot
    from votes.model import Ballot, BallotKind, BallotRules, Project

    rules = BallotRules(kind=BallotKind.APPROVAL, max_choices=1)
    projects = [Project(id="1", name="Un", cost=10), Project(id="2", name="Dau", cost=10)]
    problems = validate_ballot(Ballot(choices=("1", "2")), rules, projects)
    refusal = InvalidBallot(problems)
    with in_language("en"):
        assert say(refusal) == refusal.message
    with in_language("cy"):
        welsh = say(refusal)
    assert welsh and welsh != refusal.message
    assert welsh == " ".join(p.in_language("cy") for p in problems)
