"""The one clock: now in UTC (how times are stored), and days as they are in London (how
councils, residents and the pages count them).

Every "today" in Devolve is London's: at 00:30 on a summer morning in London it is already the
next day there while UTC is still on the day before. A phase that ends "on" a day ends at the
London midnight after it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from ballots.db import utcnow

LONDON = ZoneInfo("Europe/London")

__all__ = ["LONDON", "in_london", "london_date", "london_midnight", "london_today", "utcnow"]


def in_london(value: datetime) -> datetime:
    """``value`` (an aware time) as the clock on a wall in London shows it."""
    return value.astimezone(LONDON)


def london_date(value: datetime) -> date:
    """The day in London at the instant ``value``."""
    return value.astimezone(LONDON).date()


def london_today(now: datetime | None = None) -> date:
    """Today in London (at ``now``, default the present)."""
    return london_date(now if now is not None else utcnow())


def london_midnight(day: date) -> datetime:
    """The instant (UTC) a London day begins: midnight on a London wall clock."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)
