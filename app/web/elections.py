"""Pages for elections at an organisation's general meetings: its officers add an election
with its constituencies, enter nominations and withdrawals, open and close voting, enter paper
ballots and declare the result; members vote online with a ranked ballot; anyone reads the
candidates and the declaration (page and PDF); officers and auditors export it. The work is
``app.workflow.governance.elections``."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms.elections import (
    ConstituencyForm,
    ElectionForm,
    ballot_form,
    nomination_form,
    with_classes,
)
from app.web.officers import tried
from app.web.presenters.declaration_pdf import election_declaration_pdf
from app.web.presenters.elections import declaration, quorum_sentence
from app.web.presenters.formatting import london_time
from app.web.views import attempt, refusal_page, show_error
from app.workflow.clock import utcnow
from app.workflow.errors import DomainError
from app.workflow.governance import elections, proxies
from app.workflow.governance.models import ItemState, Meeting, MeetingItem
from app.workflow.organisations import may_run
from ballots import members as box
from ballots.refusals import N_, Refusal

bp = Blueprint("elections", __name__)

ORG = "/organisations/<int:organisation_id>"
E = ORG + "/elections/<int:item_id>"
RULE_NAMES = {"scottish": "Scottish STV", "meek": "Meek STV"}


def _answers_refusals(view):
    """A refusal the view does not show beside a field becomes its page, with its status."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Refusal as error:
            db.session.rollback()
            return refusal_page(error)

    return wrapped


def _election_or_404(organisation_id: int, item_id: int) -> MeetingItem:
    item = elections.find_election(db.session, organisation_id, item_id)
    if item is None:
        abort(404)
    g.council = item.meeting.organisation.council  # the page is branded with its host
    return item


def _officers_election(organisation_id: int, item_id: int) -> MeetingItem:
    """The election, for its organisation's officers: 403 for anyone else."""
    item = _election_or_404(organisation_id, item_id)
    if not may_run(current_user, item.meeting.organisation):
        abort(403)
    return item


