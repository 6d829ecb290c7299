"""The pages of general meetings, through the test client: an officer creates a meeting,
tables a motion, gives notice (refused, saying the earliest day, when too soon), starts the
meeting as its chair, checks members in, enters paper ballots, opens, closes and declares the
motion; a member with a linked account votes online and reads the declaration; the turnout
page gives counts, never choices; another organisation's officer is refused with nothing
changed; every bad form gets its message."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.web.extensions import mail
from app.workflow.clock import LONDON
from app.workflow.governance import motions
from app.workflow.governance.models import (
    ItemState,
    Meeting,
    MeetingItem,
    MeetingState,
    MotionProposal,
    ProposalState,
)
from app.workflow.models import AuditEvent
from tests.app import meeting_world as w
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.app.pdf_text import pdf_text
from tests.factories import PASSWORD, create_user
from votes.members import verify_item_zip

# Real time: the meeting is 40 days ahead of the clock, notice is 28 days.
NOW = datetime.now(UTC)
MEETING_DAY = (NOW + timedelta(days=40)).replace(hour=18, minute=0, second=0, microsecond=0)


@pytest.fixture
def c(db):
    coop = w.coop(members=8, quorum_members=3)
    other = w.coop(name="Other Housing", members=2)
    db.session.commit()
    coop.other = other
    return coop


def url(c, meeting=None, rest=""):
    base = f"/organisations/{c.organisation.id}/meetings"
    return f"{base}/{meeting.id}{rest}" if meeting is not None else base + rest


def post(client, page_url, action_url=None, data=None):
    """A button's POST: the CSRF token from ``page_url``'s first form."""
    return submit(client, page_url, data or {}, post_to=action_url or page_url)


def refreshes(page) -> tuple[str, str] | None:
    """How a turnout page refreshes itself, if it does: (the seconds of the reload without
    JavaScript, the seconds between turnout.js's reads). No timed reload outside <noscript>."""
    assert page.select_one("head > meta[http-equiv=refresh]") is None
    reload = page.select_one("head > noscript > meta[http-equiv=refresh]")
    script = page.select_one('script[src="/static/turnout.js"]')
    counts = page.select_one("#counts[data-refresh-seconds]")
    if reload is None and script is None and counts is None:
        return None
    assert reload and script and counts, "all three, or none"
    return reload["content"], counts["data-refresh-seconds"]


def meeting_form(when=MEETING_DAY, **over):
    local = when.astimezone(LONDON)
    data = {
        "title": "Annual general meeting",
        "kind": "annual",
        "day": [str(local.day), str(local.month), str(local.year)],
        "time": local.strftime("%H:%M"),
        "place": "The community hall",
        "online_voting": "yes",
    }
    return {**data, **over}


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_bad_meeting_form_gets_its_messages_and_creates_nothing(client, db, c):
    sign_in(client, c.officer.email, PASSWORD)
    response = submit(
        client,
        url(c, rest="/new"),
        meeting_form(title="", time="25:99", day=["31", "2", "2027"], online_voting="maybe"),
    )
    assert response.status_code == 200
    errors = error_messages(soup(response))
    assert errors["title"] == "Enter the meeting's title"
    assert errors["time"].startswith("Enter the time as hours and minutes")
    assert errors["day"] == "Day of the meeting must be a real date"
    assert errors["online_voting"] == "Select an option from the list"
    response = submit(client, url(c, rest="/new"), meeting_form(when=NOW - timedelta(days=2)))
    assert error_messages(soup(response))["day"] == "The meeting must start in the future."
    assert count(db, Meeting) == 0


def _create(client, db, c, **over):
    response = submit(client, url(c, rest="/new"), meeting_form(**over))
    assert response.status_code == 302, error_messages(soup(response))
    return db.session.scalar(select(Meeting).order_by(Meeting.id.desc()))


def test_notice_too_soon_is_refused_with_the_earliest_day_and_nothing_changes(client, db, c):
    sign_in(client, c.officer.email, PASSWORD)
    meeting = _create(client, db, c, when=NOW + timedelta(days=10))
    before = count(db, AuditEvent)
    response = post(client, url(c, meeting), url(c, meeting, "/notice"))
    assert response.status_code == 302
    page = get_page(client, url(c, meeting))
    text = page.get_text(" ", strip=True)
    assert "gives 28 days' notice" in text and "at the earliest" in text
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).state is MeetingState.DRAFT
    assert count(db, AuditEvent) == before


