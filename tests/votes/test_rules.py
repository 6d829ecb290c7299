"""Counting rules on small hand-made elections whose outcomes are worked out by hand."""

from fractions import Fraction

import pytest

from tests.votes.mes_search import exact_outcomes, search_engine
from votes.model import (
    Ballot,
    BallotKind,
    BallotRules,
    Election,
    Project,
    RankedScoring,
    TieBreak,
)
from votes.rules import RULES, tally


def election(
    budget, costs: dict[str, object], ballots, kind=BallotKind.APPROVAL, points=None
) -> Election:
    """``ballots``: a list of choice strings ("ab" = approves a and b), or (choices, count)."""
    expanded = []
    for b in ballots:
        choices, count = (b, 1) if isinstance(b, str) else b
        for _ in range(count):
            expanded.append(Ballot(tuple(choices)))
    if points is not None:
        expanded = [Ballot(tuple(c for c, _ in pts), tuple(p for _, p in pts)) for pts in points]
    return Election(
        budget=Fraction(budget),
        projects=tuple(Project(pid, Fraction(cost)) for pid, cost in costs.items()),
        ballots=tuple(expanded),
        rules=BallotRules(kind),
    )


def explanation(outcome, pid):
    return next(e for e in outcome.explanations if e.project_id == pid)


# 60 voters like a and b, 40 like c: greedy funds the majority's two projects; equal shares
# gives the 40 their own project (each of them pays exactly their share of 1).
MAJORITY = election(100, {"a": 50, "b": 50, "c": 40}, [("ab", 60), ("c", 40)])


def test_greedy_funds_the_majority_twice():
    assert tally(MAJORITY, "greedy", TieBreak.LEXICOGRAPHIC).selected == ("a", "b")


def test_equal_shares_is_proportional():
    outcome = tally(MAJORITY, "mes", TieBreak.LEXICOGRAPHIC)
    assert outcome.selected == ("a", "c")
    c = explanation(outcome, "c")
    assert c.details["price_per_supporter"] == "1"
    assert c.details["paid_full"] == 40
    assert "The 40 voters who chose it paid 1 each." in c.reason
    b = explanation(outcome, "b")
    assert not b.funded
    assert b.details["unaffordable_after_round"] == 1
    assert b.details["supporters_money_left"] == "10"  # 60 x (1 - 5/6)


def test_equal_shares_follows_the_money_of_an_unfunded_project():
    """b's 60 voters start with 1 each; a takes 50/60 from each of them; 10 is left of b's 50."""
    b = explanation(tally(MAJORITY, "mes", TieBreak.LEXICOGRAPHIC), "b")
    assert b.reason == (
        "Not funded. The 60 voters who chose it started with 60 between them (1 each). "
        "By the end of round 1 they had paid 50 towards project a; the 10 left was 40 short "
        "of its cost of 50: 20% effective support."
    )
    assert b.details["paid_towards"] == [{"project": "a", "round": 1, "amount": "50"}]
    assert (b.details["shortfall"], b.details["effective_support"]) == ("40", "1/5")


def test_money_that_ran_out_is_followed_exactly():
    """Voters A, B, C, D with 10 each. Round 1: p (27) from B, C, D at 9 each. Round 2: y (3)
    from A and C: C has 1 left and pays it all, A pays 2. z (9.50) from A and C then has
    8 + 0: its voters paid 9 towards p (C) and 3 towards y (A 2, C 1), 8 is left, 1.50 short.
    """
    e = election(40, {"p": 27, "x": 11, "y": 3, "z": "19/2"}, ["xyz", "px", "pyz", "p"])
    outcome = tally(e, "mes", TieBreak.LEXICOGRAPHIC)
    assert outcome.selected == ("p", "y")
    y = explanation(outcome, "y").details
    assert (y["paid_full"], y["paid_all_they_had"], y["paid_all_they_had_total"]) == (1, 1, "1")
    z = explanation(outcome, "z")
    assert z.details["paid_towards"] == [
        {"project": "p", "round": 1, "amount": "9"},
        {"project": "y", "round": 2, "amount": "3"},
    ]
    assert (z.details["supporters_money_left"], z.details["shortfall"]) == ("8", "3/2")
    assert z.reason == (
        "Not funded. The 2 voters who chose it started with 20 between them (10 each). By the "
        "end of round 2 they had paid 9 towards project p and 3 towards project y; the 8 left "
        "was 1.50 short of its cost of 9.50: 84% effective support."
    )
    x = explanation(outcome, "x").details
    assert [t["amount"] for t in x["paid_towards"]] == ["9", "2"]  # B to p, A to y


