"""Many MES runs at once, one per per-voter budget, for the "add one" budget search.

Where the budget search cannot skip budgets (``Parametric`` finds that some decision of a
run changes at almost every budget), it has to run MES at every budget in turn. Runs at nearby
budgets mostly fund the same projects in the same order, so this module runs a batch of them in
lockstep: every voter group's money has a column per budget, and each round prices a project
for all the runs that need it, and pays a winner for all the runs that chose it, with one set
of numpy calls. Per run and round this costs a small fraction of a single run's calls.

It is ``Engine.run(..., fast=True)`` for many budgets (approval ballots only): floats with a
running bound on their error, every decision taken only when it is certain by a wide margin,
tied prices compared exactly where nobody is capped. A run whose decision is not certain is
dropped from the batch and redone exactly by the engine. The selections are therefore exactly
those of exact MES.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from votes.rules.mes.engine import Engine
from votes.rules.mes.margins import EPS, MARGIN

# What a run of the batch came to: funded within the budget (its selection), or over it.
OVER = None
INF = np.inf


class Lockstep:
    """The fixed part of a batch: the engine's candidates as arrays over candidate positions."""

    def __init__(self, engine: Engine):
        self.e = engine
        cands = engine.candidates
        m = len(cands)
        self.projects = np.array(cands, dtype=np.int64)
        self.groups = [engine.sats[p].groups for p in cands]
        self.wf = [engine.sup_wf[p] for p in cands]
        self.wm = np.array([float(engine.wm[p]) for p in cands])
        self.cost = np.array([float(engine.costs[p]) for p in cands])
        self.sigma = np.array([float(engine.sigma[p]) for p in cands])
        # The first lower bound of each project's rho, as ``Engine._run`` seeds its heap.
        self.low0 = np.array(
            [engine.costs[p] / (engine.sigma[p] * engine.wm[p]) * (1 - MARGIN) for p in cands]
        )
        self.overlap = engine.overlap[np.ix_(cands, cands)]
        # Cost satisfaction: tied prices compare by supporters alone (see ``_ties``).
        self.cost_sat = all(engine.sigma[p] == engine.costs[p] for p in cands)
        self.rank = np.empty(m)
        self.rank[sorted(range(m), key=lambda j: engine.tie_key(cands[j]))] = np.arange(m)
        # The longest useful batch: where projects have few supporters each, a round's numpy
        # calls cost the same for many runs as for one; with many, the work itself grows
        # with the batch, and so does what is wasted past the end of the search.
        # The money of every group in every run also bounds it (about 32 MB a matrix).
        entries = sum(g.size for g in self.groups) / max(m, 1)
        fits = min(40_000 / max(entries, 1), 4_000_000 / max(len(engine.w), 1))
        self.largest = int(np.clip(2 ** math.floor(math.log2(max(fits, 1))), 8, 256))

    def run(self, budgets: list[int]) -> list[list[int] | None]:
        """For each per-voter budget (engine money, increasing), the selection of MES at it,
        or ``OVER`` where it costs more than the budget.

        The search stops at the first outcome over the budget or funding every supported
        project, so nothing after such a budget is returned: the list may be shorter.
        """
        e = self.e
        k = len(budgets)
        s = _State(len(e.w), len(self.projects), np.array([float(b) for b in budgets]), self.low0)
        while s.alive.any():
            self._price(s)
            winners = self._choose(s)
            s.round += 1
            for j in np.unique(winners[winners >= 0]).tolist():
                self._pay(s, j, np.flatnonzero(winners == j))
            # A run over the budget ends the search there: later budgets are not needed.
            over = np.flatnonzero(s.total > e.budget)
            if over.size:
                k = int(over[0]) + 1
                s.over[k - 1] = True
                s.end(np.arange(k - 1, len(budgets)))
        return self._results(budgets[:k], s)

    # -- one round -------------------------------------------------------------------------

    def _price(self, s: _State) -> None:
        """Price every project that could be its run's cheapest, in every run.

        As ``Engine._run`` does with its heap: the project with the lowest lower bound first,
        until no bound is under the run's best price (plus its margin). A project is priced
        for every run that needs it at once, which costs little more than for one.
        """
        rows = np.arange(len(s.b0))
        while True:
            best = s.clean.argmin(1)
            s.best = s.clean[rows, best]
            s.threshold = s.best + s.tol[rows, best]
            first = s.dirty.argmin(1)
            lowest = s.dirty[rows, first]
            waiting = (lowest <= s.threshold) & (lowest < INF)
            if not waiting.any():
                return
            for j in np.unique(first[waiting]).tolist():
                column = s.dirty[:, j]
                self._evaluate(s, j, np.flatnonzero((column <= s.threshold) & (column < INF)))

    def _evaluate(self, s: _State, j: int, rows: np.ndarray) -> None:
        """``Engine._rho_float`` for project ``j`` in ``rows``."""
        g, w, cost = self.groups[j], self.wf[j], self.cost[j]
        b = s.money(g, rows)
        money = w @ b
        unaffordable = money < cost * (1 - MARGIN)
        unsure = ~unaffordable & (money <= cost * (1 + MARGIN))
        if unsure.any():
            s.drop(rows[unsure])
        if unaffordable.any():
            s.kill(rows[unaffordable], j)
        keep = ~unaffordable & ~unsure
        if not keep.all():
            rows, b = rows[keep], b[:, keep]
            if rows.size == 0:
                return
        total = self.wm[j]
        q = np.full(rows.size, cost / total)
        uncapped = np.full(rows.size, total)
        poor = b.min(0) < q
        if poor.any():
            # Those who cannot pay the price pay all they have; repeat until nobody new falls
            # short (``Engine._solve_float``), from the last price of this run. Weights are
            # whole numbers, so a positive uncapped weight is at least 1.
            sub = np.flatnonzero(poor)
            bp = b[:, sub]
            qp = np.maximum(q[sub], s.qlast[rows[sub], j])
            weight_before = None
            # A run whose weight comes back to one of an earlier pass has a supporter holding
            # the price itself, which rounding puts either side of it pass after pass
            # (``Engine._solve_float``): settled too.
            earlier = []
            while True:
                capped = (bp < qp).astype(np.float64)
                weight = w @ capped
                if weight_before is not None:
                    settled = weight == weight_before
                    for seen in earlier:
                        settled |= weight == seen
                    if settled.all():
                        break
                    earlier.append(weight_before)
                weight_before = weight
                left = total - weight
                paid = w @ (capped * bp)
                qp = np.where(left > 0, (cost - paid) / np.maximum(left, 0.5), INF)
            # Everyone capped (the loop then stops: all stay capped): float rounding put the
            # price a hair above the largest money, which is the price to within rounding
            # (``Engine._solve_float``).
            qp = np.where(qp < INF, qp, bp.max(0))
            q[sub] = qp
            uncapped[sub] = total - weight
            s.qlast[rows[sub], j] = qp
        sigma = self.sigma[j]
        rho = q / sigma
        tol = MARGIN * (cost / np.maximum(uncapped, 1.0) + s.b0[rows]) / sigma
        s.clean[rows, j] = rho
        s.tol[rows, j] = tol
        s.low[rows, j] = rho - tol
        s.dirty[rows, j] = INF

    def _choose(self, s: _State) -> np.ndarray:
        """Each run's winner (a candidate position; -1: none) and its float price in
        ``s.price`` (``Engine._choose_float``)."""
        close = (s.clean - s.tol <= s.threshold[:, None]) & (s.best < INF)[:, None]
        count = close.sum(1)
        # No certainty once float errors have grown, or without a finite price.
        unsure = s.alive.any(1) & ((s.best == INF) | (s.err_max > 1e-12 * s.b0))
        if unsure.any():
            s.drop(np.flatnonzero(unsure))
            count[unsure] = 0
        winners = np.where(count > 0, close.argmax(1), -1)
        one = np.flatnonzero(count == 1)
        s.price[one] = s.clean[one, winners[one]] * self.sigma[winners[one]]
        many = np.flatnonzero(count > 1)
        if many.size:
            if self.cost_sat:
                self._ties(s, many, close[many], winners)
            else:
                for r in many.tolist():
                    winners[r] = self._tie(s, r, np.flatnonzero(close[r]))
        return winners

    def _ties(self, s: _State, rows: np.ndarray, close: np.ndarray, winners: np.ndarray):
        """``_tie`` for cost satisfaction, every run at once: rho is 1 / (live supporters)."""
        weights = np.full(close.shape, -1.0)
        bad = np.zeros(rows.size, dtype=bool)
        for j in np.flatnonzero(close.any(0)).tolist():
            at = np.flatnonzero(close[:, j])
            b = s.money(self.groups[j], rows[at])
            live = b > 0
            weight = self.wf[j] @ live
            q = self.cost[j] / np.maximum(weight, 0.5)
            lowest = np.where(live, b, INF).min(0)
            bad[at] |= (weight == 0) | (lowest < q + MARGIN * (q + s.b0[rows[at]]))
            weights[at, j] = weight
        if bad.any():
            s.drop(rows[bad])
            winners[rows[bad]] = -1
            rows, close, weights = rows[~bad], close[~bad], weights[~bad]
        top = weights.max(1)
        pick = np.where(close & (weights == top[:, None]), self.rank, INF).argmin(1)
        winners[rows] = pick
        s.price[rows] = self.cost[pick] / top

    def _tie(self, s: _State, r: int, close: np.ndarray) -> int:
        """Several projects within the margin of the best: exact when nobody is capped."""
        e = self.e
        options = []
        for j in close.tolist():
            p = int(self.projects[j])
            groups = self.groups[j]
            b = s.bud[groups, r]
            live = b > 0  # those who paid all they had hold exactly 0
            weight = int(e.sup_w[p][live].sum())
            q = e.costs[p] / weight
            if b[live].min() < q + MARGIN * (q + s.b0[r]):
                s.drop(np.array([r]))
                return -1
            rho = Fraction(e.costs[p], e.sigma[p] * weight)
            options.append((rho, e.tie_key(p), j))
        rho, _, j = min(options)
        s.price[r] = float(rho * e.sigma[int(self.projects[j])])
        return j

    def _pay(self, s: _State, j: int, rows: np.ndarray) -> None:
        """``Engine._pay_float`` for project ``j`` won in ``rows``."""
        g, w, cost = self.groups[j], self.wf[j], self.cost[j]
        b = s.money(g, rows)
        price = s.price[rows]
        left = b - price
        unsure = np.abs(left).min(0) <= MARGIN * (price + s.b0[rows])
        if unsure.any():
            s.drop(rows[unsure])
            keep = ~unsure
            rows, b, left, price = rows[keep], b[:, keep], left[:, keep], price[keep]
            if rows.size == 0:
                return
        capped = left < 0
        cf = capped.astype(np.float64)
        errs = s.errors(g, rows)
        uncapped = self.wm[j] - w @ cf
        capped_money = w @ (cf * b)
        err_q = (w @ (cf * errs) + 8 * EPS * (cost + capped_money)) / np.maximum(uncapped, 1.0)
        errs += err_q + 2 * EPS * s.b0[rows]
        errs[capped] = 0.0
        left[capped] = 0.0
        s.store(g, rows, left, errs)
        s.err_max[rows] = np.maximum(s.err_max[rows], errs.max(0))
        s.kill(rows, j)
        s.won[rows, j] = s.round
        s.total[rows] += self.e.costs[int(self.projects[j])]
        # Whoever shares a supporter with ``j`` must be priced again (``Engine._run``).
        s.touch(rows, self.overlap[j])

    def _results(self, budgets, s: _State):
        e = self.e
        supported = len(e.candidates) + len(e.free)
        results: list[list[int] | None] = []
        for r, budget in enumerate(budgets):
            if r in s.uncertain:
                selected = e.run(budget).selected  # exactly
                over = sum(e.costs[p] for p in selected) > e.budget
            else:
                won = np.flatnonzero(s.won[r])
                order = won[np.argsort(s.won[r, won])]
                selected = list(e.free) + self.projects[order].tolist()
                over = bool(s.over[r])
            results.append(OVER if over else selected)
            if over or len(selected) >= supported:
                break
        return results


