"""A kiosk at a general meeting: a device an officer of the organisation signed in for the
meeting (``room.open_kiosk``), which shows only the ballot of the item open now: for, against
or abstain on a motion, or the member's own constituency's candidates to number in an
election. A member types or scans their voting card, votes, checks their vote, sees their
receipt once (and can print it), and the kiosk goes back to its start screen.

Built as the event kiosk is (``app.web.kiosk``): the browser keeps only the kiosk's secret
(``session["meeting_kiosk"]``); the card in use, and when the kiosk falls back to its start,
are on the server (``meeting_kiosks``), so nothing of the member is left in the browser.
Every page is private (no-store), works without JavaScript and, after ``KIOSK_IDLE`` unused,
returns to the start by itself (kiosk.js warns first and offers more time; without JavaScript
a refresh inside ``noscript``) while the server forgets the card. Wrong card codes are
limited per kiosk. A kiosk's browser can reach no other page (``_only_the_kiosk``).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from app.web import i18n
from app.web.extensions import db, limiter
from app.web.forms.ballots import ConfirmForm
from app.web.forms.elections import ballot_form
from app.web.forms.events import ActionForm
from app.web.forms.room import CardForm, MotionBallotForm
from app.web.kiosk_guard import keep_to_the_kiosk, kiosk_limit_key
from app.web.room import MEETING_KIOSK
from app.web.views import attempt, say, show_error
from app.workflow.clock import utcnow
from app.workflow.errors import DomainError
from app.workflow.events import KIOSK_IDLE
from app.workflow.governance import room
from app.workflow.governance.models import ItemKind
from ballots.refusals import Refusal

bp = Blueprint("room_kiosk", __name__, url_prefix="/meeting-kiosk")


def _card_limit() -> str:
    """Wrong card codes typed at one kiosk, counted in the limiter's storage (so across
    workers); with 80-bit codes this keeps guessing hopeless. Only wrong codes count."""
    return current_app.config["KIOSK_WRONG_SLIP_LIMIT"]


# A meeting kiosk's browser sees the kiosk's pages and static files, and nothing else.
bp.before_app_request(keep_to_the_kiosk(MEETING_KIOSK, "room_kiosk"))
_kiosk_key = kiosk_limit_key(MEETING_KIOSK)


def _kiosk():
    """The running kiosk of this browser, or None (the browser then forgets it was one)."""
    kiosk = room.kiosk_for(db.session, session.get(MEETING_KIOSK))
    if kiosk is None:
        session.pop(MEETING_KIOSK, None)
    return kiosk


def _stopped():
    return render_template("room_kiosk/stopped.html"), 410


def _member(kiosk):
    member = room.kiosk_member(db.session, kiosk, now=utcnow())
    db.session.commit()  # the kiosk's clock: used now, or back to its start
    return member


def _page(template: str, kiosk, status: int = 200, **context):
    return (
        render_template(
            f"room_kiosk/{template}.html",
            kiosk=kiosk,
            meeting=kiosk.meeting,
            organisation=kiosk.meeting.organisation,
            idle_seconds=int(KIOSK_IDLE.total_seconds()),
            refresh=template != "start",
            kiosk_blueprint="room_kiosk",
            **context,
        ),
        status,
    )


def _to_ballot(member):
    return redirect(url_for("room_kiosk.ballot", item_id=member.item.id), 303)


def _back_to_start(message: str | None = None):
    if message:
        flash(message, "important")
    return redirect(url_for("room_kiosk.start"), 303)


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(
    _card_limit,
    key_func=_kiosk_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 422,
)
def start():
    kiosk = _kiosk()
    if kiosk is None:
        return _stopped()
    member = _member(kiosk)
    if member is not None and member.item is not None:
        return _to_ballot(member)
    if member is not None:  # voting on its item closed meanwhile: the kiosk lets go
        room.finish(kiosk)
        db.session.commit()
    form = CardForm()
    status = 200
    if form.validate_on_submit():
        member, status = _start_member(kiosk, form)
        if member is not None:
            return _to_ballot(member)
    status = 422 if form.errors and status == 200 else status
    return _page("start", kiosk, status, form=form)


def _start_member(kiosk, form):
    """The member whose card was typed, or None and the status with the reason beside the
    field (422 for a wrong card, which the limit counts; 409 for nothing to vote on)."""
    try:
        return attempt(room.start_member, kiosk, form.card.data, now=utcnow()), 200
    except Refusal as error:
        form.card.errors.append(say(error))
        return None, error.status


def _at_item(item_id: int):
    """The kiosk, its member and the item, or a response sending the browser to the start."""
    kiosk = _kiosk()
    if kiosk is None:
        return None, _stopped()
    member = _member(kiosk)
    if member is None:
        return None, _back_to_start(
            _("The kiosk went back to its start: enter your voting card again.")
        )
    try:
        return (kiosk, member, member.ballot(item_id)), None
    except Refusal as error:
        room.finish(kiosk)
        db.session.commit()
        return None, _back_to_start(say(error))


def _ballot_form(member, item):
    """The item's ballot: for, against or abstain on a motion; in an election, a number box
    for each candidate of the member's constituency, in ballot order. With its constituency
    (None for a motion)."""
    if item.kind is not ItemKind.ELECTION:
        return MotionBallotForm(), None
    place = room.place_at_kiosk(db.session, member).constituency
    return ballot_form(place["candidates"]), place


def _first_box(form, place) -> str:
    return "choice" if place is None else f"c{place['candidates'][0]['id']}"


@bp.route("/ballot/<int:item_id>", methods=["GET", "POST"])
def ballot(item_id: int):
    found, answer = _at_item(item_id)
    if answer is not None:
        return answer
    kiosk, member, item = found
    form, place = _ballot_form(member, item)
    if request.form.get("action") != "edit" and form.validate_on_submit():
        if place is None:
            return _page("check", kiosk, item=item, choice=form.choice, confirm=ConfirmForm())
        try:
            ranking = room.ranking_at_kiosk(db.session, member, form.numbers())
        except DomainError as error:
            show_error(form, error, _first_box(form, place))
        else:
            names = {c["id"]: c["name"] for c in place["candidates"]}
            return _page(
                "check",
                kiosk,
                item=item,
                place=place,
                ranking=[names[c] for c in ranking],
                numbers=form.numbers(),
                confirm=ConfirmForm(),
            )
    status = 422 if form.errors else 200
    return _page("ballot", kiosk, status, item=item, form=form, place=place)


@bp.route("/ballot/<int:item_id>/cast", methods=["POST"])
def cast(item_id: int):
    found, answer = _at_item(item_id)
    if answer is not None:
        return answer
    kiosk, member, item = found
    form, place = _ballot_form(member, item)
    if not form.validate_on_submit():
        return _page("ballot", kiosk, 422, item=item, form=form, place=place)
    vote = {"choice": form.choice.data} if place is None else {"numbers": form.numbers()}
    try:
        done = attempt(room.cast_at_kiosk, member, item.id, now=utcnow(), **vote)
    except DomainError as error:
        show_error(form, error, _first_box(form, place))
        return _page("ballot", kiosk, 422, item=item, form=form, place=place)
    except Refusal as error:
        return _back_to_start(say(error))
    return _page("receipt", kiosk, item=item, receipt=done, action=ActionForm())


@bp.route("/still-here", methods=["POST"])
def still_here():
    """The member asked for more time (kiosk.js): 204 while the kiosk still holds their card,
    else 205 (the page goes back to the start)."""
    kiosk = _kiosk()
    if kiosk is None:
        return _stopped()
    return ("", 204) if _member(kiosk) is not None else ("", 205)


@bp.route("/done", methods=["POST"])
def done():
    kiosk = _kiosk()
    if kiosk is None:
        return _stopped()
    if ActionForm().validate_on_submit():
        room.finish(kiosk)
        db.session.commit()
    response = redirect(url_for("room_kiosk.start"), 303)
    response.delete_cookie(i18n.COOKIE)  # the next member starts in the kiosk's own language
    return response
