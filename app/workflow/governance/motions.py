"""Motions at an organisation's general meetings (docs/governance.md, "Motions"): an officer
tables a motion, or an amendment to one, for members who propose and second it, or a member
proposes one and the member they name seconds it, which tables it the same way; the chair
opens voting (freezing the manifest: the wording, the threshold and the rules that decide
it), closes it, and declares the result, counted by ``votes.motions``.

Members vote online (signed in, their account linked to their member record), in the room on
paper (entered by an officer), or by proxy; the ballot box (``ballots.members``) casts each
once and lets a member's own vote replace their proxy's. An amendment is voted before the
motion it amends: the motion cannot open while one of its amendments is undecided. One item of
a meeting is open at a time.

Every function takes a session, the actor and the time, refuses with a ``DomainError`` (or
the ballot box's refusals) saying why, changes nothing when it refuses, and never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.workflow import audit, outbox
from app.workflow.clock import london_date
from app.workflow.errors import DomainError
from app.workflow.governance import proxies
from app.workflow.governance.meetings import (
    NotAVoter,
    WrongState,
    is_chair,
    member_of_account,
    next_position,
    open_item,
    require_chair,
    require_officer,
    seal_item,
    start_voting,
    voter_by_number,
    voter_of,
    voters_count,
)
from app.workflow.governance.models import (
    ItemKind,
    ItemState,
    Meeting,
    MeetingItem,
    MeetingState,
    MeetingVoter,
    MotionProposal,
    ProposalState,
    ThresholdKind,
)
from app.workflow.models import User
from app.workflow.organisations import (
    Member,
    NotAllowed,
    member_by_number,
    member_of,
    on_register,
)
from app.workflow.organisations.common import squashed, unprintable
from ballots import members as box
from ballots.db import begin_write
from ballots.errors import RoundClosed
from ballots.models import MemberChannel, MemberMark
from ballots.refusals import N_
from votes.canonical import canonical_json
from votes.members import FORMAT, decide_motion, decision_document

LONGEST_TITLE = 200
LONGEST_WORDING = 10_000
CHOICES = box.CHOICES


def find_item(session: Session, meeting: Meeting, item_id: int) -> MeetingItem | None:
    """The meeting's motion (or amendment) with this id, or None."""
    item = session.get(MeetingItem, item_id)
    if item is None or item.meeting_id != meeting.id or item.kind is not ItemKind.MOTION:
        return None
    return item


def open_motion(session: Session, meeting: Meeting) -> MeetingItem | None:
    """The meeting's motion open for voting, if the item open is one."""
    item = open_item(session, meeting)
    return item if item is not None and item.kind is ItemKind.MOTION else None


def amendments_of(session: Session, item: MeetingItem) -> list[MeetingItem]:
    return list(
        session.scalars(
            select(MeetingItem)
            .where(MeetingItem.amends_id == item.id)
            .order_by(MeetingItem.position)
        )
    )


# --- Tabling ---------------------------------------------------------------------------------


def _member(session: Session, meeting: Meeting, member_id: int | None, field: str, today):
    member = member_of(session, meeting.organisation, member_id or 0)
    if member is None or not member.is_member_on(today):
        raise DomainError(
            N_("Choose a member on the register of %(organisation)s."),
            field,
            organisation=meeting.organisation.name,
        )
    return member


def _threshold(kind: ThresholdKind | str, share: str | None, more_than: bool) -> tuple:
    from app.workflow.organisations import parse_fraction

    try:
        kind = ThresholdKind(kind)
    except ValueError:
        raise DomainError(N_("Choose the resolution's threshold."), "threshold") from None
    if kind is not ThresholdKind.OTHER:
        return kind, None, None, None
    parsed = parse_fraction(share or "")
    if parsed is None or not 1 <= parsed[1] <= 100 or parsed[0] < 1:
        raise DomainError(N_("Write the share as a fraction, like 2/3."), "share")
    n, d = parsed
    if Fraction(n, d) < Fraction(1, 2) or n > d or (more_than and n == d):
        raise DomainError(
            N_("The share must be between one half and the whole (like 1/2, 2/3 or 3/4)."),
            "share",
        )
    return kind, n, d, bool(more_than)


