"""Tallies: counting every pot of a closed round with ``votes`` and storing the result.

A pot's result records what it was counted from (the manifest hash and the ballot log's head,
after the close entry), the rule and tie-breaking, the number of ballots and the outcome as
canonical JSON (``votes.verify.result_document``), explanations included. Counting is
deterministic, so a re-run must give the same outcome byte for byte; a stored result is never
overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import FundingRound, Phase, PotResult
from app.problems import DomainError, WrongPhase
from ballots import box
from ballots.paper import ballot_paper
from votes.ballot import format_money
from votes.model import TieBreak
from votes.rules import tally
from votes.verify import canonical_json, result_document

COUNTABLE = (Phase.CLOSED, Phase.PUBLISHED, Phase.DELIVERY)
PUBLISHED = (Phase.PUBLISHED, Phase.DELIVERY)


def results_for(session: Session, funding_round: FundingRound) -> list[PotResult]:
    """The round's stored pot results, in pot order."""
    rows = session.scalars(select(PotResult).where(PotResult.round_id == funding_round.id)).all()
    order = {p.id: (p.position, p.id) for p in funding_round.pots}
    return sorted(rows, key=lambda r: order.get(r.pot_id, (0, r.pot_id)))


def missing_results(session: Session, funding_round: FundingRound) -> list[str]:
    """Names of the round's pots that have no stored result."""
    done = {r.pot_id for r in results_for(session, funding_round)}
    return [p.name for p in funding_round.pots if p.id not in done]


def _count(session: Session, funding_round: FundingRound, pot_id: int) -> dict[str, Any]:
    paper = ballot_paper(funding_round.manifest_json)
    election = box.stored_election(session, paper, pot_id)
    outcome = tally(
        election, funding_round.rule, TieBreak(funding_round.tie_break), money=format_money
    )
    return result_document(election, outcome)


def tally_round(session: Session, funding_round: FundingRound, now: datetime) -> list[PotResult]:
    """Count every pot of a closed round and store each result (or check a stored one).

    Raises ``WrongPhase`` while voting is open (there is never a running tally) or before it,
    ``DomainError`` for a round that never froze a manifest, and ``DomainError`` if a re-run
    does not reproduce a stored result (which would mean the ballots or the log changed).
    """
    if funding_round.phase not in COUNTABLE:
        raise WrongPhase(
            "Votes are counted only after voting has closed: this round is in "
            f"{funding_round.phase.label.lower()}."
        )
    if not funding_round.manifest_json:
        raise DomainError("This round never opened voting, so there is nothing to count.")
    head = box.log_head(session, funding_round.id)
    if head is None:
        raise DomainError("This round has no ballot log, so there is nothing to count.")
    stored = {r.pot_id: r for r in results_for(session, funding_round)}
    out = []
    paper_pots = [p.id for p in ballot_paper(funding_round.manifest_json).pots]
    for pot_id in paper_pots:
        document = _count(session, funding_round, pot_id)
        text = canonical_json(document)
        existing = stored.get(pot_id)
        if existing is not None:
            if existing.outcome_json != text or existing.log_head_hash != head.entry_hash:
                raise DomainError(
                    f"Counting pot {pot_id} again gave a different result from the one stored "
                    "on closing: the ballots or the ballot log have changed."
                )
            out.append(existing)
            continue
        row = PotResult(
            round_id=funding_round.id,
            pot_id=pot_id,
            rule=funding_round.rule,
            tie_break=funding_round.tie_break,
            manifest_hash=funding_round.manifest_hash,
            log_head_hash=head.entry_hash,
            ballot_count=document["ballots"],
            withheld=document["ballots"] < funding_round.min_ballots_to_publish,
            outcome_json=text,
            computed_at=now,
        )
        session.add(row)
        out.append(row)
    session.flush()
    return out


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    cost_pence: int
    funded: bool
    votes: int
    points: int | None
    explanation: str


@dataclass(frozen=True)
class PotView:
    """A pot's published result, shaped for pages and the API."""

    result: PotResult
    name: str
    budget_pence: int
    ballots: int
    withheld: bool
    allocated_pence: int
    projects: tuple[ProjectRow, ...]  # empty when withheld

    @property
    def funded(self) -> list[ProjectRow]:
        return [p for p in self.projects if p.funded]

    @property
    def unfunded(self) -> list[ProjectRow]:
        return [p for p in self.projects if not p.funded]


def pot_view(result: PotResult) -> PotView:
    document = json.loads(result.outcome_json)
    projects = tuple(
        sorted(
            (
                ProjectRow(
                    id=int(p["id"]),
                    name=p["name"],
                    cost_pence=int(p["cost_pence"]),
                    funded=p["funded"],
                    votes=p["votes"],
                    points=p["points"],
                    explanation=p["explanation"],
                )
                for p in document["projects"]
            ),
            key=lambda p: (not p.funded, -(p.points or p.votes), p.id),
        )
    )
    return PotView(
        result=result,
        name=result.pot.name,
        budget_pence=int(document["budget_pence"]),
        ballots=result.ballot_count,
        withheld=result.withheld,
        allocated_pence=int(document["total_cost_pence"]),
        projects=() if result.withheld else projects,
    )


def published_views(session: Session, funding_round: FundingRound) -> list[PotView]:
    """Each pot's result once the round's results are published; nothing before."""
    if funding_round.phase not in PUBLISHED:
        return []
    return [pot_view(r) for r in results_for(session, funding_round)]
