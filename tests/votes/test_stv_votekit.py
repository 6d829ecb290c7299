"""The Scottish STV count against an independent one: MGGG's votekit, on every shared Scottish
council election (``STV_DIR``), stage for stage where the two rules run the same stages.

votekit's ``FastSTV`` (Droop quota, fractional transfers of every paper at its current weight,
surpluses of one round transferred together) is weighted inclusive Gregory like the Order, with
three documented differences, each tested here:

1. **Rounding.** The Order calculates each transfer value to five decimal places, remainders
   ignored; votekit keeps floating-point (or, with ``exact=True``, exact) weights. So the
   stages are compared with our exact count (``places=None``), and the Order's count must
   elect the same candidates as the exact one.
2. **Surpluses together.** votekit transfers the surpluses of all candidates over the quota in
   one round, and a candidate who reaches the quota in that round is elected only in the next,
   so they still receive papers from the other surpluses. The Order deems them elected at the
   end of the stage in which they reach the quota, and later surpluses pass them by. Where that
   happens (``surpluses_pass_by``) the stages' values differ and only the winners are compared;
   the one shared election where it changes a winner is named in ``DIFFERENT_WINNERS``.
3. **Last vacancies.** The Order deems the continuing candidates elected as soon as they are no
   more than the vacancies left, or when one vacancy is left and a candidate cannot be caught;
   votekit goes on excluding until the seats are filled. So its exclusions go on after ours
   stop; ours must be the first of its.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.conftest import require_or_skip, stv_dir
from votes.blt import BltElection, BltError, read_blt
from votes.stv import StvResult, scottish

votekit = pytest.importorskip("votekit", reason="votekit (requirements-dev.txt) is not installed")
from votekit import RankBallot, RankProfile  # noqa: E402
from votekit.elections import STV, FastSTV  # noqa: E402

#: Shared elections whose winners differ from votekit's, and why.
DIFFERENT_WINNERS = {
    # Stage 2: Castles's surplus brings Somers to the quota, so under the Order Encinias's
    # surplus at stage 3 passes Somers by; in votekit both surpluses go together and Somers
    # takes a share of Encinias's. The papers that go on to Cameron and Higgins differ, and the
    # last exclusion between them (517.13 against 517.25 under the Order) goes the other way.
    "north_lanarkshire_2017_ward11.blt": "surpluses together",
}


def _files() -> list[str]:
    folder = stv_dir()
    return sorted(p.name for p in folder.glob("*.blt")) if folder.is_dir() else []


def profile(election: BltElection) -> RankProfile:
    ballots = []
    for n, prefs in election.ballots:
        kept = list(dict.fromkeys(c for c in prefs if c not in election.withdrawn))
        if kept:
            ranking = tuple(frozenset({str(c)}) for c in kept)
            ballots.append(RankBallot(ranking=ranking, weight=n))
    standing = tuple(str(c) for c in range(len(election.candidates)) if c not in election.withdrawn)
    return RankProfile(ballots=tuple(ballots), candidates=standing)


def surpluses_pass_by(result: StvResult) -> bool:
    """Whether a candidate reached the quota at a surplus stage while another surplus was still
    to be transferred (where the Order and votekit's rounds part: difference 2)."""
    pending: set[int] = set()
    for stage in result.stages:
        if stage.action == "surplus":
            pending.discard(stage.candidate)
            if stage.elected and pending:
                return True
        for c, how in zip(stage.elected, stage.elected_by, strict=True):
            if how == "quota" and stage.votes[c] > stage.quota:
                pending.add(c)
    return False


def winners(election) -> set[int]:
    return {int(c) for group in election.get_elected() for c in group}


def test_the_shared_scottish_elections_are_there():
    """Not parametrized, so that REQUIRE_STV=1 fails the run when the folder is missing."""
    require_or_skip(
        bool(_files()), f"Scottish STV elections in {stv_dir()} (STV_DIR)", "REQUIRE_STV"
    )


@pytest.mark.parametrize("name", _files())
def test_the_scottish_count_agrees_with_votekit(name):
    try:
        election = read_blt((stv_dir() / name).read_text(encoding="utf-8"))
    except BltError:
        pytest.skip(f"{name} is not a well-formed BLT file (see test_blt)")
    ours = scottish(election)
    exact = scottish(election, places=None)
    theirs = FastSTV(profile(election), n_seats=election.seats, simultaneous=True, tiebreak="borda")
    states = theirs.election_states

    # First preferences: the same whole numbers.
    first = {int(c): v for c, v in states[0].scores.items()}
    assert {c: float(v) for c, v in enumerate(exact.stages[0].votes) if c in first} == first

    # Difference 1: the Order's rounding elects the same candidates as exact arithmetic.
    assert ours.elected == exact.elected, "the five-decimal rounding changed a winner"

    if name in DIFFERENT_WINNERS:
        assert surpluses_pass_by(exact), "the recorded reason no longer holds"
        assert set(exact.elected) != winners(theirs)
        return
    assert set(exact.elected) == winners(theirs)
    if surpluses_pass_by(exact):
        return  # difference 2: the stages' values part; the winners agree

    # Stage for stage: before each of our exclusions, the continuing candidates' votes are
    # votekit's before its elimination of the same candidate (difference 3: ours may stop
    # first, as the last vacancies are filled without further exclusions).
    ours_out = [(i, s.candidate) for i, s in enumerate(exact.stages) if s.action == "exclusion"]
    their_out = [(i, int(c)) for i, s in enumerate(states) for group in s.eliminated for c in group]
    assert [c for _, c in ours_out] == [c for _, c in their_out][: len(ours_out)]
    for (i, _), (j, _) in zip(ours_out, their_out, strict=False):
        before = exact.stages[i - 1].votes
        for c, v in states[j - 1].scores.items():
            assert float(before[int(c)]) == pytest.approx(float(v), rel=1e-9, abs=1e-6)


def _election(seats: int, ballots, n: int) -> BltElection:
    return BltElection(
        candidates=tuple("ABCDEFG"[:n]), seats=seats, ballots=tuple(ballots), title="test"
    )


def test_difference_1_rounding_is_the_orders_and_exact_counts_agree_with_votekit_exactly():
    # 3 seats, 25 votes: quota 25 // 4 + 1 = 7. A has 11, a surplus of 4 over 11 papers:
    # transfer value 4/11 = 0.363636... -> 0.36363 under the Order (remainder ignored).
    election = _election(3, [(8, (0, 1)), (3, (0, 2)), (5, (1,)), (5, (2,)), (4, (3,))], 4)
    ours = scottish(election)
    exact = scottish(election, places=None)
    assert ours.stages[1].transfer_value == Fraction(36363, 100000)
    assert exact.stages[1].transfer_value == Fraction(4, 11)
    # B gets 8 papers: 8 x 0.36363 = 2.90904 (exactly 32/11 = 2.909090...).
    assert ours.stages[1].votes[1] == 5 + Fraction(290904, 100000)
    assert exact.stages[1].votes[1] == 5 + Fraction(32, 11)
    # The 11 x 0.00000363... lost to the remainders is recorded as rounding, not exhausted.
    assert ours.stages[1].rounding_change == 4 - 11 * Fraction(36363, 100000)
    assert ours.stages[1].exhausted_change == 0
    theirs = STV(profile(election), n_seats=3, exact=True, tiebreak="lex")
    after = {int(c): v for c, v in theirs.election_states[1].scores.items()}
    assert after == {1: 5 + Fraction(32, 11), 2: 5 + Fraction(12, 11), 3: 4}
    assert {c: exact.stages[1].votes[c] for c in after} == after


def test_difference_2_a_candidate_reaching_the_quota_during_the_surpluses_is_passed_by():
    # 4 seats, 43 votes: quota 43 // 5 + 1 = 9. A 14 and B 12 are elected at the first stage.
    # Stage 2: A's surplus (5 of 14, every paper next to C) brings C from 8 to 13: C is deemed
    # elected. Stage 3: C's surplus (4, the highest left) has nowhere to go (exhausted).
    # Stage 4: B's surplus (3 of 12, papers next to C then D) passes C by: D 5 + 3 = 8, and
    # with one vacancy left D cannot be caught by E (4): D is deemed elected.
    election = _election(4, [(14, (0, 2)), (12, (1, 2, 3)), (8, (2,)), (5, (3,)), (4, (4,))], 5)
    ours = scottish(election)
    assert [(s.action, s.candidate, s.elected) for s in ours.stages] == [
        ("first", None, (0, 1)),
        ("surplus", 0, (2,)),
        ("surplus", 2, ()),
        ("surplus", 1, (3,)),
    ]
    # Under the Order A's papers go at 5/14 = 0.35714 (remainder ignored): C 8 + 14 x 0.35714.
    c = 8 + 14 * Fraction(35714, 100000)
    assert c == Fraction("12.99996")
    assert [s.votes for s in ours.stages[1:]] == [
        (9, 12, c, 5, 4),
        (9, 12, 9, 5, 4),
        (9, 9, 9, 8, 4),
    ]
    assert ours.stages[1].rounding_change == Fraction("0.00004")
    assert ours.stages[2].non_transferable_change == c - 9
    assert ours.stages[3].elected_by == ("last vacancy",)
    assert surpluses_pass_by(ours)
    # votekit: both surpluses at once, so C takes B's 3 as well (8 + 5 + 3 = 16), and D gets
    # only a share of B's papers back through C's surplus: 5 + 12 x 3/12 x 7/16 = 101/16.
    theirs = STV(profile(election), n_seats=4, exact=True, tiebreak="lex")
    rounds = [{int(c): v for c, v in s.scores.items()} for s in theirs.election_states[1:3]]
    assert rounds == [{2: 16, 3: 5, 4: 4}, {3: Fraction(101, 16), 4: 4}]
    assert winners(theirs) == set(ours.elected) == {0, 1, 2, 3}


def test_difference_3_the_last_vacancies_are_filled_without_more_exclusions():
    # 2 seats, 28 votes: quota 10. A (10) is elected at the first stage; one vacancy is left
    # and B's 9 equal C's 6 and D's 3 together, with no surplus to come (A has none): B cannot
    # be caught and is deemed elected (rule 53(2)). votekit excludes D, then C, then elects B.
    election = _election(2, [(10, (0,)), (9, (1,)), (6, (2, 0)), (3, (3, 2))], 4)
    ours = scottish(election)
    assert [s.action for s in ours.stages] == ["first"]
    assert ours.elected == (0, 1)
    assert ours.stages[0].elected_by == ("quota", "last vacancy")
    theirs = STV(profile(election), n_seats=2, exact=True, tiebreak="lex")
    assert winners(theirs) == {0, 1}
    out = [int(c) for s in theirs.election_states for group in s.eliminated for c in group]
    assert out == [3, 2]


def test_no_file_is_named_that_is_not_shared():
    files = set(_files())
    if files:
        assert set(DIFFERENT_WINNERS) <= files
