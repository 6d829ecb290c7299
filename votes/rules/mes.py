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
        self.mmax = [int(s.values.max()) + 1 if s.values.size else 1 for s in sats]
        # Supported projects with a cost take part in rounds; supported free ones are funded
        # first (as pabutools does); unsupported ones never are.
        self.free = sorted(
            (p for p in range(len(sats)) if self.wm[p] > 0 and self.costs[p] == 0), key=tie_key
        )
        self.candidates = [p for p in range(len(sats)) if self.wm[p] > 0 and self.costs[p] > 0]

    # -- one run -------------------------------------------------------------------------

    def run(self, per_voter: Fraction | int, track: bool = False) -> MESResult:
        """MES with ``per_voter`` engine money per voter. ``track`` records explanations."""
        self.cls = np.ones(len(self.w), dtype=np.int64)
        self.cval: list[Fraction] = [Fraction(0), Fraction(per_voter)]
        self.cf = [0.0, float(per_voter)]
        self.bud = np.full(len(self.w), float(per_voter))
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
            self._track(result, 0, unaffordable)
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
                    best, best_tol = r
            if not evaluated:
                break
            close = [e for e in evaluated if e[0] - e[1] <= best + best_tol]
            winner, price = None, None
            if len(close) == 1:
                winner = close[0][2]
                price = self._price_exact(winner)
            else:
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
                self._track(result, rnd, unaffordable)
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
        if self.binary[p]:
            ratio = b
            wm = wf
        else:
            ratio = b / self.sup_mf[p]
            wm = self.wmf[p]
        total = float(self.wm[p])
        q = cost / total
        uncapped = total
        if ratio.min() < q:
            order = np.argsort(ratio, kind="stable")
            r = ratio[order]
            wb = (wf * b)[order]
            wms = wm[order]
            paid_before = np.cumsum(wb) - wb
            weight_left = total - (np.cumsum(wms) - wms)
            with np.errstate(divide="ignore", invalid="ignore"):
                qs = (cost - paid_before) / weight_left
            ok = np.flatnonzero(qs <= r)
            j = int(ok[0]) if ok.size else len(r) - 1
            q, uncapped = float(qs[j]), float(weight_left[j])
        sigma = self.sigma[p]
        return q / sigma, MARGIN * cost / (max(uncapped, 1.0) * sigma)

    # -- exact ---------------------------------------------------------------------------

    def _classes(self, p: int):
        """Supporters of ``p`` grouped by (money class, satisfaction): keys, inverse, weights."""
        s = self.sats[p]
        key = self.cls[s.groups] * self.mmax[p] + s.values
        uniq, inv = np.unique(key, return_inverse=True)
        weights = np.bincount(inv, weights=self.sup_wf[p]).astype(np.int64)
        return uniq, inv, weights

    def _money_exact(self, p: int) -> Fraction:
        uniq, _, weights = self._classes(p)
        mm = self.mmax[p]
        pairs = zip(uniq.tolist(), weights.tolist(), strict=True)
        return sum((self.cval[k // mm] * w for k, w in pairs), Fraction(0))

    def _price_exact(self, p: int) -> Fraction | None:
        """The exact price per unit of satisfaction, or None if ``p`` is unaffordable."""
        uniq, _, weights = self._classes(p)
        mm = self.mmax[p]
        pairs = zip(uniq.tolist(), weights.tolist(), strict=True)
        entries = [(self.cval[k // mm], k % mm, w) for k, w in pairs]
        cost = self.costs[p]
        if sum((v * w for v, _, w in entries), Fraction(0)) < cost:
            return None
        entries.sort(key=lambda e: e[0] / e[1])
        paid = Fraction(0)
        weight = sum(m * w for _, m, w in entries)
        for v, m, w in entries:
            q = (cost - paid) / weight
            if q * m <= v:
                return q
            paid += v * w
            weight -= m * w
        raise AssertionError("an affordable project always has a price")  # pragma: no cover

    def _pay(self, p: int, q: Fraction, rnd: int) -> Payment:
        uniq, inv, weights = self._classes(p)
        mm = self.mmax[p]
        new_ids = np.empty(len(uniq), dtype=np.int64)
        full = partial = 0
        partial_paid = Fraction(0)
        max_paid = Fraction(0)
        for i, (k, w) in enumerate(zip(uniq.tolist(), weights.tolist(), strict=True)):
            v, m = self.cval[k // mm], k % mm
            due = q * m
            if v <= due:
                new_ids[i] = 0
                if v < due:
                    partial += w
                    partial_paid += v * w
                else:
                    full += w
                max_paid = max(max_paid, v)
            else:
                full += w
                max_paid = max(max_paid, due)
                new_ids[i] = len(self.cval)
                self.cval.append(v - due)
                self.cf.append(float(v - due))
        g = self.sats[p].groups
        self.cls[g] = new_ids[inv]
        self.bud[g] = np.asarray(self.cf)[self.cls[g]]
        return Payment(rnd, q, full, partial, partial_paid, max_paid)

    def _track(self, result: MESResult, rnd: int, unaffordable: set[int]) -> None:
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
