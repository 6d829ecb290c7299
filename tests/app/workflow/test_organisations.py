"""Organisations with members (app.workflow.organisations) on a real session: hosting one,
its rules, its officers, its register (one by one and from a CSV file, whose bad rows are
refused by row and column with nobody added) and who is eligible on a record date."""

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.workflow import organisations as orgs
from app.workflow.accounts import set_network_admin
from app.workflow.errors import DomainError
from app.workflow.models import AuditEvent, Role
from app.workflow.organisations import (
    Member,
    MembersInvalid,
    NotAllowed,
    NotOnRegister,
    Organisation,
    OrganisationKind,
    OrganisationRole,
    Rules,
    Threshold,
)
from ballots.box import violates
from tests.factories import create_council, create_user

TODAY = date(2026, 6, 1)
HEADER = "member_number,name,email,phone,class,joined_on,left_on\n"


@pytest.fixture
def coop(db):
    """Lambeth, its officer (the co-op's secretary once it is created), an officer of
    another council, and a housing co-operative Lambeth hosts."""
    lambeth, other = create_council(slug="lambeth"), create_council(slug="other")
    officer = create_user(email="officer@lambeth.example", roles={lambeth: Role.OFFICER})
    stranger = create_user(email="officer@other.example", roles={other: Role.OFFICER})
    organisation = orgs.create_organisation(
        db.session,
        lambeth,
        actor=officer,
        name="Brixton Housing Co-operative",
        kind=OrganisationKind.HOUSING_COOPERATIVE,
    )
    db.session.commit()
    return organisation, officer, stranger


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def imported(db, organisation, officer, text):
    """``import_members`` as a view calls it: committed, or rolled back when refused."""
    try:
        added = orgs.import_members(db.session, organisation, actor=officer, text=text, today=TODAY)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return added


# --- Hosting --------------------------------------------------------------------------------


def test_a_new_organisation_has_the_model_rules_its_classes_and_its_creator_as_secretary(db, coop):
    organisation, officer, _ = coop
    assert organisation.slug == "brixton-housing-co-operative"
    assert organisation.council.slug == "lambeth"
    assert orgs.rules_of(organisation) == Rules()
    assert orgs.rules_of(organisation).special == Threshold(3, 4, more_than=False)
    assert orgs.rules_of(organisation).ordinary == Threshold(1, 2, more_than=True)
    assert [c.code for c in orgs.classes_of(db.session, organisation)] == ["tenant"]
    assert orgs.office_of(officer, organisation) == OrganisationRole.SECRETARY
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.created"))
    assert event.organisation_id == organisation.id
    assert event.council_id == organisation.council_id
    assert event.after["notice_days"] == 28


