"""The session cookie and the signed-in person of each request.

The cookie carries a random token naming a sign-in row (``app.workflow.sign_ins``). A sign-in
left unused for longer than its limit ends at its next use: staff (officers, administrators,
auditors) after ``STAFF_SESSION_IDLE_MINUTES``, residents after ``RESIDENT_SESSION_IDLE_DAYS``.
"Last used" is written at most once a minute per sign-in, in a short transaction of its own,
so busy pages (casting a ballot) do not write on every request.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from app.web.extensions import db
from app.web.views import attempt, say
from app.workflow import accounts, sign_ins
from app.workflow.clock import utcnow
from app.workflow.models import SignIn, User


def policy() -> accounts.Policy:
    """The app's account settings, as its config says now (built again only when one of them
    changes: the dummy hash costs as much as a sign-in)."""
    return _policy_for(current_app)


def _policy_for(app: Flask) -> accounts.Policy:
    settings = {name: app.config[name] for name in accounts.Policy.SETTINGS}
    built = app.extensions.get("devolve.accounts")
    if built is None or built.settings != settings:
        built = accounts.Policy.from_settings(settings)
        app.extensions["devolve.accounts"] = built
    return built


def start(user: User, *, two_factor: bool, now) -> tuple[str, SignIn]:
    """A new sign-in for ``user`` from this request's browser; its cookie token and row."""
    return attempt(
        sign_ins.start,
        user,
        two_factor=two_factor,
        now=now,
        user_agent=request.headers.get("User-Agent"),
    )


def idle_limit(user: User) -> timedelta:
    return policy().idle_limit(user)


def active(user: User, now) -> list[SignIn]:
    return sign_ins.active(db.session, user, now, idle_limit(user))


def clear_cookie() -> None:
    """Empty the session cookie (signing in or out: nothing carries across). The CSRF token
    this request may already hold goes with it, so a form drawn later in the request matches
    the new cookie."""
    from flask import session as cookie

    cookie.clear()
    g.pop("csrf_token", None)


def _write_apart(statement) -> None:
    """Run one small write in a transaction of its own: the request's own transaction may be
    rolled back, or never committed (a page that only reads), and this must stay. A failure
    is logged, not shown: the page does not depend on it."""
    try:
        with db.engine.begin() as conn:
            conn.execute(statement)
    except SQLAlchemyError:
        current_app.logger.exception("could not record the use of a sign-in")


def load(token: str) -> User | None:
    """The signed-in person for a session cookie's token (Flask-Login's user loader).

    None for an unknown or ended sign-in, for one still waiting for its second factor, and for
    one unused for longer than its limit, which ends here (the page then says why)."""
    sign_in = sign_ins.find(db.session, token)
    if sign_in is None:
        return None
    user = sign_in.user
    if user.needs_two_factor and sign_in.two_factor_at is None:
        return None
    now = utcnow()
    limit = idle_limit(user)
    if now - sign_in.last_seen_at > limit:
        _write_apart(
            update(SignIn)
            .where(SignIn.id == sign_in.id, SignIn.ended_at.is_(None))
            .values(ended_at=now, ended_reason="idle")
        )
        g.signed_out_idle = limit
        return None
    if now - sign_in.last_seen_at >= sign_ins.LAST_SEEN_EVERY:
        _write_apart(
            update(SignIn)
            .where(SignIn.id == sign_in.id, SignIn.last_seen_at < now - sign_ins.LAST_SEEN_EVERY)
            .values(last_seen_at=now)
        )
    user.sign_in_token = token
    user.sign_in_id = sign_in.id
    return user


def _idle_message(limit: timedelta) -> str:
    how_long = say(accounts.lifetime(int(limit.total_seconds())))
    return _("You were signed out after %(how_long)s without activity", how_long=how_long)


# Pages a signed-in person who must enrol a second factor can still reach.
OPEN_TO_UNENROLLED = {"static", "auth.sign_out", "two_factor.set_up", "two_factor.recovery_codes"}


def init_app(app: Flask) -> None:
    _policy_for(app)

    @app.before_request
    def signed_in_person():
        """Load the signed-in person before the view runs (so "last used" is written before
        the view's own transaction begins), say when a session ended for being idle, and send
        staff without a second factor to enrol one before any other page."""
        if request.endpoint == "static":
            return None
        user = current_user._get_current_object()
        idle = g.pop("signed_out_idle", None)
        if idle is not None:
            g.signed_out_idle_message = _idle_message(idle)
            flash(g.signed_out_idle_message, "info")
        if (
            user.is_authenticated
            and user.needs_two_factor
            and not user.two_factor_enrolled
            and request.endpoint not in OPEN_TO_UNENROLLED
        ):
            flash(_("Set up two-factor sign-in to continue"), "info")
            return redirect(url_for("two_factor.set_up"))
        return None
