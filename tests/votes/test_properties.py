"""Properties of every counting rule on random small elections (hypothesis), and agreement
with pabutools on them."""

import random
from dataclasses import replace
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pabutools.election import ApprovalBallot, ApprovalProfile, Cardinality_Sat, Cost_Sat
from pabutools.election import Instance as PbInstance
from pabutools.election import Project as PbProject
from pabutools.fractions import frac
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)

from tests.votes.mes_search import exact_outcomes
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, TieBreak
from votes.rules import RULES, tally
from votes.rules.mes import Engine, add_one, first_budget, overlaps
from votes.rules.mes.lockstep import Lockstep
from votes.rules.profile import build_profile

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDS = ["1", "2", "3", "10", "a", "b"]


@st.composite
def elections(draw, kind=BallotKind.APPROVAL, max_voters=14):
    n_projects = draw(st.integers(1, 6))
    ids = IDS[:n_projects]
    costs = [
        Fraction(draw(st.integers(1, 30)), draw(st.sampled_from([1, 1, 1, 2, 3]))) for _ in ids
    ]
    budget = Fraction(draw(st.integers(1, 80)))
    n_voters = draw(st.integers(0, max_voters))
    ballots = []
    for _ in range(n_voters):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=n_projects))
        if kind == BallotKind.CUMULATIVE:
            points = tuple(draw(st.integers(1, 5)) for _ in chosen)
            ballots.append(Ballot(tuple(chosen), points))
        else:
            ballots.append(Ballot(tuple(chosen)))
    projects = tuple(Project(i, c) for i, c in zip(ids, costs, strict=True))
    return Election(budget, projects, tuple(ballots), BallotRules(kind))


KINDS = st.sampled_from([BallotKind.APPROVAL, BallotKind.CUMULATIVE, BallotKind.RANKED])


@SETTINGS
@given(data=st.data(), kind=KINDS, tie_break=st.sampled_from(list(TieBreak)))
def test_outcomes_fit_the_budget_and_explain_every_project(data, kind, tie_break):
    e = data.draw(elections(kind))
    for rule in RULES[kind]:
        if rule in ("plurality", "irv"):
            continue
        outcome = tally(e, rule, tie_break)
        assert outcome.total_cost <= e.budget
        assert len(set(outcome.selected)) == len(outcome.selected)
        assert [x.project_id for x in outcome.explanations] == [p.id for p in e.projects]
        assert {x.project_id for x in outcome.explanations if x.funded} == set(outcome.selected)


@SETTINGS
@given(data=st.data(), kind=KINDS, seed=st.integers(0, 2**32))
def test_outcomes_do_not_depend_on_ballot_order(data, kind, seed):
    e = data.draw(elections(kind))
    shuffled = list(e.ballots)
    random.Random(seed).shuffle(shuffled)
    other = Election(e.budget, e.projects, tuple(shuffled), e.rules)
    for rule in RULES[kind]:
        if rule in ("plurality", "irv"):
            continue
        assert tally(e, rule).selected == tally(other, rule).selected, rule


@SETTINGS
@given(data=st.data(), tie_break=st.sampled_from(list(TieBreak)))
def test_greedy_is_monotone_in_added_approvals(data, tie_break):
    e = data.draw(elections())
    outcome = tally(e, "greedy", tie_break)
    if not outcome.selected:
        return
    funded = data.draw(st.sampled_from(outcome.selected))
    ballots = list(e.ballots)
    lacking = [i for i, b in enumerate(ballots) if funded not in b.choices]
    if lacking and data.draw(st.booleans()):
        i = data.draw(st.sampled_from(lacking))
        ballots[i] = Ballot(ballots[i].choices + (funded,))
    else:
        ballots.append(Ballot((funded,)))
    more = Election(e.budget, e.projects, tuple(ballots), e.rules)
    assert funded in tally(more, "greedy", tie_break).selected