def test_equal_shares_partial_payment():
    """6 voters with 10 each. d (cost 30, 4 supporters) first at 7.50 each; then e (cost 21)
    has supporters 1, 2 with 10 and 3 with 2.50: 3 pays all, 1 and 2 pay 9.25 each."""
    e = election(60, {"d": 30, "e": 21}, ["e", "e", "de", "d", "d", "d"])
    outcome = tally(e, "mes", TieBreak.LEXICOGRAPHIC)
    assert outcome.selected == ("d", "e")
    d = explanation(outcome, "d")
    assert d.details["price_per_supporter"] == "15/2"
    assert d.details["round"] == 1
    pay = explanation(outcome, "e").details
    assert pay["price_per_supporter"] == "37/4"
    assert (pay["paid_full"], pay["paid_all_they_had"]) == (2, 1)
    assert pay["paid_all_they_had_total"] == "5/2"
    assert (
        "Of the 3 voters who chose it, 2 paid 9.25 each and 1 paid all they had left (2.50)."
        in explanation(outcome, "e").reason
    )
    # Effective support: 10 + 10 + 2.50 held when e was chosen, for a cost of 21.
    assert pay["supporters_money"] == "45/2" and pay["effective_support"] == "15/14"
    assert "Effective support 107%" in explanation(outcome, "e").reason


def test_equal_shares_leaves_money_and_the_completion_spends_it():
    """As above but e costs 24: its supporters have only 22.50, so MES stops after d."""
    e = election(60, {"d": 30, "e": 24}, ["e", "e", "de", "d", "d", "d"])
    assert tally(e, "mes").selected == ("d",)
    completed = tally(e, "mes-greedy")
    assert completed.selected == ("d", "e")
    assert explanation(completed, "e").details["phase"] == "completion"
    assert explanation(completed, "d").details["phase"] == "mes"


def test_mes_add1_raises_the_share_until_the_budget_would_be_exceeded():
    """4 voters, budget 100 (25 each). x costs 60 with 2 supporters: needs 30 each.
    Shares 26..29 fund nothing more; at 30 x is funded (60 <= 100); y (cost 50, 2 other
    supporters) is funded from 25: at 30 both cost 110 > 100, so the result is share 29."""
    e = election(100, {"x": 60, "y": 50}, ["x", "x", "y", "y"])
    assert tally(e, "mes").selected == ("y",)
    outcome = tally(e, "mes-add1")
    assert outcome.selected == ("y",)
    assert explanation(outcome, "y").details["share_per_voter"] == "29"


def test_mes_add1_funds_what_the_larger_share_affords():
    e = election(110, {"x": 60, "y": 50}, ["x", "x", "y", "y"])
    assert tally(e, "mes").selected == ("y",)  # 27.50 each: x needs 30
    outcome = tally(e, "mes-add1")
    assert set(outcome.selected) == {"x", "y"}
    assert explanation(outcome, "x").details["share_per_voter"] == "30"


def test_cardinality_satisfaction_prefers_cheap_projects():
    # 10 voters, budget 100: p (cost 90) and q (cost 10), all approve both.
    e = election(100, {"p": 90, "q": 10}, [("pq", 10)])
    # Cost satisfaction: both cost 1/10 of a unit of satisfaction per supporter, a tie.
    assert tally(e, "mes", TieBreak.LEXICOGRAPHIC).selected == ("p", "q")
    assert tally(e, "mes", TieBreak.COST_VOTES).selected == ("q", "p")
    # One unit of satisfaction per project: q costs each supporter 1, p costs 9.
    assert tally(e, "mes-cardinality", TieBreak.LEXICOGRAPHIC).selected == ("q", "p")


def test_ties_lexicographic_compares_ids_as_strings():
    e = election(10, {"9": 10, "10": 10}, [(["9", "10"], 1)])
    assert tally(e, "greedy", TieBreak.LEXICOGRAPHIC).selected == ("10",)
    assert tally(e, "mes", TieBreak.LEXICOGRAPHIC).selected == ("10",)


