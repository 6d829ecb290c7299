"""The exact money of every ballot group during one MES run, and exact prices from it.

A voter who has not run out of money holds exactly ``b0 - sum over rounds t of price[t] *
sat_t`` where ``sat_t`` is their satisfaction from round t's project (0 if they did not
support it). The ledger keeps those satisfactions as an integer matrix (ballot group x round)
and the prices as integers over one common denominator ``den`` (the prices' and the share's):
``b0n / den`` is the share, ``pnum[t] / den`` round t's price. The money of any set of groups
is then ``b0n * weight - sum_t pnum[t] * (integer column sum)`` over ``den``: a handful of
exact operations per round, whatever the number of voters, on Python integers rather than
``Fraction``s (each of which costs a gcd). ``den`` grows, and every numerator with it, when a
price brings a new factor. Voters who paid all they had are flagged as holding exactly 0.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["NEVER", "Ledger"]

NEVER = np.iinfo(np.int64).max  # a ballot group that never ran out of money


class Ledger:
    """Every ballot group's money in one run, exactly (``start`` begins a run)."""

    __slots__ = (
        "b0",
        "b0n",
        "den",
        "gone_round",
        "most_rounds",
        "paid",
        "pnum",
        "prices",
        "prices_f",
        "smat",
        "used",
        "zero",
    )

    def __init__(self, groups: int, most_rounds: int):
        """``groups`` ballot groups; at most ``most_rounds`` rounds (one per candidate)."""
        self.most_rounds = max(most_rounds, 1)
        # Satisfaction of each ballot group from each round's project; grown as rounds come.
        self.smat = np.zeros((groups, min(self.most_rounds, 16)), dtype=np.int32)
        self.used = 0  # columns of ``smat`` filled in this run
        self.b0 = Fraction(0)  # the share each voter starts with
        self.den = 1
        self.b0n = 0
        self.pnum: list[int] = []
        self.prices: list[Fraction] = []
        self.prices_f = np.zeros(self.smat.shape[1])  # the prices as floats, for the filter
        self.zero = np.zeros(groups, dtype=bool)  # known to hold exactly nothing
        # Tracked runs only (explanations): the round in which each ballot group ran out of
        # money, so that what it paid each round can be worked out afterwards (``paid_nums``).
        self.gone_round: np.ndarray | None = None
        self.paid: dict[int, tuple[int, list[int]]] = {}  # ``paid_nums`` kept per project

    def start(self, b0: Fraction, track: bool) -> None:
        """A new run: every voter holds ``b0``; ``track`` notes when each group runs out."""
        groups = self.smat.shape[0]
        self.b0 = b0
        self.den = b0.denominator
        self.b0n = b0.numerator
        self.pnum = []
        self.prices = []
        self.prices_f = np.zeros(self.smat.shape[1])
        self.smat[:, : self.used] = 0
        self.used = 0
        self.zero = np.zeros(groups, dtype=bool)
        self.gone_round = np.full(groups, NEVER, dtype=np.int64) if track else None
        self.paid = {}

    def money_num(self, groups: np.ndarray, weights: np.ndarray) -> int:
        """Exact money held by ``weights[i]`` voters of each of ``groups`` (not run out), as
        a numerator over ``den``."""
        live = ~self.zero[groups]
        if not live.all():
            groups, weights = groups[live], weights[live]
        if groups.size == 0:
            return 0
        total = self.b0n * int(weights.sum())
        r = len(self.pnum)
        if r:
            cols = weights.astype(np.int64) @ self.smat[groups, :r].astype(np.int64)
            total -= sum(n * c for n, c in zip(self.pnum, cols.tolist(), strict=True) if c)
        return total

    def money_of(self, groups: np.ndarray, weights: np.ndarray) -> Fraction:
        """Exact money held by ``weights[i]`` voters of each of ``groups`` (not run out)."""
        return Fraction(self.money_num(groups, weights), self.den)

    def value_num(self, g: int) -> int:
        """One voter of group ``g``'s money, as a numerator over ``den``."""
        if self.zero[g]:
            return 0
        row = self.smat[g, : len(self.pnum)].tolist()
        return self.b0n - sum(n * c for n, c in zip(self.pnum, row, strict=True) if c)

    def value(self, g: int) -> Fraction:
        """One voter of group ``g``'s money."""
        return Fraction(self.value_num(g), self.den)

    def price(self, cost: int, groups, values, weights, below, near, above):
        """The exact price per unit of satisfaction of a project costing ``cost``, and what
        its supporters ``below`` pay (all they have), as a numerator over ``den``.

        ``groups``, ``values``, ``weights``: its supporters' groups, satisfactions and
        voters. Those in ``below`` (a mask) pay all they have, those in ``above`` (a mask)
        the price; those ``near`` it (positions) are sorted exactly.
        """
        # A supporter's money per unit is v / m (over den), compared by cross-multiplication;
        # one Fraction at the end.
        paid = self.money_num(groups[below], weights[below])
        paid_below = paid
        weight = int(weights[above] @ values[above])
        entries = []
        for i in near.tolist():
            g, m, w = int(groups[i]), int(values[i]), int(weights[i])
            v = self.value_num(g)
            entries.append((Fraction(v, m) if m != 1 else v, v, m, w))
            weight += m * w
        entries.sort()
        due = cost * self.den
        for _, v, m, w in entries:
            # q = (due - paid) / (weight * den) is at most v / (m * den)
            if (due - paid) * m <= v * weight:
                break
            paid += v * w
            weight -= m * w
        return Fraction(due - paid, weight * self.den), paid_below

    def add_round(self, q: Fraction, groups: np.ndarray, values: np.ndarray) -> int:
        """A round's price ``q``, paid by ``groups`` with satisfactions ``values``: its column."""
        r = len(self.prices)
        if r == self.smat.shape[1]:
            grown = np.zeros((self.smat.shape[0], min(2 * r, self.most_rounds)), dtype=np.int32)
            grown[:, :r] = self.smat
            self.smat = grown
            self.prices_f = np.concatenate([self.prices_f, np.zeros(grown.shape[1] - r)])
        self.used = r + 1
        self.smat[groups, r] = values
        self.prices.append(q)
        den, qd = self.den, q.denominator
        if den % qd:
            grown_den = math.lcm(den, qd)
            k = grown_den // den
            self.pnum = [n * k for n in self.pnum]
            self.b0n *= k
            self.den = den = grown_den
        self.pnum.append(q.numerator * (den // qd))
        self.prices_f[r] = float(q)
        return r

    def floats(self, groups: np.ndarray, b0f: float) -> np.ndarray:
        """The money of one voter of each of ``groups`` in floats (``b0f``: the share)."""
        r = self.used
        return b0f - self.smat[groups, :r] @ self.prices_f[:r]

    def paid_nums(self, key: int, groups: np.ndarray, weights: np.ndarray, rounds: int):
        """After a tracked run: what ``weights[i]`` voters of each of ``groups`` paid together
        in each of the first ``rounds`` rounds, as numerators over ``den`` (kept per ``key``).

        A ballot group still holding money after round t paid ``price[t] * sat``; the group
        that ran out in round t paid all it held before it (``b0`` less its earlier
        payments); one that had run out earlier paid nothing.
        """
        rounds = min(rounds, len(self.prices))
        if rounds == 0:
            return []
        kept = self.paid.get(key)
        if kept is not None and kept[0] == rounds:
            return kept[1]
        w = weights.astype(np.int64)
        sat = self.smat[groups, :rounds].astype(np.int64)
        gone = self.gone_round[groups]
        live = gone[:, None] > np.arange(1, rounds + 1)[None, :]
        full = (w @ (sat * live)).tolist()
        # Prices over their common denominator: the sums below are then of Python integers,
        # many times faster than of Fractions (explanations for a large pot stay quick).
        nums = self.pnum[:rounds]
        out = [n * c for n, c in zip(nums, full, strict=True)]
        ran_out = gone <= rounds
        for t in np.unique(gone[ran_out]).tolist():
            last = gone == t
            wl = w[last]
            earlier = (wl @ sat[last, : t - 1]).tolist()
            out[t - 1] += self.b0n * int(wl.sum()) - sum(
                n * c for n, c in zip(nums, earlier, strict=False)
            )
        self.paid[key] = (rounds, out)
        return out