def test_the_slug_is_unique_per_host_and_the_network_hosts_its_own(db, coop):
    organisation, officer, _ = coop
    again = orgs.create_organisation(
        db.session, organisation.council, actor=officer, name=organisation.name, kind="other"
    )
    assert again.slug == "brixton-housing-co-operative-2"
    admin = create_user(email="admin@network.example")
    set_network_admin(db.session, admin, admin=True)
    network = orgs.create_organisation(
        db.session, None, actor=admin, name=organisation.name, kind="trust_school"
    )
    assert network.council_id is None
    assert network.slug == "brixton-housing-co-operative"
    assert [c.code for c in orgs.classes_of(db.session, network)] == [
        "community",
        "parent",
        "staff",
    ]
    assert orgs.hosted_by(db.session, None) == [(network, 0)]
    db.session.commit()
    # Two of the network's organisations cannot share a slug: NULL hosts are not distinct here.
    db.session.add(
        Organisation(slug=network.slug, name="Twin", kind=OrganisationKind.OTHER, council_id=None)
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_only_a_councils_officers_and_the_networks_administrators_host_organisations(db, coop):
    organisation, officer, stranger = coop
    resident = create_user(roles={organisation.council: Role.RESIDENT})
    before = count(db, Organisation)
    for actor, council in [
        (stranger, organisation.council),
        (resident, organisation.council),
        (officer, None),
    ]:
        with pytest.raises(NotAllowed) as refused:
            orgs.create_organisation(db.session, council, actor=actor, name="Mine", kind="other")
        assert refused.value.status == 403
    assert count(db, Organisation) == before


@pytest.mark.parametrize(
    ("name", "kind", "field"),
    [("  ", "other", "name"), ("x" * 201, "other", "name"), ("Good", "bank", "kind")],
)
def test_a_bad_name_or_kind_is_refused_beside_its_field(db, coop, name, kind, field):
    organisation, officer, _ = coop
    with pytest.raises(DomainError) as refused:
        orgs.create_organisation(
            db.session, organisation.council, actor=officer, name=name, kind=kind
        )
    assert refused.value.field == field
    assert count(db, Organisation) == 1


# --- Rules ----------------------------------------------------------------------------------


def test_rules_are_set_and_only_the_changes_audited(db, coop):
    organisation, officer, _ = coop
    rules = Rules(
        notice_days=21,
        proxy_cap=2,
        special=Threshold(2, 3, more_than=False),
        quorum_members=5,
        quorum_percent=10,
        abstentions_count=True,
    )
    orgs.set_rules(db.session, organisation, actor=officer, rules=rules)
    assert orgs.rules_of(organisation) == rules
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "organisation.rules_changed")
    )
    assert event.before == {
        "notice_days": 28,
        "proxy_cap": 5,
        "special": {"numerator": 3, "denominator": 4, "more_than": False},
        "quorum_members": 10,
        "quorum_percent": None,
        "abstentions_count": False,
    }
    orgs.set_rules(db.session, organisation, actor=officer, rules=rules)
    assert actions(db).count("organisation.rules_changed") == 1


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (Rules(notice_days=13), "notice_days"),
        (Rules(notice_days=91), "notice_days"),
        (Rules(proxy_cap=-1), "proxy_cap"),
        (Rules(proxy_cap=51), "proxy_cap"),
        (Rules(special=Threshold(2, 5, False)), "special"),
        (Rules(special=Threshold(5, 4, False)), "special"),
        (Rules(special=Threshold(1, 1, True)), "special"),
        (Rules(ordinary=Threshold(1, 3, True)), "ordinary"),
        (Rules(ordinary=Threshold(1, 0, True)), "ordinary"),
        # A special resolution easier to carry than an ordinary one.
        (Rules(special=Threshold(1, 2, False)), "special"),
        (Rules(quorum_members=0), "quorum_members"),
        (Rules(quorum_percent=0), "quorum_percent"),
        (Rules(quorum_percent=101), "quorum_percent"),
    ],
)
def test_rules_out_of_bounds_are_refused_beside_their_field_and_change_nothing(
    db, coop, rules, field
):
    organisation, officer, _ = coop
    with pytest.raises(DomainError) as refused:
        orgs.set_rules(db.session, organisation, actor=officer, rules=rules)
    assert refused.value.field == field
    db.session.rollback()
    assert orgs.rules_of(db.session.get(Organisation, organisation.id)) == Rules()


def test_equal_shares_are_allowed_when_the_special_one_is_no_easier(db, coop):
    organisation, officer, _ = coop
    rules = Rules(special=Threshold(1, 2, True), ordinary=Threshold(1, 2, False))
    orgs.set_rules(db.session, organisation, actor=officer, rules=rules)
    assert orgs.rules_of(organisation).ordinary.carried(5, 10)
    assert not orgs.rules_of(organisation).special.carried(5, 10)
    assert orgs.rules_of(organisation).special.carried(6, 10)


def test_a_hosts_officer_who_is_not_the_organisations_cannot_set_its_rules(db, coop):
    organisation, _, _ = coop
    colleague = create_user(roles={organisation.council: Role.ADMIN})
    with pytest.raises(NotAllowed):
        orgs.set_rules(db.session, organisation, actor=colleague, rules=Rules(notice_days=14))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("3/4", (3, 4)), (" 2 / 3 ", (2, 3)), ("1", (1, 1)), ("1/0", None), ("75%", None)],
)
def test_a_share_is_written_as_a_fraction(text, parsed):
    assert orgs.parse_fraction(text) == parsed


# --- Officers -------------------------------------------------------------------------------


def test_officers_are_appointed_by_email_changed_and_removed(db, coop):
    organisation, officer, _ = coop
    chair = create_user(email="chair@example.org", display_name="Ama")
    assert not chair.is_staff
    orgs.appoint_officer(
        db.session, organisation, actor=officer, email=" Chair@Example.org", role="chair"
    )
    assert orgs.office_of(chair, organisation) == OrganisationRole.CHAIR
    assert chair.is_staff  # they see the register: two factors, as staff
    orgs.appoint_officer(
        db.session, organisation, actor=officer, email="chair@example.org", role="officer"
    )
    assert orgs.office_of(chair, organisation) == OrganisationRole.OFFICER
    with pytest.raises(DomainError) as refused:
        orgs.appoint_officer(
            db.session, organisation, actor=officer, email="chair@example.org", role="officer"
        )
    assert refused.value.field == "email"
    orgs.remove_officer(db.session, organisation, actor=officer, user_id=chair.id)
    assert orgs.office_of(chair, organisation) is None
    with pytest.raises(NotOnRegister):
        orgs.remove_officer(db.session, organisation, actor=officer, user_id=chair.id)
    assert actions(db)[-3:] == [
        "organisation.officer_appointed",
        "organisation.officer_appointed",
        "organisation.officer_removed",
    ]


def test_an_unknown_email_or_role_is_refused_and_strangers_cannot_appoint(db, coop):
    organisation, officer, stranger = coop
    with pytest.raises(DomainError) as refused:
        orgs.appoint_officer(
            db.session, organisation, actor=officer, email="nobody@example.org", role="chair"
        )
    assert refused.value.field == "email"
    with pytest.raises(DomainError) as refused:
        orgs.appoint_officer(
            db.session, organisation, actor=officer, email=stranger.email, role="king"
        )
    assert refused.value.field == "role"
    with pytest.raises(NotAllowed):
        orgs.appoint_officer(
            db.session, organisation, actor=stranger, email=stranger.email, role="chair"
        )
    # The host's staff may appoint (and remove) officers, though they cannot run it.
    admin = create_user(roles={organisation.council: Role.ADMIN})
    orgs.appoint_officer(db.session, organisation, actor=admin, email=admin.email, role="chair")
    assert orgs.may_run(admin, organisation)


# --- Members one by one ---------------------------------------------------------------------


def add(db, organisation, officer, **values):
    fields = {
        "member_number": "1",
        "name": "Ama Owusu",
        "membership_class": "tenant",
        "joined_on": "2020-01-31",
        **values,
    }
    return orgs.add_member(db.session, organisation, actor=officer, today=TODAY, **fields)


def test_a_member_is_added_with_contacts_kept_as_the_roll_keeps_them(db, coop):
    organisation, officer, _ = coop
    member = add(
        db,
        organisation,
        officer,
        email="Ama@Example.ORG",
        phone="07700 900123",
        joined_on="31/01/2020",
        membership_class="Tenant",
    )
    assert (member.email, member.phone) == ("Ama@example.org", "+447700900123")
    assert member.joined_on == date(2020, 1, 31)
    assert member.membership_class.code == "tenant"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "organisation.member_added")
    )
    # The number, class and dates; never the name or contacts.
    assert event.after == {
        "member_number": "1",
        "class": "tenant",
        "joined_on": "2020-01-31",
        "left_on": None,
    }
    assert event.subject_type == "member"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"member_number": ""}, "member_number"),
        ({"member_number": "x" * 33}, "member_number"),
        ({"name": " "}, "name"),
        ({"name": "Ama\x00"}, "name"),
        ({"email": "ama@"}, "email"),
        ({"phone": "020 7946 0000"}, "phone"),
        ({"membership_class": "landlord"}, "membership_class"),
        ({"joined_on": "2020-02-30"}, "joined_on"),
        ({"joined_on": "1 Jan 2020"}, "joined_on"),
        ({"joined_on": "2026-06-02"}, "joined_on"),
        ({"left_on": "2019-12-31"}, "left_on"),
    ],
)
def test_a_bad_member_is_refused_beside_its_field_and_nothing_is_added(db, coop, values, field):
    organisation, officer, _ = coop
    with pytest.raises(DomainError) as refused:
        add(db, organisation, officer, **values)
    assert refused.value.field == field
    db.session.rollback()
    assert count(db, Member) == 0


