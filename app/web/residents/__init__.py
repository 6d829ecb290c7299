"""Pages for a signed-in resident: their account, proposing, supporting and reporting."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from app.web import sessions
from app.web.auth import lifetime
from app.web.extensions import db, limiter
from app.web.forms import ChangePasswordForm, ConfirmForm
from app.web.views import attempt, show_error
from app.workflow import accounts, outbox, sign_ins, two_factor
from app.workflow.clock import utcnow
from app.workflow.errors import Refusal
from app.workflow.governance import meetings, motions
from app.workflow.models import Proposal, SignIn

bp = Blueprint("residents", __name__)

_ON = re.compile(r"(?P<browser>.+) on (?P<system>.+)")


def browser_words(summary: str | None) -> str:
    """A sign-in's browser in the page's language: the summary is kept in English ("Firefox on
    Windows", "A browser on Android", "An unknown browser"; ``sign_ins.browser_summary``), the
    names in it are the same in every language."""
    if not summary or summary == "An unknown browser":
        return _("An unknown browser")
    found = _ON.fullmatch(summary)
    if found is None:
        return summary
    if found["browser"] == "A browser":
        return _("A browser on %(system)s", system=found["system"])
    return _("%(browser)s on %(system)s", browser=found["browser"], system=found["system"])


@bp.route("/account/")
@login_required
def account():
    own = db.session.scalars(
        select(Proposal).where(Proposal.author_id == current_user.id).order_by(Proposal.id.desc())
    ).all()
    return render_template(
        "residents/account.html",
        user=current_user,
        proposals=own,
        sign_ins=sessions.active(current_user, utcnow()),
        browser=browser_words,
        idle=lifetime(int(sessions.idle_limit(current_user).total_seconds())),
        recovery_left=two_factor.recovery_codes_left(db.session, current_user)
        if current_user.two_factor_enrolled
        else 0,
        stopped=outbox.stopped_topics(db.session, current_user),
        topics=outbox.TOPICS,
        meetings=meetings.meetings_of_account(db.session, current_user, utcnow()),
        to_second=motions.waiting_for_account(db.session, current_user),
    )


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every sign-in of the account, this browser's included (a lost phone, a shared
    computer left signed in)."""
    if not ConfirmForm().validate_on_submit():
        flash(_("Nothing was changed: reload the page and try again"), "info")
        return redirect(url_for("residents.account"))
    ended = attempt(sign_ins.end_all, current_user, "everywhere", utcnow())
    logout_user()
    sessions.clear_cookie()
    flash(
        ngettext(
            "You have signed out everywhere: %(num)s session ended",
            "You have signed out everywhere: %(num)s sessions ended",
            ended,
        ),
        "success",
    )
    return redirect(url_for("auth.sign_in"))


def _password_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_limit, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        this = db.session.get(SignIn, current_user.sign_in_id)
        try:
            attempt(
                accounts.change_own_password,
                sessions.policy(),
                current_user,
                form.current_password.data,
                form.password.data,
                utcnow(),
                keep=this,
            )
        except Refusal as refused:
            show_error(form, refused, "current_password")
        else:
            flash(
                _(
                    "Your password has been changed. You are still signed in here; everywhere "
                    "else has been signed out."
                ),
                "success",
            )
            return redirect(url_for("residents.account"))
    return render_template("residents/change_password.html", form=form)


from app.web.residents import (  # noqa: E402,F401  (registers their routes)
    contact,
    messages,
    proposals,
    registration,
    voting,
)
