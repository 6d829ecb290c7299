"""Register, sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import accounts
from app.extensions import db, limiter
from app.forms import RegisterForm, SignInForm
from app.models import Council, Neighbourhood, User

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_login(manager: LoginManager) -> None:
    manager.login_view = "auth.sign_in"
    manager.login_message = "Sign in to continue"
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(token: str) -> User | None:
        return db.session.scalar(select(User).where(User.session_token == token))


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


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            # One message for an unknown email and a wrong password: no account enumeration.
            form.email.errors.append("Enter a correct email address and password")
        else:
            db.session.commit()
            login_user(user)
            flash(f"Signed in as {user.display_name}", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("public.home"))
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    # POST with CSRF only: a link or an image on another site must not sign people out.
    from app.forms import SignOutForm

    form = SignOutForm()
    if form.validate_on_submit():
        logout_user()
        flash("You have signed out", "success")
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
    if form.validate_on_submit():
        neighbourhood = db.session.get(Neighbourhood, int(form.home_neighbourhood.data))
        user = accounts.register(
            db.session,
            email=form.email.data,
            password=form.password.data,
            display_name=form.display_name.data,
            home_neighbourhood=neighbourhood,
            date_of_birth=form.date_of_birth.data,
        )
        try:
            db.session.commit()
        except IntegrityError:
            # Someone registered the same email at the same moment: answer as below.
            db.session.rollback()
        if user is None:
            current_app.logger.info("registration attempt for an existing email")
        # The same answer whether or not the email already had an account.
        flash(
            "Registration received. Sign in with your email address and password.",
            "success",
        )
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/register.html", form=form)
