"""Sequential Phragmén for approval ballots.

Supporters of a funded project share its cost as "load". In each round the project that
keeps the largest load of its supporters lowest is funded: its supporters' load becomes
(their current loads + its cost) / its supporters, the same for each. The count stops as soon
as that project (or any project tied with it) no longer fits in the budget, as pabutools does.

Exactness: after a round every supporter of the funded project carries the same load, so a
ballot group's load is that of the last funded project it supports. Loads are kept as
``Fraction`` per round; floats only pick out the candidates, which are then compared exactly.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from votes.i18n import Sentences, _, ngettext
from votes.model import ProjectExplanation, TieBreak
from votes.rules.explain import NOBODY, NOT_FUNDED, TOO_DEAR, MoneyFormat, frac
from votes.rules.profile import Profile

MARGIN = 1e-9


def phragmen(
    profile: Profile, tie_break: TieBreak, fmt: MoneyFormat
) -> tuple[list[int], dict[int, ProjectExplanation]]:
    sats = profile.sats("approval")
    tie = profile.tie_key(tie_break)
    w = profile.weights
    wf = w.astype(np.float64)
    approvals = [int(w[s.groups].sum()) for s in sats]
    groups = [s.groups for s in sats]
    last = np.zeros(len(w), dtype=np.int64)  # per group: the round whose load it carries
    loads: list[Fraction] = [Fraction(0)]
    loads_f = np.zeros(1)
    remaining = [p for p in range(len(sats)) if profile.costs[p] <= profile.budget]
    spent = 0
    selected: list[int] = []
    funded_load: dict[int, tuple[int, Fraction]] = {}
    stop_reason: tuple[int, list[int]] | None = None

    def exact(p: int) -> Fraction | None:
        if approvals[p] == 0:
            return None
        counts = np.bincount(last[groups[p]], weights=wf[groups[p]], minlength=len(loads))
        carried = sum((loads[r] * int(c) for r, c in enumerate(counts.tolist()) if c), Fraction(0))
        return (carried + profile.costs[p]) / approvals[p]

    while remaining:
        supported = [p for p in remaining if approvals[p] > 0]
        if supported:
            floats = {
                p: (float(np.dot(loads_f[last[groups[p]]], wf[groups[p]])) + profile.costs[p])
                / approvals[p]
                for p in supported
            }
            best = min(floats.values())
            close = [p for p in supported if floats[p] <= best * (1 + 2 * MARGIN)]
            values = {p: exact(p) for p in close}
            low = min(values.values())
            tied = [p for p in close if values[p] == low]
        else:
            low, tied = None, list(remaining)  # only unsupported projects: all tie at infinity
        if any(spent + profile.costs[p] > profile.budget for p in tied):
            stop_reason = (len(selected), sorted(tied, key=tie))
            break
        p = min(tied, key=tie)
        selected.append(p)
        remaining.remove(p)
        spent += profile.costs[p]
        if low is not None:
            loads.append(low)
            loads_f = np.append(loads_f, float(low))
            last[groups[p]] = len(loads) - 1
        funded_load[p] = (len(selected), low)

    money = profile.money
    explanations: dict[int, ProjectExplanation] = {}
    for p in range(len(profile.ids)):
        details: dict[str, object] = {"phase": "phragmen", "supporters": approvals[p]}
        if p in funded_load:
            rnd, load = funded_load[p]
            details["round"] = rnd
            if load is None:
                # Translators: Phragmén's count funded a project nobody chose, as money was left.
                # round: the count's round (a number).
                reason = _(
                    "Funded in round %(round)s: no ballot chose it, but it still fitted.", round=rnd
                )
            else:
                details["load_per_supporter"] = frac(money(load))
                reason = Sentences(
                    (
                        # Translators: round: a round of the count (a number), not a funding round.
                        _("Funded in round %(round)s.", round=rnd),
                        # Translators: Phragmén's count shares a project's cost between the
                        # voters who chose it ("load"). num: how many; load: money.
                        ngettext(
                            "Its cost was shared so that the one voter who chose it carries "
                            "%(load)s in total.",
                            "Its cost was shared so that each of the %(num)s voters who chose "
                            "it carries %(load)s in total.",
                            approvals[p],
                            load=fmt(money(load)),
                        ),
                    )
                )
        elif profile.costs[p] > profile.budget:
            reason = TOO_DEAR
        else:
            rnd, blockers = stop_reason if stop_reason else (len(selected), [])
            details["count_stopped_after_round"] = rnd
            details["stopped_by"] = [profile.ids[b] for b in blockers]
            load = exact(p)
            if load is not None:
                details["load_per_supporter_needed"] = frac(money(load))
            if p in blockers:
                reason = Sentences(
                    (
                        NOT_FUNDED,
                        # Translators: Phragmén's count: the project was the next to fund but
                        # too little money was left. round: a round of the count; left, cost:
                        # money.
                        _(
                            "It was next after round %(round)s, but it did not fit: %(left)s "
                            "was left and it costs %(cost)s.",
                            round=rnd,
                            left=fmt(money(profile.budget - spent)),
                            cost=fmt(money(profile.costs[p])),
                        ),
                        # Translators: Phragmén's count ends when the next project does not fit.
                        _("The count stopped there."),
                    )
                )
            elif approvals[p] == 0:
                reason = NOBODY
            else:
                reason = Sentences(
                    (
                        NOT_FUNDED,
                        # Translators: Phragmén's count ended before it came to this project.
                        # round: a round of the count (a number).
                        _(
                            "The count stopped after round %(round)s, when the next project "
                            "did not fit, before this one was reached.",
                            round=rnd,
                        ),
                    )
                )
        explanations[p] = ProjectExplanation(profile.ids[p], p in funded_load, "", details, reason)
    return selected, explanations
