"""General meetings of an organisation (docs/governance.md, "Meetings and their items"): an
officer creates a meeting and edits it while it is a draft, gives notice (which fixes the
record date, the members who may vote and the agenda), starts it with a chair chosen from the
officers, checks members in at the door and closes it. Linking a member on the register to
the account they sign in with is here too: it is what lets them vote online.

Who may do what: the organisation's officers run its meetings; the meeting's chair (one of
them, chosen when it starts) opens, closes and declares its items (``motions``).

Every function takes a session, the actor and the time, refuses with a ``DomainError`` saying
why, changes nothing when it refuses, and never commits. Every change is audited.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.accounts import find_by_email
from app.workflow.clock import london_date
from app.workflow.errors import DomainError
from app.workflow.governance.models import (
    ItemState,
    Meeting,
    MeetingItem,
    MeetingKind,
    MeetingState,
    MeetingVoter,
)
from app.workflow.models import User
from app.workflow.organisations import (
    Member,
    NotAllowed,
    NotOnRegister,
    Organisation,
    OrganisationOfficer,
    eligible_members,
    may_run,
    member_by_number,
    member_of,
)
from app.workflow.organisations.common import squashed, unprintable
from ballots import members as box
from ballots.db import begin_write
from ballots.refusals import N_, Day
from votes.canonical import canonical_json

LONGEST_TITLE = 200
LONGEST_PLACE = 500


class WrongState(DomainError):
    """The meeting (or item) is not at the stage this needs. Status 409."""

    status = 409


class NotAVoter(DomainError):
    """This person has no vote at this meeting. Status 403."""

    status = 403


# --- Who may do what -------------------------------------------------------------------------


def require_officer(actor: User, organisation: Organisation) -> None:
    if not may_run(actor, organisation):
        raise NotAllowed(
            N_("Only the officers of %(organisation)s can do this."),
            organisation=organisation.name,
        )


def is_chair(user: User | None, meeting: Meeting) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and meeting.chair_id is not None
        and meeting.chair_id == user.id
        and may_run(user, meeting.organisation)
    )


def require_chair(actor: User, meeting: Meeting) -> None:
    require_officer(actor, meeting.organisation)
    if not is_chair(actor, meeting):
        raise NotAllowed(N_("Only the chair of the meeting can do this."))


def find_meeting(session: Session, organisation: Organisation, meeting_id: int) -> Meeting | None:
    """The organisation's meeting with this id, or None (another organisation's too)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.organisation_id != organisation.id:
        return None
    return meeting


def meetings_of(session: Session, organisation: Organisation) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.organisation_id == organisation.id)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        )
    )


def meetings_of_account(
    session: Session, user: User | None, now: datetime
) -> list[tuple[Member, Meeting]]:
    """The general meetings of every organisation ``user``'s account is a member of, newest
    first, each with the member record: what a member's account page lists. A meeting is
    listed once notice of it is given, and while it is a draft that still takes motions (no
    deadline, or before it), so that members can find where to propose one."""
    if user is None or not user.is_authenticated:
        return []
    takes_motions = (Meeting.state == MeetingState.DRAFT) & (
        Meeting.motions_deadline.is_(None) | (Meeting.motions_deadline > now)
    )
    return [
        (member, meeting)
        for member, meeting in session.execute(
            select(Member, Meeting)
            .join(Meeting, Meeting.organisation_id == Member.organisation_id)
            .where(
                Member.account_id == user.id,
                (Meeting.state != MeetingState.DRAFT) | takes_motions,
            )
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        )
    ]


def member_of_account(session: Session, organisation: Organisation, user: User | None):
    """The member of ``organisation`` whose account ``user`` is, or None."""
    if user is None or not user.is_authenticated:
        return None
    return session.scalar(
        select(Member).where(
            Member.organisation_id == organisation.id, Member.account_id == user.id
        )
    )


def voter_of(session: Session, meeting: Meeting, member: Member | None) -> MeetingVoter | None:
    """The member's entry among the meeting's voters (None: no vote at it)."""
    if member is None or meeting.state is MeetingState.DRAFT:
        return None
    return session.get(MeetingVoter, (meeting.id, member.id))


def voter_by_number(session: Session, meeting: Meeting, number: str, field: str) -> MeetingVoter:
    """The meeting's voter with this member number, refused beside ``field`` otherwise."""
    number = (number or "").strip()
    if not number:
        raise DomainError(N_("Enter the member number."), field)
    member = member_by_number(session, meeting.organisation_id, number)
    voter = voter_of(session, meeting, member)
    if voter is None:
        raise NotAVoter(
            N_(
                "Member %(number)s has no vote at this meeting: they were not on the register "
                "on its record date."
            ),
            field,
            number=number,
        )
    return voter


