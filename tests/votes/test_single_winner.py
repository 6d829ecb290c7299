"""Plurality and instant runoff: hand-made polls with known answers, ties under both tie-breaks,
and generated polls checked against a plain recount."""

import json
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.votes.conftest import FIXTURES
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, TieBreak
from votes.pabulib import read
from votes.single_winner import irv, plurality

LEX, CV = TieBreak.LEXICOGRAPHIC, TieBreak.COST_VOTES


def poll(kind: BallotKind, ballots: list[tuple[str, ...]], costs: dict[str, int]) -> Election:
    return Election(
        budget=Fraction(1000),
        projects=tuple(Project(pid, Fraction(c), pid.upper()) for pid, c in costs.items()),
        ballots=tuple(Ballot(b) for b in ballots),
        rules=BallotRules(kind),
    )


def reasons(outcome) -> dict[str, str]:
    return {x.project_id: x.reason for x in outcome.explanations}


def test_plurality_and_irv_disagree_on_the_classic_case() -> None:
    """4 first preferences for A, 3 for B, 2 for C whose voters prefer B to A: plurality
    elects A, but once C is out its ballots make B the majority choice."""
    e = read(FIXTURES / "ordinal.pb")

    p = plurality(e)
    assert p.rule == "plurality" and p.selected == ("A",)
    assert p.total_cost == 50 and p.budget == 100
    assert reasons(p) == {
        "A": "Won with 4 of 9 first choices.",
        "B": "Came 2nd with 3 of 9 first choices; Arts centre won with 4 first choices.",
        "C": "Came 3rd with 2 of 9 first choices; Arts centre won with 4 first choices.",
    }
    assert [x.funded for x in p.explanations] == [True, False, False]

    o = irv(e)
    assert o.rule == "irv" and o.selected == ("B",) and o.total_cost == 60
    assert reasons(o) == {
        "A": "Still in the count in round 2 with 4 of 9 continuing votes when Bowling green won.",
        "B": "Won in round 2 with 5 of 9 continuing votes.",
        "C": "Eliminated in round 1 with 2 votes; 2 transferred to Bowling green.",
    }
    assert o.explanations[2].details == {
        "round": 1,
        "votes": 2,
        "transfers": {"B": 2},
        "exhausted": 0,
    }
    assert list(o.rounds) == [
        {
            "round": 1,
            "tallies": {"A": 4, "B": 3, "C": 2},
            "continuing": 9,
            "exhausted": 0,
            "not_counted": 0,
            "eliminated": ["C"],
            "transfers": {"B": 2},
            "exhausted_now": 0,
            "winner": None,
            "tie_break": None,
        },
        {
            "round": 2,
            "tallies": {"A": 4, "B": 5},
            "continuing": 9,
            "exhausted": 0,
            "not_counted": 0,
            "eliminated": [],
            "transfers": {},
            "exhausted_now": 0,
            "winner": "B",
            "tie_break": None,
        },
    ]
    json.dumps(list(o.rounds))  # JSON-friendly


def test_irv_transfers_and_exhausts_over_several_rounds() -> None:
    ballots = (
        [("a",)] * 5
        + [("b", "a")] * 3
        + [("b", "d")] * 1
        + [("c", "b")] * 2
        + [("c",)] * 2
        + [("d", "c", "b")] * 3
    )
    e = poll(BallotKind.RANKED, ballots, {"a": 10, "b": 10, "c": 10, "d": 10})
    o = irv(e)
    # Round 1: a5 b4 c4 d3 (16) -> d out, 3 to c. Round 2: a5 b4 c7 -> b out: 3 to a, 1
    # exhausted (its next choice, d, is out). Round 3: a8 c7 of 15: a wins.
    assert [r["tallies"] for r in o.rounds] == [
        {"a": 5, "b": 4, "c": 4, "d": 3},
        {"a": 5, "b": 4, "c": 7},
        {"a": 8, "c": 7},
    ]
    assert [r["eliminated"] for r in o.rounds] == [["d"], ["b"], []]
    assert o.rounds[1]["transfers"] == {"a": 3}
    assert o.rounds[1]["exhausted_now"] == 1
    assert o.rounds[2]["exhausted"] == 1
    assert o.selected == ("a",)
    assert reasons(o)["b"] == (
        "Eliminated in round 2 with 4 votes; 3 transferred to A; "
        "1 exhausted (no later choice still in the count)."
    )
    assert reasons(o)["a"] == "Won in round 3 with 8 of 15 continuing votes."


