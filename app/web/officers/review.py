"""Reviewing proposals: feasibility and final cost, merging duplicates, moderation, and
partners' contributions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.web.extensions import db
from app.web.forms.rounds import ButtonForm, ContributionForm, MergeForm, ModerationForm, ReviewForm
from app.web.officers import bp, officer_round_or_404
from app.web.views import attempt, proposal_in_round_or_404, show_error
from app.workflow import proposals
from app.workflow.clock import utcnow
from app.workflow.errors import DomainError
from app.workflow.models import (
    Contribution,
    ContributionKind,
    Proposal,
    ProposalReport,
    ProposalStatus,
)
from app.workflow.rounds import ballot_problem, support_counts


def _back(slug, round_slug, proposal_id):
    return redirect(
        url_for(".review_proposal", slug=slug, round_slug=round_slug, proposal_id=proposal_id)
    )


@bp.route("/<slug>/rounds/<round_slug>/proposals")
@login_required
def review_queue(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    open_reports = dict(
        db.session.execute(
            select(ProposalReport.proposal_id, func.count())
            .join(Proposal, Proposal.id == ProposalReport.proposal_id)
            .where(Proposal.round_id == funding_round.id, ProposalReport.resolved_at.is_(None))
            .group_by(ProposalReport.proposal_id)
        ).all()
    )
    queue = db.session.scalars(
        select(Proposal).where(Proposal.round_id == funding_round.id).order_by(Proposal.id)
    ).all()
    # Reported proposals first, then those waiting for a decision, then the rest.
    queue = sorted(
        queue,
        key=lambda p: (
            not open_reports.get(p.id),
            p.status != ProposalStatus.SUBMITTED,
            p.id,
        ),
    )
    supports = support_counts(db.session, funding_round)
    return render_template(
        "officers/review_queue.html",
        council=council,
        round=funding_round,
        proposals=queue,
        reports=open_reports,
        supports=supports,
        ballot_problem=lambda p: ballot_problem(p, funding_round, supports.get(p.id, 0)),
    )


@bp.route("/<slug>/rounds/<round_slug>/proposals/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def review_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    if request.method == "GET" and proposal.status in (
        ProposalStatus.FEASIBLE,
        ProposalStatus.NOT_FEASIBLE,
    ):
        form = ReviewForm(
            data={
                "decision": proposal.status.value,
                "final_cost": proposal.final_cost_pence,
                "reason": proposal.review_reason,
            }
        )
    else:
        form = ReviewForm()
    if form.validate_on_submit():
        try:
            attempt(
                proposals.review_proposal,
                proposal,
                actor=current_user,
                feasible=form.decision.data == "feasible",
                reason=form.reason.data,
                final_cost_pence=form.final_cost.data,
                now=utcnow(),
            )
            flash(f"Your decision on “{proposal.title}” is saved", "success")
            return redirect(url_for(".review_queue", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "decision")
    return render_template(
        "officers/review_proposal.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
        supports=support_counts(db.session, funding_round).get(proposal.id, 0),
    )


@bp.route("/<slug>/rounds/<round_slug>/proposals/<int:proposal_id>/merge", methods=["GET", "POST"])
@login_required
def merge_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    others = [
        (str(p.id), f"{p.title} ({p.pot.name})")
        for p in funding_round.proposals
        if p.id != proposal.id and p.status not in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED)
    ]
    form = MergeForm(choices=others)
    if form.validate_on_submit():
        try:
            attempt(
                proposals.merge_proposal,
                proposal,
                actor=current_user,
                into_id=int(form.into.data),
                reason=form.reason.data,
                now=utcnow(),
            )
            flash(f"“{proposal.title}” is merged", "success")
            return redirect(url_for(".review_queue", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "into")
    return render_template(
        "officers/merge_proposal.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
    )


@bp.route(
    "/<slug>/rounds/<round_slug>/proposals/<int:proposal_id>/moderation",
    methods=["GET", "POST"],
)
@login_required
def moderate_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    form = ModerationForm()
    hiding = proposal.hidden_at is None
    if not hiding:
        form.submit.label.text = "Show proposal again"
    if form.validate_on_submit():
        action = proposals.hide_proposal if hiding else proposals.unhide_proposal
        try:
            attempt(action, proposal, actor=current_user, reason=form.reason.data, now=utcnow())
            flash(f"“{proposal.title}” is {'hidden' if hiding else 'shown again'}", "success")
            return _back(slug, round_slug, proposal.id)
        except DomainError as error:
            show_error(form, error, "reason")
    return render_template(
        "officers/moderate_proposal.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
        hiding=hiding,
    )


@bp.route(
    "/<slug>/rounds/<round_slug>/proposals/<int:proposal_id>/contributions",
    methods=["GET", "POST"],
)
@login_required
def contributions(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    form = ContributionForm()
    if form.validate_on_submit():
        try:
            attempt(
                proposals.add_contribution,
                proposal,
                actor=current_user,
                partner_name=form.partner_name.data,
                kind=ContributionKind(form.kind.data),
                amount_pence=form.amount.data,
                description=form.description.data or "",
            )
            flash(f"{form.partner_name.data.strip()}'s contribution is recorded", "success")
            return redirect(request.path)
        except DomainError as error:
            show_error(form, error, "partner_name")
    return render_template(
        "officers/contributions.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
        remove_form=ButtonForm(),
    )


@bp.route(
    "/<slug>/rounds/<round_slug>/proposals/<int:proposal_id>/contributions/"
    "<int:contribution_id>/remove",
    methods=["POST"],
)
@login_required
def remove_contribution(slug: str, round_slug: str, proposal_id: int, contribution_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.proposal_id != proposal.id:
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            attempt(proposals.remove_contribution, contribution, actor=current_user)
            flash("The contribution is removed", "success")
        except DomainError as error:
            flash(error.message, "error")
    return redirect(
        url_for(".contributions", slug=slug, round_slug=round_slug, proposal_id=proposal.id)
    )
