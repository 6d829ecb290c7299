"""Telling people outside the database what was published: the round's fingerprints.

When voting closes, every auditor of the council is emailed the round's manifest hash (fixed
when voting opened) and its sealed ballot log head. Someone who later rewrote the database
and re-chained the log would then have to explain why the export no longer matches what the
auditors were sent. Each sending is recorded in the audit trail, with whom it went to.
"""

from __future__ import annotations

from sqlalchemy import select

from app.web import emails
from app.web.extensions import db
from app.workflow import audit
from app.workflow.models import FundingRound, Membership, Role, User


def send_fingerprints(funding_round: FundingRound) -> list[str]:
    """Email the round's manifest hash and sealed log head to the council's auditors, and
    record it; returns the addresses written to. Does nothing for a round not yet sealed."""
    if not funding_round.manifest_hash or not funding_round.log_head_hash:
        return []
    auditors = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.council_id == funding_round.council_id, Membership.role == Role.AUDITOR)
        .order_by(User.email)
    ).all()
    page = emails.site_url(f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}")
    for user in auditors:
        emails.send(
            user.email,
            f"Fingerprints of {funding_round.title}: keep this email",
            "fingerprints.txt",
            user=user,
            round=funding_round,
            council=funding_round.council,
            page=page,
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