def _open_for_motions(meeting: Meeting, now: datetime) -> None:
    """Refused once notice is given or after the motions deadline (``WrongState``)."""
    if meeting.state is not MeetingState.DRAFT:
        raise WrongState(N_("Notice of the meeting has been given: its agenda is fixed."))
    if meeting.motions_deadline is not None and now >= meeting.motions_deadline:
        raise WrongState(N_("The deadline for motions to this meeting has passed."))


def takes_motions(meeting: Meeting, now: datetime) -> bool:
    """Whether motions may still be tabled or proposed for the meeting now."""
    return meeting.state is MeetingState.DRAFT and (
        meeting.motions_deadline is None or now < meeting.motions_deadline
    )


@dataclass(frozen=True)
class _Motion:
    """A motion's checked fields, as ``_motion_fields`` gives them."""

    title: str
    wording: str
    threshold: ThresholdKind
    numerator: int | None
    denominator: int | None
    more_than: bool | None
    amends: MeetingItem | None


def _motion_fields(
    session: Session,
    meeting: Meeting,
    *,
    title: str,
    wording: str,
    threshold: ThresholdKind | str,
    share: str | None,
    more_than: bool,
    amends_id: int | None,
) -> _Motion:
    """A motion's title, wording, threshold and the motion it amends, checked: refused
    beside its field for an empty or overlong title or wording, a threshold not in
    ``ThresholdKind`` (for ``other``, a share outside one half to the whole), and an amendment
    to something that is not a motion of this meeting (or is itself an amendment)."""
    amends = None
    if amends_id is not None:
        amends = find_item(session, meeting, amends_id)
        if amends is None or amends.amends_id is not None:
            raise DomainError(N_("Choose the motion the amendment amends."), "amends")
    title = squashed(title)
    if not title:
        raise DomainError(N_("Enter the motion's title."), "title")
    if len(title) > LONGEST_TITLE or unprintable(title):
        raise DomainError(
            N_("The title must be %(most)s printable characters or fewer."),
            "title",
            most=LONGEST_TITLE,
        )
    wording = (wording or "").strip()
    if not wording:
        raise DomainError(N_("Enter the wording the members are asked to resolve."), "wording")
    if len(wording) > LONGEST_WORDING:
        raise DomainError(
            N_("The wording must be %(most)s characters or fewer."),
            "wording",
            most=LONGEST_WORDING,
        )
    kind, n, d, more = _threshold(threshold, share, more_than)
    return _Motion(title, wording, kind, n, d, more, amends)


def _table(
    session: Session,
    meeting: Meeting,
    motion: _Motion,
    *,
    actor: User,
    proposer_id: int | None,
    seconder_id: int | None,
    now: datetime,
) -> MeetingItem:
    """Put the checked motion on the agenda, last, for its proposer and seconder (both on
    the register today, and different members), audited as tabled."""
    today = london_date(now)
    proposer = _member(session, meeting, proposer_id, "proposer", today)
    seconder = _member(session, meeting, seconder_id, "seconder", today)
    if proposer.id == seconder.id:
        raise DomainError(
            N_("The seconder must be a different member from the proposer."), "seconder"
        )
    position = next_position(session, meeting)
    item = MeetingItem(
        meeting=meeting,
        position=position,
        kind=ItemKind.MOTION,
        title=motion.title,
        body=motion.wording,
        threshold=motion.threshold,
        threshold_numerator=motion.numerator,
        threshold_denominator=motion.denominator,
        threshold_more_than=motion.more_than,
        amends_id=motion.amends.id if motion.amends is not None else None,
        proposer_id=proposer.id,
        seconder_id=seconder.id,
        tabled_at=now,
    )
    session.add(item)
    session.flush()
    n, d = motion.numerator, motion.denominator
    audit.record(
        session,
        action="meeting.motion_tabled",
        actor=actor,
        organisation=meeting.organisation,
        subject=item,
        after={
            "meeting": meeting.id,
            "title": motion.title,
            "threshold": motion.threshold,
            "share": f"{n}/{d}" if n else None,
            "amends": item.amends_id,
            "proposer": proposer.member_number,
            "seconder": seconder.member_number,
        },
    )
    return item


