"""Officers' pages for becoming eligible by address or in person: the council's address list
(gazetteer), the ways people become eligible (the council's and a round's), the queue of
registrations waiting for an officer, and registering someone in person. The work itself is
``app.workflow.registrations``."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.web import i18n
from app.web.extensions import db
from app.web.forms.registration import (
    DecisionForm,
    EligibilityForm,
    GazetteerForm,
    InPersonForm,
    RoundEligibilityForm,
)
from app.web.officers import bp, officer_council_or_403, officer_page, officer_round_or_404, tried
from app.web.presenters.formatting import number
from app.web.residents.registration import postcode_lookup
from app.web.views import answers_refusals, attempt, say, show_error
from app.workflow import eligibility
from app.workflow import registrations as registering
from app.workflow.clock import london_today
from ballots.errors import GazetteerInvalid, RegistrationRefused

M = "/<slug>/rounds/<round_slug>"


# --- The address list ----------------------------------------------------------------------


@bp.route("/<slug>/gazetteer", methods=["GET", "POST"])
@login_required
def gazetteer(slug: str):
    council = officer_council_or_403(slug)
    form = GazetteerForm()
    text = uploaded_text(form) if form.validate_on_submit() else None
    if text is None:
        return _gazetteer_page(council, form)
    try:
        imported = attempt(registering.import_gazetteer, council, actor=current_user, text=text)
    except GazetteerInvalid as error:
        form.gazetteer.errors = [_problems(len(error.problems))]
        problems = [(row, say(problem)) for row, problem in error.problems]
        return _gazetteer_page(council, form, problems)
    flash(_imported(imported), "success")
    return redirect(url_for("officers.gazetteer", slug=slug))


def uploaded_text(form: GazetteerForm) -> str | None:
    """The uploaded file's text, or None with the reason beside the file field."""
    upload = request.files.get("gazetteer")
    if upload is None or not upload.filename:
        form.gazetteer.errors = [_("Select a CSV file of the address list")]
        return None
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.gazetteer.errors = [_("The file must be a CSV file saved as UTF-8")]
        return None


def _problems(n: int) -> str:
    return ngettext(
        "The address list has %(count)s problem, listed below; nothing was changed. Correct "
        "the file and upload it again.",
        "The address list has %(count)s problems, listed below; nothing was changed. Correct "
        "the file and upload it again.",
        n,
        count=number(n),
    )


def _imported(imported) -> str:
    return _(
        "Address list uploaded: %(added)s added, %(updated)s updated, %(unchanged)s unchanged.",
        added=number(imported.added),
        updated=number(imported.updated),
        unchanged=number(imported.unchanged),
    )


def _gazetteer_page(council, form, row_problems=()):
    counts = registering.address_counts(db.session, council)
    return render_template(
        "officers/gazetteer.html",
        council=council,
        form=form,
        row_problems=list(row_problems),
        counts=counts,
        names=i18n.in_page_language_by_id([c.neighbourhood for c in counts], "name"),
        total=sum(c.addresses for c in counts),
    )


# --- The ways to become eligible -----------------------------------------------------------


@bp.route("/<slug>/eligibility", methods=["GET", "POST"])
@login_required
def eligibility_settings(slug: str):
    council = officer_council_or_403(slug)
    form = EligibilityForm()
    if not form.is_submitted():
        form.ways.data = list(eligibility.council_ways(council))
        form.per_address.data = council.registrations_per_address
    elif form.validate() and tried(
        form,
        "ways",
        registering.set_ways,
        council,
        ways=form.ways.data or [],
        per_address=form.per_address.data,
    ):
        flash(_("The ways to become eligible are saved."), "success")
        return redirect(url_for("officers.eligibility_settings", slug=slug))
    return render_template(
        "officers/eligibility.html", council=council, form=form, names=eligibility.WAY_NAMES
    )