def test_irv_tie_for_elimination_is_broken_and_explained() -> None:
    # x and y tie on 2 at the bottom; y costs more, so under cost-votes y goes first.
    ballots = [("w",)] * 4 + [("x", "w")] * 2 + [("y", "z")] * 2 + [("z",)] * 3
    e = poll(BallotKind.RANKED, ballots, {"w": 10, "x": 10, "y": 20, "z": 10})
    o = irv(e, CV)
    assert o.rounds[0]["eliminated"] == ["y"]
    assert o.rounds[0]["tie_break"] == {
        "tied": ["x", "y"],
        "chosen": "y",
        "rule": "cost-votes",
        "decided_by": "cost",
        "reason": "it costs more than X",
    }
    assert reasons(o)["y"] == (
        "Eliminated in round 1 with 2 votes; 2 transferred to Z. It tied for fewest votes "
        "with X; the tie-break (cost-votes) eliminated it because it costs more than X."
    )
    # Round 2: w 4, x 2, z 5 of 11, no majority; x's 2 go to w, which wins 6 of 11 in round 3.
    assert o.selected == ("w",)
    # Lexicographic: "y" comes after "x", so y is eliminated first as well ...
    assert irv(e, LEX).rounds[0]["eliminated"] == ["y"]
    # ... but with the costs swapped, cost-votes eliminates x instead.
    e2 = poll(BallotKind.RANKED, ballots, {"w": 10, "x": 20, "y": 10, "z": 10})
    assert irv(e2, CV).rounds[0]["eliminated"] == ["x"]
    assert irv(e2, LEX).rounds[0]["eliminated"] == ["y"]


def test_ties_for_the_lead_under_each_tie_break() -> None:
    """ "10" < "9" as strings; "9" is cheaper."""
    e = poll(BallotKind.SINGLE, [("10",), ("9",)], {"10": 50, "9": 30})
    lex = plurality(e, LEX)
    assert lex.selected == ("10",)
    assert reasons(lex)["10"] == (
        "Won with 1 of 2 votes. It tied with 9 on 1 vote; the tie-break (lexicographic) chose "
        "it because its id '10' comes before '9'."
    )
    cv = plurality(e, CV)
    assert cv.selected == ("9",)
    assert cv.explanations[1].details["tie_break"]["decided_by"] == "cost"
    assert "because it costs less than 10" in reasons(cv)["9"]
    # IRV on a two-way tie: the tie-break eliminates one, the other wins as the last left.
    o = irv(e, CV)
    assert o.selected == ("9",)
    assert reasons(o)["9"] == "Won in round 2 with the only continuing vote."
    assert "its id" in reasons(irv(e, LEX))["9"]


def test_cost_votes_then_supporters_then_id() -> None:
    # Equal costs, one first preference each; z is named on most ballots.
    ballots = [("z", "b"), ("b", "c"), ("c", "z"), ("d", "z")]
    e = poll(BallotKind.RANKED, ballots, {"z": 5, "b": 5, "c": 5, "d": 5})
    cv = plurality(e, CV)
    assert cv.selected == ("z",)
    tie = cv.rounds[0]["tie_break"]
    assert tie["decided_by"] == "supporters" and tie["tied"] == ["z", "b", "c", "d"]
    assert "more ballots name it (3) than B (2)" in reasons(cv)["z"]
    assert plurality(e, LEX).selected == ("b",)
    # Same cost and supporters: the id decides, as a string.
    e = poll(BallotKind.SINGLE, [("b",), ("a",)], {"b": 5, "a": 5})
    assert plurality(e, CV).rounds[0]["tie_break"]["decided_by"] == "id"
    assert plurality(e, CV).selected == ("a",)


def test_which_approval_ballots_count() -> None:
    ballots = [("a",)] * 3 + [("b",)] * 2 + [("a", "b")] * 4 + [()] * 2 + [("b", "b")]
    e = poll(BallotKind.APPROVAL, ballots, {"a": 1, "b": 1})
    o = plurality(e)
    r = o.rounds[0]
    assert r["tallies"] == {"a": 3, "b": 3}  # ("b", "b") is one choice
    assert (r["not_counted"], r["exhausted"], r["continuing"]) == (4, 2, 6)
    assert irv(e).rounds[0]["not_counted"] == 4


def test_ranked_ballots_skip_blanks_and_repeats() -> None:
    ballots = [("", "a", "a", "b")] * 2 + [("b",)] * 1 + [("c", "", "b")] * 2
    e = poll(BallotKind.RANKED, ballots, {"a": 1, "b": 1, "c": 1})
    o = irv(e)
    assert o.rounds[0]["tallies"] == {"a": 2, "b": 1, "c": 2}
    assert o.rounds[1]["tallies"] == {"a": 2, "c": 2}  # b's one ballot exhausts
    assert o.rounds[1]["exhausted"] == 1


def test_projects_without_votes_go_together() -> None:
    e = poll(
        BallotKind.SINGLE,
        [("a",)] * 2 + [("b",)] * 2 + [("c",)],
        {"a": 1, "b": 2, "c": 1, "d": 1, "e": 1},
    )
    o = irv(e)
    assert o.rounds[0]["eliminated"] == ["d", "e"]
    assert reasons(o)["d"] == "Eliminated in round 1 with no votes, with E, which had none either."
    assert o.rounds[1]["eliminated"] == ["c"]
    # c's ballot exhausts; a and b tie on 2 of 4; b costs more and is eliminated.
    assert o.rounds[2]["eliminated"] == ["b"]
    assert o.selected == ("a",)


