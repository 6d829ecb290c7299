"""The fast Equal Shares engine selects what the plain reference (``votes.reference``) selects,
in the same order, for every satisfaction, tie-break and completion.

Where a combination is a rule (``mes``, ``mes-cardinality``, ``mes-greedy``, ``mes-add1``) it
is counted through ``tally``; the others (add1 or the greedy completion with points or
cardinality satisfaction) through the engine's ``equal_shares``, which ``tally`` calls.
"""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from votes import reference
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, RankedScoring, TieBreak
from votes.rules import RULES, plain_money, tally
from votes.rules.mes import equal_shares
from votes.rules.profile import build_profile

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDS = ["1", "2", "3", "10", "a", "b"]
# (ballots, satisfaction): every satisfaction the ballots have.
SCORINGS = [
    (BallotKind.APPROVAL, None, "cost"),
    (BallotKind.APPROVAL, None, "cardinality"),
    (BallotKind.CUMULATIVE, None, "points"),
    (BallotKind.RANKED, RankedScoring.RANKS, "points"),
    (BallotKind.RANKED, RankedScoring.BORDA, "points"),
]
RULE = {
    ("cost", None): "mes",
    ("cost", "greedy"): "mes-greedy",
    ("cost", "add1"): "mes-add1",
    ("cardinality", None): "mes-cardinality",
    ("points", None): "mes",
    ("points", "greedy"): "mes-greedy",
}


def fast(e: Election, satisfaction: str, tie_break: TieBreak, completion: str | None) -> list:
    rule = RULE.get((satisfaction, completion))
    if rule in RULES[e.kind]:
        return list(tally(e, rule, tie_break).selected)
    profile = build_profile(e)
    if satisfaction == "points":
        measure = "points" if e.kind == BallotKind.CUMULATIVE else str(e.rules.ranked_scoring)
    else:
        measure = "approval"
    cost_sat = satisfaction == "cost"
    then = None
    if completion == "greedy":
        then = ("approval", False) if cost_sat else (measure, True)
    selected, _ = equal_shares(
        profile, measure, cost_sat, tie_break, plain_money, then, add1=completion == "add1"
    )
    return [profile.ids[p] for p in selected]


@st.composite
def elections(draw, kind, scoring, tied=False):
    """Small elections. ``tied``: few distinct costs and points, and every ballot mirrored
    by swapping two projects of equal cost, so exact ties are everywhere."""
    n = draw(st.integers(1, 6))
    ids = IDS[:n]
    if tied:
        costs = [Fraction(draw(st.sampled_from([6, 12, 12, 24]))) for _ in ids]
        budget = Fraction(6 * draw(st.integers(1, 10)))
        weights = st.sampled_from([1, 2, 2, 4])
    else:
        costs = [
            Fraction(draw(st.integers(0, 30)), draw(st.sampled_from([1, 1, 2, 3]))) for _ in ids
        ]
        budget = Fraction(draw(st.integers(1, 80)), draw(st.sampled_from([1, 1, 7])))
        weights = st.integers(0, 5)
    ballots = []
    for _ in range(draw(st.integers(0, 8 if tied else 12))):
        chosen = tuple(draw(st.lists(st.sampled_from(ids), unique=True, max_size=n)))
        pts = tuple(draw(weights) for _ in chosen) if kind == BallotKind.CUMULATIVE else ()
        ballots.append(Ballot(chosen, pts))
    if tied:
        cost = dict(zip(ids, costs, strict=True))
        pairs = [(x, y) for x in ids for y in ids if x < y and cost[x] == cost[y]]
        if pairs:
            x, y = draw(st.sampled_from(pairs))
            swap = {x: y, y: x}
            ballots += [Ballot(tuple(swap.get(c, c) for c in b.choices), b.points) for b in ballots]
    k = draw(st.one_of(st.none(), st.integers(1, n))) if kind == BallotKind.RANKED else None
    rules = BallotRules(kind, max_choices=k, ranked_scoring=scoring or RankedScoring.RANKS)
    projects = tuple(Project(i, c) for i, c in zip(ids, costs, strict=True))
    return Election(budget, projects, tuple(ballots), rules)


