"""Voting in the room at a general meeting, through the pages officers and members use: the
desk gives a member a voting card (checking them in) shown once as a code and a QR code; an
officer makes a device one of the meeting's kiosks, which then reaches no other page; at the
kiosk a member votes on the motion open now, once, sees the receipt once, and the kiosk goes
back to its start; replaced, taken back and other meetings' cards are refused, as is a closed
item, and wrong codes are limited."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.web.extensions import db as _db
from app.workflow.governance import room
from app.workflow.governance.models import MeetingCard, MeetingKiosk
from app.workflow.models import AuditEvent
from ballots.models import MemberChannel, MemberMark, MemberReceipt
from tests.app import meeting_world as w
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.factories import PASSWORD

K = "/meeting-kiosk"


def desk(meeting) -> str:
    return f"/organisations/{meeting.organisation_id}/meetings/{meeting.id}/room"


def setup(client, db):
    c = w.coop()
    meeting, item = w.ready(c)
    assert sign_in(client, c.officer.email, PASSWORD).status_code == 302
    return c, meeting, item


def give_card(client, meeting, member, action="give"):
    """The card page's response, and the code on it."""
    response = submit(
        client, desk(meeting), {"member_number": member.member_number, "action": action}
    )
    code = soup(response).select_one("#card")
    return response, code.get_text().strip() if code else None


