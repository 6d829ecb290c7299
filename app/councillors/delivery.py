"""Officers record delivery updates on the projects a round funded."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user, login_required

from app import delivery as domain
from app.councillors import bp, officer_round_or_404
from app.extensions import db
from app.forms.delivery import DeliveryUpdateForm
from app.models import DeliveryStatus
from app.problems import DomainError
from app.web import attempt, proposal_in_round_or_404, show_error
from ballots.db import utcnow


@bp.route("/<slug>/rounds/<round_slug>/delivery/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def delivery(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    if proposal.id not in domain.funded_ids(db.session, funding_round):
        abort(404)  # only funded projects of a counted round are delivered
    form = DeliveryUpdateForm()
    if form.validate_on_submit():
        try:
            attempt(
                domain.record_update,
                proposal,
                actor=current_user,
                status=DeliveryStatus(form.status.data),
                percent_complete=form.percent_complete.data,
                spent_pence=form.spent.data,
                note=form.note.data,
                happened_on=form.happened_on.data,
                today=utcnow().date(),
            )
            flash("The delivery update is recorded", "success")
            return redirect(request.path)
        except DomainError as error:
            show_error(form, error, "status")
    return render_template(
        "councillors/delivery.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
        updates=domain.updates_for(db.session, [proposal.id]).get(proposal.id, []),
    )


@bp.app_context_processor
def _delivery():
    """For the public round and proposal pages: a funded project's updates, a round's progress."""

    def delivery_updates(proposal):
        if proposal.id not in domain.funded_ids(db.session, proposal.round):
            return None
        return domain.updates_for(db.session, [proposal.id]).get(proposal.id, [])

    def delivery_progress(funding_round):
        return domain.round_progress(db.session, funding_round)

    return {"delivery_updates": delivery_updates, "delivery_progress": delivery_progress}