def table_motion(
    session: Session,
    meeting: Meeting,
    *,
    actor: User,
    title: str,
    wording: str,
    threshold: ThresholdKind | str,
    share: str | None = None,
    more_than: bool = False,
    proposer_id: int | None,
    seconder_id: int | None,
    amends_id: int | None = None,
    now: datetime,
) -> MeetingItem:
    """Table a motion (or, with ``amends_id``, an amendment to one) on a draft meeting's
    agenda for the members who propose and second it, audited.

    Refused for anyone but the organisation's officers; once notice is given or after the
    motions deadline (``WrongState``); beside its field for an empty or overlong title or
    wording, a threshold not in ``ThresholdKind`` (for ``other``, a share outside one half to
    the whole), a proposer or seconder not on the register today, the same member both, and an
    amendment to something that is not a motion of this meeting (or is itself an
    amendment)."""
    require_officer(actor, meeting.organisation)
    begin_write(session)
    _open_for_motions(meeting, now)
    motion = _motion_fields(
        session,
        meeting,
        title=title,
        wording=wording,
        threshold=threshold,
        share=share,
        more_than=more_than,
        amends_id=amends_id,
    )
    return _table(
        session,
        meeting,
        motion,
        actor=actor,
        proposer_id=proposer_id,
        seconder_id=seconder_id,
        now=now,
    )


# --- Members propose, and another member seconds ---------------------------------------------


def _own_member(session: Session, meeting: Meeting, actor: User, now: datetime) -> Member:
    """The member of the meeting's organisation whose account ``actor`` is, on the register
    today; refused otherwise."""
    organisation = meeting.organisation
    member = member_of_account(session, organisation, actor)
    if member is None:
        raise NotAllowed(
            N_("Your account is not linked to a member of %(organisation)s."),
            organisation=organisation.name,
        )
    if not member.is_member_on(london_date(now)):
        raise NotAllowed(
            N_("You are not on the register of %(organisation)s today."),
            organisation=organisation.name,
        )
    return member


def _seconder_by_number(session: Session, meeting: Meeting, number: str | None, today) -> Member:
    number = (number or "").strip()
    if not number:
        raise DomainError(N_("Enter the member number of the member who seconds it."), "seconder")
    member = member_by_number(session, meeting.organisation_id, number)
    if member is None or not member.is_member_on(today):
        raise DomainError(
            N_("No member numbered %(number)s is on the register of %(organisation)s."),
            "seconder",
            number=number[:32],
            organisation=meeting.organisation.name,
        )
    return member


def _proposal_audit(session, proposal: MotionProposal, action: str, actor: User) -> None:
    audit.record(
        session,
        action=action,
        actor=actor,
        organisation=proposal.meeting.organisation,
        subject=proposal,
        after={
            "meeting": proposal.meeting_id,
            "title": proposal.title,
            "state": proposal.state,
            "proposer": proposal.proposer.member_number,
            "seconder": proposal.seconder.member_number,
            "item": proposal.item_id,
        },
    )


