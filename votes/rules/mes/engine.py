"""The MES engine: one count of the Method of Equal Shares at a given per-voter budget.

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

from votes.rules.mes.exact import Ledger
from votes.rules.mes.margins import EPS, MARGIN
from votes.rules.mes.parametric import Parametric
from votes.rules.profile import Profile, ProjectSat

_ZERO = Fraction(0)


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

    The exact money of every ballot group is kept by a ``Ledger`` (``votes.rules.mes.exact``);
    the engine keeps the same money in floats for the filter. Every attribute is set here; a
    run (``_run``) sets the per-run ones afresh.
    """

    __slots__ = (
        "b0f",
        "binary",
        "bud",
        "budget",
        "candidates",
        "costs",
        "err_max",
        "errs",
        "exact",
        "free",
        "ledger",
        "overlap",
        "priced",
        "priced_below",
        "profile",
        "q_last",
        "sats",
        "sigma",
        "sup_mf",
        "sup_w",
        "sup_wf",
        "tie_key",
        "tracking",
        "unit",
        "w",
        "wf",
        "wm",
        "wmf",
    )

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
        # overlap[p, o]: some ballot supports both p and o (paying for p can change o's price).
        self.overlap = overlaps(profile, len(sats))
        # The state of one run, set afresh by each (``_run``).
        self.ledger = Ledger(len(self.w), len(self.candidates))
        self.exact = True  # decisions exact (False: floats with a certificate, fast mode)
        self.tracking = False  # payments and who ran out when are kept, for explanations
        self.b0f = 0.0  # the share each voter starts with, in floats
        self.bud = np.zeros(len(self.w))  # each group's money per voter, in floats
        self.errs = np.zeros(len(self.w))  # bound on the float error of ``bud`` (fast mode)
        self.err_max = 0.0
        self.q_last = [0.0] * len(sats)  # each project's last float price in this run
        # Exact money found while pricing projects in the current round (see ``_pay``).
        self.priced: dict[int, int] = {}
        self.priced_below: dict[int, tuple[np.ndarray, int]] = {}

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
        self.tracking = track
        self.ledger.start(Fraction(per_voter), track)
        self.errs = np.full(len(self.w), 4 * EPS * float(per_voter))
        self.err_max = 4 * EPS * float(per_voter)
        self.q_last = [0.0] * len(self.sats)
        self.b0f = float(per_voter)
        self.priced = {}
        self.priced_below = {}
        self.bud = np.full(len(self.w), self.b0f)
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
        par = Parametric(self, heap) if param else None
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
            if self.ledger.money_num(self.sats[p].groups, self.sup_w[p]) < cost * self.ledger.den:
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
        # exactly when its weight (a sum of integers, exact in floats) has. Except where a
        # supporter's money per unit is the price itself: rounding can then put the price
        # worked out with them paying it above their money, and with them capped below, and
        # the passes would alternate between the two for ever. A weight seen before (not
        # just in the pass before) is that case: the price is theirs to within rounding,
        # inside the margin the callers allow for.
        wb = self.sup_wf[p] * b
        capped = np.empty(b.size)
        capped_weight = -1.0
        earlier: set[float] = set()
        while True:
            np.less(ratio, q, out=capped)
            weight = float(np.dot(wm, capped))
            if weight == capped_weight or weight in earlier:
                self.q_last[p] = q
                return q, total - weight
            earlier.add(capped_weight)
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

    def _money_exact(self, p: int) -> Fraction:
        return self.ledger.money_of(self.sats[p].groups, self.sup_w[p])

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
        money = self.ledger.money_num(s.groups, self.sup_w[p])
        if money < cost * self.ledger.den:
            return None
        self.priced[p] = money
        q_f, uncapped = self._solve_float(p, self.bud[s.groups])
        band = MARGIN * (q_f + cost / max(uncapped, 1.0) + self.b0f)
        below, near, above = self._split(p, q_f, band)
        q = self._sequential(p, below, near, above)
        if abs(float(q) - q_f) > band:  # pragma: no cover - float far off: do it all exactly
            everyone = np.arange(s.groups.size)
            q = self._sequential(p, np.zeros(s.groups.size, dtype=bool), everyone, everyone < 0)
        return q

    def _sequential(self, p: int, below, near: np.ndarray, above) -> Fraction:
        s = self.sats[p]
        q, paid = self.ledger.price(
            self.costs[p], s.groups, s.values, self.sup_w[p], below, near, above
        )
        self.priced_below[p] = (below, paid)
        return q

    def _pay(self, p: int, q: Fraction, rnd: int, par=None) -> Payment:
        if not self.exact:
            return self._pay_float(p, q, rnd, par)
        s = self.sats[p]
        ledger = self.ledger
        den = ledger.den
        # The winner was priced in this round, with the money of the same state: what that
        # found (its supporters' money, and that of those below the float price) is reused.
        money_before = _ZERO
        if self.tracking:
            num = self.priced.get(p)
            if num is None:
                num = self.ledger.money_num(s.groups, self.sup_w[p])
            money_before = Fraction(num, den)
        qf = float(q)
        band = MARGIN * (qf + self.b0f)
        below, near, above = self._split(p, qf, band)
        capped = below.copy()
        exhausted = np.zeros_like(below)  # paid exactly all they had, at the full price
        qn, qd = q.numerator, q.denominator
        for i in near.tolist():
            v = self.ledger.value_num(int(s.groups[i])) * qd  # money x qd x den
            due = qn * int(s.values[i]) * den
            if v < due:
                capped[i] = True
            elif v == due:
                exhausted[i] = True
        w = self.sup_w[p]
        below_then, num = self.priced_below.get(p, (None, None))
        if below_then is None or not np.array_equal(below_then, capped):
            num = self.ledger.money_num(s.groups[capped], w[capped])
        partial_paid = Fraction(num, den)
        self.priced.clear()
        self.priced_below.clear()
        partial = int(w[capped].sum())
        full = int(w.sum()) - partial
        paying = ~capped
        max_paid = q * int(s.values[paying].max()) if paying.any() else Fraction(0)
        if capped.any():
            live = capped & ~self.ledger.zero[s.groups]
            if live.any():
                richest = int(s.groups[live][np.argmax(self.bud[s.groups][live])])
                max_paid = max(max_paid, self.ledger.value(richest))
        if par:
            par.paying(p, qf, capped, exhausted)
        ledger.add_round(q, s.groups, s.values)
        gone = s.groups[capped | exhausted]
        empty = 0
        if self.tracking:
            empty = int(w[capped & ledger.zero[s.groups]].sum())
            fresh = gone[~ledger.zero[gone]]
            ledger.gone_round[fresh] = rnd
        ledger.zero[gone] = True
        g = s.groups
        self.bud[g] = ledger.floats(g, self.b0f)
        self.bud[gone] = 0.0
        return Payment(rnd, q, full, partial, partial_paid, max_paid, money_before, empty)

    def paid_by(self, p: int, rounds: int) -> list[Fraction]:
        """After a tracked run: what the supporters of ``p`` paid together in each of the
        first ``rounds`` rounds (engine money, exact), one entry per round.

        A ballot group still holding money after round t paid ``price[t] * sat``; the group
        that ran out in round t paid all it held before it (``b0`` less its earlier
        payments); one that had run out earlier paid nothing.
        """
        den = self.ledger.den
        return [Fraction(n, den) if n else _ZERO for n in self._paid_nums(p, rounds)]

    def _paid_nums(self, p: int, rounds: int) -> list[int]:
        """``paid_by`` as numerators over the ledger's ``den``."""
        return self.ledger.paid_nums(p, self.sats[p].groups, self.sup_w[p], rounds)

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
            live = ~self.ledger.zero[self.sats[p].groups]
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
            self.ledger.zero[g[capped]] = True
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
            slack = (4 * (len(self.ledger.pnum) + 2) + g.size) * EPS * self.b0f * self.wm[p]
            if money + slack < cost:
                # Certainly short: the exact money is worked out afterwards, with what its
                # supporters paid (``_settle``), rather than summed now.
                result.unaffordable[p] = (rnd, None)
                continue
            exact = self.ledger.money_num(g, self.sup_w[p])
            if exact < cost * self.ledger.den:
                result.unaffordable[p] = (rnd, Fraction(exact, self.ledger.den))

    def _settle(self, result: MESResult) -> None:
        """After a tracked run: the exact money of the supporters of each project noted as
        certainly short (``_track``), at the end of its round: their start money less what
        they had paid (a group that ran out had paid exactly its start money)."""
        for p, (rnd, money) in result.unaffordable.items():
            if money is None:
                paid = sum(self._paid_nums(p, rnd))
                left = self.ledger.b0n * int(self.sup_w[p].sum()) - paid
                result.unaffordable[p] = (rnd, Fraction(left, self.ledger.den))


# Fast mode keeps no payments (only the selection is used): one shared placeholder.
_NOT_KEPT = Payment(0, _ZERO, 0, 0, _ZERO, _ZERO)


class _Uncertain(Exception):
    """A float decision is too close to call: redo the run exactly."""
