"""The officers' desk for voting in the room at a general meeting: giving a member their voting
card at the door (checking them in), shown once as a code and a QR code; replacing a lost
card or taking one back; making a device one of the meeting's kiosks, and stopping one. The
work itself is ``app.workflow.governance.room``; the kiosk's own pages are ``room_kiosk``.

The meeting's own pages (its agenda, the chair's items) live elsewhere: a door page there can
give cards with ``room.give_card`` in place of ``meetings.check_in``, and show them with
``card_page``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.web import sessions
from app.web.extensions import db
from app.web.forms.events import ActionForm
from app.web.forms.room import CardDeskForm
from app.web.officers import tried
from app.web.officers.events import qr_svg
from app.web.organisations import run_or_403
from app.web.views import answers_refusals, attempt
from app.workflow import sign_ins
from app.workflow.clock import utcnow
from app.workflow.governance import meetings, room
from app.workflow.governance.models import MeetingState

bp = Blueprint("room", __name__)

ROOM = "/organisations/<int:organisation_id>/meetings/<int:meeting_id>/room"
MEETING_KIOSK = "meeting_kiosk"  # the session key a meeting kiosk's browser keeps its secret under


def _meeting_or_404(organisation_id: int, meeting_id: int):
    """The meeting, for the organisation's officers: 403 for anyone else, 404 for none."""
    organisation = run_or_403(organisation_id)
    meeting = meetings.find_meeting(db.session, organisation, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _to_desk(meeting):
    return redirect(
        url_for("room.desk", organisation_id=meeting.organisation_id, meeting_id=meeting.id),
        303,
    )


@bp.route(ROOM, methods=["GET", "POST"])
@login_required
@answers_refusals
def desk(organisation_id: int, meeting_id: int):
    meeting = _meeting_or_404(organisation_id, meeting_id)
    form = CardDeskForm()
    action = request.form.get("action", "give")
    done = form.validate_on_submit() and _card_step(form, meeting, action)
    if done and action == "revoke":
        number = done.value.member.member_number
        flash(_("Member %(number)s's voting card has been taken back.", number=number), "success")
        return _to_desk(meeting)
    if done:
        return card_page(meeting, done.value)
    return _desk_page(meeting, form)


def _card_step(form, meeting, action: str):
    """Give, replace or take back the member's card: ``Done``, or None with the refusal
    beside the member number."""
    kwargs = {"member_number": form.member_number.data, "now": utcnow()}
    if action == "revoke":
        return tried(form, "member_number", room.revoke_card, meeting, **kwargs)
    replace = action == "replace"
    return tried(form, "member_number", room.give_card, meeting, replace=replace, **kwargs)


def _desk_page(meeting, form, status: int = 200):
    return (
        render_template(
            "room/desk.html",
            meeting=meeting,
            organisation=meeting.organisation,
            council=meeting.organisation.council,
            form=form,
            action=ActionForm(),
            kiosks=room.kiosks_of(db.session, meeting),
            cards=room.cards_given(db.session, meeting),
            present=meetings.present_count(db.session, meeting),
            takes_cards=meeting.state in (MeetingState.NOTICE, MeetingState.OPEN),
        ),
        422 if form.errors else status,
    )


def card_page(meeting, card: room.Card):
    """The card, shown once, to print for the member; its code is never stored."""
    return render_template(
        "room/card.html",
        meeting=meeting,
        organisation=meeting.organisation,
        council=meeting.organisation.council,
        card=card,
        qr=qr_svg(card.code),
    )


@bp.route(ROOM + "/kiosk", methods=["POST"])
@login_required
@answers_refusals
def make_kiosk(organisation_id: int, meeting_id: int):
    """This device becomes one of the meeting's kiosks: the officer is signed out here, and the
    browser keeps only the kiosk's secret."""
    meeting = _meeting_or_404(organisation_id, meeting_id)
    if not ActionForm().validate_on_submit():
        return _to_desk(meeting)
    _kiosk, secret = attempt(room.open_kiosk, meeting, actor=current_user, now=utcnow())
    attempt(sign_ins.end_by_token, session.get("_user_id"), "kiosk", utcnow())
    logout_user()
    sessions.clear_cookie()
    session[MEETING_KIOSK] = secret
    return redirect(url_for("room_kiosk.start"), 303)


@bp.route(ROOM + "/kiosks/<int:kiosk_id>/stop", methods=["POST"])
@login_required
@answers_refusals
def stop_kiosk(organisation_id: int, meeting_id: int, kiosk_id: int):
    meeting = _meeting_or_404(organisation_id, meeting_id)
    if ActionForm().validate_on_submit():
        stopped = attempt(room.end_kiosk, meeting, kiosk_id, actor=current_user, now=utcnow())
        flash(_("%(kiosk)s has stopped.", kiosk=stopped.name), "success")
    return _to_desk(meeting)


__all__ = ["MEETING_KIOSK", "card_page"]
