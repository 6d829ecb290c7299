"""The single transferable vote: Scottish STV and Meek STV, counted exactly as their rules say.

    from votes.blt import read_blt
    from votes.stv import scottish, meek
    result = scottish(read_blt(text))          # or meek(...); result.elected, result.stages

Both take the ballots of a :class:`votes.blt.BltElection` (candidates numbered from 0, each
ballot a count and its preferences best first, withdrawn candidates skipped wherever they are
ranked). A ballot that ranks no candidate still standing is not a valid vote (``blank``).

**Scottish STV** (``scottish``) follows the count of the Scottish Local Government Elections
Order 2011, schedule 1 (rules 45 to 53; the 2007 Order's rules 45 to 52 are the same count):

- the quota is the valid votes divided by one more than the seats, ignoring any remainder,
  plus one; a candidate whose votes reach it is deemed elected at the end of that stage and is
  no longer continuing (no further paper goes to them);
- a surplus is transferred by the weighted inclusive Gregory method: every paper the candidate
  holds moves to its next preference for a continuing candidate, each with the transfer value
  surplus × (the paper's value when the candidate received it) ÷ the candidate's votes,
  calculated to five decimal places with any remainder ignored; the elected candidate is left
  with the quota, and what was not transferred (papers with no further preference, and the
  remainders ignored) is non-transferable;
- one surplus a stage, the highest first; equal surpluses go in the order of the candidates'
  votes at the most recent earlier stage at which they were unequal, and by lot if they were
  equal at every stage;
- when no surplus is left, the candidate with the fewest votes is excluded (one a stage) and
  each of their papers moves at the value it had when they received it; a tie for the fewest
  is decided by the most recent earlier stage at which those candidates were unequal (the
  fewest there is excluded), and by lot if they were equal at every stage;
- the last vacancies (rule 53, rule 52 of the 2007 Order): when the continuing candidates are
  no more than the vacancies left they are all deemed elected; when one vacancy is left and a
  continuing candidate's votes are at least those of all the others together with any surplus
  not yet transferred, that candidate is deemed elected. No further transfer is made then.

All values are kept as whole numbers of hundred-thousandths, so the count is exact and
repeatable: the five decimal places are the rule's, not an approximation of ours.
``scottish(..., places=None)`` counts the same way with exact fractions and no rounding
(weighted inclusive Gregory without the Order's truncation), to show what the rounding changed.

**Meek STV** (``meek``) follows the Proportional Representation Foundation's reference Meek
rule: each elected candidate keeps only the share (keep factor) of every vote reaching them
that brings them down to the quota and passes the rest on; the quota is recomputed from the
votes still in the count at each iteration; iteration stops when the total surplus is under
0.000001 or stops falling; then the hopeful candidate with the fewest votes is defeated, every
candidate within the surplus of the lowest counting as tied with it. Arithmetic is fixed point
to nine decimal places, rounded as the reference rule says (products and quotients rounded up,
the quota truncated and then raised by 0.000000001), kept as whole numbers of billionths.

**Lot.** Where a rule says "by lot", the count uses ``lot``: an order of all the candidates
drawn before the count (Devolve draws it with the ballot order and records it in the manifest).
A candidate earlier in ``lot`` is favoured: elected or transferred first, excluded last.
Without one, the order of the candidates on the ballot paper stands in for it. Every tie the
count breaks is recorded in its stage (``Stage.tie``) with how it was broken.

Each :class:`Stage` records what happened and the votes of every candidate at its end: the
round-by-round report that is published as a table and in the export (:func:`result_to_json`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from votes.blt import BltElection

__all__ = [
    "RULES",
    "Stage",
    "StvResult",
    "Tie",
    "count",
    "meek",
    "result_to_json",
    "scottish",
]

SCOTTISH_PLACES = 5
MEEK_PLACES = 9
#: The reference Meek rule's omega: iteration stops when the total surplus is below it.
MEEK_OMEGA = Fraction(1, 10**6)


@dataclass(frozen=True)
class Tie:
    """A tie the count broke: between which candidates, who was chosen (elected, transferred
    first or excluded), and how: ``"earlier stage"`` (with the stage that decided it) or
    ``"lot"``."""

    candidates: tuple[int, ...]
    chosen: int
    how: str
    stage: int | None = None


@dataclass(frozen=True)
class Stage:
    """One stage of the count.

    ``action`` is ``"first"`` (first preferences), ``"surplus"`` (``candidate``'s surplus
    transferred at ``transfer_value`` a paper of value one), ``"exclusion"`` (``candidate``
    excluded, papers moving at their values), or for Meek ``"election"`` / ``"defeat"`` (a
    round of iterations ending with someone elected or defeated). ``votes`` are every
    candidate's votes at the end of the stage; ``transfers`` the change during it;
    ``non_transferable`` the running total of votes no longer with any candidate, split into
    ``exhausted`` (papers with no further preference) and ``rounding`` (remainders the rule
    ignores), with ``*_change`` this stage's part. ``elected`` and ``excluded`` are the
    candidates deemed elected or excluded at the end of the stage, in order; ``elected_by``
    says for each elected one whether by ``"quota"`` or as a ``"last vacancy"``."""

    number: int
    action: str
    candidate: int | None
    votes: tuple[Fraction, ...]
    transfers: tuple[Fraction, ...]
    quota: Fraction
    exhausted: Fraction
    rounding: Fraction
    exhausted_change: Fraction
    rounding_change: Fraction
    elected: tuple[int, ...] = ()
    elected_by: tuple[str, ...] = ()
    excluded: tuple[int, ...] = ()
    transfer_value: Fraction | None = None
    tie: Tie | None = None
    keep_factors: tuple[Fraction, ...] | None = None
    iterations: int | None = None
    surplus: Fraction | None = None

    @property
    def non_transferable(self) -> Fraction:
        return self.exhausted + self.rounding

    @property
    def non_transferable_change(self) -> Fraction:
        return self.exhausted_change + self.rounding_change


@dataclass(frozen=True)
class StvResult:
    """A count: the rule, the candidates' names, the seats, the valid votes (``blank``: ballots
    with no candidate still standing), the first stage's quota, who was elected in order, the
    stages, the withdrawn candidates, the lot used and the rule's decimal places (``None``:
    exact fractions)."""

    rule: str
    candidates: tuple[str, ...]
    seats: int
    valid_votes: int
    blank: int
    quota: Fraction
    elected: tuple[int, ...]
    stages: tuple[Stage, ...]
    withdrawn: frozenset[int]
    lot: tuple[int, ...]
    places: int | None

    @property
    def elected_names(self) -> tuple[str, ...]:
        return tuple(self.candidates[c] for c in self.elected)


def _lot(election: BltElection, lot: Sequence[int] | None) -> tuple[int, ...]:
    n = len(election.candidates)
    order = tuple(range(n)) if lot is None else tuple(lot)
    if sorted(order) != list(range(n)):
        raise ValueError(f"the lot must list each of the {n} candidates exactly once")
    return order


def _ballots(election: BltElection) -> tuple[list[tuple[int, tuple[int, ...]]], int]:
    """The valid ballots as (count, preferences with withdrawn and repeated candidates
    removed), and the number of blank ones."""
    if election.seats < 1:
        raise ValueError("an election needs at least one seat")
    standing = len(election.candidates) - len(election.withdrawn)
    if election.seats > standing:
        raise ValueError(
            f"{election.seats} seats but only {standing} candidates standing: nothing to count"
        )
    valid: list[tuple[int, tuple[int, ...]]] = []
    blank = 0
    for n, prefs in election.ballots:
        kept = tuple(dict.fromkeys(c for c in prefs if c not in election.withdrawn))
        if kept:
            valid.append((n, kept))
        else:
            blank += n
    return valid, blank


class _Ties:
    """Breaking ties by the most recent earlier stage at which the candidates were unequal,
    then by lot (the rules' order for Scottish STV)."""

    def __init__(self, lot: tuple[int, ...]) -> None:
        self.rank = {c: i for i, c in enumerate(lot)}
        self.history: list[tuple[int, list]] = []  # (stage number, votes at its end)

    def pick(self, tied: Sequence[int], lowest: bool) -> tuple[int, Tie | None]:
        """From ``tied`` (equal now), the one to exclude (``lowest``) or to favour."""
        tied = list(tied)
        if len(tied) == 1:
            return tied[0], None
        candidates = tuple(sorted(tied))
        for number, votes in reversed(self.history[:-1]):
            best = (min if lowest else max)(votes[c] for c in tied)
            narrowed = [c for c in tied if votes[c] == best]
            if len(narrowed) == 1:
                return narrowed[0], Tie(candidates, narrowed[0], "earlier stage", number)
            tied = narrowed
        chosen = (max if lowest else min)(tied, key=self.rank.__getitem__)
        return chosen, Tie(candidates, chosen, "lot")

    def order(self, group: Sequence[int], votes: list) -> tuple[list[int], Tie | None]:
        """``group`` in order of votes, highest first, ties broken as by :meth:`pick`."""
        remaining = list(group)
        ordered: list[int] = []
        tie = None
        while remaining:
            top = max(votes[c] for c in remaining)
            tied = [c for c in remaining if votes[c] == top]
            chosen, broke = self.pick(tied, lowest=False)
            tie = tie or broke
            ordered.append(chosen)
            remaining.remove(chosen)
        return ordered, tie


def scottish(
    election: BltElection,
    seats: int | None = None,
    lot: Sequence[int] | None = None,
    places: int | None = SCOTTISH_PLACES,
) -> StvResult:
    """Count ``election`` by Scottish STV (see the module's docstring). ``seats`` overrides the
    file's; ``places=None`` counts with exact fractions instead of the Order's five places."""
    if seats is not None:
        election = _with_seats(election, seats)
    order = _lot(election, lot)
    valid, blank = _ballots(election)
    return _Scottish(election, valid, blank, order, places).run()


def _with_seats(election: BltElection, seats: int) -> BltElection:
    return BltElection(
        candidates=election.candidates,
        seats=seats,
        ballots=election.ballots,
        withdrawn=election.withdrawn,
        title=election.title,
    )


class _Scottish:
    def __init__(self, election, valid, blank, lot, places) -> None:
        self.election = election
        self.n = len(election.candidates)
        self.seats = election.seats
        self.blank = blank
        self.lot = lot
        self.places = places
        # Values are whole numbers of 10**-places (so exact); with places None, Fractions.
        self.scale = 10**places if places is not None else 1
        self.one = self.scale
        self.prefs = [p for _, p in valid]
        self.total = sum(n for n, _ in valid)
        self.quota_units = (self.total // (self.seats + 1) + 1) * self.scale
        self.continuing = set(range(self.n)) - set(election.withdrawn)
        # piles[c]: the papers c holds, as [ballot index, position of c on it, value, count].
        self.piles: list[list[tuple[int, int, object, int]]] = [[] for _ in range(self.n)]
        self.votes: list = [0] * self.n
        self.elected: list[int] = []
        self.elected_by: list[str] = []
        self.surplus_pending: list[int] = []  # elected, surplus not yet transferred
        self.exhausted = 0
        self.rounding = 0
        self.stages: list[Stage] = []
        self.ties = _Ties(lot)
        for i, (count, prefs) in enumerate(valid):
            self.piles[prefs[0]].append((i, 0, self.one, count))
            self.votes[prefs[0]] += self.one * count

    def frac(self, units) -> Fraction:
        return Fraction(units) / self.scale

    def next_continuing(self, ballot: int, position: int) -> tuple[int, int] | None:
        prefs = self.prefs[ballot]
        for j in range(position + 1, len(prefs)):
            if prefs[j] in self.continuing:
                return prefs[j], j
        return None

    def transfer_value(self, surplus, value, total):
        if self.places is None:
            return Fraction(surplus * value, total)
        return surplus * value // total  # the Order's five places, remainder ignored

    def run(self) -> StvResult:
        self.record("first", None, before=[0] * self.n, exhausted=0, rounding=0)
        while len(self.elected) < self.seats:
            if self.last_vacancies():
                break
            if self.surplus_pending:
                self.transfer_surplus()
            else:
                self.exclude()
        return StvResult(
            rule="scottish",
            candidates=tuple(self.election.candidates),
            seats=self.seats,
            valid_votes=self.total,
            blank=self.blank,
            quota=self.frac(self.quota_units),
            elected=tuple(self.elected),
            stages=tuple(self.stages),
            withdrawn=frozenset(self.election.withdrawn),
            lot=self.lot,
            places=self.places,
        )

    def record(self, action, candidate, before, exhausted, rounding, tv=None, tie=None, out=()):
        """Close a stage: deem elected whoever reached the quota, then record it."""
        number = len(self.stages) + 1
        self.ties.history.append((number, list(self.votes)))
        reached = [c for c in self.continuing if self.votes[c] >= self.quota_units]
        ordered, elect_tie = self.ties.order(sorted(reached), self.votes)
        room = self.seats - len(self.elected)
        newly = ordered[:room]
        for c in newly:
            self.continuing.discard(c)
            self.elected.append(c)
            self.elected_by.append("quota")
            if self.votes[c] > self.quota_units:
                self.surplus_pending.append(c)
        self.stages.append(
            Stage(
                number=number,
                action=action,
                candidate=candidate,
                votes=tuple(self.frac(v) for v in self.votes),
                transfers=tuple(self.frac(a - b) for a, b in zip(self.votes, before, strict=True)),
                quota=self.frac(self.quota_units),
                exhausted=self.frac(self.exhausted),
                rounding=self.frac(self.rounding),
                exhausted_change=self.frac(self.exhausted - exhausted),
                rounding_change=self.frac(self.rounding - rounding),
                elected=tuple(newly),
                elected_by=("quota",) * len(newly),
                excluded=tuple(out),
                transfer_value=tv,
                tie=tie or (elect_tie if len(newly) > 1 or elect_tie else None),
            )
        )

    def last_vacancies(self) -> bool:
        """Rule 53 (52 of the 2007 Order): fill the last vacancies without further transfers,
        marking the candidates elected at the end of the latest stage."""
        room = self.seats - len(self.elected)
        if room <= 0:
            return True
        continuing = sorted(self.continuing)
        chosen: list[int] = []
        tie = None
        if len(continuing) <= room:
            chosen, tie = self.ties.order(continuing, self.votes)
        elif room == 1 and continuing:
            pending = sum(self.votes[c] - self.quota_units for c in self.surplus_pending)
            top = max(self.votes[c] for c in continuing)
            leaders = [c for c in continuing if self.votes[c] == top]
            others = sum(self.votes[c] for c in continuing) - top
            if len(leaders) == 1 and top >= others + pending:
                chosen = leaders
        if not chosen:
            return False
        last = self.stages[-1]
        for c in chosen:
            self.continuing.discard(c)
            self.elected.append(c)
        self.stages[-1] = Stage(
            **{
                **last.__dict__,
                "elected": last.elected + tuple(chosen),
                "elected_by": last.elected_by + ("last vacancy",) * len(chosen),
                "tie": last.tie or tie,
            }
        )
        return True

    def move(self, papers, value_of) -> tuple[object, object]:
        """Move ``papers`` to their next continuing preferences, each at ``value_of(value)``;
        return (value credited to candidates, value of papers with no further preference)."""
        credited = 0
        exhausted = 0
        for ballot, position, value, count in papers:
            new_value = value_of(value)
            target = self.next_continuing(ballot, position)
            if target is None:
                exhausted += new_value * count
                continue
            c, j = target
            self.piles[c].append((ballot, j, new_value, count))
            self.votes[c] += new_value * count
            credited += new_value * count
        return credited, exhausted

    def transfer_surplus(self) -> None:
        surpluses = {c: self.votes[c] - self.quota_units for c in self.surplus_pending}
        top = max(surpluses.values())
        tied = [c for c in self.surplus_pending if surpluses[c] == top]
        c, tie = self.ties.pick(sorted(tied), lowest=False)
        self.surplus_pending.remove(c)
        before, ex0, ro0 = list(self.votes), self.exhausted, self.rounding
        surplus, total = surpluses[c], self.votes[c]
        papers, self.piles[c] = self.piles[c], []
        credited, exhausted = self.move(
            papers, lambda value: self.transfer_value(surplus, value, total)
        )
        self.votes[c] = self.quota_units
        self.exhausted += exhausted
        self.rounding += surplus - credited - exhausted
        tv = self.frac(self.transfer_value(surplus, self.one, total))
        self.record("surplus", c, before, ex0, ro0, tv=tv, tie=tie)

    def exclude(self) -> None:
        continuing = sorted(self.continuing)
        low = min(self.votes[c] for c in continuing)
        c, tie = self.ties.pick([x for x in continuing if self.votes[x] == low], lowest=True)
        self.continuing.discard(c)
        before, ex0, ro0 = list(self.votes), self.exhausted, self.rounding
        papers, self.piles[c] = self.piles[c], []
        _, exhausted = self.move(papers, lambda value: value)
        self.votes[c] = 0
        self.exhausted += exhausted
        self.record("exclusion", c, before, ex0, ro0, tie=tie, out=(c,))


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def meek(
    election: BltElection, seats: int | None = None, lot: Sequence[int] | None = None
) -> StvResult:
    """Count ``election`` by the Proportional Representation Foundation's reference Meek rule
    (see the module's docstring). ``seats`` overrides the file's."""
    if seats is not None:
        election = _with_seats(election, seats)
    order = _lot(election, lot)
    valid, blank = _ballots(election)
    return _Meek(election, valid, blank, order).run()


class _Meek:
    SCALE = 10**MEEK_PLACES
    OMEGA = MEEK_OMEGA.numerator * SCALE // MEEK_OMEGA.denominator

    def __init__(self, election, valid, blank, lot) -> None:
        self.election = election
        self.n = len(election.candidates)
        self.seats = election.seats
        self.valid = valid
        self.blank = blank
        self.lot = lot
        self.rank = {c: i for i, c in enumerate(lot)}
        self.total = sum(n for n, _ in valid)
        self.hopeful = set(range(self.n)) - set(election.withdrawn)
        self.kf = [0 if c in election.withdrawn else self.SCALE for c in range(self.n)]
        self.elected: list[int] = []
        self.elected_by: list[str] = []
        self.defeated: list[int] = []
        self.stages: list[Stage] = []
        self.previous_votes = [0] * self.n
        self.previous_exhausted = 0
        self.first_quota: int | None = None

    def frac(self, units: int) -> Fraction:
        return Fraction(units, self.SCALE)

    def distribute(self) -> tuple[list[int], int]:
        scale = self.SCALE
        kf = self.kf
        votes = [0] * self.n
        exhausted = 0
        for count, prefs in self.valid:
            w = scale
            for c in prefs:
                k = kf[c]
                if k == 0:
                    continue
                # w × kf to nine places, rounded up.
                x = w if k == scale else -(-w * k // scale)
                votes[c] += x * count
                w -= x
                if w <= 0:
                    break
            exhausted += w * count
        return votes, exhausted

    def run(self) -> StvResult:
        first = True
        while True:
            if len(self.elected) >= self.seats or len(self.elected) + len(self.hopeful) <= (
                self.seats
            ):
                break
            votes, exhausted, quota, newly, surplus, iterations = self.iterate()
            # The first round is the count of first preferences (every keep factor is one).
            action = "first" if first else "election" if newly else "defeat"
            first = False
            if newly:
                self.record(action, None, votes, exhausted, quota, newly, iterations, surplus)
                continue
            # B.3: defeat the lowest; every candidate within the surplus of it is tied with it,
            # and a tie is broken by lot (the reference rule's procedure T).
            low = min(votes[c] for c in self.hopeful)
            tied = sorted(c for c in self.hopeful if votes[c] < low + surplus or votes[c] == low)
            loser = max(tied, key=self.rank.__getitem__)
            tie = Tie(tuple(tied), loser, "lot") if len(tied) > 1 else None
            self.hopeful.discard(loser)
            self.defeated.append(loser)
            self.kf[loser] = 0
            self.record(
                action, loser, votes, exhausted, quota, [], iterations, surplus, tie, (loser,)
            )
        self.finish()
        return StvResult(
            rule="meek",
            candidates=tuple(self.election.candidates),
            seats=self.seats,
            valid_votes=self.total,
            blank=self.blank,
            quota=self.frac(self.first_quota if self.first_quota is not None else 0),
            elected=tuple(self.elected),
            stages=tuple(self.stages),
            withdrawn=frozenset(self.election.withdrawn),
            lot=self.lot,
            places=MEEK_PLACES,
        )

    def iterate(self):
        """B.2: iterate until someone is elected or the surplus is small or stops falling."""
        previous_surplus = None
        iterations = 0
        while True:
            iterations += 1
            votes, exhausted = self.distribute()
            quota = sum(votes) // (self.seats + 1) + 1
            if self.first_quota is None:
                self.first_quota = quota
            reached = [c for c in self.hopeful if votes[c] >= quota]
            newly = sorted(reached, key=lambda c: (-votes[c], self.rank[c]))
            for c in newly:
                self.hopeful.discard(c)
                self.elected.append(c)
                self.elected_by.append("quota")
            surplus = max(0, sum(votes[c] - quota for c in self.elected))
            if newly:
                return votes, exhausted, quota, newly, surplus, iterations
            if surplus < self.OMEGA or (
                previous_surplus is not None and surplus >= previous_surplus
            ):
                return votes, exhausted, quota, [], surplus, iterations
            previous_surplus = surplus
            for c in self.elected:
                kept = _ceil_div(self.kf[c] * quota, self.SCALE)
                self.kf[c] = _ceil_div(kept * self.SCALE, votes[c])

    def record(
        self,
        action,
        candidate,
        votes,
        exhausted,
        quota,
        newly,
        iterations,
        surplus,
        tie=None,
        out=(),
    ) -> None:
        self.stages.append(
            Stage(
                number=len(self.stages) + 1,
                action=action,
                candidate=candidate,
                votes=tuple(self.frac(v) for v in votes),
                transfers=tuple(
                    self.frac(a - b) for a, b in zip(votes, self.previous_votes, strict=True)
                ),
                quota=self.frac(quota),
                exhausted=self.frac(exhausted),
                rounding=Fraction(0),
                exhausted_change=self.frac(exhausted - self.previous_exhausted),
                rounding_change=Fraction(0),
                elected=tuple(newly),
                elected_by=("quota",) * len(newly),
                excluded=tuple(out),
                tie=tie,
                keep_factors=tuple(self.frac(k) for k in self.kf),
                iterations=iterations,
                surplus=None if surplus is None else self.frac(surplus),
            )
        )
        self.previous_votes = list(votes)
        self.previous_exhausted = exhausted

    def finish(self) -> None:
        """C: the hopeful candidates fill any seats left (as last vacancies)."""
        room = self.seats - len(self.elected)
        if room <= 0 or not self.hopeful:
            return
        last = self.stages[-1]
        votes = last.votes
        chosen = sorted(self.hopeful, key=lambda c: (-votes[c], self.rank[c]))[:room]
        for c in chosen:
            self.hopeful.discard(c)
            self.elected.append(c)
            self.elected_by.append("last vacancy")
        self.stages[-1] = Stage(
            **{
                **last.__dict__,
                "elected": last.elected + tuple(chosen),
                "elected_by": last.elected_by + ("last vacancy",) * len(chosen),
            }
        )


#: The STV rules by name, as ``python -m votes stv --rule`` takes them.
RULES = {"scottish": scottish, "meek": meek}


def count(
    election: BltElection, rule: str, seats: int | None = None, lot: Sequence[int] | None = None
) -> StvResult:
    """Count ``election`` by the STV rule named ``rule`` (a key of :data:`RULES`)."""
    try:
        counter = RULES[rule]
    except KeyError:
        raise ValueError(f"unknown STV rule {rule!r}: choose {' or '.join(RULES)}") from None
    return counter(election, seats=seats, lot=lot)


def _decimal(value: Fraction, places: int | None) -> str:
    """``value`` as a decimal string with the rule's places (exact: they are whole units), or
    as ``"p/q"`` for an exact count with no places."""
    if places is None:
        return str(value.numerator) if value.denominator == 1 else f"{value}"
    scaled = value * 10**places
    if scaled.denominator != 1:
        raise ValueError(f"{value} is not a whole number of 10**-{places}")
    units = scaled.numerator
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def result_to_json(result: StvResult) -> dict[str, object]:
    """The count as JSON: numbers as decimal strings with the rule's places."""

    def d(value: Fraction | None) -> str | None:
        return None if value is None else _decimal(value, result.places)

    names = result.candidates
    stages = []
    for s in result.stages:
        stage: dict[str, object] = {
            "stage": s.number,
            "action": s.action,
            "candidate": None if s.candidate is None else names[s.candidate],
            "quota": d(s.quota),
            "votes": {names[c]: d(v) for c, v in enumerate(s.votes) if c not in result.withdrawn},
            "transfers": {
                names[c]: d(v) for c, v in enumerate(s.transfers) if c not in result.withdrawn
            },
            "exhausted": d(s.exhausted),
            "rounding": d(s.rounding),
            "non_transferable": d(s.non_transferable),
            "non_transferable_change": d(s.non_transferable_change),
            "elected": [names[c] for c in s.elected],
            "elected_by": list(s.elected_by),
            "excluded": [names[c] for c in s.excluded],
        }
        if s.transfer_value is not None:
            stage["transfer_value"] = d(s.transfer_value)
        if s.keep_factors is not None:
            stage["keep_factors"] = {
                names[c]: d(k) for c, k in enumerate(s.keep_factors) if c not in result.withdrawn
            }
            stage["iterations"] = s.iterations
            stage["surplus"] = d(s.surplus)
        if s.tie is not None:
            stage["tie"] = {
                "between": [names[c] for c in s.tie.candidates],
                "chosen": names[s.tie.chosen],
                "how": s.tie.how,
                "stage": s.tie.stage,
            }
        stages.append(stage)
    return {
        "rule": result.rule,
        "seats": result.seats,
        "candidates": list(names),
        "withdrawn": [names[c] for c in sorted(result.withdrawn)],
        "valid_votes": result.valid_votes,
        "blank": result.blank,
        "quota": d(result.quota),
        "places": result.places,
        "lot": [names[c] for c in result.lot],
        "elected": [names[c] for c in result.elected],
        "stages": stages,
    }
