"""Officers record delivery updates on the projects a round funded."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms.delivery import DeliveryUpdateForm
from app.web.officers import bp, officer_round_or_404
from app.web.views import attempt, proposal_in_round_or_404, show_error
from app.workflow.clock import london_today
from app.workflow.delivery import funded_ids, record_update, round_progress, updates_for
from app.workflow.errors import DomainError
from app.workflow.models import DeliveryStatus


@bp.route("/<slug>/rounds/<round_slug>/delivery/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def delivery(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    if proposal.id not in funded_ids(db.session, funding_round):
        abort(404)  # only funded projects of a counted round are delivered
    form = DeliveryUpdateForm()
    if form.validate_on_submit():
        try:
            attempt(
                record_update,
                proposal,
                actor=current_user,
                status=DeliveryStatus(form.status.data),
                percent_complete=form.percent_complete.data,
                spent_pence=form.spent.data,
                note=form.note.data,
                happened_on=form.happened_on.data,
                today=london_today(),
            )
            flash("The delivery update is recorded", "success")
            return redirect(request.path)
        except DomainError as error:
            show_error(form, error, "status")
    return render_template(
        "officers/delivery.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
        updates=updates_for(db.session, [proposal.id]).get(proposal.id, []),
    )


@bp.app_context_processor
def _delivery():
    """For the public round and proposal pages: a funded project's updates, a round's progress."""

    def delivery_updates(proposal):
        if proposal.id not in funded_ids(db.session, proposal.round):
            return None
        return updates_for(db.session, [proposal.id]).get(proposal.id, [])

    def delivery_progress(funding_round):
        return round_progress(db.session, funding_round)

    return {"delivery_updates": delivery_updates, "delivery_progress": delivery_progress}
