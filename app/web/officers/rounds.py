"""Opening a round, its budget and pots, schedule, voting configuration and phase changes."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web import i18n, notices
from app.web.extensions import db
from app.web.forms.rounds import (
    ExtendVotingForm,
    MergePotForm,
    OpenVotingForm,
    PhaseForm,
    PotsForm,
    PublishForm,
    VotingForm,
    details_form,
    new_round_form,
    schedule_form_class,
    with_neighbourhoods,
)
from app.web.officers import (
    answer,
    bp,
    officer_council_or_403,
    officer_page,
    officer_round_or_404,
    to_round,
    tried,
)
from app.web.presenters.methods import (
    describe_ballot,
    describe_eligibility,
    describe_ranked_scoring,
    describe_rule,
    describe_tie_break,
)
from app.web.presenters.phases import what_happens_next
from app.web.presenters.secrecy import stage_words
from app.web.views import attempt, say, show_error
from app.workflow import results, rounds, secrecy
from app.workflow.clock import utcnow
from app.workflow.errors import DomainError
from app.workflow.models import Council, FundingRound, Phase, SplitMethod
from ballots.refusals import N_

R = "/<slug>/rounds/<round_slug>"


def _planned(form, council) -> rounds.PotPlan | None:
    """The pots a valid form asks for, or None (a refusal then beside its field)."""
    if not form.validate_on_submit():
        return None
    try:
        return rounds.plan_pots(
            council,
            total_pence=form.total_budget.data,
            method=SplitMethod(form.method.data),
            council_wide_pence=form.council_wide.data,
            explicit=form.explicit_amounts(),
            council_wide_names=i18n.in_languages(
                rounds.COUNCIL_WIDE_NAME, council.spoken_languages
            ),
        )
    except DomainError as error:
        show_error(form, error, "total_budget")
        return None


@bp.route("/<slug>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(slug: str):
    council = officer_council_or_403(slug)
    form = new_round_form(council)
    plan = _planned(form, council)
    if plan is not None and not form.preview.data:
        done = tried(
            form, form.first("title"), rounds.create_round, council, **form.texts(), plan=plan
        )
        if done:
            title = i18n.in_page_language(done.value, "title").text
            flash(_("“%(title)s” is open as a draft", title=title), "success")
            return to_round(slug, done.value.slug)
        plan = None
    return render_template("officers/new_round.html", council=council, form=form, plan=plan)


@bp.route(R)
@login_required
def round_overview(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    return officer_page("officers/round.html", council, funding_round, **_overview(funding_round))


def _overview(funding_round: FundingRound) -> dict:
    target = rounds.next_phase(funding_round)
    return {
        "next_phase": target,
        "previous_phase": rounds.previous_phase(funding_round),
        "problems": (
            [say(p) for p in rounds.phase_change_problems(db.session, funding_round, target)]
            if target
            else []
        ),
        "next_text": what_happens_next(funding_round),
        "move_failure": rounds.scheduled_move_failure(db.session, funding_round),
        "descriptions": rounds.PHASE_DESCRIPTIONS,
        "phases": rounds.phases_of(funding_round),
        "first_day": rounds.first_day,
        "last_day": rounds.last_day,
        "ballot_text": describe_ballot(funding_round),
        "rule_text": describe_rule(funding_round.rule),
        "scoring_text": describe_ranked_scoring(funding_round),
        "tie_text": describe_tie_break(funding_round.tie_break),
        "eligibility_text": describe_eligibility(funding_round),
        "phase_form": PhaseForm(),
        "encryption_text": stage_words(secrecy.status(db.session, funding_round)),
        # Once voting has closed: the round's ballots by channel (None before).
        "channels": results.turnout_by_channel(db.session, funding_round).get(None),
    }


@bp.route(R + "/phase", methods=["POST"])
@login_required
def change_phase(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = PhaseForm()
    phases = form.phases() if form.validate_on_submit() else None
    if phases is None:
        flash(_("Choose a phase using the buttons on this page"), "error")
    else:
        _move(funding_round, *phases)
    return to_round(slug, round_slug)


def _move(funding_round: FundingRound, target: Phase, expected: Phase) -> None:
    """Move the round to ``target`` (from ``expected``), and flash what happened."""
    try:
        attempt(
            rounds.change_phase,
            funding_round,
            target=target,
            expected=expected,
            actor=current_user,
            now=utcnow(),
        )
    except DomainError as error:
        flash(say(error), "error")
        return
    if target == Phase.CLOSED:
        notices.send_fingerprints(funding_round)
    flash(_("The round is now in %(phase)s", phase=_(target.label).lower()), "success")


@bp.route(R + "/details", methods=["GET", "POST"])
@login_required
def edit_details(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = details_form(council, funding_round)
    if form.validate_on_submit() and tried(
        form, form.first("title"), rounds.update_details, funding_round, **form.texts()
    ):
        flash(_("The round's details are saved"), "success")
        return to_round(slug, round_slug)
    return officer_page("officers/edit_details.html", council, funding_round, form=form)


@bp.route(R + "/pots", methods=["GET", "POST"])
@login_required
def edit_pots(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form_class = with_neighbourhoods(PotsForm, council.neighbourhoods)
    form = form_class(data=_pots_data(funding_round)) if request.method == "GET" else form_class()
    plan = _planned(form, council)
    if plan is not None and not form.preview.data:
        if tried(form, "total_budget", rounds.replace_pots, funding_round, plan=plan):
            flash(_("The budget and pots are saved"), "success")
            return to_round(slug, round_slug)
        plan = None
    return officer_page("officers/edit_pots.html", council, funding_round, form=form, plan=plan)


def _pots_data(funding_round: FundingRound) -> dict:
    """The pots form filled in with the round's budget and pots as they are."""
    data = {
        "total_budget": funding_round.total_budget_pence,
        "method": funding_round.split_method.value,
    }
    for pot in funding_round.pots:
        if pot.neighbourhood_id is not None:
            data[f"pot_{pot.neighbourhood_id}"] = pot.budget_pence
        elif funding_round.split_method != SplitMethod.COUNCIL:
            data["council_wide"] = pot.budget_pence
    return data


