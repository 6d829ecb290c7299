"""Explanations of an MES count, in words: why each project was funded or not.

They follow the money of the count's tracked run (``Engine.run(..., track=True)``). Each is a
``votes.i18n`` text, put into words in a language when the count is done.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from votes.i18n import Items, Message, Sentences, _, ngettext, number
from votes.model import ProjectExplanation
from votes.rules.explain import NOBODY, NOT_FUNDED, divide, frac, percent
from votes.rules.mes.engine import Engine, Payment
from votes.rules.profile import Profile, ProjectSat

__all__ = ["NAMED_PAYMENTS", "Words", "explain_funded", "explain_unfunded", "not_by_mes"]


class Words:
    """Who a project's supporters are, and the counts the sentences need."""

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

    def others(self, p: int) -> Message | None:
        """Ballots that chose ``p`` without giving it points, so its votes and supporters
        differ: said, so that the sentence agrees with the votes beside it."""
        extra = self.named[p] - self.supporters[p]
        if extra <= 0:
            return None
        if self.measure == "borda":
            # Translators: Borda scoring gives a project ranked last on a ballot no points.
            # num: how many ballots, besides the supporters the sentences before counted.
            return ngettext(
                "%(num)s other ballot ranked it last, which scores no points.",
                "%(num)s other ballots ranked it last, which scores no points.",
                extra,
            )
        # Translators: num: how many ballots, besides the supporters the sentences before
        # counted, named the project without giving it points.
        return ngettext(
            "%(num)s other ballot gave it no points.",
            "%(num)s other ballots gave it no points.",
            extra,
        )

    def no_points(self, named: int) -> Message:
        """Not funded, as every ballot naming it gave it no points."""
        if self.measure == "borda":
            # Translators: a whole explanation: the ballots that named the project all ranked it
            # last, which Borda scoring counts as no points. num: how many ballots.
            return ngettext(
                "Not funded: the one ballot that chose it ranked it last, which scores no points.",
                "Not funded: the %(num)s ballots that chose it all ranked it last, which scores "
                "no points.",
                named,
            )
        # Translators: a whole explanation: the ballots that named the project gave it no
        # points. num: how many ballots.
        return ngettext(
            "Not funded: the one ballot that chose it gave it no points.",
            "Not funded: the %(num)s ballots that chose it all gave it no points.",
            named,
        )

    def facts(self, p: int) -> dict[str, object]:
        out: dict[str, object] = {"supporters": self.supporters[p]}
        if self.points:
            out["points"] = self.totals[p]
        return out


