"""The pages of elections at general meetings, through the test client: an officer adds an
election with two constituencies and enters nominations, voting opens, members rank the
candidates (a ranking that gives no order gets its message and casts nothing), the chair
closes and declares, and the declaration shows the stage table and who was elected, as a page
and a PDF; the export recounts. An officer of another organisation is refused with nothing
changed."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from app.workflow.clock import london_date, utcnow
from app.workflow.governance.models import ItemState, MeetingItem, Nomination
from app.workflow.models import AuditEvent, Role
from ballots.models import MemberBallot
from tests.app.election_world import coop, give_notice
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.app.pdf_text import pdf_text
from tests.factories import PASSWORD, create_council, create_user
from votes import stv
from votes.blt import read_blt

OFFICER = "secretary@hollins.example"


@pytest.fixture(autouse=True)
def each_client_as_itself(app):
    """The tests' app context outlives each request, and Flask-Login and Flask-WTF keep the
    signed-in user and the CSRF token in ``g``: forget them at each request, so that each
    client (the officer, each member) is seen as itself."""

    @app.before_request
    def forget_the_last_client():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)


@pytest.fixture
def c(db):
    council = create_council(slug="lambeth")
    officer = create_user(email=OFFICER, roles={council: Role.OFFICER})
    world = coop(council=council, officer=officer)
    world.meeting.starts_at = utcnow() + timedelta(days=40)
    for i, member in enumerate(world.tenants + world.employees):
        member.account_id = create_user(email=f"member{i}@hollins.example").id
    db.session.commit()
    return world


def base(c) -> str:
    return f"/organisations/{c.organisation.id}"


def day(when) -> list[str]:
    d = london_date(when)
    return [str(d.day), str(d.month), str(d.year)]


def add_election(client, c):
    soon = utcnow() + timedelta(days=10)
    return submit(
        client,
        f"{base(c)}/meetings/{c.meeting.id}/elections/new",
        {
            "title": "Board election",
            "rule": "scottish",
            "nominations_day": day(soon),
            "nominations_time": "17:00",
            "withdrawals_day": day(soon + timedelta(days=2)),
            "withdrawals_time": "17:00",
            "name": "Tenant board members",
            "seats": "2",
            "classes": "tenant",
        },
    )


def nominate(client, url, constituency, candidate, proposer, seconder):
    return submit(
        client,
        f"{url}/nominate",
        {
            "constituency": str(constituency),
            "member": candidate.member_number,
            "statement": f"{candidate.name} will serve.",
            "proposer": proposer.member_number,
            "seconder": seconder.member_number,
        },
    )


def set_up(client, db, c) -> tuple[MeetingItem, str]:
    """Through the pages: an election with two constituencies and its nominations; then time
    passes (the deadlines are moved behind us) and notice of the meeting is given."""
    sign_in(client, OFFICER, PASSWORD)
    response = add_election(client, c)
    assert response.status_code == 302, error_messages(soup(response))
    item = db.session.scalar(select(MeetingItem))
    url = f"{base(c)}/elections/{item.id}"
    assert response.headers["Location"].endswith(url)
    response = submit(
        client,
        f"{url}/constituencies/new",
        {"name": "Employee board member", "seats": "1", "classes": "employee"},
    )
    assert response.status_code == 302
    tenants, employees = (k.id for k in item.constituencies)
    t, e = c.tenants, c.employees
    for args in [
        (tenants, t[0], t[3], t[4]),
        (tenants, t[1], t[3], t[4]),
        (tenants, t[2], t[4], t[5]),
        (employees, e[0], e[2], e[3]),
        (employees, e[1], e[2], e[3]),
    ]:
        assert nominate(client, url, *args).status_code == 302
    item.nominations_close_at = utcnow() - timedelta(days=2)
    item.withdrawals_close_at = utcnow() - timedelta(days=1)
    db.session.commit()
    give_notice(c)
    return item, url


def post(client, url, data=None):
    """POST to one of an election's buttons, with a CSRF token from the home page."""
    token = get_page(client, "/").select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token, **(data or {})})


