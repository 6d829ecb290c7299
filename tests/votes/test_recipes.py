"""The pabutools script in every export's README recounts each rule as ``votes`` does.

Each generated election is written as ``election.pb``; the script for each rule and tie-break
runs in a fresh namespace in that folder (pabutools is the reference, not Devolve), and the ids
it prints must be the ones ``tally`` funds.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
from fractions import Fraction

import pytest

from votes.model import Ballot, BallotKind, BallotRules, Election, Project, RankedScoring, TieBreak
from votes.pabulib import dumps
from votes.recipes import pabutools_script
from votes.rules import RULES, tally

pytest.importorskip("pabutools")

KINDS = [
    (BallotKind.APPROVAL, RankedScoring.RANKS),
    (BallotKind.KNAPSACK, RankedScoring.RANKS),
    (BallotKind.SINGLE, RankedScoring.RANKS),
    (BallotKind.CUMULATIVE, RankedScoring.RANKS),
    (BallotKind.RANKED, RankedScoring.RANKS),
    (BallotKind.RANKED, RankedScoring.BORDA),
]


def generated(kind: BallotKind, scoring: RankedScoring, seed: int) -> Election:
    """A small election whose costs repeat, so that ties come up and the tie-break matters."""
    rng = random.Random(seed)
    projects = tuple(
        Project(str(i), Fraction(rng.choice([100, 200, 300, 400])), f"Project {i}")
        for i in range(1, 9)
    )
    ids = [p.id for p in projects]
    ballots = []
    for _ in range(rng.randint(4, 24)):
        chosen = tuple(rng.sample(ids, rng.randint(1, 4)))
        if kind is BallotKind.CUMULATIVE:
            ballots.append(Ballot(chosen, tuple(rng.randint(1, 4) for _ in chosen)))
        elif kind is BallotKind.SINGLE:
            ballots.append(Ballot(chosen[:1]))
        elif kind is BallotKind.KNAPSACK:
            ballots.append(Ballot(chosen[:2]))
        else:
            ballots.append(Ballot(chosen))
    rules = BallotRules(
        kind,
        max_choices=rng.choice([4, 5]) if kind is BallotKind.RANKED else None,
        require_all_points=False,
        ranked_scoring=scoring,
    )
    return Election(Fraction(rng.choice([600, 900, 1300])), projects, tuple(ballots), rules)


def run_script(script: str, folder) -> list[str]:
    out = io.StringIO()
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(script, "recount.py", "exec"), {"__name__": "__main__"})  # noqa: S102
    finally:
        os.chdir(here)
    return out.getvalue().split()


CASES = [
    (kind, scoring, rule, tie_break)
    for kind, scoring in KINDS
    for rule in RULES[kind]
    if rule not in ("plurality", "irv", "max-welfare")
    for tie_break in TieBreak
]


@pytest.mark.parametrize(
    ("kind", "scoring", "rule", "tie_break"),
    CASES,
    ids=[f"{k}-{s}-{r}-{t}" for k, s, r, t in CASES],
)
def test_the_script_funds_what_votes_funds(tmp_path, kind, scoring, rule, tie_break):
    for seed in range(3):
        election = generated(kind, scoring, seed)
        (tmp_path / "election.pb").write_text(dumps(election), encoding="utf-8")
        script = pabutools_script(election.rules, rule, tie_break)
        expected = sorted(tally(election, rule, tie_break).selected)
        assert run_script(script, tmp_path) == expected, f"seed {seed}"


def test_max_welfare_prints_the_welfare_of_an_optimal_set(tmp_path):
    """pabutools picks any optimal set: the script prints its welfare to compare with ours."""
    election = generated(BallotKind.APPROVAL, RankedScoring.RANKS, 7)
    (tmp_path / "election.pb").write_text(dumps(election), encoding="utf-8")
    printed = run_script(pabutools_script(election.rules, "max-welfare", "cost-votes"), tmp_path)
    outcome = tally(election, "max-welfare")
    welfare = sum(
        election.project(p).cost * sum(1 for b in election.ballots if p in b.choices)
        for p in outcome.selected
    )
    assert printed[-1] == str(int(welfare))


def test_single_winner_rules_have_no_pabutools_script():
    rules = BallotRules(BallotKind.RANKED, max_choices=3)
    assert pabutools_script(rules, "irv", "cost-votes") is None
    assert pabutools_script(rules, "plurality", "lexicographic") is None


def test_rules_a_ballot_kind_lacks_are_refused():
    with pytest.raises(ValueError, match="approval ballots"):
        pabutools_script(BallotRules(BallotKind.CUMULATIVE, points=5), "mes-add1", "cost-votes")
    with pytest.raises(ValueError, match="unknown rule"):
        pabutools_script(BallotRules(BallotKind.APPROVAL), "dictator", "cost-votes")
