"""The pages of organisations with members, through the test client: a council's officer
creates one, imports its register from a CSV file (a bad file's problems shown by row and
column, nobody added) and sees the members; an officer of another council is refused with
nothing changed; a malformed form gets its message beside its field."""

import io

import pytest
from sqlalchemy import func, select

from app.workflow import organisations as orgs
from app.workflow.accounts import set_network_admin
from app.workflow.models import AuditEvent, Role
from app.workflow.organisations import Member, Organisation, OrganisationOfficer
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.factories import PASSWORD, create_council, create_user

GOOD = (
    "member_number,name,email,phone,class,joined_on\n"
    "1,Ama Owusu,ama@example.org,07700 900123,tenant,2020-01-31\n"
    "2,Ben Lee,,,tenant,31/01/2021\n"
)
BAD = (
    "member_number,name,email,phone,class,joined_on\n"
    "1,Ama Owusu,ama@example.org,,tenant,2020-01-31\n"
    "2,Ben Lee,not-an-email,,tenant,2020-01-31\n"
    "3,Cai Jones,,,landlord,2020-01-31\n"
    "1,Ama Again,,,tenant,2020-13-01\n"
)


@pytest.fixture
def world(db):
    lambeth, other = create_council(slug="lambeth"), create_council(slug="other")
    create_user(email="officer@lambeth.example", roles={lambeth: Role.OFFICER})
    create_user(email="officer@other.example", roles={other: Role.OFFICER})
    create_user(email="resident@lambeth.example", roles={lambeth: Role.RESIDENT})
    db.session.commit()
    return lambeth


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def create(client, name="Brixton Housing Co-operative", kind="housing_cooperative"):
    return submit(client, "/officers/lambeth/organisations/new", {"name": name, "kind": kind})


def upload(client, organisation_id: int, text: str):
    url = f"/organisations/{organisation_id}/members/import"
    token = get_page(client, url).select_one("main form input[name=csrf_token]")["value"]
    return client.post(
        url,
        data={"csrf_token": token, "members": (io.BytesIO(text.encode()), "members.csv")},
        content_type="multipart/form-data",
    )


def test_an_officer_creates_an_organisation_imports_its_register_and_sees_its_members(
    client, db, world
):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, "/officers/lambeth")
    assert page.select_one("#organisations-link a")["href"] == "/officers/lambeth/organisations"
    assert get_page(client, "/officers/lambeth/organisations").select_one("#no-organisations")

    response = create(client)
    assert response.status_code == 302
    organisation = db.session.scalar(select(Organisation))
    assert response.headers["Location"] == f"/organisations/{organisation.id}"
    home = get_page(client, f"/organisations/{organisation.id}")
    assert home.h1.get_text(strip=True) == "Brixton Housing Co-operative"
    rules = home.select_one("#rules").get_text(" ", strip=True)
    assert "28 days" in rules
    assert "at least three quarters of the votes cast" in rules
    assert "more than one half of the votes cast" in rules

    response = upload(client, organisation.id, GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organisations/{organisation.id}/members"
    page = get_page(client, f"/organisations/{organisation.id}/members")
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in page.select("#members tbody tr")
    ]
    assert [r[:3] for r in rows] == [["1", "Ama Owusu", "Tenant"], ["2", "Ben Lee", "Tenant"]]
    assert "+447700900123" in rows[0][3]
    assert "2 members added to the register" in page.get_text(" ", strip=True)
    listing = get_page(client, "/officers/lambeth/organisations")
    assert listing.select_one("#organisations tbody td:last-child").get_text(strip=True) == "2"
    found = get_page(client, f"/organisations/{organisation.id}/members?q=ben")
    assert [td.get_text(strip=True) for td in found.select("#members tbody td:first-child")] == [
        "2"
    ]
    get_page(client, f"/organisations/{organisation.id}/members?page=2", status=404)


def test_a_bad_file_shows_each_problem_by_row_and_column_and_adds_nobody(client, db, world):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    create(client)
    organisation = db.session.scalar(select(Organisation))
    response = upload(client, organisation.id, BAD)
    assert response.status_code == 200
    page = soup(response)
    problems = [
        tuple(td.get_text(" ", strip=True) for td in tr.select("td"))
        for tr in page.select("#problems tbody tr")
    ]
    assert [p[:2] for p in problems] == [
        ("3", "email"),
        ("4", "class"),
        ("5", "joined_on"),
        ("5", "member_number"),
    ]
    assert problems[3][2] == "Member number '1' is also on row 2"
    assert "nobody was added" in error_messages(page)["members"]
    assert count(db, Member) == 0


