"""A new round and its details: opening a draft round with its planned pots under a slug of
its own, and changing its title and description until voting opens."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.models import Council, FundingRound, Phase, Pot, User
from app.workflow.rounds.budget import PotPlan, pots_snapshot
from app.workflow.rounds.common import ensure_not_frozen
from ballots.refusals import N_


def find_round(session: Session, council: Council, round_slug: str) -> FundingRound | None:
    """The council's round with this slug, drafts included, or None."""
    return session.scalar(
        select(FundingRound).where(
            FundingRound.council_id == council.id, FundingRound.slug == round_slug
        )
    )


def slug_for(session: Session, council: Council, title: str) -> str:
    """A slug for a new round from its title, unique in the council (``-2``, ``-3`` … when
    taken); ``round`` when the title has no letters or digits."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:56] or "round"
    taken = set(
        session.scalars(
            select(FundingRound.slug).where(
                FundingRound.council_id == council.id, FundingRound.slug.like(f"{base}%")
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_round(
    session: Session,
    council: Council,
    *,
    actor: User,
    title: str,
    description: str,
    plan: PotPlan,
) -> FundingRound:
    """Open a draft round with the planned pots. Only the council's officers see drafts."""
    funding_round = FundingRound(
        council=council,
        slug=slug_for(session, council, title),
        title=title.strip(),
        description=description.strip(),
        total_budget_pence=plan.total_pence,
        split_method=plan.method,
        phase=Phase.DRAFT,
        created_by_id=actor.id,
    )
    for i, p in enumerate(plan.pots):
        funding_round.pots.append(
            Pot(name=p.name, neighbourhood=p.neighbourhood, budget_pence=p.budget_pence, position=i)
        )
    session.add(funding_round)
    session.flush()
    audit.record(
        session,
        action="round.created",
        actor=actor,
        council=council,
        round=funding_round,
        subject=funding_round,
        after={"title": funding_round.title, **pots_snapshot(funding_round)},
    )
    return funding_round


def update_details(
    session: Session, funding_round: FundingRound, *, actor: User, title: str, description: str
) -> None:
    """Change the round's title and description (trimmed) until voting opens; audited as
    ``round.details_changed``."""
    ensure_not_frozen(
        session,
        funding_round,
        actor=actor,
        action="round.details_changed",
        subject=funding_round,
        what=N_("The round's title and description"),
        field="title",
    )
    before = {"title": funding_round.title, "description": funding_round.description}
    funding_round.title, funding_round.description = title.strip(), description.strip()
    audit.record_changes(
        session,
        action="round.details_changed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after={"title": funding_round.title, "description": funding_round.description},
    )
