"""Opening a round, its budget and pots, schedule, voting configuration and phase changes."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.web import notices
from app.web.extensions import db
from app.web.forms.rounds import (
    DetailsForm,
    ExtendVotingForm,
    MergePotForm,
    OpenVotingForm,
    PhaseForm,
    PotsForm,
    PublishForm,
    RoundForm,
    VotingForm,
    schedule_form_class,
    with_neighbourhoods,
)
from app.web.officers import bp, officer_council_or_403, officer_round_or_404
from app.web.presenters.methods import (
    describe_ballot,
    describe_eligibility,
    describe_ranked_scoring,
    describe_rule,
    describe_tie_break,
)
from app.web.views import attempt, show_error
from app.workflow import rounds
from app.workflow.clock import utcnow
from app.workflow.errors import DomainError
from app.workflow.models import Phase, SplitMethod


def _plan(form, council):
    return rounds.plan_pots(
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
                    rounds.create_round,
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
    return render_template("officers/new_round.html", council=council, form=form, plan=plan)


@bp.route("/<slug>/rounds/<round_slug>")
@login_required
def round_overview(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    target = rounds.next_phase(funding_round)
    back = rounds.previous_phase(funding_round)
    return render_template(
        "officers/round.html",
        council=council,
        round=funding_round,
        next_phase=target,
        previous_phase=back,
        problems=rounds.phase_change_problems(db.session, funding_round, target) if target else [],
        next_text=rounds.what_happens_next(funding_round),
        move_failure=rounds.scheduled_move_failure(db.session, funding_round),
        descriptions=rounds.PHASE_DESCRIPTIONS,
        phases=rounds.phases_of(funding_round),
        first_day=rounds.first_day,
        last_day=rounds.last_day,
        ballot_text=describe_ballot(funding_round),
        rule_text=describe_rule(funding_round.rule),
        scoring_text=describe_ranked_scoring(funding_round),
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
                rounds.change_phase,
                funding_round,
                target=target,
                expected=expected,
                actor=current_user,
                now=utcnow(),
            )
            if target == Phase.CLOSED:
                notices.send_fingerprints(funding_round)
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
                rounds.update_details,
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
        "officers/edit_details.html", council=council, round=funding_round, form=form
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
                attempt(rounds.replace_pots, funding_round, actor=current_user, plan=plan)
                flash("The budget and pots are saved", "success")
                return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "total_budget")
            plan = None
    return render_template(
        "officers/edit_pots.html", council=council, round=funding_round, form=form, plan=plan
    )


@bp.route("/<slug>/rounds/<round_slug>/pots/merge", methods=["GET", "POST"])
@login_required
def merge_pots(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    pots = sorted(funding_round.pots, key=lambda p: (p.position, p.id))
    choices = [(str(p.id), p.name) for p in pots]
    form = MergePotForm(choices=choices)
    if form.validate_on_submit():
        try:
            into = attempt(
                rounds.merge_pot,
                funding_round,
                source_id=int(form.source.data),
                into_id=int(form.into.data),
                actor=current_user,
            )
            flash(f"The pots are merged: {into.name} now has the budget and proposals", "success")
            return redirect(url_for(".edit_pots", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "source")
    counts = {p.id: len([x for x in funding_round.proposals if x.pot_id == p.id]) for p in pots}
    return render_template(
        "officers/merge_pots.html",
        council=council,
        round=funding_round,
        form=form,
        pots=pots,
        counts=counts,
    )


@bp.route("/<slug>/rounds/<round_slug>/schedule", methods=["GET", "POST"])
@login_required
def edit_schedule(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    if funding_round.is_frozen:
        return _extend_voting(council, funding_round)
    form_class = schedule_form_class()
    if request.method == "GET":
        data = {}
        for d in funding_round.phase_dates:
            data[f"{d.phase.value}_start"] = rounds.first_day(d)
            data[f"{d.phase.value}_end"] = rounds.last_day(d)
        form = form_class(data=data)
    else:
        form = form_class()
    if form.validate_on_submit():
        days = {
            phase: (form[f"{phase.value}_start"].data, form[f"{phase.value}_end"].data)
            for phase in rounds.SCHEDULED_PHASES
        }
        try:
            attempt(rounds.set_schedule, funding_round, actor=current_user, days=days)
            flash("The schedule is saved", "success")
            return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "proposals_start")
    return render_template(
        "officers/edit_schedule.html",
        council=council,
        round=funding_round,
        form=form,
        phases=rounds.SCHEDULED_PHASES,
    )


def _extend_voting(council, funding_round):
    """Once voting has opened the schedule is fixed: the page offers only a later close."""
    form = ExtendVotingForm()
    if form.validate_on_submit():
        try:
            attempt(
                rounds.extend_voting,
                funding_round,
                actor=current_user,
                now=utcnow(),
                new_last_day=form.voting_end.data,
            )
            flash("Voting is extended. The round's public page says so.", "success")
            return redirect(
                url_for(".round_overview", slug=council.slug, round_slug=funding_round.slug)
            )
        except DomainError as error:
            show_error(form, error, "voting_end")
    return render_template(
        "officers/extend_voting.html",
        council=council,
        round=funding_round,
        form=form,
        phases=[p for p in rounds.phases_of(funding_round) if p != Phase.DRAFT],
        first_day=rounds.first_day,
        last_day=rounds.last_day,
    )


@bp.route("/<slug>/rounds/<round_slug>/voting", methods=["GET", "POST"])
@login_required
def edit_voting(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = (
        VotingForm(data=rounds.voting_config(funding_round))
        if request.method == "GET"
        else VotingForm()
    )
    if form.validate_on_submit():
        try:
            attempt(
                rounds.configure_voting, funding_round, actor=current_user, config=form.config()
            )
            flash("The voting configuration is saved", "success")
            return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "ballot_kind")
    return render_template(
        "officers/edit_voting.html",
        council=council,
        round=funding_round,
        form=form,
        Phase=Phase,
        scoring_text=describe_ranked_scoring(funding_round),
    )


# --- Opening voting -----------------------------------------------------------------------


@bp.route("/<slug>/rounds/<round_slug>/open-voting", methods=["GET", "POST"])
@login_required
def open_voting(slug: str, round_slug: str):
    """Before voting opens: what will be on the ballot, what will not (proposals not yet
    reviewed first, to confirm), and anything that stops it opening."""
    council, funding_round = officer_round_or_404(slug, round_slug)
    if rounds.next_phase(funding_round) != Phase.VOTING:
        return _not_now(
            "Voting cannot be opened now",
            f"This round is in {funding_round.phase.label.lower()}: voting opens after "
            + ("supports" if funding_round.supports_enabled else "review")
            + ".",
        )
    form = OpenVotingForm()
    if form.validate_on_submit():
        expected = form.expected_phase()
        try:
            if expected is None:
                raise DomainError("Open voting with the button on this page", "confirm")
            attempt(
                rounds.open_voting,
                funding_round,
                actor=current_user,
                now=utcnow(),
                expected=expected,
                leave_off=form.leave_off_ids(),
                confirmed=bool(form.confirm.data),
            )
            flash("Voting is open. The ballot is fixed.", "success")
            return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "confirm")
    unreviewed = rounds.unreviewed_proposals(db.session, funding_round)
    on_ballot = rounds.ballot_proposals(db.session, funding_round)
    pots = {p.id: p for p in funding_round.pots}
    by_pot = {p.id: [] for p in funding_round.pots}
    for p in on_ballot:
        by_pot[p.pot_id].append(p)
    form.expected.data = funding_round.phase.value
    form.leave_off.data = ",".join(str(p.id) for p in unreviewed)
    return render_template(
        "officers/open_voting.html",
        council=council,
        round=funding_round,
        form=form,
        problems=rounds.phase_change_problems(db.session, funding_round, Phase.VOTING),
        unreviewed=unreviewed,
        left_off=rounds.left_off_ballot(db.session, funding_round),
        ballot=[(pot, by_pot[pot.id]) for pot in funding_round.pots],
        pots=pots,
    )


def _not_now(title: str, body: str):
    return render_template("errors/error.html", title=title, body=body), 409


# --- Checking and publishing the results ---------------------------------------------------


def _closed_round_or_409(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    if funding_round.phase != Phase.CLOSED:
        published = funding_round.phase.index > Phase.CLOSED.index
        return (
            council,
            funding_round,
            _not_now(
                "The results are already published" if published else "Voting has not closed",
                "They are on the round's public page."
                if published
                else "The results can be checked once voting has closed and the votes are counted.",
            ),
        )
    return council, funding_round, None


@bp.route("/<slug>/rounds/<round_slug>/results/check")
@login_required
def check_results(slug: str, round_slug: str):
    council, funding_round, refusal = _closed_round_or_409(slug, round_slug)
    if refusal:
        return refusal
    return _check_page(council, funding_round, PublishForm(formdata=None))


def _check_page(council, funding_round, form):
    from app.workflow import publication

    checks = publication.check_round(db.session, funding_round)
    return render_template(
        "officers/check_results.html",
        council=council,
        round=funding_round,
        form=form,
        checks=checks,
        warnings=[w for c in checks for w in c.warnings],
        problems=rounds.phase_change_problems(db.session, funding_round, Phase.PUBLISHED),
        pots=[c.view for c in checks],
    )


@bp.route("/<slug>/rounds/<round_slug>/results/publish", methods=["POST"])
@login_required
def publish_results(slug: str, round_slug: str):
    council, funding_round, refusal = _closed_round_or_409(slug, round_slug)
    if refusal:
        return refusal
    form = PublishForm()
    if form.validate_on_submit():
        try:
            attempt(
                rounds.publish_results,
                funding_round,
                actor=current_user,
                now=utcnow(),
                confirmed=bool(form.confirm.data),
            )
            flash("The results are published", "success")
            return redirect(url_for(".round_overview", slug=slug, round_slug=round_slug))
        except DomainError as error:
            show_error(form, error, "confirm")
    return _check_page(council, funding_round, form)


@bp.route("/<slug>/rounds/<round_slug>/results/check/<int:pot_id>")
@login_required
def preview_pot(slug: str, round_slug: str, pot_id: int):
    """A pot's results page exactly as the public will see it once published."""
    from app.web.results import pot_page
    from app.workflow import results

    council, funding_round, refusal = _closed_round_or_409(slug, round_slug)
    if refusal:
        return refusal
    view = next(
        (
            results.pot_view(r)
            for r in results.results_for(db.session, funding_round)
            if r.pot_id == pot_id
        ),
        None,
    )
    if view is None:
        abort(404)
    flash(
        "Preview: this is how the page will look once the results are published. Nobody "
        "outside the council's officers can see it yet.",
        "important",
    )
    return pot_page(council, funding_round, view)
