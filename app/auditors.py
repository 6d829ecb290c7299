"""The audit trail, per round: for the council's auditors, officers and administrators."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import Council, FundingRound, Role
from app.public import council_or_404

bp = Blueprint("auditors", __name__, url_prefix="/audit")


def reader_council_or_403(slug: str) -> Council:
    council = council_or_404(slug)
    if not current_user.has_role(council, Role.AUDITOR, Role.OFFICER):
        abort(403)
    return council


@bp.route("/<slug>")
@login_required
def council_audit(slug: str):
    council = reader_council_or_403(slug)
    return render_template("auditors/council.html", council=council, rounds=council.rounds)


@bp.route("/<slug>/rounds/<round_slug>")
@login_required
def round_audit(slug: str, round_slug: str):
    council = reader_council_or_403(slug)
    funding_round = db.session.scalar(
        select(FundingRound).where(
            FundingRound.council_id == council.id, FundingRound.slug == round_slug
        )
    )
    if funding_round is None:
        abort(404)
    return render_template(
        "auditors/round.html",
        council=council,
        round=funding_round,
        events=audit.events_for_round(db.session, funding_round),
        labels=audit.ACTIONS,
    )