def test_a_file_that_is_not_text_or_not_there_is_refused_beside_the_field(client, db, world):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    create(client)
    organisation = db.session.scalar(select(Organisation))
    url = f"/organisations/{organisation.id}/members/import"
    response = submit(client, url, {})
    assert error_messages(soup(response))["members"] == "Select a CSV file of members"
    token = get_page(client, url).select_one("main form input[name=csrf_token]")["value"]
    response = client.post(
        url,
        data={"csrf_token": token, "members": (io.BytesIO(b"\xff\xfe\x00"), "m.csv")},
        content_type="multipart/form-data",
    )
    assert "UTF-8" in error_messages(soup(response))["members"]
    assert count(db, Member) == 0


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("", {"name": "", "kind": "other"}, "name", "Enter the organisation's name"),
        ("", {"name": "X", "kind": "bank"}, "kind", "from the list"),
    ],
)
def test_a_malformed_new_organisation_gets_a_message(client, db, world, path, data, field, message):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    response = submit(client, "/officers/lambeth/organisations/new" + path, data)
    assert response.status_code == 200
    assert message in error_messages(soup(response))[field]
    assert soup(response).title.get_text().startswith("Error:")
    assert count(db, Organisation) == 0


def test_malformed_members_and_rules_get_a_message_beside_their_field(client, db, world):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    create(client)
    organisation = db.session.scalar(select(Organisation))
    base = f"/organisations/{organisation.id}"
    member = {
        "member_number": "1",
        "name": "Ama",
        "membership_class": "tenant",
        "joined_on": ["31", "2", "2020"],
    }
    errors = error_messages(soup(submit(client, base + "/members/add", member)))
    assert errors["joined_on"] == "Date joined must be a real date"
    member["joined_on"] = ["1", "2", "2020"]
    member["phone"] = "020 7946 0000"
    errors = error_messages(soup(submit(client, base + "/members/add", member)))
    assert "is not a UK mobile number" in errors["phone"]
    assert count(db, Member) == 0
    member["phone"] = ""
    assert submit(client, base + "/members/add", member).status_code == 302
    errors = error_messages(soup(submit(client, base + "/members/add", member)))
    assert errors["member_number"] == "Member number 1 is already on the register."

    rules = {
        "notice_days": "5",
        "proxy_cap": "5",
        "special": "3/4",
        "special_more_than": "at_least",
        "ordinary": "1/2",
        "ordinary_more_than": "more_than",
        "quorum_members": "10",
    }
    errors = error_messages(soup(submit(client, base + "/rules", rules)))
    assert errors["notice_days"] == "Notice of a general meeting must be between 14 and 90 days."
    errors = error_messages(soup(submit(client, base + "/rules", {**rules, "special": "x"})))
    assert errors["special"] == "Write the share as a fraction, like 3/4"
    db.session.expire_all()
    assert orgs.rules_of(db.session.get(Organisation, organisation.id)) == orgs.Rules()
    saved = {**rules, "notice_days": "21", "switches": ["chair_casting_vote"]}
    assert submit(client, base + "/rules", saved).status_code == 302
    db.session.expire_all()
    kept = orgs.rules_of(db.session.get(Organisation, organisation.id))
    assert (kept.notice_days, kept.quorum_counts_proxies, kept.chair_casting_vote) == (
        21,
        False,
        True,
    )


def test_a_member_leaving_classes_and_officers_through_their_pages(client, db, world):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    create(client)
    organisation = db.session.scalar(select(Organisation))
    base = f"/organisations/{organisation.id}"
    upload(client, organisation.id, GOOD)
    member = db.session.scalar(select(Member).where(Member.member_number == "1"))
    leaving = f"{base}/members/{member.id}/leaving"
    errors = error_messages(soup(submit(client, leaving, {})))
    assert errors["left_on"] == "Enter the date the member left"
    assert submit(client, leaving, {"left_on": ["1", "3", "2024"]}).status_code == 302
    page = get_page(client, base + "/members")
    assert "1 March 2024" in page.select_one("#members tbody tr").get_text(" ", strip=True)

    assert submit(client, base + "/classes", {"code": "staff", "name": "Staff"}).status_code == 302
    codes = [
        td.get_text(strip=True)
        for td in get_page(client, base + "/classes").select("#classes tbody td:first-child")
    ]
    assert codes == ["staff", "tenant"]

    create_user(email="chair@example.org", display_name="Chidi")
    db.session.commit()
    appointed = submit(client, base + "/officers", {"email": "chair@example.org", "role": "chair"})
    assert appointed.status_code == 302
    errors = error_messages(
        soup(submit(client, base + "/officers", {"email": "nobody@example.org", "role": "chair"}))
    )
    assert "No account has the email address" in errors["email"]
    page = get_page(client, base + "/officers")
    names = [td.get_text(" ", strip=True) for td in page.select("#officers tbody td:first-child")]
    assert names[0].startswith("Test Person")  # the secretary first
    assert names[1].startswith("Chidi")
    chair = db.session.scalar(
        select(OrganisationOfficer).where(OrganisationOfficer.role == "chair")
    )
    token = page.select_one("main form input[name=csrf_token]")["value"]
    removed = client.post(f"{base}/officers/{chair.user_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302
    assert count(db, OrganisationOfficer) == 1
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "organisation.created",
        "organisation.members_imported",
        "organisation.member_left",
        "organisation.class_added",
        "organisation.officer_appointed",
        "organisation.officer_removed",
    } <= actions