def propose_motion(
    session: Session,
    meeting: Meeting,
    *,
    actor: User,
    title: str,
    wording: str,
    threshold: ThresholdKind | str,
    share: str | None = None,
    more_than: bool = False,
    seconder_number: str | None,
    amends_id: int | None = None,
    now: datetime,
) -> MotionProposal:
    """Propose a motion (or, with ``amends_id``, an amendment) for a draft meeting, as the
    member whose account ``actor`` is, naming the member (by member number) asked to second
    it; it waits for them (``second_motion``), audited.

    Refused for an account not linked to a member on the register today; once notice is
    given or after the motions deadline, as ``table_motion`` refuses; beside its field for
    what ``table_motion`` refuses in the motion itself, and for a seconder who is not on the
    register today or is the proposer."""
    begin_write(session)
    proposer = _own_member(session, meeting, actor, now)
    _open_for_motions(meeting, now)
    motion = _motion_fields(
        session,
        meeting,
        title=title,
        wording=wording,
        threshold=threshold,
        share=share,
        more_than=more_than,
        amends_id=amends_id,
    )
    seconder = _seconder_by_number(session, meeting, seconder_number, london_date(now))
    if seconder.id == proposer.id:
        raise DomainError(
            N_("The seconder must be a different member from the proposer."), "seconder"
        )
    proposal = MotionProposal(
        meeting=meeting,
        proposer=proposer,
        seconder=seconder,
        title=motion.title,
        wording=motion.wording,
        threshold=motion.threshold,
        threshold_numerator=motion.numerator,
        threshold_denominator=motion.denominator,
        threshold_more_than=motion.more_than,
        amends_id=motion.amends.id if motion.amends is not None else None,
        state=ProposalState.WAITING,
        proposed_at=now,
    )
    session.add(proposal)
    session.flush()
    _proposal_audit(session, proposal, "meeting.motion_proposed", actor)
    _ask_seconder(session, proposal, now)
    return proposal


def _ask_seconder(session: Session, proposal: MotionProposal, now: datetime) -> None:
    """Tell the member asked to second the motion, by email: to their linked account's
    address in its language, else to the address on the register (in English), else nobody
    (they see it on the meeting's page once they link an account)."""
    seconder = proposal.seconder
    account = session.get(User, seconder.account_id) if seconder.account_id else None
    to = account.email if account is not None else (seconder.email or "")
    if not to.strip():
        return
    outbox.queue(
        session,
        "second_request",
        to=to,
        language=(account.language if account is not None else None) or "en",
        data={"proposal_id": proposal.id},
        user=account,
        council=proposal.meeting.organisation.council,
        now=now,
    )


def _waiting(session: Session, proposal: MotionProposal) -> None:
    """Lock the proposal's row; refused unless it still waits for its seconder."""
    begin_write(session)
    state = session.scalar(
        select(MotionProposal.state).where(MotionProposal.id == proposal.id).with_for_update()
    )
    if state is not ProposalState.WAITING:
        raise WrongState(NO_LONGER_WAITING[ProposalState(state)])


NO_LONGER_WAITING = {
    ProposalState.SECONDED: N_("This motion has been seconded: it is on the agenda."),
    ProposalState.DECLINED: N_("The seconder has declined this motion."),
    ProposalState.WITHDRAWN: N_("The proposer has withdrawn this motion."),
}
# How the members' pages name each state.
PROPOSAL_STATES = {
    ProposalState.WAITING: N_("Waiting for the seconder"),
    ProposalState.SECONDED: N_("Seconded: on the agenda"),
    ProposalState.DECLINED: N_("Declined by the seconder"),
    ProposalState.WITHDRAWN: N_("Withdrawn"),
}


def _decide(session, proposal: MotionProposal, state, action: str, actor: User, now) -> None:
    """The waiting proposal is answered (``state``), now, audited as ``action``."""
    proposal.state = state
    proposal.decided_at = now
    session.flush()
    _proposal_audit(session, proposal, action, actor)


def _require_seconder(session: Session, proposal: MotionProposal, actor: User) -> None:
    member = member_of_account(session, proposal.meeting.organisation, actor)
    if member is None or member.id != proposal.seconder_id:
        raise NotAllowed(N_("Only the member asked to second this motion can do this."))