def test_ties_cost_votes_prefers_cheaper_then_more_votes():
    e = election(10, {"a": 10, "b": 8}, ["ab"])
    assert tally(e, "greedy", TieBreak.LEXICOGRAPHIC).selected == ("a",)
    assert tally(e, "greedy", TieBreak.COST_VOTES).selected == ("b",)
    assert tally(e, "greedy").tie_break == TieBreak.COST_VOTES


def test_fractional_money_ties_go_to_the_tie_break():
    """Costs of 1/3 (not representable in binary) still tie exactly."""
    e = election(
        Fraction(3, 1),
        {"b": Fraction(1, 3), "a": Fraction(1, 3), "z": Fraction(1, 10)},
        ["ab", "ab", "ab", "z"],
    )
    outcome = tally(e, "mes", TieBreak.LEXICOGRAPHIC)
    assert outcome.selected[:2] == ("a", "b")


def test_greedy_explains_skips():
    e = election(100, {"a": 70, "b": 40, "c": 30}, ["abc", "ab", "a"])
    outcome = tally(e, "greedy")
    assert outcome.selected == ("a", "c")
    b = explanation(outcome, "b")
    assert not b.funded
    assert b.details["rank"] == 2
    assert b.details["money_left"] == "30"
    assert b.reason == (
        "Not funded. Ranked 2nd by votes (2 votes). It did not fit: 30 was left and it costs 40."
    )
    a = explanation(outcome, "a")
    assert a.details["cost"] == "70"
    assert "100 was left when it was reached" in a.reason


def test_greedy_per_cost():
    e = election(100, {"a": 70, "b": 40, "c": 30}, ["abc", "ab", "a"])
    # a: 3/70, b: 2/40, c: 1/30 -> b (0.05), a (0.043: does not fit), c
    assert tally(e, "greedy-per-cost").selected == ("b", "c")


def test_cumulative_rules():
    pts = [
        [("a", 5), ("b", 5)],
        [("a", 10)],
        [("c", 6), ("b", 4)],
    ]
    e = election(60, {"a": 40, "b": 30, "c": 20}, [], BallotKind.CUMULATIVE, points=pts)
    assert tally(e, "greedy").selected == ("a", "c")  # points 15, 9, 6: b does not fit after a
    assert tally(e, "greedy-per-cost").selected == ("a", "c")  # 15/40, 9/30, 6/20
    # 20 each. a: 40/15 per point would take 26.67 from voter 2, who has 20: voter 2 pays 20,
    # voter 1 the other 20 at 4 per point. b: 30/9 = 10/3 per point; c: 20/6 = 10/3 per
    # point. b and c tie exactly (computed from different fractions) and the tie-break decides.
    assert tally(e, "mes", TieBreak.LEXICOGRAPHIC).selected == ("b",)
    outcome = tally(e, "mes", TieBreak.COST_VOTES)
    assert outcome.selected == ("c", "a")
    a = explanation(outcome, "a").details
    assert a["price_per_point"] == "4"
    assert (a["paid_full"], a["paid_all_they_had"]) == (1, 1)


def test_ranked_positional_and_borda():
    # Ballots of length 3 score 3, 2, 1 (positional) and 2, 1, 0 (Borda).
    e = election(50, {"a": 30, "b": 20, "c": 20}, [("abc", 2), ("cba", 1)], BallotKind.RANKED)
    e = e.with_ranked_scoring(RankedScoring.BORDA)
    assert tally(e, "greedy").selected == ("a", "b")  # a 7, b 6, c 5
    assert tally(e, "greedy-per-cost").selected == ("b", "a")  # Borda/cost: a 4/30, b 3/20
    assert tally(e, "mes").total_cost <= 50


def ranked(budget, costs, ballots, k=None) -> Election:
    e = election(budget, costs, ballots, BallotKind.RANKED)
    return Election(e.budget, e.projects, e.ballots, BallotRules(BallotKind.RANKED, max_choices=k))