def _pabutools(e: Election):
    projects = {
        p.id: PbProject(p.id, frac(p.cost.numerator, p.cost.denominator)) for p in e.projects
    }
    instance = PbInstance(projects.values(), budget_limit=frac(e.budget.numerator, 1))
    profile = ApprovalProfile(
        [ApprovalBallot([projects[c] for c in b.choices]) for b in e.ballots], instance=instance
    )
    return instance, profile


def _names(allocation) -> list[str]:
    return [p.name for p in allocation]


@SETTINGS
@given(e=elections(max_voters=10))
def test_approval_rules_agree_with_pabutools(e):
    instance, profile = _pabutools(e)
    lex = TieBreak.LEXICOGRAPHIC
    ours = {rule: list(tally(e, rule, lex).selected) for rule in RULES[BallotKind.APPROVAL]}
    assert ours["greedy"] == _names(greedy_utilitarian_welfare(instance, profile, Cost_Sat))
    assert ours["greedy-per-cost"] == _names(
        greedy_utilitarian_welfare(instance, profile, Cardinality_Sat)
    )
    assert ours["mes"] == _names(method_of_equal_shares(instance, profile, Cost_Sat))
    assert ours["mes-cardinality"] == _names(
        method_of_equal_shares(instance, profile, Cardinality_Sat)
    )
    completed = completion_by_rule_combination(
        instance,
        profile,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": Cost_Sat}, {"sat_class": Cost_Sat}],
    )
    assert ours["mes-greedy"] == _names(completed)
    assert sorted(ours["phragmen"]) == sorted(_names(sequential_phragmen(instance, profile)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(e=elections(max_voters=12), tie_break=st.sampled_from(list(TieBreak)))
def test_mes_add1_skipping_equals_the_one_by_one_search(e, tie_break):
    """The budget search skips budgets whose outcome provably cannot differ: same result."""
    profile = build_profile(e)
    engine = Engine(profile, profile.sats("approval"), True, profile.tie_key(tie_break))
    fast, _ = add_one(engine, skip=True)
    slow, _ = add_one(engine, skip=False)
    assert engine.run(fast).selected == engine.run(slow).selected
    assert fast == slow


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    e=elections(max_voters=14),
    tie_break=st.sampled_from(list(TieBreak)),
    offset=st.integers(0, 6),
    size=st.integers(1, 12),
    cost_sat=st.booleans(),
)
def test_lockstep_runs_select_as_exact_runs_one_at_a_time(e, tie_break, offset, size, cost_sat):
    """A batch of budgets run in lockstep: at each budget, exact MES's selection, or ``OVER``
    where that costs more than the budget; the batch stops at the first such outcome or at
    one that funds every supported project."""
    profile = build_profile(e)
    engine = Engine(profile, profile.sats("approval"), cost_sat, profile.tie_key(tie_break))
    if profile.voters == 0 or not engine.candidates:
        return
    start = first_budget(engine)
    first = start.numerator // start.denominator // engine.unit + offset
    budgets = [(first + i) * engine.unit for i in range(1, size + 1)]
    assert Lockstep(engine).run(budgets) == exact_outcomes(engine, budgets)


@SETTINGS
@given(data=st.data(), kind=KINDS)
def test_overlap_of_short_ballots_is_that_of_the_bitmasks(data, kind):
    """Which projects share a ballot: pair by pair where no ballot names more than 8 projects,
    from per-ballot bitmasks otherwise; both must give the same matrix."""
    e = data.draw(elections(kind, max_voters=20))
    profile = build_profile(e)
    n = len(profile.ids)
    pairs = overlaps(profile, n)
    masks = overlaps(replace(profile, flat_length=profile.flat_length * 0 + 9), n)
    assert (pairs == masks).all()
    expected = np.zeros((n, n), dtype=bool)
    for g in np.unique(profile.flat_group).tolist():
        named = profile.flat_project[profile.flat_group == g]
        expected[np.ix_(named, named)] = True
    assert (pairs == expected).all()