CASES = [
    pytest.param(kind, scoring, sat, completion, id=f"{kind}-{scoring or sat}-{completion}")
    for kind, scoring, sat in SCORINGS
    for completion in reference.COMPLETIONS
]


@pytest.mark.parametrize(("kind", "scoring", "satisfaction", "completion"), CASES)
@SETTINGS
@given(data=st.data(), tie_break=st.sampled_from(list(TieBreak)), tied=st.booleans())
def test_fast_engine_selects_as_the_reference(
    data, kind, scoring, satisfaction, completion, tie_break, tied
):
    e = data.draw(elections(kind, scoring, tied))
    expected = reference.equal_shares(e, satisfaction, tie_break, completion)
    assert fast(e, satisfaction, tie_break, completion) == expected


def election(budget, costs, ballots, kind=BallotKind.APPROVAL, scoring=RankedScoring.RANKS):
    """``ballots``: strings of space-separated ids (best first for ranked ballots)."""
    return Election(
        Fraction(budget),
        tuple(Project(p, Fraction(c)) for p, c in costs.items()),
        tuple(Ballot(tuple(b.split())) for b in ballots),
        BallotRules(kind, ranked_scoring=scoring),
    )


TIES = {
    # Cost satisfaction: a (20) and b (10) each have the same 2 supporters, so each costs
    # them 1/2 a unit of satisfaction per unit. By id a wins and takes all their money; by
    # cost b wins, and a's supporters then have 10 of its 20.
    "cost: lower cost": (
        election(20, {"a": 20, "b": 10}, ["a b", "a b"]),
        "cost",
        ["a"],
        ["b"],
    ),
    # Cardinality: a costs 20 from 4 supporters, b 10 from 2: both 5 a supporter.
    "cardinality: lower cost": (
        election(20, {"a": 20, "b": 10}, ["a b", "a b", "a", "a"]),
        "cardinality",
        ["a"],
        ["b"],
    ),
    # Borda: a and b cost 10 and each is bought by one voter's 1 point at 10 a point; the
    # third voter ranks b last (0 points, pays nothing) but names it: more supporters.
    "borda: more supporters, named last": (
        election(
            30,
            {"a": 10, "b": 10, "c": 100},
            ["a c", "b c", "c b"],
            BallotKind.RANKED,
            RankedScoring.BORDA,
        ),
        "points",
        ["a", "b"],
        ["b", "a"],
    ),
    # Same cost, same supporters: the id as a string, "10" before "9", either way.
    "cardinality: id as a string": (
        election(20, {"9": 10, "10": 10}, ["9", "10"]),
        "cardinality",
        ["10", "9"],
        ["10", "9"],
    ),
}


@pytest.mark.parametrize("case", list(TIES))
def test_hand_made_ties(case):
    e, satisfaction, lexicographic, cost_votes = TIES[case]
    lex, cv = TieBreak.LEXICOGRAPHIC, TieBreak.COST_VOTES
    assert reference.equal_shares(e, satisfaction, lex) == lexicographic
    assert reference.equal_shares(e, satisfaction, cv) == cost_votes
    assert fast(e, satisfaction, lex, None) == lexicographic
    assert fast(e, satisfaction, cv, None) == cost_votes


def test_unknown_satisfaction_or_completion_is_refused():
    e = election(10, {"a": 5}, ["a"])
    with pytest.raises(ValueError, match="unknown satisfaction"):
        reference.equal_shares(e, "borda")
    with pytest.raises(ValueError, match="completion 'add2'"):
        reference.equal_shares(e, "cost", TieBreak.COST_VOTES, "add2")
