"""A declared item's export verifies with python -m votes verify, and names no member."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from app.workflow.errors import WrongPhase
from app.workflow.governance.exports import item_export
from app.workflow.governance.models import ItemKind, ItemState, MeetingItem
from ballots import members as box
from tests.ballots.test_member_box import close, coop  # noqa: F401 (fixture)
from votes.canonical import canonical_json
from votes.members import FORMAT, count_election, decide_motion, decision_document, verify_item_zip

MOTION = {
    "format": FORMAT,
    "version": 1,
    "kind": "motion",
    "title": "Change rule 12",
    "threshold": {"share": "3/4", "more_than": False, "name": "special"},
    "abstentions_count": False,
    "casting_vote": True,
    "quorum": {"members": 2, "share": None, "counts_proxies": True},
}


def opened(db, meeting, manifest, kind=ItemKind.MOTION):
    """An item opened as the workflow opens one: the manifest names the item and its SHA-256
    is the manifest hash the log starts from."""
    item = MeetingItem(
        meeting=meeting,
        position=len(meeting.items) + 1,
        kind=kind,
        title=manifest.get("title", "Election"),
        threshold="special" if kind is ItemKind.MOTION else None,
        rule=None if kind is ItemKind.MOTION else "scottish",
        state=ItemState.OPEN,
        manifest_json="{}",
        manifest_hash="0" * 64,
    )
    db.session.add(item)
    db.session.flush()
    manifest["item"] = item.id
    item.manifest_json = canonical_json(manifest)
    item.manifest_hash = hashlib.sha256(item.manifest_json.encode()).hexdigest()
    box.open_item_log(db.session, item.id, item.manifest_hash)
    db.session.commit()
    return item


def declare(db, item, result):
    item.result_json = canonical_json(result)
    item.state = ItemState.DECLARED
    db.session.commit()


def test_a_declared_motions_export_verifies_and_holds_no_member(db, coop, tmp_path):  # noqa: F811
    meeting, (ann, bob, cat) = coop
    manifest = dict(MOTION)
    item = opened(db, meeting, manifest)
    with pytest.raises(WrongPhase, match="once the item's result has been declared"):
        item_export(db.session, item)
    for member, choice in ((ann, "for"), (bob, "for"), (cat, "against")):
        box.cast(
            db.session,
            item_id=item.id,
            manifest=manifest,
            member_id=member.id,
            ballot={"choice": choice},
        )
    db.session.commit()
    close(db, item)
    counted = [b for _, b in box.counted_ballots(db.session, item.id)]
    decision = decide_motion(manifest, counted, present=3, by_proxy=0, eligible=3)
    declare(
        db,
        item,
        {
            "present": 3,
            "by_proxy": 0,
            "eligible": 3,
            "casting_vote": None,
            "decision": decision_document(decision),
        },
    )
    path = tmp_path / "item.zip"
    path.write_bytes(item_export(db.session, item))
    checked, problems, manifest_hash, head = verify_item_zip(str(path))
    assert problems == []
    assert "the recount reproduces the declared decision" in checked
    assert json.loads(item.result_json)["decision"]["carried"] is False  # 2 of 3 is not 3/4
    # Each file as it is read, not the ZIP's compressed bytes (where two letters can occur
    # by chance).
    with zipfile.ZipFile(path) as archive:
        text = b"\n".join(archive.read(name) for name in archive.namelist())
    for person in (ann, bob, cat):
        assert person.name.encode() not in text and person.member_number.encode() not in text
    assert item_export(db.session, item) == path.read_bytes()  # the same bytes each time


def test_a_declared_elections_export_verifies(db, coop, tmp_path):  # noqa: F811
    meeting, people = coop
    manifest = {
        "format": FORMAT,
        "version": 1,
        "kind": "election",
        "title": "Representative body",
        "rule": "scottish",
        "constituencies": [
            {
                "id": 1,
                "name": "Tenants",
                "seats": 1,
                "candidates": [{"id": "a", "name": "Ann"}, {"id": "b", "name": "Bob"}],
            }
        ],
    }
    item = opened(db, meeting, manifest, ItemKind.ELECTION)
    for member, ranking in zip(people, (["a"], ["b", "a"], ["a", "b"]), strict=True):
        box.cast(
            db.session,
            item_id=item.id,
            manifest=manifest,
            member_id=member.id,
            ballot={"ranking": ranking},
            constituency=1,
        )
    db.session.commit()
    close(db, item)
    declare(db, item, count_election(manifest, box.counted_ballots(db.session, item.id)))
    path = tmp_path / "election.zip"
    path.write_bytes(item_export(db.session, item))
    checked, problems, _, _ = verify_item_zip(str(path))
    assert problems == []
    assert json.loads(item.result_json)["constituencies"][0]["count"]["elected"] == ["Ann"]