def test_a_member_number_already_on_the_register_is_refused(db, coop):
    organisation, officer, _ = coop
    add(db, organisation, officer)
    with pytest.raises(DomainError) as refused:
        add(db, organisation, officer, name="Someone Else")
    assert refused.value.field == "member_number"
    assert "already on the register" in refused.value.message


def test_the_database_refuses_a_repeated_member_number_by_its_constraints_name(db, coop):
    """What two requests adding one number at once would meet: the named unique key."""
    organisation, officer, _ = coop
    member = add(db, organisation, officer)
    db.session.commit()
    db.session.add(
        Member(
            organisation_id=organisation.id,
            member_number=member.member_number,
            name="Twin",
            membership_class_id=member.membership_class_id,
            joined_on=TODAY,
        )
    )
    with pytest.raises(IntegrityError) as raised:
        db.session.flush()
    assert violates(raised.value, orgs.ONE_NUMBER)
    assert orgs.ONE_NUMBER == "uq_members_organisation_id_member_number"
    db.session.rollback()
    # Another organisation may use the same number.
    other = orgs.create_organisation(
        db.session, organisation.council, actor=officer, name="Other", kind="other"
    )
    add(db, other, officer, membership_class="member")
    assert count(db, Member) == 2


def test_a_member_of_another_organisations_class_is_refused_by_the_database(db, coop):
    organisation, officer, _ = coop
    other = orgs.create_organisation(
        db.session, organisation.council, actor=officer, name="Other", kind="other"
    )
    db.session.add(
        Member(
            organisation_id=organisation.id,
            member_number="9",
            name="Crossed",
            membership_class_id=other.classes[0].id,
            joined_on=TODAY,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_classes_are_added_by_code_and_refused_when_repeated_or_malformed(db, coop):
    organisation, officer, stranger = coop
    orgs.add_class(db.session, organisation, actor=officer, code=" Employee ", name="Employee")
    assert [c.code for c in orgs.classes_of(db.session, organisation)] == ["employee", "tenant"]
    for code, name, field in [
        ("employee", "Again", "code"),
        ("has space", "X", "code"),
        ("", "X", "code"),
        ("ok", "", "name"),
    ]:
        with pytest.raises(DomainError) as refused:
            orgs.add_class(db.session, organisation, actor=officer, code=code, name=name)
        assert refused.value.field == field
    with pytest.raises(NotAllowed):
        orgs.add_class(db.session, organisation, actor=stranger, code="x", name="X")
    assert "organisation.class_added" in actions(db)


# --- Members from a file --------------------------------------------------------------------


def test_a_good_file_adds_everyone_and_audits_how_many(db, coop):
    organisation, officer, _ = coop
    text = (
        "\ufeff" + HEADER + "1,Ama Owusu,ama@example.org,07700 900123,tenant,2020-01-31,\n"
        "2,Ben Lee,,,Tenant,31/01/2021,\n"
        "\n"
        "3,Cai Jones,,,tenant,2019-05-01,2024-12-31\n"
    )
    assert imported(db, organisation, officer, text) == 3
    members = orgs.eligible_members(db.session, organisation, date(2025, 1, 1))
    assert [m.member_number for m in members] == ["1", "2"]
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "organisation.members_imported")
    )
    assert event.after == {"added": 3}
    assert event.organisation_id == organisation.id


def test_columns_may_come_in_any_order_and_the_optional_ones_be_left_out(db, coop):
    organisation, officer, _ = coop
    text = "joined_on,Membership_Class,Name,Member_Number\n2020-01-01,tenant,Ama,A1\n"
    assert imported(db, organisation, officer, text) == 1


