"""An election turned into the integer arrays every counting rule works on.

Money is scaled to whole numbers: every cost and the budget are multiplied by ``scale``, the
least common multiple of their denominators, so that comparisons of money are exact integer
comparisons. Identical ballots are grouped and carry a weight (how many voters cast them), which
is what makes the large elections fast.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from math import lcm
from operator import attrgetter

import numpy as np

from votes.model import BallotKind, Election, TieBreak


@dataclass(frozen=True)
class ProjectSat:
    """For one project: the ballot groups that give it a positive satisfaction, and how much.

    ``groups``: indices into ``Profile.weights``; ``values``: the satisfaction of each group
    (an integer: 1 for an approval, points for cumulative, rank points or a Borda or
    positional score for ranked).
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
    # The distinct ballots, flattened: one entry per (ballot, project named on it).
    flat_group: np.ndarray
    flat_project: np.ndarray
    flat_value: np.ndarray  # points (cumulative), else 1
    flat_position: np.ndarray  # 0-based position on the ballot (ranked)
    flat_length: np.ndarray  # length of that ballot
    votes: list[int]  # per project: voters who name it with a positive value
    kind: BallotKind
    # Ranked: k, the number of ranks (1st choice gets k rank points); 0 for other kinds.
    ranks: int = 0
    _sats: dict[str, list[ProjectSat]] = field(default_factory=dict)
    # Per project: the name explanations use for it ("project 7" when it has none).
    names: list[str] = field(default_factory=list)

    def name(self, p: int) -> str:
        return self.names[p] if p < len(self.names) else f"project {self.ids[p]}"

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
        ``ranks``: ranked, rank points: ``ranks`` (k) minus position (0-based), so the 1st
        choice gives k and the kth gives 1, whatever the length of the ballot.
        ``borda``: ranked, length of the ballot minus position minus one (0-based), so the
        last-ranked project gives 0 and its voter is not a supporter.
        ``positional``: ranked, length of the ballot minus position (last-ranked gives 1).
        """
        if measure in self._sats:
            return self._sats[measure]
        if measure == "approval":
            values = (self.flat_value > 0).astype(np.int64)
        elif measure == "points":
            values = self.flat_value
        elif measure == "ranks":
            values = self.ranks - self.flat_position
        elif measure == "borda":
            values = self.flat_length - self.flat_position - 1
        elif measure == "positional":
            values = self.flat_length - self.flat_position
        else:  # pragma: no cover - internal misuse
            raise ValueError(measure)
        keep = values > 0
        groups, projects, values = self.flat_group[keep], self.flat_project[keep], values[keep]
        order = np.lexsort((groups, projects))
        groups, projects, values = groups[order], projects[order], values[order]
        bounds = np.searchsorted(projects, np.arange(len(self.ids) + 1))
        result = [
            ProjectSat(groups[a:b].copy(), values[a:b].copy())
            for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
        ]
        self._sats[measure] = result
        return result

    def totals(self, measure: str) -> list[int]:
        """Per-project total satisfaction (weighted by how many voters cast each ballot)."""
        return [int(np.dot(self.weights[s.groups], s.values)) for s in self.sats(measure)]


def rank_count(election: Election, longest: int) -> int:
    """k for rank points: the round's number of ranks (``rules.max_choices``), or ``longest``
    (the most projects any ballot ranks) when there is no limit or a ballot ranks more, so
    that every ranked choice gets at least 1 point."""
    return max(election.rules.max_choices or 0, longest)


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
    # Count identical ballots first (C-level hashing of the raw tuples), then translate only
    # the distinct ones; ballots that differ only in order are merged afterwards.
    if kind == BallotKind.CUMULATIVE:
        for b in election.ballots:
            if len(b.points) != len(b.choices):
                raise ValueError("a cumulative ballot needs one points value per choice")
        raw = Counter(
            zip(
                map(attrgetter("choices"), election.ballots),
                map(attrgetter("points"), election.ballots),
                strict=False,
            )
        )
    else:
        raw = Counter(map(attrgetter("choices"), election.ballots))
    # Distinct ballots: a tuple of project indices (approval: sorted, ranked: best first) and,
    # for cumulative ballots, a tuple of points alongside. An empty choice ("", an unfilled
    # rank) is skipped.
    counts: Counter = Counter()
    get = index.__getitem__
    try:
        if kind == BallotKind.CUMULATIVE:
            for (choices, points), n in raw.items():
                pairs = zip(choices, points, strict=True)
                given = {index[c]: int(v) for c, v in pairs if c}
                ordered = sorted(given)
                counts[(tuple(ordered), tuple(given[p] for p in ordered))] += n
        elif kind == BallotKind.RANKED:
            for choices, n in raw.items():
                counts[tuple(dict.fromkeys(map(get, filter(None, choices))))] += n
        else:
            for choices, n in raw.items():
                counts[tuple(sorted(set(map(get, filter(None, choices)))))] += n
    except KeyError as missing:
        raise ValueError(
            f"a ballot names project {missing.args[0]!r}, not in the election"
        ) from None
    keys = list(counts)
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    projects_of = [k[0] for k in keys] if kind == BallotKind.CUMULATIVE else keys
    lengths = [len(b) for b in projects_of]
    total = sum(lengths)
    flat_group = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    flat_length = np.repeat(np.asarray(lengths, dtype=np.int64), lengths)
    starts = np.repeat(np.cumsum([0, *lengths[:-1]]).astype(np.int64), lengths) if lengths else 0
    flat_position = np.arange(total, dtype=np.int64) - starts
    flat_project = np.fromiter(chain.from_iterable(projects_of), dtype=np.int64, count=total)
    if kind == BallotKind.CUMULATIVE:
        flat_value = np.fromiter(
            chain.from_iterable(k[1] for k in keys), dtype=np.int64, count=total
        )
    else:
        flat_value = np.ones(total, dtype=np.int64)
    positive = flat_value > 0
    votes = np.bincount(
        flat_project[positive], weights=weights[flat_group[positive]], minlength=len(ids)
    )
    return Profile(
        ids=ids,
        costs=scaled[:-1],
        budget=scaled[-1],
        scale=scale,
        voters=len(election.ballots),
        weights=weights,
        flat_group=flat_group,
        flat_project=flat_project,
        flat_value=flat_value,
        flat_position=flat_position,
        flat_length=flat_length,
        votes=[int(v) for v in votes.tolist()],
        kind=kind,
        ranks=rank_count(election, max(lengths, default=0)) if kind == BallotKind.RANKED else 0,
    )
