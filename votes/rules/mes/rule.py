"""The MES rules: the count (with its budget search and completion, if any) and its explanations."""

from __future__ import annotations

from votes.i18n import Sentences, _
from votes.model import ProjectExplanation, TieBreak
from votes.rules.explain import MoneyFormat, divide, frac
from votes.rules.greedy import explain_step
from votes.rules.greedy import run as greedy_run
from votes.rules.mes.add1 import add_one, first_budget
from votes.rules.mes.engine import Engine
from votes.rules.mes.explain import Words, explain_funded, explain_unfunded, not_by_mes
from votes.rules.profile import Profile

__all__ = ["equal_shares"]


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

    Explanations follow the money of the final (tracked) run. Every project's ``details``
    give ``share_per_voter``, the share each voter held in that run (with ``add1`` also
    ``first_share_per_voter``, B/n, where the search started). A project's *supporters* are
    the voters its measure gives positive satisfaction: for approval ballots those who chose
    it; for points (cumulative points, rank points, Borda scores) those who gave it points,
    so under Borda scoring a ballot that ranks it last is not one.

    *Effective support*, as in the explanations equalshares.net publishes for Method of
    Equal Shares deployments ("the supporters could cover X% of the cost"): the money its
    supporters held between them, divided by its cost, at the moment the count decided it.
    For a funded project, the moment it was chosen (``supporters_money``): 100% or more.
    For an unfunded one, the end of the round after which its supporters no longer had
    enough (``supporters_money_left``, ``unaffordable_after_round``; round 0 is the start):
    below 100%. Not defined for a project that costs nothing or that nobody supports.
    Unfunded projects also get ``paid_towards`` (what their supporters had paid to each
    funded project by then, exact), ``supporters_start_money`` and ``shortfall``, so that
    start money = the amounts paid + money left, and cost = money left + shortfall.
    """
    sats = profile.sats(measure)
    engine = Engine(profile, sats, cost_sat, profile.tie_key(tie_break))
    runs = 1
    first = first_budget(engine)
    per_voter = first
    if add1:
        per_voter, runs = add_one(engine)
    result = engine.run(per_voter, track=True)
    unit = engine.unit
    money = lambda x: divide(x, unit)  # noqa: E731 - engine money to election money
    words = Words(profile, sats, engine.wm, measure)
    share = money(per_voter)
    common: dict[str, object] = {
        "phase": "mes",
        "share_per_voter": frac(share),
        "counted": "points" if words.points else "votes",
    }
    if add1:
        common["first_share_per_voter"] = frac(money(first))
        common["budget_search_runs"] = runs
    explanations: dict[int, ProjectExplanation] = {}
    for p in result.selected:
        explanations[p] = explain_funded(profile, words, p, result.payments[p], money, fmt, common)
    winners = result.selected[len(engine.free) :]  # round r's project is winners[r - 1]
    chosen = set(result.selected)
    for p in range(len(profile.ids)):
        if p in chosen:
            continue
        explanations[p] = explain_unfunded(
            profile, engine, words, p, result.unaffordable.get(p), winners, share, fmt, common
        )
    selected = list(result.selected)
    if completion is not None:
        measure2, per_cost = completion
        steps = greedy_run(profile, profile.totals(measure2), per_cost, tie_break, selected)
        for s in steps:
            mes = explanations[s.project]
            if not s.funded:
                # Translators: mes-greedy: after the Method of Equal Shares, its completion step
                # could not fund the project either. left, cost: money.
                then = _(
                    "The completion step, which spends what Equal Shares left, could not fund "
                    "it either: %(left)s was left then, and it costs %(cost)s.",
                    left=fmt(profile.money(s.money_left)),
                    cost=fmt(profile.money(profile.costs[s.project])),
                )
                reason = Sentences((mes.message, then))
                explanations[s.project] = ProjectExplanation("", False, "", mes.details, reason)
                continue
            selected.append(s.project)
            step = explain_step(
                profile,
                measure2,
                per_cost,
                s,
                fmt,
                phase="completion",
                prefix=(
                    not_by_mes(mes, profile.money(profile.costs[s.project]), fmt),
                    # Translators: mes-greedy: the completion step spends the money the Method
                    # of Equal Shares left.
                    _("Funded in the completion step, from money Equal Shares left unspent."),
                ),
            )
            details = {**mes.details, **step.details}
            explanations[s.project] = ProjectExplanation("", True, "", details, step.message)
    return selected, explanations
