"""Greedy rules: take projects from the highest score down, skipping any that no longer fit.

Two flavours: by total score (``greedy``: votes, points or positional score) and by score per
unit of cost (``greedy-per-cost``). Projects nobody supports still count, with score 0, and are
funded if money is left at the end, as pabutools does. A project that costs nothing and has
support comes first (its score per cost is infinite).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from votes.model import ProjectExplanation, TieBreak
from votes.rules.explain import MoneyFormat, frac, ordinal, plural
from votes.rules.profile import Profile

UNITS = {
    "approval": ("vote", "votes"),
    "points": ("point", "points"),
    "positional": ("point", "points"),
    "borda": ("point", "points"),
    "ranks": ("point", "points"),
}


@dataclass(frozen=True)
class GreedyStep:
    project: int
    rank: int  # 1-based position in the greedy order
    score: int
    money_left: int  # scaled money left when the project was reached
    funded: bool


def density_key(profile: Profile, totals: list[int], per_cost: bool, tie_break: TieBreak):
    """Sort key: higher score (per cost) first, exact; ties by the tie-break."""
    tie = profile.tie_key(tie_break)

    def key(p: int):
        total, cost = totals[p], profile.costs[p]
        if not per_cost:
            return (0, -total, tie(p))
        if total > 0 and cost == 0:
            return (-1, 0, tie(p))
        return (0, -Fraction(total, cost) if total > 0 else 0, tie(p))

    return key


def run(
    profile: Profile,
    totals: list[int],
    per_cost: bool,
    tie_break: TieBreak,
    already: list[int] = (),
) -> list[GreedyStep]:
    """One greedy pass over the projects not in ``already``, with what ``already`` costs spent."""
    left = profile.budget - sum(profile.costs[p] for p in already)
    taken = set(already)
    order = sorted(
        (p for p in range(len(profile.ids)) if p not in taken),
        key=density_key(profile, totals, per_cost, tie_break),
    )
    steps = []
    for rank, p in enumerate(order, start=1):
        fits = profile.costs[p] <= left
        steps.append(GreedyStep(p, rank, totals[p], left, fits))
        if fits:
            left -= profile.costs[p]
    return steps


def score_phrase(profile: Profile, measure: str, per_cost: bool, step: GreedyStep, fmt) -> str:
    one, many = UNITS[measure]
    amount = plural(step.score, one, many)
    if per_cost:
        cost = fmt(profile.money(profile.costs[step.project]))
        rank = ordinal(step.rank)
        return f"Ranked {rank} by {many} per unit of cost ({amount} for a cost of {cost})"
    return f"Ranked {ordinal(step.rank)} by {many} ({amount})"


def explain_step(
    profile: Profile,
    measure: str,
    per_cost: bool,
    step: GreedyStep,
    fmt: MoneyFormat,
    phase: str = "greedy",
    prefix: str = "",
) -> ProjectExplanation:
    cost = profile.money(profile.costs[step.project])
    left = profile.money(step.money_left)
    head = score_phrase(profile, measure, per_cost, step, fmt)
    if step.funded:
        reason = (
            f"{prefix}{head}. {fmt(left)} was left when it was reached, "
            f"enough for its cost of {fmt(cost)}."
        )
    else:
        reason = f"{prefix}{head}. It did not fit: {fmt(left)} was left and it costs {fmt(cost)}."
    details: dict[str, object] = {
        "phase": phase,
        "rank": step.rank,
        "score": step.score,
        "score_measure": measure,
        "per_cost": per_cost,
        "cost": frac(cost),
        "money_left": frac(left),
        "fits": step.funded,
    }
    if per_cost and profile.costs[step.project]:
        details["score_per_cost"] = frac(Fraction(step.score) / cost)
    return ProjectExplanation(profile.ids[step.project], step.funded, reason, details)


def greedy(
    profile: Profile, measure: str, per_cost: bool, tie_break: TieBreak, fmt: MoneyFormat
) -> tuple[list[int], dict[int, ProjectExplanation]]:
    """The greedy rule: the selection in order, and an explanation per project."""
    steps = run(profile, profile.totals(measure), per_cost, tie_break)
    selected = [s.project for s in steps if s.funded]
    explanations = {s.project: explain_step(profile, measure, per_cost, s, fmt) for s in steps}
    return selected, explanations
