"""Rank points (``RankedScoring.RANKS``) against pabutools' cardinal rules, computed live.

A ranked ballot with k ranks becomes a cardinal ballot giving its 1st choice k points, its 2nd
k-1, ..., its kth 1. On those ballots pabutools 1.2.3 must select what we select, in order:

- ``mes``: ``method_of_equal_shares`` with ``Additive_Cardinal_Sat``;
- ``greedy-per-cost``: ``greedy_utilitarian_welfare`` with ``Additive_Cardinal_Sat`` (it ranks
  by satisfaction per unit of cost);
- ``greedy``: ``greedy_utilitarian_welfare`` with points x cost as satisfaction, so that its
  per-cost ranking is by total points (as the benchmark does for cumulative ballots);
- ``mes-greedy``: ``completion_by_rule_combination`` of the first and the second.

Ties: pabutools breaks them by project id as a string, so ours are counted lexicographically.
"""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pabutools.election import Additive_Cardinal_Sat, CardinalBallot, CardinalProfile
from pabutools.election import Instance as PbInstance
from pabutools.election import Project as PbProject
from pabutools.election.satisfaction.additivesatisfaction import AdditiveSatisfaction
from pabutools.fractions import frac
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

from tests.conftest import pabulib_dir
from tests.votes.conftest import pabulib_files, vote_type
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, TieBreak
from votes.pabulib import read
from votes.rules import tally

RULES = ("greedy", "greedy-per-cost", "mes", "mes-greedy")
LEX = TieBreak.LEXICOGRAPHIC
# pabutools' time on a file is estimated from reference.json (its Borda rules on the same
# ballots): files where any of them took longer than this are left out, to keep this file
# well under a minute. Poland_Krakow_2018 (6.5 to 16 s per rule there) is the one left out.
PABUTOOLS_SECONDS = 3.0
BORDA_KEYS = ("greedy_score", "greedy_borda", "mes_borda", "mes_borda_greedy")


class _PointsTimesCost(AdditiveSatisfaction):
    """points x cost: pabutools' greedy divides by cost, so it ranks by total points."""

    def __init__(self, instance, profile, ballot):
        super().__init__(
            instance, profile, ballot, lambda i, p, b, proj, pre: b.get(proj, 0) * proj.cost
        )


def _frac(x: Fraction):
    return frac(x.numerator, x.denominator)


def rank_points(election: Election) -> list[dict[str, int]]:
    """Each ballot as points, best first: k for the 1st choice, ..., 1 for the kth."""
    ballots = [list(dict.fromkeys(c for c in b.choices if c)) for b in election.ballots]
    k = max([election.rules.max_choices or 0, *map(len, ballots)])
    return [{pid: k - i for i, pid in enumerate(b)} for b in ballots]


def pabutools_outcomes(election: Election) -> dict[str, list[str]]:
    projects = {p.id: PbProject(p.id, _frac(p.cost)) for p in election.projects}
    instance = PbInstance(projects.values(), budget_limit=_frac(election.budget))
    profile = CardinalProfile(
        [
            CardinalBallot({projects[pid]: frac(v) for pid, v in points.items()})
            for points in rank_points(election)
        ],
        instance=instance,
    )
    multi = profile.as_multiprofile()
    card = {"sat_class": Additive_Cardinal_Sat}
    out = {
        "greedy": greedy_utilitarian_welfare(instance, multi, sat_class=_PointsTimesCost),
        "greedy-per-cost": greedy_utilitarian_welfare(instance, multi, **card),
        "mes": method_of_equal_shares(instance, multi, **card),
        "mes-greedy": completion_by_rule_combination(
            instance, multi, [method_of_equal_shares, greedy_utilitarian_welfare], [card, card]
        ),
    }
    return {rule: [p.name for p in allocation] for rule, allocation in out.items()}


def ours(election: Election) -> dict[str, list[str]]:
    return {rule: list(tally(election, rule, LEX).selected) for rule in RULES}


def ranked(budget, costs: dict[str, int], ballots, k: int | None = None) -> Election:
    """``ballots``: (choices best first as a string, count) pairs."""
    return Election(
        Fraction(budget),
        tuple(Project(pid, Fraction(c)) for pid, c in costs.items()),
        tuple(Ballot(tuple(c)) for c, n in ballots for _ in range(n)),
        BallotRules(BallotKind.RANKED, max_choices=k),
    )


def test_three_voters_ranking_only_c():
    e = ranked(9000, {"A": 5000, "B": 4000, "C": 3000}, [("C", 3)], k=3)
    theirs = pabutools_outcomes(e)
    assert theirs["mes"] == ["C"]
    assert ours(e) == theirs


def test_worked_example():
    """Points with k = 3: a 6, b 7, c 7 (worked through in test_rules.py)."""
    e = ranked(60, {"a": 30, "b": 20, "c": 20}, [("abc", 2), ("c", 1), ("bc", 1)], k=3)
    theirs = pabutools_outcomes(e)
    assert theirs == {
        "greedy": ["b", "c"],
        "greedy-per-cost": ["b", "c"],
        "mes": ["b", "c"],
        "mes-greedy": ["b", "c"],
    }
    assert ours(e) == theirs


def test_short_ballots_keep_their_points_when_k_is_larger():
    """k = 4 and nobody ranks more than 2: the 1st choice still gets 4, the 2nd 3. With the
    longest ballot (2) as k, b's single-choice voters would count for less than a's pairs."""
    e = ranked(100, {"a": 60, "b": 60, "c": 40}, [("ac", 3), ("b", 4)], k=4)
    theirs = pabutools_outcomes(e)
    assert ours(e) == theirs
    # a: 3 x 4 = 12; b: 4 x 4 = 16; c: 3 x 3 = 9. greedy: b, then c fits (40 of 40 left).
    assert theirs["greedy"] == ["b", "c"]


IDS = ["1", "2", "3", "10", "a", "b"]


@st.composite
def ranked_elections(draw):
    n = draw(st.integers(1, 6))
    ids = IDS[:n]
    costs = [Fraction(draw(st.integers(1, 30)), draw(st.sampled_from([1, 1, 2]))) for _ in ids]
    ballots = [
        Ballot(tuple(draw(st.lists(st.sampled_from(ids), unique=True, max_size=n))))
        for _ in range(draw(st.integers(0, 10)))
    ]
    k = draw(st.one_of(st.none(), st.integers(1, n)))
    return Election(
        Fraction(draw(st.integers(1, 80))),
        tuple(Project(i, c) for i, c in zip(ids, costs, strict=True)),
        tuple(ballots),
        BallotRules(BallotKind.RANKED, max_choices=k),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(e=ranked_elections())
def test_generated_elections_agree_with_pabutools(e):
    assert ours(e) == pabutools_outcomes(e)


def _ordinal_files() -> list:
    return [
        pytest.param(name, marks=pytest.mark.pabulib)
        for name in pabulib_files()
        if vote_type(name) == "ordinal"
    ]


@pytest.mark.parametrize("name", _ordinal_files())
def test_shared_ordinal_files_agree_with_pabutools(reference, name):
    record = reference[name]["results"]
    slow = max(record[key].get("time_s") or float("inf") for key in BORDA_KEYS)
    if slow > PABUTOOLS_SECONDS:
        pytest.skip(f"pabutools takes up to {slow:.0f} s per rule on {name}; left out for time")
    election = read(pabulib_dir() / name)
    theirs = pabutools_outcomes(election)
    assert theirs["mes"]  # something to compare
    assert ours(election) == theirs