def test_bad_rows_are_refused_naming_row_and_column_and_nobody_is_added(db, coop):
    organisation, officer, _ = coop
    add(db, organisation, officer, member_number="7")
    db.session.commit()
    text = HEADER + (
        "1,Good Person,,,tenant,2020-01-01,\n"  # row 2: fine
        "2,Bad Email,not-an-email,,tenant,2020-01-01,\n"  # row 3
        "3,Bad Phone,,12345,tenant,2020-01-01,\n"  # row 4
        "4,Bad Class,,,landlord,2020-01-01,\n"  # row 5
        "5,Bad Date,,,tenant,2020-13-01,\n"  # row 6
        "1,Repeat In File,,,tenant,2020-01-01,\n"  # row 7
        "7,On Register,,,tenant,2020-01-01,\n"  # row 8
        ",No Number,,,tenant,2020-01-01,\n"  # row 9
        "8,Left Early,,,tenant,2020-01-01,2019-01-01\n"  # row 10
        "9,Too,,,tenant,2020-01-01,,extra\n"  # row 11
        "10,Future,,,tenant,2027-01-01,\n"  # row 12
    )
    with pytest.raises(MembersInvalid) as refused:
        imported(db, organisation, officer, text)
    found = {(p.row, p.column) for p in refused.value.problems}
    assert found == {
        (3, "email"),
        (4, "phone"),
        (5, "class"),
        (6, "joined_on"),
        (7, "member_number"),
        (8, "member_number"),
        (9, "member_number"),
        (10, "left_on"),
        (11, None),
        (12, "joined_on"),
    }
    messages = {(p.row, p.column): p.message for p in refused.value.problems}
    assert messages[(7, "member_number")] == "Member number '1' is also on row 2"
    assert messages[(8, "member_number")] == "Member number '7' is already on the register"
    assert messages[(5, "class")] == "'landlord' is not one of the organisation's classes: tenant"
    assert refused.value.status == 422
    assert count(db, Member) == 1  # only the one added before
    assert "organisation.members_imported" not in actions(db)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "must name the columns member_number, name, class and joined_on"),
        ("member_number,name,class\n1,A,tenant\n", "must name the columns joined_on"),
        ("member_number,name,class,joined_on,notes\n", "cannot have: 'notes'"),
        (HEADER, "has no members in it"),
    ],
)
def test_a_file_without_the_right_header_or_any_member_is_refused(db, coop, text, problem):
    organisation, officer, _ = coop
    with pytest.raises(MembersInvalid) as refused:
        imported(db, organisation, officer, text)
    assert problem in refused.value.problems[0].message
    assert count(db, Member) == 0


def test_a_column_named_twice_is_refused_by_its_name(db, coop):
    organisation, officer, _ = coop
    with pytest.raises(MembersInvalid) as refused:
        imported(db, organisation, officer, "member_number,name,class,joined_on,name\n")
    assert [(p.row, p.column) for p in refused.value.problems] == [(1, "name")]


def test_a_control_character_in_a_cell_is_refused_not_stored(db, coop):
    organisation, officer, _ = coop
    text = "member_number,name,class,joined_on\n1,Ama\x00Owusu,tenant,2020-01-01\n"
    with pytest.raises(MembersInvalid) as refused:
        imported(db, organisation, officer, text)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "name")]


def test_only_the_organisations_officers_import(db, coop):
    organisation, _, stranger = coop
    with pytest.raises(NotAllowed):
        imported(db, organisation, stranger, HEADER + "1,A,,,tenant,2020-01-01,\n")
    assert count(db, Member) == 0


# --- Leaving and eligibility ----------------------------------------------------------------


def test_eligibility_at_a_record_date(db, coop):
    organisation, officer, _ = coop
    orgs.add_class(db.session, organisation, actor=officer, code="staff", name="Staff")
    text = HEADER + (
        "1,Long Standing,,,tenant,2010-01-01,\n"
        "2,Joined On The Day,,,tenant,2025-03-01,\n"
        "3,Joined After,,,tenant,2025-03-02,\n"
        "4,Left Before,,,tenant,2010-01-01,2025-02-28\n"
        "5,Left On The Day,,,tenant,2010-01-01,2025-03-01\n"
        "6,Left After,,,tenant,2010-01-01,2025-03-02\n"
        "7,Staff Member,,,staff,2010-01-01,\n"
    )
    imported(db, organisation, officer, text)
    record = date(2025, 3, 1)
    eligible = orgs.eligible_members(db.session, organisation, record)
    assert [m.member_number for m in eligible] == ["1", "2", "6", "7"]
    assert all(m.is_member_on(record) for m in eligible)
    tenants = orgs.eligible_members(db.session, organisation, record, classes=["Tenant"])
    assert [m.member_number for m in tenants] == ["1", "2", "6"]
    with pytest.raises(DomainError):
        orgs.eligible_members(db.session, organisation, record, classes=["parent"])


