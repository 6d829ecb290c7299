"""Sign-ins kept on the server, so that a session can end there.

The session cookie carries a random token; the ``sign_ins`` table keeps its SHA-256 (a copy of
the table does not let anyone sign in), the account, when it began and was last used, a
summary of the browser, whether the second factor was proven, and when and why it ended.
A cookie whose sign-in has ended, however it was kept or copied, signs nobody in.

A sign-in ends when its person signs out; all of an account's end when it signs out
everywhere, chooses a new password (the others), or has its second factor reset by an
administrator. A sign-in left unused for longer than its limit ends at its next use: staff
(officers, administrators, auditors) after ``STAFF_SESSION_IDLE_MINUTES``, residents after
``RESIDENT_SESSION_IDLE_DAYS``. "Last used" is written at most once a minute per sign-in, in a
short transaction of its own, so busy pages (casting a ballot) do not write on every request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import Flask, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, contains_eager

from app.extensions import db
from app.models import SignIn, User
from ballots.db import utcnow

# "Last used" is rewritten no more often than this.
LAST_SEEN_EVERY = timedelta(minutes=1)
# A password proven but no second factor yet: the sign-in waits this long for it.
PENDING_FOR = timedelta(minutes=10)

_BROWSERS = (
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
)
_SYSTEMS = (
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("ChromeOS", r"CrOS"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux"),
)


def browser_summary(user_agent: str | None) -> str:
    """ "Firefox on Windows": what the account page shows, never the whole User-Agent."""
    text = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, text)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, text)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "An unknown browser")


def clear_cookie() -> None:
    """Empty the session cookie (signing in or out: nothing carries across). The CSRF token
    this request may already hold goes with it, so a form drawn later in the request matches
    the new cookie."""
    from flask import session as cookie

    cookie.clear()
    g.pop("csrf_token", None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, *, two_factor: bool, now: datetime) -> tuple[str, SignIn]:
    """Record a new sign-in for ``user`` from this request's browser; its cookie token and row.

    ``two_factor``: the second factor was proven too. Without it, a person who needs two
    factors is not signed in until ``prove`` records it."""
    token = secrets.token_urlsafe(32)
    sign_in = SignIn(
        token_hash=token_hash(token),
        user=user,
        created_at=now,
        last_seen_at=now,
        user_agent=browser_summary(request.headers.get("User-Agent"))[:100],
        two_factor_at=now if two_factor else None,
    )
    session.add(sign_in)
    session.flush()
    return token, sign_in


def find(session: Session, token: str | None) -> SignIn | None:
    """The sign-in a token names, if it has not ended (with its account and roles)."""
    if not token or not isinstance(token, str) or len(token) > 128:
        return None
    return (
        session.execute(
            select(SignIn)
            .join(SignIn.user)
            .options(contains_eager(SignIn.user).joinedload(User.memberships))
            .where(SignIn.token_hash == token_hash(token), SignIn.ended_at.is_(None))
        )
        .unique()
        .scalar_one_or_none()
    )


def pending(session: Session, token: str | None, now: datetime) -> SignIn | None:
    """A sign-in whose password was proven in the last ``PENDING_FOR`` and that waits for its
    second factor; None otherwise."""
    sign_in = find(session, token)
    if sign_in is None or sign_in.two_factor_at is not None:
        return None
    if now - sign_in.created_at > PENDING_FOR:
        return None
    return sign_in


def prove(sign_in: SignIn, now: datetime) -> None:
    """Record that the second factor was proven for this sign-in."""
    sign_in.two_factor_at = now
    sign_in.last_seen_at = now


def end(sign_in: SignIn, reason: str, now: datetime) -> None:
    if sign_in.ended_at is None:
        sign_in.ended_at = now
        sign_in.ended_reason = reason


def end_all(
    session: Session, user: User, reason: str, now: datetime, *, keep: SignIn | None = None
) -> int:
    """End every sign-in of ``user`` (except ``keep``); how many ended."""
    query = update(SignIn).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))
    if keep is not None:
        query = query.where(SignIn.id != keep.id)
    result = session.execute(
        query.values(ended_at=now, ended_reason=reason).execution_options(synchronize_session=False)
    )
    return result.rowcount


def idle_limit(user: User) -> timedelta:
    config = current_app.config
    if user.is_staff:
        return timedelta(minutes=int(config["STAFF_SESSION_IDLE_MINUTES"]))
    return timedelta(days=int(config["RESIDENT_SESSION_IDLE_DAYS"]))


def active(session: Session, user: User, now: datetime) -> list[SignIn]:
    """The account's sign-ins that still work, most recently used first."""
    limit = idle_limit(user)
    rows = session.scalars(
        select(SignIn)
        .where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))
        .order_by(SignIn.last_seen_at.desc(), SignIn.id.desc())
    )
    return [
        s
        for s in rows
        if now - s.last_seen_at <= limit and (s.two_factor_at or not user.needs_two_factor)
    ]


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
    sign_in = find(db.session, token)
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
    if now - sign_in.last_seen_at >= LAST_SEEN_EVERY:
        _write_apart(
            update(SignIn)
            .where(SignIn.id == sign_in.id, SignIn.last_seen_at < now - LAST_SEEN_EVERY)
            .values(last_seen_at=now)
        )
    user.sign_in_token = token
    user.sign_in_id = sign_in.id
    return user


def _idle_message(limit: timedelta) -> str:
    from app.accounts import lifetime

    return f"You were signed out after {lifetime(int(limit.total_seconds()))} without activity"


# Pages a signed-in person who must enrol a second factor can still reach.
OPEN_TO_UNENROLLED = {"static", "auth.sign_out", "two_factor.set_up", "two_factor.recovery_codes"}


def init_app(app: Flask) -> None:
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
            flash("Set up two-factor sign-in to continue", "info")
            return redirect(url_for("two_factor.set_up"))
        return None
