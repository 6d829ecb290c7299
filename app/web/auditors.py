"""The audit trail, per round: for the council's auditors, officers and administrators."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from app.web.extensions import db
from app.web.presenters import methods as voting_methods
from app.web.public import council_or_404
from app.web.views import attempt, paper_texts, refusals_limited, refuse
from app.workflow import audit, exports, results, rounds
from app.workflow.errors import DomainError, WrongPhase
from app.workflow.models import Council, FundingRound, Role

bp = Blueprint("auditors", __name__, url_prefix="/auditors")

# What an audit event is about (its ``subject_type``, the record's kind), as the log names it.
SUBJECTS = {
    "fundinground": lazy_pgettext("audit subject", "round"),
    "pot": lazy_pgettext("audit subject", "pot"),
    "proposal": lazy_pgettext("audit subject", "proposal"),
    "roundtrustee": lazy_pgettext("audit subject", "trustee"),
    "user": lazy_pgettext("audit subject", "account"),
    "contribution": lazy_pgettext("audit subject", "contribution"),
    "deliveryupdate": lazy_pgettext("audit subject", "delivery update"),
    "registration": lazy_pgettext("audit subject", "registration"),
    "rollentry": lazy_pgettext("audit subject", "roll entry"),
    "council": lazy_pgettext("audit subject", "council"),
}

# Every refusal on these pages is counted (``refusals_limited``) and written to the server log
# (``refuse``). Only one kind reaches the audit trail: someone with a role in the council (a
# resident, say) asking for an existing pot's export, an event about things that exist.


def council_or_refuse(slug: str) -> Council:
    try:
        return council_or_404(slug)
    except NotFound:
        refuse(404, "no council with this address")


def reader_council_or_403(slug: str) -> Council:
    council = council_or_refuse(slug)
    if not current_user.has_role(council, Role.AUDITOR, Role.OFFICER):
        refuse(403, f"not an auditor or officer of council {council.id}")
    return council


@bp.route("/<slug>")
@refusals_limited
@login_required
def council_audit(slug: str):
    council = reader_council_or_403(slug)
    return render_template("auditors/council.html", council=council, rounds=council.rounds)


def audited_round_or_404(council: Council, round_slug: str) -> FundingRound:
    """Any round of the council, drafts included (its auditors read them all); an unknown one
    is logged and not found. The public pages use ``public.round_or_404``, which hides drafts."""
    funding_round = rounds.find_round(db.session, council, round_slug)
    if funding_round is None:
        refuse(404, f"no such round in council {council.id}")
    return funding_round


@bp.route("/<slug>/rounds/<round_slug>")
@refusals_limited
@login_required
def round_audit(slug: str, round_slug: str):
    council = reader_council_or_403(slug)
    funding_round = audited_round_or_404(council, round_slug)
    return render_template(
        "auditors/round.html",
        council=council,
        round=funding_round,
        events=audit.events_for_round(db.session, funding_round),
        labels={action: _(label) for action, label in audit.ACTIONS.items()},
        subjects={kind: str(name) for kind, name in SUBJECTS.items()},
        counted=results.results_for(db.session, funding_round),
    )


@bp.route("/<slug>/rounds/<round_slug>/export/<int:pot_id>")
@refusals_limited
@login_required
def export_pot(slug: str, round_slug: str, pot_id: int):
    """One pot's auditor export (a ZIP). Every download is written to the audit trail, and so
    is a refusal of someone with another role in the council asking for an existing pot's
    export; other refusals (no role in the council, no such round or pot) only to the log."""
    council = council_or_refuse(slug)
    if not current_user.has_role(council, Role.AUDITOR, Role.OFFICER):
        _refuse_export(council, round_slug, pot_id)
    funding_round = _round_with_pot_or_404(council, round_slug, pot_id)
    data = attempt(_download, funding_round, pot_id, actor=current_user)
    name = exports.filename(funding_round, pot_id)
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _round_with_pot_or_404(council: Council, round_slug: str, pot_id: int) -> FundingRound:
    funding_round = audited_round_or_404(council, round_slug)
    if pot_id not in {p.id for p in funding_round.pots}:
        refuse(404, f"no such pot in round {funding_round.id}")
    return funding_round


def _refuse_export(council: Council, round_slug: str, pot_id: int) -> NoReturn:
    """Refuse someone who is not the council's auditor or officer; written to the audit trail
    when they have another role in the council and the pot exists."""
    funding_round = rounds.find_round(db.session, council, round_slug)
    if (
        current_user.role_in(council) is not None
        and funding_round is not None
        and pot_id in {p.id for p in funding_round.pots}
    ):
        attempt(exports.refuse, funding_round, pot_id, actor=current_user)
    refuse(403, f"not an auditor or officer of council {council.id}")


def _download(session, funding_round: FundingRound, pot_id: int, *, actor) -> bytes:
    try:
        return exports.download(session, funding_round, pot_id, actor=actor)
    except DomainError as error:
        # The only refusal here is a pot not counted yet: a matter of the round's phase.
        raise WrongPhase(error.message) from None


@bp.route("/<slug>/rounds/<round_slug>/what-if")
@refusals_limited
@login_required
def what_if(slug: str, round_slug: str):
    """What other rules would have funded from the same ballots, beside the round's own;
    refused (``WrongPhase``, its page) until the results are published."""
    council = reader_council_or_403(slug)
    funding_round = audited_round_or_404(council, round_slug)
    pots = results.what_if(db.session, funding_round)
    return render_template(
        "auditors/what_if.html",
        council=council,
        round=funding_round,
        pots=pots,
        labels=voting_methods.rule_labels(),
        **paper_texts(funding_round, [row[3] for pot in pots for row in pot.projects]),
    )
