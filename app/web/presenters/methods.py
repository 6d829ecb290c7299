"""Plain-English descriptions of ballot kinds, counting rules and tie-breaking, for the pages.

Names come from ``votes``: ``BallotKind`` values, ``RULES`` names and ``TieBreak`` values.
"""

from __future__ import annotations

import json

from app.workflow.text import ordinal, plural
from votes.model import BallotKind, RankedScoring, TieBreak

KIND_LABELS = {
    BallotKind.APPROVAL: "Approval: tick the projects you support",
    BallotKind.KNAPSACK: "Budget: choose projects that together fit the pot",
    BallotKind.CUMULATIVE: "Points: share out a number of points",
    BallotKind.RANKED: "Ranked: number projects in order of preference",
    BallotKind.SINGLE: "Single choice: choose one project",
}

RULE_LABELS = {
    "greedy": "Most votes first",
    "greedy-per-cost": "Most votes per pound first",
    "mes": "Method of Equal Shares",
    "mes-cardinality": "Method of Equal Shares, counting projects",
    "mes-greedy": "Method of Equal Shares, then most votes first",
    "mes-add1": "Method of Equal Shares with completion",
    "phragmen": "Sequential Phragmén",
    "max-welfare": "Most support for the money",
    "plurality": "One winner: most votes",
    "irv": "One winner: instant runoff",
}

RULE_DESCRIPTIONS = {
    "greedy": (
        "Projects are funded in order of how many votes (or points) they got, most first. "
        "A project that no longer fits in what is left of the budget is skipped, and the next "
        "one is tried."
    ),
    "greedy-per-cost": (
        "Projects are funded in order of votes for each pound they cost, best value first, "
        "skipping any project that no longer fits in what is left of the budget."
    ),
    "mes": (
        "Method of Equal Shares: the budget is shared equally among voters. Each project is "
        "funded only if its supporters can pay for it from their shares, and projects whose "
        "supporters each need to pay least are chosen first. Money that no group of "
        "supporters can use is left unspent."
    ),
    "mes-cardinality": (
        "Method of Equal Shares: the budget is shared equally among voters, and a project is "
        "funded only if its supporters can pay for it from their shares. Each funded project "
        "counts the same for its supporters whatever it costs, so cheaper projects that many "
        "people want come first."
    ),
    "mes-greedy": (
        "Method of Equal Shares: the budget is shared equally among voters, and a project is "
        "funded only if its supporters can pay for it from their shares. Any money left at "
        "the end funds the projects with the most votes that still fit."
    ),
    "mes-add1": (
        "Method of Equal Shares with completion: the budget is shared equally among voters, "
        "and each project is funded only if its supporters can pay for it from their shares. "
        "Then everyone's share is raised a penny at a time, as long as the projects chosen "
        "still fit the budget, so that little money is left unspent. This is how real Equal "
        "Shares votes (such as Świecie, Assen and Wieliczka) are counted."
    ),
    "phragmen": (
        "Sequential Phragmén: voters earn money at the same steady rate. As soon as a "
        "project's supporters together have earned its cost, it is funded and they spend "
        "what they earned; this repeats until nothing more fits the budget."
    ),
    "max-welfare": (
        "The set of projects that fits the budget and has the greatest total support, counting "
        "each vote for a project in proportion to its cost."
    ),
    "plurality": "One project is chosen: the one with the most votes (first preferences).",
    "irv": (
        "Instant runoff: the project with the fewest first preferences is knocked out and its "
        "ballots count for their next choice, again and again, until one project has more "
        "than half of the votes. One project is chosen."
    ),
}

TIE_BREAK_DESCRIPTIONS = {
    TieBreak.COST_VOTES: (
        "If two projects are exactly level, the cheaper one goes first; if they cost the same, "
        "the one with more votes; then the lower project number."
    ),
    TieBreak.LEXICOGRAPHIC: (
        "If two projects are exactly level, the one with the lower project number goes first "
        "(numbers compared as text, so 10 comes before 9)."
    ),
}


