"""Plain descriptions of ballot kinds, counting rules and tie-breaking, for the pages, in the
page's language.

Names come from ``votes``: ``BallotKind`` values, ``RULES`` names and ``TieBreak`` values. The
tables hold lazy texts (forms use them at class level; each is translated when it is shown);
the functions return the text in the page's language.
"""

from __future__ import annotations

import json

from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.web.presenters.formatting import number, ordinal
from votes.model import BallotKind, RankedScoring, TieBreak


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    """gettext's ``ngettext`` (`make messages` extracts it as one), with ``num`` written as the
    page's language writes numbers ("1,204") unless given."""
    values.setdefault("num", number(n))
    return get_translations().ungettext(singular, plural, n) % values


KIND_LABELS = {
    BallotKind.APPROVAL: _l("Approval: tick the projects you support"),
    BallotKind.KNAPSACK: _l("Budget: choose projects that together fit the pot"),
    BallotKind.CUMULATIVE: _l("Points: share out a number of points"),
    BallotKind.RANKED: _l("Ranked: number projects in order of preference"),
    BallotKind.SINGLE: _l("Single choice: choose one project"),
}

RULE_LABELS = {
    "greedy": _l("Most votes first"),
    "greedy-per-cost": _l("Most votes per pound first"),
    "mes": _l("Method of Equal Shares"),
    "mes-cardinality": _l("Method of Equal Shares, counting projects"),
    "mes-greedy": _l("Method of Equal Shares, then most votes first"),
    "mes-add1": _l("Method of Equal Shares with completion"),
    "phragmen": _l("Sequential Phragmén"),
    "max-welfare": _l("Most support for the money"),
    "plurality": _l("One winner: most votes"),
    "irv": _l("One winner: instant runoff"),
}

RULE_DESCRIPTIONS = {
    "greedy": _l(
        "Projects are funded in order of how many votes (or points) they got, most first. "
        "A project that no longer fits in what is left of the budget is skipped, and the next "
        "one is tried."
    ),
    "greedy-per-cost": _l(
        "Projects are funded in order of votes for each pound they cost, best value first, "
        "skipping any project that no longer fits in what is left of the budget."
    ),
    "mes": _l(
        "Method of Equal Shares: the budget is shared equally among voters. Each project is "
        "funded only if its supporters can pay for it from their shares, and projects whose "
        "supporters each need to pay least are chosen first. Money that no group of "
        "supporters can use is left unspent."
    ),
    "mes-cardinality": _l(
        "Method of Equal Shares: the budget is shared equally among voters, and a project is "
        "funded only if its supporters can pay for it from their shares. Each funded project "
        "counts the same for its supporters whatever it costs, so cheaper projects that many "
        "people want come first."
    ),
    "mes-greedy": _l(
        "Method of Equal Shares: the budget is shared equally among voters, and a project is "
        "funded only if its supporters can pay for it from their shares. Any money left at "
        "the end funds the projects with the most votes that still fit."
    ),
    "mes-add1": _l(
        "Method of Equal Shares with completion: the budget is shared equally among voters, "
        "and each project is funded only if its supporters can pay for it from their shares. "
        "Then everyone's share is raised a penny at a time, as long as the projects chosen "
        "still fit the budget, so that little money is left unspent. This is how real Equal "
        "Shares votes (such as Świecie, Assen and Wieliczka) are counted."
    ),
    "phragmen": _l(
        "Sequential Phragmén: voters earn money at the same steady rate. As soon as a "
        "project's supporters together have earned its cost, it is funded and they spend "
        "what they earned; this repeats until nothing more fits the budget."
    ),
    "max-welfare": _l(
        "The set of projects that fits the budget and has the greatest total support, counting "
        "each vote for a project in proportion to its cost."
    ),
    "plurality": _l("One project is chosen: the one with the most votes (first preferences)."),
    "irv": _l(
        "Instant runoff: the project with the fewest first preferences is knocked out and its "
        "ballots count for their next choice, again and again, until one project has more "
        "than half of the votes. One project is chosen."
    ),
}

