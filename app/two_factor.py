"""Two-factor sign-in: a TOTP authenticator app (RFC 6238, 30-second codes) and single-use
recovery codes.

Officers, administrators and auditors must use it; residents may turn it on from their
account page. After the password, the sign-in waits (``app.sessions``) until a code is proven;
someone who must use two factors and has none yet enrols first, from a QR code drawn here as
SVG (no third-party service, no JavaScript) or the secret typed in by hand.

A code is accepted for the current 30 seconds and the ones either side (clocks drift), and the
step it was accepted for is stored by a compare-and-set, so no code works twice, even from two
workers at the same moment. Recovery codes (10, shown once) are kept as HMACs under the secret
key and used by a compare-and-set too. Wrong codes are limited per account and per address.
A council's administrator can reset a colleague's second factor (audited); it ends every
sign-in of that account, which must enrol again at its next sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask import session as cookie
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup
from pyotp.utils import strings_equal
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app import audit, sessions
from app.extensions import db, limiter
from app.forms import ConfirmForm, SetUpTwoFactorForm, TwoFactorForm
from app.models import Council, Membership, RecoveryCode, Role, SignIn, User
from app.problems import DomainError
from ballots.db import utcnow

ISSUER = "Devolve"
RECOVERY_CODES = 10
# No 0/O, 1/I/L: read from paper, typed by hand.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 10

bp = Blueprint("two_factor", __name__, url_prefix="/auth/two-factor")
team = Blueprint("team", __name__, url_prefix="/manage")

PENDING = "pending_sign_in"
PENDING_USER = "pending_user"
PENDING_NEXT = "pending_next"
NEW_CODES = "new_recovery_codes"


# -- the codes ---------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code of an otpauth:// address, as inline SVG with a text alternative."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, title="QR code for your authenticator app", dark="#0b0c0c"
    )
    # segno draws only paths from the address's bits, and the title above: nothing a visitor
    # typed reaches this markup (the address is built from our secret and the account's email,
    # which segno encodes into the path, never into text).
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S704


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


def _recovery_hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"devolve-recovery-code:" + code.encode(), hashlib.sha256).hexdigest()


class CodeRefused(DomainError):
    """A code that does not prove the second factor, saying why."""


def check(session: Session, user: User, code: str, now: datetime, *, recovery: bool = True) -> str:
    """Accept ``code`` for ``user`` once: "totp" or "recovery", which was used; ``CodeRefused``
    saying why otherwise. The caller commits."""
    code = "".join(code.split()).replace("-", "").upper()
    if len(code) == 6 and code.isdigit() and user.totp_secret:
        step = _step_of(user.totp_secret, code, now)
        if step is None:
            raise CodeRefused(
                "The code is not right: enter the code your authenticator app shows now"
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
                "That code has already been used: wait for your authenticator app to show a "
                "new one, then enter it"
            )
        return "totp"
    if recovery and len(code) == RECOVERY_LENGTH and user.two_factor_enrolled:
        won = session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _recovery_hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won:
            return "recovery"
        raise CodeRefused(
            "That recovery code is not right, or it has already been used: each works once"
        )
    raise CodeRefused(
        "Enter the 6-digit code your authenticator app shows now, or a recovery code"
        if recovery
        else "Enter the 6-digit code your authenticator app shows now"
    )


def issue_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    """New recovery codes for ``user`` (any old ones stop working); the codes, to show once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(c), created_at=now) for c in codes
    )
    session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def enrol(session: Session, user: User, code: str, now: datetime) -> list[str]:
    """Turn two factors on for ``user`` once ``code`` proves the authenticator holds the
    secret; the new recovery codes. ``CodeRefused`` saying why otherwise."""
    if user.totp_secret is None:
        raise CodeRefused("Start again: the set-up had not begun")
    check(session, user, code, now, recovery=False)
    user.totp_confirmed_at = now
    # The server log, not the audit trail: that records what happens to a council's rounds,
    # and an administrator's reset of a colleague's second factor (below).
    current_app.logger.info("two-factor sign-in turned on for account %s", user.id)
    return issue_recovery_codes(session, user, now)


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
        raise DomainError("Only an administrator of this council can reset a second factor")
    if target.id == actor.id:
        raise DomainError(
            "You cannot reset your own second factor: ask another administrator of the council"
        )
    role = target.role_in(council)
    if role is None or role == Role.RESIDENT:
        raise DomainError(f"{target.display_name} is not on {council.name}'s staff")
    had = target.two_factor_enrolled
    target.totp_secret = None
    target.totp_confirmed_at = None
    target.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == target.id))
    ended = sessions.end_all(session, target, "two_factor_reset", now)
    audit.record(
        session,
        action="account.two_factor_reset",
        actor=actor,
        council=council,
        subject=target,
        after={"enrolled_before": had, "sign_ins_ended": ended},
    )
    return ended


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
    token, sign_in = sessions.start(db.session, user, two_factor=False, now=now)
    db.session.commit()
    if not user.needs_two_factor:
        _log_in(user, token, sign_in)
        flash(f"Signed in as {user.display_name}", "success")
        return redirect(next_url or url_for("public.home"))
    cookie[PENDING] = token
    cookie[PENDING_USER] = user.id
    if next_url:
        cookie[PENDING_NEXT] = next_url
    if user.two_factor_enrolled:
        return redirect(url_for("two_factor.prove"))
    flash("You need to set up two-factor sign-in before you continue", "info")
    return redirect(url_for("two_factor.set_up"))


