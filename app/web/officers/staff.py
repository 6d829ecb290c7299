"""A council's staff, for its administrators: who they are, and resetting a colleague's
second factor (audited; it ends every sign-in of that account)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms import ConfirmForm
from app.web.officers import bp
from app.web.public import council_or_404
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
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    target = db.session.get(User, user_id) if user_id < 2**31 else None
    if target is None or target.role_in(council) in (None, Role.RESIDENT):
        abort(404)
    try:
        ended = two_factor.reset(
            db.session, actor=current_user, target=target, council=council, now=utcnow()
        )
    except DomainError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("officers.staff", slug=council.slug))
    db.session.commit()
    flash(
        f"{target.display_name}'s second factor is reset: {ended} sign-in"
        f"{'' if ended == 1 else 's'} ended. They set up a new authenticator when they next "
        "sign in.",
        "success",
    )
    return redirect(url_for("officers.staff", slug=council.slug))