TIE_BREAK_DESCRIPTIONS = {
    TieBreak.COST_VOTES: _l(
        "If two projects are exactly level, the cheaper one goes first; if they cost the same, "
        "the one with more votes; then the lower project number."
    ),
    TieBreak.LEXICOGRAPHIC: _l(
        "If two projects are exactly level, the one with the lower project number goes first "
        "(numbers compared as text, so 10 comes before 9)."
    ),
}


def rule_label(rule: str) -> str:
    """A counting rule's name in the page's language (its code name when it has none)."""
    label = RULE_LABELS.get(rule)
    return str(label) if label is not None else rule


def rule_labels() -> dict[str, str]:
    """Every counting rule's name in the page's language, by code name."""
    return {rule: str(label) for rule, label in RULE_LABELS.items()}


def rule_descriptions() -> dict[str, str]:
    """How each counting rule works, in the page's language, by code name."""
    return {rule: str(text) for rule, text in RULE_DESCRIPTIONS.items()}


def describe_ballot(funding_round) -> str:
    """How a resident fills in this round's ballot paper, with its limits."""
    kind = BallotKind(funding_round.ballot_kind)
    lo, hi = funding_round.min_choices, funding_round.max_choices
    if kind == BallotKind.SINGLE:
        return _("Choose one project in each pot you can vote in.")
    if kind == BallotKind.RANKED:
        if hi:
            return ngettext(
                "Number up to %(num)s project in order of preference, 1 for the one you most "
                "want. You do not have to rank them all.",
                "Number up to %(num)s projects in order of preference, 1 for the one you most "
                "want. You do not have to rank them all.",
                hi,
            )
        return _(
            "Number as many projects in order of preference, 1 for the one you most want. "
            "You do not have to rank them all."
        )
    if kind == BallotKind.CUMULATIVE:
        points = funding_round.points or 0
        if funding_round.max_points_per_project:
            return ngettext(
                "Share out %(num)s point between the projects you like, at most %(most)s to "
                "any one project. Give more points to the projects you want most; use all your "
                "points.",
                "Share out %(num)s points between the projects you like, at most %(most)s to "
                "any one project. Give more points to the projects you want most; use all your "
                "points.",
                points,
                most=number(funding_round.max_points_per_project),
            )
        return ngettext(
            "Share out %(num)s point between the projects you like. Give more points to the "
            "projects you want most; use all your points.",
            "Share out %(num)s points between the projects you like. Give more points to the "
            "projects you want most; use all your points.",
            points,
        )
    limits = _choice_limits(lo, hi)
    if kind == BallotKind.KNAPSACK:
        # %(limits)s is how many projects a ballot may choose, in brackets, or nothing.
        return _(
            "Choose the projects you would fund, as long as together they cost no more than "
            "the pot's budget%(limits)s.",
            limits=limits,
        )
    return _("Tick every project you would like to see funded%(limits)s.", limits=limits)


def _choice_limits(lo: int | None, hi: int | None) -> str:
    """How many projects a ballot may choose, in brackets after a space: " (at most 3
    projects)"; nothing when there are no limits."""
    if lo and hi:
        if lo == hi:
            text = ngettext("(%(num)s project)", "(%(num)s projects)", lo)
        else:
            text = ngettext(
                "(between %(least)s and %(num)s project)",
                "(between %(least)s and %(num)s projects)",
                hi,
                least=number(lo),
            )
    elif hi:
        text = ngettext("(at most %(num)s project)", "(at most %(num)s projects)", hi)
    elif lo:
        text = ngettext("(at least %(num)s project)", "(at least %(num)s projects)", lo)
    else:
        return ""
    return " " + text


def describe_rule(rule: str) -> str:
    text = RULE_DESCRIPTIONS.get(rule)
    return str(text) if text is not None else rule


def describe_tie_break(tie_break: str) -> str:
    try:
        return str(TIE_BREAK_DESCRIPTIONS[TieBreak(tie_break)])
    except ValueError:
        return tie_break