def test_rank_points_count_every_choice_the_last_included():
    """Three voters rank only C: C gets 3 points from each. Borda gives it 0, so Borda MES
    funds nothing; rank points fund it in every rule."""
    e = ranked(9000, {"A": 5000, "B": 4000, "C": 3000}, [("C", 3)], k=3)
    for rule in ("greedy", "greedy-per-cost", "mes", "mes-greedy"):
        outcome = tally(e, rule, TieBreak.LEXICOGRAPHIC)
        assert outcome.selected[0] == "C", rule
    assert tally(e, "mes").selected == ("C",)
    c = explanation(tally(e, "mes"), "C")
    assert c.details["price_per_point"] == "1000/3"  # 3,000 over 3 voters x 3 points
    assert c.details["supporters"] == 3
    assert tally(e, "greedy").explanations[2].details["score"] == 9
    assert tally(e.with_ranked_scoring(RankedScoring.BORDA), "mes").selected == ()


def test_rank_points_worked_example():
    """k = 3. Ballots: 2 x (a, b, c), 1 x (c,), 1 x (b, c).
    Points: a 3+3 = 6; b 2+2+3 = 7; c 1+1+3+2 = 7.
    greedy: b and c tie at 7; lexicographic takes b (20), then c (20); a (30) does not fit in
    the 20 left. greedy-per-cost: b 7/20, c 7/20, a 6/30 -> b, c.
    MES: budget 60, 15 each. a costs 30 and its supporters (voters 1, 2) have 30: rho 30/6 = 5;
    b costs 20 from 7 points: rho 20/7; c costs 20 from 7 points: rho 20/7, a tie: b first
    (lexicographic). b: voters 1, 2 pay 40/7 each, voter 4 pays 60/7. Then c: 20 from points
    1 (voter 1), 1 (voter 2), 3 (voter 3), 2 (voter 4); voter 4 has 15 - 60/7 = 45/7 for
    2 points, plenty; at rho 20/7 voter 3 pays 60/7, voter 4 40/7: c is funded. a could be
    afforded at the start (its supporters had 30), but after round 1 they have
    15 - 40/7 = 65/7 each, 130/7 < 30: not funded."""
    e = ranked(60, {"a": 30, "b": 20, "c": 20}, [("abc", 2), ("c", 1), ("bc", 1)], k=3)
    lex = TieBreak.LEXICOGRAPHIC
    assert tally(e, "greedy", lex).selected == ("b", "c")
    assert tally(e, "greedy-per-cost", lex).selected == ("b", "c")
    mes = tally(e, "mes", lex)
    assert mes.selected == ("b", "c")
    assert explanation(mes, "b").details["price_per_point"] == "20/7"
    assert explanation(mes, "c").details["price_per_point"] == "20/7"
    a = explanation(mes, "a").details
    assert (a["unaffordable_after_round"], a["supporters_money_left"]) == (1, "130/7")
    # The completion spends the 20 left: a costs 30 and does not fit.
    assert tally(e, "mes-greedy", lex).selected == ("b", "c")


def test_rank_points_k_is_the_number_of_ranks_else_the_longest_ballot():
    # One voter ranks (a, b), another (b,). With k = 3: a 3, b 2 + 3 = 5.
    e = ranked(10, {"a": 10, "b": 10}, ["ab", "b"], k=3)
    steps = {x.project_id: x.details["score"] for x in tally(e, "greedy").explanations}
    assert steps == {"a": 3, "b": 5}
    # No limit: k is the longest ballot, 2: a 2, b 1 + 2 = 3.
    e = ranked(10, {"a": 10, "b": 10}, ["ab", "b"])
    steps = {x.project_id: x.details["score"] for x in tally(e, "greedy").explanations}
    assert steps == {"a": 2, "b": 3}
    # A ballot longer than the limit: k is its length, so its last choice still gets 1.
    e = ranked(10, {"a": 10, "b": 10, "c": 10}, ["abc"], k=2)
    steps = {x.project_id: x.details["score"] for x in tally(e, "greedy").explanations}
    assert steps == {"a": 3, "b": 2, "c": 1}


def test_phragmen_and_max_welfare():
    e = election(100, {"a": 60, "b": 50, "c": 50}, [("a", 3), ("bc", 2)])
    assert tally(e, "greedy").selected == ("a",)
    assert set(tally(e, "phragmen").selected) == {"a"}
    best = tally(e, "max-welfare")
    assert set(best.selected) == {"b", "c"}  # 2*50 + 2*50 = 200 > 3*60 = 180


