"""A kiosk at a decision-day event: a device an officer signed in for the event, which shows
only the ballot. A voter types or scans the token from their check-in slip, votes in each of
their pots, sees each receipt (and can print it), and the kiosk goes back to its start screen.

The browser keeps only the kiosk's secret (``session["kiosk"]``): who is voting, and when the
kiosk falls back to its start screen, are on the server (``kiosks``), so nothing of a voter is
left in the browser. Every page says it is private (no-store), works without JavaScript and,
after ``events.KIOSK_IDLE`` unused, returns to the start by itself (a meta refresh) while the
server forgets the voter. A kiosk's browser can reach no other page (``_only_the_kiosk``).
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
from app.web.forms.ballots import ConfirmForm, ballot_form, rule_problems
from app.web.forms.events import ActionForm, TokenForm
from app.web.kiosk_guard import keep_to_the_kiosk, kiosk_limit_key
from app.web.officers.events import KIOSK
from app.web.views import attempt, paper_texts, say
from app.workflow import events
from app.workflow.clock import london_today, utcnow
from app.workflow.errors import NotSaved
from ballots.errors import InvalidBallot
from ballots.refusals import Refusal
from votes.model import BallotKind

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")


def _token_limit() -> str:
    """Wrong tokens typed at one kiosk, counted in the limiter's storage (so across workers):
    with 40-bit tokens this keeps guessing hopeless. Only refused tokens count."""
    return current_app.config["KIOSK_WRONG_SLIP_LIMIT"]


# A kiosk's browser sees the kiosk's pages and static files, and nothing else.
bp.before_app_request(keep_to_the_kiosk(KIOSK, "kiosk"))
_kiosk_key = kiosk_limit_key(KIOSK)


def _kiosk():
    """The running kiosk of this browser, or None (the browser then forgets it was one)."""
    kiosk = events.kiosk_for(db.session, session.get(KIOSK))
    if kiosk is None:
        session.pop(KIOSK, None)
    return kiosk


def _stopped():
    return render_template("kiosk/stopped.html"), 410


def _voter(kiosk):
    voter = events.kiosk_voter(db.session, kiosk, now=utcnow(), today=london_today())
    db.session.commit()  # the kiosk's clock: used now, or back to its start
    return voter


def _page(template: str, kiosk, status: int = 200, **context):
    return (
        render_template(
            template,
            kiosk=kiosk,
            event=kiosk.event,
            round=kiosk.event.round,
            idle_seconds=int(events.KIOSK_IDLE.total_seconds()),
            refresh=template != "kiosk/start.html",
            **context,
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(
    _token_limit,
    key_func=_kiosk_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 422,
)
def start():
    kiosk = _kiosk()
    if kiosk is None:
        return _stopped()
    voter = _voter(kiosk)
    if voter is not None:
        return _to_ballot(voter.pots[0].id)
    form = TokenForm()
    voter = form.validate_on_submit() and _start_voter(kiosk, form)
    if voter:
        return _to_ballot(voter.pots[0].id)
    status = 422 if form.errors else 200
    is_open = events.is_open(kiosk.event, utcnow())
    return _page("kiosk/start.html", kiosk, status, form=form, is_open=is_open)


def _start_voter(kiosk, form):
    """The voter whose token was typed, or None with the reason beside the field."""
    try:
        return attempt(
            events.start_voter,
            kiosk,
            form.token.data,
            key=_key(),
            now=utcnow(),
            today=london_today(),
        )
    except Refusal as error:
        form.token.errors.append(say(error))
        return None


def _key() -> bytes:
    from app.web.residents.voting import code_key

    return code_key()


def _to_ballot(pot_id: int):
    return redirect(url_for("kiosk.ballot", pot_id=pot_id), 303)


def _back_to_start(message: str | None = None):
    if message:
        flash(message, "important")
    return redirect(url_for("kiosk.start"), 303)


def _in_pot(pot_id: int):
    """The kiosk, its voter and the pot, or a response sending the browser to the start."""
    kiosk = _kiosk()
    if kiosk is None:
        return None, _stopped()
    voter = _voter(kiosk)
    if voter is None:
        return None, _back_to_start(_("The kiosk went back to its start: enter your token again."))
    try:
        return (kiosk, voter, voter.pot(pot_id)), None
    except Refusal as error:
        return None, _back_to_start(say(error))


def _texts(voter, pot) -> dict:
    return paper_texts(voter.event.round, [p.id for p in pot.projects])


@bp.route("/ballot/<int:pot_id>", methods=["GET", "POST"])
def ballot(pot_id: int):
    found, answer = _in_pot(pot_id)
    if answer is not None:
        return answer
    kiosk, voter, pot = found
    form = ballot_form(voter.paper, pot)
    if request.method == "POST" and request.form.get("action", "continue") == "continue":
        if form.validate_on_submit():
            problems = rule_problems(form, voter.paper, pot)
            if not problems:
                return _page(
                    "kiosk/check.html",
                    kiosk,
                    **_ballot_context(voter, pot, form),
                    confirm=ConfirmForm(),
                    ballot=form.to_ballot(),
                )
            form.show_problems(problems)
    elif request.method == "POST":
        form.validate_on_submit()
    return _page("kiosk/ballot.html", kiosk, **_ballot_context(voter, pot, form))


def _ballot_context(voter, pot, form) -> dict:
    return {
        "voter": voter,
        "paper": voter.paper,
        "pot": pot,
        "form": form,
        "ballot_form": form,
        "totals": form.totals(),
        "kinds": BallotKind,
        **_texts(voter, pot),
    }


@bp.route("/ballot/<int:pot_id>/cast", methods=["POST"])
def cast(pot_id: int):
    found, answer = _in_pot(pot_id)
    if answer is not None:
        return answer
    kiosk, voter, pot = found
    form = ballot_form(voter.paper, pot)
    if not form.validate_on_submit():
        return _page("kiosk/ballot.html", kiosk, **_ballot_context(voter, pot, form))
    try:
        done = attempt(_cast_and_move_on, voter, pot, form.to_ballot())
    except InvalidBallot as error:
        form.show_problems(error.problems)
        return _page("kiosk/ballot.html", kiosk, 422, **_ballot_context(voter, pot, form))
    except NotSaved as error:
        return _back_to_start(say(error))
    except Refusal as error:
        return _back_to_start(say(error))
    cast_, left = done
    names = i18n.in_page_language_by_id(voter.event.round.pots, "name")
    return _page(
        "kiosk/receipt.html",
        kiosk,
        pot=pot,
        receipt=cast_,
        left=left,
        pot_names=names,
        action=ActionForm(),
    )


def _cast_and_move_on(db_session, voter, pot, ballot):
    """Cast, then: the pots still to vote in; when none, the kiosk forgets its voter."""
    cast_ = events.cast_at_kiosk(db_session, voter, pot, ballot, now=utcnow(), today=london_today())
    left = [p for p in voter.pots if p.id != pot.id]
    if not left:
        events.finish(voter.kiosk)
    return cast_, left


@bp.route("/still-here", methods=["POST"])
def still_here():
    """The voter asked for more time (kiosk.js): 204 while the kiosk still holds them, else
    205 (the page goes back to the start)."""
    kiosk = _kiosk()
    if kiosk is None:
        return _stopped()
    return ("", 204) if _voter(kiosk) is not None else ("", 205)


@bp.route("/done", methods=["POST"])
def done():
    kiosk = _kiosk()
    if kiosk is None:
        return _stopped()
    if ActionForm().validate_on_submit():
        events.finish(kiosk)
        db.session.commit()
    response = redirect(url_for("kiosk.start"), 303)
    response.delete_cookie(i18n.COOKIE)  # the next voter starts in the kiosk's own language
    return response
