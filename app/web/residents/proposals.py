"""Proposing, editing and withdrawing a proposal; supporting and reporting proposals."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web.forms.proposals import ProposalForm, ReportForm, SupportForm, proposal_form
from app.web.forms.rounds import ButtonForm
from app.web.i18n import in_page_language
from app.web.public import council_or_404, round_or_404
from app.web.residents import bp
from app.web.views import attempt, proposal_in_round_or_404, say, show_error
from app.workflow import proposals
from app.workflow.errors import Refusal
from app.workflow.models import Role

ROUND = "/councils/<slug>/rounds/<round_slug>"
PROPOSAL = ROUND + "/proposals/<int:proposal_id>"


def _resident_round(slug: str, round_slug: str):
    council = council_or_404(slug)
    if not current_user.has_role(council, Role.RESIDENT):
        abort(403)
    return council, round_or_404(council, round_slug)


def _text(form) -> proposals.ProposalText:
    return proposals.ProposalText(
        **form.texts(),
        category=form.category.data or "",
        location=form.location.data or "",
        estimated_cost_pence=form.estimated_cost.data,
        pot_id=int(form.pot.data),
    )


def _proposal_page(slug, round_slug, proposal_id):
    return redirect(
        url_for("public.proposal", slug=slug, round_slug=round_slug, proposal_id=proposal_id)
    )


@bp.route(ROUND + "/propose", methods=["GET", "POST"])
@login_required
def propose(slug: str, round_slug: str):
    council, funding_round = _resident_round(slug, round_slug)
    form = proposal_form(council, funding_round.pots)
    if form.validate_on_submit():
        try:
            proposal = attempt(
                proposals.submit_proposal, funding_round, author=current_user, text=_text(form)
            )
            flash(_("Your proposal is sent. You can change it until proposals close."), "success")
            return _proposal_page(slug, round_slug, proposal.id)
        except Refusal as error:
            show_error(form, error, form.first("title"))
    return render_template(
        "residents/propose.html", council=council, round=funding_round, form=form
    )


@bp.route(PROPOSAL + "/edit", methods=["GET", "POST"])
@login_required
def edit_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = _resident_round(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    if proposal.author_id != current_user.id:
        abort(403)
    form = _edit_form(council, funding_round, proposal)
    form.submit.label.text = _("Save changes")
    if form.validate_on_submit():
        try:
            attempt(proposals.edit_proposal, proposal, author=current_user, text=_text(form))
            flash(_("Your proposal is saved"), "success")
            return _proposal_page(slug, round_slug, proposal.id)
        except Refusal as error:
            show_error(form, error, form.first("title"))
    return render_template(
        "residents/edit_proposal.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
    )


def _edit_form(council, funding_round, proposal) -> ProposalForm:
    """The proposal form, filled in from the proposal (its texts in each language) when first
    shown."""
    if request.method != "GET":
        return proposal_form(council, funding_round.pots)
    form = proposal_form(
        council,
        funding_round.pots,
        data={
            "category": proposal.category,
            "location": proposal.location,
            "estimated_cost": proposal.estimated_cost_pence,
            "pot": str(proposal.pot_id),
        },
    )
    form.fill_from(proposal)
    return form


@bp.route(PROPOSAL + "/place", methods=["GET", "POST"])
@login_required
def place_proposal(slug: str, round_slug: str, proposal_id: int):
    """Its author places their proposal on the map (``app.web.placing``)."""
    from app.web.placing import place_page

    council, funding_round = _resident_round(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    if proposal.author_id != current_user.id:
        abort(403)
    ids = {"slug": slug, "round_slug": round_slug, "proposal_id": proposal.id}
    return place_page(
        council,
        funding_round,
        proposal,
        here=url_for("residents.place_proposal", **ids),
        back=url_for("public.proposal", **ids),
        back_text=_("Back to your proposal"),
    )


@bp.route(PROPOSAL + "/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = _resident_round(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    if proposal.author_id != current_user.id:
        abort(403)
    form = ButtonForm()
    form.submit.label.text = _("Withdraw proposal")
    if form.validate_on_submit():
        try:
            attempt(proposals.withdraw_proposal, proposal, author=current_user)
            title = in_page_language(proposal, "title").text
            flash(_("“%(title)s” is withdrawn", title=title), "success")
            return redirect(url_for("residents.account"))
        except Refusal as error:
            show_error(form, error, "submit")
    return render_template(
        "residents/withdraw_proposal.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
    )


@bp.route(PROPOSAL + "/support", methods=["POST"])
@login_required
def support(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = _resident_round(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    form = SupportForm()
    if not form.validate_on_submit():
        flash(_("Use the button on the proposal's page to support it"), "error")
    else:
        adding = form.action.data == "support"
        try:
            changed = attempt(
                proposals.support if adding else proposals.unsupport, proposal, user=current_user
            )
            if adding:
                flash(
                    _("You support this proposal")
                    if changed
                    else _("You already support this proposal"),
                    "success",
                )
            else:
                flash(_("You no longer support this proposal"), "success")
        except Refusal as error:
            flash(say(error), "error")
    return _proposal_page(slug, round_slug, proposal.id)


@bp.route(PROPOSAL + "/report", methods=["GET", "POST"])
@login_required
def report_proposal(slug: str, round_slug: str, proposal_id: int):
    council, funding_round = _resident_round(slug, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    may = proposals.permissions(proposal, current_user)
    if not may.shows_text:
        abort(404)
    form = ReportForm()
    own = may.is_author
    # An author's report is refused whatever its reason says, and they go back to their page.
    if form.validate_on_submit() or (own and form.is_submitted()):
        try:
            attempt(proposals.report_proposal, proposal, user=current_user, reason=form.reason.data)
            flash(_("Thank you. A moderator will look at this proposal."), "success")
            return _proposal_page(slug, round_slug, proposal.id)
        except Refusal as error:
            if own:
                flash(say(error), "important")
                return _proposal_page(slug, round_slug, proposal.id)
            show_error(form, error, "reason")
    return render_template(
        "residents/report_proposal.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
        own=own,
    )