def test_max_welfare_breaks_ties_deterministically():
    # {a} and {b, c} both give 100: the one funding the most supported project wins.
    e = election(10, {"a": 10, "b": 5, "c": 5}, ["a", "bc"])
    assert tally(e, "max-welfare", TieBreak.LEXICOGRAPHIC).selected == ("a",)


def test_every_outcome_explains_every_project_with_its_cost():
    for rule in RULES[BallotKind.APPROVAL]:
        if rule in ("plurality", "irv"):
            continue  # votes.single_winner explains its own rounds
        outcome = tally(MAJORITY, rule)
        assert [e.project_id for e in outcome.explanations] == ["a", "b", "c"]
        for e in outcome.explanations:
            assert e.reason and e.reason.endswith(".")
            assert e.details["cost"] == str(MAJORITY.project(e.project_id).cost)
            assert e.funded == (e.project_id in outcome.selected)


def test_money_formatter_hook():
    e = election(10000, {"a": 5000, "b": 4000}, [("a", 3), ("b", 1)])
    outcome = tally(e, "greedy", money=lambda pence: f"£{float(pence) / 100:,.2f}")
    assert "£100.00 was left" in explanation(outcome, "a").reason


def test_big_elections_report_counts_not_voters():
    e = election(1000, {"a": 600, "b": 600}, [("a", 300), ("b", 200)])
    outcome = tally(e, "mes")
    assert outcome.selected == ("a",)
    assert explanation(outcome, "a").details["supporters"] == 300
    assert len(repr(outcome)) < 5000


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        (BallotKind.CUMULATIVE, "phragmen"),
        (BallotKind.RANKED, "mes-add1"),
        (BallotKind.CUMULATIVE, "irv"),
        (BallotKind.APPROVAL, "nonsense"),
    ],
)
def test_unknown_rule_for_kind_names_the_valid_ones(kind, rule):
    e = election(10, {"a": 5}, [], kind)
    with pytest.raises(ValueError, match="valid rules: greedy, greedy-per-cost"):
        tally(e, rule)


def test_ballot_naming_an_unknown_project_is_refused():
    with pytest.raises(ValueError, match="'zz'"):
        tally(election(10, {"a": 5}, [(["a", "zz"], 1)]), "greedy")


def test_knapsack_and_single_choice_count_as_approval():
    base = election(100, {"a": 50, "b": 50, "c": 40}, [("ab", 60), ("c", 40)])
    for kind in (BallotKind.KNAPSACK, BallotKind.SINGLE):
        e = Election(base.budget, base.projects, base.ballots, BallotRules(kind))
        assert tally(e, "mes").selected == ("a", "c")


def test_no_ballots():
    e = election(100, {"a": 50}, [])
    assert tally(e, "mes").selected == ()
    assert tally(e, "mes-add1").selected == ()
    assert tally(e, "greedy").selected == ("a",)  # greedy funds whatever fits, as pabutools


def test_single_winner_rules_are_dispatched():
    e = election(10, {"a": 5, "b": 5}, ["a", "a", "b"], BallotKind.SINGLE)
    outcome = tally(e, "plurality")
    assert outcome.selected == ("a",)
    assert outcome.rule == "plurality"
    ranked = election(10, {"a": 5, "b": 5, "c": 5}, ["ab", "ba", "ca"], BallotKind.RANKED)
    assert tally(ranked, "irv").selected == ("a",)


def test_unfilled_ranks_are_skipped():
    e = Election(
        Fraction(10),
        (Project("a", Fraction(5)), Project("b", Fraction(5))),
        (Ballot(("a", "", "b")), Ballot(("b",))),
        BallotRules(BallotKind.RANKED),
    )
    # a scores 2 (first of two), b 1 + 1: a tie that b, named by more voters, wins.
    assert tally(e, "greedy").selected == ("b", "a")