def not_by_mes(mes: ProjectExplanation, cost: Fraction, fmt) -> Message:
    """The Equal Shares half of a completion project's explanation."""
    left = mes.details.get("supporters_money_left")
    support = mes.details.get("effective_support")
    if not mes.details.get("supporters"):
        # Translators: mes-greedy: the Method of Equal Shares could not fund the project, as no
        # voter's share could go to it.
        return _("Equal Shares could not fund it, as nobody gave it their share.")
    if left is None or support is None:  # pragma: no cover - noted for every unfunded one
        return _("Equal Shares alone could not fund it.")
    # Translators: mes-greedy: why the Method of Equal Shares could not fund the project.
    # percent: its effective support ("83%"); left: its supporters' money; cost: money.
    return _(
        "Equal Shares alone could not fund it (%(percent)s effective support: %(left)s left "
        "for a cost of %(cost)s).",
        percent=percent(Fraction(support)),
        left=fmt(Fraction(left)),
        cost=fmt(cost),
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
        # Translators: a project that costs nothing and that some ballot supports.
        reason = Sentences((_("Funded first: it costs nothing."), words.others(p)))
        return ProjectExplanation("", True, "", details, reason)
    cost = profile.money(profile.costs[p])
    before = money(pay.money_before)
    details["supporters_money"] = frac(before)
    details["effective_support"] = frac(before / cost)
    some = pay.partial - pay.empty  # paid all they had, which was something
    rest: list[Message] = []
    if some:
        # Translators: an item of the list of what a funded project's supporters paid ("2
        # paid £9.25 each and 1 paid all they had left (£2.50)"). num: how many voters;
        # amount: what they paid together.
        rest.append(
            ngettext(
                "%(num)s paid all they had left (%(amount)s)",
                "%(num)s paid all they had left (%(amount)s between them)",
                some,
                amount=fmt(money(pay.partial_paid)),
            )
        )
    if pay.empty:
        # Translators: an item of the list of what a funded project's supporters paid: those
        # who had no money left. num: how many voters.
        rest.append(ngettext("%(num)s had nothing left", "%(num)s had nothing left", pay.empty))
    if not words.points:
        details["price_per_supporter"] = frac(price)
        if supporters == 1 or not rest:
            # Translators: everyone who chose the funded project paid the same. num: how many
            # voters; price: money.
            body = ngettext(
                "The one voter who chose it paid its whole cost, %(price)s.",
                "The %(num)s voters who chose it paid %(price)s each.",
                supporters,
                price=fmt(price),
            )
        else:
            # Translators: an item of the list of what a funded project's supporters paid:
            # those who paid the full price. num: how many voters; price: money.
            full = ngettext(
                "%(num)s paid %(price)s", "%(num)s paid %(price)s each", pay.full, price=fmt(price)
            )
            # Translators: payments: the list of what they paid ("2 paid £9.25 each and 1 paid
            # all they had left (£2.50)"). num: how many voters chose the project.
            body = ngettext(
                "Of the one voter who chose it, %(payments)s.",
                "Of the %(num)s voters who chose it, %(payments)s.",
                supporters,
                payments=Items((full, *rest)),
            )
    else:
        details["price_per_point"] = frac(price)
        if supporters == 1:
            # Translators: one voter gave the funded project points and paid for it alone.
            # cost, price: money; num: the points they gave it.
            body = ngettext(
                "The one voter who gave it points paid its whole cost, %(cost)s: %(price)s for "
                "each of the %(num)s point they gave it.",
                "The one voter who gave it points paid its whole cost, %(cost)s: %(price)s for "
                "each of the %(num)s points they gave it.",
                words.totals[p],
                cost=fmt(cost),
                price=fmt(price),
            )
        elif not rest:
            # Everyone paid in full: price x their points, so the spread of points given
            # is the spread of payments.
            values = words.values(p)
            low, high = min(values), max(values)
            if low == high:
                # Translators: everyone who gave the funded project points gave it as many and
                # paid the same. voters: "12 voters"; amount, price: money; num: the points
                # each gave it.
                body = ngettext(
                    "The %(voters)s who gave it points paid %(amount)s each: %(price)s a "
                    "point, and each gave it %(num)s point.",
                    "The %(voters)s who gave it points paid %(amount)s each: %(price)s a "
                    "point, and each gave it %(num)s points.",
                    low,
                    voters=voters(supporters),
                    amount=fmt(price * low),
                    price=fmt(price),
                )
            else:
                # Translators: the voters who gave the funded project points paid for each
                # point. voters: "12 voters"; price, lowest, highest: money; fewest: the
                # fewest points any of them gave it; num: the most.
                body = ngettext(
                    "The %(voters)s who gave it points paid %(price)s a point: from %(lowest)s "
                    "to %(highest)s each, as they gave it from %(fewest)s to %(num)s point.",
                    "The %(voters)s who gave it points paid %(price)s a point: from %(lowest)s "
                    "to %(highest)s each, as they gave it from %(fewest)s to %(num)s points.",
                    high,
                    voters=voters(supporters),
                    price=fmt(price),
                    lowest=fmt(price * low),
                    highest=fmt(price * high),
                    fewest=number(low),
                )
        else:
            # Translators: an item of the list of what a funded project's supporters paid:
            # those who paid the full price for their points. num: how many voters; price:
            # money.
            full = ngettext(
                "%(num)s paid %(price)s for each point they gave it",
                "%(num)s paid %(price)s for each point they gave it",
                pay.full,
                price=fmt(price),
            )
            # Translators: payments: the list of what they paid ("2 paid £1.50 for each point
            # they gave it and 1 paid all they had left (£2.50)"). num: how many voters gave
            # the project points.
            body = ngettext(
                "Of the one voter who gave it points, %(payments)s.",
                "Of the %(num)s voters who gave it points, %(payments)s.",
                supporters,
                payments=Items((full, *rest)),
            )
    # Translators: percent: the project's effective support ("107%"), the money its
    # supporters had when it was chosen (money) over its cost (cost). num: how many supporters.
    support = ngettext(
        "Effective support %(percent)s: this voter had %(money)s when it was chosen, for a "
        "cost of %(cost)s.",
        "Effective support %(percent)s: they had %(money)s between them when it was chosen, "
        "for a cost of %(cost)s.",
        supporters,
        percent=percent(before / cost),
        money=fmt(before),
        cost=fmt(cost),
    )
    reason = Sentences(
        (
            # Translators: round: a round of the count (a number), not a funding round.
            _("Funded in round %(round)s.", round=pay.round),
            body,
            words.others(p),
            support,
        )
    )
    return ProjectExplanation("", True, "", details, reason)


def voters(n: int) -> Message:
    """ "12 voters", for a sentence that counts something else too."""
    # Translators: a number of voters, inside a sentence ("The %(voters)s who gave it points").
    return ngettext("%(num)s voter", "%(num)s voters", n)


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
        reason = NOBODY if named == 0 else words.no_points(named)
        return ProjectExplanation("", False, "", details, reason)
    if unaffordable is None:  # pragma: no cover - every unfunded supported project is noted
        if words.points:
            reason = ngettext(
                "Not funded: the one voter who gave it points had too little left.",
                "Not funded: the %(num)s voters who gave it points had too little left.",
                supporters,
            )
        else:
            reason = ngettext(
                "Not funded: the one voter who chose it had too little left.",
                "Not funded: the %(num)s voters who chose it had too little left.",
                supporters,
            )
        return ProjectExplanation("", False, "", details, reason)
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
    if cost:
        details["effective_support"] = frac(left / cost)
    # A supported project that costs nothing is always funded (first), so ``cost`` is not 0.
    facts = {
        "start": fmt(start),
        "share": fmt(share),
        "short": fmt(short),
        "cost": fmt(cost),
        "percent": percent(left / cost) if cost else "",
    }
    if not towards:
        reason = Sentences((NOT_FUNDED, _short(words, supporters, rnd, facts), words.others(p)))
        return ProjectExplanation("", False, "", details, reason)
    biggest = sorted(towards, key=lambda x: (-x[2], x[1]))
    named = biggest[:NAMED_PAYMENTS]
    named.sort(key=lambda x: x[1])  # in the order they were funded
    # Translators: an item of the list of what a project's supporters had paid towards the
    # projects funded before ("£3,000 towards Park benches"). amount: money; project: a name.
    parts = [
        _("%(amount)s towards %(project)s", amount=fmt(a), project=profile.name(q))
        for q, _t, a in named
    ]
    others = biggest[NAMED_PAYMENTS:]
    if others:
        total = sum((a for _q, _t, a in others), Fraction(0))
        # Translators: the last item of the list of what a project's supporters had paid
        # towards the projects funded before: the rest together. amount: money; num: how many.
        parts.append(
            ngettext(
                "%(amount)s towards %(num)s other funded project",
                "%(amount)s towards %(num)s other funded projects",
                len(others),
                amount=fmt(total),
            )
        )
    if words.points:
        # Translators: share: each voter's equal share of the budget; start: what they had
        # together (money). num: how many voters gave the project points.
        started = ngettext(
            "The one voter who gave it points started with %(share)s.",
            "The %(num)s voters who gave it points started with %(start)s between them "
            "(%(share)s each).",
            supporters,
            **facts,
        )
    else:
        # Translators: share: each voter's equal share of the budget; start: what they had
        # together (money). num: how many voters chose the project.
        started = ngettext(
            "The one voter who chose it started with %(share)s.",
            "The %(num)s voters who chose it started with %(start)s between them (%(share)s each).",
            supporters,
            **facts,
        )
    # Translators: round: a round of the count (a number); payments: the list of what the
    # project's supporters had paid ("£3,000 towards Park benches and £1,500 towards Library
    # books"); left, short, cost: money; percent: its effective support ("37%"). num: how
    # many supporters.
    spent = ngettext(
        "By the end of round %(round)s this voter had paid %(payments)s; the %(left)s left was "
        "%(short)s short of its cost of %(cost)s: %(percent)s effective support.",
        "By the end of round %(round)s they had paid %(payments)s; the %(left)s left was "
        "%(short)s short of its cost of %(cost)s: %(percent)s effective support.",
        supporters,
        round=rnd,
        payments=Items(tuple(parts)),
        left=fmt(left),
        **facts,
    )
    reason = Sentences((NOT_FUNDED, started, spent, words.others(p)))
    return ProjectExplanation("", False, "", details, reason)


def _short(words: Words, supporters: int, rnd: int, facts: dict[str, str]) -> Message:
    """What an unfunded project's supporters had when they could no longer fund it, having
    paid nothing towards another project."""
    if rnd == 0 and words.points:
        # Translators: the project's supporters' money was too little from the start. share:
        # each voter's equal share of the budget; start: what they had together; short: how
        # much more was needed; cost: money; percent: effective support ("37%"). num: how many
        # voters gave it points.
        return ngettext(
            "The one voter who gave it points had %(share)s from the start, %(short)s short of "
            "its cost of %(cost)s: %(percent)s effective support.",
            "The %(num)s voters who gave it points had %(start)s between them (%(share)s each) "
            "from the start, %(short)s short of its cost of %(cost)s: %(percent)s effective "
            "support.",
            supporters,
            **facts,
        )
    if rnd == 0:
        # Translators: as the sentence before, for voters who chose the project.
        return ngettext(
            "The one voter who chose it had %(share)s from the start, %(short)s short of its "
            "cost of %(cost)s: %(percent)s effective support.",
            "The %(num)s voters who chose it had %(start)s between them (%(share)s each) from "
            "the start, %(short)s short of its cost of %(cost)s: %(percent)s effective support.",
            supporters,
            **facts,
        )
    if words.points:
        # Translators: the project's supporters' money after a round of the count (round),
        # spent on nothing else: too little. share: each voter's equal share of the budget;
        # start: what they had together; short: how much more was needed; cost: money;
        # percent: effective support ("37%"). num: how many voters gave it points.
        return ngettext(
            "The one voter who gave it points had %(share)s after round %(round)s, %(short)s "
            "short of its cost of %(cost)s: %(percent)s effective support.",
            "The %(num)s voters who gave it points had %(start)s between them (%(share)s each) "
            "after round %(round)s, %(short)s short of its cost of %(cost)s: %(percent)s "
            "effective support.",
            supporters,
            round=rnd,
            **facts,
        )
    # Translators: as the sentence before, for voters who chose the project.
    return ngettext(
        "The one voter who chose it had %(share)s after round %(round)s, %(short)s short of "
        "its cost of %(cost)s: %(percent)s effective support.",
        "The %(num)s voters who chose it had %(start)s between them (%(share)s each) after "
        "round %(round)s, %(short)s short of its cost of %(cost)s: %(percent)s effective "
        "support.",
        supporters,
        round=rnd,
        **facts,
    )
