"""Voting in the room at a general meeting through the workflow: a card given at the door
(checking the member in), kept only as its hash, working at the meeting's kiosks once per item
and at no other meeting, replaced or taken back, and every refusal changing nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.web.extensions import db
from app.workflow.errors import DomainError
from app.workflow.governance import room
from app.workflow.governance.models import MeetingCard, MeetingKiosk
from app.workflow.models import AuditEvent
from app.workflow.organisations import NotAllowed
from ballots import members as box
from ballots.errors import AlreadyVoted, RoundClosed
from ballots.models import MemberChannel, MemberMark
from tests.app import meeting_world as w
from tests.factories import create_user

NOW = w.ON_THE_DAY


@pytest.fixture
def c(db):
    return w.coop()


def give(c, meeting, member, **kw):
    card = room.give_card(
        db.session, meeting, actor=c.officer, member_number=member.member_number, now=NOW, **kw
    )
    db.session.commit()
    return card


def kiosk(c, meeting):
    found, _secret = room.open_kiosk(db.session, meeting, actor=c.officer, now=NOW)
    db.session.commit()
    return found


def test_a_card_checks_the_member_in_and_only_its_hash_is_kept(c):
    meeting, item = w.ready(c)
    card = give(c, meeting, c.members[2])
    assert len(card.code) == 19 and card.code.count("-") == 3
    assert card.voter.present_at is not None
    stored = db.session.scalar(select(MeetingCard))
    assert stored.code_hash == room.card_hash(card.code.lower().replace("-", " "))
    assert stored.code_hash != hashlib.sha256(card.code.encode()).hexdigest()
    assert card.code.replace("-", "") not in str(stored.__dict__)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "meeting.checked_in" in actions and "meeting.card_given" in actions
    # A second card only as a replacement: the old one stops working.
    with pytest.raises(DomainError, match="already has a voting card"):
        give(c, meeting, c.members[2])
    db.session.rollback()
    again = give(c, meeting, c.members[2], replace=True)
    assert again.replaced
    cards = db.session.scalars(select(MeetingCard).order_by(MeetingCard.id)).all()
    assert [x.revoked_at is not None for x in cards] == [True, False]


def test_a_card_votes_once_per_item_at_a_kiosk_and_the_kiosk_forgets_it(c):
    meeting, item = w.ready(c)
    card = give(c, meeting, c.members[3])
    here = kiosk(c, meeting)
    with pytest.raises(room.NothingToVote, match="No item is open"):
        room.start_member(db.session, here, card.code, now=NOW)
    db.session.rollback()
    w.open_item(c, item)
    member = room.start_member(db.session, here, card.code, now=NOW)
    assert member.item.id == item.id and here.card_id == card.card.id
    cast = room.cast_at_kiosk(db.session, member, item.id, choice="against", now=NOW)
    db.session.commit()
    assert cast.receipt and here.card_id is None
    assert box.has_voted(db.session, item.id, c.members[3].id) is MemberChannel.ROOM
    with pytest.raises(room.NothingToVote, match="already voted"):
        room.start_member(db.session, here, card.code, now=NOW)
    db.session.rollback()
    # Even if the kiosk still held it, the ballot box's mark refuses a second ballot.
    with pytest.raises(AlreadyVoted, match="You have already voted on"):
        room.cast_at_kiosk(db.session, member, item.id, choice="for", now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MemberMark)) == 1


def test_wrong_revoked_and_other_meetings_cards_are_refused(c):
    meeting, item = w.ready(c)
    other_meeting = w.new_meeting(c, title="Special meeting")
    w.table(c, other_meeting)
    w.give_notice(c, other_meeting)
    w.start(c, other_meeting)
    theirs = give(c, other_meeting, c.members[4])
    mine = give(c, meeting, c.members[5])
    here = kiosk(c, meeting)
    w.open_item(c, item)
    for code in ("AAAA-BBBB-CCCC-DDDD", theirs.code):
        with pytest.raises(room.CardRefused, match="not right"):
            room.start_member(db.session, here, code, now=NOW)
        db.session.rollback()
    room.revoke_card(
        db.session, meeting, actor=c.officer, member_number=mine.voter.member.member_number, now=NOW
    )
    db.session.commit()
    with pytest.raises(room.CardRefused, match="replaced or taken back"):
        room.start_member(db.session, here, mine.code, now=NOW)
    db.session.rollback()
    db.session.refresh(here)
    assert here.card_id is None


def test_a_card_taken_back_or_a_kiosk_left_idle_lets_go_of_the_member(c):
    meeting, item = w.ready(c)
    card = give(c, meeting, c.members[6])
    here = kiosk(c, meeting)
    w.open_item(c, item)
    room.start_member(db.session, here, card.code, now=NOW)
    db.session.commit()
    assert room.kiosk_member(db.session, here, now=NOW + room.KIOSK_IDLE / 2) is not None
    later = NOW + room.KIOSK_IDLE * 2
    assert room.kiosk_member(db.session, here, now=later) is None and here.card_id is None
    db.session.commit()
    room.start_member(db.session, here, card.code, now=NOW)
    db.session.commit()
    room.revoke_card(
        db.session, meeting, actor=c.officer, member_number=c.members[6].member_number, now=NOW
    )
    db.session.commit()
    db.session.refresh(here)
    assert here.card_id is None


def test_a_closed_item_refuses_the_kiosks_ballot(c):
    meeting, item = w.ready(c)
    card = give(c, meeting, c.members[7])
    here = kiosk(c, meeting)
    w.open_item(c, item)
    member = room.start_member(db.session, here, card.code, now=NOW)
    db.session.commit()
    w.close_item(c, item)
    member = room.kiosk_member(db.session, here, now=NOW + timedelta(seconds=5))
    with pytest.raises(RoundClosed):
        room.cast_at_kiosk(db.session, member, item.id, choice="for", now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MemberMark)) == 0


def test_only_the_organisations_officers_give_cards_and_open_kiosks(c):
    meeting, item = w.ready(c)
    stranger = create_user(email="stranger@example.org")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(NotAllowed):
        room.give_card(db.session, meeting, actor=stranger, member_number="1", now=NOW)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        room.open_kiosk(db.session, meeting, actor=stranger, now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MeetingCard)) == 0
    assert db.session.scalar(select(func.count()).select_from(MeetingKiosk)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_members_vote_at_the_kiosk_replaces_their_proxys(c):
    from app.workflow.governance import motions, proxies

    meeting, item = w.ready(c, threshold="ordinary")
    holder, member = c.members[2], c.members[3]
    holder_account = w.account_for(c, holder)
    proxies.appoint_proxy(
        db.session,
        meeting,
        actor=c.officer,
        member_number=member.member_number,
        holder=holder.member_number,
        item_id=None,
        now=w.BEFORE + timedelta(days=1),
    )
    db.session.commit()
    w.open_item(c, item)
    motions.vote_online(
        db.session, item, actor=holder_account, choice="for", for_member_id=member.id, now=NOW
    )
    db.session.commit()
    card = give(c, meeting, member)
    here = kiosk(c, meeting)
    at = room.start_member(db.session, here, card.code, now=NOW)
    mine = room.cast_at_kiosk(db.session, at, item.id, choice="against", now=NOW)
    db.session.commit()
    assert mine.replaced_proxy and mine.receipt
    assert box.has_voted(db.session, item.id, member.id) is MemberChannel.ROOM
    w.close_item(c, item)
    result = w.declare(c, item)
    assert (result["for"], result["against"]) == (0, 1)


def test_a_closed_meeting_stops_its_kiosks_and_gives_no_cards(c):
    meeting, item = w.ready(c)
    here, secret = room.open_kiosk(db.session, meeting, actor=c.officer, now=NOW)
    db.session.commit()
    assert room.kiosk_for(db.session, secret) is here
    w.meetings.close_meeting(db.session, meeting, actor=c.officer, now=NOW)
    db.session.commit()
    assert room.kiosk_for(db.session, secret) is None
    with pytest.raises(room.WrongState):
        give(c, meeting, c.members[0])
    db.session.rollback()


def test_an_election_is_voted_at_the_kiosk_in_the_members_own_constituency(db):
    from tests.app import election_world as ew
    from tests.app.workflow.test_elections import AFTER, open_it, ranking_ids

    e = ew.coop()
    item = ew.nominated_election(e)
    ew.give_notice(e)  # the meeting is under way
    manifest = open_it(db, e, item)
    tenant, employee = e.tenants[0], e.employees[0]
    cards = [
        room.give_card(
            db.session, e.meeting, actor=e.officer, member_number=m.member_number, now=AFTER
        )
        for m in (tenant, employee)
    ]
    db.session.commit()
    found, _secret = room.open_kiosk(db.session, e.meeting, actor=e.officer, now=AFTER)
    db.session.commit()

    at = room.start_member(db.session, found, cards[0].code, now=AFTER)
    assert at.item.id == item.id
    assert room.place_at_kiosk(db.session, at).constituency["name"] == "Tenant board members"
    tenants_ids = ranking_ids(manifest, 0, (2, 0, 1))
    # Numbers that give no order, or an employee candidate's id, are refused; nothing is cast.
    with pytest.raises(DomainError, match="more than once"):
        room.cast_at_kiosk(
            db.session, at, item.id, numbers={tenants_ids[0]: "1", tenants_ids[1]: "1"}, now=AFTER
        )
    employee_id = ranking_ids(manifest, 1, (0,))[0]
    with pytest.raises(DomainError, match="Number at least one candidate"):
        room.cast_at_kiosk(db.session, at, item.id, numbers={employee_id: "1"}, now=AFTER)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MemberMark)) == 0

    at = room.start_member(db.session, found, cards[0].code, now=AFTER)
    cast = room.cast_at_kiosk(
        db.session,
        at,
        item.id,
        numbers={cid: str(n + 1) for n, cid in enumerate(tenants_ids)},
        now=AFTER,
    )
    db.session.commit()
    assert cast.receipt and found.card_id is None
    mark = db.session.scalar(select(MemberMark))
    assert (mark.member_id, mark.channel) == (tenant.id, MemberChannel.ROOM)
    assert mark.recorded_by_id == e.officer.id
    from ballots.models import MemberBallot

    stored = db.session.scalar(select(MemberBallot))
    assert json.loads(stored.content) == {"ranking": tenants_ids}
    assert stored.constituency == manifest["constituencies"][0]["id"]
    # Once is all: the card has nothing more to vote on in this election.
    with pytest.raises(room.NothingToVote, match="already voted on Board election"):
        room.start_member(db.session, found, cards[0].code, now=AFTER)
    db.session.rollback()
    # The employee's card gets the employee constituency's ballot.
    at = room.start_member(db.session, found, cards[1].code, now=AFTER)
    assert room.place_at_kiosk(db.session, at).constituency["name"] == "Employee board member"


def test_a_member_of_a_class_voting_in_no_constituency_is_told_at_the_kiosk(db):
    from app.workflow import organisations
    from tests.app import election_world as ew
    from tests.app.workflow.test_elections import AFTER, open_it

    e = ew.coop()
    organisations.add_class(
        db.session, e.organisation, actor=e.officer, code="friend", name="Friend"
    )
    friend = organisations.add_member(
        db.session,
        e.organisation,
        actor=e.officer,
        member_number="F1",
        name="Friend 1",
        membership_class="friend",
        joined_on=ew.TODAY - timedelta(days=400),
        today=ew.TODAY,
    )
    db.session.commit()
    item = ew.nominated_election(e)
    ew.give_notice(e)
    open_it(db, e, item)
    card = room.give_card(db.session, e.meeting, actor=e.officer, member_number="F1", now=AFTER)
    found, _secret = room.open_kiosk(db.session, e.meeting, actor=e.officer, now=AFTER)
    db.session.commit()
    with pytest.raises(room.NothingToVote, match="does not vote in this election"):
        room.start_member(db.session, found, card.code, now=AFTER)
    db.session.rollback()
    assert found.card_id is None and friend.id