def test_majority_in_round_one_and_the_only_project() -> None:
    e = poll(BallotKind.SINGLE, [("a",)] * 3 + [("b",)], {"a": 1, "b": 1})
    assert len(irv(e).rounds) == 1 and irv(e).selected == ("a",)
    empty = irv(poll(BallotKind.SINGLE, [], {"a": 7, "b": 5}))
    assert empty.selected == ("b",)  # nobody voted: the tie-break decides
    assert reasons(empty)["b"] == (
        "Won in round 2 with no continuing votes, as the last project left."
    )
    one = poll(BallotKind.SINGLE, [], {"a": 7})
    assert irv(one).selected == plurality(one).selected == ("a",)
    assert reasons(irv(one))["a"] == "Won in round 1 with no continuing votes, as the only project."


def test_no_projects_no_winner() -> None:
    e = poll(BallotKind.SINGLE, [], {})
    for rule in (plurality, irv):
        o = rule(e)
        assert o.selected == () and o.total_cost == 0 and o.explanations == ()


def test_refuses_cumulative_and_unknown_projects() -> None:
    e = Election(
        Fraction(1),
        (Project("a", Fraction(1)),),
        (Ballot(("a",), (3,)),),
        BallotRules(BallotKind.CUMULATIVE, points=3),
    )
    with pytest.raises(ValueError, match="not cumulative"):
        plurality(e)
    with pytest.raises(ValueError, match="'zz'"):
        irv(poll(BallotKind.RANKED, [("a", "zz")], {"a": 1}))


def test_reachable_through_votes_rules_tally() -> None:
    rules = pytest.importorskip("votes.rules")
    e = read(FIXTURES / "ordinal.pb")
    assert rules.tally(e, "irv", LEX) == irv(e, LEX)
    assert rules.tally(e, "plurality") == plurality(e)


# -- generated polls against a plain recount ---------------------------------------------------


@st.composite
def polls(draw: st.DrawFn) -> Election:
    ids = draw(st.lists(st.sampled_from(["1", "2", "9", "10", "a", "b"]), min_size=1, unique=True))
    costs = {pid: draw(st.integers(1, 3)) for pid in ids}
    ranking = st.lists(st.sampled_from(ids), max_size=len(ids), unique=True).map(tuple)
    return poll(BallotKind.RANKED, draw(st.lists(ranking, max_size=25)), costs)


def recount(e: Election, tie_break: TieBreak) -> str:
    """IRV done the slow, obvious way: recount every ballot from scratch each round."""
    costs = {p.id: p.cost for p in e.projects}
    supporters = Counter(pid for b in e.ballots for pid in b.choices)
    if tie_break is TieBreak.LEXICOGRAPHIC:
        key = lambda pid: (pid,)  # noqa: E731
    else:
        key = lambda pid: (costs[pid], -supporters[pid], pid)  # noqa: E731
    left = [p.id for p in e.projects]
    while True:
        tally = Counter({pid: 0 for pid in left})
        for b in e.ballots:
            first = next((pid for pid in b.choices if pid in left), None)
            if first is not None:
                tally[first] += 1
        total = sum(tally.values())
        top = max(tally.values())
        if 2 * top > total or len(left) == 1:
            return next(pid for pid in left if tally[pid] == top)
        low = min(tally.values())
        left.remove(max((pid for pid in left if tally[pid] == low), key=key))


@settings(max_examples=300, deadline=None)
@given(polls(), st.sampled_from(list(TieBreak)))
def test_irv_agrees_with_a_plain_recount(e: Election, tie_break: TieBreak) -> None:
    o = irv(e, tie_break)
    assert o.selected == (recount(e, tie_break),)
    for r in o.rounds:  # blank ballots count as exhausted from the start
        assert r["continuing"] + r["exhausted"] == len(e.ballots)
    for before, after in zip(o.rounds, o.rounds[1:], strict=False):
        assert after["exhausted"] == before["exhausted"] + before["exhausted_now"]
        moved = sum(before["transfers"].values()) + before["exhausted_now"]
        assert moved == sum(before["tallies"][pid] for pid in before["eliminated"])
    last = o.rounds[-1]
    assert last["winner"] == o.selected[0]
    assert 2 * last["tallies"][o.selected[0]] > last["continuing"] or len(last["tallies"]) == 1
    assert [x.funded for x in o.explanations].count(True) == 1


@settings(max_examples=200, deadline=None)
@given(polls(), st.sampled_from(list(TieBreak)))
def test_plurality_winner_has_the_most_first_preferences(e: Election, tie_break) -> None:
    o = plurality(e, tie_break)
    firsts = Counter(b.choices[0] for b in e.ballots if b.choices)
    assert firsts[o.selected[0]] == max(firsts.values(), default=0)
    assert o.rounds[0]["tallies"] == {p.id: firsts[p.id] for p in e.projects}