def _motion_form(c, **over):
    data = {
        "amends": "",
        "title": "Change rule 12",
        "wording": "That rule 12 be changed.",
        "threshold": "special",
        "share": "",
        "proposer": str(c.members[0].id),
        "seconder": str(c.members[1].id),
    }
    return {**data, **over}


def test_a_bad_motion_form_gets_its_messages(client, db, c):
    sign_in(client, c.officer.email, PASSWORD)
    meeting = _create(client, db, c)
    new = url(c, meeting, "/motions/new")
    response = submit(client, new, _motion_form(c, seconder=str(c.members[0].id)))
    assert error_messages(soup(response))["seconder"] == (
        "The seconder must be a different member from the proposer."
    )
    response = submit(client, new, _motion_form(c, threshold="other", share="1/3"))
    assert error_messages(soup(response))["share"].startswith("The share must be between")
    response = submit(client, new, _motion_form(c, title="", wording="", proposer="x"))
    errors = error_messages(soup(response))
    assert errors["title"] == "Enter the motion's title"
    assert errors["wording"] == "Enter the wording of the motion"
    assert errors["proposer"] == "Select the member who proposes it"
    assert count(db, MeetingItem) == 0


def test_a_meeting_from_its_creation_to_the_declaration(client, db, c, monkeypatch, tmp_path):
    member = c.members[4]
    voter = create_user(email="member5@example.org")
    db.session.commit()
    sign_in(client, c.officer.email, PASSWORD)
    # Linking the member's account: a bad address gets its message.
    link = f"/organisations/{c.organisation.id}/members/{member.id}/account"
    response = submit(client, link, {"email": "nobody@example.org"})
    assert "No account has the email address" in error_messages(soup(response))["email"]
    assert submit(client, link, {"email": voter.email}).status_code == 302

    meeting = _create(client, db, c)
    assert submit(client, url(c, meeting, "/motions/new"), _motion_form(c)).status_code == 302
    item = db.session.scalar(select(MeetingItem))
    assert post(client, url(c, meeting), url(c, meeting, "/notice")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).state is MeetingState.NOTICE

    # On the meeting's day.
    monkeypatch.setattr("app.web.meetings.utcnow", lambda: MEETING_DAY + timedelta(minutes=5))
    response = submit(client, url(c, meeting, "/start"), {"chair": ""})
    assert error_messages(soup(response))["chair"] == (
        "Choose the chair from the officers of the organisation."
    )
    response = submit(client, url(c, meeting, "/start"), {"chair": str(c.officer.id)})
    assert response.status_code == 302
    for m in c.members[:4]:
        checked = submit(client, url(c, meeting, "/check-in"), {"member_number": m.member_number})
        assert checked.status_code == 302
    response = submit(client, url(c, meeting, "/check-in"), {"member_number": "1"})
    assert error_messages(soup(response))["member_number"] == "Member 1 is already checked in."

    item_url = url(c, meeting, f"/items/{item.id}")
    draft = get_page(client, item_url + "/turnout")
    assert draft.select_one("#not-open") and not refreshes(draft)
    assert post(client, url(c, meeting), item_url + "/open").status_code == 302
    db.session.expire_all()
    assert db.session.get(MeetingItem, item.id).state is ItemState.OPEN
    for m in c.members[:4]:
        entered = submit(
            client, item_url + "/paper", {"member_number": m.member_number, "choice": "for"}
        )
        assert entered.status_code == 302
    response = submit(client, item_url + "/paper", {"member_number": "6", "choice": "for"})
    assert "not checked in" in error_messages(soup(response))["member_number"]
    response = submit(client, item_url + "/paper", {"member_number": "2", "choice": "maybe"})
    assert error_messages(soup(response))["choice"] == "Select an option from the list"

    # While voting is open the officers' turnout refreshes itself (turnout.js changes the counts
    # in place; without JavaScript the page reloads: a timed reload for everyone would fail
    # WCAG 2.2.1), and says when it was read.
    turnout = get_page(client, item_url + "/turnout")
    assert "4 members of 8 have voted" in turnout.select_one("#voted").get_text(" ", strip=True)
    text = turnout.get_text(" ", strip=True)
    headers = [th.get_text(strip=True) for th in turnout.select("#by-channel th")]
    assert headers == ["Channel", "Members"]
    assert not re.search(r"Votes (for|against)|Abstentions", text)
    assert turnout.select_one("a#refresh")["href"] == item_url + "/turnout"
    assert refreshes(turnout) == ("15", "15")
    assert turnout.select_one("#voted")["aria-live"] == "polite"
    read_at = (MEETING_DAY + timedelta(minutes=5)).astimezone(LONDON).strftime("%H:%M:%S")
    assert turnout.select_one("#updated").get_text(strip=True) == f"Last updated {read_at}"
    # Whoever reads it may stop that, and refreshing by hand keeps it stopped.
    stop = turnout.select_one("#live a")["href"]
    assert stop == item_url + "/turnout?refresh=off"
    still = get_page(client, stop)
    assert not refreshes(still)
    assert still.select_one("a#refresh")["href"] == stop
    assert still.select_one("#live a")["href"] == item_url + "/turnout"

    # The member votes online; the meeting's page shows how many have voted, never how.
    client.get("/auth/sign-out")
    sign_in(client, voter.email, PASSWORD)
    page = get_page(client, url(c, meeting, "/vote"))
    assert page.select_one("#open-item")
    assert page.select_one("#turnout").get_text(" ", strip=True) == "4 members of 8 have voted"
    assert not re.search(r"Votes (for|against)|Abstentions", page.get_text(" ", strip=True))
    response = submit(client, url(c, meeting, "/vote"), {}, post_to=item_url + "/vote")
    assert error_messages(soup(response))["choice"] == "Choose for, against or abstain"
    response = submit(
        client, url(c, meeting, "/vote"), {"choice": "for"}, post_to=item_url + "/vote"
    )
    assert response.status_code == 200
    assert soup(response).select_one("#receipt").get_text(strip=True)
    page = get_page(client, url(c, meeting, "/vote"))
    assert page.select_one("#voted")
    assert page.select_one("#turnout").get_text(" ", strip=True) == "5 members of 8 have voted"
    # The count keeps itself up to date (turnout.js), and nothing is declared yet.
    assert page.select_one("#turnout")["data-refresh-seconds"] == "15"
    assert page.select_one("script[src$='turnout.js']") is not None
    assert page.select_one("#results") is None

    # The chair closes voting; a vote afterwards is refused.
    client.get("/auth/sign-out")
    sign_in(client, c.officer.email, PASSWORD)
    turnout = get_page(client, item_url + "/turnout")
    assert "5 members of 8 have voted" in turnout.select_one("#voted").get_text(" ", strip=True)
    assert post(client, url(c, meeting), item_url + "/close").status_code == 302
    # Closed, the counts no longer change: the page stops refreshing itself.
    turnout = get_page(client, item_url + "/turnout")
    assert "5 members of 8 have voted" in turnout.select_one("#voted").get_text(" ", strip=True)
    assert not refreshes(turnout)
    assert turnout.select_one("#live") is None
    response = submit(client, item_url + "/paper", {"member_number": "1", "choice": "for"})
    assert response.status_code == 409
    assert "not open" in soup(response).get_text(" ", strip=True)

    response = submit(client, item_url + "/declare", {"casting_vote": "for"})
    assert "casting vote decides only a tie" in error_messages(soup(response))["casting_vote"]
    response = submit(client, item_url + "/declare", {"casting_vote": "none"})
    assert response.status_code == 302
    assert response.headers["Location"] == item_url + "/declaration"
    declaration = get_page(client, item_url + "/declaration")
    assert declaration.select_one("#sentence").get_text(" ", strip=True) == (
        "Carried: 5 of 5 votes for (100%), 1 more than the 4 needed for a special resolution."
    )
    figures = declaration.select_one("#figures").get_text(" ", strip=True)
    assert "Votes needed to carry it 4" in figures and "Quorum required 3" in figures

    # The officers' export of the declared motion is recounted without Devolve.
    export = client.get(item_url + "/export.zip")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    archive = tmp_path / "motion.zip"
    archive.write_bytes(export.data)
    checked, problems, _, _ = verify_item_zip(str(archive))
    assert problems == [] and "the recount reproduces the declared decision" in checked

    # The member reads it too, from the meeting's page.
    client.get("/auth/sign-out")
    sign_in(client, voter.email, PASSWORD)
    page = get_page(client, url(c, meeting, "/vote"))
    assert page.select_one("#nothing-open") and not page.select_one("script[src$='turnout.js']")
    link = page.select_one("#results a")
    assert link["href"] == item_url + "/declaration"
    assert link.get_text(strip=True) == f"Result: {item.title}"
    get_page(client, link["href"])