def voters_count(session: Session, meeting: Meeting) -> int:
    return session.scalar(
        select(func.count()).select_from(MeetingVoter).where(MeetingVoter.meeting_id == meeting.id)
    )


def present_count(session: Session, meeting: Meeting) -> int:
    return session.scalar(
        select(func.count())
        .select_from(MeetingVoter)
        .where(MeetingVoter.meeting_id == meeting.id, MeetingVoter.present_at.is_not(None))
    )


# --- Creating and editing -------------------------------------------------------------------


def _checked(
    *,
    title: str,
    kind: MeetingKind | str,
    starts_at: datetime | None,
    place: str,
    motions_deadline: datetime | None,
    now: datetime,
) -> dict:
    title = squashed(title)
    if not title:
        raise DomainError(N_("Enter the meeting's title."), "title")
    if len(title) > LONGEST_TITLE or unprintable(title):
        raise DomainError(
            N_("The title must be %(most)s printable characters or fewer."),
            "title",
            most=LONGEST_TITLE,
        )
    try:
        kind = MeetingKind(kind)
    except ValueError:
        raise DomainError(N_("Select what kind of meeting it is."), "kind") from None
    if starts_at is None:
        raise DomainError(N_("Enter the day and time the meeting starts."), "day")
    if starts_at <= now:
        raise DomainError(N_("The meeting must start in the future."), "day")
    place = (place or "").strip()
    if not place:
        raise DomainError(N_("Enter where the meeting is held."), "place")
    if len(place) > LONGEST_PLACE or unprintable(place.replace("\n", " ").replace("\r", "")):
        raise DomainError(
            N_("The place must be %(most)s printable characters or fewer."),
            "place",
            most=LONGEST_PLACE,
        )
    if motions_deadline is not None and motions_deadline >= starts_at:
        raise DomainError(
            N_("The deadline for motions must be before the meeting starts."), "deadline_day"
        )
    return {
        "title": title,
        "kind": kind,
        "starts_at": starts_at,
        "place": place,
        "motions_deadline": motions_deadline,
    }


