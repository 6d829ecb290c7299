"""Delivery tracking: officers' dated updates on the projects a round funded, shown to residents
on the proposal and round pages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError, WrongPhase
from app.workflow.models import (
    DeliveryStatus,
    DeliveryUpdate,
    FundingRound,
    Proposal,
    User,
)
from app.workflow.results import PUBLISHED, results_for
from ballots.refusals import N_


def funded_ids(session: Session, funding_round: FundingRound, *, shown: bool = False) -> set[int]:
    """Proposals funded in the round's stored results (withheld pots included: the council
    still delivers what they funded); ``shown``: only those the public may be told of, in pots
    whose figures are published (which projects a withheld pot funded is one of its figures)."""
    ids: set[int] = set()
    for row in results_for(session, funding_round):
        if shown and row.withheld:
            continue
        ids |= {int(i) for i in json.loads(row.outcome_json)["selected"]}
    return ids


def record_update(
    session: Session,
    proposal: Proposal,
    *,
    actor: User,
    status: DeliveryStatus,
    percent_complete: int,
    spent_pence: int,
    note: str,
    happened_on: date,
    today: date,
) -> DeliveryUpdate:
    """Add a dated update to a funded project, once results are published.

    Raises ``WrongPhase`` before publication, ``DomainError`` for a project that was not funded
    and, beside the field, for a percentage outside 0–100, a date in the future or an empty note.
    """
    funding_round = proposal.round
    if funding_round.phase not in PUBLISHED:
        raise WrongPhase(N_("Delivery can be tracked once the results are published."))
    if proposal.id not in funded_ids(session, funding_round):
        raise DomainError(N_("Only funded projects have delivery updates."))
    if not 0 <= percent_complete <= 100:
        raise DomainError(N_("Percentage complete must be between 0 and 100"), "percent_complete")
    if status is DeliveryStatus.DELIVERED and percent_complete != 100:
        raise DomainError(
            N_("A delivered project is %(all)s complete"), "percent_complete", all="100%"
        )
    if happened_on > today:
        raise DomainError(N_("The date of the update must be today or in the past"), "happened_on")
    note = note.strip()
    if not note:
        raise DomainError(N_("Enter what has happened"), "note")
    update = DeliveryUpdate(
        proposal_id=proposal.id,
        status=status,
        percent_complete=percent_complete,
        spent_pence=spent_pence,
        note=note,
        happened_on=happened_on,
        recorded_by_id=actor.id,
    )
    session.add(update)
    session.flush()
    audit.record(
        session,
        action="delivery.updated",
        actor=actor,
        round=funding_round,
        subject=proposal,
        after={
            "status": status,
            "percent_complete": percent_complete,
            "spent_pence": spent_pence,
            "happened_on": happened_on,
        },
    )
    from app.workflow import notices

    notices.delivery_updated(session, proposal, update.id)
    return update


def updates_for(session: Session, proposal_ids) -> dict[int, list[DeliveryUpdate]]:
    """Each proposal's updates, newest first."""
    rows = session.scalars(
        select(DeliveryUpdate)
        .where(DeliveryUpdate.proposal_id.in_(list(proposal_ids)))
        .order_by(DeliveryUpdate.happened_on.desc(), DeliveryUpdate.id.desc())
    )
    out: dict[int, list[DeliveryUpdate]] = {}
    for u in rows:
        out.setdefault(u.proposal_id, []).append(u)
    return out


@dataclass(frozen=True)
class Progress:
    proposal: Proposal
    latest: DeliveryUpdate | None


def round_progress(session: Session, funding_round: FundingRound) -> list[Progress]:
    """Every funded project of a published round with its newest update (None before any),
    but those of pots whose figures are withheld."""
    if funding_round.phase not in PUBLISHED:
        return []
    ids = funded_ids(session, funding_round, shown=True)
    proposals = session.scalars(
        select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.title)
    ).all()
    updates = updates_for(session, ids)
    return [Progress(p, (updates.get(p.id) or [None])[0]) for p in proposals]


@dataclass(frozen=True)
class Delivered:
    """A funded project as the open data API gives it: the name and cost it was counted with,
    and its delivery updates, newest first."""

    proposal: Proposal
    pot_id: int
    title: str
    cost_pence: int
    updates: list[DeliveryUpdate]

    @property
    def latest(self) -> DeliveryUpdate | None:
        return self.updates[0] if self.updates else None


def published_delivery(session: Session, funding_round: FundingRound) -> list[Delivered]:
    """Every project funded in a published round's pots whose figures are published, in pot
    order and then by title, with its updates; nothing before publication. A withheld pot's
    projects are left out: which of them was funded is one of the figures withheld."""
    from app.workflow.results import published_views

    funded = [
        (view.result.pot_id, project)
        for view in published_views(session, funding_round)
        if not view.withheld
        for project in view.funded
    ]
    ids = [project.id for _, project in funded]
    rows = {
        p.id: p
        for p in session.scalars(
            select(Proposal).where(Proposal.round_id == funding_round.id, Proposal.id.in_(ids))
        )
    }
    updates = updates_for(session, ids)
    out = [
        Delivered(rows[p.id], pot_id, p.name, p.cost_pence, updates.get(p.id, []))
        for pot_id, p in funded
        if p.id in rows
    ]
    order = {pot.id: (pot.position, pot.id) for pot in funding_round.pots}
    return sorted(out, key=lambda d: (order.get(d.pot_id, (0, d.pot_id)), d.title, d.proposal.id))
