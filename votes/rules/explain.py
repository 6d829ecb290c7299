"""Small helpers for the plain-English explanations every rule gives for every project."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

MoneyFormat = Callable[[Fraction], str]


def plain_money(amount: Fraction) -> str:
    """Money as a plain number in the election's own units: ``12,000`` or ``3.10``.

    Whole amounts get no decimals; others are rounded to two decimals (a price per supporter
    is often an unending fraction; the exact value is in the details).
    """
    amount = Fraction(amount)
    if amount.denominator == 1:
        return f"{amount.numerator:,}"
    return f"{float(amount):,.2f}"


def frac(x: Fraction | int) -> str:
    """An exact number for ``details``: ``"12"`` or ``"25/3"``."""
    return str(Fraction(x))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def each_of(supporters: int) -> str:
    """ "each of its 412 supporters", or "its only supporter"."""
    if supporters == 1:
        return "its only supporter"
    return f"each of its {plural(supporters, 'supporter')}"
