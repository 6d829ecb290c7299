"""Pages for a signed-in resident: their account, proposing, supporting and reporting."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Proposal

bp = Blueprint("residents", __name__)


@bp.route("/account/")
@login_required
def account():
    own = db.session.scalars(
        select(Proposal).where(Proposal.author_id == current_user.id).order_by(Proposal.id.desc())
    ).all()
    return render_template("residents/account.html", user=current_user, proposals=own)


from app.residents import proposals, voting  # noqa: E402,F401  (registers their routes)
