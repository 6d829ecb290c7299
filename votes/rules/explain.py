"""Small helpers for the explanations every rule gives for every project.

The sentences are ``votes.i18n`` texts, put into words in a language when the count is done.
Counted nouns, places and lists come from ``votes.text`` (``plural``, ``ordinal`` and
``and_list``, which is ``votes.text.join_list``, are importable from here too).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from votes.i18n import _
from votes.text import join_list as and_list
from votes.text import ordinal, plural

__all__ = [
    "FUNDED",
    "NOBODY",
    "NOT_FUNDED",
    "TOO_DEAR",
    "MoneyFormat",
    "and_list",
    "divide",
    "frac",
    "ordinal",
    "percent",
    "plain_money",
    "plural",
    "sentence",
]

MoneyFormat = Callable[[Fraction], str]

# Translators: the first sentence of a funded project's explanation.
FUNDED = _("Funded.")
# Translators: the first sentence of an explanation of a project that was not funded.
NOT_FUNDED = _("Not funded.")
# Translators: a whole explanation: nobody chose the project.
NOBODY = _("Not funded: no ballot chose it.")
# Translators: a whole explanation: the project costs more than the pot has.
TOO_DEAR = _("Not funded: it costs more than the whole budget.")


def plain_money(amount: Fraction) -> str:
    """Money as a plain number in the election's own units: ``12,000`` or ``3.10``.

    Whole amounts get no decimals; others are rounded to two decimals (a price per supporter
    is often an unending fraction; the exact value is in the details).
    """
    # Ints and Fractions are read as they are: ``Fraction(x)`` of a Fraction costs an
    # abstract-base-class check, and a count formats hundreds of amounts.
    if type(amount) is int:
        return f"{amount:,}"
    if type(amount) is not Fraction:
        amount = Fraction(amount)
    if amount.denominator == 1:
        return f"{amount.numerator:,}"
    return f"{amount.numerator / amount.denominator:,.2f}"


def divide(x: Fraction | int, n: int) -> Fraction:
    """``x / n`` for an int or a Fraction ``x`` and a positive int ``n``: the same value as
    ``Fraction(x) / n``, built with one gcd (money is turned back into the election's units
    many times in every count's explanations)."""
    if type(x) is int:
        return Fraction(x, n)
    if type(x) is Fraction:
        return Fraction(x.numerator, x.denominator * n)
    return Fraction(x) / n


def frac(x: Fraction | int) -> str:
    """An exact number for ``details``: ``"12"`` or ``"25/3"``."""
    if type(x) is int or type(x) is Fraction:
        return str(x)
    return str(Fraction(x))


def sentence(text: str) -> str:
    """``text`` with its first letter in capitals (the rest untouched, unlike ``capitalize``)."""
    return text[:1].upper() + text[1:]


def percent(x: Fraction) -> str:
    """A share as a whole percentage, rounded down: "38%". Rounding down keeps anything short
    of the whole below "100%" and anything that reaches it at "100%" or more."""
    if type(x) is int:
        return f"{x * 100:,}%"
    if type(x) is not Fraction:
        x = Fraction(x)
    return f"{x.numerator * 100 // x.denominator:,}%"