def describe_ballot(funding_round) -> str:
    """How a resident fills in this round's ballot paper, with its limits."""
    kind = BallotKind(funding_round.ballot_kind)
    lo, hi = funding_round.min_choices, funding_round.max_choices
    if kind == BallotKind.SINGLE:
        return "Choose one project in each pot you can vote in."
    if kind == BallotKind.RANKED:
        k = f"up to {hi}" if hi else "as many"
        return (
            f"Number {k} projects in order of preference, 1 for the one you most want. "
            "You do not have to rank them all."
        )
    if kind == BallotKind.CUMULATIVE:
        cap = (
            f", at most {funding_round.max_points_per_project} to any one project"
            if funding_round.max_points_per_project
            else ""
        )
        return (
            f"Share out {funding_round.points} points between the projects you like{cap}. "
            "Give more points to the projects you want most; use all your points."
        )
    limits = _choice_limits(lo, hi)
    if kind == BallotKind.KNAPSACK:
        return (
            "Choose the projects you would fund, as long as together they cost no more than "
            f"the pot's budget{limits}."
        )
    return f"Tick every project you would like to see funded{limits}."


def _choice_limits(lo: int | None, hi: int | None) -> str:
    if lo and hi:
        if lo == hi:
            return f" ({plural(lo, 'project')})"
        return f" (between {lo:,} and {plural(hi, 'project')})"
    if hi:
        return f" (at most {plural(hi, 'project')})"
    if lo:
        return f" (at least {plural(lo, 'project')})"
    return ""


def describe_rule(rule: str) -> str:
    return RULE_DESCRIPTIONS.get(rule, rule)


def describe_tie_break(tie_break: str) -> str:
    try:
        return TIE_BREAK_DESCRIPTIONS[TieBreak(tie_break)]
    except ValueError:
        return tie_break


def describe_eligibility(funding_round) -> str:
    lo, hi = funding_round.min_age, funding_round.max_age
    if lo is not None and hi is not None:
        ages = f"Residents aged {lo} to {hi} can vote."
    elif lo is not None:
        ages = f"Residents aged {lo} or over can vote."
    elif hi is not None:
        ages = f"Residents aged {hi} or under can vote."
    else:
        ages = "Residents of any age can vote."
    if funding_round.home_pot_only:
        return ages + " You vote only in your own neighbourhood's pot (and any council-wide pot)."
    return ages + " You can vote in every pot."


SINGLE_WINNER_RULES = ("plurality", "irv")


def rank_points_sentence(k: int) -> str:
    """How k ranks become points: "With 3 ranks, a 1st choice gets 3 points, a 2nd 2 and a
    3rd 1"."""
    if k == 1:
        return "With 1 rank, a 1st choice gets 1 point"
    first = f"With {k} ranks, a 1st choice gets {k} points"
    if k > 5:
        return f"{first}, a 2nd {k - 1}, and so on down to 1 for a {ordinal(k)}"
    rest = [f"a {ordinal(i)} {k + 1 - i}" for i in range(2, k + 1)]
    if len(rest) == 1:
        return f"{first} and {rest[0]}"
    return f"{first}, " + ", ".join(rest[:-1]) + f" and {rest[-1]}"


BORDA_SENTENCE = (
    "This round's ballot was fixed before rank points were introduced, so it is counted with "
    "Borda scoring: a ballot ranking L projects gives its 1st choice L−1 points, its 2nd L−2, "
    "and so on down to 0 for its last."
)
# Before rank points, "most votes first" counted ranks positionally, from L down to 1.
BORDA_GREEDY_SENTENCE = (
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
        return "Ranks are counted as preferences in order, not as points."
    scoring, k = RankedScoring.RANKS.value, funding_round.max_choices
    if funding_round.manifest_json:
        manifest = json.loads(funding_round.manifest_json)
        scoring = manifest.get("ranked_scoring") or RankedScoring.BORDA.value
        k = manifest.get("max_choices")
    if scoring == RankedScoring.BORDA.value:
        return BORDA_GREEDY_SENTENCE if funding_round.rule == "greedy" else BORDA_SENTENCE
    if not k:
        return (
            "Ranks become points: with k ranks, a 1st choice gets k points, a 2nd k−1, and so "
            "on down to 1 for a kth; every counting method counts these points."
        )
    return rank_points_sentence(k) + "; every counting method counts these points."
