"""Explanations of an MES count, in words: why each project was funded or not.

They follow the money of the count's tracked run (``Engine.run(..., track=True)``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from votes.model import ProjectExplanation
from votes.rules.explain import divide, frac, percent, sentence
from votes.rules.mes.engine import Engine, Payment
from votes.rules.profile import Profile, ProjectSat
from votes.text import join_list, plural

__all__ = ["NAMED_PAYMENTS", "Words", "explain_funded", "explain_unfunded", "not_by_mes"]


class Words:
    """Who a project's supporters are, in words, and the counts the sentences need."""

    def __init__(self, profile: Profile, sats: list[ProjectSat], totals: list[int], measure):
        # Points whenever the rule counts more than "chose it or not" (cumulative points,
        # rank points, Borda scores); approval ballots are counted in votes.
        self.points = measure != "approval"
        self.measure = measure
        self.totals = totals
        w = profile.weights
        self.supporters = [int(w[s.groups].sum()) for s in sats]
        named = np.bincount(
            profile.flat_project, weights=w[profile.flat_group], minlength=len(profile.ids)
        )
        self.named = [int(x) for x in named.tolist()]  # ballots naming it: its votes
        self.sats = sats

    def values(self, p: int) -> list[int]:
        """The points each of ``p``'s supporters gave it (one entry per ballot group)."""
        return [int(v) for v in self.sats[p].values.tolist()]

    def who(self, n: int) -> str:
        """ "the 12 voters who chose it", "the one voter who gave it points"."""
        did = "gave it points" if self.points else "chose it"
        return f"the one voter who {did}" if n == 1 else f"the {n:,} voters who {did}"

    def no_points(self) -> str:
        if self.measure == "borda":
            return "ranked it last, which scores no points"
        return "gave it no points"

    def others(self, p: int) -> str:
        """Ballots that chose ``p`` without giving it points, so its votes and supporters
        differ: said, so that the sentence agrees with the votes beside it."""
        extra = self.named[p] - self.supporters[p]
        if extra <= 0:
            return ""
        return f" {plural(extra, 'other ballot')} {self.no_points()}."

    def facts(self, p: int) -> dict[str, object]:
        out: dict[str, object] = {"supporters": self.supporters[p]}
        if self.points:
            out["points"] = self.totals[p]
        return out


def not_by_mes(mes: ProjectExplanation, cost: Fraction, fmt) -> str:
    """The Equal Shares half of a completion project's explanation."""
    left = mes.details.get("supporters_money_left")
    support = mes.details.get("effective_support")
    if not mes.details.get("supporters"):
        return "Equal Shares could not fund it, as nobody gave it their share. "
    if left is None or support is None:  # pragma: no cover - noted for every unfunded one
        return "Equal Shares alone could not fund it. "
    return (
        f"Equal Shares alone could not fund it ({percent(Fraction(support))} effective "
        f"support: {fmt(Fraction(left))} left for a cost of {fmt(cost)}). "
    )


def explain_funded(profile, words: Words, p: int, pay: Payment, money, fmt, common):
    supporters = pay.full + pay.partial
    price = money(pay.price)
    details = dict(common)
    details.update(words.facts(p))
    details.update(
        {
            "round": pay.round,
            "paid_full": pay.full,
            "paid_all_they_had": pay.partial,
            "paid_all_they_had_total": frac(money(pay.partial_paid)),
            "had_nothing_left": pay.empty,
            "max_payment": frac(money(pay.max_paid)),
        }
    )
    if pay.round == 0:
        reason = f"Funded first: it costs nothing.{words.others(p)}"
        return ProjectExplanation("", True, reason, details)
    cost = profile.money(profile.costs[p])
    before = money(pay.money_before)
    details["supporters_money"] = frac(before)
    details["effective_support"] = frac(before / cost)
    who = words.who(supporters)
    some = pay.partial - pay.empty  # paid all they had, which was something
    rest = []
    if some:
        between = " between them" if some > 1 else ""
        rest.append(f"{some:,} paid all they had left ({fmt(money(pay.partial_paid))}{between})")
    if pay.empty:
        rest.append(f"{pay.empty:,} had nothing left")
    each = " each" if pay.full > 1 else ""
    if not words.points:
        details["price_per_supporter"] = frac(price)
        if supporters == 1:
            body = f"{sentence(who)} paid its whole cost, {fmt(price)}."
        elif not rest:
            body = f"{sentence(who)} paid {fmt(price)} each."
        else:
            body = f"Of {who}, {join_list([f'{pay.full:,} paid {fmt(price)}{each}', *rest])}."
    else:
        details["price_per_point"] = frac(price)
        if supporters == 1:
            points = plural(words.totals[p], "point")
            body = (
                f"{sentence(who)} paid its whole cost, {fmt(cost)}: {fmt(price)} for each of "
                f"the {points} they gave it."
            )
        elif not rest:
            # Everyone paid in full: price x their points, so the spread of points given
            # is the spread of payments.
            values = words.values(p)
            low, high = min(values), max(values)
            if low == high:
                body = (
                    f"{sentence(who)} paid {fmt(price * low)} each: {fmt(price)} a point, "
                    f"and each gave it {plural(low, 'point')}."
                )
            else:
                body = (
                    f"{sentence(who)} paid {fmt(price)} a point: from {fmt(price * low)} to "
                    f"{fmt(price * high)} each, as they gave it from {low:,} to "
                    f"{plural(high, 'point')}."
                )
        else:
            full = f"{pay.full:,} paid {fmt(price)} for each point they gave it"
            if pay.full == 1:
                full = f"1 paid {fmt(price)} for each point they gave it"
            body = f"Of {who}, {join_list([full, *rest])}."
    they = "they" if supporters > 1 else "this voter"
    reason = (
        f"Funded in round {pay.round}. {body}{words.others(p)} Effective support "
        f"{percent(before / cost)}: {they} had {fmt(before)}"
        f"{' between them' if supporters > 1 else ''} when it was chosen, for a cost of "
        f"{fmt(cost)}."
    )
    return ProjectExplanation("", True, reason, details)


