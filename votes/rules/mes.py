"""The Method of Equal Shares (MES), its greedy completion and its "add one" budget search.

Every voter gets an equal share of the budget. In each round, among the projects whose
supporters still have enough money between them, the one that is cheapest for its supporters
is funded: each supporter pays the same amount per unit of satisfaction (``rho``), except
those who cannot, who pay all they have left. The round's winner is the project with the
smallest ``rho``; for cost satisfaction (approval ballots) ``rho`` is the price per supporter
divided by the project's cost. Exact ties are broken by the tie-break. The count stops when
no project is affordable.

Exactness. Budgets are tracked exactly: every voter's money is one of a few values (all
voters start equal and a round only subtracts the same price per unit from its payers), so
each ballot group points at a "money class" whose value is a ``Fraction``. The search for a
round's winner runs on floats (numpy, one vector per project) only as a filter: every project
whose float ``rho`` is within a safe margin of the best is recomputed exactly from the money
classes, and the winner, its price and every payment are exact. Floats never decide.

Speed. Identical ballots are grouped; a project's ``rho`` only goes up as money is spent, so
the last computed value is a lower bound and most projects need no recomputation in a round
(the lazy evaluation equalshares.net describes).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from votes.model import ProjectExplanation, TieBreak
from votes.rules.explain import MoneyFormat, and_list, divide, frac, percent, plural, sentence
from votes.rules.greedy import explain_step
from votes.rules.greedy import run as greedy_run
from votes.rules.profile import Profile, ProjectSat

# Relative margin under which float results are recomputed exactly. Float error in these
# sums is about 1e-16 times the number of terms, far below this.
MARGIN = 1e-9
EPS = 2.0**-52
_ZERO = Fraction(0)
_NEVER = np.iinfo(np.int64).max  # a ballot group that never ran out of money


@dataclass(frozen=True)
class Payment:
    round: int  # 1-based
    price: Fraction  # price per unit of satisfaction (per supporter for approval), engine money
    full: int  # voters who paid the full price
    partial: int  # voters who could not and paid all they had left
    partial_paid: Fraction  # what those paid together, engine money
    max_paid: Fraction  # the largest single payment, engine money
    # Tracked runs only: what its supporters held between them just before it was funded
    # (engine money), and how many of the ``partial`` payers had nothing left at all.
    money_before: Fraction = _ZERO
    empty: int = 0


@dataclass
class MESResult:
    selected: list[int]
    unit: int  # engine money = election money * unit
    payments: dict[int, Payment] = field(default_factory=dict)
    # Unfunded supported projects: the round after which supporters no longer had enough
    # (0: not even at the start), and their money at that point (engine money).
    unaffordable: dict[int, tuple[int, Fraction]] = field(default_factory=dict)
    # With ``param``: every per-voter budget in [b0, stable_until) gives this same selection.
    stable_until: float = 0.0


def overlaps(profile: Profile, n: int) -> np.ndarray:
    """``overlap[p, o]``: some ballot names both p and o, so paying for p can change o's price.

    Each ballot's projects as a bitmask (64 projects per word), then per project the union of
    the masks of the ballots naming it: linear in the number of ballot entries.
    """
    overlap = np.zeros((n, n), dtype=bool)
    groups, projects = profile.flat_group, profile.flat_project  # sorted by group
    if groups.size == 0:
        return overlap
    longest = int(profile.flat_length.max())
    if longest <= 8:
        # Short ballots: every pair of entries of one ballot, as offsets within the flat
        # arrays (a ballot's entries are consecutive): a few array operations per offset.
        flat = overlap.ravel()
        flat[projects * (n + 1)] = True
        for d in range(1, longest):
            same = groups[d:] == groups[:-d]
            a, b = projects[:-d][same], projects[d:][same]
            flat[a * n + b] = True
            flat[b * n + a] = True
        return overlap
    words = (n + 63) // 64
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ballot_of_entry = np.cumsum(np.r_[0, (groups[1:] != groups[:-1]).astype(np.int64)])
    bit = np.left_shift(np.uint64(1), (projects % 64).astype(np.uint64))
    word = projects // 64
    masks = np.zeros((starts.size, words), dtype=np.uint64)
    for w in range(words):
        masks[:, w] = np.bitwise_or.reduceat(np.where(word == w, bit, np.uint64(0)), starts)
    order = np.argsort(projects, kind="stable")
    named = projects[order]
    first = np.flatnonzero(np.r_[True, named[1:] != named[:-1]])
    unions = np.bitwise_or.reduceat(masks[ballot_of_entry[order]], first, axis=0)
    bits = np.unpackbits(unions.astype("<u8").view(np.uint8), axis=1, bitorder="little")
    overlap[named[first]] = bits[:, :n].astype(bool)
    return overlap


class Engine:
    """MES on one profile and satisfaction measure; ``run`` can be called for many budgets.

    ``sigma[p]`` turns a price per unit of satisfaction into the ``rho`` compared between
    projects: the project's cost for cost satisfaction, 1 otherwise.

    Exact money. A voter who has not run out of money holds exactly
    ``b0 - sum over rounds t of price[t] * sat_t`` where ``sat_t`` is their satisfaction from
    round t's project (0 if they did not support it). The engine keeps those satisfactions as
    an integer matrix (ballot group x round) and the prices as ``Fraction``; the money of any
    set of groups is then ``b0 * weight - sum_t price[t] * (integer column sum)``: a handful of
    exact operations per round, whatever the number of voters. Voters who paid all they had
    are flagged as holding exactly 0.
    """

    def __init__(self, profile: Profile, sats: list[ProjectSat], cost_sat: bool, tie_key):
        self.profile = profile
        n = max(profile.voters, 1)
        self.unit = profile.scale * n
        self.costs = [c * n for c in profile.costs]  # engine money: election money * scale * n
        self.budget = profile.budget * n
        self.w = profile.weights
        self.wf = profile.weights.astype(np.float64)
        self.sats = sats
        self.tie_key = tie_key
        self.sigma = list(self.costs) if cost_sat else [1] * len(self.costs)
        self.sup_w = [self.w[s.groups] for s in sats]
        self.sup_wf = [self.wf[s.groups] for s in sats]
        self.sup_mf = [s.values.astype(np.float64) for s in sats]
        self.binary = [s.binary for s in sats]
        self.wm = [int(np.dot(sw, s.values)) for sw, s in zip(self.sup_w, sats, strict=True)]
        self.wmf = [sw * mf for sw, mf in zip(self.sup_wf, self.sup_mf, strict=True)]
        # Supported projects with a cost take part in rounds; supported free ones are funded
        # first (as pabutools does); unsupported ones never are.
        self.free = sorted(
            (p for p in range(len(sats)) if self.wm[p] > 0 and self.costs[p] == 0), key=tie_key
        )
        self.candidates = [p for p in range(len(sats)) if self.wm[p] > 0 and self.costs[p] > 0]
        # Satisfaction of each ballot group from each round's project; grown as rounds come.
        self.smat = np.zeros((len(self.w), min(max(len(self.candidates), 1), 16)), dtype=np.int32)
        self.smat_used = 0
        # overlap[p, o]: some ballot supports both p and o (paying for p can change o's price).
        self.overlap = overlaps(profile, len(sats))

    # -- one run -------------------------------------------------------------------------

    def run(
        self,
        per_voter: Fraction | int,
        track: bool = False,
        param: bool = False,
        fast: bool = False,
        param_above: float = -math.inf,
    ) -> MESResult:
        """MES with ``per_voter`` engine money per voter. ``track`` records explanations.

        ``param`` (approval ballots only): also work out how far the per-voter budget can
        grow with every decision of this run staying the same (``MESResult.stable_until``).
        ``param_above``: the caller has no use for a ``stable_until`` up to this budget; once
        the bound has come down to it (it only comes down), the analysis stops, and
        ``stable_until`` is ``per_voter`` (nothing claimed beyond it).

        ``fast`` (approval ballots only, for the budget search): run on floats alone while
        every decision is certain by a wide margin (a running bound on the float error is
        kept), comparing tied prices exactly where nobody is capped (the price is then cost
        over supporters, integers); at the first decision that is not certain, the run is
        redone exactly. The selection is the exact one either way; payments are not kept.
        """
        if fast and all(self.binary[p] for p in self.candidates):
            try:
                return self._run(per_voter, False, param, param_above, exact=False)
            except _Uncertain:
                pass
        return self._run(per_voter, track, param, param_above, exact=True)

    def _run(self, per_voter, track: bool, param: bool, param_above, exact: bool) -> MESResult:
        self.exact = exact
        # Tracked runs only (explanations): the round in which each ballot group ran out of
        # money, so that what it paid each round can be worked out afterwards (``paid_by``).
        self.tracking = track
        self.gone_round = np.full(len(self.w), _NEVER, dtype=np.int64) if track else None
        self._paid: dict[int, tuple[int, list[int]]] = {}  # see ``_paid_nums``
        # Bound on the float error of each group's money (fast mode).
        self.errs = np.full(len(self.w), 4 * EPS * float(per_voter))
        self.err_max = 4 * EPS * float(per_voter)
        self.q_last = [0.0] * len(self.sats)
        self.b0 = Fraction(per_voter)
        self.b0f = float(per_voter)
        # Exact money as integers over one common denominator ``den`` (the prices' and the
        # share's): ``b0n / den`` is the share, ``pnum[t] / den`` round t's price. Sums of
        # money are then sums of Python integers, not of ``Fraction``s (each of which costs
        # a gcd); ``den`` grows (and every numerator with it) when a price brings a new factor.
        self.den = self.b0.denominator
        self.b0n = self.b0.numerator
        self.pnum: list[int] = []
        # Exact money found while pricing projects in the current round (see ``_pay``).
        self._priced: dict[int, int] = {}
        self._priced_below: dict[int, tuple[np.ndarray, int]] = {}
        self.bud = np.full(len(self.w), self.b0f)
        self.zero = np.zeros(len(self.w), dtype=bool)
        self.prices: list[Fraction] = []
        self.prices_f = np.zeros(self.smat.shape[1])
        self.smat[:, : self.smat_used] = 0
        self.smat_used = 0
        result = MESResult(list(self.free), self.unit)
        for p in self.free:
            result.payments[p] = Payment(0, Fraction(0), 0, 0, Fraction(0), Fraction(0))
        if self.profile.voters == 0:
            return result
        heap = []
        for p in self.candidates:
            lower = self.costs[p] / (self.sigma[p] * self.wm[p])
            heap.append((lower * (1 - MARGIN), p))
        heapq.heapify(heap)
        unaffordable: set[int] = set()
        par = _Parametric(self, heap) if param else None
        dirty = np.ones(len(self.sats), dtype=bool)
        known: dict[int, tuple[float, float]] = {}
        if track:
            self._track(result, 0)
        rnd = 0
        while heap:
            best, best_tol = float("inf"), 0.0
            evaluated = []
            while heap and heap[0][0] <= best + best_tol:
                _, p = heapq.heappop(heap)
                if not dirty[p]:
                    # Nobody who supports p has paid since p was last priced: same price.
                    r = known[p]
                else:
                    r = self._rho_float(p)
                    if r is None:
                        unaffordable.add(p)
                        if par:
                            par.removed(p)
                        continue
                    known[p], dirty[p] = r, False
                    if par:
                        par.evaluated(p, r[0], r[1])
                evaluated.append((r[0], r[1], p))
                if r[0] < best:
                    best, best_tol = r[0], r[1]
            if not evaluated:
                break
            close = [e for e in evaluated if e[0] - e[1] <= best + best_tol]
            winner, price = None, None
            options = []
            if not exact:
                options = self._choose_float(close)
                close = []
            for _, _, p in close:
                q = self._price_exact(p)
                if q is None:
                    unaffordable.add(p)
                    if par:
                        par.removed(p)
                else:
                    options.append((q / self.sigma[p], self.tie_key(p), p, q))
            if options:
                _, _, winner, price = min(options)
            for rho_f, tol, p in evaluated:
                if p != winner and p not in unaffordable:
                    heapq.heappush(heap, (rho_f - tol, p))
            if winner is None:
                continue
            rnd += 1
            result.selected.append(winner)
            result.payments[winner] = self._pay(winner, price, rnd, par)
            touched = self.overlap[winner]
            dirty |= touched
            if par:
                par.won(winner, price / self.sigma[winner], options)
                if par.until() <= param_above:
                    # Useless to the caller from here on, and it costs more than the run
                    # itself (where outcomes change at almost every budget, it comes down
                    # within a few rounds): stop, claiming nothing beyond this budget.
                    par = None
                    result.stable_until = self.b0f
            if track:
                self._track(result, rnd, touched)
        if par:
            result.stable_until = par.until()
        if track:
            self._settle(result)
        return result

    # -- float filter --------------------------------------------------------------------

    def _rho_float(self, p: int):
        """``(rho, margin)`` in floats, or None when the supporters cannot afford ``p``."""
        cost = self.costs[p]
        g = self.sats[p].groups
        b = self.bud[g]
        wf = self.sup_wf[p]
        money = float(np.dot(b, wf))
        if money < cost * (1 - MARGIN):
            return None
        if money <= cost * (1 + MARGIN):
            if not self.exact:
                raise _Uncertain
            if self._money_num(self.sats[p].groups, self.sup_w[p]) < cost * self.den:
                return None
        q, uncapped = self._solve_float(p, b)
        sigma = self.sigma[p]
        return q / sigma, MARGIN * (cost / max(uncapped, 1.0) + self.b0f) / sigma

    def _solve_float(self, p: int, b: np.ndarray) -> tuple[float, float]:
        """Float price per unit of satisfaction, and the satisfaction weight of full payers."""
        cost = self.costs[p]
        if self.binary[p]:
            ratio, wm = b, self.sup_wf[p]
        else:
            ratio, wm = b / self.sup_mf[p], self.wmf[p]
        total = float(self.wm[p])
        q = cost / total
        if ratio.min() >= q:
            return q, total
        # Start from the price found last time in this run: money only goes down, so the
        # price only goes up, and the passes below reach the price from any start under it.
        q = max(q, self.q_last[p])
        # Poor and rich: those who cannot pay the price pay all they have, which raises the
        # price for the others; repeat until nobody new falls short. Few passes are needed
        # (no sorting). Each pass: the capped as a 0/1 float vector, and the sums over them
        # as dot products with it (three numpy calls; a masked ``np.sum`` costs several times
        # more). The capped set only grows from pass to pass, so it has stopped changing
        # exactly when its weight (a sum of integers, exact in floats) has.
        wb = self.sup_wf[p] * b
        capped = np.empty(b.size)
        capped_weight = -1.0
        while True:
            np.less(ratio, q, out=capped)
            weight = float(np.dot(wm, capped))
            if weight == capped_weight:
                self.q_last[p] = q
                return q, total - weight
            capped_weight = weight
            uncapped = total - weight
            if uncapped <= 0:
                # Everyone capped: the supporters hold the cost (checked before), so the price
                # is where the last of them pays exactly all they have, and float rounding
                # put it a hair above that. Their largest money per unit is the price to
                # within rounding (an exact tie with it is settled exactly by the caller);
                # no full payer is left to narrow the margin.
                return float(ratio.max()), 0.0
            q = (cost - float(np.dot(wb, capped))) / uncapped

    # -- exact ---------------------------------------------------------------------------

    def _money_num(self, groups: np.ndarray, weights: np.ndarray) -> int:
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

    def _money_of(self, groups: np.ndarray, weights: np.ndarray) -> Fraction:
        """Exact money held by ``weights[i]`` voters of each of ``groups`` (not run out)."""
        return Fraction(self._money_num(groups, weights), self.den)

    def _value_num(self, g: int) -> int:
        """One voter of group ``g``'s money, as a numerator over ``den``."""
        if self.zero[g]:
            return 0
        row = self.smat[g, : len(self.pnum)].tolist()
        return self.b0n - sum(n * c for n, c in zip(self.pnum, row, strict=True) if c)

    def _value(self, g: int) -> Fraction:
        return Fraction(self._value_num(g), self.den)

    def _money_exact(self, p: int) -> Fraction:
        return self._money_of(self.sats[p].groups, self.sup_w[p])

    def _split(self, p: int, q: float, band: float):
        """Supporters of ``p`` (positions) below, near and above the float price ``q``."""
        s = self.sats[p]
        ratio = self.bud[s.groups] / self.sup_mf[p]
        below = ratio < q - band
        above = ratio > q + band
        near = ~(below | above)
        return below, np.flatnonzero(near), above

    def _price_exact(self, p: int) -> Fraction | None:
        """The exact price per unit of satisfaction, or None if ``p`` is unaffordable.

        Supporters whose money per unit is clearly below the float price pay all they have,
        those clearly above pay the price; only those near it are sorted exactly. A result
        that contradicts the float one falls back to sorting every supporter exactly.
        """
        s = self.sats[p]
        cost = self.costs[p]
        money = self._money_num(s.groups, self.sup_w[p])
        if money < cost * self.den:
            return None
        self._priced[p] = money
        q_f, uncapped = self._solve_float(p, self.bud[s.groups])
        band = MARGIN * (q_f + cost / max(uncapped, 1.0) + self.b0f)
        below, near, above = self._split(p, q_f, band)
        q = self._sequential(p, below, near, above)
        if abs(float(q) - q_f) > band:  # pragma: no cover - float far off: do it all exactly
            everyone = np.arange(s.groups.size)
            q = self._sequential(p, np.zeros(s.groups.size, dtype=bool), everyone, everyone < 0)
        return q

    def _sequential(self, p: int, below, near: np.ndarray, above) -> Fraction:
        # Money in numerators over ``den``: a supporter's money per unit is v / m (over den),
        # compared by cross-multiplication; one Fraction at the end.
        s = self.sats[p]
        paid = self._money_num(s.groups[below], self.sup_w[p][below])
        self._priced_below[p] = (below, paid)
        weight = int(self.sup_w[p][above] @ s.values[above])
        entries = []
        for i in near.tolist():
            g, m, w = int(s.groups[i]), int(s.values[i]), int(self.sup_w[p][i])
            v = self._value_num(g)
            entries.append((Fraction(v, m) if m != 1 else v, v, m, w))
            weight += m * w
        entries.sort()
        due = self.costs[p] * self.den
        for _, v, m, w in entries:
            # q = (due - paid) / (weight * den) is at most v / (m * den)
            if (due - paid) * m <= v * weight:
                break
            paid += v * w
            weight -= m * w
        return Fraction(due - paid, weight * self.den)

    def _pay(self, p: int, q: Fraction, rnd: int, par=None) -> Payment:
        if not self.exact:
            return self._pay_float(p, q, rnd, par)
        s = self.sats[p]
        den = self.den
        # The winner was priced in this round, with the money of the same state: what that
        # found (its supporters' money, and that of those below the float price) is reused.
        money_before = _ZERO
        if self.tracking:
            num = self._priced.get(p)
            if num is None:
                num = self._money_num(s.groups, self.sup_w[p])
            money_before = Fraction(num, den)
        qf = float(q)
        band = MARGIN * (qf + self.b0f)
        below, near, above = self._split(p, qf, band)
        capped = below.copy()
        exhausted = np.zeros_like(below)  # paid exactly all they had, at the full price
        qn, qd = q.numerator, q.denominator
        for i in near.tolist():
            v = self._value_num(int(s.groups[i])) * qd  # money x qd x den
            due = qn * int(s.values[i]) * den
            if v < due:
                capped[i] = True
            elif v == due:
                exhausted[i] = True
        w = self.sup_w[p]
        below_then, num = self._priced_below.get(p, (None, None))
        if below_then is None or not np.array_equal(below_then, capped):
            num = self._money_num(s.groups[capped], w[capped])
        partial_paid = Fraction(num, den)
        self._priced.clear()
        self._priced_below.clear()
        partial = int(w[capped].sum())
        full = int(w.sum()) - partial
        paying = ~capped
        max_paid = q * int(s.values[paying].max()) if paying.any() else Fraction(0)
        if capped.any():
            live = capped & ~self.zero[s.groups]
            if live.any():
                richest = int(s.groups[live][np.argmax(self.bud[s.groups][live])])
                max_paid = max(max_paid, self._value(richest))
        if par:
            par.paying(p, qf, capped, exhausted)
        r = len(self.prices)
        if r == self.smat.shape[1]:
            grown = np.zeros((len(self.w), min(2 * r, len(self.candidates))), dtype=np.int32)
            grown[:, :r] = self.smat
            self.smat = grown
            self.prices_f = np.concatenate([self.prices_f, np.zeros(grown.shape[1] - r)])
        self.smat_used = r + 1
        self.smat[s.groups, r] = s.values
        self.prices.append(q)
        if den % qd:
            grown_den = math.lcm(den, qd)
            k = grown_den // den
            self.pnum = [n * k for n in self.pnum]
            self.b0n *= k
            self.den = den = grown_den
        self.pnum.append(qn * (den // qd))
        self.prices_f[r] = qf
        gone = s.groups[capped | exhausted]
        empty = 0
        if self.tracking:
            empty = int(w[capped & self.zero[s.groups]].sum())
            fresh = gone[~self.zero[gone]]
            self.gone_round[fresh] = rnd
        self.zero[gone] = True
        g = s.groups
        self.bud[g] = self.b0f - self.smat[g, : r + 1] @ self.prices_f[: r + 1]
        self.bud[gone] = 0.0
        return Payment(rnd, q, full, partial, partial_paid, max_paid, money_before, empty)

    def paid_by(self, p: int, rounds: int) -> list[Fraction]:
        """After a tracked run: what the supporters of ``p`` paid together in each of the
        first ``rounds`` rounds (engine money, exact), one entry per round.

        A ballot group still holding money after round t paid ``price[t] * sat``; the group
        that ran out in round t paid all it held before it (``b0`` less its earlier
        payments); one that had run out earlier paid nothing.
        """
        den = self.den
        return [Fraction(n, den) if n else _ZERO for n in self._paid_nums(p, rounds)]

    def _paid_nums(self, p: int, rounds: int) -> list[int]:
        """``paid_by`` as numerators over ``den``."""
        rounds = min(rounds, len(self.prices))
        if rounds == 0:
            return []
        kept = self._paid.get(p)
        if kept is not None and kept[0] == rounds:
            return kept[1]
        g = self.sats[p].groups
        w = self.sup_w[p].astype(np.int64)
        sat = self.smat[g, :rounds].astype(np.int64)
        gone = self.gone_round[g]
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
        self._paid[p] = (rounds, out)
        return out

    # -- floats with a certificate (fast mode) ---------------------------------------------

    def _choose_float(self, close):
        """The round's winner among ``close`` (float rho within margin of the best).

        One candidate: certain. Several: only if every one has nobody capped by a clear
        margin, so that its exact rho is cost / (sigma * supporters), compared exactly.
        Returns ``options`` as the exact path does: (rho, tie key, project, price per unit).
        """
        if self.err_max > 1e-12 * self.b0f:
            raise _Uncertain
        if len(close) == 1:
            rho_f, _, p = close[0]
            return [(rho_f, 0, p, rho_f * self.sigma[p])]  # floats: only fast mode reads them
        options = []
        for _, _, p in close:
            # Supporters who have run out (exactly 0, known for certain) drop out; the price
            # is exact when all the others can pay it with room to spare.
            live = ~self.zero[self.sats[p].groups]
            weight = int(self.sup_w[p][live].sum())
            q = self.costs[p] / weight
            band = MARGIN * (q + self.b0f)
            if self.bud[self.sats[p].groups[live]].min() < q + band:
                raise _Uncertain
            rho = Fraction(self.costs[p], self.sigma[p] * weight)
            options.append((rho, self.tie_key(p), p, rho * self.sigma[p]))
        best = min(options)
        return [best] + [o for o in options if o is not best]

    def _pay_float(self, p: int, q: Fraction, rnd: int, par=None) -> Payment:
        # This runs once per round of every run of the budget search, on short vectors: it
        # is written for few numpy calls (masked sums as dot products with the mask, the
        # nobody-capped case apart).
        g = self.sats[p].groups
        b = self.bud[g]
        qf = float(q)  # the float price from this round's evaluation of p
        left = b - qf
        if np.abs(left).min() <= MARGIN * (qf + self.b0f):
            raise _Uncertain
        capped = left < 0
        if par:
            par.paying(p, qf, capped, np.zeros_like(capped))
        # Error of the price: the capped money's error spread over the full payers, plus
        # rounding; every full payer's money then carries it on.
        cost = self.costs[p]
        errs = self.errs[g]
        if np.count_nonzero(capped):
            w = self.sup_wf[p]
            uncapped_weight = self.wm[p] - float(np.dot(w, capped))  # integers: exact
            capped_money = float(np.dot(w * b, capped))
            err_q = (float(np.dot(w * errs, capped)) + 8 * EPS * (cost + capped_money)) / max(
                uncapped_weight, 1.0
            )
            errs += err_q + 2 * EPS * self.b0f
            errs[capped] = 0.0
            left[capped] = 0.0
            self.zero[g[capped]] = True
        else:
            errs += 8 * EPS * cost / max(self.wm[p], 1) + 2 * EPS * self.b0f
        self.errs[g] = errs
        self.bud[g] = left
        # The largest error bound so far (``_choose_float`` needs it every round; zeroed
        # bounds are not taken off, which can only make it larger: more exact reruns).
        self.err_max = max(self.err_max, float(errs.max()))
        return _NOT_KEPT

    def _track(self, result: MESResult, rnd: int, touched: np.ndarray | None = None) -> None:
        """Note the projects that became unaffordable in this round, with their money then.

        ``touched``: a mask of the projects named with this round's winner; no other
        project's supporters paid, so none other can have become unaffordable (None: every
        candidate, at the start).
        """
        candidates = self.candidates
        if touched is not None:
            candidates = np.flatnonzero(touched).tolist()
        chosen = result.payments
        for p in candidates:
            if p in chosen or p in result.unaffordable or not self.wm[p] or not self.costs[p]:
                continue
            g = self.sats[p].groups
            money = float(np.dot(self.bud[g], self.sup_wf[p]))
            cost = self.costs[p]
            if money > cost * (1 + MARGIN):
                continue
            # A bound on the float error of ``money``: each group's money has one rounding
            # per round and the dot product one per term, each at most EPS of the share.
            slack = (4 * (len(self.pnum) + 2) + g.size) * EPS * self.b0f * self.wm[p]
            if money + slack < cost:
                # Certainly short: the exact money is worked out afterwards, with what its
                # supporters paid (``_settle``), rather than summed now.
                result.unaffordable[p] = (rnd, None)
                continue
            exact = self._money_num(g, self.sup_w[p])
            if exact < cost * self.den:
                result.unaffordable[p] = (rnd, Fraction(exact, self.den))

    def _settle(self, result: MESResult) -> None:
        """After a tracked run: the exact money of the supporters of each project noted as
        certainly short (``_track``), at the end of its round: their start money less what
        they had paid (a group that ran out had paid exactly its start money)."""
        for p, (rnd, money) in result.unaffordable.items():
            if money is None:
                paid = sum(self._paid_nums(p, rnd))
                left = self.b0n * int(self.sup_w[p].sum()) - paid
                result.unaffordable[p] = (rnd, Fraction(left, self.den))


# Fast mode keeps no payments (only the selection is used): one shared placeholder.
_NOT_KEPT = Payment(0, _ZERO, 0, 0, _ZERO, _ZERO)


class _Uncertain(Exception):
    """A float decision is too close to call: redo the run exactly."""


class _Parametric:
    """How far the per-voter budget b can grow before any decision of a run may change.

    Approval ballots only (each supporter's satisfaction is 1). Within a run every voter's
    money is an affine function of b as long as the run's decisions stay the same: who pays
    in full and who pays all they have in each round, which project wins each round, which
    projects are unaffordable. Each decision is a sign of an affine function of b; this class
    collects the first b at which any of them could change sign. Floats are used, with
    margins that only ever make the result smaller: a smaller bound means more runs, never a
    different outcome. Exact ties are allowed to persist only when both sides are constant.
    """

    def __init__(self, engine: Engine, heap):
        self.e = engine
        n = len(engine.sats)
        self.b0 = engine.b0f
        engine.beta = np.ones(len(engine.w))
        self.lb0 = np.full(n, np.inf)
        self.slope = np.zeros(n)
        self.hi = np.full(n, np.inf)  # absolute b up to which the lower bound is valid
        self.tol = np.zeros(n)
        self.flat = np.zeros(n, dtype=bool)  # price is exactly constant in b (nobody capped)
        self.alive = np.zeros(n, dtype=bool)
        for lower, p in heap:
            self.lb0[p], self.tol[p], self.alive[p] = lower, 0.0, True
        self.limit = np.inf
        self.win_slope = 0.0

    def until(self) -> float:
        room = max(self.limit - self.b0, 0.0)
        return self.b0 + room * (1 - 1e-7) - 1e-9 * self.b0

    def _cap(self, value: float) -> None:
        self.limit = min(self.limit, value)

    @staticmethod
    def _first_crossing(gap, rate, gap_err) -> float:
        """Smallest step at which ``gap - rate * step`` may reach 0 (gaps positive now)."""
        gap = np.asarray(gap, dtype=np.float64) - gap_err
        rate = np.asarray(rate, dtype=np.float64)
        if gap.size == 0:
            return np.inf
        if (gap <= 0).any():
            return 0.0
        closing = rate > 0
        if not closing.any():
            return np.inf
        return float((gap[closing] / rate[closing]).min())

    @staticmethod
    def _first_crossing1(gap: float, rate: float, gap_err: float) -> float:
        """``_first_crossing`` for one gap, in plain floats (no arrays for a single value)."""
        gap -= gap_err
        if gap <= 0:
            return 0.0
        return gap / rate if rate > 0 else np.inf

    def removed(self, p: int) -> None:
        """``p`` cannot be afforded now: until when does that stay true?"""
        e = self.e
        g = e.sats[p].groups
        w = e.sup_wf[p]
        money = float(np.dot(e.bud[g], w))
        growth = float(np.dot(e.beta[g], w))
        cost = e.costs[p]
        step = self._first_crossing1(cost - money, growth * (1 + 1e-9) + 1e-300, MARGIN * cost)
        self._cap(self.b0 + step)
        self.alive[p] = False

    def evaluated(self, p: int, rho: float, tol: float) -> None:
        e = self.e
        g = e.sats[p].groups
        b, beta, w = e.bud[g], e.beta[g], e.sup_wf[p]
        q = rho * e.sigma[p]
        band = MARGIN * (q + self.b0)
        capped = b < q
        near = np.abs(b - q) <= band
        self.lb0[p], self.tol[p] = rho, tol
        if near.any():
            self.slope[p], self.hi[p], self.flat[p] = 0.0, self.b0, False
            return
        wu = float(w[~capped].sum())
        dq = -float(np.dot(w[capped], beta[capped])) / wu
        self.slope[p] = dq / e.sigma[p]
        self.flat[p] = not (capped & (beta != 0)).any()  # the slope is exactly 0
        # rho, as a function of b, is convex while earlier rounds keep their structure (its
        # epigraph is a slice of the convex set where supporters' money, concave in rho and
        # affine in b, covers the cost). So this tangent line stays a lower bound for any
        # b: no limit of its own.
        self.hi[p] = np.inf

    def paying(self, p: int, q: float, capped, exhausted) -> None:
        """The winner pays: note its structure limit and update the money slopes."""
        e = self.e
        g = e.sats[p].groups
        b, beta, w = e.bud[g], e.beta[g], e.sup_wf[p]
        band = MARGIN * (q + self.b0)
        wu = float(w[~capped].sum())
        dq = -float(np.dot(w[capped], beta[capped])) / wu
        plain = ~capped & ~exhausted
        slack = 1e-9 * (np.abs(beta) + abs(dq)) + 1e-300
        step = min(
            self._first_crossing(q - b[capped], beta[capped] - dq + slack[capped], band),
            self._first_crossing(b[plain] - q, dq - beta[plain] + slack[plain], band),
        )
        if exhausted.any() and (beta[exhausted] - dq <= slack[exhausted]).any():
            step = 0.0  # paid exactly all they had and would run short with more money
        self._cap(self.b0 + step)
        self.win_slope = dq / e.sigma[p]
        self.win_flat = not (capped & (beta != 0)).any()
        new_beta = beta - dq
        new_beta[capped] = 0.0
        e.beta[g] = new_beta

    def won(self, p: int, rho: Fraction, options) -> None:
        """``p`` won this round at ``rho``: no other live project may undercut it."""
        self.alive[p] = False
        rho_f = float(rho)
        exact = {}
        for rho_o, _, o, _ in options:
            if o != p:
                exact[o] = rho_o - rho
        others = self.alive.copy()
        for o, gap in exact.items():
            others[o] = False
            if not self.alive[o]:
                continue
            self._cap(self.hi[o])
            rate = self.win_slope - self.slope[o]
            if gap == 0:
                # Tied now and p won the tie-break: o must not fall below p.
                slack = 1e-9 * (abs(self.slope[o]) + abs(self.win_slope)) + 1e-300
                steady = self.flat[o] and self.win_flat
                if not steady and self.slope[o] - self.win_slope <= slack:
                    self._cap(self.b0)
                continue
            slack = 1e-9 * (abs(self.slope[o]) + abs(self.win_slope)) + 1e-300
            self._cap(self.b0 + self._first_crossing1(float(gap), rate + slack, 0.0))
        idx = np.flatnonzero(others)
        if idx.size == 0:
            return
        self._cap(float(self.hi[idx].min()))
        gap = self.lb0[idx] - rho_f
        slack = 1e-9 * (np.abs(self.slope[idx]) + abs(self.win_slope)) + 1e-300
        rate = self.win_slope - self.slope[idx] + slack
        self._cap(self.b0 + self._first_crossing(gap, rate, self.tol[idx] + 1e-12 * rho_f))


# -- the rules ------------------------------------------------------------------------------


def first_budget(engine: Engine) -> Fraction:
    """The equal share B/n per voter, in engine money (an integer: engine money is scaled by n)."""
    return Fraction(engine.budget, max(engine.profile.voters, 1))


# Budgets run in lockstep after the first bound that fails (see ``add_one``).
FIRST_BATCH = 8


def add_one(engine: Engine, skip: bool = True) -> tuple[Fraction, int]:
    """MES with per-voter budget B/n, then floor(B/n)+1, +2, ... (in the election's money).

    Each outcome is kept while it costs at most B; the first that costs more ends the search
    and the last kept one is the result. The search also ends once every supported project is
    funded, since more money cannot change which projects are funded. Returns the per-voter
    budget of the kept outcome (engine money) and the number of MES runs.

    Budgets are not all tried one by one: a run also tells up to which per-voter budget every
    one of its decisions stays the same (``_Parametric``), and the budgets below that give the
    same outcome, so they are kept without running them. Where that bound does not reach the
    next budget, the following budgets are run together in lockstep (``mes_lockstep``). This
    gives exactly the outcome of the one-by-one search (``skip=False`` runs that one, for
    tests).
    """
    # Here, not at the top: ``mes_lockstep`` builds on this module.
    from votes.rules.mes_lockstep import OVER, Lockstep

    start = first_budget(engine)
    binary = skip and all(engine.binary[p] for p in engine.candidates)
    result = engine.run(start)
    selected = result.selected
    kept = start
    runs = 1
    per_voter = (start.numerator // start.denominator) // engine.unit
    supported = len(engine.candidates) + len(engine.free)
    # Working out how far a run's outcome provably holds costs more than the run; it pays
    # off where outcomes hold for many budgets. Where they do not (runs keep changing
    # structure at every step), the next budgets are run as a batch in lockstep
    # (``mes_lockstep``): a batch twice as long each time the bound fails again (up to
    # ``Lockstep.largest``), half as long after it lets budgets be skipped. A run drops the
    # bound as soon as it cannot reach past the next budget (same decisions, less work).
    lockstep, batch, size = None, False, 0
    while len(selected) < supported:
        if batch:
            batch = False
            budgets = [(per_voter + i) * engine.unit for i in range(1, size + 1)]
            outcomes = lockstep.run(budgets)
            runs += len(outcomes)
            within = outcomes[:-1] if outcomes[-1] is OVER else outcomes
            if within:
                selected = within[-1]
                kept = Fraction((per_voter + len(within)) * engine.unit)
            if outcomes[-1] is OVER:
                break
            per_voter += len(outcomes)
            continue
        per_voter += 1
        # A run's bound only helps if it reaches beyond the next budget (see below).
        attempt = engine.run(
            per_voter * engine.unit,
            param=binary,
            fast=skip,
            param_above=(per_voter + 2) * engine.unit,
        )
        runs += 1
        if sum(engine.costs[p] for p in attempt.selected) > engine.budget:
            break
        selected, kept = attempt.selected, Fraction(per_voter * engine.unit)
        if not binary or len(selected) >= supported:
            continue
        if math.isinf(attempt.stable_until):
            break  # nothing can change any more: every larger budget gives this outcome
        last = max(per_voter, math.ceil(attempt.stable_until / engine.unit) - 1)
        if last > per_voter + 1:
            per_voter = last
            kept = Fraction(per_voter * engine.unit)
            size //= 2
        else:
            if lockstep is None:
                lockstep = Lockstep(engine)
            batch, size = True, min(max(2 * size, FIRST_BATCH), lockstep.largest)
    return kept, runs


def equal_shares(
    profile: Profile,
    measure: str,
    cost_sat: bool,
    tie_break: TieBreak,
    fmt: MoneyFormat,
    completion: tuple[str, bool] | None = None,
    add1: bool = False,
) -> tuple[list[int], dict[int, ProjectExplanation]]:
    """An MES rule: the selection in order, and an explanation per project.

    ``measure``: the satisfaction (see ``Profile.sats``); ``cost_sat``: a supporter's
    satisfaction is the project's cost (approval "mes") rather than ``measure``'s value.
    ``completion``: ``(measure, per_cost)`` of a greedy pass that spends what MES left.
    ``add1``: search the per-voter budget upwards first (see ``add_one``).

    Explanations follow the money of the final (tracked) run. Every project's ``details``
    give ``share_per_voter``, the share each voter held in that run (with ``add1`` also
    ``first_share_per_voter``, B/n, where the search started). A project's *supporters* are
    the voters its measure gives positive satisfaction: for approval ballots those who chose
    it; for points (cumulative points, rank points, Borda scores) those who gave it points,
    so under Borda scoring a ballot that ranks it last is not one.

    *Effective support*, as in the explanations equalshares.net publishes for Method of
    Equal Shares deployments ("the supporters could cover X% of the cost"): the money its
    supporters held between them, divided by its cost, at the moment the count decided it.
    For a funded project, the moment it was chosen (``supporters_money``): 100% or more.
    For an unfunded one, the end of the round after which its supporters no longer had
    enough (``supporters_money_left``, ``unaffordable_after_round``; round 0 is the start):
    below 100%. Not defined for a project that costs nothing or that nobody supports.
    Unfunded projects also get ``paid_towards`` (what their supporters had paid to each
    funded project by then, exact), ``supporters_start_money`` and ``shortfall``, so that
    start money = the amounts paid + money left, and cost = money left + shortfall.
    """
    sats = profile.sats(measure)
    engine = Engine(profile, sats, cost_sat, profile.tie_key(tie_break))
    runs = 1
    first = first_budget(engine)
    per_voter = first
    if add1:
        per_voter, runs = add_one(engine)
    result = engine.run(per_voter, track=True)
    unit = engine.unit
    money = lambda x: divide(x, unit)  # noqa: E731 - engine money to election money
    words = _Words(profile, sats, engine.wm, measure)
    share = money(per_voter)
    common: dict[str, object] = {
        "phase": "mes",
        "share_per_voter": frac(share),
        "counted": "points" if words.points else "votes",
    }
    if add1:
        common["first_share_per_voter"] = frac(money(first))
        common["budget_search_runs"] = runs
    explanations: dict[int, ProjectExplanation] = {}
    for p in result.selected:
        explanations[p] = explain_funded(profile, words, p, result.payments[p], money, fmt, common)
    winners = result.selected[len(engine.free) :]  # round r's project is winners[r - 1]
    chosen = set(result.selected)
    for p in range(len(profile.ids)):
        if p in chosen:
            continue
        explanations[p] = explain_unfunded(
            profile, engine, words, p, result.unaffordable.get(p), winners, share, fmt, common
        )
    selected = list(result.selected)
    if completion is not None:
        measure2, per_cost = completion
        steps = greedy_run(profile, profile.totals(measure2), per_cost, tie_break, selected)
        for s in steps:
            mes = explanations[s.project]
            if not s.funded:
                left = fmt(profile.money(s.money_left))
                cost = fmt(profile.money(profile.costs[s.project]))
                reason = (
                    f"{mes.reason} The completion step, which spends what Equal Shares left, "
                    f"could not fund it either: {left} was left then, and it costs {cost}."
                )
                explanations[s.project] = ProjectExplanation("", False, reason, mes.details)
                continue
            selected.append(s.project)
            step = explain_step(
                profile,
                measure2,
                per_cost,
                s,
                fmt,
                phase="completion",
                prefix=_not_by_mes(mes, profile.money(profile.costs[s.project]), fmt)
                + "Funded in the completion step, from money Equal Shares left unspent. ",
            )
            details = {**mes.details, **step.details}
            explanations[s.project] = ProjectExplanation("", True, step.reason, details)
    return selected, explanations


class _Words:
    """Who a project's supporters are, in words, and the counts the sentences need."""

    def __init__(self, profile: Profile, sats: list[ProjectSat], totals: list[int], measure):
        # Points whenever the rule counts more than "chose it or not" (cumulative points,
        # rank points, Borda scores); approval ballots are counted in votes.
        self.points = measure != "approval"
        self.measure = measure
        self.totals = totals
        w = profile.weights
        self.supporters = [int(w[s.groups].sum()) for s in sats]
        named = np.bincount(
            profile.flat_project, weights=w[profile.flat_group], minlength=len(profile.ids)
        )
        self.named = [int(x) for x in named.tolist()]  # ballots naming it: its votes
        self.sats = sats

    def values(self, p: int) -> list[int]:
        """The points each of ``p``'s supporters gave it (one entry per ballot group)."""
        return [int(v) for v in self.sats[p].values.tolist()]

    def who(self, n: int) -> str:
        """ "the 12 voters who chose it", "the one voter who gave it points"."""
        did = "gave it points" if self.points else "chose it"
        return f"the one voter who {did}" if n == 1 else f"the {n:,} voters who {did}"

    def no_points(self) -> str:
        if self.measure == "borda":
            return "ranked it last, which scores no points"
        return "gave it no points"

    def others(self, p: int) -> str:
        """Ballots that chose ``p`` without giving it points, so its votes and supporters
        differ: said, so that the sentence agrees with the votes beside it."""
        extra = self.named[p] - self.supporters[p]
        if extra <= 0:
            return ""
        return f" {plural(extra, 'other ballot')} {self.no_points()}."

    def facts(self, p: int) -> dict[str, object]:
        out: dict[str, object] = {"supporters": self.supporters[p]}
        if self.points:
            out["points"] = self.totals[p]
        return out


def _not_by_mes(mes: ProjectExplanation, cost: Fraction, fmt) -> str:
    """The Equal Shares half of a completion project's explanation."""
    left = mes.details.get("supporters_money_left")
    support = mes.details.get("effective_support")
    if not mes.details.get("supporters"):
        return "Equal Shares could not fund it, as nobody gave it their share. "
    if left is None or support is None:  # pragma: no cover - noted for every unfunded one
        return "Equal Shares alone could not fund it. "
    return (
        f"Equal Shares alone could not fund it ({percent(Fraction(support))} effective "
        f"support: {fmt(Fraction(left))} left for a cost of {fmt(cost)}). "
    )


def explain_funded(profile, words: _Words, p: int, pay: Payment, money, fmt, common):
    supporters = pay.full + pay.partial
    price = money(pay.price)
    details = dict(common)
    details.update(words.facts(p))
    details.update(
        {
            "round": pay.round,
            "paid_full": pay.full,
            "paid_all_they_had": pay.partial,
            "paid_all_they_had_total": frac(money(pay.partial_paid)),
            "had_nothing_left": pay.empty,
            "max_payment": frac(money(pay.max_paid)),
        }
    )
    if pay.round == 0:
        reason = f"Funded first: it costs nothing.{words.others(p)}"
        return ProjectExplanation("", True, reason, details)
    cost = profile.money(profile.costs[p])
    before = money(pay.money_before)
    details["supporters_money"] = frac(before)
    details["effective_support"] = frac(before / cost)
    who = words.who(supporters)
    some = pay.partial - pay.empty  # paid all they had, which was something
    rest = []
    if some:
        between = " between them" if some > 1 else ""
        rest.append(f"{some:,} paid all they had left ({fmt(money(pay.partial_paid))}{between})")
    if pay.empty:
        rest.append(f"{pay.empty:,} had nothing left")
    each = " each" if pay.full > 1 else ""
    if not words.points:
        details["price_per_supporter"] = frac(price)
        if supporters == 1:
            body = f"{sentence(who)} paid its whole cost, {fmt(price)}."
        elif not rest:
            body = f"{sentence(who)} paid {fmt(price)} each."
        else:
            body = f"Of {who}, {and_list([f'{pay.full:,} paid {fmt(price)}{each}', *rest])}."
    else:
        details["price_per_point"] = frac(price)
        if supporters == 1:
            points = plural(words.totals[p], "point")
            body = (
                f"{sentence(who)} paid its whole cost, {fmt(cost)}: {fmt(price)} for each of "
                f"the {points} they gave it."
            )
        elif not rest:
            # Everyone paid in full: price x their points, so the spread of points given
            # is the spread of payments.
            values = words.values(p)
            low, high = min(values), max(values)
            if low == high:
                body = (
                    f"{sentence(who)} paid {fmt(price * low)} each: {fmt(price)} a point, "
                    f"and each gave it {plural(low, 'point')}."
                )
            else:
                body = (
                    f"{sentence(who)} paid {fmt(price)} a point: from {fmt(price * low)} to "
                    f"{fmt(price * high)} each, as they gave it from {low:,} to "
                    f"{plural(high, 'point')}."
                )
        else:
            full = f"{pay.full:,} paid {fmt(price)} for each point they gave it"
            if pay.full == 1:
                full = f"1 paid {fmt(price)} for each point they gave it"
            body = f"Of {who}, {and_list([full, *rest])}."
    they = "they" if supporters > 1 else "this voter"
    reason = (
        f"Funded in round {pay.round}. {body}{words.others(p)} Effective support "
        f"{percent(before / cost)}: {they} had {fmt(before)}"
        f"{' between them' if supporters > 1 else ''} when it was chosen, for a cost of "
        f"{fmt(cost)}."
    )
    return ProjectExplanation("", True, reason, details)


# Payments to at most this many funded projects are named; the rest are summed.
NAMED_PAYMENTS = 3


def explain_unfunded(
    profile, engine: Engine, words: _Words, p, unaffordable, winners, share, fmt, common
):
    """Why ``p`` was not funded, following its supporters' money (see ``equal_shares``)."""
    details = dict(common)
    details.update(words.facts(p))
    supporters = words.supporters[p]
    cost = profile.money(profile.costs[p])
    if supporters == 0:
        named = words.named[p]
        if named == 0:
            reason = "Not funded: no ballot chose it."
        elif named == 1:
            reason = f"Not funded: the one ballot that chose it {words.no_points()}."
        else:
            reason = f"Not funded: the {named:,} ballots that chose it all {words.no_points()}."
        return ProjectExplanation("", False, reason, details)
    who = words.who(supporters)
    if unaffordable is None:  # pragma: no cover - every unfunded supported project is noted
        return ProjectExplanation("", False, f"Not funded: {who} had too little left.", details)
    rnd, left_engine = unaffordable
    money = lambda x: divide(x, engine.unit)  # noqa: E731
    left = money(left_engine)
    start = share * supporters
    short = cost - left
    paid = engine.paid_by(p, rnd)
    towards = [(winners[t - 1], t, money(a)) for t, a in enumerate(paid, start=1) if a]
    details.update(
        {
            "unaffordable_after_round": rnd,
            "supporters_start_money": frac(start),
            "supporters_money_left": frac(left),
            "shortfall": frac(short),
            "paid_towards": [
                {"project": profile.ids[q], "round": t, "amount": frac(a)} for q, t, a in towards
            ],
        }
    )
    support = ""
    if cost:
        details["effective_support"] = frac(left / cost)
        support = f": {percent(left / cost)} effective support"
    between = f"{fmt(start)} between them ({fmt(share)} each)" if supporters > 1 else fmt(share)
    if not towards:
        when = "from the start" if rnd == 0 else f"after round {rnd}"
        reason = (
            f"Not funded. {sentence(who)} had {between} {when}, {fmt(short)} short of its "
            f"cost of {fmt(cost)}{support}."
        )
    else:
        biggest = sorted(towards, key=lambda x: (-x[2], x[1]))
        named = biggest[:NAMED_PAYMENTS]
        named.sort(key=lambda x: x[1])  # in the order they were funded
        parts = [f"{fmt(a)} towards {profile.name(q)}" for q, _, a in named]
        others = biggest[NAMED_PAYMENTS:]
        if others:
            total = sum((a for _, _, a in others), Fraction(0))
            parts.append(f"{fmt(total)} towards {plural(len(others), 'other funded project')}")
        they = "they" if supporters > 1 else "this voter"
        reason = (
            f"Not funded. {sentence(who)} started with {between}. By the end of round {rnd} "
            f"{they} had paid {and_list(parts)}; the {fmt(left)} left was {fmt(short)} "
            f"short of its cost of {fmt(cost)}{support}."
        )
    reason += words.others(p)
    return ProjectExplanation("", False, reason, details)