def make_kiosk(client, meeting):
    page = get_page(client, desk(meeting))
    form = page.select_one("form[action$='/room/kiosk']")
    response = client.post(
        form["action"], data={"csrf_token": form.select_one("[name=csrf_token]")["value"]}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(K + "/")


def enter_card(client, code):
    return submit(client, K + "/", {"card": code})


def vote(client, item, choice):
    """From the ballot, through the check, to the receipt: the receipt page's response."""
    url = f"{K}/ballot/{item.id}"
    check = submit(client, url, {"choice": choice})
    assert check.status_code == 200, check.status_code
    page = soup(check)
    form = page.select_one("form[action$='/cast']")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    return client.post(f"{url}/cast", data=data)


def test_the_desk_gives_a_card_once_and_checks_the_member_in(app, client, db):
    c, meeting, item = setup(client, db)
    page = get_page(client, desk(meeting))
    assert page.select_one("form#cards input[name=member_number]") is not None
    response, code = give_card(client, meeting, c.members[2])
    assert response.status_code == 200
    card = soup(response)
    assert len(code) == 19 and card.select_one(".devolve-qr-box svg") is not None
    assert "member 3, now checked in" in card.select_one("#card-for").get_text()
    stored = db.session.scalar(select(MeetingCard))
    assert stored.code_hash == room.card_hash(code) and code not in stored.code_hash
    voter = w.meetings.voter_of(db.session, meeting, c.members[2])
    assert voter.present_at is not None
    # A second card only as a replacement for a lost one; a number with no vote is refused.
    again, _ = give_card(client, meeting, c.members[2])
    assert again.status_code == 422
    assert "already has a voting card" in error_messages(soup(again))["member_number"]
    nobody = submit(client, desk(meeting), {"member_number": "999", "action": "give"})
    assert "no vote at this meeting" in error_messages(soup(nobody))["member_number"]
    assert db.session.scalar(select(func.count()).select_from(MeetingCard)) == 1
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("meeting.card_given") == 1


def test_a_member_votes_at_the_kiosk_once_and_sees_the_receipt_once(app, client, db):
    c, meeting, item = setup(client, db)
    _, code = give_card(client, meeting, c.members[3])
    w.open_item(c, item)
    make_kiosk(client, meeting)
    assert db.session.scalar(select(func.count()).select_from(MeetingKiosk)) == 1
    # The officer is signed out on this device; every other page leads back to the kiosk.
    for path in ("/", "/account/", desk(meeting), "/auth/sign-in", "/kiosk/"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"].endswith(K + "/"), path
    start = get_page(client, K + "/")
    assert start.select_one("input[name=card]") is not None
    assert not start.select("footer a, a[href^='/auth'], a[href^='/organisations']")
    started = enter_card(client, code.lower().replace("-", " "))
    assert started.status_code == 303
    assert started.headers["Location"].endswith(f"{K}/ballot/{item.id}")
    ballot = get_page(client, f"{K}/ballot/{item.id}")
    assert item.body in ballot.select_one("#wording").get_text()
    assert {i["value"] for i in ballot.select("input[name=choice]")} == {
        "for",
        "against",
        "abstain",
    }
    # Back to the start by itself, as the event kiosk does: a refresh only without JavaScript,
    # kiosk.js (with a warning and more time) with it.
    assert ballot.select_one("head > meta[http-equiv=refresh]") is None
    refresh = BeautifulSoup(ballot.select_one("noscript").decode_contents(), "html.parser")
    assert refresh.select_one("meta[http-equiv=refresh]")["content"] == f"300;url={K}/"
    timer = ballot.select_one(".devolve-kiosk-timer")
    assert timer["data-idle-seconds"] == "300" and timer.has_attr("hidden")
    assert (
        client.post(f"{K}/still-here", headers={"X-CSRFToken": timer["data-csrf"]}).status_code
        == 204
    )
    assert "no-store" in client.get(f"{K}/ballot/{item.id}").headers["Cache-Control"]
    # No choice: said why.
    empty = submit(client, f"{K}/ballot/{item.id}", {})
    assert empty.status_code == 422 and "choice" in error_messages(soup(empty))
    receipt = vote(client, item, "for")
    assert receipt.status_code == 200
    page = soup(receipt)
    shown = page.select_one("#receipt-code").get_text().strip()
    assert shown and page.select_one("#finish") is not None
    mark = db.session.scalar(select(MemberMark))
    assert (mark.member_id, mark.channel) == (c.members[3].id, MemberChannel.ROOM)
    assert db.session.scalar(select(func.count()).select_from(MemberReceipt)) == 1
    # Nothing of the member is kept: the kiosk has let go of the card, the receipt is gone.
    kiosk = db.session.scalar(select(MeetingKiosk))
    db.session.refresh(kiosk)
    assert kiosk.card_id is None
    assert client.get(f"{K}/ballot/{item.id}").status_code == 303
    assert shown not in client.get(K + "/").get_data(as_text=True)
    # The same card cannot vote twice on the item.
    twice = enter_card(client, code)
    assert twice.status_code == 409
    assert "You have already voted on" in error_messages(soup(twice))["card"]
    assert db.session.scalar(select(func.count()).select_from(MemberMark)) == 1


def test_replaced_taken_back_and_other_meetings_cards_are_refused(app, client, db):
    c, meeting, item = setup(client, db)
    other = w.new_meeting(c, title="Special meeting")
    w.table(c, other)
    w.give_notice(c, other)
    w.start(c, other)
    _, theirs = give_card(client, other, c.members[4])
    _, lost = give_card(client, meeting, c.members[5])
    replaced, new = give_card(client, meeting, c.members[5], action="replace")
    assert "old card no longer works" in soup(replaced).select_one("#card-for").get_text()
    _, taken = give_card(client, meeting, c.members[6])
    back = submit(client, desk(meeting), {"member_number": "7", "action": "revoke"})
    assert back.status_code == 303
    w.open_item(c, item)
    make_kiosk(client, meeting)
    for code, says in (
        (theirs, "not right"),
        ("AAAA-BBBB-CCCC-DDDD", "not right"),
        (lost, "replaced or taken back"),
        (taken, "replaced or taken back"),
    ):
        refused = enter_card(client, code)
        assert refused.status_code == 422, code
        assert says in error_messages(soup(refused))["card"]
    assert enter_card(client, new).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(MemberMark)) == 0


def test_a_closed_item_refuses_the_kiosk(app, client, db):
    c, meeting, item = setup(client, db)
    _, code = give_card(client, meeting, c.members[7])
    make_kiosk(client, meeting)
    waiting = enter_card(client, code)
    assert waiting.status_code == 409
    assert "No item is open" in error_messages(soup(waiting))["card"]
    w.open_item(c, item)
    assert enter_card(client, code).status_code == 303
    check = submit(client, f"{K}/ballot/{item.id}", {"choice": "against"})
    form = soup(check).select_one("form[action$='/cast']")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    w.close_item(c, item)
    late = client.post(f"{K}/ballot/{item.id}/cast", data=data, follow_redirects=True)
    assert "Voting on this item has closed" in late.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MemberMark)) == 0
    kiosk = db.session.scalar(select(MeetingKiosk))
    db.session.refresh(kiosk)
    assert kiosk.card_id is None


