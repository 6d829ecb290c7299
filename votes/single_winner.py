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

from votes.i18n import (
    Items,
    Message,
    Ordinal,
    Sentences,
    Translator,
    _,
    ngettext,
    number,
    translator,
)
from votes.i18n import unnamed as unnamed_project
from votes.model import BallotKind, Election, Outcome, ProjectExplanation, TieBreak

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
        self.names = {p.id: p.name or unnamed_project(p.id) for p in election.projects}
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

    def tie(self, chosen: str, tied: Sequence[str], tie_break: TieBreak, winning: bool):
        """Record of a broken tie (who tied, who it chose, the criterion that decided, and why
        in English), and why as a text for the sentence."""
        others = [t for t in tied if t != chosen]
        if winning:
            rival = min(others, key=lambda t: self.key(t, tie_break))
        else:
            rival = max(others, key=lambda t: self.key(t, tie_break))
        names = {"id": repr(chosen), "other": repr(rival)}
        if tie_break is TieBreak.LEXICOGRAPHIC or (
            self.costs[chosen] == self.costs[rival]
            and self.supporters[chosen] == self.supporters[rival]
        ):
            by = "id"
            if winning:
                # Translators: why the tie-break chose the project, after "because". id, other:
                # the two projects' ids, quoted ("'12'").
                why = _("its id %(id)s comes before %(other)s", **names)
            else:
                # Translators: why the tie-break eliminated the project, after "because". id,
                # other: the two projects' ids, quoted ("'12'").
                why = _("its id %(id)s comes after %(other)s", **names)
        elif self.costs[chosen] != self.costs[rival]:
            by = "cost"
            if winning:
                # Translators: why the tie-break chose the project, after "because". other: the
                # other project's name.
                why = _("it costs less than %(other)s", other=self.names[rival])
            else:
                # Translators: why the tie-break eliminated the project, after "because". other:
                # the other project's name.
                why = _("it costs more than %(other)s", other=self.names[rival])
        else:
            by = "supporters"
            counts = {
                "other": self.names[rival],
                "its": number(self.supporters[chosen]),
                "theirs": number(self.supporters[rival]),
            }
            if winning:
                # Translators: why the tie-break chose the project, after "because". its, theirs:
                # how many ballots name it and the other project (other: its name).
                why = _("more ballots name it (%(its)s) than %(other)s (%(theirs)s)", **counts)
            else:
                # Translators: why the tie-break eliminated the project, after "because". its,
                # theirs: how many ballots name it and the other project (other: its name).
                why = _("fewer ballots name it (%(its)s) than %(other)s (%(theirs)s)", **counts)
        record = {
            "tied": sorted(tied, key=lambda t: self.key(t, tie_break)),
            "chosen": chosen,
            "rule": str(tie_break),
            "decided_by": by,
            "reason": translator().render(why),
        }
        return record, why

    def others(self, tied: Sequence[str], pid: str) -> Items:
        return Items(tuple(self.names[t] for t in tied if t != pid))

    def outcome(
        self,
        rule: str,
        tie_break: TieBreak,
        winner: str | None,
        explanations: dict[str, ProjectExplanation],
        rounds: list[dict],
        t: Translator,
    ) -> Outcome:
        return Outcome(
            rule=rule,
            tie_break=tie_break,
            budget=self.election.budget,
            selected=(winner,) if winner is not None else (),
            total_cost=self.costs[winner] if winner is not None else Fraction(0),
            explanations=tuple(_said(explanations[pid], t) for pid in self.ids),
            rounds=tuple(rounds),
        )


def _said(e: ProjectExplanation, t: Translator) -> ProjectExplanation:
    """``e`` with its reason put into words in ``t``'s language."""
    return ProjectExplanation(e.project_id, e.funded, t.render(e.message), e.details, e.message)


