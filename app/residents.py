"""Pages for a signed-in resident: their account and roles."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

bp = Blueprint("residents", __name__, url_prefix="/account")


@bp.route("/")
@login_required
def account():
    return render_template("residents/account.html", user=current_user)
