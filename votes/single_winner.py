"""Single-winner polls: plurality and instant runoff (IRV).

Which ballots count, and as what:

- ranked ballots: the preferences in order, best first; an unfilled rank (``""``) is skipped and
  a project ranked twice counts at its first rank only;
- approval, knapsack and single-choice ballots with exactly one project: a first (and only)
  preference; an empty ballot is a blank; a ballot with several projects cannot say which one
  it prefers, so it is not counted (``not_counted`` in the rounds);
- cumulative ballots are refused (``ValueError``), as are ballots naming unknown projects.

Plurality: the project with the most first preferences wins.

IRV: in each round, a project with more than half of the continuing votes wins; otherwise the
project with the fewest votes is eliminated and each of its ballots moves to the next project
on it still in the count, or is exhausted if there is none. Projects with no votes at all are
eliminated together in one round while any project has votes (no ballot moves, so the result
is the same as one by one). When one project is left it wins.

Ties are broken exactly by ``TieBreak``. ``LEXICOGRAPHIC``: the project whose id (as a string)
comes first wins a tie for the lead, the one whose id comes last loses a tie for elimination.
``COST_VOTES``: lower cost wins (higher cost is eliminated), then more supporters (ballots
counted that name the project at any rank), then the id as above. Every broken tie is said in
the explanation of the project it decided, and recorded in that round.

``Outcome.rounds`` holds one mapping per round (JSON-friendly):
``{"round", "tallies": {id: votes}, "continuing", "exhausted", "not_counted", "eliminated":
[ids], "transfers": {id: votes}, "exhausted_now", "winner", "tie_break"}``; tallies are of the
projects still in the count, in the election's project order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from votes.model import BallotKind, Election, Outcome, ProjectExplanation, TieBreak
from votes.text import join_list, ordinal, plural

__all__ = ["irv", "plurality"]


class _Count:
    """The ballots of an election as preference lists, grouped (identical lists counted once)."""

    def __init__(self, election: Election, rule: str) -> None:
        kind = election.kind
        if kind is BallotKind.CUMULATIVE:
            raise ValueError(
                f"{rule} needs ranked, single-choice or approval ballots, not cumulative ones"
            )
        self.election = election
        self.ids = [p.id for p in election.projects]
        self.names = {p.id: p.name or f"project {p.id}" for p in election.projects}
        self.costs = {p.id: p.cost for p in election.projects}
        known = set(self.ids)
        groups: Counter[tuple[str, ...]] = Counter()
        self.not_counted = 0
        self.blank = 0
        ranked = kind is BallotKind.RANKED
        # Group the raw choice tuples first: read() shares identical tuples, so this is cheap.
        for choices, n in Counter(b.choices for b in election.ballots).items():
            for pid in choices:
                if pid and pid not in known:
                    raise ValueError(f"a ballot names project {pid!r}, which is not in the count")
            if ranked:
                prefs = tuple(dict.fromkeys(pid for pid in choices if pid))
            else:
                distinct = set(choices) - {""}
                if len(distinct) > 1:
                    self.not_counted += n
                    continue
                prefs = tuple(distinct)
            if prefs:
                groups[prefs] += n
            else:
                self.blank += n
        self.groups = groups
        self.supporters = Counter[str]()
        for prefs, n in groups.items():
            for pid in prefs:
                self.supporters[pid] += n

    def key(self, pid: str, tie_break: TieBreak) -> tuple:
        """Sort key: the project that sorts first wins a tie (and is eliminated last)."""
        if tie_break is TieBreak.LEXICOGRAPHIC:
            return (pid,)
        return (self.costs[pid], -self.supporters[pid], pid)

    def tie(self, chosen: str, tied: Sequence[str], tie_break: TieBreak, winning: bool) -> dict:
        """Record of a broken tie: who tied, who it chose, and the criterion that decided."""
        others = [t for t in tied if t != chosen]
        if winning:
            rival = min(others, key=lambda t: self.key(t, tie_break))
        else:
            rival = max(others, key=lambda t: self.key(t, tie_break))
        if tie_break is TieBreak.LEXICOGRAPHIC or (
            self.costs[chosen] == self.costs[rival]
            and self.supporters[chosen] == self.supporters[rival]
        ):
            by = "id"
            why = f"its id {chosen!r} comes {'before' if winning else 'after'} {rival!r}"
        elif self.costs[chosen] != self.costs[rival]:
            by = "cost"
            why = f"it costs {'less' if winning else 'more'} than {self.names[rival]}"
        else:
            by = "supporters"
            why = (
                f"more ballots name it ({self.supporters[chosen]:,}) than "
                f"{self.names[rival]} ({self.supporters[rival]:,})"
                if winning
                else f"fewer ballots name it ({self.supporters[chosen]:,}) than "
                f"{self.names[rival]} ({self.supporters[rival]:,})"
            )
        return {
            "tied": sorted(tied, key=lambda t: self.key(t, tie_break)),
            "chosen": chosen,
            "rule": str(tie_break),
            "decided_by": by,
            "reason": why,
        }

    def others(self, tied: Sequence[str], pid: str) -> str:
        return join_list([self.names[t] for t in tied if t != pid])

    def outcome(
        self,
        rule: str,
        tie_break: TieBreak,
        winner: str | None,
        explanations: dict[str, ProjectExplanation],
        rounds: list[dict],
    ) -> Outcome:
        return Outcome(
            rule=rule,
            tie_break=tie_break,
            budget=self.election.budget,
            selected=(winner,) if winner is not None else (),
            total_cost=self.costs[winner] if winner is not None else Fraction(0),
            explanations=tuple(explanations[pid] for pid in self.ids),
            rounds=tuple(rounds),
        )


def plurality(election: Election, tie_break: TieBreak = TieBreak.COST_VOTES) -> Outcome:
    """The project with the most first preferences wins; ties broken by ``tie_break``.

    ``rounds`` has one round with every project's first preferences. Each project's
    explanation gives its place and votes; the winner's says if it won a tie, and how.
    """
    tie_break = TieBreak(tie_break)
    c = _Count(election, "plurality")
    votes = Counter({pid: 0 for pid in c.ids})
    for prefs, n in c.groups.items():
        votes[prefs[0]] += n
    total = sum(votes.values())
    # On ranked ballots a plurality vote is a first choice; a results table beside this counts
    # every ballot naming a project, so the sentence names what it counts.
    what = "first choices" if election.kind is BallotKind.RANKED else "votes"
    order = sorted(c.ids, key=lambda pid: (-votes[pid], c.key(pid, tie_break)))
    winner = order[0] if order else None
    tie = None
    explanations: dict[str, ProjectExplanation] = {}
    if winner is not None:
        tied = [pid for pid in order if votes[pid] == votes[winner]]
        reason = f"Won with {_of(votes[winner], total, what)}."
        if len(tied) > 1:
            tie = c.tie(winner, tied, tie_break, winning=True)
            reason += (
                f" It tied with {c.others(tied, winner)} on {_votes(votes[winner], what)}; "
                f"the tie-break ({tie_break}) chose it because {tie['reason']}."
            )
        if c.not_counted:
            # Said, so that "of N votes" agrees with the ballots a results table counts.
            n = c.not_counted
            reason += (
                f" {plural(n, 'ballot')} naming more than one project "
                f"could not be counted, as {'it does' if n == 1 else 'they do'} not say which "
                "one comes first."
            )
        details: dict[str, object] = {"votes": votes[winner], "of": total, "place": 1}
        if tie:
            details["tie_break"] = tie
        explanations[winner] = ProjectExplanation(winner, True, reason, details)
    for place, pid in enumerate(order[1:], start=2):
        explanations[pid] = ProjectExplanation(
            pid,
            False,
            f"Came {ordinal(place)} with {_of(votes[pid], total, what)}; "
            f"{c.names[winner]} won with {_votes(votes[winner], what)}.",
            {"votes": votes[pid], "of": total, "place": place},
        )
    rounds = [
        {
            "round": 1,
            "tallies": {pid: votes[pid] for pid in c.ids},
            "continuing": total,
            "exhausted": c.blank,
            "not_counted": c.not_counted,
            "eliminated": [],
            "transfers": {},
            "exhausted_now": 0,
            "winner": winner,
            "tie_break": tie,
        }
    ]
    return c.outcome("plurality", tie_break, winner, explanations, rounds)


def irv(election: Election, tie_break: TieBreak = TieBreak.COST_VOTES) -> Outcome:
    """Instant runoff: eliminate the weakest and transfer its ballots until one has a majority.

    ``rounds`` records each round's tallies, who was eliminated, where their ballots went and
    how many were exhausted; each project's explanation says in which round it won or was
    eliminated, with its votes and its transfers, and any tie-break that decided it.
    """
    tie_break = TieBreak(tie_break)
    c = _Count(election, "irv")
    continuing = dict.fromkeys(c.ids)  # ordered set of projects still in the count
    votes = {pid: 0 for pid in c.ids}
    # Each project's pile: [preferences, position on them, number of ballots].
    piles: dict[str, list[tuple[tuple[str, ...], int, int]]] = {pid: [] for pid in c.ids}
    for prefs, n in c.groups.items():
        piles[prefs[0]].append((prefs, 0, n))
        votes[prefs[0]] += n
    exhausted = c.blank
    explanations: dict[str, ProjectExplanation] = {}
    rounds: list[dict] = []
    winner: str | None = None
    number = 0
    while continuing:
        number += 1
        total = sum(votes[pid] for pid in continuing)
        record: dict[str, object] = {
            "round": number,
            "tallies": {pid: votes[pid] for pid in continuing},
            "continuing": total,
            "exhausted": exhausted,
            "not_counted": c.not_counted,
            "eliminated": [],
            "transfers": {},
            "exhausted_now": 0,
            "winner": None,
            "tie_break": None,
        }
        rounds.append(record)
        top = max(votes[pid] for pid in continuing)
        if 2 * top > total or len(continuing) == 1:
            winner = next(pid for pid in continuing if votes[pid] == top)
            record["winner"] = winner
            how = (
                "a majority"
                if 2 * top > total
                else "as the last project left"
                if number > 1
                else "as the only project"
            )
            explanations[winner] = ProjectExplanation(
                winner,
                True,
                f"Won in round {number} with {_of(top, total, 'continuing votes')}"
                + ("." if how == "a majority" else f", {how}."),
                {"round": number, "votes": top, "of": total},
            )
            break

        low = min(votes[pid] for pid in continuing)
        lowest = [pid for pid in continuing if votes[pid] == low]
        tie = None
        if low == 0 and top > 0:
            out = lowest  # no ballots to move: all go at once
        else:
            loser = max(lowest, key=lambda pid: c.key(pid, tie_break))
            out = [loser]
            if len(lowest) > 1:
                tie = c.tie(loser, lowest, tie_break, winning=False)
                record["tie_break"] = tie
        record["eliminated"] = out
        for pid in out:
            del continuing[pid]
        transfers: Counter[str] = Counter()
        gone = 0
        for pid in out:
            for prefs, at, n in piles.pop(pid):
                nxt = next((i for i in range(at + 1, len(prefs)) if prefs[i] in continuing), None)
                if nxt is None:
                    gone += n
                else:
                    piles[prefs[nxt]].append((prefs, nxt, n))
                    votes[prefs[nxt]] += n
                    transfers[prefs[nxt]] += n
        exhausted += gone
        record["transfers"] = {pid: transfers[pid] for pid in continuing if transfers[pid]}
        record["exhausted_now"] = gone
        for pid in out:
            explanations[pid] = _eliminated(c, pid, number, low, out, transfers, gone, tie)

    for pid in continuing:
        if pid != winner:
            explanations[pid] = ProjectExplanation(
                pid,
                False,
                f"Still in the count in round {number} with "
                f"{_of(votes[pid], sum(votes[p] for p in continuing), 'continuing votes')} "
                f"when {c.names[winner]} won.",
                {"round": number, "votes": votes[pid]},
            )
    return c.outcome("irv", tie_break, winner, explanations, rounds)


def _eliminated(
    c: _Count,
    pid: str,
    number: int,
    low: int,
    out: list[str],
    transfers: Counter[str],
    gone: int,
    tie: dict | None,
) -> ProjectExplanation:
    details: dict[str, object] = {"round": number, "votes": low}
    if low == 0:
        reason = f"Eliminated in round {number} with no votes"
        if len(out) > 1:
            reason += f", with {c.others(out, pid)}, which had none either"
        reason += "."
    else:
        moved = sum(transfers.values())
        parts = [f"{n:,} to {c.names[t]}" for t, n in transfers.most_common()]
        reason = f"Eliminated in round {number} with {_votes(low)}"
        if len(parts) == 1:
            reason += f"; {parts[0].replace(' to ', ' transferred to ', 1)}"
        elif moved:
            reason += f"; {moved:,} transferred: {join_list(parts)}"
        if gone:
            reason += f"; {gone:,} exhausted (no later choice still in the count)"
        reason += "."
        details["transfers"] = dict(transfers.most_common())
        details["exhausted"] = gone
    if tie is not None:
        reason += (
            f" It tied for fewest votes with {c.others(tie['tied'], pid)}; the tie-break "
            f"({tie['rule']}) eliminated it because {tie['reason']}."
        )
        details["tie_break"] = tie
    return ProjectExplanation(pid, False, reason, details)


def _votes(n: int, what: str = "votes") -> str:
    return f"no {what}" if n == 0 else plural(n, what.removesuffix("s"), what)


def _of(n: int, total: int, what: str = "votes") -> str:
    if total == 0:
        return f"no {what}"
    if n == 0:
        return f"no {what} (of {total:,})"
    if total == 1:
        return f"the only {_votes(1, what).removeprefix('1 ')}"
    return f"{n:,} of {total:,} {what}"