def _declared_amendment(c):
    """An amendment to rule 12's motion, voted on paper in the room (2 for, 1 against) and
    closed: ready to declare."""
    meeting = w.new_meeting(c)
    motion = w.table(c, meeting)
    amendment = w.table(
        c,
        meeting,
        title="Rule 12 takes effect in May",
        wording="That the change to rule 12 takes effect in May.",
        threshold="ordinary",
        amends=motion,
    )
    w.give_notice(c, meeting)
    w.start(c, meeting)
    w.open_item(c, amendment)
    votes = {c.members[0]: "for", c.members[1]: "for", c.members[2]: "against"}
    w.paper(c, meeting, amendment, votes)
    w.close_item(c, amendment)
    return meeting, amendment


def _figures(page) -> list[str]:
    rows = page.select("#figures .govuk-summary-list__row")
    return [" ".join(row.get_text(" ", strip=True).split()) for row in rows]


def test_the_declaration_pdf_says_what_its_page_says_in_its_language(client, db, c):
    meeting, item = _declared_amendment(c)
    item_url = url(c, meeting, f"/items/{item.id}")
    sign_in(client, c.officer.email, PASSWORD)
    # Not declared yet: no declaration, as the page answers.
    assert client.get(item_url + "/declaration.pdf").status_code == 404
    get_page(client, item_url + "/declaration", status=404)
    w.declare(c, item)

    page = get_page(client, item_url + "/declaration")
    assert page.select_one("#amends").get_text(strip=True) == "Amendment to Change rule 12"
    assert page.select_one("a#pdf")["href"] == item_url + "/declaration.pdf"
    agenda = get_page(client, url(c, meeting)).select_one(f"#item-{item.id}")
    assert item_url + "/declaration.pdf" in [a["href"] for a in agenda.select("a")]

    response = client.get(item_url + "/declaration.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="declaration-{item.id}.pdf"'
    )
    text = pdf_text(response.data)
    sentence = page.select_one("#sentence").get_text(" ", strip=True)
    assert sentence == (
        "Carried: 2 of 3 votes for (66.7%), exactly the 2 needed for an ordinary resolution."
    )
    db.session.refresh(item)
    for said in [
        "Result: Rule 12 takes effect in May",
        "Hollins Housing",
        "Annual general meeting 2027",
        "Amendment to Change rule 12",
        "Declared 10 January 2027 at 6:05pm.",
        "Wording That the change to rule 12 takes effect in May.",
        sentence,
        *_figures(page),
        f"Manifest fingerprint: {item.manifest_hash}",
        f"Sealed log: {item.log_head_hash}",
    ]:
        assert said in text, said
    assert "Votes for 2 Votes against 1 Abstentions 0 Votes cast 3" in text

    # In Welsh, the PDF is in the Welsh page's words.
    welsh_page = get_page(client, item_url + "/declaration?lang=cy")
    welsh = pdf_text(client.get(item_url + "/declaration.pdf?lang=cy").data)
    welsh_sentence = welsh_page.select_one("#sentence").get_text(" ", strip=True)
    assert welsh_sentence != sentence and welsh_sentence in welsh
    assert all(row in welsh for row in _figures(welsh_page))
    assert "Pleidleisiau o blaid 2" in welsh and "Votes for" not in welsh


