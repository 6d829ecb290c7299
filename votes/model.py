"""The data every count works on: an election (one pot), its projects and ballots, and an outcome.

Everything here is a frozen value. Money is exact: a ``Fraction`` (pabulib files may carry
decimal costs such as ``1234.50`` or ``1234,5``); in Devolve itself it is whole pence, which a
``Fraction`` holds exactly as well. Rules may scale to integers internally, but what they return
is in the election's own money.

Project ids are strings and compared as strings wherever an order is needed ("10" < "9"),
as pabutools does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction


class BallotKind(StrEnum):
    """How a resident fills in a ballot paper."""

    APPROVAL = "approval"  # tick any number of projects (optionally between min and max)
    KNAPSACK = "knapsack"  # tick projects whose total cost fits the pot; counted as approval
    CUMULATIVE = "cumulative"  # share out N points, optionally at most a cap per project
    RANKED = "ranked"  # rank up to k projects, 1 = best
    SINGLE = "single-choice"  # exactly one project; counted as approval of length 1


class RankedScoring(StrEnum):
    """How a ranked ballot's choices become numbers for the budgeting rules.

    ``RANKS`` (Devolve's ballot paper): with up to k ranks, the 1st choice gets k points, the
    2nd k-1, ..., the kth 1, so every ranked choice counts, the last one included.
    ``BORDA`` (pabutools' Borda satisfaction, for pabulib conformance): a ballot ranking L
    projects gives L-1, ..., 0, so its last choice carries no weight for ``mes`` and
    ``greedy-per-cost``; ``greedy`` counts L, ..., 1.
    """

    RANKS = "ranks"
    BORDA = "borda"


class TieBreak(StrEnum):
    """How two projects that a rule scores exactly equal are ordered.

    ``LEXICOGRAPHIC``: by project id compared as a string, as pabutools does.
    ``COST_VOTES``: lower cost first, then more supporters, then project id (the default, as in
    real Method of Equal Shares deployments).
    """

    LEXICOGRAPHIC = "lexicographic"
    COST_VOTES = "cost-votes"


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    cost: Fraction
    name: str = ""
    # Every other column of the project's row in a .pb file, in file order, so a file written
    # back reads back identically. Values are the raw strings.
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's ballot.

    ``choices``: approval, knapsack and single-choice: the approved project ids (order carries no
    meaning); ranked: best first; cumulative: the projects given points.
    ``points``: cumulative only, the points given to each of ``choices`` (same length).
    ``voter``: the voter id from the source (empty for the anonymous ballots of Devolve's box).
    ``extra``: every other voter column of a .pb file (age, sex, neighbourhood, ...), raw strings.
    """

    choices: tuple[str, ...]
    points: tuple[int, ...] = ()
    voter: str = ""
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class BallotRules:
    """What a valid ballot looks like in one pot. ``None`` means no limit."""

    kind: BallotKind
    min_choices: int | None = None
    max_choices: int | None = None  # for ranked: k, the number of ranks
    points: int | None = None  # cumulative: the points each voter shares out
    max_points_per_project: int | None = None  # cumulative: the per-project cap
    # Cumulative: must all points be used? Devolve's own rounds say yes; pabulib files vary.
    require_all_points: bool = True
    # Ranked: how ranks become points for the budgeting rules (ignored for other kinds).
    ranked_scoring: RankedScoring = RankedScoring.RANKS
    # May a ballot choose nothing at all? Devolve's new rounds say no unless the officer allows
    # it; pabulib files and rounds frozen before the option existed accept blank ballots.
    allow_blank: bool = True


@dataclass(frozen=True, slots=True)
class Election:
    """One pot's count: its budget, projects and ballots.

    ``meta``: the META section of a .pb file as (key, value) pairs in file order (empty for
    elections built in Devolve).
    """

    budget: Fraction
    projects: tuple[Project, ...]
    ballots: tuple[Ballot, ...]
    rules: BallotRules
    meta: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> BallotKind:
        return self.rules.kind

    def with_ranked_scoring(self, scoring: RankedScoring | str) -> Election:
        """The same election with ranked ballots counted by ``scoring`` (for a ``.pb`` file,
        which cannot say: ``votes.pabulib.read`` gives ``RANKS``). Other kinds ignore it."""
        rules = replace(self.rules, ranked_scoring=RankedScoring(scoring))
        return replace(self, rules=rules)

    def project(self, project_id: str) -> Project:
        for p in self.projects:
            if p.id == project_id:
                return p
        raise KeyError(project_id)


@dataclass(frozen=True, slots=True)
class ProjectExplanation:
    """Why one project was or was not funded, for residents and auditors.

    ``funded``: whether it is in the outcome.
    ``reason``: plain English for residents, outcome first (e.g. "Funded. Ranked 3rd by votes
    (412 votes). £12,000 was left when it was reached, enough for its cost of £8,000.").
    ``details``: machine-readable facts behind the sentence (rank, score, money left, price per
    supporter, payers, the MES round it became unaffordable in, ...). Values are JSON-friendly
    (str, int, bool, list, dict); exact fractions are given as strings "p/q".
    """

    project_id: str
    funded: bool
    reason: str
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one rule on one election.

    ``selected``: funded project ids in the order the rule selected them.
    ``explanations``: one per project of the election, in the election's project order.
    ``rounds``: single-winner rules (plurality, IRV): the tallies round by round, each a mapping
    project id -> votes, with the eliminated project and transfers in ``details`` of the
    explanations; empty for budgeting rules.
    """

    rule: str
    tie_break: TieBreak
    budget: Fraction
    selected: tuple[str, ...]
    total_cost: Fraction
    explanations: tuple[ProjectExplanation, ...]
    rounds: tuple[Mapping[str, object], ...] = ()
