"""Officers record delivery updates on the projects a round funded."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_babel import gettext as _
from flask_login import login_required

from app.web.extensions import db
from app.web.forms.delivery import DeliveryUpdateForm
from app.web.officers import bp, officer_page, officer_round_or_404, tried
from app.web.views import proposal_in_round_or_404
from app.workflow.clock import london_today
from app.workflow.delivery import funded_ids, record_update, updates_for
from app.workflow.models import DeliveryStatus, FundingRound, Proposal


@bp.route("/<slug>/rounds/<round_slug>/delivery/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def delivery(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = _funded_or_404(funding_round, proposal_id)
    form = DeliveryUpdateForm()
    if form.validate_on_submit() and tried(
        form, "status", record_update, proposal, today=london_today(), **_update(form)
    ):
        flash(_("The delivery update is recorded"), "success")
        return redirect(request.path)
    updates = updates_for(db.session, [proposal.id]).get(proposal.id, [])
    return officer_page(
        "officers/delivery.html",
        council,
        funding_round,
        proposal=proposal,
        form=form,
        updates=updates,
    )


def _funded_or_404(funding_round: FundingRound, proposal_id: int) -> Proposal:
    """A proposal the round funded: only funded projects of a counted round are delivered."""
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    if proposal.id not in funded_ids(db.session, funding_round):
        abort(404)
    return proposal


def _update(form: DeliveryUpdateForm) -> dict:
    """The delivery update the form describes, as ``record_update`` takes it."""
    return {
        "status": DeliveryStatus(form.status.data),
        "percent_complete": form.percent_complete.data,
        "spent_pence": form.spent.data,
        "note": form.note.data,
        "happened_on": form.happened_on.data,
    }