def _pending(now: datetime) -> SignIn | None:
    sign_in = sessions.pending(db.session, cookie.get(PENDING), now)
    if sign_in is None or sign_in.user_id != cookie.get(PENDING_USER):
        return None
    return sign_in


def _finish(sign_in: SignIn, now: datetime) -> str | None:
    """Sign in the browser whose second factor was just proven; where to go next."""
    token = cookie.pop(PENDING)
    cookie.pop(PENDING_USER, None)
    next_url = cookie.pop(PENDING_NEXT, None)
    sessions.prove(sign_in, now)
    db.session.commit()
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
    flash("Your sign-in was not finished in time: sign in again", "info")
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
            used = check(db.session, user, form.code.data, now)
        except CodeRefused as refused:
            db.session.rollback()
            form.code.errors.append(refused.message)
        else:
            next_url = _finish(sign_in, now)
            flash(f"Signed in as {user.display_name}", "success")
            if used == "recovery":
                left = recovery_codes_left(db.session, user)
                flash(
                    f"You used a recovery code: {left} left. If you have lost your "
                    "authenticator, ask an administrator to reset it.",
                    "info",
                )
            return redirect(next_url or url_for("public.home"))
    return render_template("auth/two_factor.html", form=form)


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
        flash("Two-factor sign-in is already on for your account", "info")
        if current_user.is_authenticated:
            return redirect(url_for("residents.account"))
        return redirect(url_for("two_factor.prove"))
    if user.totp_secret is None:
        # Kept until it is confirmed, so a reload shows the same code the app has scanned.
        user.totp_secret = new_secret()
        db.session.commit()
    form = SetUpTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = enrol(db.session, user, form.code.data, now)
        except CodeRefused as refused:
            db.session.rollback()
            form.code.errors.append(refused.message)
        else:
            if current_user.is_authenticated:
                sessions.prove(sign_in, now)
                # The account's other browsers proved only a password: they sign in again.
                sessions.end_all(db.session, user, "two_factor_on", now, keep=sign_in)
                db.session.commit()
                next_url = None
            else:
                next_url = _finish(sign_in, now)
            cookie[NEW_CODES] = codes
            if next_url:
                cookie[PENDING_NEXT] = next_url
            flash("Two-factor sign-in is on", "success")
            return redirect(url_for("two_factor.recovery_codes"))
    return render_template(
        "auth/set_up_two_factor.html",
        form=form,
        qr=qr_svg(provisioning_uri(user)),
        secret=grouped(user.totp_secret),
        must=user.is_staff,
    )


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
        flash("Set up two-factor sign-in first", "info")
        return redirect(url_for("two_factor.set_up"))
    if form.validate_on_submit():
        cookie[NEW_CODES] = issue_recovery_codes(db.session, current_user, utcnow())
        db.session.commit()
        flash("You have new recovery codes: the old ones no longer work", "success")
    return redirect(url_for("two_factor.recovery_codes"))


# -- a council's staff ---------------------------------------------------------------------------


def _admin_council_or_403(slug: str) -> Council:
    from app.public import council_or_404

    council = council_or_404(slug)
    if current_user.role_in(council) != Role.ADMIN:
        abort(403)
    return council


@team.route("/<slug>/staff")
@login_required
def staff(slug: str):
    council = _admin_council_or_403(slug)
    return render_template(
        "auth/staff.html",
        council=council,
        staff=staff_of(db.session, council),
        form=ConfirmForm(),
    )


@team.route("/<slug>/staff/<int:user_id>/reset-two-factor", methods=["POST"])
@login_required
def reset_two_factor(slug: str, user_id: int):
    council = _admin_council_or_403(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    target = db.session.get(User, user_id) if user_id < 2**31 else None
    if target is None or target.role_in(council) in (None, Role.RESIDENT):
        abort(404)
    try:
        ended = reset(db.session, actor=current_user, target=target, council=council, now=utcnow())
    except DomainError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("team.staff", slug=council.slug))
    db.session.commit()
    flash(
        f"{target.display_name}'s second factor is reset: {ended} sign-in"
        f"{'' if ended == 1 else 's'} ended. They set up a new authenticator when they next "
        "sign in.",
        "success",
    )
    return redirect(url_for("team.staff", slug=council.slug))


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(team)