def test_a_member_leaving_is_recorded_once_and_ends_their_eligibility(db, coop):
    organisation, officer, _ = coop
    member = add(db, organisation, officer, joined_on="2020-01-01")
    with pytest.raises(DomainError) as refused:
        orgs.record_leaving(
            db.session,
            organisation,
            member.id,
            actor=officer,
            left_on=date(2019, 1, 1),
            today=TODAY,
        )
    assert refused.value.field == "left_on"
    with pytest.raises(DomainError):
        orgs.record_leaving(
            db.session,
            organisation,
            member.id,
            actor=officer,
            left_on=date(2026, 6, 2),
            today=TODAY,
        )
    orgs.record_leaving(
        db.session, organisation, member.id, actor=officer, left_on=date(2026, 5, 1), today=TODAY
    )
    assert orgs.eligible_members(db.session, organisation, date(2026, 4, 30)) == [member]
    assert orgs.eligible_members(db.session, organisation, date(2026, 5, 1)) == []
    with pytest.raises(DomainError) as refused:
        orgs.record_leaving(
            db.session, organisation, member.id, actor=officer, left_on=TODAY, today=TODAY
        )
    assert "already recorded" in refused.value.message
    assert actions(db).count("organisation.member_left") == 1


def test_a_member_of_another_organisation_is_not_on_this_register(db, coop):
    organisation, officer, _ = coop
    other = orgs.create_organisation(
        db.session, organisation.council, actor=officer, name="Other", kind="other"
    )
    member = add(db, other, officer, membership_class="member")
    assert orgs.member_of(db.session, organisation, member.id) is None
    with pytest.raises(NotOnRegister):
        orgs.record_leaving(
            db.session, organisation, member.id, actor=officer, left_on=TODAY, today=TODAY
        )


def test_the_register_is_paged_and_searched_by_name_or_number(db, coop):
    organisation, officer, _ = coop
    rows = "".join(f"{n},Person {n},,,tenant,2020-01-01,\n" for n in range(1, 121))
    imported(db, organisation, officer, HEADER + rows + "T-9,Zoë 100% Smith,,,tenant,2020-01-01,\n")
    first = orgs.members_page(db.session, organisation)
    assert (first.total, first.pages, len(first.members)) == (121, 3, 50)
    assert [m.member_number for m in first.members[:3]] == ["1", "2", "3"]
    last = orgs.members_page(db.session, organisation, page=3)
    assert len(last.members) == 21
    assert orgs.members_page(db.session, organisation, page=4) is None
    assert orgs.members_page(db.session, organisation, page=0) is None
    by_name = orgs.members_page(db.session, organisation, query="zoË")
    assert [m.member_number for m in by_name.members] == ["T-9"]
    assert orgs.members_page(db.session, organisation, query="100%").total == 1
    assert orgs.members_page(db.session, organisation, query="0%").total == 1
    by_number = orgs.members_page(db.session, organisation, query="11")
    assert [m.member_number for m in by_number.members] == ["11", *map(str, range(110, 120))]


def test_a_number_another_request_added_first_is_refused_as_a_conflict(db, coop, monkeypatch):
    """Two requests adding one number at once both pass the check; the constraint stops the
    second, which is refused (409) beside the number, with nothing added."""
    from app.workflow.errors import Conflict
    from app.workflow.organisations import register

    organisation, officer, _ = coop
    add(db, organisation, officer)
    db.session.commit()
    monkeypatch.setattr(register, "_numbers_taken", lambda session, organisation: set())
    with pytest.raises(Conflict) as refused:
        add(db, organisation, officer, name="At The Same Time")
    assert (refused.value.field, refused.value.status) == ("member_number", 409)
    with pytest.raises(Conflict):
        imported(db, organisation, officer, HEADER + "1,Again,,,tenant,2020-01-01,\n")
    db.session.rollback()
    assert count(db, Member) == 1