@bp.route(R + "/pots/merge", methods=["GET", "POST"])
@login_required
def merge_pots(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    pots = sorted(funding_round.pots, key=lambda p: (p.position, p.id))
    form = MergePotForm(choices=[(str(p.id), i18n.in_page_language(p, "name").text) for p in pots])
    done = form.validate_on_submit() and tried(
        form, "source", rounds.merge_pot, funding_round, **form.arguments()
    )
    if done:
        flash(
            _(
                "The pots are merged: %(pot)s now has the budget and proposals",
                pot=i18n.in_page_language(done.value, "name").text,
            ),
            "success",
        )
        return to_round(slug, round_slug, ".edit_pots")
    counts = {p.id: len([x for x in funding_round.proposals if x.pot_id == p.id]) for p in pots}
    return officer_page(
        "officers/merge_pots.html", council, funding_round, form=form, pots=pots, counts=counts
    )


@bp.route(R + "/schedule", methods=["GET", "POST"])
@login_required
def edit_schedule(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    if funding_round.is_frozen:
        return _extend_voting(council, funding_round)
    form_class = schedule_form_class()
    form = (
        form_class(data=_schedule_data(funding_round)) if request.method == "GET" else form_class()
    )
    if form.validate_on_submit() and tried(
        form,
        "proposals_start",
        rounds.set_schedule,
        funding_round,
        days=_schedule_days(form),
        reminder_days=form.reminder_days.data,
    ):
        flash(_("The schedule is saved"), "success")
        return to_round(slug, round_slug)
    return officer_page(
        "officers/edit_schedule.html",
        council,
        funding_round,
        form=form,
        phases=rounds.SCHEDULED_PHASES,
    )


def _schedule_data(funding_round: FundingRound) -> dict:
    """The schedule form filled in with the round's days as they are."""
    data = {"reminder_days": funding_round.reminder_days}
    for d in funding_round.phase_dates:
        data[f"{d.phase.value}_start"] = rounds.first_day(d)
        data[f"{d.phase.value}_end"] = rounds.last_day(d)
    return data


def _schedule_days(form) -> dict:
    """Each scheduled phase's first and last day, as the form gives them."""
    return {
        phase: (form[f"{phase.value}_start"].data, form[f"{phase.value}_end"].data)
        for phase in rounds.SCHEDULED_PHASES
    }


def _extend_voting(council, funding_round):
    """Once voting has opened the schedule is fixed: the page offers only a later close."""
    form = ExtendVotingForm()
    if form.validate_on_submit() and tried(
        form, "voting_end", rounds.extend_voting, funding_round, now=utcnow(), **form.arguments()
    ):
        flash(_("Voting is extended. The round's public page says so."), "success")
        return to_round(council.slug, funding_round.slug)
    return officer_page(
        "officers/extend_voting.html",
        council,
        funding_round,
        form=form,
        phases=[p for p in rounds.phases_of(funding_round) if p != Phase.DRAFT],
        first_day=rounds.first_day,
        last_day=rounds.last_day,
    )


@bp.route(R + "/voting", methods=["GET", "POST"])
@login_required
def edit_voting(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    get = request.method == "GET"
    form = VotingForm(data=rounds.voting_config(funding_round)) if get else VotingForm()
    if form.validate_on_submit() and tried(
        form, "ballot_kind", rounds.configure_voting, funding_round, config=form.config()
    ):
        flash(_("The voting configuration is saved"), "success")
        return to_round(slug, round_slug)
    return officer_page(
        "officers/edit_voting.html",
        council,
        funding_round,
        form=form,
        Phase=Phase,
        scoring_text=describe_ranked_scoring(funding_round),
    )


# --- Opening voting -----------------------------------------------------------------------


@bp.route(R + "/open-voting", methods=["GET", "POST"])
@login_required
def open_voting(slug: str, round_slug: str):
    """Before voting opens: what will be on the ballot, what will not (proposals not yet
    reviewed first, to confirm), and anything that stops it opening."""
    council, funding_round = officer_round_or_404(slug, round_slug)
    if rounds.next_phase(funding_round) != Phase.VOTING:
        _voting_cannot_open(funding_round)
    form = OpenVotingForm()
    if form.validate_on_submit() and tried(
        form, "confirm", _open_voting, funding_round, form.expected_phase(), form
    ):
        flash(_("Voting is open. The ballot is fixed."), "success")
        return to_round(slug, round_slug)
    return officer_page(
        "officers/open_voting.html",
        council,
        funding_round,
        form=form,
        **_ballot_preview(funding_round, form),
    )


def _voting_cannot_open(funding_round: FundingRound) -> NoReturn:
    phase = _(funding_round.phase.label).lower()
    _not_now(
        _("Voting cannot be opened now"),
        _("This round is in %(phase)s: voting opens after supports.", phase=phase)
        if funding_round.supports_enabled
        else _("This round is in %(phase)s: voting opens after review.", phase=phase),
    )


def _open_voting(
    session, funding_round: FundingRound, expected: Phase | None, form, *, actor
) -> None:
    """Open voting from the form's phase, leaving off the proposals it lists."""
    if expected is None:
        raise DomainError(N_("Open voting with the button on this page"), "confirm")
    rounds.open_voting(
        session,
        funding_round,
        actor=actor,
        now=utcnow(),
        expected=expected,
        leave_off=form.leave_off_ids(),
        confirmed=bool(form.confirm.data),
    )


def _ballot_preview(funding_round: FundingRound, form) -> dict:
    """What the open-voting page shows: the ballot by pot, what is left off and why, and the
    unreviewed proposals the form will leave off (written into its hidden fields)."""
    unreviewed = rounds.unreviewed_proposals(db.session, funding_round)
    by_pot = {p.id: [] for p in funding_round.pots}
    for p in rounds.ballot_proposals(db.session, funding_round):
        by_pot[p.pot_id].append(p)
    form.expected.data = funding_round.phase.value
    form.leave_off.data = ",".join(str(p.id) for p in unreviewed)
    return {
        "problems": [
            say(p) for p in rounds.phase_change_problems(db.session, funding_round, Phase.VOTING)
        ],
        "unreviewed": unreviewed,
        "left_off": [(p, say(why)) for p, why in rounds.left_off_ballot(db.session, funding_round)],
        "ballot": [(pot, by_pot[pot.id]) for pot in funding_round.pots],
        "pots": {p.id: p for p in funding_round.pots},
    }


def _not_now(title: str, body: str) -> NoReturn:
    answer(render_template("errors/error.html", title=title, body=body), 409)


# --- Checking and publishing the results ---------------------------------------------------


def _closed_round_or_409(slug: str, round_slug: str) -> tuple[Council, FundingRound]:
    """The round, for its officers, once voting has closed and before the results are
    published; otherwise a 409 page saying which."""
    council, funding_round = officer_round_or_404(slug, round_slug)
    if funding_round.phase.index > Phase.CLOSED.index:
        _not_now(_("The results are already published"), _("They are on the round's public page."))
    if funding_round.phase != Phase.CLOSED:
        _not_now(
            _("Voting has not closed"),
            _("The results can be checked once voting has closed and the votes are counted."),
        )
    return council, funding_round


@bp.route(R + "/results/check")
@login_required
def check_results(slug: str, round_slug: str):
    council, funding_round = _closed_round_or_409(slug, round_slug)
    return _check_page(council, funding_round, PublishForm(formdata=None))


def _check_page(council, funding_round, form):
    from app.web.presenters.results import warning_text
    from app.web.results import result_texts
    from app.workflow import publication

    checks = publication.check_round(db.session, funding_round)
    return officer_page(
        "officers/check_results.html",
        council,
        funding_round,
        form=form,
        checks=checks,
        warnings=[warning_text(w) for c in checks for w in c.warnings],
        problems=[
            say(p) for p in rounds.phase_change_problems(db.session, funding_round, Phase.PUBLISHED)
        ],
        pots=[c.view for c in checks],
        **result_texts(funding_round, [c.view for c in checks]),
    )


@bp.route(R + "/results/publish", methods=["POST"])
@login_required
def publish_results(slug: str, round_slug: str):
    council, funding_round = _closed_round_or_409(slug, round_slug)
    form = PublishForm()
    if form.validate_on_submit() and tried(
        form, "confirm", rounds.publish_results, funding_round, now=utcnow(), **form.arguments()
    ):
        flash(_("The results are published"), "success")
        _build_open_data(funding_round)
        return to_round(slug, round_slug)
    return _check_page(council, funding_round, form)


def _build_open_data(funding_round) -> None:
    """The published round's open data files, built now (a few tens of milliseconds a pot) so
    no visitor's request builds them; a failure here only leaves them to be built when asked."""
    from app.web.open_data import store
    from app.workflow import open_data

    try:
        open_data.build_round(db.session, funding_round, store())
    except Exception:  # noqa: BLE001 - publishing has happened; the files can wait
        current_app.logger.exception("open data: could not build round %s", funding_round.id)


@bp.route(R + "/results/check/<int:pot_id>")
@login_required
def preview_pot(slug: str, round_slug: str, pot_id: int):
    """A pot's results page exactly as the public will see it once published."""
    from app.web.results import pot_page

    council, funding_round = _closed_round_or_409(slug, round_slug)
    view = _pot_view_or_404(funding_round, pot_id)
    flash(
        _(
            "Preview: this is how the page will look once the results are published. Nobody "
            "outside the council's officers can see it yet."
        ),
        "important",
    )
    return pot_page(council, funding_round, view)


def _pot_view_or_404(funding_round: FundingRound, pot_id: int):
    from app.workflow import results

    for r in results.results_for(db.session, funding_round):
        if r.pot_id == pot_id:
            return results.pot_view(r)
    abort(404)
