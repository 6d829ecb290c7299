"""The garbage collector is paused only while a count or a file read runs."""

import gc
import threading
from fractions import Fraction

import pytest

from votes._gc import paused_collection
from votes.model import Ballot, BallotKind, BallotRules, Election, Project
from votes.pabulib import dumps, read
from votes.rules import tally


@pytest.fixture(autouse=True)
def collection_on():
    """Each test starts with collection enabled and leaves it as the process had it."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def small(choices=("a", "b")) -> Election:
    return Election(
        budget=Fraction(100),
        projects=(Project("a", Fraction(60)), Project("b", Fraction(40))),
        ballots=(Ballot(tuple(choices)), Ballot(("a",))),
        rules=BallotRules(BallotKind.APPROVAL),
    )


def test_collection_is_paused_during_a_count_and_back_after_it():
    seen = []

    def money(amount: Fraction) -> str:
        seen.append(gc.isenabled())  # called while the count writes its explanations
        return str(amount)

    outcome = tally(small(), "mes", money=money)
    assert outcome.selected
    assert seen and not any(seen)
    assert gc.isenabled()


def test_collection_is_back_after_a_count_that_raises():
    with pytest.raises(ValueError, match="'zz'"):
        tally(small(("a", "zz")), "mes")
    assert gc.isenabled()


def test_collection_is_back_after_reading_a_file():
    assert read(dumps(small())).projects
    assert gc.isenabled()


def test_a_caller_that_disabled_collection_keeps_it_disabled():
    gc.disable()
    tally(small(), "greedy")
    with pytest.raises(ValueError):
        tally(small(("zz",)), "greedy")
    assert not gc.isenabled()


def test_nested_pauses_restore_collection_only_when_the_outermost_ends():
    with paused_collection():
        with paused_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one does not switch it back on
        with pytest.raises(RuntimeError), paused_collection():
            raise RuntimeError
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_ending_in_one_thread_does_not_end_a_count_running_in_another():
    inside, finish = threading.Event(), threading.Event()
    during = []

    def money(amount: Fraction) -> str:
        if not inside.is_set():
            inside.set()
            finish.wait(10)  # the count stays open while the other pause ends
            during.append(gc.isenabled())
        return str(amount)

    worker = threading.Thread(target=tally, args=(small(), "mes"), kwargs={"money": money})
    with paused_collection():
        worker.start()
        assert inside.wait(10)
    still_paused = not gc.isenabled()
    finish.set()
    worker.join(10)
    assert still_paused
    assert during == [False]
    assert gc.isenabled()
