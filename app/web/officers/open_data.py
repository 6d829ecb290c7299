"""A council's open data choice, for its officers: whether the ballots of rounds whose voting
opens from now on keep their voter's neighbourhood and age band for the open data."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.web.extensions import db
from app.web.forms.open_data import OpenDataForm
from app.web.officers import bp, officer_council_or_403, tried
from app.workflow import open_data


@bp.route("/<slug>/open-data", methods=["GET", "POST"])
@login_required
def open_data_settings(slug: str):
    council = officer_council_or_403(slug)
    form = OpenDataForm()
    if not form.is_submitted():
        form.voter_details.data = "yes" if council.open_data_voter_details else "no"
    elif form.validate() and tried(
        form,
        "voter_details",
        open_data.set_voter_details,
        council,
        chosen=form.voter_details.data == "yes",
    ):
        flash(_("The council's open data choice is saved."), "success")
        return redirect(url_for("officers.open_data_settings", slug=slug))
    return render_template(
        "officers/open_data.html",
        council=council,
        form=form,
        keeping=open_data.rounds_with_voter_details(db.session, council),
    )