BROWSERS: dict = {}


def vote(app, member_index, url, numbers_by_position):
    """A member signs in on their own browser (their own address, so the limits on signing
    in from one address are not reached) and numbers the candidates at those ballot
    positions."""
    client = BROWSERS.get((id(app), member_index))
    if client is None:
        client = BROWSERS[(id(app), member_index)] = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{member_index + 1}"
        sign_in(client, f"member{member_index}@hollins.example", PASSWORD)
    page = get_page(client, f"{url}/vote")
    boxes = [i["name"] for i in page.select("main form input[type=text]")]
    data = {boxes[p]: str(n) for p, n in numbers_by_position.items()}
    return client, submit(client, f"{url}/vote", data)


def test_an_election_from_nominations_to_the_declaration(app, client, db, c):
    item, url = set_up(client, db, c)
    candidates = get_page(client, f"{url}/candidates")
    assert "Tenant 3 will serve." in candidates.get_text()
    assert post(client, f"{url}/open").status_code == 302
    db.session.refresh(item)
    assert item.state is ItemState.OPEN and len(item.ballot_seed) == 64
    # The candidates' page lists them in ballot order once it is drawn.
    names = [h.get_text(strip=True) for h in get_page(client, f"{url}/candidates").select("h3")]
    manifest = json.loads(item.manifest_json)
    assert names == [c["name"] for p in manifest["constituencies"] for c in p["candidates"]]

    # A ranking that gives no order gets its message and casts nothing.
    member, response = vote(app, 0, url, {0: 1, 1: 1})
    assert response.status_code == 200
    assert "1 is used more than once" in " ".join(error_messages(soup(response)).values())
    member, response = vote(app, 0, url, {0: 1, 1: "first"})
    assert "whole numbers only" in " ".join(error_messages(soup(response)).values())
    assert db.session.scalar(select(func.count()).select_from(MemberBallot)) == 0

    tenant_rankings = [{0: 1, 1: 2}, {0: 2, 2: 1}, {1: 1}, {2: 1, 0: 5}, {0: 1}, {1: 1, 2: 2}]
    for i, ranking in enumerate(tenant_rankings):
        member, response = vote(app, i, url, ranking)
        assert response.status_code == 302, error_messages(soup(response))
        page = get_page(member, response.headers["Location"])
        assert page.select_one("#receipt").get_text(strip=True)
        # The receipt is shown once.
        assert not get_page(member, response.headers["Location"]).select_one("#receipt")
        assert get_page(member, f"{url}/vote", status=409)
    for i, ranking in enumerate([{0: 1}, {1: 1, 0: 2}, {0: 1, 1: 2}, {1: 1}, {0: 1}]):
        assert vote(app, 6 + i, url, ranking)[1].status_code == 302

    # The chair enters a paper ballot for a member who has already voted online: refused.
    manifest = json.loads(item.manifest_json)
    paper = f"{url}/paper/{manifest['constituencies'][0]['id']}"
    first = f"c{manifest['constituencies'][0]['candidates'][0]['id']}"
    response = submit(client, paper, {"member_number": "T1", first: "1"})
    assert "Tenant 1 has already voted" in error_messages(soup(response))["member_number"]
    response = submit(client, paper, {"member_number": "E1", first: "1"})
    assert "votes in Employee board member" in error_messages(soup(response))["member_number"]

    assert post(client, f"{url}/close").status_code == 302
    response = post(client, f"{url}/declare")
    assert response.status_code == 302 and response.headers["Location"].endswith("/declaration")
    db.session.refresh(item)
    result = json.loads(item.result_json)

    page = get_page(client, f"{url}/declaration")
    assert page.select_one("#quorum").get_text(strip=True) == (
        "Quorate: 11 members present or represented, against a quorum of 10."
    )
    for n, part in enumerate(result["constituencies"], start=1):
        elected = [li.get_text(strip=True) for li in page.select(f"#elected-{n} li")]
        assert elected == part["count"]["elected"]
        table = page.select_one(f"#stages-{n}")
        assert "devolve-table-stack" in table["class"]
        # A column per stage: too wide for a wide screen, it scrolls in its own box, which the
        # keyboard reaches and a screen reader names by its constituency.
        box = table.parent
        assert "devolve-table-scroll" in box["class"]
        assert (box["role"], box["tabindex"]) == ("region", "0")
        named = [page.find(id=i).get_text(strip=True) for i in box["aria-labelledby"].split()]
        assert named == [part["name"], "The count, stage by stage"]
        assert all(td.get("data-label") for td in table.select("td"))
        rows = [th.get_text(strip=True) for th in table.select("tbody th")]
        assert rows[:-3] == part["count"]["candidates"]
        assert rows[-3:] == ["Quota", "Non-transferable: exhausted", "Non-transferable: rounding"]
        assert len(table.select("thead th")) == 1 + len(part["count"]["stages"])
        assert part["count"]["quota"] in page.get_text()

    pdf = client.get(f"{url}/declaration.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert page.select_one("h1").get_text(strip=True) in text
    for n in range(1, len(result["constituencies"]) + 1):
        elected = [li.get_text(strip=True) for li in page.select(f"#elected-{n} li")]
        assert "Elected, in order: " + ", ".join(elected) in text

    export = client.get(f"{url}/export.zip")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    for part in json.loads(archive.read("result.json"))["constituencies"]:
        election = read_blt(archive.read(f"constituency-{part['id']}.blt").decode())
        assert stv.result_to_json(stv.scottish(election)) == part["count"]


def test_a_proxy_votes_for_a_member_through_the_pages_and_their_own_vote_replaces_it(
    app, client, db, c
):
    from app.workflow.governance import proxies

    item, url = set_up(client, db, c)
    member, holder = c.tenants[0], c.tenants[1]
    proxies.appoint_proxy(
        db.session,
        c.meeting,
        actor=c.officer,
        member_number=member.member_number,
        holder=holder.member_number,
        now=utcnow(),
    )
    db.session.commit()
    assert post(client, f"{url}/open").status_code == 302
    meeting_page = f"{base(c)}/meetings/{c.meeting.id}/vote"

    # The holder's meeting page points to the election and to the ballot they hold.
    browser, _ = vote(app, 1, url, {0: 1})
    page = get_page(browser, meeting_page)
    assert page.select_one("#open-item").get_text(strip=True) == "Voting is open: Board election"
    assert page.select_one("#voted")  # their own vote is in
    links = page.select("#proxy-ballots a")
    assert [a.get_text(strip=True) for a in links] == ["Vote for member T1, Tenant 1"]
    ballot = get_page(browser, links[0]["href"])
    assert "as the proxy of member T1, Tenant 1" in ballot.select_one("#for-member").get_text()
    boxes = [i["name"] for i in ballot.select("main form input[type=text]")]
    # Numbers that give no order are refused beside the ballot, and nothing is cast.
    response = submit(browser, links[0]["href"], {boxes[0]: "1", boxes[1]: "1"})
    assert "used more than once" in " ".join(error_messages(soup(response)).values())
    assert db.session.scalar(select(func.count()).select_from(MemberBallot)) == 1
    response = submit(browser, links[0]["href"], {boxes[2]: "1"})
    assert response.status_code == 302, error_messages(soup(response))
    voted = get_page(browser, response.headers["Location"])
    assert "The vote of Tenant 1 is cast." in voted.get_text()
    assert not voted.select("#proxy-ballots a")  # nothing left to cast
    # A second time is refused with its reason and casts nothing.
    again = get_page(browser, links[0]["href"], status=409)
    assert "already been cast for Tenant 1" in again.get_text()
    # Another member holds no proxy for Tenant 1.
    other, _ = vote(app, 2, url, {0: 1})
    assert get_page(other, links[0]["href"], status=403)
    assert db.session.scalar(select(func.count()).select_from(MemberBallot)) == 3

    # Tenant 1 votes themselves: their page says the proxy voted, and their vote replaces it.
    own, _ = vote(app, 0, url, {1: 1})
    db.session.expire_all()
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "election.proxy_voted")
    ).all()
    assert [a.after for a in audit] == [{"member_number": "T1", "holder": "T2"}]
    from ballots import members as box
    from ballots.models import MemberChannel

    assert box.has_voted(db.session, item.id, member.id) is MemberChannel.ONLINE
    assert box.verify_item_log(db.session, item.id) == []


