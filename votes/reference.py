"""The Method of Equal Shares, plainly and exactly: the specification the fast engine is tested
against (``votes.rules.mes``). Plain ``Fraction`` arithmetic, no numpy, read top to bottom.

``equal_shares(election, satisfaction, tie_break, completion)`` returns the funded project ids
in the order they are funded.

Points. Each ballot gives each project it names a whole number of points (absent: 0):
approval, knapsack and single-choice ballots 1; cumulative ballots their points; ranked
ballots rank points (with k ranks, k for the 1st choice down to 1 for the kth; k is
``rules.max_choices``, or the most projects a ballot ranks if that is more or there is no
limit) or, with ``RankedScoring.BORDA``, L-1, ..., 0 for a ballot ranking L projects. Unfilled
ranks ("") are skipped and a repeated project counts once, where it first appears. A voter
*supports* a project when they give it more than 0 points.

Satisfaction. ``"cost"`` (approval ballots): a supporter's satisfaction from a project is its
cost. ``"cardinality"`` (approval): 1. ``"points"``: the points given.

Equal Shares with per-voter budget b. Every ballot (empty ones too) starts with b. Supported
projects that cost nothing are funded first. Then, round by round: a project is affordable
when its supporters hold at least its cost between them; its price is the smallest amount q
per unit of satisfaction such that, each supporter paying q times their satisfaction or all
they have if less, the payments add up to its cost. The affordable project with the lowest
price is funded and its supporters pay; the rounds end when nothing is affordable.

Ties (exactly equal prices, or scores in the completion) go to the project that sorts first:
``lexicographic``: by id compared as a string ("10" before "9"). ``cost-votes``: lower cost,
then more supporters, then id; here a project's supporters are the ballots that name it
(cumulative: with more than 0 points), *whatever the satisfaction*: under Borda scoring a
voter who ranks a project last counts for this tie-break though they pay nothing for it.

Completions. ``None``: Equal Shares with b = B/n (B the budget, n the number of ballots).
``"greedy"`` (``mes-greedy``): then, from the money left, the other projects from the highest
score down, each funded if it still fits: for cost satisfaction the score is the number of
supporters, otherwise total satisfaction per unit of cost (a free project with supporters
first, projects nobody supports last with score 0). ``"add1"`` (``mes-add1``): Equal Shares
with b = B/n, then b = floor(B/n)+1, +2, ... in the election's money, keeping each outcome
while it costs at most B; the search stops at the first outcome that costs more (the last
kept one is the result), or once an outcome funds every supported project.
"""

from __future__ import annotations

import math
from fractions import Fraction

from votes.model import BallotKind, Election, RankedScoring, TieBreak

SATISFACTIONS = ("cost", "cardinality", "points")
COMPLETIONS = (None, "greedy", "add1")


def points(election: Election) -> list[dict[str, int]]:
    """Each ballot's points for each project it names (see the module docstring)."""
    kind = election.kind
    if kind == BallotKind.CUMULATIVE:
        return [dict(zip(b.choices, b.points, strict=True)) for b in election.ballots]
    ballots = [list(dict.fromkeys(c for c in b.choices if c)) for b in election.ballots]
    if kind != BallotKind.RANKED:
        return [dict.fromkeys(b, 1) for b in ballots]
    if election.rules.ranked_scoring == RankedScoring.BORDA:
        return [{p: len(b) - 1 - i for i, p in enumerate(b)} for b in ballots]
    k = max([election.rules.max_choices or 0, *map(len, ballots)])
    return [{p: k - i for i, p in enumerate(b)} for b in ballots]


def tie_order(election: Election, tie_break: TieBreak):
    """A sort key on project ids: the project that sorts first wins an exact tie."""
    if TieBreak(tie_break) == TieBreak.LEXICOGRAPHIC:
        return lambda pid: pid
    supporters = dict.fromkeys((p.id for p in election.projects), 0)
    for b in election.ballots:
        points = b.points or [1] * len(b.choices)
        for pid in {c for c, v in zip(b.choices, points, strict=True) if c and v > 0}:
            supporters[pid] += 1
    cost = {p.id: p.cost for p in election.projects}
    return lambda pid: (cost[pid], -supporters[pid], pid)


