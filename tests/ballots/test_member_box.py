"""The member ballot box: once per member and item, a proxy's vote replaced by the member's
own, receipts, the item's hash chain and counting only once sealed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.workflow.governance.models import ItemKind, ItemState, Meeting, MeetingItem, MeetingKind
from app.workflow.models import Role
from app.workflow.organisations import add_member, create_organisation
from ballots import members as box
from ballots.errors import AlreadyVoted, InvalidBallot, ReceiptNotFound, RoundClosed
from ballots.models import MemberBallot, MemberChannel, MemberLogEntry, MemberMark, MemberReceipt
from tests.conftest import owner_connection
from tests.factories import create_council, create_user
from votes.canonical import canonical_json

MOTION = {"kind": "motion", "title": "Change rule 12"}
ELECTION = {
    "kind": "election",
    "constituencies": [
        {"id": 1, "seats": 2, "candidates": [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}]},
        {"id": 2, "seats": 1, "candidates": [{"id": "c4"}, {"id": "c5"}]},
    ],
}


@pytest.fixture
def coop(db):
    council = create_council()
    officer = create_user(roles={council: Role.OFFICER})
    org = create_organisation(
        db.session, council, actor=officer, name="Hollins Housing", kind="housing_cooperative"
    )
    people = [
        add_member(
            db.session,
            org,
            actor=officer,
            member_number=f"T{i}",
            name=f"Tenant {i}",
            membership_class="tenant",
            joined_on=date(2020, 1, 1),
            today=date(2026, 12, 1),
        )
        for i in range(3)
    ]
    meeting = Meeting(
        organisation=org,
        slug="agm",
        title="AGM",
        kind=MeetingKind.ANNUAL,
        starts_at=datetime(2027, 1, 10, 18, tzinfo=UTC),
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting, people


def open_item(db, meeting, manifest=MOTION, kind=ItemKind.MOTION) -> MeetingItem:
    item = MeetingItem(
        meeting=meeting,
        position=len(meeting.items) + 1,
        kind=kind,
        title="Item",
        threshold="special" if kind is ItemKind.MOTION else None,
        rule=None if kind is ItemKind.MOTION else "scottish",
        state=ItemState.OPEN,
        manifest_json=canonical_json(manifest),
        manifest_hash="a" * 64,
    )
    db.session.add(item)
    db.session.flush()
    box.open_item_log(db.session, item.id, item.manifest_hash)
    db.session.commit()
    return item


def close(db, item):
    box.lock_item(db.session, item.id)
    item.state = ItemState.CLOSED
    box.close_item_log(db.session, item.id)
    db.session.commit()


def rows(db):
    db.session.rollback()
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (MemberMark, MemberBallot, MemberReceipt, MemberLogEntry)
    }


def test_a_member_votes_once_with_a_receipt_and_the_count_waits_for_the_close(db, coop):
    meeting, (ann, bob, _) = coop
    item = open_item(db, meeting)
    cast = box.cast(
        db.session, item_id=item.id, manifest=MOTION, member_id=ann.id, ballot={"choice": "for"}
    )
    db.session.commit()
    assert cast.receipt and cast.sequence == 1
    before = rows(db)
    with pytest.raises(AlreadyVoted, match="already voted"):
        box.cast(
            db.session,
            item_id=item.id,
            manifest=MOTION,
            member_id=ann.id,
            ballot={"choice": "against"},
        )
    assert rows(db) == before
    box.cast(
        db.session, item_id=item.id, manifest=MOTION, member_id=bob.id, ballot={"choice": "against"}
    )
    db.session.commit()
    assert box.turnout(db.session, item.id).voted == 2
    with pytest.raises(RoundClosed, match="only once voting on the item has closed"):
        box.counted_ballots(db.session, item.id)
    close(db, item)
    assert sorted(b["choice"] for _, b in box.counted_ballots(db.session, item.id)) == [
        "against",
        "for",
    ]
    assert box.verify_item_log(db.session, item.id) == []
    check = box.check_receipt(db.session, item.id, cast.receipt.lower())
    assert (check.sequence, check.superseded) == (1, False)
    with pytest.raises(RoundClosed, match="not open"):
        box.cast(
            db.session,
            item_id=item.id,
            manifest=MOTION,
            member_id=meeting.items[0].id,
            ballot={"choice": "for"},
        )


def test_a_members_own_vote_replaces_their_proxys_and_a_proxy_cannot_follow_it(db, coop):
    meeting, (ann, bob, cat) = coop
    item = open_item(db, meeting)
    by_proxy = box.cast(
        db.session,
        item_id=item.id,
        manifest=MOTION,
        member_id=ann.id,
        ballot={"choice": "for"},
        channel=MemberChannel.PROXY,
        proxy_holder_id=bob.id,
    )
    db.session.commit()
    assert box.has_voted(db.session, item.id, ann.id) is MemberChannel.PROXY
    own = box.cast(
        db.session, item_id=item.id, manifest=MOTION, member_id=ann.id, ballot={"choice": "against"}
    )
    db.session.commit()
    assert own.replaced_proxy is True
    assert box.has_voted(db.session, item.id, ann.id) is MemberChannel.ONLINE
    with pytest.raises(AlreadyVoted, match="already been cast for this member"):
        box.cast(
            db.session,
            item_id=item.id,
            manifest=MOTION,
            member_id=ann.id,
            ballot={"choice": "for"},
            channel=MemberChannel.PROXY,
            proxy_holder_id=bob.id,
        )
    db.session.rollback()
    # A proxy's ballot for a member who then does not vote is counted.
    box.cast(
        db.session,
        item_id=item.id,
        manifest=MOTION,
        member_id=cat.id,
        ballot={"choice": "for"},
        channel=MemberChannel.PROXY,
        proxy_holder_id=bob.id,
    )
    db.session.commit()
    close(db, item)
    counted = sorted(b["choice"] for _, b in box.counted_ballots(db.session, item.id))
    assert counted == ["against", "for"]  # Ann's own (against) and Cat's by proxy (for)
    assert box.check_receipt(db.session, item.id, by_proxy.receipt).superseded is True
    # Nothing links a member to a ballot once the item is closed.
    assert (
        db.session.scalar(select(func.count()).where(MemberMark.proxy_ballot_id.is_not(None))) == 0
    )
    assert box.verify_item_log(db.session, item.id) == []


@pytest.mark.parametrize(
    "constituency, ballot, message",
    [
        (1, {"ranking": []}, "Number at least one candidate"),
        (1, {"ranking": ["c1", "c1"]}, "one number only"),
        (1, {"ranking": ["c4"]}, "not a candidate"),
        (3, {"ranking": ["c1"]}, "do not vote in that part"),
        (1, {"choice": "for"}, "Number at least one candidate"),
    ],
)
def test_a_ballot_the_manifest_does_not_allow_is_refused_and_nothing_is_kept(
    db, coop, constituency, ballot, message
):
    meeting, (ann, _, _) = coop
    item = open_item(db, meeting, ELECTION, ItemKind.ELECTION)
    before = rows(db)
    with pytest.raises(InvalidBallot, match=message):
        box.cast(
            db.session,
            item_id=item.id,
            manifest=ELECTION,
            member_id=ann.id,
            ballot=ballot,
            constituency=constituency,
        )
    assert rows(db) == before


def test_a_motion_takes_for_against_or_abstain_only(db, coop):
    meeting, (ann, _, _) = coop
    item = open_item(db, meeting)
    with pytest.raises(InvalidBallot, match="Choose for, against or abstain"):
        box.cast(
            db.session,
            item_id=item.id,
            manifest=MOTION,
            member_id=ann.id,
            ballot={"choice": "maybe"},
        )


def test_an_unknown_receipt_is_refused(db, coop):
    meeting, _ = coop
    item = open_item(db, meeting)
    with pytest.raises(ReceiptNotFound):
        box.check_receipt(db.session, item.id, "AAAAA-BBBBB")
    with pytest.raises(ReceiptNotFound, match="Enter your receipt"):
        box.check_receipt(db.session, item.id, " - ")


def test_the_items_log_is_append_only_and_a_changed_ballot_breaks_it(db, coop):
    meeting, (ann, _, _) = coop
    item = open_item(db, meeting)
    box.cast(
        db.session, item_id=item.id, manifest=MOTION, member_id=ann.id, ballot={"choice": "for"}
    )
    db.session.commit()
    with owner_connection() as conn, pytest.raises(DatabaseError, match="append-only"):
        conn.execute(
            text("UPDATE member_log SET payload_hash = 'x' WHERE item_id = :i"), {"i": item.id}
        )
    # Someone with the tables' owner's rights (the app itself may not) changes a ballot.
    with owner_connection() as conn:
        conn.execute(
            text("UPDATE member_ballots SET content = :c WHERE item_id = :i"),
            {"c": canonical_json({"choice": "against"}), "i": item.id},
        )
    db.session.expire_all()
    assert box.verify_item_log(db.session, item.id) == ["entry 1 does not match its ballot"]