class _State:
    """The runs of a batch: every group's money with a column per run, and per run and
    project, the last price and the lower bound of the next.

    ``clean[r, j]``: project j's rho in run r when it is still a candidate there and nobody
    who supports it has paid since it was priced, else infinity; ``dirty[r, j]``: its lower
    bound when it is a candidate that must be priced again, else infinity. The argmin of
    each row is then what ``Engine._run``'s heap would give.
    """

    def __init__(self, g: int, m: int, b0: np.ndarray, low0: np.ndarray):
        k = b0.size
        self.b0 = b0
        self.bud = np.repeat(b0[None, :], g, axis=0)
        self.errs = np.repeat(4 * EPS * b0[None, :], g, axis=0)
        self.err_max = 4 * EPS * b0
        self.alive = np.ones((k, m), dtype=bool)
        self.clean = np.full((k, m), INF)
        self.dirty = np.repeat(low0[None, :], k, axis=0)
        self.low = self.dirty.copy()
        self.tol = np.zeros((k, m))
        self.qlast = np.zeros((k, m))
        self.best = np.full(k, INF)
        self.threshold = np.full(k, INF)
        self.price = np.zeros(k)
        self.total = np.zeros(k, dtype=object)  # exact: costs are integers
        self.over = np.zeros(k, dtype=bool)
        self.won = np.zeros((k, m), dtype=np.int64)  # the round a project won in, or 0
        self.round = 0
        self.uncertain: set[int] = set()

    def money(self, g: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if rows.size == self.b0.size:
            return self.bud[g]
        return self.bud[g][:, rows]

    def errors(self, g: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if rows.size == self.b0.size:
            return self.errs[g]
        return self.errs[g][:, rows]

    def store(self, g: np.ndarray, rows: np.ndarray, money, errs) -> None:
        if rows.size == self.b0.size:
            self.bud[g] = money
            self.errs[g] = errs
        else:
            at = np.ix_(g, rows)
            self.bud[at] = money
            self.errs[at] = errs

    def kill(self, rows: np.ndarray, j: int) -> None:
        """Project ``j`` is no longer a candidate in ``rows`` (funded or unaffordable)."""
        self.alive[rows, j] = False
        self.clean[rows, j] = INF
        self.dirty[rows, j] = INF

    def touch(self, rows: np.ndarray, projects: np.ndarray) -> None:
        """Supporters of ``projects`` paid in ``rows``: their prices must be worked out again."""
        if rows.size == self.b0.size:
            hit = self.alive & projects
            self.dirty = np.where(hit, self.low, self.dirty)
            self.clean[hit] = INF
        else:
            hit = self.alive[rows] & projects
            self.dirty[rows] = np.where(hit, self.low[rows], self.dirty[rows])
            self.clean[rows] = np.where(hit, INF, self.clean[rows])

    def end(self, rows: np.ndarray) -> None:
        self.alive[rows] = False
        self.clean[rows] = INF
        self.dirty[rows] = INF

    def drop(self, rows: np.ndarray) -> None:
        """These runs have a decision too close to call in floats: redo them exactly."""
        self.end(rows)
        self.uncertain.update(rows.tolist())
