"""Opening a round, its budget and pots, schedule, voting configuration and phase changes."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import rounds as domain
from app.councillors import bp, officer_council_or_403, officer_round_or_404
from app.extensions import db
from app.forms.rounds import (
    DetailsForm,
    PhaseForm,
    PotsForm,
    RoundForm,
    VotingForm,
    schedule_form_class,
    with_neighbourhoods,
)
from app.models import Phase, SplitMethod
from app.problems import DomainError
from app.voting_methods import (
    describe_ballot,
    describe_eligibility,
    describe_rule,
    describe_tie_break,
)
from app.web import attempt, show_error
from ballots.db import utcnow


def _plan(form, council):
    return domain.plan_pots(
        council,
        total_pence=form.total_budget.data,
        method=SplitMethod(form.method.data),
        council_wide_pence=form.council_wide.data,
        explicit=form.explicit_amounts(),
    )


@bp.route("/<slug>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(slug: str):
    council = officer_council_or_403(slug)
    form = with_neighbourhoods(RoundForm, council.neighbourhoods)()
    plan = None
    if form.validate_on_submit():
        try:
            plan = _plan(form, council)
            if not form.preview.data:
                funding_round = attempt(
                    domain.create_round,
                    council,
                    actor=current_user,
                    title=form.title.data,
                    description=form.description.data,
                    plan=plan,
                )
                flash(f"“{funding_round.title}” is open as a draft", "success")
                return redirect(
                    url_for(".round_overview", slug=slug, round_slug=funding_round.slug)
                )
        except DomainError as error:
            show_error(form, error, "total_budget")
            plan = None
    return render_template("councillors/new_round.html", council=council, form=form, plan=plan)


@bp.route("/<slug>/rounds/<round_slug>")
@login_required
def round_overview(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    target = domain.next_phase(funding_round)
    back = domain.previous_phase(funding_round)
    return render_template(
        "councillors/round.html",
        council=council,
        round=funding_round,
        next_phase=target,
        previous_phase=back,
        problems=domain.phase_change_problems(db.session, funding_round, target) if target else [],
        next_text=domain.what_happens_next(funding_round),
        descriptions=domain.PHASE_DESCRIPTIONS,
        phases=domain.phases_of(funding_round),
        first_day=domain.first_day,
        last_day=domain.last_day,
        ballot_text=describe_ballot(funding_round),
        rule_text=describe_rule(funding_round.rule),
        tie_text=describe_tie_break(funding_round.tie_break),
        eligibility_text=describe_eligibility(funding_round),
        phase_form=PhaseForm(),
    )


@bp.route("/<slug>/rounds/<round_slug>/phase", methods=["POST"])
@login_required
def change_phase(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = PhaseForm()
    phases = form.phases() if form.validate_on_submit() else None
    if phases is None:
        flash("Choose a phase using the buttons on this page", "error")
    else:
        target, expected = phases
        try:
            attempt(
                domain.change_phase,
                funding_round,
                target=target,
                expected=expected,
                actor=current_user,
                now=utcnow(),
            )
            flash(f"The round is now in {target.label.lower()}", "success")
        except DomainError as error:
            flash(error.message, "error")
    return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))


@bp.route("/<slug>/rounds/<round_slug>/details", methods=["GET", "POST"])
@login_required
def edit_details(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = DetailsForm(obj=funding_round)
    if form.validate_on_submit():
        try:
            attempt(
                domain.update_details,
                funding_round,
                actor=current_user,
                title=form.title.data,
                description=form.description.data,
            )
            flash("The round's details are saved", "success")
            return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "title")
    return render_template(
        "councillors/edit_details.html", council=council, round=funding_round, form=form
    )


@bp.route("/<slug>/rounds/<round_slug>/pots", methods=["GET", "POST"])
@login_required
def edit_pots(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form_class = with_neighbourhoods(PotsForm, council.neighbourhoods)
    if request.method == "GET":
        data = {
            "total_budget": funding_round.total_budget_pence,
            "method": funding_round.split_method.value,
        }
        for pot in funding_round.pots:
            if pot.neighbourhood_id is None:
                if funding_round.split_method != SplitMethod.COUNCIL:
                    data["council_wide"] = pot.budget_pence
            else:
                data[f"pot_{pot.neighbourhood_id}"] = pot.budget_pence
        form = form_class(data=data)
    else:
        form = form_class()
    plan = None
    if form.validate_on_submit():
        try:
            plan = _plan(form, council)
            if not form.preview.data:
                attempt(domain.replace_pots, funding_round, actor=current_user, plan=plan)
                flash("The budget and pots are saved", "success")
                return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "total_budget")
            plan = None
    return render_template(
        "councillors/edit_pots.html", council=council, round=funding_round, form=form, plan=plan
    )


@bp.route("/<slug>/rounds/<round_slug>/schedule", methods=["GET", "POST"])
@login_required
def edit_schedule(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form_class = schedule_form_class()
    if request.method == "GET":
        data = {}
        for d in funding_round.phase_dates:
            data[f"{d.phase.value}_start"] = domain.first_day(d)
            data[f"{d.phase.value}_end"] = domain.last_day(d)
        form = form_class(data=data)
    else:
        form = form_class()
    if form.validate_on_submit():
        days = {
            phase: (form[f"{phase.value}_start"].data, form[f"{phase.value}_end"].data)
            for phase in domain.SCHEDULED_PHASES
        }
        try:
            attempt(domain.set_schedule, funding_round, actor=current_user, days=days)
            flash("The schedule is saved", "success")
            return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "proposals_start")
    return render_template(
        "councillors/edit_schedule.html",
        council=council,
        round=funding_round,
        form=form,
        phases=domain.SCHEDULED_PHASES,
    )


@bp.route("/<slug>/rounds/<round_slug>/voting", methods=["GET", "POST"])
@login_required
def edit_voting(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = (
        VotingForm(data=domain.voting_config(funding_round))
        if request.method == "GET"
        else VotingForm()
    )
    if form.validate_on_submit():
        try:
            attempt(
                domain.configure_voting, funding_round, actor=current_user, config=form.config()
            )
            flash("The voting configuration is saved", "success")
            return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "ballot_kind")
    return render_template(
        "councillors/edit_voting.html",
        council=council,
        round=funding_round,
        form=form,
        Phase=Phase,
    )
