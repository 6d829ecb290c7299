"""Telling people outside the database what was published: the round's fingerprints.

When voting closes, every auditor of the council is emailed the round's manifest hash (fixed
when voting opened) and its sealed ballot log head. Someone who later rewrote the database
and re-chained the log would then have to explain why the export no longer matches what the
auditors were sent. Each sending is recorded in the audit trail, with whom it went to.
Each auditor's email is in their language: their account's choice, else the council's first
language (``messages.language_for``; the officer who closed voting is not the one reading it).
"""

from __future__ import annotations

from sqlalchemy import select

from app.web import messages
from app.web.extensions import db
from app.workflow import audit
from app.workflow.models import FundingRound, Membership, Role, User


def send_fingerprints(funding_round: FundingRound) -> list[str]:
    """Email the round's manifest hash and sealed log head to the council's auditors, and
    record it, in one transaction; returns the addresses written to. Does nothing for a
    round not yet sealed."""
    if not funding_round.manifest_hash or not funding_round.log_head_hash:
        return []
    auditors = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.council_id == funding_round.council_id, Membership.role == Role.AUDITOR)
        .order_by(User.email)
    ).all()
    council_language = funding_round.council.spoken_languages[0]
    for user in auditors:
        messages.send(
            "fingerprints",
            user.email,
            language=messages.language_for(user, acted=False, fallback=council_language),
            user=user,
            council=funding_round.council,
            round_id=funding_round.id,
        )
    audit.record(
        db.session,
        action="round.fingerprints_sent",
        actor=None,
        round=funding_round,
        subject=funding_round,
        after={
            "manifest_hash": funding_round.manifest_hash,
            "log_head_hash": funding_round.log_head_hash,
            "to": [u.email for u in auditors],
        },
    )
    db.session.commit()
    return [u.email for u in auditors]
