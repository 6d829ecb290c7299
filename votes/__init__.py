"""Devolve's counting library: elections in, outcomes with explanations out.

Pure Python (and numpy): no web framework, no database. See ``votes/README.md``.

    from votes import read, tally, TieBreak
    outcome = tally(read("pot.pb"), "mes-add1", TieBreak.COST_VOTES)

``tally`` and ``RULES`` live in ``votes.rules`` and are imported from there on first use, so
that reading files and checking ballots does not load the counting rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from votes.ballot import CODES, Problem, format_money, validate_ballot
from votes.model import (
    Ballot,
    BallotKind,
    BallotRules,
    Election,
    Outcome,
    Project,
    ProjectExplanation,
    RankedScoring,
    TieBreak,
)
from votes.pabulib import PabulibError, dumps, read, write
from votes.single_winner import irv, plurality

if TYPE_CHECKING:
    from votes.rules import RULES, tally

__all__ = [
    "CODES",
    "RULES",
    "Ballot",
    "BallotKind",
    "BallotRules",
    "Election",
    "Outcome",
    "PabulibError",
    "Problem",
    "Project",
    "ProjectExplanation",
    "RankedScoring",
    "TieBreak",
    "dumps",
    "format_money",
    "irv",
    "plurality",
    "read",
    "tally",
    "validate_ballot",
    "write",
]


def __getattr__(name: str) -> object:
    if name in ("tally", "RULES"):
        from votes import rules

        return getattr(rules, name)
    raise AttributeError(f"module 'votes' has no attribute {name!r}")
