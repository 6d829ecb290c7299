"""Reviewing proposals: feasibility and final cost, merging duplicates, moderation, and
partners' contributions."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.web.extensions import db
from app.web.forms.rounds import ButtonForm, ContributionForm, MergeForm, ModerationForm, ReviewForm
from app.web.i18n import in_page_language
from app.web.officers import bp, officer_page, officer_round_or_404, to_round, tried
from app.web.presenters import maps
from app.web.views import attempt, proposal_in_round_or_404, say
from app.workflow import proposals
from app.workflow.clock import utcnow
from app.workflow.errors import DomainError
from app.workflow.models import Contribution, FundingRound, Proposal, ProposalReport, ProposalStatus
from app.workflow.rounds import ballot_problem, support_counts

P = "/<slug>/rounds/<round_slug>/proposals/<int:proposal_id>"


def _round_and_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    return council, funding_round, proposal_in_round_or_404(funding_round, proposal_id)


def _proposal_page(template: str, council, proposal: Proposal, **context):
    """An officers' page about one proposal of a round."""
    return officer_page(template, council, proposal.round, proposal=proposal, **context)


@bp.route("/<slug>/rounds/<round_slug>/proposals")
@login_required
def review_queue(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    reports = _open_reports(funding_round)
    supports = support_counts(db.session, funding_round)
    return officer_page(
        "officers/review_queue.html",
        council,
        funding_round,
        proposals=_queue(funding_round, reports),
        reports=reports,
        supports=supports,
        ballot_problem=lambda p: ballot_problem_words(p, funding_round, supports.get(p.id, 0)),
    )


def ballot_problem_words(
    proposal: Proposal, funding_round: FundingRound, supports: int
) -> str | None:
    """Why the proposal would not be on the ballot (``ballot_problem``), in the page's
    language; None when it would be."""
    problem = ballot_problem(proposal, funding_round, supports)
    return None if problem is None else say(problem)


def _open_reports(funding_round: FundingRound) -> dict[int, int]:
    """How many unresolved reports each reported proposal of the round has."""
    return dict(
        db.session.execute(
            select(ProposalReport.proposal_id, func.count())
            .join(Proposal, Proposal.id == ProposalReport.proposal_id)
            .where(Proposal.round_id == funding_round.id, ProposalReport.resolved_at.is_(None))
            .group_by(ProposalReport.proposal_id)
        ).all()
    )


def _queue(funding_round: FundingRound, reports: dict[int, int]) -> list[Proposal]:
    """The round's proposals: reported first, then those waiting for a decision, then the
    rest, each group oldest first."""
    queue = db.session.scalars(select(Proposal).where(Proposal.round_id == funding_round.id))
    return sorted(
        queue, key=lambda p: (not reports.get(p.id), p.status != ProposalStatus.SUBMITTED, p.id)
    )


@bp.route(P, methods=["GET", "POST"])
@login_required
def review_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round, proposal = _round_and_proposal(slug, round_slug, proposal_id)
    form = ReviewForm(data=_decision(proposal)) if request.method == "GET" else ReviewForm()
    if form.validate_on_submit() and tried(
        form, "decision", proposals.review_proposal, proposal, now=utcnow(), **form.arguments()
    ):
        flash(_("Your decision on “%(title)s” is saved", title=_title(proposal)), "success")
        return to_round(slug, round_slug, ".review_queue")
    supports = support_counts(db.session, funding_round).get(proposal.id, 0)
    return _proposal_page(
        "officers/review_proposal.html",
        council,
        proposal,
        form=form,
        supports=supports,
        place_text=maps.place_words(proposal, session=db.session),
    )


def _title(proposal: Proposal) -> str:
    """The proposal's title in the page's language (for a flash: plain text)."""
    return in_page_language(proposal, "title").text


def _choice(proposal: Proposal) -> str:
    """A proposal to merge into, as the merge form lists it: its title and its pot."""
    pot = in_page_language(proposal.pot, "name").text
    return f"{_title(proposal)} ({pot})"


def _decision(proposal: Proposal) -> dict | None:
    """The review form filled in with the decision already made, if there is one."""
    if proposal.status not in (ProposalStatus.FEASIBLE, ProposalStatus.NOT_FEASIBLE):
        return None
    return {
        "decision": proposal.status.value,
        "final_cost": proposal.final_cost_pence,
        "reason": proposal.review_reason,
    }


@bp.route(P + "/place", methods=["GET", "POST"])
@login_required
def place_proposal(slug: str, round_slug: str, proposal_id: int):
    """Officers place a proposal on the map, or correct its place, until voting opens
    (``app.web.placing``)."""
    from app.web.placing import place_page

    council, funding_round, proposal = _round_and_proposal(slug, round_slug, proposal_id)
    ids = {"slug": slug, "round_slug": round_slug, "proposal_id": proposal.id}
    return place_page(
        council,
        funding_round,
        proposal,
        here=url_for("officers.place_proposal", **ids),
        back=url_for("officers.review_proposal", **ids),
        back_text=_("Back to the review of this proposal"),
    )


@bp.route(P + "/merge", methods=["GET", "POST"])
@login_required
def merge_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round, proposal = _round_and_proposal(slug, round_slug, proposal_id)
    candidates = proposals.merge_candidates(db.session, proposal)
    form = MergeForm(choices=[(str(p.id), _choice(p)) for p in candidates])
    if form.validate_on_submit() and tried(
        form, "into", proposals.merge_proposal, proposal, now=utcnow(), **form.arguments()
    ):
        flash(_("“%(title)s” is merged", title=_title(proposal)), "success")
        return to_round(slug, round_slug, ".review_queue")
    return officer_page(
        "officers/merge_proposal.html", council, funding_round, proposal=proposal, form=form
    )


@bp.route(P + "/moderation", methods=["GET", "POST"])
@login_required
def moderate_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round, proposal = _round_and_proposal(slug, round_slug, proposal_id)
    hiding = proposal.hidden_at is None
    form = _moderation_form(hiding)
    action = proposals.hide_proposal if hiding else proposals.unhide_proposal
    if form.validate_on_submit() and tried(
        form, "reason", action, proposal, reason=form.reason.data, now=utcnow()
    ):
        title = _title(proposal)
        if hiding:
            flash(_("“%(title)s” is hidden", title=title), "success")
        else:
            flash(_("“%(title)s” is shown again", title=title), "success")
        return to_round(slug, round_slug, ".review_proposal", proposal_id=proposal.id)
    return _proposal_page(
        "officers/moderate_proposal.html", council, proposal, form=form, hiding=hiding
    )


def _moderation_form(hiding: bool) -> ModerationForm:
    """The form to hide a proposal, or (once hidden) to show it again."""
    form = ModerationForm()
    if not hiding:
        form.submit.label.text = _("Show proposal again")
    return form


@bp.route(P + "/contributions", methods=["GET", "POST"])
@login_required
def contributions(slug: str, round_slug: str, proposal_id: int):
    council, funding_round, proposal = _round_and_proposal(slug, round_slug, proposal_id)
    form = ContributionForm()
    if form.validate_on_submit() and tried(
        form, "partner_name", proposals.add_contribution, proposal, **form.arguments()
    ):
        flash(
            _("%(partner)s's contribution is recorded", partner=form.partner_name.data.strip()),
            "success",
        )
        return to_round(slug, round_slug, ".contributions", proposal_id=proposal.id)
    return _proposal_page(
        "officers/contributions.html", council, proposal, form=form, remove_form=ButtonForm()
    )


@bp.route(P + "/contributions/<int:contribution_id>/remove", methods=["POST"])
@login_required
def remove_contribution(slug: str, round_slug: str, proposal_id: int, contribution_id: int):
    proposal = _round_and_proposal(slug, round_slug, proposal_id)[2]
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.proposal_id != proposal.id:
        abort(404)
    if ButtonForm().validate_on_submit():
        try:
            attempt(proposals.remove_contribution, contribution, actor=current_user)
            flash(_("The contribution is removed"), "success")
        except DomainError as error:
            flash(say(error), "error")
    return to_round(slug, round_slug, ".contributions", proposal_id=proposal.id)
