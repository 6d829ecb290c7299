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

from dataclasses import dataclass, replace
from fractions import Fraction

from sqlalchemy.orm import Session

from app.workflow import results
from app.workflow.models import FundingRound, PotResult
from app.workflow.results import TIE_BREAK_LABELS
from app.workflow.text import money as format_money
from ballots import box
from ballots.paper import ballot_paper
from ballots.refusals import N_, Listed, Money, Nn_, Text
from votes.model import Ballot, Election, TieBreak
from votes.rules import tally

UNSPENT_WARNING = Fraction(1, 4)  # more than this share of a pot left unspent is worth a look


@dataclass(frozen=True)
class PotCheck:
    view: results.PotView
    warnings: tuple[Text, ...]  # the web layer shows each in the officer's language


def check_round(session: Session, funding_round: FundingRound) -> list[PotCheck]:
    """Each counted pot of the round with its warnings, in pot order."""
    paper = ballot_paper(funding_round.manifest_json) if funding_round.manifest_json else None
    out = []
    for row in results.results_for(session, funding_round):
        view = results.pot_view(row)
        out.append(PotCheck(view, tuple(_warnings(session, funding_round, paper, row, view))))
    return out


def _warnings(session, funding_round, paper, row: PotResult, view: results.PotView) -> list[Text]:
    name, budget = view.name, view.budget_pence
    if view.withheld:
        least = results.publishing_minimum(funding_round)
        return [
            Nn_(
                "%(pot)s: only %(num)s ballot was cast, fewer than the %(least)s needed to "
                "publish figures for each project. Its page will show only the number of "
                "ballots, not which projects were funded.",
                "%(pot)s: only %(num)s ballots were cast, fewer than the %(least)s needed to "
                "publish figures for each project. Its page will show only the number of "
                "ballots, not which projects were funded.",
                view.ballots,
                pot=name,
                least=least,
            )
        ]
    out = []
    unspent = budget - view.allocated_pence
    if not view.funded:
        out.append(
            Text(
                N_("%(pot)s: no project is funded, so all %(budget)s is unspent."),
                pot=name,
                budget=Money(budget),
            )
        )
    elif budget and Fraction(unspent, budget) > UNSPENT_WARNING:
        share = round(100 * unspent / budget)
        out.append(
            Text(
                N_(
                    "%(pot)s: %(unspent)s of %(budget)s (%(share)s%%) is not allocated, more "
                    "than a quarter of the pot."
                ),
                pot=name,
                unspent=Money(unspent),
                budget=Money(budget),
                share=share,
            )
        )
    if paper is not None and paper.pot(row.pot_id) is not None:
        out += _tie_warnings(session, paper, row, view)
    return out


def _tie_warnings(session, paper, row: PotResult, view: results.PotView) -> list[Text]:
    election = box.stored_election(session, paper, row.pot_id)
    tie_break = TieBreak(row.tie_break)
    outcome = tally(election, row.rule, tie_break, money=format_money)
    names = {p.id: p.name for p in election.projects}
    label = Text(TIE_BREAK_LABELS[tie_break]).lowered()
    out, seen = [], set()
    for e in outcome.explanations:
        record = e.details.get("tie_break") if isinstance(e.details, dict) else None
        if not isinstance(record, dict) or not record.get("tied"):
            continue
        tied = tuple(record["tied"])
        if tied in seen:
            continue
        seen.add(tied)
        won = [names[t] for t in tied if t in outcome.selected]
        lost = [names[t] for t in tied if t not in outcome.selected]
        if won and lost:
            decided = Text(
                N_("%(funded)s and %(not_funded)s"),
                funded=Nn_(
                    "%(projects)s was funded",
                    "%(projects)s were funded",
                    len(won),
                    projects=Listed(won),
                ),
                not_funded=Nn_(
                    "%(projects)s was not",
                    "%(projects)s were not",
                    len(lost),
                    projects=Listed(lost),
                ),
            )
        else:
            decided = Text(N_("it decided their order"))
        out.append(
            Text(
                N_(
                    "%(pot)s: %(tied)s were level, and the tie-break (%(rule)s) decided between "
                    "them: %(decided)s."
                ),
                pot=view.name,
                tied=Listed([names[t] for t in tied]),
                rule=label,
                decided=decided,
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
            funded = [names[p] for p in outcome.selected if p not in again]
            instead = [names[p.id] for p in election.projects if p.id in again - chosen]
            return [
                Text(
                    N_(
                        "%(pot)s: a tie-break decided the result. Had the tie been broken the "
                        "other way, %(instead)s would have been funded instead of %(funded)s."
                    ),
                    pot=view.name,
                    instead=Listed(instead) if instead else Text(N_("nothing else")),
                    funded=Listed(funded) if funded else Text(N_("nothing")),
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
