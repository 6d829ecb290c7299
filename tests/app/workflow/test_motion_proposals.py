"""Members propose motions and another member seconds them, through the workflow: a seconded
proposal is tabled exactly as an officer tables a motion, and is then opened and voted as
usual; every refusal (not linked, not on the register, an unknown seconder or the proposer
as seconder, after the deadline or notice, seconded by someone else or twice, declined then
seconded, withdrawn by someone else) changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.web.extensions import db
from app.workflow import organisations
from app.workflow.errors import DomainError
from app.workflow.governance import meetings, motions
from app.workflow.governance.models import (
    ItemState,
    MeetingItem,
    MotionProposal,
    ProposalState,
    ThresholdKind,
)
from app.workflow.models import AuditEvent
from tests.app import meeting_world as w
from tests.factories import create_user


def counts() -> tuple[int, int, int, tuple]:
    """Proposals, items and audit events, and every proposal's state: what a refusal leaves."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(MotionProposal)),
        db.session.scalar(select(func.count()).select_from(MeetingItem)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        tuple(db.session.scalars(select(MotionProposal.state).order_by(MotionProposal.id))),
    )


@pytest.fixture
def c(db):
    coop = w.coop(quorum_members=3)
    coop.meeting = w.new_meeting(coop)
    coop.proposer = w.account_for(coop, coop.members[2])
    coop.seconder = w.account_for(coop, coop.members[3])
    return coop


def propose(c, *, actor=None, now=w.BEFORE, **over):
    values = {
        "title": "Paint the hall",
        "wording": "That the community hall be painted green.",
        "threshold": "other",
        "share": "2/3",
        "seconder_number": c.members[3].member_number,
    }
    proposal = motions.propose_motion(
        db.session, c.meeting, actor=actor or c.proposer, now=now, **{**values, **over}
    )
    db.session.commit()
    return proposal


def refused(fn, *args, **kwargs) -> DomainError:
    before = counts()
    with pytest.raises(DomainError) as caught:
        fn(db.session, *args, **kwargs)
    db.session.rollback()
    assert counts() == before
    return caught.value


def test_a_seconded_proposal_is_tabled_as_an_officer_tables_a_motion_and_voted_as_usual(c):
    tabled = w.table(c, c.meeting, threshold="other", share="2/3")
    proposal = propose(c)
    assert proposal.state is ProposalState.WAITING and proposal.item_id is None
    assert proposal.proposer_id == c.members[2].id and proposal.seconder_id == c.members[3].id
    assert motions.proposals_of(db.session, c.meeting) == [proposal]
    assert motions.proposals_for(db.session, c.members[3]) == [proposal]
    assert motions.proposals_for(db.session, c.members[2]) == [proposal]
    assert motions.proposals_for(db.session, c.members[4]) == []
    assert len(c.meeting.items) == 1  # not on the agenda until it is seconded

    item = motions.second_motion(db.session, proposal, actor=c.seconder, now=w.BEFORE)
    db.session.commit()
    assert proposal.state is ProposalState.SECONDED and proposal.item_id == item.id
    assert proposal.decided_at == w.BEFORE
    assert motions.proposals_of(db.session, c.meeting) == []
    assert motions.proposals_for(db.session, c.members[3]) == []  # no longer waiting for them
    assert motions.proposals_for(db.session, c.members[2]) == [proposal]
    # The same kind of item as the officer's, next on the agenda.
    assert item.position == tabled.position + 1
    assert (item.kind, item.state, item.threshold) == (
        tabled.kind,
        ItemState.DRAFT,
        tabled.threshold,
    )
    assert (item.threshold_numerator, item.threshold_denominator) == (2, 3)
    assert item.threshold_more_than is tabled.threshold_more_than is False
    assert item.proposer_id == c.members[2].id and item.seconder_id == c.members[3].id
    assert (
        item.title == "Paint the hall" and item.body == "That the community hall be painted green."
    )
    assert item.tabled_at == w.BEFORE and item.amends_id is None
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == [
        "meeting.motion_proposed",
        "meeting.motion_tabled",
        "meeting.motion_seconded",
    ]

    # Then it is voted like any other motion.
    w.give_notice(c, c.meeting)
    w.start(c, c.meeting)
    w.open_item(c, item)
    w.paper(c, c.meeting, item, {m: "for" for m in c.members[:3]})
    w.close_item(c, item)
    result = w.declare(c, item)
    assert item.state is ItemState.DECLARED
    assert result["decision"]["carried"] is True and result["for"] == 3