@bp.route(M + "/eligibility", methods=["GET", "POST"])
@login_required
@answers_refusals
def round_eligibility(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = RoundEligibilityForm()
    if not form.is_submitted():
        own = funding_round.eligibility is not None
        form.which.data = "own" if own else "council"
        form.ways.data = list(eligibility.ways(council, funding_round))
    elif (
        eligibility.check_ways_open(funding_round) is None
        and form.validate()
        and tried(
            form,
            "which",
            registering.set_round_ways,
            funding_round,
            ways=None if form.which.data == "council" else form.ways.data or [],
        )
    ):
        flash(_("The round's ways to become eligible are saved."), "success")
        return redirect(request.path)
    return officer_page(
        "officers/round_eligibility.html",
        council,
        funding_round,
        form=form,
        council_ways=eligibility.council_ways(council),
        names=eligibility.WAY_NAMES,
        closed=eligibility.past_voting(funding_round),
    )


def _ways_open(funding_round) -> bool:
    """True while the round's ways may change; past voting, refused with its page (there is
    no form on it to show the refusal beside)."""
    eligibility.check_ways_open(funding_round)
    return True


# --- The queue of registrations waiting for an officer ---------------------------------


@bp.route("/<slug>/registrations", methods=["GET", "POST"])
@login_required
def registrations(slug: str):
    council = officer_council_or_403(slug)
    waiting = registering.queue(db.session, council)
    forms = {w.registration.id: _decision_form(w.registration.id, None) for w in waiting}
    form = None
    if request.method == "POST":
        chosen = request.form.get("registration", type=int)
        form = _decision_form(chosen, request.form)
        if form.validate() and _decided(council, chosen, form):
            return redirect(url_for("officers.registrations", slug=slug))
        forms[chosen] = form
    return render_template(
        "officers/registrations.html",
        council=council,
        waiting=waiting,
        forms=forms,
        form=form,
        total=registering.waiting(db.session, council),
        names=i18n.in_page_language_by_id(council.neighbourhoods, "name"),
    )


def _decision_form(registration_id: int | None, formdata) -> DecisionForm:
    if registration_id is None:
        abort(404)
    return DecisionForm(formdata=formdata, prefix=f"r{registration_id}")


def _decided(council, registration_id: int, form: DecisionForm) -> bool:
    """The officer's decision, taken (True, with what happened as a flash), or refused: True
    with why as a flash when there is nothing on the form to correct, False with the refusal
    beside its field. Another council's registration, or none, is not found."""
    today = london_today()
    try:
        if form.approve.data:
            entry = attempt(
                registering.approve, council, registration_id, actor=current_user, today=today
            )
            words = _("Approved: on the roll as %(reference)s.", reference=entry.reference)
            flash(words, "success")
        else:
            attempt(
                registering.refuse,
                council,
                registration_id,
                actor=current_user,
                reason=form.reason.data or "",
                today=today,
            )
            flash(_("Registration refused. The resident is shown your reason."), "success")
    except RegistrationRefused as error:
        if error.status == 404:
            abort(404)
        if error.field is None:  # decided already, or on the roll by now: nothing to correct
            flash(say(error), "important")
            return True
        show_error(form, error, "reason")
        return False
    return True


# --- Registering someone in person ---------------------------------------------------------

JUST_REGISTERED = "registered_in_person"


@bp.route(M + "/register-in-person", methods=["GET", "POST"])
@login_required
@answers_refusals
def register_in_person(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    event = registering.event_of(db.session, funding_round, request.args.get("event", type=int))
    lookup, addresses = postcode_lookup(council)
    hoods = i18n.in_page_language_by_id(council.neighbourhoods, "name")
    form = InPersonForm(addresses=addresses, neighbourhoods=[(i, str(n)) for i, n in hoods.items()])
    entry = form.validate_on_submit() and _registered(form, council, funding_round)
    if entry:
        return _after_in_person(council, funding_round, event, entry.reference)
    return officer_page(
        "officers/register_in_person.html",
        council,
        funding_round,
        form=form,
        lookup=lookup,
        addresses=addresses,
        event=event,
        reference=session.pop(JUST_REGISTERED, None) if request.method == "GET" else None,
        allowed=eligibility.allows(council, funding_round, "in_person"),
        closed=eligibility.past_voting(funding_round),
    )


def _registered(form: InPersonForm, council, funding_round):
    """The new roll entry, or None with the refusal beside its field."""
    address_id, neighbourhood_id = form.chosen()
    try:
        return attempt(
            registering.register_in_person,
            council,
            funding_round,
            actor=current_user,
            name=form.name.data,
            date_of_birth=form.date_of_birth.data,
            address_id=address_id,
            neighbourhood_id=neighbourhood_id,
            today=london_today(),
        )
    except RegistrationRefused as error:
        show_error(form, error, "name")
        return None


def _after_in_person(council, funding_round, event, reference: str):
    """To the event's desk with the new reference when the officer came from one (and that
    page exists); else back here, where the reference is shown once."""
    values = {"slug": council.slug, "round_slug": funding_round.slug}
    if event is not None and "officers.event_desk" in current_app.view_functions:
        return redirect(
            url_for("officers.event_desk", event_id=event.id, reference=reference, **values)
        )
    session[JUST_REGISTERED] = reference
    return redirect(url_for("officers.register_in_person", **values))
