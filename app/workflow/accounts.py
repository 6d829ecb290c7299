"""People and their accounts: registration, password checks and resets, roles.

Passwords are hashed with Argon2id at the parameters in ``PASSWORD_HASH_PARAMETERS``. Unknown
emails are checked against a dummy hash made with the same parameters, so a wrong email and a
wrong password take the same time and get the same answer. A stored hash made with other
parameters (an older, dearer setting) is replaced at the account's next successful sign-in;
as with any new hash, a link to choose a new password sent before then stops working.

Links sent by email carry a token signed with the app's secret key (itsdangerous). A link to
choose a new password names the account and a fingerprint of its current password hash, so it
stops working once the password has changed (it works once), and after
``PASSWORD_RESET_MAX_AGE`` seconds. A link to confirm an email address names the account and
the address, and works for ``EMAIL_CONFIRM_MAX_AGE`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import audit, sign_ins
from app.workflow.errors import DomainError
from app.workflow.models import Council, Membership, Neighbourhood, Role, User
from ballots.refusals import N_, Nn_, Text

RESET_SALT = "devolve-password-reset"
CONFIRM_SALT = "devolve-confirm-email"


@dataclass(frozen=True)
class Policy:
    """What accounts depend on from the deployment's settings: the Argon2id hasher and the
    dummy hash for unknown emails, the secret key that signs emailed links and keys recovery
    codes, how long links work, and how long a sign-in may sit unused."""

    hasher: PasswordHasher
    dummy_hash: str
    secret_key: str
    reset_max_age: int
    confirm_max_age: int
    staff_idle: timedelta
    resident_idle: timedelta
    # The settings it was built from.
    settings: Mapping[str, Any]

    SETTINGS = (
        "PASSWORD_HASH_PARAMETERS",
        "SECRET_KEY",
        "PASSWORD_RESET_MAX_AGE",
        "EMAIL_CONFIRM_MAX_AGE",
        "STAFF_SESSION_IDLE_MINUTES",
        "RESIDENT_SESSION_IDLE_DAYS",
    )

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> Policy:
        """Build from the app's settings: ``PASSWORD_HASH_PARAMETERS`` (``memory_cost`` in KiB,
        ``time_cost``, ``parallelism``, ``hash_len``, ``salt_len``), ``SECRET_KEY``,
        ``PASSWORD_RESET_MAX_AGE`` and ``EMAIL_CONFIRM_MAX_AGE`` (seconds),
        ``STAFF_SESSION_IDLE_MINUTES`` and ``RESIDENT_SESSION_IDLE_DAYS``."""
        hasher = PasswordHasher(type=Type.ID, **config["PASSWORD_HASH_PARAMETERS"])
        return cls(
            hasher=hasher,
            dummy_hash=hasher.hash("devolve-dummy-password-for-timing"),
            secret_key=config["SECRET_KEY"],
            reset_max_age=int(config["PASSWORD_RESET_MAX_AGE"]),
            confirm_max_age=int(config["EMAIL_CONFIRM_MAX_AGE"]),
            staff_idle=timedelta(minutes=int(config["STAFF_SESSION_IDLE_MINUTES"])),
            resident_idle=timedelta(days=int(config["RESIDENT_SESSION_IDLE_DAYS"])),
            settings={name: config[name] for name in cls.SETTINGS},
        )

    def idle_limit(self, user: User) -> timedelta:
        """How long a sign-in of ``user`` may sit unused before it ends."""
        return self.staff_idle if user.is_staff else self.resident_idle

    def keyed_hash(self, purpose: bytes, value: str) -> str:
        """HMAC-SHA-256 of ``value`` under the secret key, for ``purpose``."""
        key = self.secret_key.encode()
        return hmac.new(key, purpose + b":" + value.encode(), hashlib.sha256).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(policy: Policy, password: str) -> str:
    return policy.hasher.hash(password)


def authenticate(session: Session, policy: Policy, email: str, password: str) -> User | None:
    """The user with this email and password, or None; the same work is done either way.

    A hash made with other parameters than the configured ones is replaced by a new one (the
    caller commits it with the sign-in); a wrong password changes nothing."""
    user = find_by_email(session, email)
    hasher = policy.hasher
    try:
        hasher.verify(user.password_hash if user else policy.dummy_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(policy, password)
    return user


def register(
    session: Session,
    policy: Policy,
    *,
    email: str,
    password: str,
    display_name: str,
    home_neighbourhood: Neighbourhood,
    date_of_birth: date | None = None,
    language: str | None = None,
) -> User | None:
    """Create a resident of the home neighbourhood's council; None if the email is taken.
    ``language``: the language the person registered in, kept as their choice (what is sent
    to them is written in it).

    The caller answers both cases alike, so registering does not reveal who has an account.
    The password is hashed before the check so both cases take the same time.
    """
    password_hash = hash_password(policy, password)
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        return None
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name.strip(),
        home_neighbourhood=home_neighbourhood,
        date_of_birth=date_of_birth,
        language=language,
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


def set_network_admin(session: Session, user: User, *, admin: bool) -> bool:
    """Make ``user`` an administrator of the network (``admin``), or no longer one: they may
    then host organisations that belong to no council, and sign in with two factors as staff
    do. Given from the command line, by whoever runs the deployment: the audit trail records
    it with no actor. Returns whether anything changed (nothing is recorded otherwise)."""
    if bool(user.network_admin) == admin:
        return False
    user.network_admin = admin
    session.flush()
    audit.record(
        session,
        action="account.network_admin_changed",
        actor=None,
        subject=user,
        before={"network_admin": not admin},
        after={"network_admin": admin},
    )
    return True


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def _serializer(policy: Policy, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(policy.secret_key, salt=salt)


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def lifetime(seconds: int) -> Text:
    """How long a link works, for people: "1 hour", "7 days", "30 minutes" (in any language:
    a ``Text``)."""
    if seconds >= 86400 and seconds % 86400 == 0:
        return Nn_("%(num)s day", "%(num)s days", seconds // 86400)
    if seconds >= 3600 and seconds % 3600 == 0:
        return Nn_("%(num)s hour", "%(num)s hours", seconds // 3600)
    return Nn_("%(num)s minute", "%(num)s minutes", max(seconds // 60, 1))


# Why an expired link cannot be used, by what the link was for (its token's salt).
EXPIRED = {
    RESET_SALT: N_(
        "This link has expired: a link to reset your password works for %(lasts)s. "
        "Ask for a new one."
    ),
    CONFIRM_SALT: N_(
        "This link has expired: a link to confirm your email address works for %(lasts)s. "
        "Ask for a new one."
    ),
}


def _account_for(session: Session, policy: Policy, token: str, salt: str, max_age: int) -> tuple:
    """The account and the token's data; ``DomainError`` saying why a link cannot be used."""
    try:
        data = _serializer(policy, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError(EXPIRED[salt], lasts=lifetime(max_age)) from None
    except BadData:
        data = None
    user = None
    if isinstance(data, dict) and isinstance(data.get("user"), int):
        user = session.get(User, data["user"])
    return user, data


def password_reset_token(policy: Policy, user: User) -> str:
    """The token of a link that lets ``user`` choose a new password (see the module)."""
    return _serializer(policy, RESET_SALT).dumps(
        {"user": user.id, "check": _password_fingerprint(user)}
    )


def user_for_reset_token(session: Session, policy: Policy, token: str) -> User:
    """The account a reset link is for; ``DomainError`` saying why when the link cannot be used."""
    max_age = policy.reset_max_age
    user, data = _account_for(session, policy, token, RESET_SALT, max_age)
    if user is None or not hmac.compare_digest(
        _password_fingerprint(user), str(data.get("check", ""))
    ):
        raise DomainError(
            N_(
                "This link cannot be used: it has already been used, or it was not copied whole. "
                "Ask for a new one."
            )
        )
    return user


def email_confirmation_token(policy: Policy, user: User) -> str:
    """The token of a link that confirms ``user``'s email address (the address it was sent to)."""
    return _serializer(policy, CONFIRM_SALT).dumps({"user": user.id, "email": user.email})


def confirm_email(session: Session, policy: Policy, token: str, now: datetime) -> User:
    """Confirm the address a confirmation link was sent to (again is harmless); ``DomainError``
    saying why when the link cannot be used."""
    user, data = _account_for(session, policy, token, CONFIRM_SALT, policy.confirm_max_age)
    if user is None or user.email != data.get("email"):
        raise DomainError(
            N_(
                "This link cannot be used: it was not copied whole. Ask for a new one from your "
                "account page."
            )
        )
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        audit.record(session, action="account.email_confirmed", actor=user, subject=user)
    return user


def change_password(
    session: Session, policy: Policy, user: User, password: str, now: datetime
) -> None:
    """Set a new password from an emailed link and sign the account out everywhere (its old
    sessions end). Opening the link also shows the address is the person's: it is confirmed."""
    user.password_hash = hash_password(policy, password)
    sign_ins.end_all(session, user, "password_reset", now)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    audit.record(session, action="account.password_reset", actor=user, subject=user)


def change_own_password(
    session: Session, policy: Policy, user: User, current: str, new: str, now: datetime, *, keep
) -> None:
    """A signed-in person chooses a new password: ``DomainError`` (field ``current_password``)
    unless ``current`` is their password. Every other session of the account ends; ``keep``,
    the browser that changed it, stays signed in."""
    try:
        policy.hasher.verify(user.password_hash, current)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise DomainError(N_("Your current password is not right"), "current_password") from None
    user.password_hash = hash_password(policy, new)
    sign_ins.end_all(session, user, "password_changed", now, keep=keep)
    audit.record(session, action="account.password_changed", actor=user, subject=user)


def choose_language(session: Session, user: User, language: str) -> bool:
    """Keep ``language`` as the person's choice (their pages, and what is sent to them).
    True when it changed."""
    if user.language == language:
        return False
    user.language = language
    session.flush()
    return True
