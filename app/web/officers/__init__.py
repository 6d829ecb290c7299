"""Pages for a council's officers: running rounds, reviewing proposals, voting and delivery;
and, for its administrators, its staff."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.web.extensions import db
from app.web.public import council_or_404
from app.workflow.models import Council, FundingRound, Proposal, Role

bp = Blueprint("officers", __name__, url_prefix="/officers")


def officer_council_or_403(slug: str) -> Council:
    """The council, if the signed-in person is one of its officers (or an administrator)."""
    council = council_or_404(slug)
    if not current_user.has_role(council, Role.OFFICER):
        abort(403)
    return council


def officer_round_or_404(slug: str, round_slug: str) -> tuple[Council, FundingRound]:
    """The council's round, for its officers: 403 for anyone else, 404 for an unknown round."""
    council = officer_council_or_403(slug)
    funding_round = db.session.scalar(
        select(FundingRound).where(
            FundingRound.council_id == council.id, FundingRound.slug == round_slug
        )
    )
    if funding_round is None:
        abort(404)
    return council, funding_round


@bp.route("/<slug>")
@login_required
def dashboard(slug: str):
    council = officer_council_or_403(slug)
    counts = dict(
        db.session.execute(
            select(Proposal.round_id, func.count())
            .where(Proposal.round_id.in_([r.id for r in council.rounds]))
            .group_by(Proposal.round_id)
        ).all()
    )
    return render_template("officers/dashboard.html", council=council, counts=counts)


from app.web.officers import (  # noqa: E402,F401  (registers their routes)
    delivery,
    review,
    rounds,
    staff,
    voters,
)
