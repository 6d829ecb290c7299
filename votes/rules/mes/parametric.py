"""How far the per-voter budget can grow with every decision of an MES run staying the same.

The "add one" budget search (``votes.rules.mes.add1``) uses this bound to skip the budgets
that would give the same outcome as one it has already run.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from votes.rules.mes.margins import MARGIN


class Parametric:
    """How far the per-voter budget b can grow before any decision of a run may change.

    Approval ballots only (each supporter's satisfaction is 1). Within a run every voter's
    money is an affine function of b as long as the run's decisions stay the same: who pays
    in full and who pays all they have in each round, which project wins each round, which
    projects are unaffordable. Each decision is a sign of an affine function of b; this class
    collects the first b at which any of them could change sign. Floats are used, with
    margins that only ever make the result smaller: a smaller bound means more runs, never a
    different outcome. Exact ties are allowed to persist only when both sides are constant.
    """

    __slots__ = (
        "alive",
        "b0",
        "beta",
        "e",
        "flat",
        "hi",
        "lb0",
        "limit",
        "slope",
        "tol",
        "win_flat",
        "win_slope",
    )

    def __init__(self, engine, heap):
        """``engine``: the ``Engine`` whose run this follows; ``heap``: the run's first lower
        bounds, ``(rho, project)``."""
        self.e = engine
        n = len(engine.sats)
        self.b0 = engine.b0f
        # How each ballot group's money per voter grows with b (d money / d b).
        self.beta = np.ones(len(engine.w))
        self.lb0 = np.full(n, np.inf)
        self.slope = np.zeros(n)
        self.hi = np.full(n, np.inf)  # absolute b up to which the lower bound is valid
        self.tol = np.zeros(n)
        self.flat = np.zeros(n, dtype=bool)  # price is exactly constant in b (nobody capped)
        self.alive = np.zeros(n, dtype=bool)
        for lower, p in heap:
            self.lb0[p], self.tol[p], self.alive[p] = lower, 0.0, True
        self.limit = np.inf
        # The slope of the last winner's rho in b, and whether it is exactly 0.
        self.win_slope = 0.0
        self.win_flat = True

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
        growth = float(np.dot(self.beta[g], w))
        cost = e.costs[p]
        step = self._first_crossing1(cost - money, growth * (1 + 1e-9) + 1e-300, MARGIN * cost)
        self._cap(self.b0 + step)
        self.alive[p] = False

    def evaluated(self, p: int, rho: float, tol: float) -> None:
        e = self.e
        g = e.sats[p].groups
        b, beta, w = e.bud[g], self.beta[g], e.sup_wf[p]
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
        b, beta, w = e.bud[g], self.beta[g], e.sup_wf[p]
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
        self.beta[g] = new_beta

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