def test_another_organisations_officer_is_refused_and_nothing_changes(client, db, c):
    meeting = w.new_meeting(c, starts_at=MEETING_DAY, motions_deadline=None, now=NOW)
    sign_in(client, c.other.officer.email, PASSWORD)
    before = (count(db, AuditEvent), count(db, MeetingItem))
    assert client.get(url(c, meeting)).status_code == 403
    token = soup(client.get(f"/organisations/{c.other.organisation.id}/meetings/new")).select_one(
        "main form input[name=csrf_token]"
    )["value"]
    for action, data in [
        ("/notice", {}),
        ("/motions/new", _motion_form(c)),
        ("/edit", meeting_form(title="Stolen")),
        ("/check-in", {"member_number": "1"}),
    ]:
        response = client.post(url(c, meeting, action), data={"csrf_token": token, **data})
        assert response.status_code == 403, action
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).state is MeetingState.DRAFT
    assert db.session.get(Meeting, meeting.id).title == "Annual general meeting 2027"
    assert (count(db, AuditEvent), count(db, MeetingItem)) == before


def test_a_member_appoints_and_revokes_their_proxy(client, db, c):
    meeting = w.new_meeting(c, starts_at=MEETING_DAY, motions_deadline=None, now=NOW)
    w.give_notice(c, meeting, now=NOW)
    user = w.account_for(c, c.members[3])
    sign_in(client, user.email, PASSWORD)
    page_url = url(c, meeting, "/vote")
    response = submit(
        client,
        page_url,
        {"member_number": "4", "holder": "4", "item": ""},
        post_to=url(c, meeting, "/my-proxy"),
    )
    assert error_messages(soup(response))["holder"] == "A member cannot be their own proxy."
    response = submit(
        client,
        page_url,
        {"member_number": "4", "holder": "3", "item": ""},
        post_to=url(c, meeting, "/my-proxy"),
    )
    assert response.status_code == 302
    page = get_page(client, page_url)
    assert "Member 3 votes for you" in page.get_text(" ", strip=True)
    revoke = page.select_one("form[action$='/revoke']")["action"]
    assert post(client, page_url, revoke).status_code == 302
    assert "You have not appointed a proxy" in get_page(client, page_url).get_text(" ", strip=True)


