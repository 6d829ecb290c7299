"""People and their accounts: registration, password checks, roles.

Passwords are hashed with Argon2id. Unknown emails are checked against a dummy hash so a wrong
email and a wrong password take the same time and get the same answer.
"""

from __future__ import annotations

from datetime import date

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Council, Membership, Neighbourhood, Role, User


def init_app(app: Flask) -> None:
    """Choose the Argon2 parameters from PASSWORD_HASH_PROFILE (an ``argon2.profiles`` name).

    Production uses RFC 9106's low-memory profile; the test suite asks for the cheapest, since
    it hashes hundreds of passwords and is not what an attacker would be cracking.
    """
    hasher = PasswordHasher.from_parameters(getattr(profiles, app.config["PASSWORD_HASH_PROFILE"]))
    app.extensions["password_hasher"] = hasher
    app.extensions["password_dummy_hash"] = hasher.hash("devolve-dummy-password-for-timing")


def _hasher() -> PasswordHasher:
    return current_app.extensions["password_hasher"]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user with this email and password, or None; the same work is done either way."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    hasher = _hasher()
    try:
        hasher.verify(
            user.password_hash if user else current_app.extensions["password_dummy_hash"], password
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    home_neighbourhood: Neighbourhood,
    date_of_birth: date | None = None,
) -> User | None:
    """Create a resident of the home neighbourhood's council; None if the email is taken.

    The caller answers both cases alike, so registering does not reveal who has an account.
    The password is hashed before the check so both cases take the same time.
    """
    password_hash = hash_password(password)
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        return None
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name.strip(),
        home_neighbourhood=home_neighbourhood,
        date_of_birth=date_of_birth,
    )
    user.memberships.append(
        Membership(council_id=home_neighbourhood.council_id, role=Role.RESIDENT)
    )
    session.add(user)
    return user


def grant_role(session: Session, user: User, council: Council, role: Role) -> Membership:
    """Give a person a role in a council, replacing any role they held there."""
    for m in user.memberships:
        if m.council_id == council.id:
            m.role = role
            return m
    m = Membership(user=user, council=council, role=role)
    session.add(m)
    return m
