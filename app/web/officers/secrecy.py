"""The officers' page for an encrypted round's trustees: whether ballots are encrypted, the
trustees and their links, making the round's key, and after the close where each pot's
shuffles and decryptions stand. The work is ``app.workflow.secrecy``."""

from __future__ import annotations

from typing import Any

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms.secrecy import ButtonForm, EncryptionForm, RestartForm, TrusteeForm
from app.web.officers import Done, bp, officer_page, officer_round_or_404, to_round, tried
from app.web.presenters.secrecy import fingerprint, pot_rows
from app.web.views import attempt, say
from app.workflow import secrecy
from app.workflow.errors import DomainError
from app.workflow.models import Council, FundingRound, Phase

S = "/<slug>/rounds/<round_slug>/trustees"
PAGE = ".trustees"


def _settings_data(funding_round: FundingRound) -> dict[str, Any]:
    found = secrecy.secrecy_of(db.session, funding_round)
    if found is None:
        return {"encrypted": "no", "trustee_mixes": "1"}
    return {
        "encrypted": "yes",
        "threshold": found.threshold,
        "trustee_mixes": str(found.trustee_mixes),
    }


def _page(
    council: Council, funding_round: FundingRound, status: int = 200, **context: Any
) -> tuple[str, int]:
    """The trustees page; ``context`` may carry a form shown again with its errors (as
    ``form`` too, for the error summary) or a link to show once (``link``)."""
    found = secrecy.status(db.session, funding_round)
    settings = EncryptionForm(formdata=None, data=_settings_data(funding_round))
    context.setdefault("settings_form", settings)
    context.setdefault("trustee_form", TrusteeForm(formdata=None))
    context.setdefault("restart_form", RestartForm(formdata=None))
    shown = funding_round.phase.index >= Phase.CLOSED.index
    return officer_page(
        "officers/trustees.html",
        council,
        funding_round,
        status=found,
        fingerprint=fingerprint(found.public_key if found else None),
        ceremony_started=bool(found) and found.stage != secrecy.Stage.TRUSTEES,
        all_registered=bool(found) and all(t.registered for t in found.trustees),
        pots=pot_rows(db.session, funding_round) if shown else [],
        stages=secrecy.Stage,
        **context,
    ), status


def _done(fn, *args: Any, **kwargs: Any) -> Done | None:
    """``attempt(fn, ..., actor=the officer)`` for a button: the refusal, if any, flashed."""
    if not ButtonForm().validate_on_submit():
        flash(_("Use the buttons on this page"), "important")
        return None
    try:
        return Done(attempt(fn, *args, actor=current_user, **kwargs))
    except DomainError as error:
        flash(say(error), "important")
        return None


def _link(token: str) -> str:
    return url_for("trustees.page", token=token, _external=True)


@bp.route(S)
@login_required
def trustees(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    return _page(council, funding_round)


@bp.route(S + "/settings", methods=["POST"])
@login_required
def encryption_settings(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = EncryptionForm()
    if form.validate_on_submit() and tried(
        form, "encrypted", secrecy.configure, funding_round, **_settings(form)
    ):
        flash(_("The encryption settings are saved"), "success")
        return to_round(slug, round_slug, PAGE)
    return _page(council, funding_round, 422, settings_form=form, form=form)


def _settings(form: EncryptionForm) -> dict[str, Any]:
    return {
        "encrypted": form.encrypted.data == "yes",
        "threshold": form.threshold.data,
        "trustee_mixes": int(form.trustee_mixes.data),
    }


@bp.route(S + "/add", methods=["POST"])
@login_required
def add_trustee(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = TrusteeForm()
    done = form.validate_on_submit() and tried(
        form, "name", secrecy.add_trustee, funding_round, name=form.name.data
    )
    if not done:
        return _page(council, funding_round, 422, trustee_form=form, form=form)
    trustee, token = done.value
    return _page(council, funding_round, link=_link(token), link_for=trustee.name)


@bp.route(S + "/<int:trustee_id>/remove", methods=["POST"])
@login_required
def remove_trustee(slug: str, round_slug: str, trustee_id: int):
    funding_round = officer_round_or_404(slug, round_slug)[1]
    if _done(secrecy.remove_trustee, funding_round, trustee_id):
        flash(_("The trustee is removed; their link no longer works"), "success")
    return to_round(slug, round_slug, PAGE)


@bp.route(S + "/<int:trustee_id>/renew", methods=["POST"])
@login_required
def renew_link(slug: str, round_slug: str, trustee_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    done = _done(secrecy.renew_link, funding_round, trustee_id)
    if not done:
        return to_round(slug, round_slug, PAGE)
    trustee = next(t for t in secrecy.trustees_of(db.session, funding_round) if t.id == trustee_id)
    return _page(council, funding_round, link=_link(done.value), link_for=trustee.name)


@bp.route(S + "/start", methods=["POST"])
@login_required
def start_key(slug: str, round_slug: str):
    funding_round = officer_round_or_404(slug, round_slug)[1]
    if _done(secrecy.start_ceremony, funding_round):
        flash(_("Making the key has started: each trustee can now make their part"), "success")
    return to_round(slug, round_slug, PAGE)


@bp.route(S + "/restart", methods=["POST"])
@login_required
def restart_key(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = RestartForm()
    if form.validate_on_submit() and tried(
        form, "reason", secrecy.restart_key, funding_round, reason=form.reason.data
    ):
        flash(_("The key will be made again: the trustees keep their registrations"), "success")
        return to_round(slug, round_slug, PAGE)
    return _page(council, funding_round, 422, restart_form=form, form=form)


@bp.route(S + "/<int:trustee_id>/lost", methods=["POST"])
@login_required
def trustee_lost_key(slug: str, round_slug: str, trustee_id: int):
    funding_round = officer_round_or_404(slug, round_slug)[1]
    if _done(secrecy.record_lost, funding_round, trustee_id, lost=True):
        flash(_("Recorded: that trustee no longer holds their share of the key"), "success")
    return to_round(slug, round_slug, PAGE)


@bp.route(S + "/<int:trustee_id>/found", methods=["POST"])
@login_required
def trustee_found_key(slug: str, round_slug: str, trustee_id: int):
    funding_round = officer_round_or_404(slug, round_slug)[1]
    if _done(secrecy.record_lost, funding_round, trustee_id, lost=False):
        flash(_("Recorded: that trustee holds their share of the key again"), "success")
    return to_round(slug, round_slug, PAGE)