@pytest.mark.parametrize("name", ["France_Toulouse_2022.pb", "Poland_Warszawa_2022_Bielany.pb"])
def test_mes_add1_float_runs_select_as_exact_runs_on_real_elections(pabulib, name):
    """The budget search's float runs (``fast``) on the elections where pabutools gives no
    reference: at budgets across the search, the same selection as exact MES."""
    path = pabulib / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the pabulib folder")
    engine, first = search_engine(path)
    for step in (1, 2, 37, 150, 400, 1200):
        budget = (first + step) * engine.unit
        assert engine.run(budget, fast=True).selected == engine.run(budget).selected, step


@pytest.mark.parametrize("name", ["France_Toulouse_2022.pb", "Poland_Warszawa_2023_Mokotow.pb"])
def test_mes_add1_lockstep_batches_select_as_exact_runs_on_real_elections(pabulib, name):
    """Budgets run in lockstep (the budget search where it cannot skip) on the elections where
    pabutools gives no reference: at every budget of a batch, exact MES's selection."""
    from votes.rules.mes.lockstep import OVER, Lockstep

    path = pabulib / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the pabulib folder")
    engine, first = search_engine(path)
    lockstep = Lockstep(engine)
    # Batches across each search, the last one over its end (the search ends 1,619 budgets
    # up on Toulouse, 361 on Mokotów).
    offsets = {"France_Toulouse_2022.pb": (1, 300, 1000, 1615)}.get(name, (1, 150, 358))
    for offset in offsets:
        budgets = [(first + offset + i) * engine.unit for i in range(6)]
        expected = exact_outcomes(engine, budgets)
        assert lockstep.run(budgets) == expected, offset
    assert expected[-1] is OVER


@pytest.mark.parametrize("cost_sat", [True, False])
@pytest.mark.parametrize("tie_break", list(TieBreak))
def test_lockstep_breaks_exact_ties_as_single_runs(cost_sat, tie_break):
    """Projects whose prices tie exactly, in every round: the batch settles each tie as one
    exact run does, for either satisfaction and tie-break."""
    from votes.rules.mes import Engine
    from votes.rules.mes.lockstep import Lockstep
    from votes.rules.profile import build_profile

    # a, b and c cost the same with the same number of supporters, d and e likewise; the
    # voters of "x" share their money between them.
    ballots = [("a", "x"), ("a", "x"), ("b",), ("b",), ("c", "x"), ("c",)]
    ballots += [("d", "e"), ("d",), ("e",), ("x",)]
    e = Election(
        Fraction(60),
        tuple(Project(i, Fraction(c)) for i, c in [("a", 12), ("b", 12), ("c", 12)])
        + tuple(Project(i, Fraction(c)) for i, c in [("d", 9), ("e", 9), ("x", 20)]),
        tuple(Ballot(b) for b in ballots),
        BallotRules(BallotKind.APPROVAL),
    )
    profile = build_profile(e)
    engine = Engine(profile, profile.sats("approval"), cost_sat, profile.tie_key(tie_break))
    budgets = [per_voter * engine.unit for per_voter in range(6, 40)]
    expected = exact_outcomes(engine, budgets)
    assert Lockstep(engine).run(budgets) == expected
    assert len(expected) > 3


def test_a_price_that_takes_a_supporters_last_penny():
    """Found by the property test against ``votes.reference``. Borda MES, 3 per voter: after
    "10" is funded, "2" costs 15/26 a point, exactly what one of its supporters has left per
    point. In floats the engine's price came out a hair above that, so every supporter looked
    capped, "2" was priced at infinity and passed over for "1" (8/13 a point). pabutools
    selects "10", "2" as well."""
    ballots = [
        "a 2 1 10 3 b", "10 2 1 3 a", "", "a 2 1 10 3 b", "1 2", "1", "a 10 2 1 3 b",
        "a 10 1 2 3 b", "2 10 1 3 a", "", "a 10 1 2 3 b", "1 10", "1", "a 2 10 1 3 b",
    ]  # fmt: skip
    costs = {"1": 12, "2": 12, "3": 12, "10": 12, "a": 24, "b": 12}
    e = election(42, costs, [(b.split(), 1) for b in ballots], BallotKind.RANKED)
    e = e.with_ranked_scoring(RankedScoring.BORDA)
    lex = TieBreak.LEXICOGRAPHIC
    assert list(tally(e, "mes", lex).selected) == ["10", "2"]
    assert list(tally(e, "mes-greedy", lex).selected) == ["10", "2", "1"]