def test_the_officers_proxy_form_refuses_beyond_the_cap_beside_the_holder(client, db, c):
    c.organisation.proxy_cap = 1
    meeting = w.new_meeting(c, starts_at=MEETING_DAY, motions_deadline=None, now=NOW)
    w.give_notice(c, meeting, now=NOW)
    sign_in(client, c.officer.email, PASSWORD)
    page = url(c, meeting, "/proxies")
    response = submit(client, page, {"member_number": "4", "holder": "3", "item": ""})
    assert response.status_code == 302
    response = submit(client, page, {"member_number": "5", "holder": "3", "item": ""})
    assert error_messages(soup(response))["holder"] == (
        "Member 3 already holds 1 proxies, the most the rules allow one member."
    )
    response = submit(client, page, {"member_number": "99", "holder": "3", "item": ""})
    assert "has no vote at this meeting" in error_messages(soup(response))["member_number"]
    response = submit(client, page, {"member_number": "", "holder": "", "item": "x"})
    errors = error_messages(soup(response))
    assert errors["member_number"] == "Enter the member number"
    assert errors["holder"] == "Enter the proxy's member number, or chair"
    listed = get_page(client, page).select("#proxies tbody tr")
    assert len(listed) == 1


def test_the_chair_votes_for_a_member_whose_proxy_they_hold(client, db, c, monkeypatch):
    meeting = w.new_meeting(c, starts_at=MEETING_DAY, motions_deadline=None, now=NOW)
    item = w.table(c, meeting, threshold="ordinary")
    w.give_notice(c, meeting, now=NOW)
    w.proxies.appoint_proxy(
        db.session, meeting, actor=c.officer, member_number="6", holder="chair", now=NOW
    )
    db.session.commit()
    meetings_start = MEETING_DAY + timedelta(minutes=1)
    w.meetings.start_meeting(
        db.session, meeting, actor=c.officer, chair_id=c.officer.id, now=meetings_start
    )
    w.open_item(c, item, now=meetings_start)
    sign_in(client, c.officer.email, PASSWORD)
    page = get_page(client, url(c, meeting, "/vote"))
    forms = page.select("form input[name=for_member]")
    assert [f["value"] for f in forms] == [str(c.members[5].id)]
    item_url = url(c, meeting, f"/items/{item.id}")
    data = {"choice": "against", "for_member": str(c.members[5].id)}
    response = submit(client, url(c, meeting, "/vote"), data, post_to=item_url + "/vote")
    assert response.status_code == 200
    turnout = get_page(client, item_url + "/turnout")
    assert "1 member of 8 has voted" in turnout.select_one("#voted").get_text(" ", strip=True)
    response = submit(client, url(c, meeting, "/vote"), data, post_to=item_url + "/vote")
    assert response.status_code == 409
    assert "already been cast for this member" in soup(response).get_text(" ", strip=True)


def ask(client, claim: str, number: str):
    """Ask for a code for member ``number``: the response and the emails sent."""
    with mail.record_messages() as sent:
        response = submit(client, claim, {"member_number": number})
    return response, sent


def _code(email) -> str:
    return re.search(r"^(\d{6})$", email.body, re.MULTILINE).group(1)