def test_another_councils_officer_is_refused_and_nothing_changes(client, db, world):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    create(client)
    upload(client, db.session.scalar(select(Organisation.id)), GOOD)
    client.post(
        "/auth/sign-out",
        data={"csrf_token": soup(client.get("/")).select_one("input[name=csrf_token]")["value"]},
    )
    organisation = db.session.scalar(select(Organisation))
    base = f"/organisations/{organisation.id}"

    sign_in(client, "officer@other.example", PASSWORD)
    for url in (
        "/officers/lambeth/organisations",
        "/officers/lambeth/organisations/new",
        base,
        base + "/members",
        base + "/members/add",
        base + "/members/import",
        base + "/rules",
        base + "/classes",
        base + "/officers",
        "/network/organisations",
    ):
        get_page(client, url, status=403)
    get_page(client, "/organisations/999999", status=404)
    token = soup(client.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    before = (count(db, Organisation), count(db, Member), count(db, OrganisationOfficer))
    events = count(db, AuditEvent)
    for url, data in [
        ("/officers/lambeth/organisations/new", {"name": "Mine", "kind": "other"}),
        (
            base + "/members/add",
            {
                "member_number": "9",
                "name": "X",
                "membership_class": "tenant",
                "joined_on": ["1", "1", "2020"],
            },
        ),
        (base + "/rules", {"notice_days": "14"}),
        (base + "/classes", {"code": "x", "name": "X"}),
        (base + "/officers", {"email": "officer@other.example", "role": "chair"}),
        (base + f"/officers/{organisation.created_by_id}/remove", {}),
    ]:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    response = client.post(
        base + "/members/import",
        data={"csrf_token": token, "members": (io.BytesIO(b"x"), "m.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    after = (count(db, Organisation), count(db, Member), count(db, OrganisationOfficer))
    assert after == before
    assert count(db, AuditEvent) == events


def test_the_hosts_staff_see_the_organisation_but_not_its_register(client, db, world):
    colleague = create_user(email="admin@lambeth.example", roles={world: Role.ADMIN})
    author = create_user(email="secretary@lambeth.example", roles={world: Role.OFFICER})
    organisation = orgs.create_organisation(
        db.session, world, actor=author, name="School", kind="trust_school"
    )
    db.session.commit()
    sign_in(client, colleague.email, PASSWORD)
    base = f"/organisations/{organisation.id}"
    home = get_page(client, base)
    assert not home.select("#register-links")
    get_page(client, base + "/officers")
    get_page(client, base + "/members", status=403)
    get_page(client, base + "/rules", status=403)


def test_a_network_administrator_hosts_an_organisation_of_the_network(client, db, world):
    admin = create_user(email="network@example.org")
    set_network_admin(db.session, admin, admin=True)
    db.session.commit()
    sign_in(client, "network@example.org", PASSWORD)  # two factors: a network administrator
    get_page(client, "/network/organisations")
    response = submit(
        client, "/network/organisations/new", {"name": "Co-op Network", "kind": "other"}
    )
    assert response.status_code == 302
    organisation = db.session.scalar(select(Organisation))
    assert organisation.council_id is None
    page = get_page(client, f"/organisations/{organisation.id}")
    assert "hosted by the network" in page.get_text(" ", strip=True)
    get_page(client, "/officers/lambeth/organisations", status=403)


def test_the_command_line_makes_and_unmakes_a_network_administrator(db, runner, world):
    person = create_user(email="network@example.org")
    db.session.commit()
    result = runner.invoke(args=["network-admin", "Network@Example.org"])
    assert result.exit_code == 0, result.output
    assert "is now a network administrator" in result.output
    db.session.expire_all()
    assert db.session.get(type(person), person.id).network_admin
    assert runner.invoke(args=["network-admin", "network@example.org"]).output.endswith(
        "(as before)\n"
    )
    assert runner.invoke(args=["network-admin", "--remove", "network@example.org"]).exit_code == 0
    db.session.expire_all()
    assert not db.session.get(type(person), person.id).network_admin
    changes = db.session.scalars(
        select(AuditEvent.after).where(AuditEvent.action == "account.network_admin_changed")
    ).all()
    assert changes == [{"network_admin": True}, {"network_admin": False}]
    missing = runner.invoke(args=["network-admin", "nobody@example.org"])
    assert missing.exit_code != 0
    assert "No account has the email address" in missing.output
