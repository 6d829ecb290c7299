"""Proxies at an organisation's general meetings (docs/governance.md, "Proxies"): a member, or
an officer for them, appoints another member with a vote at the meeting (or the chair) to vote
for them at the whole meeting or on one item, until that item opens, and may revoke the
appointment until then.

**The cap.** One member holds at most the organisation's ``proxy_cap`` other members'
proxies (the chair, who holds them for the meeting rather than for themselves, is not capped;
a cap of 0 means no proxies at all). The count and the appointment are one transaction under
a row lock on the holder's ``meeting_voters`` row (``SELECT ... FOR UPDATE``; ``BEGIN
IMMEDIATE`` on SQLite), so two appointments at once cannot both pass the cap.

A meeting-wide appointment governs the items opened while it is in force; it cannot be made
or revoked while an item is open for voting. An appointment for one item replaces the
meeting-wide one for that item. Every appointment and revocation is audited: who for whom,
never how anyone voted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.governance.meetings import (
    NotAVoter,
    WrongState,
    is_chair,
    member_of_account,
    open_item,
    voter_by_number,
    voter_of,
)
from app.workflow.governance.models import (
    ItemState,
    Meeting,
    MeetingItem,
    MeetingState,
    MeetingVoter,
    Proxy,
)
from app.workflow.models import User
from app.workflow.organisations import Member, NotAllowed, NotOnRegister, may_run
from ballots.db import begin_write
from ballots.refusals import N_

CHAIR = "chair"


def _may_act_for(session: Session, actor: User, meeting: Meeting, member: Member) -> bool:
    if may_run(actor, meeting.organisation):
        return True
    own = member_of_account(session, meeting.organisation, actor)
    return own is not None and own.id == member.id


def _label(proxy: Proxy) -> str:
    return CHAIR if proxy.holder_is_chair else proxy.holder.member_number


def _item_of(session: Session, meeting: Meeting, item_id: int | None) -> MeetingItem | None:
    if item_id is None:
        return None
    item = session.get(MeetingItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise DomainError(N_("Choose an item of this meeting's agenda."), "item")
    return item


def _may_change(session: Session, meeting: Meeting, item: MeetingItem | None) -> None:
    """Refused once the scope of an appointment has opened for voting."""
    if meeting.state not in (MeetingState.NOTICE, MeetingState.OPEN):
        raise WrongState(
            N_("Proxies can be appointed once notice of the meeting is given, until it closes.")
        )
    if item is not None:
        if item.state is not ItemState.DRAFT:
            raise WrongState(
                N_("Voting on %(title)s has opened: its proxies can no longer change."),
                title=item.title,
            )
    elif open_item(session, meeting) is not None:
        raise WrongState(
            N_("Proxies for the whole meeting cannot change while an item is open for voting.")
        )


def held_by(session: Session, meeting: Meeting, holder: MeetingVoter | None) -> int:
    """How many other members' proxies (in force, for the meeting or any item) ``holder``
    holds at the meeting."""
    if holder is None:
        return 0
    return session.scalar(
        select(func.count(func.distinct(Proxy.member_id))).where(
            Proxy.meeting_id == meeting.id,
            Proxy.holder_id == holder.member_id,
            Proxy.revoked_at.is_(None),
        )
    )


def appoint_proxy(
    session: Session,
    meeting: Meeting,
    *,
    actor: User,
    member_number: str,
    holder: str,
    item_id: int | None = None,
    now: datetime,
) -> Proxy:
    """Appoint ``holder`` (a member number, or ``"chair"``) proxy for the member with
    ``member_number`` at the meeting (``item_id`` None) or on one item, audited.

    Refused for anyone but the member themselves and the organisation's officers; before
    notice or after the meeting; for an item already opened (a meeting-wide appointment while
    an item is open); for a member or holder with no vote at the meeting, the member as their
    own proxy, an appointment already in force for the same scope (revoke it first), and a
    holder already holding ``proxy_cap`` proxies."""
    begin_write(session)
    voter = voter_by_number(session, meeting, member_number, "member_number")
    member = voter.member
    if not _may_act_for(session, actor, meeting, member):
        raise NotAllowed(N_("Only the member, or an officer for them, can appoint their proxy."))
    item = _item_of(session, meeting, item_id)
    _may_change(session, meeting, item)
    cap = meeting.organisation.proxy_cap
    if cap == 0:
        raise DomainError(
            N_("The rules of %(organisation)s allow no proxies."),
            "holder",
            organisation=meeting.organisation.name,
        )
    chair = (holder or "").strip().lower() == CHAIR
    held = None
    if not chair:
        if not (holder or "").strip():
            raise DomainError(N_("Enter the proxy's member number, or choose the chair."), "holder")
        # The lock that makes the cap hold under concurrent appointments.
        held = session.scalar(
            select(MeetingVoter)
            .join(Member, Member.id == MeetingVoter.member_id)
            .where(
                MeetingVoter.meeting_id == meeting.id,
                Member.organisation_id == meeting.organisation_id,
                Member.member_number == holder.strip(),
            )
            .with_for_update()
        )
        if held is None:
            raise NotAVoter(
                N_("Member %(number)s has no vote at this meeting, so cannot be a proxy."),
                "holder",
                number=holder.strip(),
            )
        if held.member_id == member.id:
            raise DomainError(N_("A member cannot be their own proxy."), "holder")
    in_force = session.scalar(
        select(Proxy).where(
            Proxy.meeting_id == meeting.id,
            Proxy.member_id == member.id,
            Proxy.revoked_at.is_(None),
            Proxy.item_id == item.id if item is not None else Proxy.item_id.is_(None),
        )
    )
    if in_force is not None:
        raise DomainError(
            N_("Member %(number)s has already appointed a proxy for this: revoke it first."),
            "member_number",
            number=member.member_number,
        )
    if held is not None:
        already = session.scalar(
            select(func.count())
            .select_from(Proxy)
            .where(
                Proxy.meeting_id == meeting.id,
                Proxy.member_id == member.id,
                Proxy.holder_id == held.member_id,
                Proxy.revoked_at.is_(None),
            )
        )
        if not already and held_by(session, meeting, held) >= cap:
            raise DomainError(
                N_(
                    "Member %(number)s already holds %(cap)s proxies, the most the rules "
                    "allow one member."
                ),
                "holder",
                number=held.member.member_number,
                cap=cap,
            )
    proxy = Proxy(
        meeting_id=meeting.id,
        member_id=member.id,
        item_id=item.id if item is not None else None,
        holder_id=None if chair else held.member_id,
        holder_is_chair=chair,
        appointed_at=now,
        appointed_by_id=actor.id,
    )
    session.add(proxy)
    session.flush()
    audit.record(
        session,
        action="meeting.proxy_appointed",
        actor=actor,
        organisation=meeting.organisation,
        subject=meeting,
        after={"member_number": member.member_number, "holder": _label(proxy), "item": item_id},
    )
    return proxy


def find_proxy(session: Session, meeting: Meeting, proxy_id: int) -> Proxy | None:
    proxy = session.get(Proxy, proxy_id)
    if proxy is None or proxy.meeting_id != meeting.id:
        return None
    return proxy


def revoke_proxy(
    session: Session, meeting: Meeting, proxy_id: int, *, actor: User, now: datetime
) -> Proxy:
    """Revoke an appointment in force, audited. Refused for anyone but the member and the
    organisation's officers, for one already revoked, and once its item has opened (for a
    meeting-wide one, while an item is open)."""
    begin_write(session)
    proxy = find_proxy(session, meeting, proxy_id)
    if proxy is None:
        raise NotOnRegister(N_("There is no such proxy at this meeting."))
    if not _may_act_for(session, actor, meeting, proxy.member):
        raise NotAllowed(N_("Only the member, or an officer for them, can revoke their proxy."))
    if proxy.revoked_at is not None:
        raise WrongState(N_("That proxy has already been revoked."))
    _may_change(session, meeting, _item_of(session, meeting, proxy.item_id))
    proxy.revoked_at = now
    session.flush()
    audit.record(
        session,
        action="meeting.proxy_revoked",
        actor=actor,
        organisation=meeting.organisation,
        subject=meeting,
        after={
            "member_number": proxy.member.member_number,
            "holder": _label(proxy),
            "item": proxy.item_id,
        },
    )
    return proxy


def proxies_at(session: Session, meeting: Meeting) -> list[Proxy]:
    """The meeting's appointments in force, by member number."""
    return list(
        session.scalars(
            select(Proxy)
            .join(Member, Member.id == Proxy.member_id)
            .where(Proxy.meeting_id == meeting.id, Proxy.revoked_at.is_(None))
            .order_by(func.length(Member.member_number), Member.member_number, Proxy.id)
        )
    )