def test_a_member_links_their_account_with_a_code_emailed_to_them(client, db, c):
    person = create_user(email="ama@example.org")
    db.session.commit()
    sign_in(client, person.email, PASSWORD)
    claim = f"/organisations/{c.organisation.id}/claim"
    assert get_page(client, claim).select_one("input[name=member_number]")
    response = submit(client, claim, {"member_number": ""})
    assert error_messages(soup(response))["member_number"] == "Enter your member number"
    # A number not on the register gets the same answer, and nothing is sent.
    response, sent = ask(client, claim, "99")
    assert response.status_code == 302 and sent == []
    response, sent = ask(client, claim, "3")
    assert response.headers["Location"] == claim + "/code"
    [email] = sent
    assert email.recipients == [c.members[2].email]
    assert email.subject == "Your code for Hollins Housing"
    assert "member 3 of Hollins Housing" in email.body and "http" not in email.body
    code = _code(email)
    wrong = "000000" if code != "000000" else "111111"
    response = submit(client, claim + "/code", {"code": wrong})
    assert error_messages(soup(response))["code"] == "That is not the code in the email."
    response = submit(client, claim + "/code", {"code": ""})
    assert error_messages(soup(response))["code"] == "Enter the code from the email"
    response = submit(client, claim + "/code", {"code": code})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(c.members[2]), c.members[2].id).account_id == person.id
    assert "linked to member 3" in get_page(client, claim).select_one("#linked").get_text()
    assert (
        count(db, AuditEvent)
        and db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "organisation.member_claimed")
        )
        == 1
    )