def state(db) -> dict:
    db.session.expire_all()
    return {
        "items": db.session.execute(
            select(MeetingItem.id, MeetingItem.state, MeetingItem.ballot_seed)
        ).all(),
        "nominations": db.session.execute(select(Nomination.id, Nomination.withdrawn_at)).all(),
        "ballots": db.session.scalar(select(func.count()).select_from(MemberBallot)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
    }


def test_another_organisations_officer_is_refused_and_nothing_changes(app, client, db, c):
    item, url = set_up(client, db, c)
    nomination = item.constituencies[0].nominations[0]
    other_council = create_council(slug="rochdale")
    create_user(email="officer@rochdale.example", roles={other_council: Role.OFFICER})
    db.session.commit()
    stranger = app.test_client()
    sign_in(stranger, "officer@rochdale.example", PASSWORD)
    before = state(db)
    get_page(stranger, url, status=403)
    get_page(stranger, f"{url}/nominate", status=403)
    token = get_page(stranger, f"{url}/candidates").select_one("input[name=csrf_token]")["value"]
    for path in ("/open", "/close", "/declare", f"/nominations/{nomination.id}/withdraw"):
        response = stranger.post(url + path, data={"csrf_token": token})
        assert response.status_code == 403, path
    response = stranger.post(
        f"{base(c)}/meetings/{c.meeting.id}/elections/new",
        data={"csrf_token": token, "title": "Takeover"},
    )
    assert response.status_code == 403
    assert state(db) == before


def test_a_bad_election_form_and_a_bad_nomination_get_their_messages(app, client, db, c):
    sign_in(client, OFFICER, PASSWORD)
    response = submit(
        client,
        f"{base(c)}/meetings/{c.meeting.id}/elections/new",
        {
            "title": "Board",
            "rule": "scottish",
            "nominations_day": day(utcnow() + timedelta(days=90)),
            "nominations_time": "17:00",
            "withdrawals_day": day(utcnow() + timedelta(days=91)),
            "withdrawals_time": "25:00",
            "name": "Tenants",
            "seats": "two",
            "classes": "tenant",
        },
    )
    errors = error_messages(soup(response))
    assert "whole number" in errors["seats"] and "24-hour clock" in errors["withdrawals_time"]
    response = add_election(client, c)
    item = db.session.scalar(select(MeetingItem))
    url = f"{base(c)}/elections/{item.id}"
    response = submit(
        client,
        f"{url}/constituencies/new",
        {"name": "More tenants", "seats": "1", "classes": "tenant"},
    )
    assert "Tenant is in two" in error_messages(soup(response))["classes"]
    t = c.tenants
    response = nominate(client, url, item.constituencies[0].id, t[0], t[0], t[1])
    assert "cannot propose or second themselves" in error_messages(soup(response))["proposer"]
    response = nominate(client, url, item.constituencies[0].id, c.employees[0], t[0], t[1])
    assert "must be a member who votes in" in error_messages(soup(response))["member"]
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    # A good nomination, then the candidate withdraws before the deadline.
    assert nominate(client, url, item.constituencies[0].id, t[0], t[1], t[2]).status_code == 302
    assert "Tenant 1 will serve." in get_page(client, f"{url}/candidates").get_text()
    nomination = db.session.scalar(select(Nomination))
    assert post(client, f"{url}/nominations/{nomination.id}/withdraw").status_code == 302
    assert "Tenant 1 will serve." not in get_page(client, f"{url}/candidates").get_text()
    assert post(client, f"{url}/nominations/{nomination.id}/withdraw").status_code == 409