def in_force_for(session: Session, item: MeetingItem) -> dict[int, Proxy]:
    """Each member's appointment governing ``item``: in force when it opened (now, while it
    is a draft), the item's own before a meeting-wide one."""
    at = item.opened_at
    where = [
        Proxy.meeting_id == item.meeting_id,
        or_(Proxy.item_id.is_(None), Proxy.item_id == item.id),
    ]
    if at is None:
        where.append(Proxy.revoked_at.is_(None))
    else:
        where += [Proxy.appointed_at <= at, or_(Proxy.revoked_at.is_(None), Proxy.revoked_at > at)]
    chosen: dict[int, Proxy] = {}
    for proxy in session.scalars(select(Proxy).where(*where).order_by(Proxy.id)):
        if proxy.member_id not in chosen or proxy.item_id is not None:
            chosen[proxy.member_id] = proxy
    return chosen


def may_vote_for(
    session: Session, item: MeetingItem, actor: User, member_id: int
) -> tuple[int | None, Proxy]:
    """The holder (a member id, or None for the chair) that ``actor`` is when voting for
    ``member_id`` on ``item``; refused unless ``actor`` holds that member's proxy for it."""
    meeting = item.meeting
    proxy = in_force_for(session, item).get(member_id)
    own = voter_of(session, meeting, member_of_account(session, meeting.organisation, actor))
    if proxy is not None:
        if proxy.holder_is_chair and is_chair(actor, meeting):
            return None, proxy
        if not proxy.holder_is_chair and own is not None and own.member_id == proxy.holder_id:
            return proxy.holder_id, proxy
    raise NotAllowed(N_("You do not hold that member's proxy for this item."))


def held_for(session: Session, item: MeetingItem, actor: User) -> list[Member]:
    """The members whose proxy ``actor`` holds for ``item`` (as a member, or as its chair)."""
    meeting = item.meeting
    own = member_of_account(session, meeting.organisation, actor)
    chair = is_chair(actor, meeting)
    return [
        proxy.member
        for proxy in in_force_for(session, item).values()
        if (proxy.holder_is_chair and chair)
        or (own is not None and not proxy.holder_is_chair and proxy.holder_id == own.id)
    ]
