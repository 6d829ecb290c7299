"""Many MES runs at once, one per per-voter budget, for the "add one" budget search.

Where the budget search cannot skip budgets (``mes._Parametric`` finds that some decision of a
run changes at almost every budget), it has to run MES at every budget in turn. Runs at nearby
budgets mostly fund the same projects in the same order, so this module runs a batch of them in
lockstep: every voter group's money is a row per budget, and each round prices a project for
all the runs that need it, and pays a winner for all the runs that chose it, with one set of
numpy calls. Per run and round this costs a small fraction of a single run's calls.

It is ``Engine.run(..., fast=True)`` for many budgets (approval ballots only): floats with a
running bound on their error, every decision taken only when it is certain by a wide margin,
tied prices compared exactly where nobody is capped. A run whose decision is not certain is
dropped from the batch and redone exactly by the engine. The selections are therefore exactly
those of exact MES.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from votes.rules.mes import EPS, MARGIN, Engine

# What a run of the batch came to: funded within the budget (its selection), or over it.
OVER = None


class Lockstep:
    """The fixed part of a batch: the engine's candidates as arrays over candidate positions."""

    def __init__(self, engine: Engine):
        self.e = engine
        cands = engine.candidates
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

    def run(self, budgets: list[int]) -> list[list[int] | None]:
        """For each per-voter budget (engine money, increasing), the selection of MES at it,
        or ``OVER`` where it costs more than the budget.

        The search stops at the first outcome over the budget or funding every supported
        project, so nothing after such a budget is returned: the list may be shorter.
        """
        e = self.e
        k, g, m = len(budgets), len(e.w), len(self.projects)
        b0 = np.array([float(b) for b in budgets])
        state = _State(k, g, m, b0, self.low0)
        rows = np.arange(k)
        uncertain: set[int] = set()
        while True:
            live = state.alive.any(1)
            if not live.any():
                break
            self._price(state, uncertain)
            winners = self._choose(state, uncertain)
            for j in np.unique(winners[winners >= 0]).tolist():
                self._pay(state, j, rows[winners == j], uncertain)
            # A run over the budget ends the search there: later budgets are not needed.
            over = np.flatnonzero(state.total > e.budget)
            if over.size:
                state.alive[over[0] :] = False
                state.over[over[0]] = True
                k = int(over[0]) + 1
        return self._results(budgets[:k], state, uncertain)

    # -- one round -------------------------------------------------------------------------

    def _price(self, s: _State, uncertain: set[int]) -> None:
        """Price every project that could be its run's cheapest, in every run."""
        while True:
            clean = s.alive & ~s.dirty
            rho = np.where(clean, s.rho, np.inf)
            best = rho.argmin(1)
            ar = np.arange(len(best))
            s.threshold = rho[ar, best] + s.tol[ar, best]
            need = s.dirty & s.alive & (s.low <= s.threshold[:, None])
            waiting = need.any(1)
            if not waiting.any():
                return
            # As a heap would: the lowest lower bound of each run first, since pricing it may
            # lower the run's threshold below the others' bounds. Priced for every run that
            # needs it, which costs little more than for one.
            first = np.where(need, s.low, np.inf).argmin(1)
            for j in np.unique(first[waiting]).tolist():
                self._evaluate(s, j, np.flatnonzero(need[:, j]), uncertain)

    def _evaluate(self, s: _State, j: int, rows: np.ndarray, uncertain: set[int]) -> None:
        """``Engine._rho_float`` for project ``j`` in ``rows``."""
        g, w, cost = self.groups[j], self.wf[j], self.cost[j]
        b = s.bud[np.ix_(rows, g)]
        money = b @ w
        unaffordable = money < cost * (1 - MARGIN)
        unsure = ~unaffordable & (money <= cost * (1 + MARGIN))
        if unsure.any():
            self._drop(s, rows[unsure], uncertain)
        s.alive[rows[unaffordable], j] = False
        keep = ~unaffordable & ~unsure
        if not keep.all():
            rows, b = rows[keep], b[keep]
            if rows.size == 0:
                return
        total = self.wm[j]
        q = np.full(rows.size, cost / total)
        uncapped = np.full(rows.size, total)
        poor = b.min(1) < q
        if poor.any():
            # Those who cannot pay the price pay all they have; repeat until nobody new falls
            # short (``Engine._solve_float``), from the last price of this run.
            sub = np.flatnonzero(poor)
            bp = b[sub]
            qp = np.maximum(q[sub], s.qlast[rows[sub], j])
            wb = bp * w
            weight_before = np.full(sub.size, -1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                while True:
                    capped = (bp < qp[:, None]).astype(np.float64)
                    weight = capped @ w
                    if (weight == weight_before).all():
                        break
                    weight_before = weight
                    left = total - weight
                    qp = np.where(left > 0, (cost - (capped * wb).sum(1)) / left, np.inf)
            q[sub] = qp
            uncapped[sub] = total - weight
            s.qlast[rows[sub], j] = qp
        sigma = self.sigma[j]
        rho = q / sigma
        tol = MARGIN * (cost / np.maximum(uncapped, 1.0) + s.b0[rows]) / sigma
        s.rho[rows, j] = rho
        s.tol[rows, j] = tol
        s.low[rows, j] = rho - tol
        s.dirty[rows, j] = False

    def _choose(self, s: _State, uncertain: set[int]) -> np.ndarray:
        """Each run's winner (a candidate position; -1: none) and its float price in
        ``s.price`` (``Engine._choose_float``)."""
        clean = s.alive & ~s.dirty
        close = clean & (s.rho - s.tol <= s.threshold[:, None])
        count = close.sum(1)
        winners = np.where(count > 0, close.argmax(1), -1)
        # No certainty once float errors have grown, or with no finite price.
        unsure = (count > 0) & ((s.err_max > 1e-12 * s.b0) | ~np.isfinite(s.threshold))
        unsure |= (count == 0) & s.alive.any(1)
        for r in np.flatnonzero(unsure).tolist():
            self._drop(s, np.array([r]), uncertain)
            winners[r] = -1
        one = np.flatnonzero((winners >= 0) & (count == 1))
        s.price[one] = s.rho[one, winners[one]] * self.sigma[winners[one]]
        for r in np.flatnonzero((winners >= 0) & (count > 1)).tolist():
            chosen = self._tie(s, r, np.flatnonzero(close[r]))
            if chosen is None:
                self._drop(s, np.array([r]), uncertain)
                winners[r] = -1
            else:
                winners[r], s.price[r] = chosen
        return winners

    def _tie(self, s: _State, r: int, close: np.ndarray):
        """Several projects within the margin of the best: exact when nobody is capped."""
        e = self.e
        options = []
        for j in close.tolist():
            p = int(self.projects[j])
            groups = self.groups[j]
            live = ~s.zero[r, groups]
            weight = int(e.sup_w[p][live].sum())
            q = e.costs[p] / weight
            if s.bud[r, groups[live]].min() < q + MARGIN * (q + s.b0[r]):
                return None
            rho = Fraction(e.costs[p], e.sigma[p] * weight)
            options.append((rho, e.tie_key(p), j))
        rho, _, j = min(options)
        return j, float(rho * e.sigma[int(self.projects[j])])

    def _pay(self, s: _State, j: int, rows: np.ndarray, uncertain: set[int]) -> None:
        """``Engine._pay_float`` for project ``j`` won in ``rows``."""
        g, w, cost = self.groups[j], self.wf[j], self.cost[j]
        idx = np.ix_(rows, g)
        b = s.bud[idx]
        price = s.price[rows]
        left = b - price[:, None]
        unsure = np.abs(left).min(1) <= MARGIN * (price + s.b0[rows])
        if unsure.any():
            self._drop(s, rows[unsure], uncertain)
            keep = ~unsure
            rows, b, left, price = rows[keep], b[keep], left[keep], price[keep]
            if rows.size == 0:
                return
            idx = np.ix_(rows, g)
        capped = left < 0
        cf = capped.astype(np.float64)
        errs = s.errs[idx]
        uncapped = self.wm[j] - cf @ w
        capped_money = (cf * b) @ w
        err_q = ((cf * errs) @ w + 8 * EPS * (cost + capped_money)) / np.maximum(uncapped, 1.0)
        errs += (err_q + 2 * EPS * s.b0[rows])[:, None]
        errs[capped] = 0.0
        left[capped] = 0.0
        s.errs[idx] = errs
        s.bud[idx] = left
        s.zero[idx] = s.zero[idx] | capped
        s.err_max[rows] = np.maximum(s.err_max[rows], errs.max(1))
        s.alive[rows, j] = False
        s.dirty[rows] |= self.overlap[j]
        s.total[rows] += self.e.costs[int(self.projects[j])]
        for r in rows.tolist():
            s.won[r].append(j)

    @staticmethod
    def _drop(s: _State, rows: np.ndarray, uncertain: set[int]) -> None:
        """These runs have a decision too close to call in floats: redo them exactly."""
        s.alive[rows] = False
        uncertain.update(rows.tolist())

    def _results(self, budgets, s: _State, uncertain: set[int]):
        e = self.e
        supported = len(e.candidates) + len(e.free)
        results: list[list[int] | None] = []
        for r, budget in enumerate(budgets):
            if r in uncertain:
                selected = e.run(budget).selected  # exactly
                over = sum(e.costs[p] for p in selected) > e.budget
            else:
                selected = list(e.free) + self.projects[s.won[r]].tolist()
                over = bool(s.over[r])
            results.append(OVER if over else selected)
            if over or len(selected) >= supported:
                break
        return results


class _State:
    """The money and the projects' prices of every run in a batch (a row per run)."""

    def __init__(self, k: int, g: int, m: int, b0: np.ndarray, low0: np.ndarray):
        self.b0 = b0
        self.bud = np.repeat(b0[:, None], g, axis=1)
        self.errs = np.repeat(4 * EPS * b0[:, None], g, axis=1)
        self.err_max = 4 * EPS * b0
        self.zero = np.zeros((k, g), dtype=bool)
        self.alive = np.ones((k, m), dtype=bool)
        self.dirty = np.ones((k, m), dtype=bool)
        self.rho = np.full((k, m), np.inf)
        self.tol = np.zeros((k, m))
        self.low = np.repeat(low0[None, :], k, axis=0)
        self.qlast = np.zeros((k, m))
        self.threshold = np.full(k, np.inf)
        self.price = np.zeros(k)
        self.total = np.zeros(k, dtype=object)  # exact: costs are integers
        self.over = np.zeros(k, dtype=bool)
        self.won: list[list[int]] = [[] for _ in range(k)]
