"""Pages anyone can read: the network of councils, a council, a round."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import Council, FundingRound, Phase, Proposal, ProposalStatus, Role

bp = Blueprint("public", __name__)

# Proposals the public sees on a round page: not withdrawn, not hidden by moderators.
PUBLIC_STATUSES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.FEASIBLE,
    ProposalStatus.NOT_FEASIBLE,
    ProposalStatus.MERGED,
)


def council_or_404(slug: str) -> Council:
    council = db.session.scalar(select(Council).where(Council.slug == slug))
    if council is None:
        abort(404)
    g.council = council  # the base template brands the page with it
    return council


def can_see_drafts(council: Council) -> bool:
    return current_user.is_authenticated and current_user.has_role(council, Role.OFFICER)


def round_or_404(council: Council, round_slug: str) -> FundingRound:
    funding_round = db.session.scalar(
        select(FundingRound).where(
            FundingRound.council_id == council.id, FundingRound.slug == round_slug
        )
    )
    # A draft is nobody's business but the council's officers': it does not exist for others.
    if funding_round is None or (not funding_round.is_public and not can_see_drafts(council)):
        abort(404)
    return funding_round


@bp.route("/")
def home():
    councils = db.session.scalars(select(Council).order_by(Council.name)).all()
    open_counts = dict(
        db.session.execute(
            select(FundingRound.council_id, func.count())
            .where(FundingRound.phase.not_in([Phase.DRAFT]))
            .group_by(FundingRound.council_id)
        ).all()
    )
    return render_template("public/home.html", councils=councils, round_counts=open_counts)


@bp.route("/councils/<slug>")
def council(slug: str):
    council = council_or_404(slug)
    rounds = [r for r in council.rounds if r.is_public or can_see_drafts(council)]
    by_phase: dict[Phase, list[FundingRound]] = {}
    for r in rounds:
        by_phase.setdefault(r.phase, []).append(r)
    phases = [(phase, by_phase[phase]) for phase in Phase if phase in by_phase]
    return render_template("public/council.html", council=council, phases=phases)


@bp.route("/councils/<slug>/rounds/<round_slug>")
def funding_round(slug: str, round_slug: str):
    council = council_or_404(slug)
    funding_round = round_or_404(council, round_slug)
    proposals = db.session.scalars(
        select(Proposal)
        .where(Proposal.round_id == funding_round.id, Proposal.status.in_(PUBLIC_STATUSES))
        .order_by(Proposal.pot_id, Proposal.title)
    ).all()
    by_pot: dict[int, list[Proposal]] = {}
    for p in proposals:
        by_pot.setdefault(p.pot_id, []).append(p)
    return render_template(
        "public/round.html",
        council=council,
        round=funding_round,
        pots=[(pot, by_pot.get(pot.id, [])) for pot in funding_round.pots],
        phases=list(Phase),
    )
