"""A new round and its details: opening a draft round with its planned pots under a slug of
its own, and changing its title and description until voting opens.

A round's title and description are written in each of its council's languages: the workflow
takes them as ``{language: text}`` (in the council's order) and stores them with
``languages.set_texts``, which needs a title in one language at least."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.languages import set_texts, texts
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


Texts = Mapping[str, str | None]


# Residents who have not voted are reminded this many days before voting closes, unless the
# round's officers change it (or turn the reminder off).
DEFAULT_REMINDER_DAYS = 3


def create_round(
    session: Session,
    council: Council,
    *,
    actor: User,
    title: Texts,
    description: Texts,
    plan: PotPlan,
) -> FundingRound:
    """Open a draft round with the planned pots, its title and description ``{language:
    text}`` in the council's languages (a title in one at least: its slug comes from the first
    given). Only the council's officers see drafts."""
    funding_round = FundingRound(
        total_budget_pence=plan.total_pence,
        split_method=plan.method,
        phase=Phase.DRAFT,
        created_by_id=actor.id,
        reminder_days=DEFAULT_REMINDER_DAYS,
    )
    set_texts(funding_round, {"title": title, "description": description})
    funding_round.slug = slug_for(session, council, funding_round.title)
    funding_round.council = council
    for i, p in enumerate(plan.pots):
        pot = Pot(neighbourhood=p.neighbourhood, budget_pence=p.budget_pence, position=i)
        set_texts(pot, {"name": p.names})
        funding_round.pots.append(pot)
    session.add(funding_round)
    session.flush()
    audit.record(
        session,
        action="round.created",
        actor=actor,
        council=council,
        round=funding_round,
        subject=funding_round,
        after={**_details(funding_round), **pots_snapshot(funding_round)},
    )
    return funding_round


def update_details(
    session: Session,
    funding_round: FundingRound,
    *,
    actor: User,
    title: Texts,
    description: Texts,
) -> None:
    """Change the round's title and description (``{language: text}``, trimmed; a language
    not given keeps its texts) until voting opens; audited as ``round.details_changed`` with
    the texts in every language."""
    ensure_not_frozen(
        session,
        funding_round,
        actor=actor,
        action="round.details_changed",
        subject=funding_round,
        what=N_("The round's title and description"),
        field="title",
    )
    before = _details(funding_round)
    set_texts(
        funding_round,
        {
            "title": _kept(funding_round, "title", title),
            "description": _kept(funding_round, "description", description),
        },
    )
    audit.record_changes(
        session,
        action="round.details_changed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after=_details(funding_round),
    )


def _kept(funding_round: FundingRound, field: str, given: Texts) -> dict[str, str | None]:
    """``given``, then the texts of ``field`` in the languages it does not name (a council
    that stopped speaking a language keeps what was written in it)."""
    out = dict(given)
    for code, text in texts(funding_round, field).items():
        out.setdefault(code, text)
    return out


def _details(funding_round: FundingRound) -> dict[str, dict[str, str]]:
    """The round's title and description in every language, for the audit trail."""
    return {
        "title": texts(funding_round, "title"),
        "description": texts(funding_round, "description"),
    }