def second_motion(
    session: Session, proposal: MotionProposal, *, actor: User, now: datetime
) -> MeetingItem:
    """Second a waiting proposal, as the member it names as seconder: the motion is tabled
    as ``table_motion`` tables one (last on the agenda, for its proposer and seconder, audited
    as tabled), and the proposal is seconded, audited. Refused for anyone else, unless it
    waits, once notice is given or after the motions deadline, and when the proposer or the
    seconder is no longer on the register (or the motion it amends is gone)."""
    meeting = proposal.meeting
    _require_seconder(session, proposal, actor)
    _waiting(session, proposal)
    _open_for_motions(meeting, now)
    share = None
    if proposal.threshold_numerator is not None:
        share = f"{proposal.threshold_numerator}/{proposal.threshold_denominator}"
    motion = _motion_fields(
        session,
        meeting,
        title=proposal.title,
        wording=proposal.wording,
        threshold=proposal.threshold,
        share=share,
        more_than=bool(proposal.threshold_more_than),
        amends_id=proposal.amends_id,
    )
    item = _table(
        session,
        meeting,
        motion,
        actor=actor,
        proposer_id=proposal.proposer_id,
        seconder_id=proposal.seconder_id,
        now=now,
    )
    proposal.item_id = item.id
    _decide(session, proposal, ProposalState.SECONDED, "meeting.motion_seconded", actor, now)
    return item


def decline_motion(
    session: Session, proposal: MotionProposal, *, actor: User, now: datetime
) -> MotionProposal:
    """Decline to second a waiting proposal, as the member it names as seconder, audited;
    refused for anyone else and unless it waits."""
    _require_seconder(session, proposal, actor)
    _waiting(session, proposal)
    _decide(session, proposal, ProposalState.DECLINED, "meeting.motion_declined", actor, now)
    return proposal


def withdraw_proposal(
    session: Session, proposal: MotionProposal, *, actor: User, now: datetime
) -> MotionProposal:
    """Withdraw a waiting proposal, as its proposer, audited; refused for anyone else and
    unless it waits."""
    member = member_of_account(session, proposal.meeting.organisation, actor)
    if member is None or member.id != proposal.proposer_id:
        raise NotAllowed(N_("Only the member who proposed this motion can withdraw it."))
    _waiting(session, proposal)
    _decide(session, proposal, ProposalState.WITHDRAWN, "meeting.proposal_withdrawn", actor, now)
    return proposal


def find_proposal(session: Session, meeting: Meeting, proposal_id: int) -> MotionProposal | None:
    """The meeting's proposal with this id, or None (another meeting's too)."""
    proposal = session.get(MotionProposal, proposal_id)
    if proposal is None or proposal.meeting_id != meeting.id:
        return None
    return proposal


def proposals_for(session: Session, member: Member | None) -> list[MotionProposal]:
    """What a member's pages list: the proposals waiting for them to second, then their own
    proposals in any state, newest first."""
    if member is None:
        return []
    return list(
        session.scalars(
            select(MotionProposal)
            .where(
                or_(
                    (MotionProposal.seconder_id == member.id)
                    & (MotionProposal.state == ProposalState.WAITING),
                    MotionProposal.proposer_id == member.id,
                )
            )
            .order_by(
                (MotionProposal.proposer_id == member.id).asc(),
                MotionProposal.proposed_at.desc(),
                MotionProposal.id.desc(),
            )
        )
    )


