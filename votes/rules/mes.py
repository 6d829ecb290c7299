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
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from votes.model import ProjectExplanation, TieBreak
from votes.rules.explain import MoneyFormat, frac, plural
from votes.rules.greedy import explain_step
from votes.rules.greedy import run as greedy_run
from votes.rules.profile import Profile, ProjectSat

# Relative margin under which float results are recomputed exactly. Float error in these
# sums is about 1e-16 times the number of terms, far below this.
MARGIN = 1e-9


@dataclass(frozen=True)
class Payment:
    round: int  # 1-based
    price: Fraction  # price per unit of satisfaction (per supporter for approval), engine money
    full: int  # voters who paid the full price
    partial: int  # voters who could not and paid all they had left
    partial_paid: Fraction  # what those paid together, engine money
    max_paid: Fraction  # the largest single payment, engine money


@dataclass
class MESResult:
    selected: list[int]
    unit: int  # engine money = election money * unit
    payments: dict[int, Payment] = field(default_factory=dict)
    # Unfunded supported projects: the round after which supporters no longer had enough
    # (0: not even at the start), and their money at that point (engine money).
    unaffordable: dict[int, tuple[int, Fraction]] = field(default_factory=dict)


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
        self.smat = np.zeros((len(self.w), max(len(self.candidates), 1)), dtype=np.int32)

    # -- one run -------------------------------------------------------------------------

    def run(self, per_voter: Fraction | int, track: bool = False) -> MESResult:
        """MES with ``per_voter`` engine money per voter. ``track`` records explanations."""
        self.b0 = Fraction(per_voter)
        self.b0f = float(per_voter)
        self.bud = np.full(len(self.w), self.b0f)
        self.zero = np.zeros(len(self.w), dtype=bool)
        self.prices: list[Fraction] = []
        self.prices_f = np.zeros(self.smat.shape[1])
        self.smat[:] = 0
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
        if track:
            self._track(result, 0)
        rnd = 0
        while heap:
            best, best_tol = float("inf"), 0.0
            evaluated = []
            while heap and heap[0][0] <= best + best_tol:
                _, p = heapq.heappop(heap)
                r = self._rho_float(p)
                if r is None:
                    unaffordable.add(p)
                    continue
                evaluated.append((r[0], r[1], p))
                if r[0] < best:
                    best, best_tol = r[0], r[1]
            if not evaluated:
                break
            close = [e for e in evaluated if e[0] - e[1] <= best + best_tol]
            winner, price = None, None
            options = []
            for _, _, p in close:
                q = self._price_exact(p)
                if q is None:
                    unaffordable.add(p)
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
            result.payments[winner] = self._pay(winner, price, rnd)
            if track:
                self._track(result, rnd)
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
        if money <= cost * (1 + MARGIN) and self._money_exact(p) < cost:
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
        order = np.argsort(ratio, kind="stable")
        r = ratio[order]
        wb = (self.sup_wf[p] * b)[order]
        wms = wm[order]
        paid_before = np.cumsum(wb) - wb
        weight_left = total - (np.cumsum(wms) - wms)
        with np.errstate(divide="ignore", invalid="ignore"):
            qs = (cost - paid_before) / weight_left
        ok = np.flatnonzero(qs <= r)
        j = int(ok[0]) if ok.size else len(r) - 1
        return float(qs[j]), float(weight_left[j])

    # -- exact ---------------------------------------------------------------------------

    def _money_of(self, groups: np.ndarray, weights: np.ndarray) -> Fraction:
        """Exact money held by ``weights[i]`` voters of each of ``groups`` (not run out)."""
        live = ~self.zero[groups]
        groups, weights = groups[live], weights[live]
        if groups.size == 0:
            return Fraction(0)
        total = self.b0 * int(weights.sum())
        r = len(self.prices)
        if r:
            cols = weights.astype(np.int64) @ self.smat[groups, :r].astype(np.int64)
            for price, c in zip(self.prices, cols.tolist(), strict=True):
                if c:
                    total -= price * c
        return total

    def _value(self, g: int) -> Fraction:
        if self.zero[g]:
            return Fraction(0)
        return self._money_of(np.array([g]), np.array([1]))

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
        if self._money_exact(p) < cost:
            return None
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
        paid = self._money_of(s.groups[below], self.sup_w[p][below])
        weight = int(self.sup_w[p][above] @ s.values[above])
        entries = []
        for i in near.tolist():
            g, m, w = int(s.groups[i]), int(s.values[i]), int(self.sup_w[p][i])
            entries.append((self._value(g) / m, g, m, w))
            weight += m * w
        entries.sort()
        cost = self.costs[p]
        for per_unit, _g, m, w in entries:
            q = (cost - paid) / weight
            if q <= per_unit:
                return q
            paid += per_unit * m * w
            weight -= m * w
        return (cost - paid) / weight

    def _pay(self, p: int, q: Fraction, rnd: int) -> Payment:
        s = self.sats[p]
        qf = float(q)
        band = MARGIN * (qf + self.b0f)
        below, near, above = self._split(p, qf, band)
        capped = below.copy()
        exhausted = np.zeros_like(below)  # paid exactly all they had, at the full price
        for i in near.tolist():
            v = self._value(int(s.groups[i]))
            due = q * int(s.values[i])
            if v < due:
                capped[i] = True
            elif v == due:
                exhausted[i] = True
        w = self.sup_w[p]
        partial_paid = self._money_of(s.groups[capped], w[capped])
        partial = int(w[capped].sum())
        full = int(w.sum()) - partial
        paying = ~capped
        max_paid = q * int(s.values[paying].max()) if paying.any() else Fraction(0)
        if capped.any():
            live = capped & ~self.zero[s.groups]
            if live.any():
                richest = int(s.groups[live][np.argmax(self.bud[s.groups][live])])
                max_paid = max(max_paid, self._value(richest))
        r = len(self.prices)
        self.smat[s.groups, r] = s.values
        self.prices.append(q)
        self.prices_f[r] = qf
        gone = s.groups[capped | exhausted]
        self.zero[gone] = True
        g = s.groups
        self.bud[g] = self.b0f - self.smat[g, : r + 1] @ self.prices_f[: r + 1]
        self.bud[gone] = 0.0
        return Payment(rnd, q, full, partial, partial_paid, max_paid)

    def _track(self, result: MESResult, rnd: int) -> None:
        """Note the projects that became unaffordable in this round, with their money then."""
        chosen = set(result.selected)
        for p in self.candidates:
            if p in chosen or p in result.unaffordable:
                continue
            money = float(np.dot(self.bud[self.sats[p].groups], self.sup_wf[p]))
            cost = self.costs[p]
            if money > cost * (1 + MARGIN):
                continue
            exact = self._money_exact(p)
            if exact < cost:
                result.unaffordable[p] = (rnd, exact)


