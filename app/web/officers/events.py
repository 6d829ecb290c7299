"""Officers' pages for decision-day events: creating them, the check-in desk (with the token
printed as a code and a QR code drawn here), the event's kiosks, and closing its voting. The
work itself is ``app.workflow.events``."""

from __future__ import annotations

import io

import segno
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from markupsafe import Markup

from app.web import sessions
from app.web.extensions import db
from app.web.forms.events import ActionForm, CheckInForm, DeskSearchForm, event_form
from app.web.officers import bp, officer_round_or_404, tried
from app.web.residents.voting import code_key
from app.web.views import answers_refusals, attempt, refusal_page, say
from app.workflow import eligibility, events, sign_ins
from app.workflow.clock import in_london, london_today, utcnow
from app.workflow.events import EventNotFound
from app.workflow.models import Phase
from ballots.refusals import Refusal

M = "/<slug>/rounds/<round_slug>/events"
E = M + "/<int:event_id>"
KIOSK = "kiosk"  # the session key a kiosk's browser keeps its secret under


def _event_or_404(slug: str, round_slug: str, event_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    try:
        event = events.event_of(db.session, funding_round, event_id)
    except EventNotFound:
        abort(404)
    return council, funding_round, event


def _to_event(slug: str, round_slug: str, event_id: int, endpoint: str = ".event", **values):
    return redirect(
        url_for(endpoint, slug=slug, round_slug=round_slug, event_id=event_id, **values), 303
    )


@bp.route(M, methods=["GET", "POST"])
@login_required
def events_page(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = event_form(funding_round.pots, events.council_officers(db.session, council))
    done = form.validate_on_submit() and tried(
        form, "name", events.create_event, funding_round, **_event_fields(form)
    )
    if done:
        flash(_("Event created: %(name)s", name=done.value.name), "success")
        return _to_event(slug, round_slug, done.value.id)
    return _events_list(council, funding_round, form)


def _events_list(council, funding_round, form):
    return render_template(
        "officers/events.html",
        council=council,
        round=funding_round,
        form=form,
        events=events.events_of(db.session, funding_round),
        can_create=funding_round.phase.index <= Phase.VOTING.index,
    )


def _event_fields(form) -> dict:
    starts_at, ends_at = form.times()
    return {
        "name": form.name.data,
        "place": form.place.data,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "pot_ids": form.pots.data,
        "officer_ids": form.officers.data or [],
    }


@bp.route(E)
@login_required
def event(slug: str, round_slug: str, event_id: int):
    council, funding_round, found = _event_or_404(slug, round_slug, event_id)
    return render_template(
        "officers/event.html",
        council=council,
        round=funding_round,
        event=found,
        figures=events.figures(db.session, found),
        kiosks=events.kiosks_of(db.session, found),
        is_open=events.is_open(found, utcnow()),
        may_run_desk=events.may_run_desk(current_user, found),
        action=ActionForm(),
    )


@bp.route(E + "/desk", methods=["GET", "POST"])
@login_required
@answers_refusals
def event_desk(slug: str, round_slug: str, event_id: int):
    council, funding_round, found = _event_or_404(slug, round_slug, event_id)
    form = CheckInForm()
    if form.validate_on_submit():
        token = _check_in(found, form.entry.data)
        if token is not None:
            return _token_page(council, funding_round, found, token)
    search = DeskSearchForm(request.args, meta={"csrf": False})
    query = request.args.get("q") or request.args.get("reference") or ""
    search.q.data = query
    rows = events.desk_search(db.session, found, query) if query else []
    return _desk_page(council, funding_round, found, search, rows, form)


def _check_in(found, entry: str):
    """Check the person in; None (with the refusal flashed) when refused."""
    if not (entry or "").isdigit():
        flash(_("Choose the person to check in from the list."), "important")
        return None
    try:
        return attempt(
            events.check_in,
            found,
            int(entry),
            actor=current_user,
            key=code_key(),
            now=utcnow(),
            today=london_today(),
        )
    except Refusal as error:
        flash(say(error), "important")
        return None


def _desk_page(council, funding_round, found, search, rows, form):
    return render_template(
        "officers/event_desk.html",
        council=council,
        round=funding_round,
        event=found,
        search=search,
        rows=rows,
        form=form,
        action=ActionForm(),
        is_open=events.is_open(found, utcnow()),
        may_run_desk=events.may_run_desk(current_user, found),
        register_in_person=_register_link(council, funding_round, found),
    )


def _register_link(council, funding_round, found) -> str | None:
    """Where the desk registers someone not on the roll, when the round allows it."""
    endpoint = "officers.register_in_person"
    if endpoint not in current_app.view_functions:
        return None
    if not eligibility.allows(council, funding_round, "in_person"):
        return None
    return url_for(endpoint, slug=council.slug, round_slug=funding_round.slug, event=found.id)


def qr_svg(text: str) -> Markup:
    """A QR code of ``text``, drawn here as inline SVG (no request leaves the server)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=6, xmldecl=False, svgns=True, title=text, svgclass="devolve-qr"
    )
    return Markup(out.getvalue().decode())  # noqa: S704  (segno's own SVG)


def _token_page(council, funding_round, found, token: events.Token):
    """The token, shown once, to print for the voter; never stored."""
    return render_template(
        "officers/event_token.html",
        council=council,
        round=funding_round,
        event=found,
        token=token,
        qr=qr_svg(token.code),
    )


@bp.route(E + "/check-ins/<check_in_id>/token", methods=["POST"])
@login_required
@answers_refusals
def event_new_token(slug: str, round_slug: str, event_id: int, check_in_id: str):
    council, funding_round, found = _event_or_404(slug, round_slug, event_id)
    if not ActionForm().validate_on_submit():
        return _to_event(slug, round_slug, event_id, ".event_desk")
    token = attempt(
        events.new_token_for,
        found,
        check_in_id,
        actor=current_user,
        key=code_key(),
        now=utcnow(),
        today=london_today(),
    )
    return _token_page(council, funding_round, found, token)


@bp.route(E + "/check-ins/<check_in_id>/release", methods=["POST"])
@login_required
@answers_refusals
def event_release(slug: str, round_slug: str, event_id: int, check_in_id: str):
    _council, _round, found = _event_or_404(slug, round_slug, event_id)
    if ActionForm().validate_on_submit():
        entry = attempt(events.release, found, check_in_id, actor=current_user)
        flash(_("%(reference)s is no longer checked in.", reference=entry.reference), "success")
    return _to_event(slug, round_slug, event_id, ".event_desk")


@bp.route(E + "/close", methods=["POST"])
@login_required
@answers_refusals
def event_close(slug: str, round_slug: str, event_id: int):
    _council, _round, found = _event_or_404(slug, round_slug, event_id)
    if ActionForm().validate_on_submit():
        attempt(events.close_event, found, actor=current_user, now=utcnow())
        flash(_("Voting at %(event)s is closed.", event=found.name), "success")
    return _to_event(slug, round_slug, event_id)


@bp.route(E + "/kiosks/<int:kiosk_id>/stop", methods=["POST"])
@login_required
@answers_refusals
def event_kiosk_stop(slug: str, round_slug: str, event_id: int, kiosk_id: int):
    _council, _round, found = _event_or_404(slug, round_slug, event_id)
    if ActionForm().validate_on_submit():
        kiosk = attempt(events.end_kiosk, found, kiosk_id, actor=current_user, now=utcnow())
        flash(_("%(kiosk)s has stopped.", kiosk=kiosk.name), "success")
    return _to_event(slug, round_slug, event_id)


@bp.route(E + "/kiosk", methods=["POST"])
@login_required
@answers_refusals
def event_kiosk(slug: str, round_slug: str, event_id: int):
    """This device becomes one of the event's kiosks: the officer is signed out here, and the
    browser keeps only the kiosk's secret."""
    _council, _round, found = _event_or_404(slug, round_slug, event_id)
    if not ActionForm().validate_on_submit():
        return _to_event(slug, round_slug, event_id)
    _kiosk, secret = attempt(events.open_kiosk, found, actor=current_user, now=utcnow())
    attempt(sign_ins.end_by_token, session.get("_user_id"), "kiosk", utcnow())
    logout_user()
    sessions.clear_cookie()
    session[KIOSK] = secret
    return redirect(url_for("kiosk.start"), 303)


def london_time(value) -> str:
    return in_london(value).strftime("%H:%M")


__all__ = ["KIOSK", "qr_svg", "refusal_page"]