def waiting_for_account(session: Session, user: User | None) -> list[MotionProposal]:
    """The proposals waiting for ``user``'s account to second them, at draft meetings of any
    organisation they are a member of, oldest first: what a member's account page lists."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        session.scalars(
            select(MotionProposal)
            .join(Member, Member.id == MotionProposal.seconder_id)
            .join(Meeting, Meeting.id == MotionProposal.meeting_id)
            .where(
                Member.account_id == user.id,
                MotionProposal.state == ProposalState.WAITING,
                Meeting.state == MeetingState.DRAFT,
            )
            .order_by(MotionProposal.proposed_at, MotionProposal.id)
        )
    )


def proposals_of(
    session: Session, meeting: Meeting, *, waiting_only: bool = True
) -> list[MotionProposal]:
    """The meeting's proposals for its officers: those waiting for their seconder (all of
    them with ``waiting_only=False``), oldest first."""
    query = select(MotionProposal).where(MotionProposal.meeting_id == meeting.id)
    if waiting_only:
        query = query.where(MotionProposal.state == ProposalState.WAITING)
    return list(session.scalars(query.order_by(MotionProposal.proposed_at, MotionProposal.id)))


def proposers(session: Session, meeting: Meeting, today) -> list[Member]:
    """The members who may propose or second a motion today: those on the register."""
    return list(
        session.scalars(
            select(Member)
            .where(*on_register(meeting.organisation, today))
            .order_by(func.length(Member.member_number), Member.member_number)
        )
    )


# --- Opening and closing ---------------------------------------------------------------------


def threshold_of(item: MeetingItem) -> dict:
    """The item's threshold as the manifest states it, from the organisation's rules now."""
    organisation = item.meeting.organisation
    if item.threshold is ThresholdKind.OTHER:
        n, d, more = item.threshold_numerator, item.threshold_denominator, item.threshold_more_than
    else:
        name = item.threshold.value
        n = getattr(organisation, f"{name}_numerator")
        d = getattr(organisation, f"{name}_denominator")
        more = getattr(organisation, f"{name}_more_than")
    return {
        "share": str(Fraction(n, d)),
        "more_than": bool(more),
        "name": item.threshold.value,
    }


def manifest_for(session: Session, item: MeetingItem) -> dict:
    """What the item's ballot offers and how it is decided, frozen when it opens."""
    organisation = item.meeting.organisation
    return {
        "format": FORMAT,
        "version": 1,
        "item": item.id,
        "meeting": item.meeting_id,
        "kind": "motion",
        "title": item.title,
        "wording": item.body,
        "amends": item.amends_id,
        "threshold": threshold_of(item),
        "abstentions_count": bool(organisation.abstentions_count),
        "casting_vote": bool(organisation.chair_casting_vote),
        "quorum": quorum_spec(organisation),
        "eligible": voters_count(session, item.meeting),
    }


def quorum_spec(organisation) -> dict:
    """The organisation's quorum as a manifest freezes it."""
    percent = organisation.quorum_percent
    return {
        "members": organisation.quorum_members,
        "share": None if percent is None else str(Fraction(percent, 100)),
        "counts_proxies": bool(organisation.quorum_counts_proxies),
    }


def manifest_of(item: MeetingItem) -> dict:
    if item.manifest_json is None:
        raise WrongState(N_("Voting on this item has not opened."))
    return json.loads(item.manifest_json)


def _lock_meeting(session: Session, meeting: Meeting) -> None:
    # One item open at a time: opening takes the meeting's row lock before it looks.
    begin_write(session)
    session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())


def open_voting(session: Session, item: MeetingItem, *, actor: User, now: datetime) -> MeetingItem:
    """Open voting on a motion, audited: the manifest is frozen (``manifest_for``) and its
    hash starts the item's log. Refused unless the chair asks while the meeting is under way,
    the item is a draft, no other item of the meeting is open, and every amendment to it has
    been declared."""
    meeting = item.meeting
    require_chair(actor, meeting)
    _lock_meeting(session, meeting)
    if meeting.state is not MeetingState.OPEN:
        raise WrongState(N_("Voting opens once the meeting is under way."))
    if box.lock_item(session, item.id) != ItemState.DRAFT.value:
        raise WrongState(N_("Voting on this item has already opened."))
    other = open_item(session, meeting)
    if other is not None:
        raise WrongState(N_("Close voting on %(title)s first."), title=other.title)
    undecided = [a for a in amendments_of(session, item) if a.state is not ItemState.DECLARED]
    if undecided:
        raise WrongState(
            N_("Vote on the amendment %(title)s first: an amendment is decided before its motion."),
            title=undecided[0].title,
        )
    return start_voting(
        session,
        item,
        manifest_for(session, item),
        actor=actor,
        now=now,
        action="meeting.item_opened",
    )


