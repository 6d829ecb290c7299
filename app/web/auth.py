"""Register, sign in and sign out; confirm an email address, and choose a new password, from
links sent by email."""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_login import LoginManager, current_user, login_required, login_url, logout_user
from sqlalchemy import select

from app.web import i18n, messages, sessions, two_factor
from app.web.extensions import db, limiter
from app.web.forms import (
    NewPasswordForm,
    RegisterForm,
    RequestPasswordResetForm,
    SendConfirmationForm,
    SignInForm,
)
from app.web.messages.wording import site_url
from app.web.views import attempt, say
from app.workflow import accounts, sign_ins
from app.workflow.clock import utcnow
from app.workflow.errors import Conflict, DomainError
from app.workflow.models import Council, Neighbourhood, User

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_login(manager: LoginManager) -> None:
    manager.login_view = "auth.sign_in"
    manager.login_message = _l("Sign in to continue")
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(token: str) -> User | None:
        # The cookie names a sign-in kept on the server (app.web.sessions), not the account: one
        # that has ended (signed out, idle, a new password) signs nobody in.
        return sessions.load(token)

    @manager.unauthorized_handler
    def unauthorized():
        # One banner: "you were signed out after N minutes" says enough on its own.
        if not g.get("signed_out_idle_message"):
            flash(str(manager.login_message), manager.login_message_category)
        return redirect(login_url(manager.login_view, request.url))