# -- the rules ------------------------------------------------------------------------------


def first_budget(engine: Engine) -> Fraction:
    """The equal share B/n per voter, in engine money (an integer: engine money is scaled by n)."""
    return Fraction(engine.budget, max(engine.profile.voters, 1))


def add_one(engine: Engine) -> tuple[Fraction, int]:
    """MES with per-voter budget B/n, then floor(B/n)+1, +2, ... (in the election's money).

    Each outcome is kept while it costs at most B; the first that costs more ends the search
    and the last kept one is the result. The search also ends once every supported project is
    funded, since more money cannot change which projects are funded. Returns the per-voter
    budget of the kept outcome (engine money) and the number of MES runs.
    """
    profile = engine.profile
    start = first_budget(engine)
    result = engine.run(start)
    kept = start
    runs = 1
    per_voter = (start.numerator // start.denominator) // (profile.scale * max(profile.voters, 1))
    supported = len(engine.candidates) + len(engine.free)
    while len(result.selected) < supported:
        per_voter += 1
        attempt = engine.run(per_voter * engine.unit)
        runs += 1
        if sum(engine.costs[p] for p in attempt.selected) > engine.budget:
            break
        result, kept = attempt, Fraction(per_voter * engine.unit)
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
    """
    sats = profile.sats(measure)
    engine = Engine(profile, sats, cost_sat, profile.tie_key(tie_break))
    runs = 1
    per_voter = first_budget(engine)
    if add1:
        per_voter, runs = add_one(engine)
    result = engine.run(per_voter, track=True)
    unit = engine.unit
    money = lambda x: Fraction(x) / unit  # noqa: E731 - engine money to election money
    explanations: dict[int, ProjectExplanation] = {}
    share = money(per_voter)
    common: dict[str, object] = {"phase": "mes", "share_per_voter": frac(share)}
    if add1:
        common["budget_search_runs"] = runs
    for p in result.selected:
        explanations[p] = explain_funded(profile, sats[p], result.payments[p], money, fmt, common)
    chosen = set(result.selected)
    for p in range(len(profile.ids)):
        if p in chosen:
            continue
        explanations[p] = explain_unfunded(
            profile, sats[p], result.unaffordable.get(p), money, fmt, common
        )
    selected = list(result.selected)
    if completion is not None:
        measure2, per_cost = completion
        steps = greedy_run(profile, profile.totals(measure2), per_cost, tie_break, selected)
        for s in steps:
            if not s.funded:
                continue
            selected.append(s.project)
            explanations[s.project] = explain_step(
                profile,
                measure2,
                per_cost,
                s,
                fmt,
                phase="completion",
                prefix="Funded in the completion step, with money equal shares left unspent. ",
            )
    return selected, explanations


def explain_funded(profile, sat: ProjectSat, pay: Payment, money, fmt, common):
    supporters = pay.full + pay.partial
    price = money(pay.price)
    details = dict(common)
    details.update(
        {
            "round": pay.round,
            "supporters": supporters,
            "paid_full": pay.full,
            "paid_all_they_had": pay.partial,
            "paid_all_they_had_total": frac(money(pay.partial_paid)),
            "max_payment": frac(money(pay.max_paid)),
        }
    )
    if pay.round == 0:
        reason = "Funded first: it costs nothing."
    elif sat.binary:
        details["price_per_supporter"] = frac(price)
        if pay.partial == 0:
            reason = (
                f"Funded in round {pay.round}. "
                f"Each of its {plural(supporters, 'supporter')} paid {fmt(price)}."
            )
        else:
            reason = (
                f"Funded in round {pay.round}. "
                f"{plural(pay.full, 'supporter')} paid {fmt(price)} each; "
                f"{plural(pay.partial, 'other')} paid all they had left, "
                f"{fmt(money(pay.partial_paid))} in total."
            )
    else:
        details["price_per_point"] = frac(price)
        reason = (
            f"Funded in round {pay.round}. Its {plural(supporters, 'supporter')} paid "
            f"{fmt(price)} for each point they gave it, at most {fmt(money(pay.max_paid))} each"
        )
        if pay.partial:
            reason += f"; {plural(pay.partial, 'supporter')} paid all they had left"
        reason += "."
    return ProjectExplanation("", True, reason, details)


def explain_unfunded(profile, sat: ProjectSat, unaffordable, money, fmt, common):
    details = dict(common)
    supporters = int(profile.weights[sat.groups].sum()) if sat.groups.size else 0
    details["supporters"] = supporters
    if supporters == 0:
        return ProjectExplanation("", False, "Not funded: nobody supported it.", details)
    rnd, left = unaffordable
    details.update({"unaffordable_after_round": rnd, "supporters_money_left": frac(money(left))})
    if rnd == 0:
        reason = (
            f"Not funded. Its {plural(supporters, 'supporter')}' equal shares add up to "
            f"{fmt(money(left))}, less than its cost."
        )
    else:
        reason = (
            f"Not funded. After round {rnd} its {plural(supporters, 'supporter')} had "
            f"{fmt(money(left))} left between them, less than its cost."
        )
    return ProjectExplanation("", False, reason, details)
