"""Every rule against pabutools 1.2.3 on every shared pabulib election (reference.json).

Ordered comparisons where pabutools' order means something (greedy, MES and its
completions); sets for Phragmén (pabutools sorts its result); the welfare value for
max-welfare (pabutools picks any of several optimal sets). Pairs whose reference timed out
have nothing to compare with and are left out.

reference.json holds pabutools' Borda rules for ranked (ordinal) files, so ranked elections are
counted here with ``RankedScoring.BORDA``; rank points are checked against pabutools' cardinal
rules in ``test_rank_points.py``.
"""

from fractions import Fraction
from functools import cache

import pytest

from bench.reference_keys import KEYS
from tests.conftest import pabulib_dir
from tests.votes.conftest import pabulib_files
from tests.votes.conftest import vote_type as file_vote_type
from votes.model import BallotKind, Election, RankedScoring, TieBreak
from votes.pabulib import read
from votes.rules import RULES, tally

pytestmark = pytest.mark.pabulib

VOTE_TYPES = {"approval", "choose-1", "cumulative", "ordinal"}


def _cases() -> list:
    cases = []
    for name in pabulib_files():
        vote_type = file_vote_type(name)
        for rule in KEYS.get(vote_type, {}):
            marks = [pytest.mark.slow] if rule == "mes-add1" else []
            cases.append(pytest.param(name, rule, id=f"{name}-{rule}", marks=marks))
    return cases


@cache
def _election(name: str) -> Election:
    return read(pabulib_dir() / name).with_ranked_scoring(RankedScoring.BORDA)


def _approval_welfare(election: Election, selected) -> Fraction:
    counts: dict[str, int] = {}
    for ballot in election.ballots:
        for c in set(ballot.choices):
            counts[c] = counts.get(c, 0) + 1
    return sum((counts.get(p, 0) * election.project(p).cost for p in selected), Fraction(0))


@pytest.mark.parametrize(("name", "rule"), _cases())
def test_rule_matches_pabutools(reference, name, rule):
    record = reference[name]
    result = record["results"][KEYS[record["vote_type"]][rule]]
    if result["status"] != "ok":
        pytest.skip(f"no reference: pabutools {result['status']}")
    election = _election(name)
    tie_break = TieBreak.COST_VOTES if rule == "mes-add1" else TieBreak.LEXICOGRAPHIC
    outcome = tally(election, rule, tie_break)
    assert outcome.total_cost <= election.budget
    if rule == "phragmen":
        assert sorted(outcome.selected) == sorted(result["selected"])
    elif rule == "max-welfare":
        assert _approval_welfare(election, outcome.selected) == result["welfare_cost_sat"]
    else:
        assert list(outcome.selected) == result["selected"]
    assert [e.project_id for e in outcome.explanations] == [p.id for p in election.projects]


def test_every_shared_election_has_a_reference_and_known_rules(pabulib, reference):
    """Not parametrized, so that REQUIRE_PABULIB=1 fails when the folder is missing."""
    names = pabulib_files()
    assert names, f"no .pb files in {pabulib}"
    assert set(names) <= set(reference)
    for name in names:
        vote_type = reference[name]["vote_type"]
        assert vote_type in VOTE_TYPES
        kind = {"cumulative": BallotKind.CUMULATIVE, "ordinal": BallotKind.RANKED}.get(
            vote_type, BallotKind.APPROVAL
        )
        assert set(KEYS[vote_type]) <= set(RULES[kind])
