"""Devolve's counting library: elections in, outcomes with explanations out.

Pure Python (and numpy): no web framework, no database. See ``votes/README.md``.

    from votes import read, tally, TieBreak
    outcome = tally(read("pot.pb"), "mes-add1", TieBreak.COST_VOTES)

``tally`` and ``RULES`` live in ``votes.rules``, the ballot checks in ``votes.ballot`` and the
single-winner rules in ``votes.single_winner``; each is imported from there on first use, so
that reading a file does not load the counting rules, and counting does not load the ballot
checks (``python -m votes tally`` starts faster).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from votes.ballot import CODES, Problem, format_money, validate_ballot
    from votes.rules import RULES, tally
    from votes.single_winner import irv, plurality

_LAZY = {
    "tally": "rules",
    "RULES": "rules",
    "CODES": "ballot",
    "Problem": "ballot",
    "format_money": "ballot",
    "validate_ballot": "ballot",
    "irv": "single_winner",
    "plurality": "single_winner",
}

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
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"votes.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'votes' has no attribute {name!r}")
