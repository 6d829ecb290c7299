"""The audit trail, per round: for the council's auditors, officers and administrators."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import Conflict as HTTPConflict

from app import audit, exports, results, voting_methods
from app.extensions import db
from app.models import Council, FundingRound, Role
from app.problems import DomainError
from app.public import council_or_404
from app.web import attempt

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


def round_or_404(council: Council, round_slug: str) -> FundingRound:
    funding_round = db.session.scalar(
        select(FundingRound).where(
            FundingRound.council_id == council.id, FundingRound.slug == round_slug
        )
    )
    if funding_round is None:
        abort(404)
    return funding_round


@bp.route("/<slug>/rounds/<round_slug>")
@login_required
def round_audit(slug: str, round_slug: str):
    council = reader_council_or_403(slug)
    funding_round = round_or_404(council, round_slug)
    return render_template(
        "auditors/round.html",
        council=council,
        round=funding_round,
        events=audit.events_for_round(db.session, funding_round),
        labels=audit.ACTIONS,
        counted=results.results_for(db.session, funding_round),
    )


@bp.route("/<slug>/rounds/<round_slug>/export/<int:pot_id>")
@login_required
def export_pot(slug: str, round_slug: str, pot_id: int):
    """One pot's auditor export (a ZIP); every download, and every refusal of someone signed
    in without access, is written to the audit trail."""
    council = council_or_404(slug)
    if not current_user.has_role(council, Role.AUDITOR, Role.OFFICER):
        attempt(exports.refuse, council, round_slug, pot_id, actor=current_user)
        abort(403)
    funding_round = round_or_404(council, round_slug)
    if pot_id not in {p.id for p in funding_round.pots}:
        abort(404)
    try:
        data = attempt(exports.download, funding_round, pot_id, actor=current_user)
    except DomainError as error:
        refusal = HTTPConflict(error.message)
        refusal.show_description = True
        raise refusal from None
    name = exports.filename(funding_round, pot_id)
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/<slug>/rounds/<round_slug>/what-if")
@login_required
def what_if(slug: str, round_slug: str):
    """What other rules would have funded from the same ballots, beside the round's own."""
    council = reader_council_or_403(slug)
    funding_round = round_or_404(council, round_slug)
    try:
        pots = results.what_if(db.session, funding_round)
    except DomainError as error:
        refusal = HTTPConflict(error.message)
        refusal.show_description = True
        raise refusal from None
    return render_template(
        "auditors/what_if.html",
        council=council,
        round=funding_round,
        pots=pots,
        labels=voting_methods.RULE_LABELS,
    )