def test_wrong_card_codes_are_limited_at_each_kiosk(app, client, db):
    app.config["KIOSK_WRONG_SLIP_LIMIT"] = "3 per minute"
    c, meeting, item = setup(client, db)
    _, code = give_card(client, meeting, c.members[8])
    w.open_item(c, item)
    make_kiosk(client, meeting)
    statuses = [enter_card(client, f"AAAA-BBBB-CCCC-DDD{n}").status_code for n in range(2, 6)]
    assert statuses == [422, 422, 422, 429]
    # Past the limit even the right card waits: the kiosk takes no more tries for a while.
    assert enter_card(client, code).status_code == 429


def test_a_stopped_kiosk_takes_nothing_and_the_browser_is_ordinary_again(app, client, db):
    c, meeting, item = setup(client, db)
    _, code = give_card(client, meeting, c.members[9])
    w.open_item(c, item)
    make_kiosk(client, meeting)
    kiosk = db.session.scalar(select(MeetingKiosk))
    room.end_kiosk(_db.session, meeting, kiosk.id, actor=c.officer, now=w.ON_THE_DAY)
    _db.session.commit()
    stopped = client.get(K + "/")
    assert stopped.status_code == 410 and "stopped" in stopped.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_a_member_numbers_their_constituencys_candidates_at_the_kiosk(app, client, db):
    from ballots.models import MemberBallot
    from tests.app import election_world as ew
    from tests.app.workflow.test_elections import open_it, ranking_ids

    e = ew.coop()
    e.officer.email = "secretary@hollins.example"
    item = ew.nominated_election(e)
    ew.give_notice(e)
    manifest = open_it(db, e, item)
    assert sign_in(client, e.officer.email, PASSWORD).status_code == 302
    _, code = give_card(client, e.meeting, e.employees[1])
    make_kiosk(client, e.meeting)
    started = enter_card(client, code)
    assert started.headers["Location"].endswith(f"{K}/ballot/{item.id}")
    url = f"{K}/ballot/{item.id}"
    ballot = get_page(client, url)
    assert "1 member in Employee board member" in ballot.select_one("#constituency").get_text()
    employees = manifest["constituencies"][1]["candidates"]
    boxes = [i["name"] for i in ballot.select("main form input[type=text]")]
    assert boxes == [f"c{c['id']}" for c in employees]  # ballot order, this constituency only
    # Numbers that give no order get their message beside the first box; nothing is cast.
    wrong = submit(client, url, {boxes[0]: "1", boxes[1]: "1"})
    assert wrong.status_code == 422
    assert "used more than once" in error_messages(soup(wrong))[boxes[0]]
    # The check shows the order; "change" goes back to the numbers.
    check = submit(client, url, {boxes[0]: "2", boxes[1]: "1"})
    page = soup(check)
    order = [li.get_text(strip=True) for li in page.select("#your-ranking li")]
    assert order == [employees[1]["name"], employees[0]["name"]]
    assert _db.session.scalar(select(func.count()).select_from(MemberBallot)) == 0
    form = page.select_one("form[action$='/cast']")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    receipt = client.post(f"{url}/cast", data=data)
    assert receipt.status_code == 200
    assert soup(receipt).select_one("#receipt-code").get_text(strip=True)
    mark = _db.session.scalar(select(MemberMark))
    assert (mark.member_id, mark.channel) == (e.employees[1].id, MemberChannel.ROOM)
    stored = _db.session.scalar(select(MemberBallot))
    assert json.loads(stored.content) == {"ranking": ranking_ids(manifest, 1, (1, 0))}
    # The same card once more: already voted.
    twice = enter_card(client, code)
    assert twice.status_code == 409
    assert "already voted on Board election" in error_messages(soup(twice))["card"]
