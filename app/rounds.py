"""The council workflow for funding rounds: splitting a budget into pots, and the like."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction


def split_budget(total_pence: int, weights: Sequence[int | Decimal | Fraction]) -> list[int]:
    """Split ``total_pence`` in proportion to ``weights``, adding up to the total exactly.

    Each share is first rounded down to the penny; the pennies left over (fewer than the number
    of shares) go one each to the shares with the largest remainders, ties to the earlier share
    (largest remainder method). All-zero weights split equally. Negative weights are refused.
    """
    if total_pence < 0:
        raise ValueError("the total must not be negative")
    if not weights:
        raise ValueError("nothing to split between")
    exact = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("weights must not be negative")
    if sum(exact) == 0:
        exact = [Fraction(1)] * len(exact)
    whole = sum(exact)
    ideal = [total_pence * w / whole for w in exact]
    shares = [int(x) for x in ideal]  # floor: every ideal share is non-negative
    left = total_pence - sum(shares)
    order = sorted(range(len(ideal)), key=lambda i: (-(ideal[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares
