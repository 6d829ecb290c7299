"""Two-factor sign-in pages: proving a code after the password, setting up an authenticator
(from a QR code drawn here as SVG: no third-party service, no JavaScript), and recovery codes.
The rules for codes are ``app.workflow.two_factor``.
"""

from __future__ import annotations

from datetime import datetime

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask import session as cookie
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from app.web import sessions
from app.web.extensions import db, limiter
from app.web.forms import ConfirmForm, SetUpTwoFactorForm, TwoFactorForm
from app.web.views import attempt, say
from app.workflow import sign_ins
from app.workflow.clock import utcnow
from app.workflow.models import SignIn, User
from app.workflow.two_factor import (
    CodeRefused,
    enrol,
    grouped,
    issue_recovery_codes,
    prove_sign_in,
    provisioning_uri,
    recovery_codes_left,
    start_enrolment,
)

bp = Blueprint("two_factor", __name__, url_prefix="/auth/two-factor")

PENDING = "pending_sign_in"
PENDING_USER = "pending_user"
PENDING_NEXT = "pending_next"
NEW_CODES = "new_recovery_codes"


# -- the codes ---------------------------------------------------------------------------------


def qr_svg(uri: str) -> Markup:
    """The QR code of an otpauth:// address, as inline SVG with a text alternative."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, title=_("QR code for your authenticator app"), dark="#0b0c0c"
    )
    # segno draws only paths from the address's bits, and the title above: nothing a visitor
    # typed reaches this markup (the address is built from our secret and the account's email,
    # which segno encodes into the path, never into text).
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S704


# -- signing in ---------------------------------------------------------------------------------


def _log_in(user: User, token: str, sign_in: SignIn) -> None:
    user.sign_in_token = token
    user.sign_in_id = sign_in.id
    login_user(user)


def begin(user: User, next_url: str | None):
    """After a correct password: sign in, or wait for the second factor (or its set-up).
    The caller has checked the password; this commits."""
    now = utcnow()
    logout_user()  # whoever this browser was signed in as (their sign-in ended already)
    sessions.clear_cookie()  # nothing from before the sign-in carries over (no fixation)
    token, sign_in = sessions.start(user, two_factor=False, now=now)
    if not user.needs_two_factor:
        _log_in(user, token, sign_in)
        flash(_("Signed in as %(name)s", name=user.display_name), "success")
        return redirect(next_url or url_for("public.home"))
    cookie[PENDING] = token
    cookie[PENDING_USER] = user.id
    if next_url:
        cookie[PENDING_NEXT] = next_url
    if user.two_factor_enrolled:
        return redirect(url_for("two_factor.prove"))
    flash(_("You need to set up two-factor sign-in before you continue"), "info")
    return redirect(url_for("two_factor.set_up"))


def _pending(now: datetime) -> SignIn | None:
    sign_in = sign_ins.pending(db.session, cookie.get(PENDING), now)
    if sign_in is None or sign_in.user_id != cookie.get(PENDING_USER):
        return None
    return sign_in


def _finish(sign_in: SignIn, now: datetime) -> str | None:
    """Sign in the browser whose second factor was just proven (and recorded); where to go
    next."""
    token = cookie.pop(PENDING)
    cookie.pop(PENDING_USER, None)
    next_url = cookie.pop(PENDING_NEXT, None)
    _log_in(sign_in.user, token, sign_in)
    return next_url


def _account_key() -> str:
    """Whose second factor a request tries: limited per account, whatever the address."""
    who = cookie.get(PENDING_USER)
    if who is None and current_user.is_authenticated:
        who = current_user.id
    return f"two-factor:{who or 'nobody'}"


def _address_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["TWO_FACTOR_ACCOUNT_RATE_LIMIT"]


def _expired():
    flash(_("Your sign-in was not finished in time: sign in again"), "info")
    return redirect(url_for("auth.sign_in"))


# Codes tried from both pages count together, per account.
_per_account = limiter.shared_limit(
    _account_limit, scope="two-factor-account", methods=["POST"], key_func=_account_key
)


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@_per_account
def prove():
    now = utcnow()
    sign_in = _pending(now)
    if sign_in is None:
        if current_user.is_authenticated:
            return redirect(url_for("public.home"))
        return _expired()
    user = sign_in.user
    if not user.two_factor_enrolled:
        return redirect(url_for("two_factor.set_up"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            used = attempt(prove_sign_in, sessions.policy(), sign_in, form.code.data, now)
        except CodeRefused as refused:
            form.code.errors.append(say(refused))
        else:
            next_url = _finish(sign_in, now)
            flash(_("Signed in as %(name)s", name=user.display_name), "success")
            if used == "recovery":
                _used_a_recovery_code(user)
            return redirect(next_url or url_for("public.home"))
    return render_template("auth/two_factor.html", form=form)


def _used_a_recovery_code(user: User) -> None:
    left = recovery_codes_left(db.session, user)
    flash(
        ngettext(
            "You used a recovery code: %(num)s left. If you have lost your authenticator, "
            "ask an administrator to reset it.",
            "You used a recovery code: %(num)s left. If you have lost your authenticator, "
            "ask an administrator to reset it.",
            left,
        ),
        "info",
    )


def _enrolling(now: datetime) -> tuple[User, SignIn] | None:
    """Who is setting up a second factor: the signed-in person, or a sign-in waiting for it."""
    if current_user.is_authenticated:
        return current_user, db.session.get(SignIn, current_user.sign_in_id)
    sign_in = _pending(now)
    if sign_in is None:
        return None
    return sign_in.user, sign_in


@bp.route("/set-up", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@_per_account
def set_up():
    now = utcnow()
    who = _enrolling(now)
    if who is None:
        return _expired()
    user, sign_in = who
    if user.two_factor_enrolled:
        return _already_on()
    secret = attempt(start_enrolment, user)
    form = SetUpTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = attempt(enrol, sessions.policy(), user, form.code.data, now)
        except CodeRefused as refused:
            form.code.errors.append(say(refused))
        else:
            return _enrolled(user, sign_in, codes, now)
    return render_template(
        "auth/set_up_two_factor.html",
        form=form,
        qr=qr_svg(provisioning_uri(user)),
        secret=grouped(secret),
        must=user.is_staff,
    )


def _already_on():
    flash(_("Two-factor sign-in is already on for your account"), "info")
    return redirect(
        url_for("residents.account" if current_user.is_authenticated else "two_factor.prove")
    )


def _enrolled(user, sign_in, codes, now):
    """Two-factor sign-in is now on: this sign-in has proved it (a new account's sign-in is
    finished), and the new recovery codes are shown once."""
    if current_user.is_authenticated:
        attempt(sign_ins.proven_here, user, sign_in, now)
        next_url = None
    else:
        attempt(sign_ins.prove, sign_in, now)
        next_url = _finish(sign_in, now)
    cookie[NEW_CODES] = codes
    if next_url:
        cookie[PENDING_NEXT] = next_url
    flash(_("Two-factor sign-in is on"), "success")
    return redirect(url_for("two_factor.recovery_codes"))


@bp.route("/recovery-codes")
@login_required
def recovery_codes():
    """The new recovery codes, shown once (the database keeps only their HMACs)."""
    codes = cookie.pop(NEW_CODES, None)
    next_url = cookie.pop(PENDING_NEXT, None) if codes else None
    return render_template(
        "auth/recovery_codes.html",
        codes=codes,
        left=recovery_codes_left(db.session, current_user),
        next_url=next_url or url_for("residents.account"),
        form=ConfirmForm(),
    )


@bp.route("/recovery-codes/new", methods=["POST"])
@login_required
def new_recovery_codes():
    form = ConfirmForm()
    if not current_user.two_factor_enrolled:
        flash(_("Set up two-factor sign-in first"), "info")
        return redirect(url_for("two_factor.set_up"))
    if form.validate_on_submit():
        cookie[NEW_CODES] = attempt(issue_recovery_codes, sessions.policy(), current_user, utcnow())
        flash(_("You have new recovery codes: the old ones no longer work"), "success")
    return redirect(url_for("two_factor.recovery_codes"))


def init_app(app) -> None:
    app.register_blueprint(bp)
