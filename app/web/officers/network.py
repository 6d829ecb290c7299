"""A council's place in the network, for its administrators: whether its published rounds are
shown on the network's pages beside the other councils'."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web.forms.network import NetworkForm
from app.web.officers import bp
from app.web.officers.staff import _admin_council_or_403
from app.web.views import attempt
from app.workflow import network


@bp.route("/<slug>/network", methods=["GET", "POST"])
@login_required
def council_network(slug: str):
    council = _admin_council_or_403(slug)
    form = NetworkForm()
    if not form.is_submitted():
        form.in_network.data = "yes" if council.in_network else "no"
    elif form.validate():
        joined = form.in_network.data == "yes"
        attempt(network.set_in_network, council, joined=joined, actor=current_user)
        flash(
            _("The council is shown on the network's pages.")
            if joined
            else _("The council is no longer shown on the network's pages."),
            "success",
        )
        return redirect(url_for("officers.council_network", slug=council.slug))
    return render_template("officers/council_network.html", council=council, form=form)
