"""Elections at general meetings (app.workflow.governance.elections) on a real session:
adding one with its constituencies, nominations and withdrawals refused with reasons and
nothing changed, the ballot order redrawn from the seed, voting by members, and the count
matching votes.stv on the same ballots."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.workflow.errors import DomainError
from app.workflow.governance import elections
from app.workflow.governance.models import (
    Constituency,
    ConstituencyClass,
    ItemState,
    MeetingItem,
    Nomination,
)
from app.workflow.models import AuditEvent, Role
from app.workflow.organisations import NotAllowed
from ballots import members as box
from ballots.errors import AlreadyVoted
from tests.app.election_world import (
    BEFORE,
    NOMINATIONS_CLOSE,
    WITHDRAWALS_CLOSE,
    add_election,
    coop,
    give_notice,
    nominate,
    nominated_election,
)
from tests.factories import create_council, create_user
from votes import stv
from votes.blt import read_blt

AFTER = WITHDRAWALS_CLOSE + timedelta(days=1)


@pytest.fixture
def c(db):
    return coop()


def counts(db) -> dict:
    db.session.rollback()
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (MeetingItem, Constituency, ConstituencyClass, Nomination, AuditEvent)
    } | {"withdrawn": db.session.scalar(select(func.count(Nomination.withdrawn_at)))}


def test_an_officer_adds_an_election_with_two_constituencies(db, c):
    item = add_election(c, rule="meek")
    assert item.rule == "meek" and item.state is ItemState.DRAFT
    assert [(k.name, k.seats) for k in item.constituencies] == [
        ("Tenant board members", 2),
        ("Employee board member", 1),
    ]
    assert [[cc.membership_class.code for cc in k.classes] for k in item.constituencies] == [
        ["tenant"],
        ["employee"],
    ]


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"title": " "}, "title", "Enter the election's title"),
        ({"rule": "borda"}, "rule", "Scottish STV or Meek"),
        ({"constituencies": []}, "name", "at least one constituency"),
        (
            {"constituencies": [elections.ConstituencySpec("T", 0, ["tenant"])]},
            "seats",
            "from 1 to 100",
        ),
        (
            {"constituencies": [elections.ConstituencySpec("T", 1, ["owner"])]},
            "classes",
            "no class owner",
        ),
        (
            {
                "constituencies": [
                    elections.ConstituencySpec("A", 1, ["tenant"]),
                    elections.ConstituencySpec("B", 1, ["tenant", "employee"]),
                ]
            },
            "classes",
            "Tenant is in two",
        ),
        ({"nominations_close_at": BEFORE - timedelta(hours=1)}, "nominations_day", "future"),
        (
            {"nominations_close_at": NOMINATIONS_CLOSE + timedelta(days=60)},
            "nominations_day",
            "before the meeting",
        ),
        (
            {"withdrawals_close_at": NOMINATIONS_CLOSE - timedelta(hours=1)},
            "withdrawals_day",
            "when nominations close or after",
        ),
    ],
)
def test_a_bad_election_is_refused_beside_its_field_and_nothing_is_added(
    db, c, change, field, message
):
    before = counts(db)
    with pytest.raises(DomainError, match=message) as refused:
        add_election(c, **change)
    assert refused.value.field == field
    assert counts(db) == before


def test_a_class_already_voting_in_another_constituency_is_refused(db, c):
    item = add_election(c)
    before = counts(db)
    with pytest.raises(DomainError, match="Employee is in two"):
        elections.add_constituency(
            db.session,
            item,
            actor=c.officer,
            spec=elections.ConstituencySpec("Staff", 1, ["employee"]),
            now=BEFORE,
        )
    assert counts(db) == before


def test_the_database_refuses_a_class_in_two_constituencies_by_its_constraint(db, c):
    from sqlalchemy.exc import IntegrityError

    from ballots.box import violates

    item = add_election(c)
    tenants, employees = item.constituencies
    db.session.add(
        ConstituencyClass(
            constituency_id=employees.id,
            item_id=item.id,
            membership_class_id=tenants.classes[0].membership_class_id,
        )
    )
    with pytest.raises(IntegrityError) as error:
        db.session.flush()
    assert violates(error.value, "uq_constituency_classes_item_id_class_id")


def test_another_organisations_officer_cannot_add_or_open_an_election(db, c):
    item = nominated_election(c)
    give_notice(c)
    stranger = create_user(roles={create_council(): Role.OFFICER})
    before = counts(db)
    with pytest.raises(NotAllowed):
        elections.add_election(
            db.session,
            c.meeting,
            actor=stranger,
            title="Takeover",
            constituencies=[elections.ConstituencySpec("T", 1, ["tenant"])],
            nominations_close_at=NOMINATIONS_CLOSE,
            withdrawals_close_at=WITHDRAWALS_CLOSE,
            now=BEFORE,
        )
    with pytest.raises(NotAllowed):
        elections.open_election(db.session, item, actor=stranger, now=AFTER)
    assert counts(db) == before
    assert item.state is ItemState.DRAFT


def _nominate(db, c, constituency, candidate, proposer, seconder, **kwargs):
    values = {
        "actor": c.officer,
        "member_id": candidate.id if candidate else None,
        "statement": "I will serve.",
        "proposer_id": proposer.id if proposer else None,
        "seconder_id": seconder.id if seconder else None,
        "now": BEFORE,
    }
    return elections.nominate(db.session, constituency, **{**values, **kwargs})


@pytest.mark.parametrize(
    "who, kwargs, field, message",
    [
        ("employee", {}, "member", "must be a member who votes in Tenant board members"),
        ("self", {}, "proposer", "cannot propose or second themselves"),
        ("same", {}, "seconder", "other than the proposer"),
        ("outsider", {}, "proposer", "proposer must be a member who votes"),
        ("tenant", {"statement": "  "}, "statement", "Enter the candidate's statement"),
        ("tenant", {"statement": "x" * 5001}, "statement", "5000 characters or fewer"),
        ("tenant", {"now": NOMINATIONS_CLOSE}, None, "Nominations for this election have closed"),
    ],
)
def test_a_nomination_is_refused_with_its_reason_and_nothing_changes(
    db, c, who, kwargs, field, message
):
    item = add_election(c)
    tenants = item.constituencies[0]
    t, e = c.tenants, c.employees
    people = {
        "employee": (e[0], t[1], t[2]),
        "self": (t[0], t[0], t[2]),
        "same": (t[0], t[1], t[1]),
        "outsider": (t[0], e[1], t[2]),
        "tenant": (t[0], t[1], t[2]),
    }[who]
    before = counts(db)
    with pytest.raises(DomainError, match=message) as refused:
        _nominate(db, c, tenants, *people, **kwargs)
    assert refused.value.field == field
    assert counts(db) == before


def test_a_member_is_nominated_once_and_a_member_who_left_cannot_stand(db, c):
    item = add_election(c)
    tenants = item.constituencies[0]
    t = c.tenants
    nominate(c, tenants, t[0], t[1], t[2])
    before = counts(db)
    with pytest.raises(DomainError, match="already nominated"):
        _nominate(db, c, tenants, t[0], t[3], t[4])
    t[5].left_on = t[5].joined_on + timedelta(days=30)
    db.session.commit()
    with pytest.raises(DomainError, match="must be a member who votes"):
        _nominate(db, c, tenants, t[5], t[3], t[4])
    assert counts(db) == before


def test_once_notice_is_given_only_members_on_the_meetings_list_can_stand(db, c):
    item = add_election(c)
    give_notice(c, open_meeting=False)
    from app.workflow import organisations

    late = organisations.add_member(
        db.session,
        c.organisation,
        actor=c.officer,
        member_number="T99",
        name="Late Joiner",
        membership_class="tenant",
        joined_on=BEFORE.date(),
        today=BEFORE.date(),
    )
    db.session.commit()
    with pytest.raises(DomainError, match="must be a member who votes"):
        _nominate(db, c, item.constituencies[0], late, c.tenants[1], c.tenants[2])


def test_a_candidate_withdraws_before_the_deadline_and_not_after(db, c):
    item = nominated_election(c)
    first, second = item.constituencies[0].nominations[:2]
    elections.withdraw(db.session, first, actor=c.officer, now=WITHDRAWALS_CLOSE - timedelta(1))
    db.session.commit()
    assert [n.member.name for n in elections.standing(item.constituencies[0])] == [
        "Tenant 2",
        "Tenant 3",
    ]
    before = counts(db)
    with pytest.raises(DomainError, match="already withdrawn"):
        elections.withdraw(db.session, first, actor=c.officer, now=BEFORE)
    with pytest.raises(DomainError, match="Withdrawals from this election have closed"):
        elections.withdraw(db.session, second, actor=c.officer, now=WITHDRAWALS_CLOSE)
    assert counts(db) == before


def open_it(db, c, item, seed=None):
    elections.open_election(db.session, item, actor=c.officer, now=AFTER, seed=seed)
    db.session.commit()
    return elections.manifest_of(item)


def test_opening_draws_a_seed_and_the_ballot_order_is_redrawn_from_it(db, c):
    item = nominated_election(c)
    give_notice(c)
    manifest = open_it(db, c, item)
    assert item.state is ItemState.OPEN
    assert len(item.ballot_seed) == 64 and manifest["seed"] == item.ballot_seed
    assert item.manifest_hash == hashlib.sha256(item.manifest_json.encode()).hexdigest()
    for place in manifest["constituencies"]:
        ids = [str(n.id) for n in db.session.get(Constituency, place["id"]).nominations]
        # Anyone can redraw it: sort the candidate ids by sha256(seed|constituency|id).
        redrawn = sorted(
            ids,
            key=lambda i: hashlib.sha256(
                f"{manifest['seed']}|{place['id']}|{i}".encode()
            ).hexdigest(),
        )
        assert [x["id"] for x in place["candidates"]] == redrawn
    assert [p["voters"] for p in manifest["constituencies"]] == [6, 5]
    assert box.verify_item_log(db.session, item.id) == []


def test_the_same_seed_gives_the_same_order_and_another_seed_may_not():
    ids = [str(i) for i in range(1, 9)]
    assert elections.ballot_order("a" * 64, 3, ids) == elections.ballot_order("a" * 64, 3, ids)
    orders = {tuple(elections.ballot_order(s * 64, 3, ids)) for s in "abcdef"}
    assert len(orders) > 1


def test_voting_cannot_open_before_withdrawals_close_or_before_notice(db, c):
    item = nominated_election(c)
    with pytest.raises(DomainError, match="once notice of the meeting"):
        elections.open_election(db.session, item, actor=c.officer, now=AFTER)
    db.session.rollback()
    give_notice(c)
    with pytest.raises(DomainError, match="once withdrawals have closed"):
        elections.open_election(db.session, item, actor=c.officer, now=BEFORE)
    db.session.rollback()
    assert item.state is ItemState.DRAFT and item.manifest_json is None


def link(db, member):
    account = create_user()
    member.account_id = account.id
    db.session.commit()
    return account


def ranking_ids(manifest, constituency, order):
    """Candidate ids of the constituency in ballot-order positions ``order`` (0-based)."""
    candidates = manifest["constituencies"][constituency]["candidates"]
    return [candidates[i]["id"] for i in order]


@pytest.mark.parametrize("rule", ["scottish", "meek"])
def test_members_vote_the_chair_closes_and_the_count_matches_votes_stv(db, c, rule):
    item = nominated_election(c, rule)
    give_notice(c)
    manifest = open_it(db, c, item, seed="5eed" * 16)
    tenant_orders = [(0, 1), (0, 2), (1,), (2, 0, 1), (0,), (1, 2)]
    for member, order in zip(c.tenants, tenant_orders, strict=True):
        ids = ranking_ids(manifest, 0, order)
        numbers = {cid: str(10 * (i + 1)) for i, cid in enumerate(ids)}  # gaps allowed
        cast = elections.cast_online(
            db.session, item, actor=link(db, member), numbers=numbers, now=AFTER
        )
        db.session.commit()
        assert cast.receipt
    for member, order in zip(c.employees, [(0,), (1, 0), (0, 1), (1,), (0,)], strict=True):
        ids = ranking_ids(manifest, 1, order)
        elections.record_paper(
            db.session,
            item,
            actor=c.officer,
            member_number=member.member_number,
            numbers={cid: str(i + 1) for i, cid in enumerate(ids)},
            now=AFTER,
        )
        db.session.commit()
    with pytest.raises(AlreadyVoted):
        elections.cast_online(
            db.session,
            item,
            actor=db.session.get(type(c.officer), c.tenants[0].account_id),
            numbers={ranking_ids(manifest, 0, [0])[0]: "1"},
            now=AFTER,
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="once voting has closed"):
        elections.declare_election(db.session, item, actor=c.officer, now=AFTER)
    db.session.rollback()
    elections.close_election(db.session, item, actor=c.officer, now=AFTER)
    elections.declare_election(db.session, item, actor=c.officer, now=AFTER)
    db.session.commit()
    result = elections.result_of(item)
    assert item.state is ItemState.DECLARED and item.declared_at is not None
    # The same ballots counted by votes.stv directly, with the ballot order as the lot.
    for place, (_, election) in zip(
        result["constituencies"],
        elections.blt_elections(manifest, box.counted_ballots(db.session, item.id)),
        strict=True,
    ):
        lot = range(len(election.candidates))
        expected = stv.result_to_json(stv.count(election, rule, lot=lot))
        assert place["count"] == expected
    tenants, employees = result["constituencies"]
    assert tenants["ballots"] == 6 and employees["ballots"] == 5
    assert len(tenants["count"]["elected"]) == 2 and len(employees["count"]["elected"]) == 1


def test_the_export_is_recounted_to_the_declared_result(db, c, tmp_path):
    item = nominated_election(c)
    give_notice(c)
    manifest = open_it(db, c, item)
    for member, order in zip(c.tenants, [(0, 1), (2,), (1, 0), (2, 1), (0,), (1,)], strict=True):
        ids = ranking_ids(manifest, 0, order)
        elections.cast_online(
            db.session,
            item,
            actor=link(db, member),
            numbers={cid: str(i + 1) for i, cid in enumerate(ids)},
            now=AFTER,
        )
        db.session.commit()
    elections.close_election(db.session, item, actor=c.officer, now=AFTER)
    elections.declare_election(db.session, item, actor=c.officer, now=AFTER)
    db.session.commit()
    data = elections.export_zip(db.session, item, actor=c.officer)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    assert {"manifest.json", "log.csv", "log.json", "result.json", "README.txt"} <= names
    exported = json.loads(archive.read("manifest.json"))
    assert exported == manifest
    result = json.loads(archive.read("result.json"))
    for place in result["constituencies"]:
        election = read_blt(archive.read(f"constituency-{place['id']}.blt").decode())
        recount = stv.count(election, exported["rule"])  # the file's order is the lot
        assert stv.result_to_json(recount) == place["count"]
        # And as the export's README says, with the command line.
        blt = tmp_path / f"constituency-{place['id']}.blt"
        blt.write_bytes(archive.read(blt.name))
        printed = subprocess.run(
            [sys.executable, "-m", "votes", "stv", str(blt), "--rule", exported["rule"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert json.loads(printed) == place["count"]
    log = json.loads(archive.read("log.json"))
    assert [e["kind"] for e in log] == ["genesis"] + ["ballot"] * 6 + ["close"]
    assert log[-1]["entry_hash"] == item.log_head_hash
    # python -m votes verify re-checks the whole export: sums, chain, ballots and the recount.
    whole = tmp_path / "election.zip"
    whole.write_bytes(data)
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "votes",
            "verify",
            str(whole),
            "--manifest-hash",
            item.manifest_hash,
            "--log-head",
            item.log_head_hash,
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
    assert "reproduces the declared result" in checked.stdout
    assert "verified: the declared result is reproduced" in checked.stdout


def test_a_ranking_must_give_an_order():
    ids = ["4", "7", "9"]
    assert elections.ranking_from_numbers(ids, {"4": "2", "7": "", "9": "1"}) == ["9", "4"]
    assert elections.ranking_from_numbers(ids, {"4": "3", "7": "9", "9": "1"}) == ["9", "4", "7"]
    for numbers, message in [
        ({}, "Number at least one candidate"),
        ({"4": "1", "7": "1"}, "1 is used more than once"),
        ({"4": "one"}, "whole numbers only"),
        ({"4": "0"}, "whole numbers only"),
        ({"4": "-1"}, "whole numbers only"),
        ({"4": "1.5"}, "whole numbers only"),
    ]:
        with pytest.raises(DomainError, match=message):
            elections.ranking_from_numbers(ids, numbers)


def test_a_member_without_a_vote_is_refused(db, c):
    item = nominated_election(c)
    give_notice(c)
    manifest = open_it(db, c, item)
    stranger = create_user()
    numbers = {manifest["constituencies"][0]["candidates"][0]["id"]: "1"}
    with pytest.raises(DomainError, match="not linked to a member"):
        elections.cast_online(db.session, item, actor=stranger, numbers=numbers, now=AFTER)
    # An employee numbering a tenant candidate: not on their ballot.
    with pytest.raises(DomainError, match="Number at least one candidate"):
        elections.cast_online(
            db.session, item, actor=link(db, c.employees[0]), numbers=numbers, now=AFTER
        )
    assert box.turnout(db.session, item.id).voted == 0


def test_the_declarations_pdf_prints_welsh():
    from app import create_app
    from app.web.presenters.declaration_pdf import election_declaration_pdf
    from app.web.presenters.elections import Declared
    from tests.conftest import make_config

    with create_app(make_config("sqlite://")).test_request_context():
        data = election_declaration_pdf(
            organisation="Tai Cydweithredol Ŵyl",
            meeting="Cyfarfod cyffredinol blynyddol",
            title="Etholiad y bwrdd",
            declared_at="3 Rhagfyr 2026",
            rule="Scottish STV",
            parts=[
                Declared("Tenantiaid", 1, 1, 1, 0, "1.00000", ["Siŵan Prŷs"], [], [], [], [], [])
            ],
        )
    assert data.startswith(b"%PDF") and b"NotoSans" in data
