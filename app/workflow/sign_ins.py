"""Sign-ins kept on the server, so that a session can end there.

The session cookie carries a random token; the ``sign_ins`` table keeps its SHA-256 (a copy of
the table does not let anyone sign in), the account, when it began and was last used, a
summary of the browser, whether the second factor was proven, and when and why it ended.
A cookie whose sign-in has ended, however it was kept or copied, signs nobody in.

A sign-in ends when its person signs out; all of an account's end when it signs out
everywhere, chooses a new password (the others), or has its second factor reset by an
administrator. The cookie itself, and ending a sign-in left unused too long, are
``app.web.sessions``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, contains_eager

from app.workflow.models import SignIn, User

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


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    session: Session, user: User, *, two_factor: bool, now: datetime, user_agent: str | None
) -> tuple[str, SignIn]:
    """Record a new sign-in for ``user`` from the browser ``user_agent`` names; its cookie
    token and row.

    ``two_factor``: the second factor was proven too. Without it, a person who needs two
    factors is not signed in until ``prove`` records it."""
    token = secrets.token_urlsafe(32)
    sign_in = SignIn(
        token_hash=token_hash(token),
        user=user,
        created_at=now,
        last_seen_at=now,
        user_agent=browser_summary(user_agent)[:100],
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


def prove(session: Session, sign_in: SignIn, now: datetime) -> None:
    """Record that the second factor was proven for this sign-in."""
    sign_in.two_factor_at = now
    sign_in.last_seen_at = now


def proven_here(session: Session, user: User, sign_in: SignIn, now: datetime) -> None:
    """A signed-in person turned two factors on from ``sign_in``: it has proven them, and the
    account's other sign-ins, which proved only a password, end."""
    prove(session, sign_in, now)
    end_all(session, user, "two_factor_on", now, keep=sign_in)


def end_by_token(session: Session, token: str | None, reason: str, now: datetime) -> None:
    """End the sign-in a cookie's token names, if it has one that has not ended."""
    sign_in = find(session, token)
    if sign_in is not None:
        end(sign_in, reason, now)


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


def active(session: Session, user: User, now: datetime, limit: timedelta) -> list[SignIn]:
    """The account's sign-ins that still work (used within ``limit``), most recently used
    first."""
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
