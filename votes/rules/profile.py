"""An election turned into the integer arrays every counting rule works on.

Money is scaled to whole numbers: every cost and the budget are multiplied by ``scale``, the
least common multiple of their denominators, so that comparisons of money are exact integer
comparisons. Identical ballots are grouped and carry a weight (how many voters cast them), which
is what makes the large elections fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np

from votes.model import BallotKind, Election, TieBreak


@dataclass(frozen=True)
class ProjectSat:
    """For one project: the ballot groups that give it a positive satisfaction, and how much.

    ``groups``: indices into ``Profile.weights``; ``values``: the satisfaction of each group
    (an integer: 1 for an approval, points for cumulative, a positional score for ranked).
    """

    groups: np.ndarray
    values: np.ndarray

    @property
    def binary(self) -> bool:
        return bool(self.values.size == 0 or (self.values.min() == 1 and self.values.max() == 1))


@dataclass
class Profile:
    ids: list[str]
    costs: list[int]  # scaled by ``scale``
    budget: int  # scaled by ``scale``
    scale: int
    voters: int  # number of ballots, empty ones included
    weights: np.ndarray  # int64, one per distinct ballot
    ballots: list[tuple[tuple[int, int], ...]]  # distinct ballots: (project index, value)
    votes: list[int]  # per project: voters who name it with a positive value (or rank it)
    kind: BallotKind

    def money(self, scaled: int | Fraction) -> Fraction:
        """Scaled money back into the election's own units."""
        return Fraction(scaled) / self.scale

    def tie_key(self, tie_break: TieBreak):
        """A sort key on project indices: smaller is preferred when scores are exactly equal."""
        if tie_break == TieBreak.LEXICOGRAPHIC:
            return lambda p: self.ids[p]
        return lambda p: (self.costs[p], -self.votes[p], self.ids[p])

    def sats(self, measure: str) -> list[ProjectSat]:
        """Per-project supporters under a satisfaction measure.

        ``approval``: 1 for every project named on the ballot (points > 0 for cumulative).
        ``points``: the points given (cumulative).
        ``borda``: ranked, length of the ballot minus position minus one (0-based), so the
        last-ranked project gives 0 and its voter is not a supporter.
        ``positional``: ranked, length of the ballot minus position (last-ranked gives 1).
        """
        per: list[tuple[list[int], list[int]]] = [([], []) for _ in self.ids]
        for g, ballot in enumerate(self.ballots):
            length = len(ballot)
            for pos, (p, value) in enumerate(ballot):
                if measure == "approval":
                    s = 1 if value > 0 else 0
                elif measure == "points":
                    s = value
                elif measure == "borda":
                    s = length - pos - 1
                elif measure == "positional":
                    s = length - pos
                else:  # pragma: no cover - internal misuse
                    raise ValueError(measure)
                if s > 0:
                    per[p][0].append(g)
                    per[p][1].append(s)
        return [
            ProjectSat(np.asarray(gs, dtype=np.int64), np.asarray(vs, dtype=np.int64))
            for gs, vs in per
        ]

    def totals(self, measure: str) -> list[int]:
        """Per-project total satisfaction (weighted by how many voters cast each ballot)."""
        return [int(np.dot(self.weights[s.groups], s.values)) for s in self.sats(measure)]


def build_profile(election: Election) -> Profile:
    """Group identical ballots and scale money to integers.

    Raises ``ValueError`` when a ballot names a project the election does not have, or when a
    cumulative ballot's points do not match its choices.
    """
    ids = [p.id for p in election.projects]
    if len(set(ids)) != len(ids):
        raise ValueError("project ids must be unique")
    index = {pid: i for i, pid in enumerate(ids)}
    amounts = [Fraction(p.cost) for p in election.projects] + [Fraction(election.budget)]
    if any(a < 0 for a in amounts):
        raise ValueError("costs and the budget must not be negative")
    scale = lcm(*(a.denominator for a in amounts))
    scaled = [int(a * scale) for a in amounts]
    kind = election.kind
    counts: dict[tuple[tuple[int, int], ...], int] = {}
    for ballot in election.ballots:
        if kind == BallotKind.CUMULATIVE:
            if len(ballot.points) != len(ballot.choices):
                raise ValueError("a cumulative ballot needs one points value per choice")
            given = zip(ballot.choices, ballot.points, strict=True)
            pairs = [(index_of(index, c), int(v)) for c, v in given]
            # Order carries no meaning: sort so that equal ballots group together.
            key = tuple(sorted(pairs))
        elif kind == BallotKind.RANKED:
            key = tuple((index_of(index, c), 1) for c in ballot.choices)
        else:
            key = tuple(sorted({(index_of(index, c), 1) for c in ballot.choices}))
        counts[key] = counts.get(key, 0) + 1
    ballots = list(counts)
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    votes = [0] * len(ids)
    for ballot, w in zip(ballots, weights.tolist(), strict=True):
        for p, value in ballot:
            if value > 0:
                votes[p] += w
    return Profile(
        ids=ids,
        costs=scaled[:-1],
        budget=scaled[-1],
        scale=scale,
        voters=len(election.ballots),
        weights=weights,
        ballots=ballots,
        votes=votes,
        kind=kind,
    )


def index_of(index: dict[str, int], project_id: str) -> int:
    try:
        return index[project_id]
    except KeyError:
        raise ValueError(f"a ballot names project {project_id!r}, not in the election") from None
