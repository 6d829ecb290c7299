"""Greedy rules: take projects from the highest score down, skipping any that no longer fit.

Two flavours: by total score (``greedy``: votes, points or positional score) and by score per
unit of cost (``greedy-per-cost``). Projects nobody supports still count, with score 0, and are
funded if money is left at the end, as pabutools does. A project that costs nothing and has
support comes first (its score per cost is infinite).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from votes.i18n import Message, Ordinal, Sentences, Text, _, ngettext
from votes.model import ProjectExplanation, TieBreak
from votes.rules.explain import FUNDED, NOT_FUNDED, MoneyFormat, frac
from votes.rules.profile import Profile

# What each measure's score is counted in: votes (approval) or points (the others).
POINTS = {"approval": False, "points": True, "positional": True, "borda": True, "ranks": True}


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


def score_sentence(
    profile: Profile, measure: str, per_cost: bool, step: GreedyStep, fmt
) -> Message:
    """ "Ranked 3rd by votes (412 votes).", with the cost when the order is per unit of it."""
    place = {"rank": Ordinal(step.rank)}
    if per_cost:
        cost = fmt(profile.money(profile.costs[step.project]))
        if POINTS[measure]:
            # Translators: a greedy count's order, by points per unit of cost. rank: the place
            # ("3rd"); num: the points; cost: money.
            return ngettext(
                "Ranked %(rank)s by points per unit of cost (%(num)s point for a cost of "
                "%(cost)s).",
                "Ranked %(rank)s by points per unit of cost (%(num)s points for a cost of "
                "%(cost)s).",
                step.score,
                cost=cost,
                **place,
            )
        # Translators: a greedy count's order, by votes per unit of cost. rank: the place
        # ("3rd"); num: the votes; cost: money.
        return ngettext(
            "Ranked %(rank)s by votes per unit of cost (%(num)s vote for a cost of %(cost)s).",
            "Ranked %(rank)s by votes per unit of cost (%(num)s votes for a cost of %(cost)s).",
            step.score,
            cost=cost,
            **place,
        )
    if POINTS[measure]:
        # Translators: a greedy count's order, by points. rank: the place ("3rd"); num: the
        # points it got.
        return ngettext(
            "Ranked %(rank)s by points (%(num)s point).",
            "Ranked %(rank)s by points (%(num)s points).",
            step.score,
            **place,
        )
    # Translators: a greedy count's order, by votes. rank: the place ("3rd"); num: the votes
    # it got.
    return ngettext(
        "Ranked %(rank)s by votes (%(num)s vote).",
        "Ranked %(rank)s by votes (%(num)s votes).",
        step.score,
        **place,
    )


def explain_step(
    profile: Profile,
    measure: str,
    per_cost: bool,
    step: GreedyStep,
    fmt: MoneyFormat,
    phase: str = "greedy",
    prefix: tuple[Text, ...] = (),
) -> ProjectExplanation:
    cost = profile.money(profile.costs[step.project])
    left = profile.money(step.money_left)
    head = score_sentence(profile, measure, per_cost, step, fmt)
    # Said first, so a resident reads the outcome before the reason (a completion step's
    # ``prefix`` says it already).
    status = None if prefix else (FUNDED if step.funded else NOT_FUNDED)
    if step.funded:
        # Translators: a greedy count reached the project with enough money left to fund
        # it. left, cost: money.
        then = _(
            "%(left)s was left when it was reached, enough for its cost of %(cost)s.",
            left=fmt(left),
            cost=fmt(cost),
        )
    else:
        # Translators: a greedy count reached the project with too little money left. left,
        # cost: money.
        then = _(
            "It did not fit: %(left)s was left and it costs %(cost)s.",
            left=fmt(left),
            cost=fmt(cost),
        )
    message = Sentences((*prefix, status, head, then))
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
    if measure != "approval":
        # The points the rule counted, for the results table beside this sentence.
        details["points"] = step.score
    if per_cost and profile.costs[step.project]:
        details["score_per_cost"] = frac(Fraction(step.score) / cost)
    return ProjectExplanation(profile.ids[step.project], step.funded, "", details, message)


def greedy(
    profile: Profile, measure: str, per_cost: bool, tie_break: TieBreak, fmt: MoneyFormat
) -> tuple[list[int], dict[int, ProjectExplanation]]:
    """The greedy rule: the selection in order, and an explanation per project."""
    totals = profile.totals(measure)
    steps = run(profile, totals, per_cost, tie_break)
    selected = [s.project for s in steps if s.funded]
    explanations = {s.project: explain_step(profile, measure, per_cost, s, fmt) for s in steps}
    for p, record in decided_ties(profile, totals, per_cost, tie_break, steps).items():
        e = explanations[p]
        explanations[p] = replace(e, details={**e.details, "tie_break": record})
    return selected, explanations


def decided_ties(
    profile: Profile,
    totals: list[int],
    per_cost: bool,
    tie_break: TieBreak,
    steps: list[GreedyStep],
) -> dict[int, dict[str, object]]:
    """The ties the tie-break decided: projects level on score (per cost) of which some were
    funded and one that was not would have fitted had it come first in the group. (Otherwise
    the order within the group changes nothing.) Each project of such a group gets a record
    of the projects tied, in tie-break order."""
    key = density_key(profile, totals, per_cost, tie_break)
    groups: dict[tuple, list[GreedyStep]] = {}
    for s in steps:
        groups.setdefault(key(s.project)[:2], []).append(s)
    out: dict[int, dict[str, object]] = {}
    for group in groups.values():
        start = group[0].money_left
        if not any(s.funded for s in group) or not any(
            not s.funded and profile.costs[s.project] <= start for s in group
        ):
            continue
        record = {"tied": [profile.ids[s.project] for s in group], "rule": str(tie_break)}
        for s in group:
            out[s.project] = record
    return out
