"""What every part of a round's workflow shares: the lock on the round's row that each
workflow change takes first, the refusal of a change once voting has opened, and a list of
names in words."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow.errors import Frozen
from app.workflow.models import FundingRound, Phase, User
from ballots.refusals import N_, Text


def lock_round(session: Session, funding_round: FundingRound) -> Phase:
    """The workflow's lock on a round: its row in ``rounds``, ``FOR UPDATE``, until the
    transaction ends. Returns the round's phase as stored now (refreshing ``funding_round`` if
    it had moved).

    Every workflow change that voting freezes (pots, proposals and their costs, the voting
    rules, the schedule) takes this lock first, and so does every phase move, opening voting
    included. On PostgreSQL they queue behind each other, so nothing slips in after the
    manifest is built, and two moves of one round cannot interleave; casts, which take the
    weaker ``ballots.box.lock_round_for_casting``, wait behind a phase move too. SQLite lets
    one writer at a time anyway.
    """
    phase = session.execute(
        select(FundingRound.phase).where(FundingRound.id == funding_round.id).with_for_update()
    ).scalar_one()
    if phase != funding_round.phase:
        session.refresh(funding_round)
    return phase


def ensure_not_frozen(
    session: Session,
    funding_round: FundingRound,
    *,
    actor: User | None,
    action: str,
    subject: Any = None,
    what: str = N_("This"),
    field: str | None = None,
) -> None:
    """Raise ``Frozen`` (which callers log as a refusal) once voting has opened."""
    lock_round(session, funding_round)
    if funding_round.is_frozen:
        raise Frozen(
            N_(
                "Voting has opened, so %(what)s can no longer be changed. "
                "The round's pots, costs, proposals and voting rules are fixed."
            ),
            what=Text(what).lowered(),
            round=funding_round,
            action=action,
            actor=actor,
            subject=subject,
            field=field,
        )
