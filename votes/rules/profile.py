"""An election turned into the integer arrays every counting rule works on.

Money is scaled to whole numbers: every cost and the budget are multiplied by ``scale``, the
least common multiple of their denominators, so that comparisons of money are exact integer
comparisons. Identical ballots are grouped and carry a weight (how many voters cast them), which
is what makes the large elections fast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from math import lcm
from operator import attrgetter

import numpy as np

from votes.model import BallotKind, Election, TieBreak
from votes.rules.explain import divide


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
        return divide(scaled, self.scale)

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
        # By project, then group: the flat arrays are in group order already, so a stable
        # sort by project alone gives it (a radix sort when project numbers fit 16 bits).
        small = projects.astype(np.int16) if len(self.ids) < 1 << 15 else projects
        order = np.argsort(small, kind="stable")
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
    # Whole amounts (the usual case) are taken as they are: no Fraction arithmetic.
    amounts = [p.cost for p in election.projects] + [election.budget]
    amounts = [a if _whole(a) else Fraction(a) for a in amounts]
    if any(a < 0 for a in amounts):
        raise ValueError("costs and the budget must not be negative")
    scale = lcm(*(a.denominator for a in amounts))
    scaled = [int(a * scale) for a in amounts] if scale > 1 else [int(a) for a in amounts]
    kind = election.kind
    # Count identical ballots first (C-level hashing of the raw tuples), then translate only
    # the distinct ones; ballots that differ only in order are merged afterwards. An election
    # read from a file may know these counts already (model.LazyElection), and then its
    # ballots need not be built at all.
    arrays = getattr(election, "vote_arrays", None)
    if arrays is not None and kind in _APPROVAL_KINDS:
        counts, flat, sizes = arrays
        grouped = _group_approvals(counts, flat, sizes)
        if grouped is not None:
            weights, flat_group, flat_project, lengths = grouped
            voters = int(counts.sum())
            return _profile(
                election, ids, scaled, scale, voters, weights, flat_group, flat_project, lengths
            )
    raw = getattr(election, "ballot_counts", None)
    if raw is not None:
        voters = sum(raw.values())
    elif kind == BallotKind.CUMULATIVE:
        voters = len(election.ballots)
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
        voters = len(election.ballots)
        raw = Counter(map(attrgetter("choices"), election.ballots))
    # Distinct ballots: a tuple of project indices (approval: sorted, ranked: best first) and,
    # for cumulative ballots, a tuple of points alongside. An empty choice ("", an unfilled
    # rank) is skipped.
    if kind in _APPROVAL_KINDS and raw:
        grouped = _approval_arrays(raw, index)
        if grouped is not None:
            weights, flat_group, flat_project, lengths = grouped
            return _profile(
                election, ids, scaled, scale, voters, weights, flat_group, flat_project, lengths
            )
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
    lengths = np.fromiter(map(len, projects_of), dtype=np.int64, count=len(keys))
    total = int(lengths.sum())
    flat_group = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    flat_project = np.fromiter(chain.from_iterable(projects_of), dtype=np.int64, count=total)
    flat_value = None
    if kind == BallotKind.CUMULATIVE:
        flat_value = np.fromiter(
            chain.from_iterable(k[1] for k in keys), dtype=np.int64, count=total
        )
    return _profile(
        election,
        ids,
        scaled,
        scale,
        voters,
        weights,
        flat_group,
        flat_project,
        lengths,
        flat_value,
    )


_APPROVAL_KINDS = (BallotKind.APPROVAL, BallotKind.KNAPSACK, BallotKind.SINGLE)


def _whole(amount) -> bool:
    """An int, or a Fraction with denominator 1 (anything else is taken as a Fraction)."""
    if isinstance(amount, int):
        return True
    return isinstance(amount, Fraction) and amount.denominator == 1


def _approval_arrays(raw: Mapping[tuple[str, ...], int], index: dict[str, int]):
    """``_group_approvals`` of ballots counted by their ``choices``."""
    keys = list(raw)
    n = len(keys)
    sizes = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    total = int(sizes.sum())
    if total == 0:
        return None
    # "" (an unfilled choice) is skipped, as in the loop: it maps to -1 and is dropped.
    lookup = dict(index)
    lookup[""] = -1
    try:
        flat = np.fromiter(
            map(lookup.__getitem__, chain.from_iterable(keys)), dtype=np.int64, count=total
        )
    except KeyError as missing:
        raise ValueError(
            f"a ballot names project {missing.args[0]!r}, not in the election"
        ) from None
    counts = np.fromiter(raw.values(), dtype=np.int64, count=n)
    return _group_approvals(counts, flat, sizes)


def _group_approvals(counts: np.ndarray, flat: np.ndarray, sizes: np.ndarray):
    """Approval ballots grouped with array operations: exactly what the loop in
    ``build_profile`` gives (each group its projects' indices, sorted, once each; groups in
    the order each first occurs), without a Python step per distinct ballot.

    ``counts``, ``flat``, ``sizes``: per distinct ballot its number of voters and number of
    entries, and every entry's project index (-1 for an empty entry, which is skipped).
    Returns ``(weights, flat_group, flat_project, lengths)``, or None when no ballot names a
    project (the loop handles that).
    """
    n = sizes.size
    if flat.size == 0:
        return None
    group = np.repeat(np.arange(n, dtype=np.int64), sizes)
    named = flat >= 0
    if named.all():
        # Already in order, each project once (files list a vote's projects in order): the
        # distinct ballots stay as they are, nothing can merge, and nothing need be sorted.
        ordered = (flat[1:] > flat[:-1]) | (group[1:] != group[:-1])
        if ordered.all():
            return counts, group, flat, sizes
    # One row per distinct ballot, its project indices sorted and padded at the end with
    # -1; equal rows are the same set of projects (ballots that differ only in order or
    # repeats), merged in first order. The rows are sorted each on its own (short rows:
    # far faster than one sort of every entry), with empty entries and repeats as a
    # sentinel above every index, which sorts last.
    width = int(sizes.max())
    top = int(flat.max()) + 1  # the sentinel
    starts = np.cumsum(sizes) - sizes
    column = np.arange(flat.size, dtype=np.int64) - np.repeat(starts, sizes)
    table = np.full((n, width), top, dtype=np.int32)
    table[group, column] = np.where(named, flat, top)
    table.sort(axis=1)
    repeat = table[:, 1:] == table[:, :-1]
    if repeat.any():
        table[:, 1:][repeat] = top
        table.sort(axis=1)
    lengths = np.count_nonzero(table != top, axis=1)
    if not lengths.any():
        return None
    table[table == top] = -1
    bits = top.bit_length()
    if bits * width <= 63:
        # Each row packed into one integer (index + 1, so -1 packs as 0): a sort of
        # integers rather than of byte strings.
        keys = np.zeros(n, dtype=np.int64)
        for j in range(width):
            keys |= (table[:, j].astype(np.int64) + 1) << (bits * j)
        ordered = np.sort(keys)
        if not (ordered[1:] == ordered[:-1]).any():
            # No two rows alike (the usual case: the reader found the distinct votes
            # already): every ballot is its own group, in its own order.
            flat_project = table[table >= 0].astype(np.int64)
            flat_group = np.repeat(np.arange(n, dtype=np.int64), lengths)
            return counts.copy(), flat_group, flat_project, lengths.astype(np.int64)
    else:
        keys = table.view(f"S{4 * width}").ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    by_first = np.argsort(first, kind="stable")
    rank[by_first] = np.arange(first.size, dtype=np.int64)
    weights = np.zeros(first.size, dtype=np.int64)
    np.add.at(weights, rank[inverse.ravel()], counts)
    rows = table[first[by_first]]
    out_lengths = lengths[first[by_first]]
    flat_project = rows[rows >= 0].astype(np.int64)
    flat_group = np.repeat(np.arange(first.size, dtype=np.int64), out_lengths)
    return weights, flat_group, flat_project, out_lengths


def _profile(
    election: Election,
    ids: list[str],
    scaled: list[int],
    scale: int,
    voters: int,
    weights: np.ndarray,
    flat_group: np.ndarray,
    flat_project: np.ndarray,
    lengths: np.ndarray,
    flat_value: np.ndarray | None = None,
) -> Profile:
    kind = election.kind
    total = flat_project.size
    flat_length = np.repeat(lengths, lengths)
    flat_position = np.arange(total, dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    if flat_value is None:
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
        voters=voters,
        weights=weights,
        flat_group=flat_group,
        flat_project=flat_project,
        flat_value=flat_value,
        flat_position=flat_position,
        flat_length=flat_length,
        votes=[int(v) for v in votes.tolist()],
        kind=kind,
        ranks=rank_count(election, int(lengths.max(initial=0))) if kind == BallotKind.RANKED else 0,
    )