def test_a_member_proposes_an_amendment_to_a_tabled_motion(c):
    tabled = w.table(c, c.meeting)
    proposal = propose(c, amends_id=tabled.id, threshold="ordinary", share=None)
    item = motions.second_motion(db.session, proposal, actor=c.seconder, now=w.BEFORE)
    db.session.commit()
    assert item.amends_id == tabled.id and item.threshold is ThresholdKind.ORDINARY
    assert item.threshold_numerator is None


def test_an_account_not_linked_to_a_member_cannot_propose(c):
    stranger = create_user(email="stranger@example.org")
    error = refused(
        motions.propose_motion,
        c.meeting,
        actor=stranger,
        title="T",
        wording="W",
        threshold="ordinary",
        seconder_number="4",
        now=w.BEFORE,
    )
    assert "not linked to a member" in error.message
    # An officer who is not a member is not a member either.
    error = refused(
        motions.propose_motion,
        c.meeting,
        actor=c.officer,
        title="T",
        wording="W",
        threshold="ordinary",
        seconder_number="4",
        now=w.BEFORE,
    )
    assert "not linked to a member" in error.message


def test_a_member_who_has_left_cannot_propose(c):
    organisations.record_leaving(
        db.session,
        c.organisation,
        c.members[2].id,
        actor=c.officer,
        left_on=date(2026, 11, 1),
        today=w.TODAY,
    )
    db.session.commit()
    error = refused(motions.propose_motion, c.meeting, **_args(c))
    assert "not on the register" in error.message


def _args(c, **over):
    values = {
        "actor": c.proposer,
        "title": "Paint the hall",
        "wording": "That the hall be painted.",
        "threshold": "ordinary",
        "seconder_number": c.members[3].member_number,
        "now": w.BEFORE,
    }
    return {**values, **over}


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"seconder_number": "999"}, "seconder"),
        ({"seconder_number": ""}, "seconder"),
        ({"seconder_number": "3"}, "seconder"),  # the proposer themselves
        ({"title": "  "}, "title"),
        ({"wording": ""}, "wording"),
        ({"threshold": "most"}, "threshold"),
        ({"threshold": "other", "share": "1/3"}, "share"),
        ({"amends_id": 99999}, "amends"),
    ],
)
def test_a_bad_proposal_is_refused_beside_its_field(c, over, field):
    error = refused(motions.propose_motion, c.meeting, **_args(c, **over))
    assert error.field == field


def test_the_seconder_is_the_proposer_refused_with_its_reason(c):
    error = refused(motions.propose_motion, c.meeting, **_args(c, seconder_number="3"))
    assert error.message == "The seconder must be a different member from the proposer."


def test_proposing_after_the_deadline_or_notice_is_refused_as_tabling_is(c):
    late = w.DEADLINE + timedelta(minutes=1)
    error = refused(motions.propose_motion, c.meeting, **_args(c, now=late))
    assert error.message == "The deadline for motions to this meeting has passed."
    w.give_notice(c, c.meeting)
    error = refused(motions.propose_motion, c.meeting, **_args(c))
    assert error.message == "Notice of the meeting has been given: its agenda is fixed."


def test_only_the_seconder_seconds_or_declines(c):
    proposal = propose(c)
    other = w.account_for(c, c.members[5])
    for actor in (c.proposer, other, c.officer):
        error = refused(motions.second_motion, proposal, actor=actor, now=w.BEFORE)
        assert "Only the member asked to second" in error.message
        refused(motions.decline_motion, proposal, actor=actor, now=w.BEFORE)
    for actor in (c.seconder, other, c.officer):
        error = refused(motions.withdraw_proposal, proposal, actor=actor, now=w.BEFORE)
        assert "Only the member who proposed" in error.message
    assert proposal.state is ProposalState.WAITING


