"""The results on the big screen before they are published: for the evening they are
announced, between the count at the close and an officer publishing them. The same slides as
the public presentation (``app.web.results.presentation``), marked "Not yet published"."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.web.extensions import db
from app.web.officers import answer, bp, officer_round_or_404
from app.web.presenters import presentation as slides
from app.web.results import presentation
from app.workflow import proposals, results
from app.workflow.models import Phase

R = "/<slug>/rounds/<round_slug>/results/present"


@bp.route(R)
@login_required
def present_results(slug: str, round_slug: str):
    council, funding_round, views = _counted(slug, round_slug)
    return presentation(council, funding_round, views, None, slides.OFFICERS, published=False)


@bp.route(R + "/<int:pot_id>")
@login_required
def present_results_pot(slug: str, round_slug: str, pot_id: int):
    council, funding_round, views = _counted(slug, round_slug)
    return presentation(council, funding_round, views, pot_id, slides.OFFICERS, published=False)


def _counted(slug: str, round_slug: str):
    """The round, for its officers, once voting has closed and every pot is counted, with the
    stored results (as the officers' check reads them: nothing is counted again). Once the
    results are published, the same slide of the public presentation; before the close or
    the count (a secret ballot waits for its trustees), a 409 page saying which."""
    council, funding_round = officer_round_or_404(slug, round_slug)
    if proposals.results_published(funding_round):
        public = slides.PUBLIC.pot if "pot_id" in request.view_args else slides.PUBLIC.start
        kept = {k: v for k, v in request.args.items() if k == "scheme"}
        abort(redirect(url_for(public, **request.view_args, **kept)))
    if funding_round.phase != Phase.CLOSED:
        _not_now(
            _("Voting has not closed"),
            _("The results can be shown once voting has closed and the votes are counted."),
        )
    if results.missing_results(db.session, funding_round):
        _not_now(
            _("The votes have not been counted yet"),
            _("The results can be shown once every pot has been counted."),
        )
    views = [results.pot_view(r) for r in results.results_for(db.session, funding_round)]
    return council, funding_round, views


def _not_now(title: str, body: str) -> None:
    answer(render_template("errors/error.html", title=title, body=body), 409)
