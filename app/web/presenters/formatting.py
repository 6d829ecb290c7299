"""Template filters: money in pounds, times and dates as they are in London, counted nouns."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from app.workflow.clock import in_london, london_date
from app.workflow.text import money, plural, times

__all__ = ["long_date", "london_time", "money", "plural", "register", "times"]


def london_time(value: datetime | None) -> str:
    """'23 November 2026 at 5:52pm' in London (GOV.UK style)."""
    if value is None:
        return ""
    local = in_london(value)
    hour = local.strftime("%I").lstrip("0") or "12"
    ampm = "am" if local.hour < 12 else "pm"
    minutes = local.strftime("%M")
    return f"{local.day} {local:%B %Y} at {hour}:{minutes}{ampm}"


def long_date(value: date | datetime | None) -> str:
    """'23 November 2026'; for a time, the day it is in London."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = london_date(value)
    return f"{value.day} {value:%B %Y}"


def register(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(plural, "plural")
    app.add_template_filter(times, "times")
    app.add_template_filter(london_time, "london_time")
    app.add_template_filter(long_date, "long_date")