def init_app(app: Flask) -> None:
    @app.errorhandler(RateLimitExceeded)
    def too_many(error: RateLimitExceeded):
        """429 with how long to wait, worked out from the limit that was reached."""
        if error.response is not None:
            return error.response
        limit = limiter.current_limit
        wait = max(int(limit.reset_at - time.time()), 1) if limit is not None else 60
        minutes = max(math.ceil(wait / 60), 1)
        page = render_template(
            "errors/error.html",
            title=_("Too many tries"),
            body=ngettext(
                "Too many tries: try again in %(num)s minute. Nothing has been changed.",
                "Too many tries: try again in %(num)s minutes. Nothing has been changed.",
                minutes,
            ),
        )
        return page, 429, {"Retry-After": str(wait)}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect would let a phishing link borrow our sign-in page."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _sign_in_account_limit() -> str:
    return current_app.config["SIGN_IN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    """The account a sign-in tries, whatever address it comes from: a flood against one
    account from many addresses is counted once."""
    email = request.form.get("email", "")
    return "sign-in:" + accounts.normalise_email(email)[:254]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _email_limit() -> str:
    return current_app.config["EMAIL_LINK_RATE_LIMIT"]


def lifetime(seconds: int) -> str:
    """How long something lasts, for people, in the page's language: "1 hour", "7 days", "30
    minutes" (whole days or hours when it is a whole number of them, else minutes)."""
    for size, words in (
        (86400, lambda n: ngettext("%(num)s day", "%(num)s days", n)),
        (3600, lambda n: ngettext("%(num)s hour", "%(num)s hours", n)),
    ):
        if seconds >= size and seconds % size == 0:
            return words(seconds // size)
    return ngettext("%(num)s minute", "%(num)s minutes", max(seconds // 60, 1))


def _link_lasts() -> str:
    return lifetime(current_app.config["PASSWORD_RESET_MAX_AGE"])


def _send_link(user: User, kind: str, path: str, max_age: str) -> None:
    """Email ``user`` a link to ``path``, saying how long it works (``max_age`` names the
    setting), in their language (``messages.language_for``). Queued in the request's
    transaction: the view's commit sends it."""
    messages.send(
        kind,
        user.email,
        language=messages.language_for(user),
        user=user,
        link=site_url(path),
        lasts_seconds=int(current_app.config[max_age]),
    )


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
@limiter.limit(_sign_in_account_limit, methods=["POST"], key_func=_account_key)
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        # Committed either way: a right password may have had its hash brought up to date.
        user = attempt(
            accounts.authenticate, sessions.policy(), form.email.data, form.password.data
        )
        if user is None:
            # One message for an unknown email and a wrong password: no account enumeration.
            form.email.errors.append(_("Enter a correct email address and password"))
        else:
            _end_this_sign_in("signed_out")  # signing in again, perhaps as someone else
            return two_factor.begin(user, _safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


def _end_this_sign_in(reason: str) -> None:
    """End the sign-in this browser's cookie names, if it has one that has not ended."""
    attempt(sign_ins.end_by_token, session.get("_user_id"), reason, utcnow())


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    # POST with CSRF only: a link or an image on another site must not sign people out.
    from app.web.forms import SignOutForm

    form = SignOutForm()
    if form.validate_on_submit():
        # Ended on the server: the cookie, however it was kept, signs nobody in again.
        _end_this_sign_in("signed_out")
        logout_user()
        sessions.clear_cookie()
        flash(_("You have signed out"), "success")
    return redirect(url_for("public.home"))


def neighbourhood_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Neighbourhood.id, Neighbourhood.name, Council.name)
        .join(Council)
        .order_by(Council.name, Neighbourhood.name)
    )
    return [(str(nid), f"{name} ({council})") for nid, name, council in rows]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("residents.account"))
    form = RegisterForm(neighbourhood_choices=neighbourhood_choices())
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form)
    try:
        user = attempt(
            _register_and_confirm,
            sessions.policy(),
            email=form.email.data,
            password=form.password.data,
            display_name=form.display_name.data,
            home_neighbourhood=db.session.get(Neighbourhood, int(form.home_neighbourhood.data)),
            date_of_birth=form.date_of_birth.data,
            language=i18n.current(),
        )
    except Conflict:
        user = None  # someone registered the same email at the same moment: as below
    _tell_the_address(form.email.data, user)
    # The same answer whether or not the email already had an account.
    flash(
        _(
            "Registration received. We have emailed you a link to confirm your address: open "
            "it before you propose or support projects. Sign in with your email address and "
            "password."
        ),
        "success",
    )
    return redirect(url_for("auth.sign_in"))


def _register_and_confirm(session, policy, **fields) -> User | None:
    """Register, and queue the link that confirms the address in the same transaction: the
    account and its email are committed together, or neither is."""
    user = accounts.register(session, policy, **fields)
    if user is not None:
        session.flush()
        _send_confirmation(user, commit=False)
    return user


def _tell_the_address(email: str, user) -> None:
    """Nothing more for a new account (``user``: its link went with it); when the address
    already had one (None), tell its owner so, with the ways in."""
    if user is not None:
        return
    current_app.logger.info("registration attempt for an existing email")
    owner = accounts.find_by_email(db.session, email)
    messages.send(
        "account_exists",
        accounts.normalise_email(email),
        language=messages.language_for(owner),
    )
    db.session.commit()


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
def request_password_reset():
    form = RequestPasswordResetForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        user = accounts.find_by_email(db.session, email)
        if user is not None:
            _send_link(
                user,
                "password_reset",
                url_for(
                    "auth.reset_password",
                    token=accounts.password_reset_token(sessions.policy(), user),
                ),
                "PASSWORD_RESET_MAX_AGE",
            )
            db.session.commit()
        # The same answer whether or not the email has an account.
        flash(
            _(
                "If %(email)s has an account, we have sent it a link to choose a new "
                "password. The link works for %(lasts)s.",
                email=email,
                lasts=_link_lasts(),
            ),
            "success",
        )
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/request_password_reset.html", form=form, lasts=_link_lasts())


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
def reset_password(token: str):
    try:
        user = accounts.user_for_reset_token(db.session, sessions.policy(), token)
    except DomainError as error:
        return render_template("auth/reset_password.html", form=None, problem=say(error)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        attempt(accounts.change_password, sessions.policy(), user, form.password.data, utcnow())
        logout_user()  # whoever was signed in on this browser (its sign-in has ended too)
        sessions.clear_cookie()
        flash(_("Your password has been changed. Sign in with your new password."), "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form, problem=None)


def _send_confirmation(user: User, *, commit: bool = True) -> None:
    _send_link(
        user,
        "confirm_email",
        url_for(
            "auth.confirm_email", token=accounts.email_confirmation_token(sessions.policy(), user)
        ),
        "EMAIL_CONFIRM_MAX_AGE",
    )
    if commit:
        db.session.commit()


@bp.route("/confirm-email/<token>")
def confirm_email(token: str):
    try:
        user = attempt(accounts.confirm_email, sessions.policy(), token, utcnow())
    except DomainError as error:
        return render_template("auth/confirm_email.html", problem=say(error)), 400
    # Named, since the link may be opened where someone else is signed in.
    flash(
        _(
            "The email address %(email)s is confirmed: its account can now propose and "
            "support projects.",
            email=user.email,
        ),
        "success",
    )
    if current_user.is_authenticated:
        return redirect(url_for("residents.account"))
    return redirect(url_for("auth.sign_in"))


@bp.route("/confirm-email", methods=["POST"])
@login_required
@limiter.limit(_email_limit)
def send_confirmation():
    """Send the signed-in person a new link to confirm their address (from their account)."""
    form = SendConfirmationForm()
    if form.validate_on_submit():
        if current_user.email_confirmed_at is not None:
            flash(_("Your email address is already confirmed"), "success")
        else:
            _send_confirmation(current_user)
            flash(_("We have sent a new link to %(email)s", email=current_user.email), "success")
    return redirect(url_for("residents.account"))
