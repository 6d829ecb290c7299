"""Maximum welfare: the projects that fit the budget with the most approvals times cost.

This is a 0/1 knapsack (value = approvals x cost, weight = cost), solved exactly in integers
by depth-first branch and bound. Projects are taken in order of approvals (the value per unit
of cost), ties by the tie-break; the search tries "fund" before "skip" and only replaces its
best set by a strictly better one. So among several optimal sets the choice is deterministic:
the one that funds the first project of that order if any optimal set does, then the second,
and so on. Projects nobody supports add nothing and are never funded.
"""

from __future__ import annotations

import sys

from votes.i18n import Sentences, _, ngettext
from votes.model import ProjectExplanation, TieBreak
from votes.rules.explain import FUNDED, NOBODY, NOT_FUNDED, TOO_DEAR, MoneyFormat, frac
from votes.rules.profile import Profile


def knapsack(values: list[int], weights: list[int], capacity: int) -> tuple[int, list[int]]:
    """Best total value and the chosen positions; items must be sorted by value/weight, best first.

    Among optimal choices, returns the lexicographically greatest inclusion vector.
    """
    n = len(values)
    best_value = -1
    best_take: list[int] = []
    take: list[int] = []

    def bound(i: int, room: int, value: int) -> tuple[int, int]:
        """Fractional (LP) upper bound, as a numerator/denominator pair to stay exact."""
        while i < n and weights[i] <= room:
            room -= weights[i]
            value += values[i]
            i += 1
        if i < n and room > 0:
            return value * weights[i] + values[i] * room, weights[i]
        return value, 1

    def search(i: int, room: int, value: int) -> None:
        nonlocal best_value, best_take
        if i == n:
            if value > best_value:
                best_value, best_take = value, list(take)
            return
        num, den = bound(i, room, value)
        if num <= best_value * den:  # cannot beat the best strictly
            return
        if weights[i] <= room:
            take.append(i)
            search(i + 1, room - weights[i], value + values[i])
            take.pop()
        search(i + 1, room, value)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 2 * n + 100))
    try:
        search(0, capacity, 0)
    finally:
        sys.setrecursionlimit(limit)
    return best_value, best_take


def max_welfare(
    profile: Profile, tie_break: TieBreak, fmt: MoneyFormat
) -> tuple[list[int], dict[int, ProjectExplanation]]:
    approvals = profile.totals("approval")
    tie = profile.tie_key(tie_break)
    items = sorted(
        (
            p
            for p in range(len(profile.ids))
            if approvals[p] > 0 and profile.costs[p] <= profile.budget
        ),
        key=lambda p: (-approvals[p], tie(p)),
    )
    zero = [p for p in items if profile.costs[p] == 0]  # free and supported: always funded
    items = [p for p in items if profile.costs[p] > 0]
    values = [approvals[p] * profile.costs[p] for p in items]
    weights = [profile.costs[p] for p in items]
    total, chosen = knapsack(values, weights, profile.budget)
    selected = zero + [items[i] for i in chosen]
    funded = set(selected)
    welfare = profile.money(max(total, 0))
    spent = sum(profile.costs[p] for p in selected)
    explanations = {}
    for p in range(len(profile.ids)):
        details: dict[str, object] = {
            "phase": "max-welfare",
            "supporters": approvals[p],
            "welfare": frac(welfare),
            "welfare_of_project": frac(profile.money(approvals[p] * profile.costs[p])),
        }
        if p in funded:
            reason = Sentences(
                (
                    FUNDED,
                    # Translators: maximum welfare funds the projects that fit the budget with
                    # the most votes times cost between them.
                    _(
                        "It is in the set of projects that fits the budget with the most "
                        "support (votes times cost)."
                    ),
                    # Translators: num: how many voters chose the project.
                    ngettext("%(num)s voter chose it.", "%(num)s voters chose it.", approvals[p]),
                )
            )
        elif approvals[p] == 0:
            reason = NOBODY
        elif profile.costs[p] > profile.budget:
            reason = TOO_DEAR
        else:
            reason = Sentences(
                (
                    NOT_FUNDED,
                    # Translators: maximum welfare: the project is not in the set of projects
                    # that fits the budget with the most votes times cost. num: its voters.
                    ngettext(
                        "%(num)s voter chose it, but it is not in the best set that fits.",
                        "%(num)s voters chose it, but it is not in the best set that fits.",
                        approvals[p],
                    ),
                    # Translators: left, cost: money.
                    _(
                        "%(left)s is left and it costs %(cost)s.",
                        left=fmt(profile.money(profile.budget - spent)),
                        cost=fmt(profile.money(profile.costs[p])),
                    ),
                )
            )
        explanations[p] = ProjectExplanation(profile.ids[p], p in funded, "", details, reason)
    return selected, explanations