def close_voting(session: Session, item: MeetingItem, *, actor: User, now: datetime) -> MeetingItem:
    """Close voting on a motion and seal its log, audited; refused unless the chair asks and
    voting is open."""
    require_chair(actor, item.meeting)
    return seal_item(
        session,
        item,
        actor=actor,
        now=now,
        action="meeting.item_closed",
        not_open=N_("Voting on this item is not open."),
    )


# --- Voting ----------------------------------------------------------------------------------


def _choice(choice: str | None) -> dict:
    if choice not in CHOICES:
        raise DomainError(N_("Choose for, against or abstain."), "choice")
    return {"choice": choice}


def _require_open(item: MeetingItem) -> None:
    if item.state is not ItemState.OPEN:
        raise RoundClosed(N_("Voting on this item is not open."))


def vote_online(
    session: Session,
    item: MeetingItem,
    *,
    actor: User,
    choice: str | None,
    for_member_id: int | None = None,
    now: datetime,
) -> box.MemberCast:
    """Cast the signed-in member's vote on an open motion, or (``for_member_id``) their vote
    for a member whose proxy they hold (audited: who for whom, never how). Returns the
    receipt, shown once. Refused while voting is not open; when the meeting takes no votes
    online; for someone whose account is not linked to a member with a vote at it; for a proxy
    they do not hold; for a member who has voted (a member's own vote replaces their proxy's,
    not the other way)."""
    meeting = item.meeting
    _require_open(item)
    ballot = _choice(choice)
    # In a meeting that takes votes in the room only, the chair (who is in the room) still
    # casts the votes of the members whose proxy they hold here; nobody else votes here.
    if not meeting.online_voting and not (for_member_id is not None and is_chair(actor, meeting)):
        raise NotAllowed(N_("This meeting takes votes in the room only."))
    own = voter_of(session, meeting, member_of_account(session, meeting.organisation, actor))
    if for_member_id is None:
        if own is None:
            raise NotAVoter(
                N_("Your account is not linked to a member with a vote at this meeting.")
            )
        return box.cast(
            session,
            item_id=item.id,
            manifest=manifest_of(item),
            member_id=own.member_id,
            ballot=ballot,
        )
    voter = session.get(MeetingVoter, (meeting.id, for_member_id))
    if voter is None:
        raise NotAVoter(N_("That member has no vote at this meeting."))
    holder_id, proxy = proxies.may_vote_for(session, item, actor, for_member_id)
    cast = box.cast(
        session,
        item_id=item.id,
        manifest=manifest_of(item),
        member_id=for_member_id,
        ballot=ballot,
        channel=MemberChannel.PROXY,
        proxy_holder_id=holder_id,
    )
    audit.record(
        session,
        action="meeting.proxy_voted",
        actor=actor,
        organisation=meeting.organisation,
        subject=item,
        after={
            "member_number": voter.member.member_number,
            "holder": proxies.CHAIR if holder_id is None else proxy.holder.member_number,
        },
    )
    return cast


def record_paper(
    session: Session,
    item: MeetingItem,
    *,
    actor: User,
    member_number: str,
    choice: str | None,
    now: datetime,
) -> box.MemberCast:
    """Enter the paper ballot of a member checked in at the meeting, audited (whose, never
    how). Refused for anyone but the organisation's officers, while voting is not open, for a
    member with no vote at the meeting or not checked in, and for one who has voted."""
    meeting = item.meeting
    require_officer(actor, meeting.organisation)
    _require_open(item)
    ballot = _choice(choice)
    voter = voter_by_number(session, meeting, member_number, "member_number")
    if voter.present_at is None:
        raise DomainError(
            N_("Member %(number)s is not checked in: check them in at the door first."),
            "member_number",
            number=voter.member.member_number,
        )
    cast = box.cast(
        session,
        item_id=item.id,
        manifest=manifest_of(item),
        member_id=voter.member_id,
        ballot=ballot,
        channel=MemberChannel.PAPER,
        recorded_by_id=actor.id,
    )
    audit.record(
        session,
        action="meeting.paper_ballot_recorded",
        actor=actor,
        organisation=meeting.organisation,
        subject=item,
        after={"member_number": voter.member.member_number},
    )
    return cast


