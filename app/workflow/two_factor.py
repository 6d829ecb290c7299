"""Two-factor sign-in: a TOTP authenticator app (RFC 6238, 30-second codes) and single-use
recovery codes.

Officers, administrators and auditors must use it; residents may turn it on from their
account page. After the password, the sign-in waits (``app.workflow.sign_ins``) until a code
is proven; someone who must use two factors and has none yet enrols first (the pages are
``app.web.two_factor``).

A code is accepted for the current 30 seconds and the ones either side (clocks drift), and the
step it was accepted for is stored by a compare-and-set, so no code works twice, even from two
workers at the same moment. Recovery codes (10, shown once) are kept as HMACs under the secret
key and used by a compare-and-set too. Wrong codes are limited per account and per address.
A council's administrator can reset a colleague's second factor (audited); it ends every
sign-in of that account, which must enrol again at its next sign-in.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

import pyotp
from pyotp.utils import strings_equal
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.workflow import audit, sign_ins
from app.workflow.accounts import Policy
from app.workflow.errors import DomainError
from app.workflow.models import Council, Membership, RecoveryCode, Role, SignIn, User
from ballots.refusals import N_

log = logging.getLogger(__name__)

ISSUER = "Devolve"
RECOVERY_CODES = 10
# No 0/O, 1/I/L: read from paper, typed by hand.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, as authenticator apps ask for it by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` is the code of (now or one either side), else None."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in (step - 1, step, step + 1):
        if strings_equal(code, totp.generate_otp(candidate)):
            return candidate
    return None


def _recovery_hash(policy: Policy, code: str) -> str:
    return policy.keyed_hash(b"devolve-recovery-code", code)


class CodeRefused(DomainError):
    """A code that does not prove the second factor, saying why."""


def check(
    session: Session,
    policy: Policy,
    user: User,
    code: str,
    now: datetime,
    *,
    recovery: bool = True,
) -> str:
    """Accept ``code`` for ``user`` once: "totp" or "recovery", which was used; ``CodeRefused``
    saying why otherwise. The caller commits."""
    code = "".join(code.split()).replace("-", "").upper()
    if len(code) == 6 and code.isdigit() and user.totp_secret:
        step = _step_of(user.totp_secret, code, now)
        if step is None:
            raise CodeRefused(
                N_("The code is not right: enter the code your authenticator app shows now")
            )
        won = session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not won:
            raise CodeRefused(
                N_(
                    "That code has already been used: wait for your authenticator app to show a "
                    "new one, then enter it"
                )
            )
        return "totp"
    if recovery and len(code) == RECOVERY_LENGTH and user.two_factor_enrolled:
        won = session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _recovery_hash(policy, code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won:
            return "recovery"
        raise CodeRefused(
            N_("That recovery code is not right, or it has already been used: each works once")
        )
    raise CodeRefused(
        N_("Enter the 6-digit code your authenticator app shows now, or a recovery code")
        if recovery
        else N_("Enter the 6-digit code your authenticator app shows now")
    )


def prove_sign_in(
    session: Session, policy: Policy, sign_in: SignIn, code: str, now: datetime
) -> str:
    """Accept ``code`` as the second factor of a sign-in waiting for it, and record the sign-in
    as proven: "totp" or "recovery", which was used; ``CodeRefused`` saying why otherwise."""
    used = check(session, policy, sign_in.user, code, now)
    sign_ins.prove(session, sign_in, now)
    return used


def start_enrolment(session: Session, user: User) -> str:
    """The authenticator secret ``user`` is enrolling with: a new one the first time, kept
    until it is confirmed, so a reload shows the same code the app has scanned."""
    if user.totp_secret is None:
        user.totp_secret = new_secret()
    return user.totp_secret


def issue_recovery_codes(session: Session, policy: Policy, user: User, now: datetime) -> list[str]:
    """New recovery codes for ``user`` (any old ones stop working); the codes, to show once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(policy, c), created_at=now)
        for c in codes
    )
    session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def enrol(session: Session, policy: Policy, user: User, code: str, now: datetime) -> list[str]:
    """Turn two factors on for ``user`` once ``code`` proves the authenticator holds the
    secret; the new recovery codes. ``CodeRefused`` saying why otherwise."""
    if user.totp_secret is None:
        raise CodeRefused(N_("Start again: the set-up had not begun"))
    check(session, policy, user, code, now, recovery=False)
    user.totp_confirmed_at = now
    # The server log, not the audit trail: that records what happens to a council's rounds,
    # and an administrator's reset of a colleague's second factor (below).
    log.info("two-factor sign-in turned on for account %s", user.id)
    return issue_recovery_codes(session, policy, user, now)


def staff_of(session: Session, council: Council) -> list[tuple[User, Role]]:
    """The council's officers, administrators and auditors, by name."""
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.council_id == council.id, Membership.role != Role.RESIDENT)
        .order_by(User.display_name, User.id)
    )
    return [(user, role) for user, role in rows]


def reset(session: Session, *, actor: User, target: User, council: Council, now: datetime) -> int:
    """An administrator of ``council`` resets a colleague's second factor: the authenticator
    and recovery codes stop working and every sign-in of the account ends (how many ended).
    Refused, changing nothing, for oneself and for anyone not on the council's staff."""
    if actor.role_in(council) != Role.ADMIN:
        raise DomainError(N_("Only an administrator of this council can reset a second factor"))
    if target.id == actor.id:
        raise DomainError(
            N_("You cannot reset your own second factor: ask another administrator of the council")
        )
    role = target.role_in(council)
    if role is None or role == Role.RESIDENT:
        raise DomainError(
            N_("%(person)s is not on %(council)s's staff"),
            person=target.display_name,
            council=council.name,
        )
    had = target.two_factor_enrolled
    target.totp_secret = None
    target.totp_confirmed_at = None
    target.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == target.id))
    ended = sign_ins.end_all(session, target, "two_factor_reset", now)
    audit.record(
        session,
        action="account.two_factor_reset",
        actor=actor,
        council=council,
        subject=target,
        after={"enrolled_before": had, "sign_ins_ended": ended},
    )
    return ended
