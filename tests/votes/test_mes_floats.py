"""The float filter of the MES engine on money that rounding puts either side of the price."""

import signal
from fractions import Fraction

import numpy as np
import pytest

from votes.model import Ballot, BallotKind, BallotRules, Election, Project, TieBreak
from votes.rules.mes import Engine
from votes.rules.profile import build_profile


@pytest.fixture
def within_seconds():
    """Fails the test, rather than hanging the run, if it takes more than a few seconds."""

    def too_long(signum, frame):
        raise TimeoutError("did not finish")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_supporter_holding_exactly_the_price_does_not_stall_the_float_price(within_seconds):
    # Four ballot groups of 3, 1, 2 and 3 voters support p, which costs 171 in engine money
    # (19 x 9 voters). Holding 352/9, 340/9, 254/9 and 5/9 each, the exact price is 254/9:
    # the group of 2 pays exactly all it has. In floats, the price worked out with that group
    # paying the price comes out above its money, and with it paying all it has, below; the
    # passes that cap those who cannot pay used to alternate between the two for ever.
    ballots = [("p", "a")] * 3 + [("p", "b")] + [("p", "c")] * 2 + [("p",)] * 3
    election = Election(
        Fraction(19),
        (Project("p", Fraction(19)),) + tuple(Project(x, Fraction(1)) for x in "abc"),
        tuple(Ballot(b) for b in ballots),
        BallotRules(BallotKind.APPROVAL),
    )
    profile = build_profile(election)
    engine = Engine(profile, profile.sats("approval"), True, profile.tie_key(TieBreak.COST_VOTES))
    p = profile.ids.index("p")
    assert engine.costs[p] == 171
    weights = engine.sup_w[p].tolist()
    held = {1: [Fraction(340, 9)], 2: [Fraction(254, 9)], 3: [Fraction(352, 9), Fraction(5, 9)]}
    money = np.array([float(held[w].pop(0)) for w in weights])
    price, uncapped = engine._solve_float(p, money)
    assert price == pytest.approx(254 / 9, rel=1e-12)
    assert uncapped in (4.0, 6.0)  # the group of 2 counted as paying the price, or not