def _slug(session: Session, organisation: Organisation, title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:56] or "meeting"
    taken = set(
        session.scalars(
            select(Meeting.slug).where(
                Meeting.organisation_id == organisation.id, Meeting.slug.like(f"{base}%")
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _audited(meeting: Meeting) -> dict:
    return {
        "title": meeting.title,
        "kind": meeting.kind,
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "online_voting": meeting.online_voting,
        "motions_deadline": meeting.motions_deadline,
    }


def create_meeting(
    session: Session,
    organisation: Organisation,
    *,
    actor: User,
    title: str,
    kind: MeetingKind | str,
    starts_at: datetime | None,
    place: str,
    online_voting: bool,
    motions_deadline: datetime | None,
    now: datetime,
) -> Meeting:
    """A new draft meeting of ``organisation``, audited. Refused for anyone but its officers,
    and beside its field for an empty or overlong title or place, a kind not in
    ``MeetingKind``, a start missing or not in the future, a motions deadline not before the
    start."""
    require_officer(actor, organisation)
    values = _checked(
        title=title,
        kind=kind,
        starts_at=starts_at,
        place=place,
        motions_deadline=motions_deadline,
        now=now,
    )
    meeting = Meeting(
        organisation=organisation,
        slug=_slug(session, organisation, values["title"]),
        online_voting=bool(online_voting),
        created_by_id=actor.id,
        **values,
    )
    session.add(meeting)
    session.flush()
    audit.record(
        session,
        action="meeting.created",
        actor=actor,
        organisation=organisation,
        subject=meeting,
        after=_audited(meeting),
    )
    return meeting


def edit_meeting(
    session: Session,
    meeting: Meeting,
    *,
    actor: User,
    title: str,
    kind: MeetingKind | str,
    starts_at: datetime | None,
    place: str,
    online_voting: bool,
    motions_deadline: datetime | None,
    now: datetime,
) -> Meeting:
    """Change a draft meeting, audited with what changed. Refused as ``create_meeting`` is,
    and once notice has been given (``WrongState``)."""
    require_officer(actor, meeting.organisation)
    begin_write(session)
    if meeting.state is not MeetingState.DRAFT:
        raise WrongState(N_("A meeting can be changed only before notice of it is given."))
    values = _checked(
        title=title,
        kind=kind,
        starts_at=starts_at,
        place=place,
        motions_deadline=motions_deadline,
        now=now,
    )
    before = _audited(meeting)
    for name, value in values.items():
        setattr(meeting, name, value)
    meeting.online_voting = bool(online_voting)
    session.flush()
    changed_before, changed_after = audit.changes(before, _audited(meeting))
    if changed_after:
        audit.record(
            session,
            action="meeting.changed",
            actor=actor,
            organisation=meeting.organisation,
            subject=meeting,
            before=changed_before,
            after=changed_after,
        )
    return meeting


# --- Notice, starting, closing ---------------------------------------------------------------


def earliest_start(organisation: Organisation, now: datetime):
    """The first London day a meeting can be held on if notice is given at ``now``."""
    return london_date(now) + timedelta(days=organisation.notice_days)


def give_notice(session: Session, meeting: Meeting, *, actor: User, now: datetime) -> int:
    """Give notice of a draft meeting, audited: the record date is today (London's), the
    members on the register on it are frozen as the meeting's voters, and the agenda is fixed.
    Returns how many may vote.

    Refused for anyone but the organisation's officers; ``WrongState`` once notice is given;
    a ``DomainError`` naming the earliest day allowed when the meeting is sooner than the
    organisation's notice period, or when nobody is on the register."""
    organisation = meeting.organisation
    require_officer(actor, organisation)
    begin_write(session)
    if meeting.state is not MeetingState.DRAFT:
        raise WrongState(N_("Notice of this meeting has already been given."))
    earliest = earliest_start(organisation, now)
    if london_date(meeting.starts_at) < earliest:
        raise DomainError(
            N_(
                "%(organisation)s gives %(days)s days' notice of a general meeting: given today, "
                "the meeting can be held on %(day)s at the earliest. Change its date first."
            ),
            organisation=organisation.name,
            days=organisation.notice_days,
            day=Day(earliest),
        )
    record_date = london_date(now)
    members = eligible_members(session, organisation, record_date)
    if not members:
        raise DomainError(
            N_("Nobody is on the register of %(organisation)s today: nobody could vote."),
            organisation=organisation.name,
        )
    meeting.state = MeetingState.NOTICE
    meeting.notice_given_at = now
    meeting.record_date = record_date
    for member in members:
        session.add(
            MeetingVoter(
                meeting_id=meeting.id,
                member_id=member.id,
                membership_class_id=member.membership_class_id,
            )
        )
    session.flush()
    audit.record(
        session,
        action="meeting.notice_given",
        actor=actor,
        organisation=organisation,
        subject=meeting,
        after={
            "record_date": record_date,
            "voters": len(members),
            "agenda": [item.id for item in meeting.items],
        },
    )
    return len(members)


def start_meeting(
    session: Session, meeting: Meeting, *, actor: User, chair_id: int | None, now: datetime
) -> Meeting:
    """Start a meeting whose notice has been given, with ``chair_id`` (one of the
    organisation's officers) as its chair, audited. Refused for anyone but its officers,
    before notice, once started, before the meeting's day, or for a chair who is not one of
    its officers."""
    organisation = meeting.organisation
    require_officer(actor, organisation)
    begin_write(session)
    if meeting.state is MeetingState.DRAFT:
        raise WrongState(N_("Give notice of the meeting before it starts."))
    if meeting.state is not MeetingState.NOTICE:
        raise WrongState(N_("The meeting has already started."))
    if london_date(now) < london_date(meeting.starts_at):
        raise WrongState(
            N_("The meeting can start on its day, %(day)s."),
            day=Day(london_date(meeting.starts_at)),
        )
    office = session.scalar(
        select(OrganisationOfficer).where(
            OrganisationOfficer.organisation_id == organisation.id,
            OrganisationOfficer.user_id == (chair_id or 0),
        )
    )
    if office is None:
        raise DomainError(N_("Choose the chair from the officers of the organisation."), "chair")
    meeting.chair_id = office.user_id
    meeting.state = MeetingState.OPEN
    session.flush()
    session.expire(meeting, ["chair"])
    audit.record(
        session,
        action="meeting.started",
        actor=actor,
        organisation=organisation,
        subject=meeting,
        after={"chair": office.user_id},
    )
    return meeting


def close_meeting(session: Session, meeting: Meeting, *, actor: User, now: datetime) -> Meeting:
    """Close a meeting under way, audited: refused unless the chair asks, and while one of
    its items is open for voting."""
    require_chair(actor, meeting)
    begin_write(session)
    if meeting.state is not MeetingState.OPEN:
        raise WrongState(N_("The meeting is not under way."))
    if open_item(session, meeting) is not None:
        raise WrongState(N_("Close voting on the open item first."))
    meeting.state = MeetingState.CLOSED
    session.flush()
    audit.record(
        session,
        action="meeting.closed",
        actor=actor,
        organisation=meeting.organisation,
        subject=meeting,
        after={"closed_at": now},
    )
    return meeting


def open_item(session: Session, meeting: Meeting) -> MeetingItem | None:
    """The meeting's item open for voting, if any (one at a time)."""
    return session.scalar(
        select(MeetingItem).where(
            MeetingItem.meeting_id == meeting.id, MeetingItem.state == ItemState.OPEN
        )
    )


# --- The door --------------------------------------------------------------------------------


def check_in(
    session: Session, meeting: Meeting, *, actor: User, member_number: str, now: datetime
) -> MeetingVoter:
    """Record that the member with this number is present (for the quorum), audited.
    Refused for anyone but the organisation's officers, before notice or after the meeting
    closed, for a member with no vote at it, or one already checked in."""
    require_officer(actor, meeting.organisation)
    begin_write(session)
    if meeting.state not in (MeetingState.NOTICE, MeetingState.OPEN):
        raise WrongState(N_("Members are checked in while the meeting is under way."))
    voter = voter_by_number(session, meeting, member_number, "member_number")
    if voter.present_at is not None:
        raise DomainError(
            N_("Member %(number)s is already checked in."),
            "member_number",
            number=voter.member.member_number,
        )
    voter.present_at = now
    session.flush()
    audit.record(
        session,
        action="meeting.checked_in",
        actor=actor,
        organisation=meeting.organisation,
        subject=meeting,
        after={"member_number": voter.member.member_number},
    )
    return voter


# --- Members' accounts -----------------------------------------------------------------------


def link_account(
    session: Session, organisation: Organisation, member_id: int, *, actor: User, email: str
) -> Member:
    """Link the member to the account with ``email``, so they can vote online when signed in,
    audited. Refused for anyone but the organisation's officers, a member not on its register,
    no account with that address, or an account already linked to another of its members."""
    require_officer(actor, organisation)
    begin_write(session)
    member = member_of(session, organisation, member_id)
    if member is None:
        raise NotOnRegister(
            N_("That member is not on the register of %(organisation)s."),
            organisation=organisation.name,
        )
    person = find_by_email(session, email or "")
    if person is None:
        raise DomainError(
            N_("No account has the email address %(email)s. Ask the member to create one."),
            "email",
            email=squashed(email),
        )
    other = member_of_account(session, organisation, person)
    if other is not None:
        raise DomainError(
            N_("That account is already linked to member %(number)s."),
            "email",
            number=other.member_number,
        )
    before = {"account": member.account_id}
    member.account_id = person.id
    session.flush()
    audit.record(
        session,
        action="organisation.member_linked",
        actor=actor,
        organisation=organisation,
        subject=member,
        before=before,
        after={"member_number": member.member_number, "account": person.id},
    )
    return member


def next_position(session: Session, meeting: Meeting) -> int:
    """The agenda position for an item added now: last. Takes the meeting's row lock first,
    so two items added at once (an officer's and a seconder's) queue instead of both taking
    the same place."""
    begin_write(session)
    session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    last = session.scalar(
        select(func.max(MeetingItem.position)).where(MeetingItem.meeting_id == meeting.id)
    )
    return (last or 0) + 1


def audit_item(session: Session, action: str, actor: User, item: MeetingItem, after: dict) -> None:
    """Record ``action`` on a meeting's item (a motion or an election) in the audit trail."""
    audit.record(
        session,
        action=action,
        actor=actor,
        organisation=item.meeting.organisation,
        subject=item,
        after=after,
    )


def seal_item(
    session: Session, item: MeetingItem, *, actor: User, now: datetime, action: str, not_open: str
) -> MeetingItem:
    """Close voting on an open item (a motion or an election) and seal its log, audited as
    ``action``; refused with ``not_open`` unless voting is open. The caller has checked who
    may close it."""
    if box.lock_item(session, item.id) != ItemState.OPEN.value:
        raise WrongState(not_open)
    seal = box.close_item_log(session, item.id)
    item.state = ItemState.CLOSED
    item.closed_at = now
    item.log_head_hash = seal.entry_hash
    session.flush()
    audit_item(
        session,
        action,
        actor,
        item,
        {"log_head_hash": seal.entry_hash},
    )
    return item


def start_voting(
    session: Session,
    item: MeetingItem,
    manifest: dict,
    *,
    actor: User,
    now: datetime,
    action: str,
    audited: dict | None = None,
) -> MeetingItem:
    """Open voting on an item whose checks have passed: freeze ``manifest`` (canonical JSON and
    its SHA-256), start the item's log from it, audited as ``action`` with ``audited`` and the
    manifest hash. Call under the item's lock (``ballots.members.lock_item``)."""
    text = canonical_json(manifest)
    item.manifest_json = text
    item.manifest_hash = hashlib.sha256(text.encode()).hexdigest()
    item.state = ItemState.OPEN
    item.opened_at = now
    session.flush()
    box.open_item_log(session, item.id, item.manifest_hash)
    audit_item(
        session,
        action,
        actor,
        item,
        {**(audited or {}), "manifest_hash": item.manifest_hash},
    )
    return item
