"""Pages for an organisation's general meetings: its officers create a meeting, table motions
and amendments, give notice, start it with a chair, check members in, enter paper ballots and
proxies; the chair opens, closes and declares each motion; members whose account is linked to
their member record propose motions for another member to second, vote online, for
themselves and for those whose proxy they hold, and read the declarations. The work itself
is ``app.workflow.governance``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web.extensions import db, limiter
from app.web.forms import ConfirmForm
from app.web.forms.meetings import (
    CheckInForm,
    ClaimCodeForm,
    ClaimForm,
    DeclareForm,
    LinkForm,
    MeetingForm,
    PaperForm,
    VoteForm,
    motion_form,
    propose_form,
    proxy_form,
    start_form,
)
from app.web.officers import tried
from app.web.organisations import run_or_403
from app.web.presenters import meetings as words
from app.web.presenters.declaration_pdf import motion_declaration_pdf
from app.web.presenters.formatting import clock_time, london_time
from app.web.residents.voting import code_key
from app.web.views import attempt, say
from app.workflow import organisations
from app.workflow.clock import london_today, utcnow
from app.workflow.errors import Refusal
from app.workflow.governance import claims, elections, exports, meetings, motions, proxies
from app.workflow.governance.models import (
    ItemKind,
    ItemState,
    Meeting,
    MeetingItem,
    ProposalState,
)
from ballots import members as box

bp = Blueprint("meetings", __name__)

ORG = "/organisations/<int:organisation_id>"
MEETING = ORG + "/meetings/<int:meeting_id>"
ITEM = MEETING + "/items/<int:item_id>"
PROPOSAL = MEETING + "/proposals/<int:proposal_id>"


# --- Finding things, and who may see them ----------------------------------------------------


def _meeting_or_404(organisation, meeting_id: int) -> Meeting:
    meeting = meetings.find_meeting(db.session, organisation, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def officer_meeting(organisation_id: int, meeting_id: int) -> Meeting:
    """The meeting, for the organisation's officers (403 for anyone else)."""
    return _meeting_or_404(run_or_403(organisation_id), meeting_id)


def member_meeting(organisation_id: int, meeting_id: int) -> Meeting:
    """The meeting, for its organisation's officers and its members with a linked account."""
    organisation = organisations.find_organisation(db.session, organisation_id) or abort(404)
    g.council = organisation.council
    member = meetings.member_of_account(db.session, organisation, current_user)
    if member is None and not organisations.may_run(current_user, organisation):
        abort(403)
    return _meeting_or_404(organisation, meeting_id)


def _item_or_404(meeting: Meeting, item_id: int) -> MeetingItem:
    return motions.find_item(db.session, meeting, item_id) or abort(404)


def _to(endpoint: str, meeting: Meeting, **values):
    return redirect(
        url_for(
            f".{endpoint}",
            organisation_id=meeting.organisation_id,
            meeting_id=meeting.id,
            **values,
        )
    )


def _page(template: str, meeting: Meeting | None = None, **context):
    organisation = context.pop("organisation", None) or meeting.organisation
    return render_template(
        f"meetings/{template}.html",
        organisation=organisation,
        council=organisation.council,
        meeting=meeting,
        can_host=organisations.may_host(current_user, organisation.council),
        **context,
    )


