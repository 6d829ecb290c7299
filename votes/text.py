"""Words for counted things, places and money, shared by every sentence ``votes`` writes.

Explanations of a count, ballot problems and command-line messages all use these, so the same
thing reads the same everywhere: "1 ballot", "1,204 ballots", "3rd", "a, b and c", "£12,500".

``times``, ``ordinal`` and ``join_list`` take a ``language`` (a code such as "cy", or a
``votes.i18n.Translator``) and write in it, from its catalogue; without one, English. ``plural``
is for English only: its noun is any word, which no catalogue can hold; a translatable count is
a whole text marked with ``votes.i18n.ngettext`` (``ngettext("%(num)s ballot", "%(num)s
ballots", n)``), whose forms the catalogue gives. ``money`` is the same in every language (a
caller may pass its own formatter where it is used).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from votes.i18n import Translator

__all__ = ["join_list", "money", "ordinal", "plural", "times"]


def plural(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 ballot", "2 ballots", "1,204 ballots"; ``plural`` for irregular nouns."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def times(n: int, language: str | Translator | None = None) -> str:
    """ "once", "twice", "3 times", "1,204 times"; in ``language`` when given."""
    if language is not None:
        return _translator(language).times(n)
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def ordinal(n: int, language: str | Translator | None = None) -> str:
    """ "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "112th"; in ``language``
    when given."""
    if language is not None:
        return _translator(language).ordinal(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join_list(
    items: Iterable[str], conjunction: str = "and", language: str | Translator | None = None
) -> str:
    """ "a", "a and b", "a, b and c" (no comma before the conjunction, GOV.UK style); in
    ``language`` when given (``conjunction`` "and" or "or")."""
    if language is not None:
        return _translator(language).join(items, conjunction)
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def money(pence: Fraction | int | None, *, always_pence: bool = False) -> str:
    """An amount in pence as pounds: ``1250000`` -> ``"£12,500"``, ``1250050`` -> ``"£12,500.50"``.

    Whole pounds are shown without pence unless ``always_pence`` (``"£12,500.00"``). A fraction
    of a penny is rounded to the nearest penny (halves away from zero). Negative amounts get a
    leading minus: ``"-£5.25"``. ``None`` (an amount not set) is the empty string.
    """
    if pence is None:
        return ""
    # Ints are read as they are: a count's explanations format hundreds of amounts.
    amount = pence if type(pence) is int else Fraction(pence)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    whole_pence = int(amount)
    if amount - whole_pence >= Fraction(1, 2):
        whole_pence += 1
    pounds, p = divmod(whole_pence, 100)
    if p or always_pence:
        return f"{sign}£{pounds:,}.{p:02d}"
    return f"{sign}£{pounds:,}"


def _translator(language: str | Translator) -> Translator:
    from votes.i18n import translator

    return translator(language)