def test_a_proposal_is_seconded_once(c):
    proposal = propose(c)
    motions.second_motion(db.session, proposal, actor=c.seconder, now=w.BEFORE)
    db.session.commit()
    error = refused(motions.second_motion, proposal, actor=c.seconder, now=w.BEFORE)
    assert error.message == "This motion has been seconded: it is on the agenda."
    refused(motions.decline_motion, proposal, actor=c.seconder, now=w.BEFORE)
    refused(motions.withdraw_proposal, proposal, actor=c.proposer, now=w.BEFORE)
    assert len(c.meeting.items) == 1


def test_a_declined_proposal_cannot_then_be_seconded_or_withdrawn(c):
    proposal = propose(c)
    motions.decline_motion(db.session, proposal, actor=c.seconder, now=w.BEFORE)
    db.session.commit()
    assert proposal.state is ProposalState.DECLINED and proposal.decided_at == w.BEFORE
    error = refused(motions.second_motion, proposal, actor=c.seconder, now=w.BEFORE)
    assert error.message == "The seconder has declined this motion."
    refused(motions.withdraw_proposal, proposal, actor=c.proposer, now=w.BEFORE)
    assert c.meeting.items == []


def test_a_withdrawn_proposal_cannot_be_seconded(c):
    proposal = propose(c)
    motions.withdraw_proposal(db.session, proposal, actor=c.proposer, now=w.BEFORE)
    db.session.commit()
    assert proposal.state is ProposalState.WITHDRAWN
    assert motions.proposals_for(db.session, c.members[3]) == []
    error = refused(motions.second_motion, proposal, actor=c.seconder, now=w.BEFORE)
    assert error.message == "The proposer has withdrawn this motion."


def test_seconding_after_the_deadline_or_notice_is_refused(c):
    proposal = propose(c)
    late = w.DEADLINE + timedelta(seconds=1)
    error = refused(motions.second_motion, proposal, actor=c.seconder, now=late)
    assert error.message == "The deadline for motions to this meeting has passed."
    w.give_notice(c, c.meeting)
    error = refused(motions.second_motion, proposal, actor=c.seconder, now=w.BEFORE)
    assert error.message == "Notice of the meeting has been given: its agenda is fixed."
    assert proposal.state is ProposalState.WAITING


def test_a_proposal_of_another_meeting_is_not_found_through_this_one(c):
    proposal = propose(c)
    other = w.new_meeting(c, title="Special general meeting")
    assert motions.find_proposal(db.session, other, proposal.id) is None
    assert motions.find_proposal(db.session, c.meeting, proposal.id) == proposal
    assert meetings.find_meeting(db.session, c.organisation, other.id) == other


def test_the_seconder_is_emailed_a_link_to_the_motion_once_it_is_proposed(app, c):
    from app.web.messages.wording import NotWorded, word
    from app.workflow.models import Message

    proposal = propose(c)
    sent = db.session.scalars(select(Message).where(Message.kind == "second_request")).all()
    assert [(m.recipient, m.user_id, m.data) for m in sent] == [
        (c.seconder.email, c.seconder.id, {"proposal_id": proposal.id})
    ]
    worded = word(db.session, sent[0])
    assert worded.subject == f"{c.members[2].name} asks you to second a motion"
    page = f"/organisations/{c.organisation.id}/meetings/{c.meeting.id}/proposals/{proposal.id}"
    assert worded.fields["page"].endswith(page) and page in worded.body
    assert '"Paint the hall"' in worded.body and c.meeting.title in worded.body
    # Answered before it went: it is not sent (the worker fails it as unworded).
    motions.decline_motion(db.session, proposal, actor=c.seconder, now=w.BEFORE)
    db.session.commit()
    with pytest.raises(NotWorded):
        word(db.session, sent[0])


def test_a_seconder_with_no_account_is_emailed_at_the_address_on_the_register(c):
    from app.workflow.models import Message

    member = c.members[5]
    assert member.account_id is None and member.email
    propose(c, seconder_number=member.member_number)
    sent = db.session.scalars(select(Message).where(Message.kind == "second_request")).one()
    assert (sent.recipient, sent.user_id, sent.language) == (member.email, None, "en")
