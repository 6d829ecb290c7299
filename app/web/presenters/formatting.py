"""Template filters in the page's language: money in pounds, numbers, ordinals, and times and
dates as they are in London.

Month and day names, digit grouping, the currency sign, am/pm and which ordinal ending a number
takes all come from Babel's locale data (CLDR), read for the language as it is used in the
United Kingdom ("en" as en_GB, "cy" as cy_GB); only the words around them ("at") and the
ordinal endings are the catalogue's.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal
from flask import Flask, has_app_context
from flask_babel import get_locale, gettext, lazy_pgettext

from app.workflow.clock import in_london, london_date

__all__ = [
    "clock_time",
    "long_date",
    "london_time",
    "money",
    "number",
    "ordinal",
    "register",
]

# The ending each CLDR ordinal category takes: English uses "one" (1st, 21st), "two" (2nd),
# "few" (3rd) and "other" (4th, 11th); other languages use the rest (Welsh: 1af, 2il, 3ydd,
# 5ed, 7fed).
ORDINALS = {
    # Translators: an ordinal number whose CLDR ordinal category is "zero" (English has none).
    "zero": lazy_pgettext("ordinal: zero", "%(n)sth"),
    # Translators: an ordinal number in CLDR's category "one": English 1st, 21st, 31st.
    "one": lazy_pgettext("ordinal: one", "%(n)sst"),
    # Translators: an ordinal number in CLDR's category "two": English 2nd, 22nd.
    "two": lazy_pgettext("ordinal: two", "%(n)snd"),
    # Translators: an ordinal number in CLDR's category "few": English 3rd, 23rd.
    "few": lazy_pgettext("ordinal: few", "%(n)srd"),
    # Translators: an ordinal number in CLDR's category "many" (English has none).
    "many": lazy_pgettext("ordinal: many", "%(n)sth"),
    # Translators: an ordinal number in CLDR's category "other": English 4th, 11th, 12th.
    "other": lazy_pgettext("ordinal: other", "%(n)sth"),
}


@lru_cache(maxsize=16)
def _uk(code: str) -> Locale:
    """The locale data for a language as it is used in the United Kingdom, where there is
    such a variant (en_GB, cy_GB); else the language's own."""
    base = Locale.parse(code)
    if base.territory:
        return base
    try:
        return Locale(base.language, "GB")
    except UnknownLocaleError:
        return base


def locale() -> Locale:
    """The page's language for formatting, or the message's (the worker words each message
    under ``force_locale``); English (as in the UK) outside both."""
    return _uk(str(get_locale() or "en") if has_app_context() else "en")


def money(pence: Fraction | int | None, *, always_pence: bool = False) -> str:
    """An amount in pence as pounds: "£12,500", "£12,500.50"; "" for None.

    Whole pounds are shown without pence unless ``always_pence``; a fraction of a penny is
    rounded to the nearest penny, halves away from zero."""
    if pence is None:
        return ""
    amount = Fraction(pence)
    sign = -1 if amount < 0 else 1
    whole_pence = int(abs(amount))
    if abs(amount) - whole_pence >= Fraction(1, 2):
        whole_pence += 1
    pounds, p = divmod(whole_pence, 100)
    if p or always_pence:
        value, pattern = sign * (Decimal(pounds) + Decimal(p) / 100), "¤#,##0.00"
    else:
        value, pattern = sign * pounds, "¤#,##0"
    return format_currency(value, "GBP", format=pattern, currency_digits=False, locale=locale())


def number(value: int | float | Fraction | None) -> str:
    """A number with the page's language's digit grouping: "1,204"."""
    if value is None:
        return ""
    if isinstance(value, Fraction):
        value = float(value)
    return format_decimal(value, locale=locale())


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th in English; 1af, 2il, 3ydd, 5ed, 7fed in Welsh."""
    category = locale().ordinal_form(n)
    pattern = ORDINALS.get(category, ORDINALS["other"])
    return str(pattern) % {"n": n}


def london_time(value: datetime | None) -> str:
    """'23 November 2026 at 5:52pm' in London (GOV.UK style); '23 Tachwedd 2026 am 5:52yh'."""
    if value is None:
        return ""
    local = in_london(value)
    here = locale()
    return gettext(
        "%(date)s at %(time)s",
        date=format_date(local, "d MMMM y", locale=here),
        time=format_time(local, "h:mmaaaa", locale=here),
    )


def clock_time(value: datetime) -> str:
    """'17:52:08': the time on a London clock to the second, for a page that says when its
    figures were read (the same in both languages)."""
    return in_london(value).strftime("%H:%M:%S")


def long_date(value: date | datetime | None) -> str:
    """'23 November 2026'; for a time, the day it is in London."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = london_date(value)
    return format_date(value, "d MMMM y", locale=locale())


def long_date_in(value: date, language: str) -> str:
    """'23 November 2026' in ``language``: for what is written with no page to take the
    language from (a message, worded by the worker)."""
    return format_date(value, "d MMMM y", locale=_uk(language))


def register(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(number, "number")
    app.add_template_filter(ordinal, "ordinal")
    app.add_template_filter(london_time, "london_time")
    app.add_template_filter(long_date, "long_date")