def _officers_meeting(organisation_id: int, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.organisation_id != organisation_id:
        abort(404)
    g.council = meeting.organisation.council
    if not may_run(current_user, meeting.organisation):
        abort(403)
    return meeting


def _to(endpoint: str, item: MeetingItem, **values):
    return redirect(
        url_for(
            f".{endpoint}",
            organisation_id=item.meeting.organisation_id,
            item_id=item.id,
            **values,
        )
    )


def _page(template: str, item: MeetingItem, **context):
    return render_template(
        f"elections/{template}.html",
        item=item,
        meeting=item.meeting,
        organisation=item.meeting.organisation,
        rule_name=RULE_NAMES.get(item.rule, item.rule),
        **context,
    )


# --- The officers' pages ---------------------------------------------------------------------


@bp.route(ORG + "/meetings/<int:meeting_id>/elections/new", methods=["GET", "POST"])
@login_required
def new(organisation_id: int, meeting_id: int):
    meeting = _officers_meeting(organisation_id, meeting_id)
    form = with_classes(ElectionForm(), meeting.organisation.classes)
    done = form.validate_on_submit() and tried(
        form,
        "title",
        elections.add_election,
        meeting,
        title=form.title.data,
        rule=form.rule.data,
        constituencies=[form.spec()],
        now=utcnow(),
        **form.deadlines(),
    )
    if done:
        flash(_("The election is on the agenda: now enter its nominations"), "success")
        return _to("manage", done.value)
    return render_template("elections/new.html", meeting=meeting, form=form)


@bp.route(E)
@login_required
def manage(organisation_id: int, item_id: int):
    item = _officers_election(organisation_id, item_id)
    turnout = box.turnout(db.session, item.id) if item.state is not ItemState.DRAFT else None
    return _page("manage", item, turnout=turnout, now=utcnow(), state=ItemState)


@bp.route(E + "/constituencies/new", methods=["GET", "POST"])
@login_required
def add_constituency(organisation_id: int, item_id: int):
    item = _officers_election(organisation_id, item_id)
    form = with_classes(ConstituencyForm(), item.meeting.organisation.classes)
    done = form.validate_on_submit() and tried(
        form, "name", elections.add_constituency, item, spec=form.spec(), now=utcnow()
    )
    if done:
        flash(_("%(name)s is added", name=done.value.name), "success")
        return _to("manage", item)
    return _page("constituency", item, form=form)


@bp.route(E + "/nominate", methods=["GET", "POST"])
@login_required
def nominate(organisation_id: int, item_id: int):
    item = _officers_election(organisation_id, item_id)
    form = nomination_form(item)
    done = form.validate_on_submit() and tried(
        form,
        "member",
        elections.nominate_by_numbers,
        item,
        constituency_id=form.constituency.data,
        member=form.member.data,
        proposer=form.proposer.data,
        seconder=form.seconder.data,
        statement=form.statement.data,
        now=utcnow(),
    )
    if done:
        flash(_("%(name)s is nominated", name=done.value.member.name), "success")
        return _to("manage", item)
    return _page("nominate", item, form=form)


def _step(item: MeetingItem, fn, done: str, subject=None, endpoint: str = "manage"):
    """One of the officers' buttons (its CSRF token checked for every POST): the step on the
    election (or ``subject``), then back to the election's page."""
    attempt(fn, subject or item, actor=current_user, now=utcnow())
    flash(done, "success")
    return _to(endpoint, item)


@bp.route(E + "/nominations/<int:nomination_id>/withdraw", methods=["POST"])
@login_required
@_answers_refusals
def withdraw(organisation_id: int, item_id: int, nomination_id: int):
    item = _officers_election(organisation_id, item_id)
    nomination = next(
        (n for c in item.constituencies for n in c.nominations if n.id == nomination_id), None
    )
    if nomination is None:
        abort(404)
    message = _("%(name)s has withdrawn", name=nomination.member.name)
    return _step(item, elections.withdraw, message, subject=nomination)


@bp.route(E + "/open", methods=["POST"])
@login_required
@_answers_refusals
def open_voting(organisation_id: int, item_id: int):
    item = _officers_election(organisation_id, item_id)
    return _step(item, elections.open_election, _("Voting is open: the ballot order is drawn"))


@bp.route(E + "/close", methods=["POST"])
@login_required
@_answers_refusals
def close_voting(organisation_id: int, item_id: int):
    item = _officers_election(organisation_id, item_id)
    return _step(item, elections.close_election, _("Voting is closed"))


@bp.route(E + "/declare", methods=["POST"])
@login_required
@_answers_refusals
def declare(organisation_id: int, item_id: int):
    item = _officers_election(organisation_id, item_id)
    message = _("The result is declared")
    return _step(item, elections.declare_election, message, endpoint="declaration_page")


@bp.route(E + "/paper/<int:constituency_id>", methods=["GET", "POST"])
@login_required
@_answers_refusals
def paper(organisation_id: int, item_id: int, constituency_id: int):
    item = _officers_election(organisation_id, item_id)
    place = _place(item, constituency_id)
    form = ballot_form(place["candidates"], paper=True)
    done = form.validate_on_submit() and tried(
        form,
        "member_number",
        elections.record_paper,
        item,
        member_number=form.member_number.data,
        numbers=form.numbers(),
        constituency_id=constituency_id,
        now=utcnow(),
    )
    if done:
        flash(_("The paper ballot of %(number)s is recorded", number=form.member_number.data))
        return _to("paper", item, constituency_id=constituency_id)
    return _page("paper", item, form=form, place=place)


def _place(item: MeetingItem, constituency_id: int) -> dict:
    for place in elections.manifest_of(item)["constituencies"]:
        if place["id"] == constituency_id:
            return place
    abort(404)


@bp.route(E + "/export.zip")
@login_required
@_answers_refusals
def export(organisation_id: int, item_id: int):
    item = _election_or_404(organisation_id, item_id)
    if not elections.may_audit(current_user, item.meeting):
        abort(403)
    data = elections.export_zip(db.session, item, actor=current_user)
    name = f"election-{item.id}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return data, 200, {"Content-Type": "application/zip", **headers}


# --- Everyone's pages ------------------------------------------------------------------------


@bp.route(E + "/candidates")
def candidates(organisation_id: int, item_id: int):
    item = _election_or_404(organisation_id, item_id)
    officer = may_run(current_user, item.meeting.organisation)
    return _page("candidates", item, on_ballot=elections.on_ballot, officer=officer)


@bp.route(E + "/declaration")
@_answers_refusals
def declaration_page(organisation_id: int, item_id: int):
    item = _election_or_404(organisation_id, item_id)
    result = _declared(item)
    return _page(
        "declaration",
        item,
        parts=declaration(result),
        quorum=quorum_sentence(result),
        inquorate=bool((result.get("quorum") or {}).get("inquorate")),
        declared_at=london_time(item.declared_at),
    )


def _declared(item: MeetingItem) -> dict:
    if item.state is not ItemState.DECLARED:
        raise elections.WrongState(
            N_("The result of %(title)s has not been declared yet."), title=item.title
        )
    return elections.result_of(item)


@bp.route(E + "/declaration.pdf")
@_answers_refusals
def declaration_file(organisation_id: int, item_id: int):
    item = _election_or_404(organisation_id, item_id)
    result = _declared(item)
    data = election_declaration_pdf(
        organisation=item.meeting.organisation.name,
        meeting=item.meeting.title,
        title=item.title,
        declared_at=london_time(item.declared_at) if item.declared_at else "",
        rule=RULE_NAMES.get(item.rule, item.rule),
        parts=declaration(result),
        quorum=quorum_sentence(result),
        inquorate=bool((result.get("quorum") or {}).get("inquorate")),
    )
    headers = {"Content-Disposition": f'inline; filename="declaration-{item.id}.pdf"'}
    return data, 200, {"Content-Type": "application/pdf", **headers}


@bp.route(E + "/vote", methods=["GET", "POST"])
@login_required
@_answers_refusals
def vote(organisation_id: int, item_id: int):
    item = _election_or_404(organisation_id, item_id)
    place = elections.ballot_for(db.session, item, current_user)
    form = ballot_form(place.constituency["candidates"])
    if form.validate_on_submit() and _cast(form, item, place):
        return _to("voted", item)
    return _page("vote", item, form=form, place=place.constituency, held=_held(item))


@bp.route(E + "/proxy/<int:member_id>", methods=["GET", "POST"])
@login_required
@_answers_refusals
def vote_for(organisation_id: int, item_id: int, member_id: int):
    """The ballot of a member whose proxy the signed-in member (or the chair) holds."""
    item = _election_or_404(organisation_id, item_id)
    place, _holder = elections.proxy_ballot_for(db.session, item, current_user, member_id)
    form = ballot_form(place.constituency["candidates"])
    if form.validate_on_submit() and _cast(form, item, place, for_member_id=member_id):
        return _to("voted", item)
    return _page("vote", item, form=form, place=place.constituency, for_member=place.member)


def _cast(form, item: MeetingItem, place, for_member_id: int | None = None) -> bool:
    """Cast the ballot; its receipt is kept for the next page only. A refusal of the numbers
    goes beside the first candidate's box."""
    try:
        cast = attempt(
            elections.cast_online,
            item,
            actor=current_user,
            numbers=form.numbers(),
            now=utcnow(),
            for_member_id=for_member_id,
        )
    except DomainError as error:
        show_error(form, error, f"c{place.constituency['candidates'][0]['id']}")
        return False
    session["election_receipt"] = {
        "item": item.id,
        "code": cast.receipt,
        "for": place.member.name if for_member_id is not None else None,
    }
    return True


@bp.route(E + "/voted")
@login_required
def voted(organisation_id: int, item_id: int):
    item = _election_or_404(organisation_id, item_id)
    receipt = session.pop("election_receipt", None)
    mine = receipt is not None and receipt.get("item") == item.id
    return _page(
        "voted",
        item,
        receipt=receipt["code"] if mine else None,
        for_name=receipt.get("for") if mine else None,
        held=_held(item),
    )


def _held(item: MeetingItem) -> list:
    """The members whose proxy the signed-in user holds for this election and for whom no
    ballot has been cast yet: each gets a link to their ballot."""
    if item.state is not ItemState.OPEN:
        return []
    return [
        member
        for member in proxies.held_for(db.session, item, current_user)
        if box.has_voted(db.session, item.id, member.id) is None
    ]
