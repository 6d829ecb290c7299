"""Proxies and the quorum in elections (app.workflow.governance.elections): a proxy casts the
ranked ballot of the member who appointed them, once, and the member's own vote replaces it;
anyone else is refused and nothing is kept; the declaration records whether the election was
quorate, an inquorate one elects nobody, and python -m votes verify recomputes the quorum."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from app.workflow.errors import DomainError
from app.workflow.governance import elections, proxies
from app.workflow.governance.models import ItemState
from app.workflow.models import AuditEvent
from app.workflow.organisations import NotAllowed
from ballots import members as box
from ballots.errors import AlreadyVoted
from ballots.models import MemberBallot, MemberChannel, MemberMark
from tests.app.election_world import coop, give_notice, nominated_election
from tests.app.workflow.test_elections import AFTER, link, open_it, ranking_ids
from votes import members as members_count


@pytest.fixture
def c(db):
    return coop()


def appoint(db, c, member, holder, item=None):
    proxy = proxies.appoint_proxy(
        db.session,
        c.meeting,
        actor=c.officer,
        member_number=member.member_number,
        holder=holder if holder == proxies.CHAIR else holder.member_number,
        item_id=item.id if item is not None else None,
        now=AFTER,
    )
    db.session.commit()
    return proxy


def numbers(manifest, constituency, order):
    return {cid: str(i + 1) for i, cid in enumerate(ranking_ids(manifest, constituency, order))}


def by_proxy(item, actor, numbers, member_id):
    """``actor`` casts the ballot of ``member_id`` as their proxy."""
    return elections.cast_online(
        db_session(), item, actor=actor, numbers=numbers, now=AFTER, for_member_id=member_id
    )


def db_session():
    from app.web.extensions import db

    return db.session


def stored(db, item) -> dict:
    db.session.rollback()
    return {
        "ballots": db.session.scalar(
            select(func.count()).select_from(MemberBallot).where(MemberBallot.item_id == item.id)
        ),
        "marks": db.session.scalar(
            select(func.count()).select_from(MemberMark).where(MemberMark.item_id == item.id)
        ),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
    }


def test_a_proxy_casts_the_members_ranked_ballot_and_their_own_vote_replaces_it(db, c):
    item = nominated_election(c)
    give_notice(c)
    member, holder = c.tenants[0], c.tenants[1]
    appoint(db, c, member, holder)
    holder_account = link(db, holder)
    member_account = link(db, member)
    manifest = open_it(db, c, item)
    assert [m.id for m in proxies.held_for(db.session, item, holder_account)] == [member.id]

    place, holder_id = elections.proxy_ballot_for(db.session, item, holder_account, member.id)
    assert place.member.id == member.id and holder_id == holder.id
    assert place.constituency["name"] == "Tenant board members"
    cast = by_proxy(item, holder_account, numbers(manifest, 0, (2, 0)), member.id)
    db.session.commit()
    assert box.has_voted(db.session, item.id, member.id) is MemberChannel.PROXY
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "election.proxy_voted")
    ).one()
    assert event.after == {
        "member_number": member.member_number,
        "holder": holder.member_number,
    }
    assert "ranking" not in json.dumps(event.after)  # who for whom, never how
    # A second ballot for the same member by the proxy is refused, and nothing is kept.
    before = stored(db, item)
    with pytest.raises(AlreadyVoted, match="already been cast for Tenant 1"):
        by_proxy(item, holder_account, numbers(manifest, 0, (1,)), member.id)
    assert stored(db, item) == before
    # The member votes themselves: theirs is counted and the proxy's superseded.
    own = elections.cast_online(
        db.session, item, actor=member_account, numbers=numbers(manifest, 0, (1,)), now=AFTER
    )
    db.session.commit()
    assert own.replaced_proxy and cast.receipt
    assert box.has_voted(db.session, item.id, member.id) is MemberChannel.ONLINE
    # Now the proxy cannot vote for them again.
    with pytest.raises(AlreadyVoted):
        elections.proxy_ballot_for(db.session, item, holder_account, member.id)
    db.session.rollback()
    elections.close_election(db.session, item, actor=c.officer, now=AFTER)
    db.session.commit()
    counted = box.counted_ballots(db.session, item.id)
    assert [ranking for _, ranking in counted] == [{"ranking": ranking_ids(manifest, 0, (1,))}]
    assert box.verify_item_log(db.session, item.id) == []


def test_only_the_holder_casts_a_proxys_ballot_and_nothing_is_kept_otherwise(db, c):
    item = nominated_election(c)
    give_notice(c)
    member, holder, other = c.tenants[0], c.tenants[1], c.tenants[2]
    appoint(db, c, member, holder)
    other_account = link(db, other)
    manifest = open_it(db, c, item)
    before = stored(db, item)
    for actor, member_id, error in [
        (other_account, member.id, NotAllowed),  # holds no proxy for them
        (other_account, c.tenants[3].id, NotAllowed),  # nobody's proxy at all
        (other_account, 10_000, DomainError),  # no such member at the meeting
    ]:
        with pytest.raises(error):
            by_proxy(item, actor, numbers(manifest, 0, (0,)), member_id)
        db.session.rollback()
    # The holder's numbers that give no order are refused beside the ballot.
    holder_account = link(db, holder)
    with pytest.raises(DomainError, match="more than once"):
        same = dict.fromkeys(ranking_ids(manifest, 0, (0, 1)), "1")
        by_proxy(item, holder_account, same, member.id)
    assert stored(db, item) == before


def test_a_proxy_for_one_motion_does_not_vote_in_the_election(db, c):
    from app.workflow.governance import motions

    item = nominated_election(c)
    motion = motions.table_motion(
        db.session,
        c.meeting,
        actor=c.officer,
        title="Accounts",
        wording="To receive the accounts.",
        threshold="ordinary",
        proposer_id=c.tenants[3].id,
        seconder_id=c.tenants[4].id,
        now=elections_before(),
    )
    db.session.commit()
    give_notice(c)
    member, holder = c.tenants[0], c.tenants[1]
    appoint(db, c, member, holder, item=motion)
    holder_account = link(db, holder)
    open_it(db, c, item)
    assert proxies.held_for(db.session, item, holder_account) == []
    with pytest.raises(NotAllowed):
        elections.proxy_ballot_for(db.session, item, holder_account, member.id)


def elections_before():
    from tests.app.election_world import BEFORE

    return BEFORE


def test_the_chair_casts_proxy_ballots_at_a_meeting_taking_votes_in_the_room_only(db, c):
    item = nominated_election(c)
    c.meeting.online_voting = False
    db.session.commit()
    give_notice(c)
    member, holder = c.tenants[0], c.tenants[1]
    appoint(db, c, member, proxies.CHAIR)
    appoint(db, c, c.tenants[2], holder)
    chair = c.officer  # the chair is one of the organisation's officers
    c.meeting.chair_id = chair.id
    db.session.commit()
    manifest = open_it(db, c, item)
    by_proxy(item, chair, numbers(manifest, 0, (0,)), member.id)
    db.session.commit()
    assert box.has_voted(db.session, item.id, member.id) is MemberChannel.PROXY
    # A member holding a proxy is in the room: they vote on paper there, not online.
    with pytest.raises(DomainError, match="in the room only"):
        elections.proxy_ballot_for(db.session, item, link(db, holder), c.tenants[2].id)


def declared(db, c, item, voters):
    manifest = elections.manifest_of(item)
    for member in voters:
        elections.cast_online(
            db.session,
            item,
            actor=link(db, member),
            numbers=numbers(manifest, 0 if member in c.tenants else 1, (0,)),
            now=AFTER,
        )
        db.session.commit()
    elections.close_election(db.session, item, actor=c.officer, now=AFTER)
    elections.declare_election(db.session, item, actor=c.officer, now=AFTER)
    db.session.commit()
    return elections.result_of(item)


def test_an_inquorate_election_is_declared_as_such_and_the_export_recomputes_it(db, c, tmp_path):
    c.organisation.quorum_members = 5
    c.organisation.quorum_counts_proxies = True
    db.session.commit()
    item = nominated_election(c)
    give_notice(c)
    appoint(db, c, c.tenants[5], c.tenants[0])  # represented, but the holder is not present
    open_it(db, c, item)
    result = declared(db, c, item, c.tenants[:2] + c.employees[:1])
    assert item.state is ItemState.DECLARED
    assert result["quorum"] == {
        "present": 3,
        "by_proxy": 1,  # the holder votes themselves, so is present
        "eligible": 11,
        "required": 5,
        "counted": 4,
        "inquorate": True,
    }
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "election.declared")
    ).one()
    assert event.after["inquorate"] is True
    data = elections.export_zip(db.session, item, actor=c.officer)
    path = tmp_path / "election.zip"
    path.write_bytes(data)
    checked, problems, _, _ = members_count.verify_item_zip(str(path))
    assert problems == [] and any("reproduces the declared result" in line for line in checked)
    # A declaration claiming the quorum was met on the same attendance is caught (the
    # attendance itself is the meeting's record, shown beside it, not the ballots').
    archive = zipfile.ZipFile(io.BytesIO(data))
    files = {name: archive.read(name) for name in archive.namelist()}
    forged = json.loads(files["result.json"])
    forged["quorum"]["inquorate"] = False
    files["result.json"] = json.dumps(forged).encode()
    import hashlib

    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in sorted(files.items())
        if name != "SHA256SUMS"
    ).encode()
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    _, problems, _, _ = members_count.verify_item_zip(str(tampered))
    assert problems == ["the recount does not reproduce the declared result"]


def test_a_quorate_election_says_so(db, c):
    c.organisation.quorum_members = 3
    db.session.commit()
    item = nominated_election(c)
    give_notice(c)
    open_it(db, c, item)
    result = declared(db, c, item, c.tenants[:3] + c.employees[:2])
    assert result["quorum"]["inquorate"] is False
    assert result["quorum"]["counted"] == 5 and result["quorum"]["required"] == 3