def test_wrong_codes_count_and_run_out(client, db, c):
    person = create_user(email="ben@example.org")
    db.session.commit()
    sign_in(client, person.email, PASSWORD)
    claim = f"/organisations/{c.organisation.id}/claim"
    _, [email] = ask(client, claim, "4")
    code = _code(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        submit(client, claim + "/code", {"code": wrong})
    response = submit(client, claim + "/code", {"code": code})
    assert error_messages(soup(response))["code"] == "Too many wrong codes: ask for a new one."
    db.session.expire_all()
    assert db.session.get(type(c.members[3]), c.members[3].id).account_id is None


def _result(for_, against, abstain=0, *, needed, margin, inquorate=False, casting=None):
    return {
        "threshold": {"share": "3/4", "more_than": False, "name": "special"},
        "decision": {
            "for": for_,
            "against": against,
            "abstain": abstain,
            "cast": for_ + against,
            "needed": needed,
            "margin": margin,
            "carried": None if inquorate else margin >= 0,
            "inquorate": inquorate,
            "quorum_required": 10,
            "quorum_counted": 8,
            "casting_vote": casting,
        },
    }


@pytest.mark.parametrize(
    ("result", "said"),
    [
        (
            _result(31, 9, needed=30, margin=1),
            "Carried: 31 of 40 votes for (77.5%), 1 more than the 30 needed for a special "
            "resolution.",
        ),
        (
            _result(29, 11, needed=30, margin=-1),
            "Not carried: 29 of 40 votes for (72.5%), 1 fewer than the 30 needed for a special "
            "resolution.",
        ),
        (
            _result(1200, 2, needed=902, margin=298),
            "Carried: 1,200 of 1,202 votes for (99.8%), 298 more than the 902 needed for a "
            "special resolution.",
        ),
        (
            _result(5, 1, needed=5, margin=-1, inquorate=True),
            "Inquorate: 8 members present or represented counted towards the quorum of 10, so "
            "the vote made no decision.",
        ),
    ],
)
def test_the_declaration_says_the_result_in_one_plain_sentence(app, result, said):
    from app.web.presenters.meetings import sentence

    with app.test_request_context():
        assert sentence(result) == said


def test_an_other_threshold_is_named_by_its_share(app):
    from app.web.presenters.meetings import sentence

    result = _result(2, 1, needed=2, margin=0)
    result["threshold"] = {"share": "2/3", "more_than": False, "name": "other"}
    with app.test_request_context():
        assert sentence(result) == (
            "Carried: 2 of 3 votes for (66.7%), exactly the 2 needed for a resolution needing "
            "at least two thirds of the votes cast."
        )


def test_a_members_account_lists_their_meetings_taking_motions_or_given_notice(client, db, c):
    member = c.members[2]
    user = w.account_for(c, member)
    meeting = w.new_meeting(
        c, starts_at=MEETING_DAY, motions_deadline=NOW + timedelta(days=5), now=NOW
    )
    # A draft whose deadline for motions has passed is not listed.
    w.new_meeting(
        c,
        title="Closed to motions",
        starts_at=MEETING_DAY,
        motions_deadline=NOW - timedelta(days=1),
        now=NOW - timedelta(days=2),
    )
    sign_in(client, user.email, PASSWORD)
    # A draft taking motions: listed, and its page says notice has not been given and offers
    # to propose one.
    listed = get_page(client, "/account/").select("#meetings li")
    assert len(listed) == 1 and "notice not given yet: it takes motions" in listed[0].get_text()
    page = get_page(client, listed[0].select_one("a")["href"])
    assert page.select_one("#no-notice") and not page.select_one("#no-vote")
    assert page.select_one("#propose")["href"] == url(c, meeting, "/propose")
    w.give_notice(c, meeting, now=NOW)
    listed = get_page(client, "/account/").select("#meetings li")
    assert len(listed) == 1
    link = listed[0].select_one("a")
    assert link["href"] == url(c, meeting, "/vote") and link.get_text() == meeting.title
    assert f"member {member.member_number}" in listed[0].get_text()
    assert "takes motions" not in listed[0].get_text()
    page = get_page(client, link["href"])
    assert page.select_one("#nothing-open") and not page.select_one("#no-notice")
    assert page.select_one("#propose") is None
    # Another organisation's meetings are not theirs.
    other = w.coop(name="Other Housing", council=c.council, officer=c.officer)
    w.give_notice(other, w.new_meeting(other))
    assert len(get_page(client, "/account/").select("#meetings li")) == 1


def _draft(c):
    return w.new_meeting(c, starts_at=MEETING_DAY, motions_deadline=None, now=NOW)


def _proposal_form(**over):
    data = {
        "amends": "",
        "title": "Paint the hall",
        "wording": "That the community hall be painted green.",
        "threshold": "other",
        "share": "2/3",
        "seconder": "4",
    }
    return {**data, **over}


def _token(client) -> str:
    page = get_page(client, "/account/")
    return page.select_one("input[name=csrf_token]")["value"]


def _sign_out(client) -> None:
    client.post("/auth/sign-out", data={"csrf_token": _token(client)})


def test_a_member_proposes_a_motion_their_seconder_seconds_it_and_it_is_on_the_agenda(
    client, db, c
):
    meeting = _draft(c)
    proposer = w.account_for(c, c.members[2])
    seconder = w.account_for(c, c.members[3])
    sign_in(client, proposer.email, PASSWORD)
    page = get_page(client, url(c, meeting, "/vote"))
    propose = page.select_one("#propose")["href"]
    response = submit(client, propose, _proposal_form())
    assert response.status_code == 302
    proposal = db.session.scalar(select(MotionProposal))
    assert response.headers["Location"].endswith(url(c, meeting, f"/proposals/{proposal.id}"))
    page = get_page(client, response.headers["Location"])
    assert page.select_one("h1").get_text() == "Paint the hall"
    assert "Waiting for the seconder" in page.select_one("#proposal").get_text()
    assert page.select_one("#proposer-actions") and not page.select_one("#seconder-actions")
    page = get_page(client, url(c, meeting, "/vote"))
    assert "Waiting for the seconder" in page.select_one("#own-proposals").get_text()
    assert page.select_one("#to-second") is None
    assert count(db, MeetingItem) == 0
    _sign_out(client)

    # The officers see it waiting, not on the agenda.
    sign_in(client, c.officer.email, PASSWORD)
    page = get_page(client, url(c, meeting))
    row = page.select_one(f"#proposal-{proposal.id}").get_text(" ", strip=True)
    assert "Paint the hall" in row and "Member 3" in row and "Member 4" in row
    assert page.select_one("#agenda") is None
    _sign_out(client)

    # The seconder finds it on their account page and their meeting page, and seconds it.
    sign_in(client, seconder.email, PASSWORD)
    waiting = get_page(client, "/account/").select("#to-second li")
    assert len(waiting) == 1 and "proposed by Member 3" in waiting[0].get_text()
    link = waiting[0].select_one("a")["href"]
    assert link == url(c, meeting, f"/proposals/{proposal.id}")
    page = get_page(client, url(c, meeting, "/vote"))
    assert page.select_one("#to-second a")["href"] == link
    page = get_page(client, link)
    assert page.select_one("#seconder-actions") and not page.select_one("#proposer-actions")
    second = url(c, meeting, f"/proposals/{proposal.id}/second")
    assert page.select_one(f'form[action="{second}"]')
    response = post(client, link, second)
    assert response.status_code == 302
    page = get_page(client, response.headers["Location"])
    assert "You have seconded the motion: it is on the agenda" in page.get_text()
    assert "Seconded: on the agenda" in page.select_one("#proposal").get_text()
    assert page.select_one("#seconder-actions") is None
    assert get_page(client, "/account/").select_one("#to-second") is None
    # Seconding again (a page left open) is refused, saying why, with nothing more tabled.
    response = client.post(second, data={"csrf_token": _token(client)})
    page = get_page(client, response.headers["Location"])
    assert "This motion has been seconded: it is on the agenda." in page.get_text()
    assert count(db, MeetingItem) == 1
    _sign_out(client)

    # On the agenda, as the officers table a motion.
    sign_in(client, c.officer.email, PASSWORD)
    page = get_page(client, url(c, meeting))
    item = db.session.scalar(select(MeetingItem))
    row = page.select_one(f"#agenda #item-{item.id}").get_text(" ", strip=True)
    assert "Paint the hall" in row and "Member 3, Member 4" in row
    assert page.select_one("#proposals") is None
    assert (item.threshold_numerator, item.threshold_denominator) == (2, 3)


def test_a_bad_proposal_form_gets_its_messages_and_creates_nothing(client, db, c):
    meeting = _draft(c)
    user = w.account_for(c, c.members[2])
    sign_in(client, user.email, PASSWORD)
    propose = url(c, meeting, "/propose")
    before = (count(db, MotionProposal), count(db, AuditEvent))
    response = submit(client, propose, _proposal_form(title="", wording="", seconder=""))
    assert response.status_code == 200
    errors = error_messages(soup(response))
    assert errors["title"] == "Enter the motion's title"
    assert errors["wording"] == "Enter the wording of the motion"
    assert errors["seconder"] == "Enter the member number of the member who seconds it"
    response = submit(client, propose, _proposal_form(seconder="3"))
    assert error_messages(soup(response))["seconder"] == (
        "The seconder must be a different member from the proposer."
    )
    response = submit(client, propose, _proposal_form(seconder="77"))
    assert error_messages(soup(response))["seconder"] == (
        "No member numbered 77 is on the register of Hollins Housing."
    )
    response = submit(client, propose, _proposal_form(share="1/3"))
    assert error_messages(soup(response))["share"].startswith("The share must be between")
    response = submit(client, propose, _proposal_form(threshold="most"))
    assert "threshold" in error_messages(soup(response))
    assert (count(db, MotionProposal), count(db, AuditEvent)) == before


def test_only_the_proposer_and_seconder_see_a_proposal_and_the_seconder_declines_it(client, db, c):
    meeting = _draft(c)
    proposer = w.account_for(c, c.members[2])
    seconder = w.account_for(c, c.members[3])
    other = w.account_for(c, c.members[5])
    proposal = motions.propose_motion(
        db.session,
        meeting,
        actor=proposer,
        title="Paint the hall",
        wording="That the hall be painted.",
        threshold="ordinary",
        seconder_number="4",
        now=NOW,
    )
    db.session.commit()
    page_url = url(c, meeting, f"/proposals/{proposal.id}")
    sign_in(client, other.email, PASSWORD)
    get_page(client, page_url, status=403)
    # Through another meeting of the organisation: not found.
    elsewhere = _draft(c)
    get_page(client, url(c, elsewhere, f"/proposals/{proposal.id}"), status=404)
    before = count(db, AuditEvent)
    token = _token(client)
    for action in ("second", "decline", "withdraw"):
        response = client.post(f"{page_url}/{action}", data={"csrf_token": token})
        assert response.status_code == 403, action
    assert count(db, AuditEvent) == before
    _sign_out(client)

    sign_in(client, seconder.email, PASSWORD)
    response = post(client, page_url, page_url + "/decline")
    page = get_page(client, response.headers["Location"])
    assert "Declined by the seconder" in page.select_one("#proposal").get_text()
    db.session.expire_all()
    assert db.session.get(MotionProposal, proposal.id).state is ProposalState.DECLINED
    assert count(db, MeetingItem) == 0