# --- Quorum and the declaration --------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """Who counts towards an item's quorum: ``present`` (checked in at the door, or voting
    themselves), ``by_proxy`` (not present, but represented by a proxy who voted for them or
    who is present), and ``eligible`` (the meeting's voters)."""

    present: int
    by_proxy: int
    eligible: int


def attendance(session: Session, item: MeetingItem) -> Attendance:
    meeting = item.meeting
    voters = session.execute(
        select(MeetingVoter.member_id, MeetingVoter.present_at).where(
            MeetingVoter.meeting_id == meeting.id
        )
    ).all()
    marks = session.execute(
        select(MemberMark.member_id, MemberMark.channel).where(MemberMark.item_id == item.id)
    ).all()
    present = {m for m, at in voters if at is not None}
    present |= {m for m, channel in marks if channel is not MemberChannel.PROXY}
    represented = {m for m, channel in marks if channel is MemberChannel.PROXY}
    for member_id, proxy in proxies.in_force_for(session, item).items():
        if proxy.holder_is_chair or proxy.holder_id in present:
            represented.add(member_id)
    return Attendance(len(present), len(represented - present), len(voters))


def declare(
    session: Session,
    item: MeetingItem,
    *,
    actor: User,
    casting_vote: str | None = None,
    now: datetime,
) -> dict:
    """Declare a closed motion's result, audited: its counted ballots decided by
    ``votes.motions`` under the manifest's rules, with the quorum from ``attendance``; stored
    as canonical JSON in ``result_json``. Returns the result.

    Refused unless the chair asks and voting has closed; a casting vote (``for`` or
    ``against``) is refused unless the votes are tied, the resolution is ordinary with a
    simple majority, and the rules give the chair one."""
    require_chair(actor, item.meeting)
    begin_write(session)
    if item.state is not ItemState.CLOSED:
        raise WrongState(N_("The result is declared once voting has closed, and only once."))
    manifest = manifest_of(item)
    ballots = [b for _, b in box.counted_ballots(session, item.id)]
    seen = attendance(session, item)
    if casting_vote in ("", None):
        casting_vote = None
    elif casting_vote not in ("for", "against"):
        raise DomainError(N_("Choose for or against, or no casting vote."), "casting_vote")
    if casting_vote is not None:
        plain = decide_motion(
            manifest, ballots, present=seen.present, by_proxy=seen.by_proxy, eligible=seen.eligible
        )
        if not manifest["casting_vote"]:
            raise DomainError(
                N_("The rules of %(organisation)s give the chair no casting vote."),
                "casting_vote",
                organisation=item.meeting.organisation.name,
            )
        if not plain.threshold.simple_majority or not plain.tie:
            raise DomainError(
                N_("The chair's casting vote decides only a tie on an ordinary resolution."),
                "casting_vote",
            )
    decision = decide_motion(
        manifest,
        ballots,
        present=seen.present,
        by_proxy=seen.by_proxy,
        eligible=seen.eligible,
        casting_vote=casting_vote,
    )
    result = {
        "for": decision.tally.for_,
        "against": decision.tally.against,
        "abstain": decision.tally.abstain,
        "present": seen.present,
        "by_proxy": seen.by_proxy,
        "eligible": seen.eligible,
        "casting_vote": casting_vote,
        "threshold": manifest["threshold"],
        "decision": decision_document(decision),
    }
    item.result_json = canonical_json(result)
    item.casting_vote = casting_vote
    item.state = ItemState.DECLARED
    item.declared_at = now
    session.flush()
    audit.record(
        session,
        action="meeting.result_declared",
        actor=actor,
        organisation=item.meeting.organisation,
        subject=item,
        after={"result": result},
    )
    return result


def result_of(item: MeetingItem) -> dict | None:
    """The declared result (``declare``), or None before it is declared."""
    return json.loads(item.result_json) if item.result_json else None