def plurality(
    election: Election,
    tie_break: TieBreak = TieBreak.COST_VOTES,
    *,
    language: str | Translator | None = None,
) -> Outcome:
    """The project with the most first preferences wins; ties broken by ``tie_break``.

    ``rounds`` has one round with every project's first preferences. Each project's
    explanation gives its place and votes; the winner's says if it won a tie, and how. The
    explanations are in ``language`` (default English).
    """
    tie_break = TieBreak(tie_break)
    c = _Count(election, "plurality")
    votes = Counter({pid: 0 for pid in c.ids})
    for prefs, n in c.groups.items():
        votes[prefs[0]] += n
    total = sum(votes.values())
    # On ranked ballots a plurality vote is a first choice; a results table beside this counts
    # every ballot naming a project, so the sentence names what it counts.
    what = FIRST_CHOICES if election.kind is BallotKind.RANKED else VOTES
    order = sorted(c.ids, key=lambda pid: (-votes[pid], c.key(pid, tie_break)))
    winner = order[0] if order else None
    tie = None
    explanations: dict[str, ProjectExplanation] = {}
    if winner is not None:
        tied = [pid for pid in order if votes[pid] == votes[winner]]
        # Translators: a one-winner poll's winner. votes: "412 of 1,020 votes", "the only
        # vote", "no votes" (or first choices).
        said: list[Message] = [_("Won with %(votes)s.", votes=_of(votes[winner], total, what))]
        if len(tied) > 1:
            tie, why = c.tie(winner, tied, tie_break, winning=True)
            # Translators: others: the projects it tied with ("A and B"); votes: "12 votes" (or
            # first choices); rule: the tie-break's name, as it is ("cost-votes"); reason: why
            # the tie-break chose it ("it costs less than A").
            said.append(
                _(
                    "It tied with %(others)s on %(votes)s; the tie-break (%(rule)s) chose it "
                    "because %(reason)s.",
                    others=c.others(tied, winner),
                    votes=_votes(votes[winner], what),
                    rule=str(tie_break),
                    reason=why,
                )
            )
        if c.not_counted:
            # Said, so that "of N votes" agrees with the ballots a results table counts.
            # Translators: approval ballots naming several projects cannot be counted in a
            # one-winner poll. num: how many.
            said.append(
                ngettext(
                    "%(num)s ballot naming more than one project could not be counted, as it "
                    "does not say which one comes first.",
                    "%(num)s ballots naming more than one project could not be counted, as "
                    "they do not say which one comes first.",
                    c.not_counted,
                )
            )
        details: dict[str, object] = {"votes": votes[winner], "of": total, "place": 1}
        if tie:
            details["tie_break"] = tie
        explanations[winner] = ProjectExplanation(winner, True, "", details, Sentences(tuple(said)))
    for place, pid in enumerate(order[1:], start=2):
        # Translators: a project that did not win a one-winner poll. place: its place ("2nd");
        # votes: "97 of 1,020 votes" (or first choices); winner: the winner's name;
        # winner_votes: "412 votes".
        message = _(
            "Came %(place)s with %(votes)s; %(winner)s won with %(winner_votes)s.",
            place=Ordinal(place),
            votes=_of(votes[pid], total, what),
            winner=c.names[winner],
            winner_votes=_votes(votes[winner], what),
        )
        explanations[pid] = ProjectExplanation(
            pid, False, "", {"votes": votes[pid], "of": total, "place": place}, message
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
    return c.outcome("plurality", tie_break, winner, explanations, rounds, translator(language))


def irv(
    election: Election,
    tie_break: TieBreak = TieBreak.COST_VOTES,
    *,
    language: str | Translator | None = None,
) -> Outcome:
    """Instant runoff: eliminate the weakest and transfer its ballots until one has a majority.

    ``rounds`` records each round's tallies, who was eliminated, where their ballots went and
    how many were exhausted; each project's explanation says in which round it won or was
    eliminated, with its votes and its transfers, and any tie-break that decided it. The
    explanations are in ``language`` (default English).
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
            with_votes = {"round": number, "votes": _of(top, total, CONTINUING)}
            if 2 * top > total:
                # Translators: the winner of an instant runoff, with a majority. round: the
                # count's round (a number); votes: "412 of 800 continuing votes".
                message = _("Won in round %(round)s with %(votes)s.", **with_votes)
            elif number > 1:
                # Translators: the winner of an instant runoff, the last project left. round: the
                # count's round (a number); votes: "412 of 800 continuing votes".
                message = _(
                    "Won in round %(round)s with %(votes)s, as the last project left.",
                    **with_votes,
                )
            else:
                # Translators: the winner of an instant runoff with one project. round: the
                # count's round (a number); votes: "412 of 800 continuing votes".
                message = _(
                    "Won in round %(round)s with %(votes)s, as the only project.", **with_votes
                )
            explanations[winner] = ProjectExplanation(
                winner, True, "", {"round": number, "votes": top, "of": total}, message
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
                record["tie_break"] = tie[0]
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
            left = sum(votes[p] for p in continuing)
            # Translators: a project still in an instant runoff when another won. round: the
            # count's round (a number); votes: "97 of 800 continuing votes"; winner: a name.
            message = _(
                "Still in the count in round %(round)s with %(votes)s when %(winner)s won.",
                round=number,
                votes=_of(votes[pid], left, CONTINUING),
                winner=c.names[winner],
            )
            explanations[pid] = ProjectExplanation(
                pid, False, "", {"round": number, "votes": votes[pid]}, message
            )
    return c.outcome("irv", tie_break, winner, explanations, rounds, translator(language))


def _eliminated(
    c: _Count,
    pid: str,
    number: int,
    low: int,
    out: list[str],
    transfers: Counter[str],
    gone: int,
    tie: tuple[dict, Message] | None,
) -> ProjectExplanation:
    details: dict[str, object] = {"round": number, "votes": low}
    said: list[Message] = []
    if low == 0 and len(out) > 1:
        # Translators: an instant runoff eliminated projects nobody chose, together. round:
        # the count's round (a number); others: the other projects ("A and B").
        said.append(
            _(
                "Eliminated in round %(round)s with no votes, with %(others)s, which had none "
                "either.",
                round=number,
                others=c.others(out, pid),
            )
        )
    elif low == 0:
        # Translators: an instant runoff eliminated a project nobody chose. round: a number.
        said.append(_("Eliminated in round %(round)s with no votes.", round=number))
    else:
        said.append(_transferred(c, number, low, transfers, gone))
        details["transfers"] = dict(transfers.most_common())
        details["exhausted"] = gone
    if tie is not None:
        record, why = tie
        # Translators: others: the projects it tied with ("A and B"); rule: the tie-break's
        # name, as it is ("cost-votes"); reason: why the tie-break eliminated it ("it costs
        # more than A").
        said.append(
            _(
                "It tied for fewest votes with %(others)s; the tie-break (%(rule)s) eliminated "
                "it because %(reason)s.",
                others=c.others(record["tied"], pid),
                rule=record["rule"],
                reason=why,
            )
        )
        details["tie_break"] = record
    return ProjectExplanation(pid, False, "", details, Sentences(tuple(said)))


def _transferred(c: _Count, rnd: int, low: int, transfers: Counter[str], gone: int) -> Message:
    """An eliminated project's sentence: its votes, where they went, how many were exhausted."""
    moved = sum(transfers.values())
    said = {
        "round": rnd,
        "votes": _votes(low),
        "moved": number(moved),
        "exhausted": number(gone),
    }
    if len(transfers) == 1:
        [(target, _n)] = transfers.most_common()
        said["project"] = c.names[target]
        if gone:
            # Translators: an instant runoff eliminated the project and moved its ballots to
            # the next choice on each. round: the count's round (a number); votes: "12 votes";
            # moved: how many moved, to project (a name); exhausted: how many had no later
            # choice still in the count.
            return _(
                "Eliminated in round %(round)s with %(votes)s; %(moved)s transferred to "
                "%(project)s; %(exhausted)s exhausted (no later choice still in the count).",
                **said,
            )
        # Translators: an instant runoff eliminated the project and moved its ballots to the
        # next choice on each. round: the count's round (a number); votes: "12 votes";
        # moved: how many moved, to project (a name).
        return _(
            "Eliminated in round %(round)s with %(votes)s; %(moved)s transferred to %(project)s.",
            **said,
        )
    if moved:
        said["transfers"] = Items(
            tuple(
                # Translators: an item of the list of where an eliminated project's ballots
                # went ("5 to Park benches"). num: how many ballots; project: a name.
                _("%(num)s to %(project)s", num=number(n), project=c.names[t])
                for t, n in transfers.most_common()
            )
        )
        if gone:
            # Translators: an instant runoff eliminated the project and moved its ballots to
            # the next choice on each. round: the count's round (a number); votes: "12
            # votes"; moved: how many moved; transfers: where ("5 to A and 3 to B");
            # exhausted: how many had no later choice still in the count.
            return _(
                "Eliminated in round %(round)s with %(votes)s; %(moved)s transferred: "
                "%(transfers)s; %(exhausted)s exhausted (no later choice still in the count).",
                **said,
            )
        # Translators: as the sentence before, when no ballot was exhausted.
        return _(
            "Eliminated in round %(round)s with %(votes)s; %(moved)s transferred: %(transfers)s.",
            **said,
        )
    if gone:
        # Translators: an instant runoff eliminated the project; none of its ballots had a
        # later choice still in the count. round: a number; votes: "12 votes"; exhausted: how
        # many ballots.
        return _(
            "Eliminated in round %(round)s with %(votes)s; %(exhausted)s exhausted (no later "
            "choice still in the count).",
            **said,
        )
    # Translators: an instant runoff eliminated the project. round: a number; votes: "12 votes".
    return _("Eliminated in round %(round)s with %(votes)s.", **said)


# What a one-winner poll counts: votes, first choices (plurality on ranked ballots) or, in an
# instant runoff, continuing votes.
VOTES, FIRST_CHOICES, CONTINUING = "votes", "first choices", "continuing votes"


def _votes(n: int, what: str = VOTES) -> Message:
    """ "12 votes", "1 first choice", "no continuing votes", inside a sentence."""
    if what == FIRST_CHOICES:
        if n == 0:
            # Translators: inside a sentence ("Won with no first choices").
            return _("no first choices")
        # Translators: a number of first choices, inside a sentence ("on 12 first choices").
        return ngettext("%(num)s first choice", "%(num)s first choices", n)
    if what == CONTINUING:
        if n == 0:
            # Translators: inside a sentence; continuing votes: those still in an instant runoff.
            return _("no continuing votes")
        # Translators: a number of continuing votes (those still in an instant runoff), inside
        # a sentence.
        return ngettext("%(num)s continuing vote", "%(num)s continuing votes", n)
    if n == 0:
        # Translators: inside a sentence ("Eliminated in round 1 with no votes").
        return _("no votes")
    # Translators: a number of votes, inside a sentence ("with 12 votes").
    return ngettext("%(num)s vote", "%(num)s votes", n)


def _of(n: int, total: int, what: str = VOTES) -> Message:
    """ "412 of 1,020 votes", "the only vote", "no votes (of 12)", inside a sentence."""
    if total == 0:
        return _votes(0, what)
    counts = {"count": number(n), "total": number(total)}
    if what == FIRST_CHOICES:
        if n == 0:
            # Translators: inside a sentence ("Came 2nd with no first choices (of 12)"). total:
            # all first choices.
            return _("no first choices (of %(total)s)", **counts)
        if total == 1:
            # Translators: inside a sentence ("Won with the only first choice").
            return _("the only first choice")
        # Translators: inside a sentence ("Won with 412 of 1,020 first choices"). count: the
        # project's; num: the total.
        return ngettext(
            "%(count)s of %(num)s first choice",
            "%(count)s of %(num)s first choices",
            total,
            **counts,
        )
    if what == CONTINUING:
        if n == 0:
            # Translators: inside a sentence. total: all continuing votes (those still in an
            # instant runoff).
            return _("no continuing votes (of %(total)s)", **counts)
        if total == 1:
            # Translators: inside a sentence ("Won in round 3 with the only continuing vote").
            return _("the only continuing vote")
        # Translators: inside a sentence ("Won in round 3 with 412 of 800 continuing votes").
        # count: the project's; num: the total.
        return ngettext(
            "%(count)s of %(num)s continuing vote",
            "%(count)s of %(num)s continuing votes",
            total,
            **counts,
        )
    if n == 0:
        # Translators: inside a sentence ("Came 2nd with no votes (of 12)"). total: all votes.
        return _("no votes (of %(total)s)", **counts)
    if total == 1:
        # Translators: inside a sentence ("Won with the only vote").
        return _("the only vote")
    # Translators: inside a sentence ("Won with 412 of 1,020 votes"). count: the project's;
    # num: the total.
    return ngettext("%(count)s of %(num)s vote", "%(count)s of %(num)s votes", total, **counts)
