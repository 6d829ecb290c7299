"""The data every count works on: an election (one pot), its projects and ballots, and an outcome.

Everything here is a frozen value. Money is exact: a ``Fraction`` (pabulib files may carry
decimal costs such as ``1234.50`` or ``1234,5``); in Devolve itself it is whole pence, which a
``Fraction`` holds exactly as well. Rules may scale to integers internally, but what they return
is in the election's own money.

Project ids are strings and compared as strings wherever an order is needed ("10" < "9"),
as pabutools does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


_BALLOTS = Election.ballots  # the slot behind Election.ballots


class LazyElection(Election):
    """An :class:`Election` whose ballots are built on first use, with their counts known now.

    ``votes.pabulib.read`` returns one for a big file: it has checked every row already, and
    counting needs only ``ballot_counts`` (how many voters cast each distinct ballot), so the
    one-object-per-voter tuple is made only if something asks for ``ballots``. It compares
    equal to (and hashes as) the plain ``Election`` with the same values.

    ``ballot_counts``: distinct ballot -> number of voters who cast it, the ballot being its
    ``choices`` tuple, or ``(choices, points)`` for cumulative ballots, in the order each
    first occurs, exactly as counting ``election.ballots`` would give. Or, for ballots that
    are sets of projects (approval, knapsack, single choice), ``vote_arrays`` instead:
    ``(counts, flat, sizes)``, int64 arrays holding, per distinct vote in the same order, its
    number of voters and its number of entries, and every entry's project as an index into
    ``projects`` (-1 for an empty entry). The other of the two is None. An instance made any
    other way (``dataclasses.replace``, unpickling) has neither and behaves as a plain
    ``Election``.
    """

    __slots__ = ("_load", "ballot_counts", "vote_arrays")

    @classmethod
    def deferred(
        cls,
        *,
        budget: Fraction,
        projects: tuple[Project, ...],
        load: Callable[[], tuple[Ballot, ...]],
        ballot_counts: Mapping[object, int] | None,
        vote_arrays: tuple[object, object, object] | None = None,
        rules: BallotRules,
        meta: tuple[tuple[str, str], ...] = (),
    ) -> LazyElection:
        obj = object.__new__(cls)
        for name, value in (("budget", budget), ("projects", projects), ("rules", rules)):
            object.__setattr__(obj, name, value)
        object.__setattr__(obj, "meta", meta)
        object.__setattr__(obj, "_load", load)
        object.__setattr__(obj, "ballot_counts", ballot_counts)
        object.__setattr__(obj, "vote_arrays", vote_arrays)
        return obj

    @property
    def ballots(self) -> tuple[Ballot, ...]:  # type: ignore[override]
        try:
            return _BALLOTS.__get__(self, Election)
        except AttributeError:
            pass
        ballots = self._load()
        _BALLOTS.__set__(self, ballots)
        object.__setattr__(self, "_load", None)  # the source text can go
        return ballots

    @ballots.setter
    def ballots(self, value: tuple[Ballot, ...]) -> None:
        # Election's own __init__ (dataclasses.replace) and __setstate__ (pickle) come here.
        _BALLOTS.__set__(self, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Election):
            return NotImplemented
        return (self.budget, self.projects, self.rules, self.meta, self.ballots) == (
            other.budget,
            other.projects,
            other.rules,
            other.meta,
            other.ballots,
        )

    __hash__ = Election.__hash__

    def with_ranked_scoring(self, scoring: RankedScoring | str) -> Election:
        rules = replace(self.rules, ranked_scoring=RankedScoring(scoring))
        counts = getattr(self, "ballot_counts", None)
        arrays = getattr(self, "vote_arrays", None)
        if counts is None and arrays is None:
            return replace(self, rules=rules)
        try:
            ballots = _BALLOTS.__get__(self, Election)
        except AttributeError:
            load = self._load
        else:

            def load() -> tuple[Ballot, ...]:
                return ballots

        return LazyElection.deferred(
            budget=self.budget,
            projects=self.projects,
            load=load,
            ballot_counts=counts,
            vote_arrays=arrays,
            rules=rules,
            meta=self.meta,
        )


@dataclass(frozen=True, slots=True)
class ProjectExplanation:
    """Why one project was or was not funded, for residents and auditors.

    ``funded``: whether it is in the outcome.
    ``reason``: plain English for residents, outcome first (e.g. "Funded. Ranked 3rd by votes
    (412 votes). £12,000 was left when it was reached, enough for its cost of £8,000.").
    ``details``: machine-readable facts behind the sentence (rank, score, money left, price per
    supporter, payers, the MES round it became unaffordable in, ...). Values are JSON-friendly
    (str, int, bool, list, dict); exact fractions are given as strings "p/q".
    ``message``: the reason before it is put into words (a ``votes.i18n`` text), so that it can
    be written in another language without counting again (``reason_in``); None when the
    reason was given only as words. ``reason`` is it in the language the count was asked for
    (English unless ``tally(..., language=...)``). Not compared: two explanations are equal
    when they say the same.
    """

    project_id: str
    funded: bool
    reason: str
    details: Mapping[str, object] = field(default_factory=dict)
    message: object = field(default=None, compare=False, repr=False)

    def reason_in(self, language: object = None) -> str:
        """The reason in ``language`` (a code such as "cy", or a ``votes.i18n.Translator``;
        None: English; a language with no catalogue: English too). An explanation with no
        ``message`` gives its ``reason`` as it is."""
        if self.message is None:
            return self.reason
        from votes.i18n import translator

        return translator(language).render(self.message)


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
