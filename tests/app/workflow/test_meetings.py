"""General meetings and their motions through the workflow: notice given no sooner than the
rules allow, voters fixed at the record date, motions decided against their thresholds and
quorum, amendments before their motions, proxies within their cap and until their item opens,
a member's own vote replacing their proxy's, the chair's casting vote, and every refusal
changing nothing."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.web.extensions import db
from app.workflow.errors import DomainError
from app.workflow.governance import meetings, motions, proxies
from app.workflow.governance.models import ItemState, Meeting, MeetingState, MeetingVoter, Proxy
from app.workflow.models import AuditEvent, User
from app.workflow.organisations import NotAllowed
from ballots.errors import AlreadyVoted, RoundClosed
from tests.app import meeting_world as w
from tests.factories import create_user


def events(action=None) -> int:
    db.session.expire_all()
    query = select(func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalar(query)


@pytest.fixture
def c(db):
    return w.coop(quorum_members=5)


def test_notice_is_refused_sooner_than_the_rules_allow_naming_the_earliest_day(c):
    meeting = w.new_meeting(c, starts_at=w.MEETING_AT - timedelta(days=20), motions_deadline=None)
    before = events()
    with pytest.raises(DomainError) as refused:
        meetings.give_notice(db.session, meeting, actor=c.officer, now=w.BEFORE)
    db.session.rollback()
    assert refused.value.message.params["days"] == 28
    assert refused.value.message.params["day"].value == date(2026, 12, 29)
    assert meeting.state is MeetingState.DRAFT and meeting.record_date is None
    assert db.session.scalar(select(func.count()).select_from(MeetingVoter)) == 0
    assert events() == before


def test_notice_fixes_the_record_date_and_the_voters(c):
    meeting = w.new_meeting(c)
    w.give_notice(c, meeting)
    assert meeting.state is MeetingState.NOTICE
    assert meeting.record_date == w.TODAY
    assert meetings.voters_count(db.session, meeting) == 12
    assert events("meeting.notice_given") == 1
    with pytest.raises(meetings.WrongState):
        meetings.edit_meeting(
            db.session,
            meeting,
            actor=c.officer,
            title="Changed",
            kind="annual",
            starts_at=w.MEETING_AT,
            place="x",
            online_voting=True,
            motions_deadline=None,
            now=w.BEFORE,
        )
    db.session.rollback()
    with pytest.raises(meetings.WrongState):
        w.table(c, meeting)


def test_a_member_who_joined_after_the_record_date_cannot_vote(c):
    meeting, item = w.ready(c)
    late = w.add_member(c.organisation, c.officer, 99, joined_on=date(2026, 12, 5))
    db.session.commit()
    user = w.account_for(c, late)
    assert meetings.voter_of(db.session, meeting, late) is None
    w.open_item(c, item)
    with pytest.raises(meetings.NotAVoter):
        motions.vote_online(db.session, item, actor=user, choice="for", now=w.ON_THE_DAY)
    db.session.rollback()
    with pytest.raises(meetings.NotAVoter):
        meetings.check_in(
            db.session, meeting, actor=c.officer, member_number="99", now=w.ON_THE_DAY
        )
    db.session.rollback()


def _decided(c, threshold, votes, **rules):
    for key, value in rules.items():
        setattr(c.organisation, key, value)
    db.session.commit()
    meeting, item = w.ready(c, threshold=threshold)
    w.open_item(c, item)
    w.paper(c, meeting, item, dict(zip(c.members, votes, strict=False)))
    w.close_item(c, item)
    return item, w.declare(c, item)


def test_a_special_resolution_carries_with_three_quarters_and_not_one_vote_fewer(db):
    carried, result = _decided(w.coop(quorum_members=5), "special", ["for"] * 6 + ["against"] * 2)
    assert result["decision"]["carried"] is True
    assert result["decision"]["needed"] == 6 and result["decision"]["margin"] == 0
    assert carried.state is ItemState.DECLARED and carried.declared_at is not None
    assert json.loads(carried.result_json) == result

    _, result = _decided(
        w.coop(quorum_members=5, name="Other Housing"),
        "special",
        ["for"] * 5 + ["against"] * 3,
    )
    assert result["decision"]["carried"] is False
    assert result["decision"]["needed"] == 6 and result["decision"]["margin"] == -1


def test_abstentions_are_not_votes_cast_under_the_model_rules(c):
    _, result = _decided(c, "ordinary", ["for"] * 3 + ["against"] * 2 + ["abstain"] * 4)
    assert result["decision"]["cast"] == 5
    assert result["decision"]["carried"] is True


def test_an_inquorate_vote_is_declared_as_deciding_nothing(c):
    _, result = _decided(c, "ordinary", ["for"] * 3, quorum_members=10)
    assert result["decision"]["inquorate"] is True
    assert result["decision"]["carried"] is None
    assert result["decision"]["quorum_required"] == 10
    assert result["decision"]["quorum_counted"] == 3


def test_the_chairs_casting_vote_decides_a_tie_on_an_ordinary_resolution_only(c):
    meeting, item = w.ready(c, threshold="ordinary")
    w.open_item(c, item)
    w.paper(
        c,
        meeting,
        item,
        dict(zip(c.members, ["for", "for", "against", "against", "abstain"], strict=False)),
    )
    w.close_item(c, item)
    result = w.declare(c, item, casting_vote="for")
    assert result["decision"]["tie"] is True
    assert result["decision"]["carried"] is True
    assert result["casting_vote"] == "for"


def test_a_casting_vote_is_refused_without_a_tie_or_under_a_special_resolution(c):
    meeting, item = w.ready(c, threshold="special")
    w.open_item(c, item)
    w.paper(
        c,
        meeting,
        item,
        dict(zip(c.members, ["for", "for", "against", "against", "for"], strict=False)),
    )
    w.close_item(c, item)
    with pytest.raises(DomainError) as refused:
        w.declare(c, item, casting_vote="for")
    db.session.rollback()
    assert refused.value.field == "casting_vote"
    assert item.state is ItemState.CLOSED and item.result_json is None


def test_an_amendment_is_decided_before_its_motion(c):
    meeting = w.new_meeting(c)
    motion = w.table(c, meeting, threshold="ordinary")
    amendment = w.table(c, meeting, title="Amend rule 12", threshold="ordinary", amends=motion)
    w.give_notice(c, meeting)
    w.start(c, meeting)
    with pytest.raises(meetings.WrongState) as refused:
        w.open_item(c, motion)
    db.session.rollback()
    assert refused.value.message.params["title"] == "Amend rule 12"
    assert motion.state is ItemState.DRAFT
    w.open_item(c, amendment)
    with pytest.raises(meetings.WrongState):  # one item open at a time
        w.open_item(c, motion)
    db.session.rollback()
    w.paper(c, meeting, amendment, dict(zip(c.members, ["for"] * 5, strict=False)))
    w.close_item(c, amendment)
    with pytest.raises(meetings.WrongState):  # closed but not yet declared
        w.open_item(c, motion)
    db.session.rollback()
    w.declare(c, amendment)
    w.open_item(c, motion)
    assert motion.state is ItemState.OPEN
    assert json.loads(motion.manifest_json)["amends"] is None
    assert json.loads(amendment.manifest_json)["amends"] == motion.id


def test_a_motion_needs_distinct_proposer_and_seconder_on_the_register_before_the_deadline(c):
    meeting = w.new_meeting(c)
    base = {
        "actor": c.officer,
        "title": "T",
        "wording": "W",
        "threshold": "ordinary",
        "now": w.BEFORE,
    }
    one = c.members[0].id
    with pytest.raises(DomainError) as refused:
        motions.table_motion(db.session, meeting, proposer_id=one, seconder_id=one, **base)
    assert refused.value.field == "seconder"
    with pytest.raises(DomainError) as refused:
        motions.table_motion(db.session, meeting, proposer_id=one, seconder_id=9999, **base)
    assert refused.value.field == "seconder"
    with pytest.raises(meetings.WrongState):
        motions.table_motion(
            db.session,
            meeting,
            proposer_id=one,
            seconder_id=c.members[1].id,
            **{**base, "now": w.DEADLINE},
        )
    with pytest.raises(DomainError) as refused:
        motions.table_motion(
            db.session,
            meeting,
            proposer_id=one,
            seconder_id=c.members[1].id,
            **{**base, "threshold": "other"},
            share="1/3",
        )
    assert refused.value.field == "share"
    db.session.rollback()
    assert meeting.items == []


def _appoint(c, meeting, member, holder, item=None, actor=None):
    proxy = proxies.appoint_proxy(
        db.session,
        meeting,
        actor=actor or c.officer,
        member_number=member.member_number,
        holder=holder if holder == "chair" else holder.member_number,
        item_id=item.id if item is not None else None,
        now=w.BEFORE + timedelta(days=1),
    )
    db.session.commit()
    return proxy


def test_a_proxy_holder_is_refused_a_proxy_beyond_the_cap(db):
    c = w.coop(proxy_cap=2, quorum_members=1)
    meeting = w.new_meeting(c)
    w.give_notice(c, meeting)
    holder = c.members[2]
    _appoint(c, meeting, c.members[3], holder)
    _appoint(c, meeting, c.members[4], holder)
    before = events()
    with pytest.raises(DomainError) as refused:
        _appoint(c, meeting, c.members[5], holder)
    db.session.rollback()
    assert refused.value.field == "holder"
    assert proxies.held_by(db.session, meeting, meetings.voter_of(db.session, meeting, holder)) == 2
    assert events() == before
    # Another holder, and the chair, still may.
    _appoint(c, meeting, c.members[5], c.members[6])
    _appoint(c, meeting, c.members[7], "chair")


def test_a_proxy_is_revocable_until_its_item_opens_and_not_after(c):
    meeting, item = w.ready(c)
    first = _appoint(c, meeting, c.members[3], c.members[2], item)
    proxies.revoke_proxy(db.session, meeting, first.id, actor=c.officer, now=w.ON_THE_DAY)
    db.session.commit()
    assert first.revoked_at is not None
    second = _appoint(c, meeting, c.members[3], c.members[4], item)
    w.open_item(c, item)
    with pytest.raises(meetings.WrongState):
        proxies.revoke_proxy(db.session, meeting, second.id, actor=c.officer, now=w.ON_THE_DAY)
    db.session.rollback()
    with pytest.raises(meetings.WrongState):
        _appoint(c, meeting, c.members[5], c.members[4], item)
    db.session.rollback()
    with pytest.raises(meetings.WrongState):  # meeting-wide, while an item is open
        _appoint(c, meeting, c.members[5], c.members[4])
    db.session.rollback()
    assert second.revoked_at is None
    assert events("meeting.proxy_revoked") == 1


def test_a_member_appoints_their_own_proxy_but_not_anothers(c):
    meeting = w.new_meeting(c)
    w.give_notice(c, meeting)
    user = w.account_for(c, c.members[3])
    _appoint(c, meeting, c.members[3], c.members[2], actor=user)
    with pytest.raises(NotAllowed):
        _appoint(c, meeting, c.members[4], c.members[2], actor=user)
    db.session.rollback()
    with pytest.raises(DomainError):  # their own proxy
        _appoint(c, meeting, c.members[5], c.members[5])


def test_a_members_own_vote_replaces_their_proxys_and_is_counted_once(c):
    meeting, item = w.ready(c, threshold="ordinary")
    holder, member = c.members[2], c.members[3]
    holder_account, member_account = w.account_for(c, holder), w.account_for(c, member)
    _appoint(c, meeting, member, holder)
    w.open_item(c, item)
    assert [m.id for m in proxies.held_for(db.session, item, holder_account)] == [member.id]
    motions.vote_online(
        db.session,
        item,
        actor=holder_account,
        choice="for",
        for_member_id=member.id,
        now=w.ON_THE_DAY,
    )
    db.session.commit()
    assert events("meeting.proxy_voted") == 1
    mine = motions.vote_online(
        db.session, item, actor=member_account, choice="against", now=w.ON_THE_DAY
    )
    db.session.commit()
    assert mine.replaced_proxy and mine.receipt
    with pytest.raises(AlreadyVoted):
        motions.vote_online(
            db.session,
            item,
            actor=holder_account,
            choice="for",
            for_member_id=member.id,
            now=w.ON_THE_DAY,
        )
    db.session.rollback()
    w.close_item(c, item)
    result = w.declare(c, item)
    assert (result["for"], result["against"]) == (0, 1)
    audit_text = json.dumps(
        [
            e.after
            for e in db.session.scalars(select(AuditEvent))
            if e.action != "meeting.result_declared"
        ]
    )
    assert '"choice"' not in audit_text and "against" not in audit_text


def test_someone_without_the_proxy_cannot_vote_for_a_member(c):
    meeting, item = w.ready(c)
    stranger = w.account_for(c, c.members[5])
    w.open_item(c, item)
    with pytest.raises(NotAllowed):
        motions.vote_online(
            db.session,
            item,
            actor=stranger,
            choice="for",
            for_member_id=c.members[3].id,
            now=w.ON_THE_DAY,
        )
    db.session.rollback()


def test_proxies_count_towards_the_quorum_where_the_rules_say(c):
    meeting, item = w.ready(c, threshold="ordinary")
    w.check_in(c, meeting, c.members[2])
    for n in (3, 4, 5):
        _appoint(c, meeting, c.members[n], c.members[2])
    _appoint(c, meeting, c.members[6], "chair")
    w.open_item(c, item)
    w.paper(c, meeting, item, {c.members[2]: "for"})
    w.close_item(c, item)
    seen = motions.attendance(db.session, item)
    assert (seen.present, seen.by_proxy, seen.eligible) == (1, 4, 12)
    assert w.declare(c, item)["decision"]["quorum_counted"] == 5


def test_a_closed_item_refuses_votes(c):
    meeting, item = w.ready(c)
    user = w.account_for(c, c.members[3])
    w.open_item(c, item)
    w.close_item(c, item)
    with pytest.raises(RoundClosed):
        motions.vote_online(db.session, item, actor=user, choice="for", now=w.ON_THE_DAY)
    db.session.rollback()
    w.check_in(c, meeting, c.members[4])
    with pytest.raises(RoundClosed):
        w.paper(c, meeting, item, {c.members[4]: "for"})
    db.session.rollback()


def test_another_organisations_officer_is_refused_and_nothing_changes(c):
    other = w.coop(name="Other Housing")
    meeting, item = w.ready(c)
    before = events()
    intruder = other.officer
    attempts = [
        lambda: meetings.give_notice(db.session, meeting, actor=intruder, now=w.BEFORE),
        lambda: motions.open_voting(db.session, item, actor=intruder, now=w.ON_THE_DAY),
        lambda: meetings.check_in(
            db.session, meeting, actor=intruder, member_number="1", now=w.ON_THE_DAY
        ),
        lambda: proxies.appoint_proxy(
            db.session, meeting, actor=intruder, member_number="3", holder="4", now=w.BEFORE
        ),
        lambda: meetings.create_meeting(
            db.session,
            c.organisation,
            actor=intruder,
            title="Stolen",
            kind="general",
            starts_at=w.MEETING_AT,
            place="x",
            online_voting=True,
            motions_deadline=None,
            now=w.BEFORE,
        ),
        lambda: meetings.link_account(
            db.session, c.organisation, c.members[0].id, actor=intruder, email=intruder.email
        ),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed):
            attempt()
        db.session.rollback()
    assert events() == before
    assert item.state is ItemState.DRAFT
    assert db.session.scalar(select(func.count()).select_from(Proxy)) == 0
    assert c.members[0].account_id is None


def test_only_the_chair_opens_items(c):
    meeting, item = w.ready(c)
    deputy = create_user(email="deputy@example.org")
    from app.workflow import organisations

    organisations.appoint_officer(
        db.session, c.organisation, actor=c.officer, email=deputy.email, role="officer"
    )
    db.session.commit()
    with pytest.raises(NotAllowed):
        motions.open_voting(db.session, item, actor=deputy, now=w.ON_THE_DAY)
    db.session.rollback()


def test_the_manifest_freezes_the_rules_when_voting_opens(c):
    meeting, item = w.ready(c)
    w.open_item(c, item)
    manifest = json.loads(item.manifest_json)
    assert manifest["threshold"] == {"share": "3/4", "more_than": False, "name": "special"}
    assert manifest["eligible"] == 12
    assert manifest["quorum"] == {"members": 5, "share": None, "counts_proxies": True}
    c.organisation.special_numerator = 2
    c.organisation.special_denominator = 3
    db.session.commit()
    assert json.loads(item.manifest_json) == manifest


def test_two_appointments_at_once_cannot_both_pass_the_cap(db):
    """Two officers appoint the same holder at once, one proxy below the cap: the row lock on
    the holder's entry (BEGIN IMMEDIATE on SQLite) lets one through and refuses the other."""
    c = w.coop(proxy_cap=1)
    meeting = w.new_meeting(c)
    w.give_notice(c, meeting)
    barrier = threading.Barrier(2)
    engine, meeting_id, officer_id = db.engine, meeting.id, c.officer.id

    def appoint(number: str) -> str:
        with Session(engine) as session:
            found = session.get(Meeting, meeting_id)
            actor = session.get(User, officer_id)
            barrier.wait()
            try:
                proxies.appoint_proxy(
                    session, found, actor=actor, member_number=number, holder="3", now=w.BEFORE
                )
                session.commit()
                return "appointed"
            except DomainError:
                session.rollback()
                return "refused"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(appoint, ["4", "5"]))
    assert results == ["appointed", "refused"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Proxy)) == 1
