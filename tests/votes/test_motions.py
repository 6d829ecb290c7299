"""Motions: thresholds, abstentions, the chair's casting vote and the quorum."""

from fractions import Fraction

import pytest

from votes.motions import (
    ORDINARY,
    SPECIAL,
    TWO_THIRDS,
    Quorum,
    Tally,
    Threshold,
    decide,
    needed_for,
)


@pytest.mark.parametrize(
    "cast, threshold, needed",
    [
        (40, ORDINARY, 21),  # more than half of 40: 21
        (41, ORDINARY, 21),  # more than 20.5: 21
        (40, SPECIAL, 30),  # at least three quarters of 40: 30
        (41, SPECIAL, 31),  # at least 30.75: 31
        (30, TWO_THIRDS, 20),  # at least 20: 20
        (31, TWO_THIRDS, 21),  # at least 20.67: 21
        (1, ORDINARY, 1),
        (0, SPECIAL, 1),
    ],
)
def test_the_votes_needed_are_the_smallest_number_meeting_the_threshold(cast, threshold, needed):
    assert needed_for(cast, threshold) == needed


def test_a_special_resolution_carried_says_by_how_much():
    decision = decide(Tally(for_=31, against=9, abstain=5), SPECIAL)
    assert (decision.cast, decision.needed, decision.margin) == (40, 30, 1)
    assert decision.share == Fraction(31, 40)
    assert decision.carried is True


def test_a_special_resolution_one_short_is_not_carried():
    decision = decide(Tally(for_=29, against=11), SPECIAL)
    assert (decision.needed, decision.margin, decision.carried) == (30, -1, False)


def test_abstentions_count_only_where_the_rules_say_so():
    tally = Tally(for_=30, against=10, abstain=4)
    assert decide(tally, SPECIAL).carried is True  # 30 of 40
    counted = decide(tally, SPECIAL, abstentions_count=True)  # 30 of 44 needs 33
    assert (counted.cast, counted.needed, counted.carried) == (44, 33, False)


def test_a_tie_is_lost_unless_the_chair_gives_a_casting_vote():
    tally = Tally(for_=10, against=10, abstain=2)
    assert decide(tally, ORDINARY).carried is False
    assert decide(tally, ORDINARY).tie is True
    carried = decide(tally, ORDINARY, casting_vote="for")
    assert (carried.carried, carried.casting_vote, carried.margin) == (True, "for", 0)
    assert decide(tally, ORDINARY, casting_vote="against").carried is False


@pytest.mark.parametrize(
    "tally, threshold, message",
    [
        (Tally(11, 10), ORDINARY, "only a tie"),
        (Tally(10, 10), SPECIAL, "only a tie under a simple majority"),
    ],
)
def test_a_casting_vote_is_refused_where_it_cannot_decide(tally, threshold, message):
    with pytest.raises(ValueError, match=message):
        decide(tally, threshold, casting_vote="for")


def test_an_inquorate_vote_decides_nothing():
    quorum = Quorum(members=10, counts_proxies=False)
    decision = decide(Tally(8, 0), ORDINARY, quorum=quorum, present=8, by_proxy=5)
    assert (decision.inquorate, decision.carried) == (True, None)
    assert (decision.quorum_counted, decision.quorum_required) == (8, 10)
    with_proxies = decide(Tally(8, 0), ORDINARY, quorum=Quorum(members=10), present=8, by_proxy=5)
    assert (with_proxies.inquorate, with_proxies.carried, with_proxies.quorum_counted) == (
        False,
        True,
        13,
    )


def test_a_quorum_as_a_share_of_the_members_takes_the_larger_figure():
    quorum = Quorum(members=10, share=Fraction(1, 10))
    assert quorum.required(eligible=50) == 10
    assert quorum.required(eligible=401) == 41
    assert decide(Tally(30, 2), ORDINARY, quorum=quorum, present=40, eligible=401).inquorate


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Threshold(Fraction(1, 3), more_than=False), "from one half"),
        (lambda: Threshold(Fraction(1), more_than=True), "more than all"),
        (lambda: Tally(-1, 0), "negative"),
        (lambda: Quorum(members=-1), "a quorum"),
        (lambda: decide(Tally(1, 0), casting_vote="maybe"), "for or against"),
    ],
)
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_no_votes_cast_carries_nothing():
    decision = decide(Tally(0, 0, abstain=3), ORDINARY)
    assert (decision.cast, decision.share, decision.carried) == (0, None, False)