def run(election: Election, sat: list[dict[str, Fraction]], share: Fraction, order) -> list[str]:
    """Equal Shares with ``share`` per voter; ``sat[i][p]``: voter i's satisfaction from p."""
    cost = {p.id: Fraction(p.cost) for p in election.projects}
    money = [Fraction(share)] * len(sat)
    backers = {pid: [i for i, s in enumerate(sat) if pid in s] for pid in cost}
    supported = [pid for pid in cost if backers[pid]]
    funded = sorted((pid for pid in supported if cost[pid] == 0), key=order)
    waiting = [pid for pid in supported if cost[pid] > 0]
    while True:
        best = None
        for pid in waiting:
            q = price(cost[pid], [(money[i], sat[i][pid]) for i in backers[pid]])
            if q is not None and (best is None or (q, order(pid)) < (best[0], order(best[1]))):
                best = (q, pid)
        if best is None:
            return funded
        q, pid = best
        for i in backers[pid]:
            money[i] -= min(money[i], q * sat[i][pid])
        funded.append(pid)
        waiting.remove(pid)


def price(cost: Fraction, holdings: list[tuple[Fraction, Fraction]]) -> Fraction | None:
    """The price per unit of satisfaction for ``cost``, from (money, satisfaction) per
    supporter; None when they hold less than ``cost`` between them."""
    if sum(m for m, _ in holdings) < cost:
        return None
    paid, weight = Fraction(0), sum(u for _, u in holdings)
    # The poorest (money per unit of satisfaction) pay all they have while that is less than
    # the price the others would then pay.
    for m, u in sorted(holdings, key=lambda h: h[0] / h[1]):
        q = (cost - paid) / weight
        if q <= m / u:
            return q
        paid, weight = paid + m, weight - u
    raise AssertionError("unreachable: the supporters hold at least the cost")


def greedy_rest(election: Election, scores, per_cost: bool, order, funded: list[str]) -> list[str]:
    """``funded``, then every other project from the highest score down while it fits."""
    cost = {p.id: Fraction(p.cost) for p in election.projects}
    left = Fraction(election.budget) - sum(cost[pid] for pid in funded)

    def score(pid):
        if not per_cost or scores[pid] == 0:
            return scores[pid]
        return math.inf if cost[pid] == 0 else scores[pid] / cost[pid]

    out = list(funded)
    for pid in sorted((p for p in cost if p not in funded), key=lambda p: (-score(p), order(p))):
        if cost[pid] <= left:
            out.append(pid)
            left -= cost[pid]
    return out


def equal_shares(
    election: Election,
    satisfaction: str = "cost",
    tie_break: TieBreak = TieBreak.COST_VOTES,
    completion: str | None = None,
) -> list[str]:
    """Funded project ids in order; see the module docstring for every term."""
    if satisfaction not in SATISFACTIONS or completion not in COMPLETIONS:
        raise ValueError(f"unknown satisfaction {satisfaction!r} or completion {completion!r}")
    cost = {p.id: Fraction(p.cost) for p in election.projects}
    given = [{p: v for p, v in b.items() if v > 0} for b in points(election)]
    if satisfaction == "cost":
        sat = [{p: cost[p] for p in b} for b in given]
    elif satisfaction == "cardinality":
        sat = [{p: Fraction(1) for p in b} for b in given]
    else:
        sat = [{p: Fraction(v) for p, v in b.items()} for b in given]
    order = tie_order(election, tie_break)
    budget, n = Fraction(election.budget), max(len(election.ballots), 1)
    funded = run(election, sat, budget / n, order)
    if completion == "greedy":
        if satisfaction == "cost":
            scores = {p: Fraction(sum(p in b for b in sat)) for p in cost}
        else:
            scores = {p: sum((b.get(p, 0) for b in sat), Fraction(0)) for p in cost}
        return greedy_rest(election, scores, satisfaction != "cost", order, funded)
    if completion == "add1":
        supported = {p for b in sat for p in b}
        share = math.floor(budget / n)
        while len(funded) < len(supported):
            share += 1
            attempt = run(election, sat, Fraction(share), order)
            if sum(cost[p] for p in attempt) > budget:
                break
            funded = attempt
    return funded
