"""Scottish and Meek STV on small elections worked by hand, the stage report, and
``python -m votes stv``."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from votes.blt import BltElection, write_blt
from votes.cli import main
from votes.stv import count, meek, result_to_json, scottish


def election(seats, ballots, names="ABCDEFG", withdrawn=()):
    n = 1 + max(c for _, prefs in ballots for c in prefs)
    return BltElection(
        candidates=tuple(names[:n]),
        seats=seats,
        ballots=tuple(ballots),
        withdrawn=frozenset(withdrawn),
        title="Ward 1",
    )


WARD = [(12, (0, 1)), (8, (1,)), (7, (2,)), (4, (3,))]


def test_the_quota_is_the_orders_and_a_first_stage_quota_elects():
    # 2 seats, 31 valid votes: 31 // 3 + 1 = 11. A's 12 reach it at the first stage.
    result = scottish(election(2, WARD))
    assert result.quota == 11
    assert result.stages[0].elected == (0,)
    # A's surplus of 1 over 12 papers: 1/12 = 0.08333 (the remainder 0.0000033... ignored).
    surplus = result.stages[1]
    assert (surplus.action, surplus.candidate) == ("surplus", 0)
    assert surplus.transfer_value == Fraction("0.08333")
    assert surplus.votes == (11, 8 + 12 * Fraction("0.08333"), 7, 4)
    assert surplus.rounding_change == 1 - 12 * Fraction("0.08333")
    # D is excluded (its 4 papers have no further preference); then one vacancy is left and
    # B's 8.99996 cannot be caught by C's 7: B is deemed elected.
    last = result.stages[2]
    assert (last.action, last.candidate, last.exhausted_change) == ("exclusion", 3, 4)
    assert result.elected == (0, 1)
    assert last.elected_by == ("last vacancy",)


def test_one_vacancy_left_and_a_candidate_who_cannot_be_caught_is_elected_at_once():
    # A (12) is elected at the first stage; B's 10 equal C's 9 and A's surplus of 1 together.
    result = scottish(election(2, [(12, (0, 1)), (10, (1,)), (9, (2,))]))
    assert len(result.stages) == 1
    assert result.stages[0].elected_by == ("quota", "last vacancy")
    assert result.elected == (0, 1)


def test_a_paper_moves_at_the_value_it_had_when_the_excluded_candidate_received_it():
    # 2 seats, 40 votes: quota 14. A 20 (all next to C): surplus 6 at 6/20 = 0.3 a paper,
    # C 4 + 6 = 10. Then D (5, next to B) is excluded before C; then C (10: 4 at value 1 next
    # to B, 20 at value 0.3 with nothing after C) is excluded: B gets 4, and 6 are exhausted.
    result = scottish(election(2, [(20, (0, 2)), (11, (1,)), (4, (2, 1)), (5, (3, 1))]))
    actions = [(s.action, s.candidate) for s in result.stages]
    assert actions[:3] == [("first", None), ("surplus", 0), ("exclusion", 3)]
    assert result.stages[1].votes == (14, 11, 10, 5)
    assert result.stages[2].votes == (14, 16, 10, 0)
    assert result.stages[2].elected == (1,)
    assert result.elected == (0, 1)


def test_a_tie_for_exclusion_is_decided_by_the_most_recent_stage_they_were_unequal():
    # 1 seat, 11 votes, quota 6. Stage 2: D (1) out, its paper to C: B 3, C 3 tie. At stage 1
    # C had 2 to B's 3, so C is excluded. Then A 5 and B 5 tie: at stage 2 B had 3 to A's 5.
    result = scottish(election(1, [(5, (0,)), (3, (1,)), (2, (2, 1)), (1, (3, 2))]))
    third = result.stages[2]
    assert (third.action, third.candidate) == ("exclusion", 2)
    assert third.tie is not None
    assert (third.tie.candidates, third.tie.chosen, third.tie.how, third.tie.stage) == (
        (1, 2),
        2,
        "earlier stage",
        1,
    )
    assert result.stages[3].candidate == 1
    assert result.elected == (0,)


def test_a_tie_at_every_stage_is_decided_by_the_lot_and_says_so():
    ballots = [(4, (0,)), (3, (1,)), (3, (2,))]
    by_paper = scottish(election(1, ballots))
    # B and C are equal at every stage: without a lot the ballot paper's order stands in, and
    # the later one (C) is excluded; with a lot that favours C, B is.
    assert by_paper.stages[1].candidate == 2
    assert by_paper.stages[1].tie.how == "lot"
    favour_c = scottish(election(1, ballots), lot=(2, 0, 1))
    assert favour_c.stages[1].candidate == 1
    assert favour_c.lot == (2, 0, 1)


def test_withdrawn_candidates_are_skipped_and_blank_ballots_not_counted():
    # B withdrew: the papers that rank B first count for their next preference; a ballot
    # naming only B is not a valid vote.
    result = scottish(election(1, [(3, (1, 0)), (2, (1,)), (4, (2,))], withdrawn={1}))
    assert (result.valid_votes, result.blank) == (7, 2)
    assert result.stages[0].votes == (3, 0, 4)
    assert result.quota == 4
    assert result.elected == (2,)


@pytest.mark.parametrize(
    "seats, lot, message",
    [
        (4, None, "4 seats but only 3 candidates standing: nothing to count"),
        (0, None, "an election needs at least one seat"),
        (1, (0, 1), "the lot must list each of the 3 candidates exactly once"),
        (1, (0, 0, 1), "the lot must list each of the 3 candidates exactly once"),
    ],
)
def test_an_election_that_cannot_be_counted_is_refused(seats, lot, message):
    e = election(1, [(1, (0,)), (1, (1,)), (1, (2,))])
    for rule in ("scottish", "meek"):
        with pytest.raises(ValueError, match=message):
            count(e, rule, seats=seats, lot=lot)


def test_meek_keeps_only_the_quota_and_passes_the_rest_on():
    # 2 seats, 13 votes. First iteration: quota 13/3 = 4.333333333 (truncated) + 0.000000001.
    # A (6) is elected; A's keep factor becomes 4.333333334 / 6 = 0.722222222333... rounded
    # up to 0.722222223. A keeps 6 x 0.722222223 = 4.333333338 and passes 6 x 0.277777777 =
    # 1.666666662 to B: 3 + 1.666666662 = 4.666666662 reaches the quota.
    result = meek(election(2, [(6, (0, 1)), (3, (1,)), (4, (2,))]))
    q = Fraction("4.333333334")
    first, second = result.stages
    assert (first.action, first.quota, first.elected) == ("first", q, (0,))
    assert second.keep_factors[0] == Fraction("0.722222223")
    assert second.votes == (Fraction("4.333333338"), Fraction("4.666666662"), 4)
    assert (second.action, second.elected, second.iterations) == ("election", (1,), 2)
    assert result.elected == (0, 1)


def test_meek_defeats_the_lowest_and_its_votes_go_on_at_full_value():
    # 1 seat, 9 votes: nobody has the quota 4.5 + ... ; C (2) is defeated and its votes go to
    # A: A 3 + 2 = 5 reaches the quota of the votes still in the count.
    result = meek(election(1, [(3, (0,)), (4, (1,)), (2, (2, 0))]))
    assert [(s.action, s.candidate, s.excluded) for s in result.stages] == [
        ("first", 2, (2,)),
        ("election", None, ()),
    ]
    assert result.stages[0].keep_factors[2] == 0
    assert result.stages[1].votes == (5, 4, 0)
    assert result.stages[1].transfers == (2, 0, -2)
    assert result.elected == (0,)


def test_the_stage_report_as_json_has_decimals_with_the_rules_places():
    result = scottish(election(2, WARD))
    data = result_to_json(result)
    assert data["quota"] == "11.00000"
    assert data["elected"] == ["A", "B"]
    second = data["stages"][1]
    assert second["transfer_value"] == "0.08333"
    assert second["votes"] == {"A": "11.00000", "B": "8.99996", "C": "7.00000", "D": "4.00000"}
    assert second["transfers"] == {"A": "-1.00000", "B": "0.99996", "C": "0.00000", "D": "0.00000"}
    assert second["rounding"] == "0.00004"
    assert data["stages"][2]["elected_by"] == ["last vacancy"]
    assert data["stages"][2]["excluded"] == ["D"]
    assert json.loads(json.dumps(data)) == data


def test_the_command_line_counts_a_blt_file(tmp_path, capsys):
    path = tmp_path / "ward.blt"
    path.write_text(write_blt(election(2, WARD)))
    assert main(["stv", str(path), "--rule", "scottish", "--compact"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["rule"], data["elected"], data["quota"]) == ("scottish", ["A", "B"], "11.00000")
    assert main(["stv", str(path), "--rule", "meek", "--seats", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["rule"], data["seats"], data["places"]) == ("meek", 1, 9)
    assert data["elected"] == ["A"]


@pytest.mark.parametrize(
    "text, args, message",
    [
        (None, [], "cannot open"),
        ("2 1\n1 1 x 0\n0\n", [], "line 2: expected whole numbers"),
        (
            '2 1\n1 1 0\n0\n"A"\n"B"\n"T"\n',
            ["--seats", "3"],
            "3 seats but only 2 candidates standing",
        ),
        ('2 1\n1 1 0\n0\n"A"\n"B"\n"T"\n', ["--lot", "1,1"], "exactly once"),
    ],
)
def test_the_command_line_refuses_what_it_cannot_count_in_one_line(
    tmp_path, capsys, text, args, message
):
    path = tmp_path / "ward.blt"
    if text is not None:
        path.write_text(text)
    assert main(["stv", str(path), "--rule", "scottish", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_the_command_line_refuses_a_bad_number_of_seats_or_lot(capsys):
    for args in (["--seats", "0"], ["--seats", "two"], ["--lot", "a,b"]):
        with pytest.raises(SystemExit) as stopped:
            main(["stv", "ward.blt", "--rule", "scottish", *args])
        assert stopped.value.code == 2
    with pytest.raises(SystemExit):
        main(["stv", "ward.blt", "--rule", "borda"])