def _button(fn, meeting: Meeting, *args, done: str, to: str = "meeting", **kwargs):
    """A button's POST (its CSRF token only): the workflow's answer as a flash, then back."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt(fn, *args, actor=current_user, now=utcnow(), **kwargs)
        flash(done, "success")
    except Refusal as refused:
        flash(say(refused), "important")
    return _to(to, meeting)


# --- Meetings --------------------------------------------------------------------------------


@bp.route(ORG + "/meetings")
@login_required
def listing(organisation_id: int):
    organisation = run_or_403(organisation_id)
    found = meetings.meetings_of(db.session, organisation)
    return _page("list", organisation=organisation, meetings=found)


@bp.route(ORG + "/meetings/new", methods=["GET", "POST"])
@login_required
def new(organisation_id: int):
    organisation = run_or_403(organisation_id)
    form = MeetingForm()
    done = form.validate_on_submit() and tried(
        form, "title", meetings.create_meeting, organisation, now=utcnow(), **form.values()
    )
    if done:
        flash(_("%(title)s is created as a draft", title=done.value.title), "success")
        return _to("meeting", done.value)
    return _page("edit", organisation=organisation, form=form)


@bp.route(MEETING)
@login_required
def meeting(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    items = {item.id: motions.amendments_of(db.session, item) for item in found.items}
    return _page(
        "meeting",
        found,
        amendments=items,
        voters=meetings.voters_count(db.session, found),
        present=meetings.present_count(db.session, found),
        earliest=meetings.earliest_start(found.organisation, utcnow()),
        is_chair=meetings.is_chair(current_user, found),
        proposals=motions.proposals_of(db.session, found),
        confirm=ConfirmForm(),
    )


@bp.route(MEETING + "/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    form = MeetingForm()
    if not form.is_submitted():
        form.show(found)
    done = form.validate_on_submit() and tried(
        form, "title", meetings.edit_meeting, found, now=utcnow(), **form.values()
    )
    if done:
        flash(_("The meeting is saved"), "success")
        return _to("meeting", found)
    return _page("edit", found, form=form)


@bp.route(MEETING + "/notice", methods=["POST"])
@login_required
def notice(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    return _button(meetings.give_notice, found, found, done=_("Notice of the meeting is given"))


@bp.route(MEETING + "/start", methods=["GET", "POST"])
@login_required
def start(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    form = start_form(organisations.officers_of(db.session, found.organisation))
    done = form.validate_on_submit() and tried(
        form, "chair", meetings.start_meeting, found, chair_id=_int(form.chair.data), now=utcnow()
    )
    if done:
        flash(_("The meeting has started"), "success")
        return _to("meeting", found)
    return _page("start", found, form=form)


@bp.route(MEETING + "/close", methods=["POST"])
@login_required
def close(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    return _button(meetings.close_meeting, found, found, done=_("The meeting is closed"))


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


# --- Motions ---------------------------------------------------------------------------------


@bp.route(MEETING + "/motions/new", methods=["GET", "POST"])
@login_required
def new_motion(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    members = motions.proposers(db.session, found, london_today())
    form = motion_form(members, [i for i in found.items if i.amends_id is None])
    if not form.is_submitted():
        form.amends.data = request.args.get("amends", "")
    done = form.validate_on_submit() and tried(
        form, "title", motions.table_motion, found, **_motion(form)
    )
    if done:
        flash(_("%(title)s is on the agenda", title=done.value.title), "success")
        return _to("meeting", found)
    return _page("motion", found, form=form)


def _motion(form) -> dict:
    return {
        "title": form.title.data,
        "wording": form.wording.data,
        "threshold": form.threshold.data,
        "share": form.share.data,
        "proposer_id": _int(form.proposer.data),
        "seconder_id": _int(form.seconder.data),
        "amends_id": _int(form.amends.data),
        "now": utcnow(),
    }


@bp.route(ITEM + "/open", methods=["POST"])
@login_required
def open_item(organisation_id: int, meeting_id: int, item_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    item = _item_or_404(found, item_id)
    return _button(motions.open_voting, found, item, done=_("Voting is open"))


@bp.route(ITEM + "/close", methods=["POST"])
@login_required
def close_item(organisation_id: int, meeting_id: int, item_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    item = _item_or_404(found, item_id)
    return _button(motions.close_voting, found, item, done=_("Voting is closed"))


@bp.route(ITEM + "/turnout")
@login_required
def turnout(organisation_id: int, meeting_id: int, item_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    item = _item_or_404(found, item_id)
    counts = box.turnout(db.session, item.id) if item.state is not ItemState.DRAFT else None
    voters = meetings.voters_count(db.session, found)
    return _page(
        "turnout",
        found,
        item=item,
        counts=counts,
        voters=voters,
        channels=words.CHANNELS,
        # While voting is open the page reloads itself, unless whoever reads it stops that.
        live=item.state is ItemState.OPEN and request.args.get("refresh") != "off",
        updated=clock_time(utcnow()),
    )


@bp.route(ITEM + "/declare", methods=["GET", "POST"])
@login_required
def declare(organisation_id: int, meeting_id: int, item_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    item = _item_or_404(found, item_id)
    form = DeclareForm()
    casting = None if form.casting_vote.data == "none" else form.casting_vote.data
    done = form.validate_on_submit() and tried(
        form, "casting_vote", motions.declare, item, casting_vote=casting, now=utcnow()
    )
    if done:
        flash(_("The result is declared"), "success")
        return _to("declaration", found, item_id=item.id)
    return _page("declare", found, item=item, form=form)


def _declared(organisation_id: int, meeting_id: int, item_id: int) -> tuple[MeetingItem, dict]:
    """The declared motion and its result, for the organisation's officers and its members
    with a linked account; 404 before it is declared."""
    item = _item_or_404(member_meeting(organisation_id, meeting_id), item_id)
    return item, motions.result_of(item) or abort(404)


@bp.route(ITEM + "/declaration")
@login_required
def declaration(organisation_id: int, meeting_id: int, item_id: int):
    item, result = _declared(organisation_id, meeting_id, item_id)
    return _page(
        "declaration",
        item.meeting,
        item=item,
        sentence=words.sentence(result),
        rows=words.result_rows(result),
        can_export=elections.may_audit(current_user, item.meeting),
    )


@bp.route(ITEM + "/declaration.pdf")
@login_required
def declaration_file(organisation_id: int, meeting_id: int, item_id: int):
    """The declaration as a PDF for the minutes, in the page's language."""
    item, result = _declared(organisation_id, meeting_id, item_id)
    data = motion_declaration_pdf(
        organisation=item.meeting.organisation.name,
        meeting=item.meeting.title,
        title=item.title,
        wording=item.body,
        amends=item.amends.title if item.amends is not None else None,
        declared_at=london_time(item.declared_at),
        sentence=words.sentence(result),
        figures=words.result_figures(result),
        manifest_hash=item.manifest_hash or "",
        log_hash=item.log_head_hash or "",
    )
    headers = {"Content-Disposition": f'inline; filename="declaration-{item.id}.pdf"'}
    return data, 200, {"Content-Type": "application/pdf", **headers}


