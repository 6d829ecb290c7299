"""Checking a closed round's results before an officer publishes them.

For each pot: its stored result, shaped as the public pages show it, and the warnings an
officer should read first: nothing funded, more than a quarter of the budget unspent, figures
withheld for too few ballots, and results decided by the tie-break.

Ties come from the count itself: the pot is counted again from its sealed ballots (counting is
deterministic, so this is the stored result) and each explanation's ``details`` say where a
tie-break decided something (``tie_break``, with the projects ``tied``). A rule that does not
record its ties is still caught when breaking ties another way (the other tie-break, or the
project numbers reversed) funds other projects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction

from sqlalchemy.orm import Session

from app.workflow import results
from app.workflow.models import FundingRound, PotResult
from app.workflow.text import join_list
from app.workflow.text import money as format_money
from ballots import box
from ballots.paper import ballot_paper
from ballots.refusals import N_
from votes.model import Ballot, Election, TieBreak
from votes.rules import tally

UNSPENT_WARNING = Fraction(1, 4)  # more than this share of a pot left unspent is worth a look


class Pence(int):
    """An amount of money in a warning, in pence: shown as pounds in the reader's language."""


# A value in a warning: a name as it is (a pot's, a project's), a number, money, or names to
# list ("A, B and C").
Value = str | int | Pence | tuple[str, ...]


@dataclass(frozen=True)
class CheckWarning:
    """A warning for the officer, to translate where it is shown: ``text`` is the sentence
    (marked for translation) with named placeholders for ``values``; a sentence about a number
    of things also has its ``plural`` and the ``count`` that chooses between them.
    ``str()`` is the English sentence, as the audit trail keeps it."""

    text: str
    values: Mapping[str, Value] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None

    def __str__(self) -> str:
        text = self.text if self.plural is None or self.count == 1 else self.plural
        return text % {k: _english(v) for k, v in self.values.items()}


def _english(value: Value) -> str:
    if isinstance(value, Pence):
        return format_money(int(value))
    if isinstance(value, tuple):
        return join_list(value)
    if isinstance(value, int):
        return f"{value:,}"
    return value


def warning(text: str, **values: Value) -> CheckWarning:
    return CheckWarning(text, values)


def ngettext(singular: str, plural: str, n: int, **values: Value) -> CheckWarning:
    """A warning about ``n`` things (``num`` in the sentence). Named as gettext's function so
    that `make messages` extracts both forms as one plural text; nothing is translated here."""
    return CheckWarning(singular, {"num": n, **values}, plural, n)


# How a tie-break decided between projects that were exactly level, by tie-break and by what
# it decided: their order only, or which of them were funded (one or several each way).
TIE_DECIDED = {
    TieBreak.COST_VOTES: {
        "order": N_(
            "%(pot)s: %(tied)s were level, and the tie-break (cheaper project first, then more "
            "votes) decided between them: it decided their order."
        ),
        (False, False): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (cheaper project first, then more "
            "votes) decided between them: %(won)s was funded and %(lost)s was not."
        ),
        (False, True): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (cheaper project first, then more "
            "votes) decided between them: %(won)s was funded and %(lost)s were not."
        ),
        (True, False): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (cheaper project first, then more "
            "votes) decided between them: %(won)s were funded and %(lost)s was not."
        ),
        (True, True): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (cheaper project first, then more "
            "votes) decided between them: %(won)s were funded and %(lost)s were not."
        ),
    },
    TieBreak.LEXICOGRAPHIC: {
        "order": N_(
            "%(pot)s: %(tied)s were level, and the tie-break (lower project number first) "
            "decided between them: it decided their order."
        ),
        (False, False): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (lower project number first) "
            "decided between them: %(won)s was funded and %(lost)s was not."
        ),
        (False, True): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (lower project number first) "
            "decided between them: %(won)s was funded and %(lost)s were not."
        ),
        (True, False): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (lower project number first) "
            "decided between them: %(won)s were funded and %(lost)s was not."
        ),
        (True, True): N_(
            "%(pot)s: %(tied)s were level, and the tie-break (lower project number first) "
            "decided between them: %(won)s were funded and %(lost)s were not."
        ),
    },
}

# A tie-break decided the result of a rule that does not record its ties, by whether anything
# else would have been funded instead, and instead of anything.
OTHER_WAY = {
    (True, True): N_(
        "%(pot)s: a tie-break decided the result. Had the tie been broken the other way, "
        "%(instead)s would have been funded instead of %(funded)s."
    ),
    (False, True): N_(
        "%(pot)s: a tie-break decided the result. Had the tie been broken the other way, "
        "nothing else would have been funded instead of %(funded)s."
    ),
    (True, False): N_(
        "%(pot)s: a tie-break decided the result. Had the tie been broken the other way, "
        "%(instead)s would have been funded instead of nothing."
    ),
    (False, False): N_(
        "%(pot)s: a tie-break decided the result. Had the tie been broken the other way, "
        "nothing else would have been funded instead of nothing."
    ),
}


