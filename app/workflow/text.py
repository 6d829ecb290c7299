"""Words for numbers, shared by the workflow's messages and the pages: money in pounds, counted
nouns, "once"/"twice"."""

from __future__ import annotations


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
