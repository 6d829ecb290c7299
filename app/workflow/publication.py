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
from app.workflow.text import join_list, plural
from app.workflow.text import money as format_money
from ballots import box
from ballots.paper import ballot_paper
from votes.model import Ballot, Election, TieBreak
from votes.rules import tally

UNSPENT_WARNING = Fraction(1, 4)  # more than this share of a pot left unspent is worth a look


@dataclass(frozen=True)
class PotCheck:
    view: results.PotView
    warnings: tuple[str, ...]


def check_round(session: Session, funding_round: FundingRound) -> list[PotCheck]:
    """Each counted pot of the round with its warnings, in pot order."""
    paper = ballot_paper(funding_round.manifest_json) if funding_round.manifest_json else None
    out = []
    for row in results.results_for(session, funding_round):
        view = results.pot_view(row)
        out.append(PotCheck(view, tuple(_warnings(session, funding_round, paper, row, view))))
    return out


def _warnings(session, funding_round, paper, row: PotResult, view: results.PotView) -> list[str]:
    name, budget = view.name, view.budget_pence
    if view.withheld:
        least = results.publishing_minimum(funding_round)
        cast = f"{plural(view.ballots, 'ballot')} {'was' if view.ballots == 1 else 'were'} cast"
        return [
            f"{name}: only {cast}, "
            f"fewer than the {least} needed to publish figures for each project. Its "
            "page will show only the number of ballots, not which projects were funded."
        ]
    out = []
    unspent = budget - view.allocated_pence
    if not view.funded:
        out.append(f"{name}: no project is funded, so all {format_money(budget)} is unspent.")
    elif budget and Fraction(unspent, budget) > UNSPENT_WARNING:
        share = round(100 * unspent / budget)
        out.append(
            f"{name}: {format_money(unspent)} of {format_money(budget)} ({share}%) is not "
            "allocated, more than a quarter of the pot."
        )
    if paper is not None and paper.pot(row.pot_id) is not None:
        out += _tie_warnings(session, paper, row, view)
    return out


def _tie_warnings(session, paper, row: PotResult, view: results.PotView) -> list[str]:
    election = box.stored_election(session, paper, row.pot_id)
    tie_break = TieBreak(row.tie_break)
    outcome = tally(election, row.rule, tie_break, money=format_money)
    names = {p.id: p.name for p in election.projects}
    label = TIE_BREAK_LABELS[tie_break].lower()
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
            decided = f"{join_list(won)} {'was' if len(won) == 1 else 'were'} funded and "
            decided += f"{join_list(lost)} "
            decided += "was not" if len(lost) == 1 else "were not"
        else:
            decided = "it decided their order"
        out.append(
            f"{view.name}: {join_list([names[t] for t in tied])} were level, and the tie-break "
            f"({label}) decided between them: {decided}."
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
                f"{view.name}: a tie-break decided the result. Had the tie been broken the "
                f"other way, {join_list(instead) or 'nothing else'} would have been funded instead "
                f"of {join_list(funded) or 'nothing'}."
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