@dataclass(frozen=True)
class PotCheck:
    view: results.PotView
    warnings: tuple[CheckWarning, ...]


def check_round(session: Session, funding_round: FundingRound) -> list[PotCheck]:
    """Each counted pot of the round with its warnings, in pot order."""
    paper = ballot_paper(funding_round.manifest_json) if funding_round.manifest_json else None
    out = []
    for row in results.results_for(session, funding_round):
        view = results.pot_view(row)
        out.append(PotCheck(view, tuple(_warnings(session, funding_round, paper, row, view))))
    return out


def _warnings(
    session, funding_round, paper, row: PotResult, view: results.PotView
) -> list[CheckWarning]:
    name, budget = view.name, view.budget_pence
    if view.withheld:
        return [
            ngettext(
                "%(pot)s: only %(num)s ballot was cast, fewer than the %(least)s needed to "
                "publish figures for each project. Its page will show only the number of "
                "ballots, not which projects were funded.",
                "%(pot)s: only %(num)s ballots were cast, fewer than the %(least)s needed to "
                "publish figures for each project. Its page will show only the number of "
                "ballots, not which projects were funded.",
                view.ballots,
                pot=name,
                least=results.publishing_minimum(funding_round),
            )
        ]
    out = []
    unspent = budget - view.allocated_pence
    if not view.funded:
        out.append(
            warning(
                N_("%(pot)s: no project is funded, so all %(budget)s is unspent."),
                pot=name,
                budget=Pence(budget),
            )
        )
    elif budget and Fraction(unspent, budget) > UNSPENT_WARNING:
        out.append(
            warning(
                N_(
                    "%(pot)s: %(unspent)s of %(budget)s (%(share)s%%) is not allocated, more "
                    "than a quarter of the pot."
                ),
                pot=name,
                unspent=Pence(unspent),
                budget=Pence(budget),
                share=round(100 * unspent / budget),
            )
        )
    if paper is not None and paper.pot(row.pot_id) is not None:
        out += _tie_warnings(session, paper, row, view)
    return out


def _tie_warnings(session, paper, row: PotResult, view: results.PotView) -> list[CheckWarning]:
    election = box.stored_election(session, paper, row.pot_id)
    tie_break = TieBreak(row.tie_break)
    outcome = tally(election, row.rule, tie_break, money=format_money)
    names = {p.id: p.name for p in election.projects}
    out, seen = [], set()
    for e in outcome.explanations:
        record = e.details.get("tie_break") if isinstance(e.details, dict) else None
        if not isinstance(record, dict) or not record.get("tied"):
            continue
        tied = tuple(record["tied"])
        if tied in seen:
            continue
        seen.add(tied)
        won = tuple(names[t] for t in tied if t in outcome.selected)
        lost = tuple(names[t] for t in tied if t not in outcome.selected)
        decided = (len(won) > 1, len(lost) > 1) if won and lost else "order"
        out.append(
            warning(
                TIE_DECIDED[tie_break][decided],
                pot=view.name,
                tied=tuple(names[t] for t in tied),
                won=won,
                lost=lost,
            )
        )
    if out:
        return out
    # The rule did not record its ties: count again with ties broken the other ways (the other
    # tie-break, and both with the project numbers reversed). Any other selection means a tie
    # decided this one.
    chosen = set(outcome.selected)
    flipped, back = _reversed_ids(election)
    for other, counted, names_back in (
        (t, e, m) for t in TieBreak for e, m in ((election, None), (flipped, back))
    ):
        if other == tie_break and names_back is None:
            continue
        selected = tally(counted, row.rule, other).selected
        again = {names_back[p] for p in selected} if names_back else set(selected)
        if again != chosen:
            funded = tuple(names[p] for p in outcome.selected if p not in again)
            instead = tuple(names[p.id] for p in election.projects if p.id in again - chosen)
            return [
                warning(
                    OTHER_WAY[bool(instead), bool(funded)],
                    pot=view.name,
                    instead=instead,
                    funded=funded,
                )
            ]
    return []


def _reversed_ids(election: Election) -> tuple[Election, dict[str, str]]:
    """The same election with project ids renumbered so that they sort the other way."""
    n = len(election.projects)
    new = {p.id: f"{n - 1 - i:06d}" for i, p in enumerate(election.projects)}
    back = {v: k for k, v in new.items()}
    projects = tuple(replace(p, id=new[p.id]) for p in election.projects)
    # Ballots filled in alike are one object (see ``stored_election``): renumber each once.
    renumbered: dict[Ballot, Ballot] = {}

    def renumber(b: Ballot) -> Ballot:
        done = renumbered.get(b)
        if done is None:
            done = renumbered[b] = replace(b, choices=tuple(new.get(c, c) for c in b.choices))
        return done

    ballots = tuple(renumber(b) for b in election.ballots)
    return replace(election, projects=projects, ballots=ballots), back
