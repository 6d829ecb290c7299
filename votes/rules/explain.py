"""Small helpers for the plain-English explanations every rule gives for every project."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

MoneyFormat = Callable[[Fraction], str]


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


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def and_list(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


def each_of(voters: int) -> str:
    """ "each of the 412 voters who chose it", or "the one voter who chose it"."""
    if voters == 1:
        return "the one voter who chose it"
    return f"each of the {voters:,} voters who chose it"