# Payments to at most this many funded projects are named; the rest are summed.
NAMED_PAYMENTS = 3


def explain_unfunded(
    profile, engine: Engine, words: Words, p, unaffordable, winners, share, fmt, common
):
    """Why ``p`` was not funded, following its supporters' money (see ``equal_shares``)."""
    details = dict(common)
    details.update(words.facts(p))
    supporters = words.supporters[p]
    cost = profile.money(profile.costs[p])
    if supporters == 0:
        named = words.named[p]
        if named == 0:
            reason = "Not funded: no ballot chose it."
        elif named == 1:
            reason = f"Not funded: the one ballot that chose it {words.no_points()}."
        else:
            reason = f"Not funded: the {named:,} ballots that chose it all {words.no_points()}."
        return ProjectExplanation("", False, reason, details)
    who = words.who(supporters)
    if unaffordable is None:  # pragma: no cover - every unfunded supported project is noted
        return ProjectExplanation("", False, f"Not funded: {who} had too little left.", details)
    rnd, left_engine = unaffordable
    money = lambda x: divide(x, engine.unit)  # noqa: E731
    left = money(left_engine)
    start = share * supporters
    short = cost - left
    paid = engine.paid_by(p, rnd)
    towards = [(winners[t - 1], t, money(a)) for t, a in enumerate(paid, start=1) if a]
    details.update(
        {
            "unaffordable_after_round": rnd,
            "supporters_start_money": frac(start),
            "supporters_money_left": frac(left),
            "shortfall": frac(short),
            "paid_towards": [
                {"project": profile.ids[q], "round": t, "amount": frac(a)} for q, t, a in towards
            ],
        }
    )
    support = ""
    if cost:
        details["effective_support"] = frac(left / cost)
        support = f": {percent(left / cost)} effective support"
    between = f"{fmt(start)} between them ({fmt(share)} each)" if supporters > 1 else fmt(share)
    if not towards:
        when = "from the start" if rnd == 0 else f"after round {rnd}"
        reason = (
            f"Not funded. {sentence(who)} had {between} {when}, {fmt(short)} short of its "
            f"cost of {fmt(cost)}{support}."
        )
    else:
        biggest = sorted(towards, key=lambda x: (-x[2], x[1]))
        named = biggest[:NAMED_PAYMENTS]
        named.sort(key=lambda x: x[1])  # in the order they were funded
        parts = [f"{fmt(a)} towards {profile.name(q)}" for q, _, a in named]
        others = biggest[NAMED_PAYMENTS:]
        if others:
            total = sum((a for _, _, a in others), Fraction(0))
            parts.append(f"{fmt(total)} towards {plural(len(others), 'other funded project')}")
        they = "they" if supporters > 1 else "this voter"
        reason = (
            f"Not funded. {sentence(who)} started with {between}. By the end of round {rnd} "
            f"{they} had paid {join_list(parts)}; the {fmt(left)} left was {fmt(short)} "
            f"short of its cost of {fmt(cost)}{support}."
        )
    reason += words.others(p)
    return ProjectExplanation("", False, reason, details)