@bp.route(ITEM + "/export.zip")
@login_required
def export(organisation_id: int, meeting_id: int, item_id: int):
    """A declared motion's auditor export, which python -m votes verify recounts."""
    organisation = organisations.find_organisation(db.session, organisation_id) or abort(404)
    meeting = _meeting_or_404(organisation, meeting_id)
    item = _item_or_404(meeting, item_id)
    if not elections.may_audit(current_user, meeting):
        abort(403)
    if item.state is not ItemState.DECLARED:
        abort(409)
    headers = {"Content-Disposition": f'attachment; filename="motion-{item.id}.zip"'}
    data = exports.item_export(db.session, item)
    return data, 200, {"Content-Type": "application/zip", **headers}


# --- In the room -----------------------------------------------------------------------------


@bp.route(MEETING + "/check-in", methods=["GET", "POST"])
@login_required
def check_in(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    form = CheckInForm()
    done = form.validate_on_submit() and tried(
        form,
        "member_number",
        meetings.check_in,
        found,
        member_number=form.member_number.data,
        now=utcnow(),
    )
    if done:
        flash(
            _("Member %(number)s is checked in", number=done.value.member.member_number), "success"
        )
        return _to("check_in", found)
    present = meetings.present_count(db.session, found)
    return _page("check_in", found, form=form, present=present)


@bp.route(ITEM + "/paper", methods=["GET", "POST"])
@login_required
def paper(organisation_id: int, meeting_id: int, item_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    item = _item_or_404(found, item_id)
    form = PaperForm()
    done = form.validate_on_submit() and tried(
        form, "member_number", motions.record_paper, item, **_paper(form)
    )
    if done:
        flash(
            _("The paper ballot of member %(number)s is entered", number=form.member_number.data),
            "success",
        )
        return _to("paper", found, item_id=item.id)
    return _page("paper", found, item=item, form=form)


def _paper(form) -> dict:
    return {"member_number": form.member_number.data, "choice": form.choice.data, "now": utcnow()}


# --- Proxies ---------------------------------------------------------------------------------


@bp.route(MEETING + "/proxies", methods=["GET", "POST"])
@login_required
def proxies_page(organisation_id: int, meeting_id: int):
    found = officer_meeting(organisation_id, meeting_id)
    form = proxy_form(found.items)
    done = form.validate_on_submit() and tried(
        form, "member_number", proxies.appoint_proxy, found, **_proxy(form)
    )
    if done:
        flash(_("The proxy is appointed"), "success")
        return _to("proxies_page", found)
    listed = proxies.proxies_at(db.session, found)
    return _page("proxies", found, form=form, proxies=listed, confirm=ConfirmForm())


def _proxy(form) -> dict:
    return {
        "member_number": form.member_number.data,
        "holder": form.holder.data,
        "item_id": _int(form.item.data),
        "now": utcnow(),
    }


@bp.route(MEETING + "/proxies/<int:proxy_id>/revoke", methods=["POST"])
@login_required
def revoke_proxy(organisation_id: int, meeting_id: int, proxy_id: int):
    found = member_meeting(organisation_id, meeting_id)
    back = "proxies_page" if organisations.may_run(current_user, found.organisation) else "vote"
    return _button(
        proxies.revoke_proxy, found, found, proxy_id, done=_("The proxy is revoked"), to=back
    )


# --- Members ---------------------------------------------------------------------------------


def _member_page(found: Meeting, form=None, proxy=None):
    member = meetings.member_of_account(db.session, found.organisation, current_user)
    item = meetings.open_item(db.session, found)
    voted = (
        item is not None and member is not None and box.has_voted(db.session, item.id, member.id)
    )
    return _page(
        "vote",
        found,
        member=member,
        voter=meetings.voter_of(db.session, found, member),
        item=item,
        voted=voted,
        # How many have voted on the open item, out of how many may: never how.
        turnout=box.turnout(db.session, item.id).voted if item is not None else None,
        voters=meetings.voters_count(db.session, found),
        held=_held(item),
        is_chair=meetings.is_chair(current_user, found),
        form=form or VoteForm(),
        proxy_form=proxy
        or proxy_form(found.items, own_number=member.member_number if member else None),
        appointed=[
            p for p in proxies.proxies_at(db.session, found) if member and p.member_id == member.id
        ],
        takes_motions=motions.takes_motions(found, utcnow()),
        proposals=[
            p for p in motions.proposals_for(db.session, member) if p.meeting_id == found.id
        ],
        proposal_states=motions.PROPOSAL_STATES,
        confirm=ConfirmForm(),
    )


def _held(item: MeetingItem | None) -> list:
    """The members whose proxy the signed-in user holds for the open item; for an election,
    only those with no ballot cast yet (each gets a link to their own ballot)."""
    if item is None:
        return []
    held = proxies.held_for(db.session, item, current_user)
    if item.kind is ItemKind.ELECTION:
        held = [m for m in held if box.has_voted(db.session, item.id, m.id) is None]
    return held


@bp.route(MEETING + "/vote")
@login_required
def vote(organisation_id: int, meeting_id: int):
    return _member_page(member_meeting(organisation_id, meeting_id))


@bp.route(ITEM + "/vote", methods=["POST"])
@login_required
def cast(organisation_id: int, meeting_id: int, item_id: int):
    found = member_meeting(organisation_id, meeting_id)
    item = _item_or_404(found, item_id)
    form = VoteForm()
    done = form.validate_on_submit() and tried(
        form,
        "choice",
        motions.vote_online,
        item,
        choice=form.choice.data,
        for_member_id=_int(form.for_member.data),
        now=utcnow(),
    )
    if not done:
        return _member_page(found, form=form)
    return _page("voted", found, item=item, receipt=done.value.receipt)


@bp.route(MEETING + "/my-proxy", methods=["POST"])
@login_required
def my_proxy(organisation_id: int, meeting_id: int):
    found = member_meeting(organisation_id, meeting_id)
    form = proxy_form(found.items)
    done = form.validate_on_submit() and tried(
        form, "holder", proxies.appoint_proxy, found, **_proxy(form)
    )
    if done:
        flash(_("Your proxy is appointed"), "success")
        return _to("vote", found)
    return _member_page(found, proxy=form)


# --- Members propose motions, and second them ----------------------------------------------


def _linked_member(found: Meeting):
    """The signed-in member of the meeting's organisation (403 for an account not linked)."""
    return meetings.member_of_account(db.session, found.organisation, current_user) or abort(403)


@bp.route(MEETING + "/propose", methods=["GET", "POST"])
@login_required
def propose(organisation_id: int, meeting_id: int):
    found = member_meeting(organisation_id, meeting_id)
    _linked_member(found)
    form = propose_form(
        [i for i in found.items if i.kind is ItemKind.MOTION and i.amends_id is None]
    )
    if not form.is_submitted():
        form.amends.data = request.args.get("amends", "")
    done = form.validate_on_submit() and tried(
        form, "title", motions.propose_motion, found, **_proposed(form)
    )
    if done:
        flash(
            _(
                "%(title)s is proposed: it goes on the agenda once %(name)s seconds it",
                title=done.value.title,
                name=done.value.seconder.name,
            ),
            "success",
        )
        return _to("proposal", found, proposal_id=done.value.id)
    return _page("propose", found, form=form, takes_motions=motions.takes_motions(found, utcnow()))


def _proposed(form) -> dict:
    return {
        "title": form.title.data,
        "wording": form.wording.data,
        "threshold": form.threshold.data,
        "share": form.share.data,
        "seconder_number": form.seconder.data,
        "amends_id": _int(form.amends.data),
        "now": utcnow(),
    }


def _proposal(organisation_id: int, meeting_id: int, proposal_id: int):
    """The meeting's proposal, for its proposer and its seconder (403 for anyone else of the
    organisation; 404 for another meeting's)."""
    found = member_meeting(organisation_id, meeting_id)
    proposal = motions.find_proposal(db.session, found, proposal_id) or abort(404)
    member = meetings.member_of_account(db.session, found.organisation, current_user)
    if member is None or member.id not in (proposal.proposer_id, proposal.seconder_id):
        abort(403)
    return found, proposal, member


@bp.route(PROPOSAL)
@login_required
def proposal(organisation_id: int, meeting_id: int, proposal_id: int):
    found, shown, member = _proposal(organisation_id, meeting_id, proposal_id)
    return _page(
        "proposal",
        found,
        proposal=shown,
        member=member,
        waiting=shown.state is ProposalState.WAITING,
        state=motions.PROPOSAL_STATES[shown.state],
        takes_motions=motions.takes_motions(found, utcnow()),
        confirm=ConfirmForm(),
    )


def _decide(fn, organisation_id, meeting_id, proposal_id, *, done: str):
    found, shown, _member = _proposal(organisation_id, meeting_id, proposal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt(fn, shown, actor=current_user, now=utcnow())
        flash(done, "success")
    except Refusal as refused:
        flash(say(refused), "important")
    return _to("proposal", found, proposal_id=shown.id)


@bp.route(PROPOSAL + "/second", methods=["POST"])
@login_required
def second_motion(organisation_id: int, meeting_id: int, proposal_id: int):
    return _decide(
        motions.second_motion,
        organisation_id,
        meeting_id,
        proposal_id,
        done=_("You have seconded the motion: it is on the agenda"),
    )


@bp.route(PROPOSAL + "/decline", methods=["POST"])
@login_required
def decline_motion(organisation_id: int, meeting_id: int, proposal_id: int):
    return _decide(
        motions.decline_motion,
        organisation_id,
        meeting_id,
        proposal_id,
        done=_("You have declined to second the motion"),
    )


@bp.route(PROPOSAL + "/withdraw", methods=["POST"])
@login_required
def withdraw_proposal(organisation_id: int, meeting_id: int, proposal_id: int):
    return _decide(
        motions.withdraw_proposal,
        organisation_id,
        meeting_id,
        proposal_id,
        done=_("Your proposal is withdrawn"),
    )


@bp.route(ORG + "/members/<int:member_id>/account", methods=["GET", "POST"])
@login_required
def link(organisation_id: int, member_id: int):
    organisation = run_or_403(organisation_id)
    member = organisations.member_of(db.session, organisation, member_id) or abort(404)
    form = LinkForm()
    done = form.validate_on_submit() and tried(
        form, "email", meetings.link_account, organisation, member.id, email=form.email.data
    )
    if done:
        flash(_("%(name)s's account is linked: they can vote online", name=member.name), "success")
        return redirect(url_for("organisations.members", organisation_id=organisation.id))
    return _page("link", organisation=organisation, form=form, member=member)


# --- A member links their own account ------------------------------------------------------


def _claim_page(organisation, form):
    member = meetings.member_of_account(db.session, organisation, current_user)
    listed = meetings.meetings_of(db.session, organisation) if member else []
    return _page("claim", organisation=organisation, form=form, member=member, meetings=listed)


@bp.route(ORG + "/claim", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def claim(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    form = ClaimForm()
    done = form.validate_on_submit() and tried(
        form, "member_number", claims.ask_code, organisation, **_asked(form)
    )
    if done:
        flash(
            _(
                "If that member number has an email address on the register, a code is on its "
                "way to it"
            ),
            "success",
        )
        return redirect(url_for(".claim_code", organisation_id=organisation.id))
    return _claim_page(organisation, form)


def _asked(form) -> dict:
    return {"member_number": form.member_number.data, "key": code_key(), "now": utcnow()}


@bp.route(ORG + "/claim/code", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def claim_code(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    form = ClaimCodeForm()
    done = form.validate_on_submit() and tried(
        form, "code", _claimed, organisation, code=form.code.data
    )
    if done:
        flash(
            _("Your account is linked to member %(number)s", number=done.value.member_number),
            "success",
        )
        return redirect(url_for(".claim", organisation_id=organisation.id))
    return _page("claim_code", organisation=organisation, form=form)


def _claimed(session, organisation, *, actor, code):
    """Link the account; a wrong code's try is committed before it is refused (it counts)."""
    outcome = claims.claim_account(
        session, organisation, actor=actor, code=code, key=code_key(), now=utcnow()
    )
    if isinstance(outcome, claims.ClaimRefused):
        session.commit()
        raise outcome
    return outcome


def _organisation_or_404(organisation_id: int):
    organisation = organisations.find_organisation(db.session, organisation_id) or abort(404)
    g.council = organisation.council
    return organisation
