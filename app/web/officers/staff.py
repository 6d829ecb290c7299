"""A council's staff, for its administrators: who they are, and resetting a colleague's
second factor (audited; it ends every sign-in of that account)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms import ConfirmForm
from app.web.officers import bp
from app.web.presenters.formatting import number
from app.web.public import council_or_404
from app.web.views import attempt, say
from app.workflow import two_factor
from app.workflow.clock import utcnow
from app.workflow.errors import DomainError
from app.workflow.models import Council, Role, User


def _admin_council_or_403(slug: str) -> Council:
    council = council_or_404(slug)
    if current_user.role_in(council) != Role.ADMIN:
        abort(403)
    return council


@bp.route("/<slug>/staff")
@login_required
def staff(slug: str):
    council = _admin_council_or_403(slug)
    return render_template(
        "officers/staff.html",
        council=council,
        staff=two_factor.staff_of(db.session, council),
        form=ConfirmForm(),
    )


@bp.route("/<slug>/staff/<int:user_id>/reset-two-factor", methods=["POST"])
@login_required
def reset_two_factor(slug: str, user_id: int):
    council = _admin_council_or_403(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = _staff_member_or_404(council, user_id)
    try:
        ended = attempt(
            two_factor.reset, actor=current_user, target=target, council=council, now=utcnow()
        )
    except DomainError as refused:
        flash(say(refused), "error")
    else:
        flash(_reset_done(target, ended), "success")
    return redirect(url_for("officers.staff", slug=council.slug))


def _staff_member_or_404(council: Council, user_id: int) -> User:
    """One of the council's officers, auditors or administrators (not a resident)."""
    target = db.session.get(User, user_id) if user_id < 2**31 else None
    if target is None or target.role_in(council) in (None, Role.RESIDENT):
        abort(404)
    return target


def _reset_done(target: User, ended: int) -> str:
    return ngettext(
        "%(name)s's second factor is reset: %(count)s sign-in ended. They set up a new "
        "authenticator when they next sign in.",
        "%(name)s's second factor is reset: %(count)s sign-ins ended. They set up a new "
        "authenticator when they next sign in.",
        ended,
        name=target.display_name,
        count=number(ended),
    )
