"""Template filters: money in pounds, times in Europe/London, counted nouns."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask


def money(pence: int | None, *, always_pence: bool = False) -> str:
    """£1,234 for whole pounds, £1,234.50 otherwise (or always with ``always_pence``)."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(int(pence)), 100)
    if rest == 0 and not always_pence:
        return f"{sign}£{pounds:,}"
    return f"{sign}£{pounds:,}.{rest:02d}"


def plural(n: int, word: str, words: str | None = None) -> str:
    """ "1 ballot", "2 ballots", "1,204 ballots" (``words`` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def times(n: int) -> str:
    """ "once", "twice", "3 times"."""
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def london_time(value: datetime | None, tz: str = "Europe/London") -> str:
    """'23 November 2026 at 5:52pm' in the council's local time (GOV.UK style)."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz))
    hour = local.strftime("%I").lstrip("0") or "12"
    ampm = "am" if local.hour < 12 else "pm"
    minutes = local.strftime("%M")
    return f"{local.day} {local:%B %Y} at {hour}:{minutes}{ampm}"


def long_date(value: date | datetime | None, tz: str = "Europe/London") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz)).date()
    return f"{value.day} {value:%B %Y}"


def register(app: Flask) -> None:
    tz = app.config["DISPLAY_TIMEZONE"]
    app.add_template_filter(money, "money")
    app.add_template_filter(plural, "plural")
    app.add_template_filter(times, "times")
    app.add_template_filter(lambda v: london_time(v, tz), "london_time")
    app.add_template_filter(lambda v: long_date(v, tz), "long_date")