def describe_eligibility(funding_round) -> str:
    lo, hi = funding_round.min_age, funding_round.max_age
    if lo is not None and hi is not None:
        ages = _("Residents aged %(least)s to %(most)s can vote.", least=lo, most=hi)
    elif lo is not None:
        ages = _("Residents aged %(least)s or over can vote.", least=lo)
    elif hi is not None:
        ages = _("Residents aged %(most)s or under can vote.", most=hi)
    else:
        ages = _("Residents of any age can vote.")
    if funding_round.home_pot_only:
        where = _("You vote only in your own neighbourhood's pot (and any council-wide pot).")
    else:
        where = _("You can vote in every pot.")
    return f"{ages} {where}"


SINGLE_WINNER_RULES = ("plurality", "irv")

# How k ranks become points, for the few ranks a ballot usually has; more ranks say the first
# two and the last (``rank_points_sentence``).
RANK_POINTS = {
    1: _l("With 1 rank, a 1st choice gets 1 point"),
    2: _l("With 2 ranks, a 1st choice gets 2 points and a 2nd 1"),
    3: _l("With 3 ranks, a 1st choice gets 3 points, a 2nd 2 and a 3rd 1"),
    4: _l("With 4 ranks, a 1st choice gets 4 points, a 2nd 3, a 3rd 2 and a 4th 1"),
    5: _l("With 5 ranks, a 1st choice gets 5 points, a 2nd 4, a 3rd 3, a 4th 2 and a 5th 1"),
}


def rank_points_sentence(k: int) -> str:
    """How k ranks become points: "With 3 ranks, a 1st choice gets 3 points, a 2nd 2 and a
    3rd 1"."""
    if k in RANK_POINTS:
        return str(RANK_POINTS[k])
    return _(
        "With %(ranks)s ranks, a 1st choice gets %(ranks)s points, a 2nd %(second)s, and so on "
        "down to 1 for a %(last)s",
        ranks=number(k),
        second=number(k - 1),
        last=ordinal(k),
    )


BORDA_SENTENCE = _l(
    "This round's ballot was fixed before rank points were introduced, so it is counted with "
    "Borda scoring: a ballot ranking L projects gives its 1st choice L−1 points, its 2nd L−2, "
    "and so on down to 0 for its last."
)
# Before rank points, "most votes first" counted ranks positionally, from L down to 1.
BORDA_GREEDY_SENTENCE = _l(
    "This round's ballot was fixed before rank points were introduced, so it is counted as "
    "it was then: a ballot ranking L projects gives its 1st choice L points, its 2nd L−1, "
    "and so on down to 1 for its last."
)


def describe_ranked_scoring(funding_round) -> str | None:
    """For a ranked round, how its ranks are counted; None for other ballots.

    A frozen round says what its manifest says: rank points (k for a 1st choice ... 1 for a
    kth) or, for a manifest fixed before rank points existed, Borda scoring. Single-winner
    rules count the order of the choices, not points.
    """
    if funding_round.ballot_kind != BallotKind.RANKED:
        return None
    if funding_round.rule in SINGLE_WINNER_RULES:
        return _("Ranks are counted as preferences in order, not as points.")
    scoring, k = RankedScoring.RANKS.value, funding_round.max_choices
    if funding_round.manifest_json:
        manifest = json.loads(funding_round.manifest_json)
        scoring = manifest.get("ranked_scoring") or RankedScoring.BORDA.value
        k = manifest.get("max_choices")
    if scoring == RankedScoring.BORDA.value:
        return str(BORDA_GREEDY_SENTENCE if funding_round.rule == "greedy" else BORDA_SENTENCE)
    if not k:
        return _(
            "Ranks become points: with k ranks, a 1st choice gets k points, a 2nd k−1, and so "
            "on down to 1 for a kth; every counting method counts these points."
        )
    # %(ranks)s is the sentence saying how this round's ranks become points.
    return _("%(ranks)s; every counting method counts these points.", ranks=rank_points_sentence(k))
