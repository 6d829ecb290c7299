"""Decision-day events, through the pages officers and voters use: creating an event, the
check-in desk and its token (code and QR code), a kiosk that shows only the ballot, casting
there exactly once, and the check-in keeping the person from voting online or on paper."""

from __future__ import annotations

import re
from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.web.extensions import db as _db
from app.workflow import events
from app.workflow.clock import utcnow
from app.workflow.models import AuditEvent, Event, Kiosk, Role
from ballots.models import Channel, CheckIn, Receipt, VoterMark
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user

M = "/officers/home/rounds/vote"


def setup(db, **config):
    council = create_council(slug="home")
    hood = place(council, "Centre")
    officer = create_user(email="desk@example.org", roles={council: Role.OFFICER})
    other = create_user(email="other@example.org", roles={council: Role.OFFICER})
    resident = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council, **config)
    funding_round.slug = "vote"
    db.session.commit()
    return council, hood, officer, other, resident, funding_round, paper


def an_event(funding_round, officer, *, pots=None, starts=-60, ends=120) -> Event:
    now = utcnow()
    event = events.create_event(
        _db.session,
        funding_round,
        name="Decision day",
        place="Community centre, 1 High Street",
        starts_at=now + timedelta(minutes=starts),
        ends_at=now + timedelta(minutes=ends),
        pot_ids=pots or [p.id for p in funding_round.pots],
        officer_ids=[officer.id],
        actor=officer,
    )
    _db.session.commit()
    return event


def desk(event) -> str:
    return f"{M}/events/{event.id}/desk"


def check_in(client, event, entry):
    """Check the person in at the desk page: the token page, and the token on it."""
    page = soup(client.get(desk(event) + f"?q={entry.reference}"))
    form = page.select_one("#people form")
    response = client.post(
        desk(event),
        data={"csrf_token": form.select_one("[name=csrf_token]")["value"], "entry": entry.id},
    )
    assert response.status_code == 200
    page = soup(response)
    token = page.select_one("#token")
    return page, token.get_text().strip() if token else None


def make_kiosk(client, event):
    page = soup(client.get(f"{M}/events/{event.id}"))
    form = page.select_one("form[action$='/kiosk']")
    response = client.post(
        form["action"], data={"csrf_token": form.select_one("[name=csrf_token]")["value"]}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk/")


def kiosk_token(client, token):
    return submit(client, "/kiosk/", {"token": token})


def vote_at_kiosk(client, pot, choices):
    """From the ballot to the receipt: the receipt page's response."""
    url = f"/kiosk/ballot/{pot.id}"
    check = submit(client, url, {"action": "continue", "choices": choices})
    assert check.status_code == 200, check.status_code
    form = soup(check).select_one("form[action$='/cast']")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    data.setdefault("choices", choices)
    return client.post(f"{url}/cast", data={**data, "choices": choices})


def test_an_officer_creates_an_event_with_its_pots_and_desk(app, client, db):
    council, hood, officer, other, resident, funding_round, paper = setup(db)
    sign_in(client, "desk@example.org", PASSWORD)
    get_page(client, f"{M}/events")
    pot = funding_round.pots[0]
    bad = submit(
        client,
        f"{M}/events",
        {
            "name": "",
            "place": "Hall",
            "day": ["31", "2", "2027"],
            "starts": "25:00",
            "ends": "18:00",
            "pots": [pot.id],
        },
    )
    errors = error_messages(soup(bad))
    assert errors["name"] == "Enter the event's name"
    assert "real date" in errors["day"]
    assert "24-hour clock" in errors["starts"]
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    backwards = submit(
        client,
        f"{M}/events",
        {
            "name": "Decision day",
            "place": "Hall",
            "day": ["14", "3", "2027"],
            "starts": "18:00",
            "ends": "17:00",
            "pots": [pot.id],
            "officers": [officer.id],
        },
    )
    assert (
        error_messages(soup(backwards))["ends_at"]
        if "ends_at" in error_messages(soup(backwards))
        else "must end after it starts" in backwards.get_data(as_text=True)
    )
    created = submit(
        client,
        f"{M}/events",
        {
            "name": "Decision day",
            "place": "Hall, 1 High Street",
            "day": ["14", "3", "2027"],
            "starts": "17:30",
            "ends": "21:00",
            "pots": [pot.id],
            "officers": [officer.id],
        },
    )
    assert created.status_code == 303
    event = db.session.scalar(select(Event))
    # UK time in March 2027 is GMT: 17:30 London is 17:30 UTC.
    assert (event.starts_at.hour, event.starts_at.minute, event.ends_at.hour) == (17, 30, 21)
    assert [p.id for p in event.pots] == [pot.id]
    assert [u.id for u in event.officers] == [officer.id]
    page = get_page(client, created.headers["Location"])
    details = page.select_one("#event-details").get_text()
    assert "Hall, 1 High Street" in details and "Test Person" in details
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "event.created"))
    assert audit.actor_id == officer.id and audit.after["place"] == "Hall, 1 High Street"
    # Not before it starts: no check-ins.
    assert "not taking votes now" in get_page(client, desk(event)).get_text()


def test_check_in_gives_a_token_and_stops_online_voting(app, client, db):
    council, hood, officer, other, resident, funding_round, paper = setup(db)
    entry = enrol(council, hood, user=resident, reference="HOME-7QK2-94XD")
    event = an_event(funding_round, officer)
    sign_in(client, "desk@example.org", PASSWORD)
    # Found by reference however it is typed.
    page = get_page(client, desk(event) + "?q=home 7qk2 94xd")
    assert "HOME-7QK2-94XD" in page.select_one("#people").get_text()
    assert "Nobody on the roll" in get_page(client, desk(event) + "?q=NOBODY").get_text()
    page, token = check_in(client, event, entry)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", token)
    assert page.select_one(".devolve-qr-box svg") is not None  # drawn here, inline
    stored = db.session.scalar(select(CheckIn))
    assert stored.roll_entry_id == entry.id and token.replace("-", "") not in stored.token_hash
    assert stored.pot_ids == str(paper.pots[0].id)
    # The audit trail names the officer and the event, never the person.
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "event.checked_in"))
    assert audit.actor_id == officer.id and "HOME" not in str(audit.after)
    # Twice: refused, nothing changes.
    again = soup(client.get(desk(event) + "?q=HOME-7QK2-94XD"))
    assert "Checked in at Decision day" in again.select_one("#people").get_text()
    response = client.post(
        desk(event),
        data={"csrf_token": again.select_one("[name=csrf_token]")["value"], "entry": entry.id},
        follow_redirects=True,
    )
    assert "already checked in" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    # The resident cannot now vote online.
    client.post(
        "/auth/sign-out", data={"csrf_token": again.select_one("[name=csrf_token]")["value"]}
    )
    sign_in(client, "voter@example.org", PASSWORD)
    pot = paper.pots[0]
    for url in (f"/councils/home/rounds/vote/vote/{pot.id}", "/councils/home/rounds/vote/vote"):
        refused = client.get(url)
        assert refused.status_code == 409
        assert "checked in at a voting event" in refused.get_data(as_text=True)
    posted = client.post(
        f"/councils/home/rounds/vote/vote/{pot.id}/confirm",
        data={"csrf_token": _csrf_of(client, "/account/"), "choices": [pot.projects[0].id]},
    )
    assert posted.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(VoterMark)) == 0


def test_a_kiosk_shows_only_the_ballot_and_casts_once(app, client, db):
    council, hood, officer, other, resident, funding_round, paper = setup(db)
    entry = enrol(council, hood, reference="WALK-IN-1")
    event = an_event(funding_round, officer)
    sign_in(client, "desk@example.org", PASSWORD)
    _, token = check_in(client, event, entry)
    make_kiosk(client, event)
    # The officer is signed out on this device; every other page leads back to the kiosk.
    for path in ("/", "/account/", f"{M}/events/{event.id}", "/auth/sign-in"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk/")
    start = get_page(client, "/kiosk/")
    assert start.select_one("input[name=token]") is not None
    assert not start.select("footer a, .govuk-service-navigation a[href^='/auth']")
    # A wrong token: said why, nothing held.
    wrong = kiosk_token(client, "AAAA-BBBB")
    assert wrong.status_code == 422
    assert "not right" in error_messages(soup(wrong))["token"]
    kiosk = db.session.scalar(select(Kiosk))
    assert kiosk.check_in_id is None
    started = kiosk_token(client, token.lower().replace("-", " "))
    pot = paper.pots[0]
    assert started.headers["Location"].endswith(f"/kiosk/ballot/{pot.id}")
    ballot = get_page(client, f"/kiosk/ballot/{pot.id}")
    # Back to the start by itself: a refresh without JavaScript, kiosk.js (with a warning and
    # more time) with it.
    refresh = BeautifulSoup(ballot.select_one("noscript").decode_contents(), "html.parser")
    assert refresh.select_one("meta[http-equiv=refresh]")["content"] == "300;url=/kiosk/"
    timer = ballot.select_one(".devolve-kiosk-timer")
    assert timer["data-idle-seconds"] == "300" and timer.has_attr("hidden")
    csrf_token = timer["data-csrf"]
    assert client.post("/kiosk/still-here", headers={"X-CSRFToken": csrf_token}).status_code == 204
    # Private: nothing kept by the browser.
    assert "no-store" in client.get(f"/kiosk/ballot/{pot.id}").headers["Cache-Control"]
    a = pot.projects[0].id
    receipt = vote_at_kiosk(client, pot, [a])
    assert receipt.status_code == 200
    page = soup(receipt)
    code = page.select_one("#receipt-code").get_text().strip()
    assert page.select_one(".devolve-print") is not None and page.select_one("#finish")
    mark = db.session.scalar(select(VoterMark))
    assert (mark.roll_entry_id, mark.channel) == (entry.id, Channel.EVENT)
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert code
    # Every ballot on the token is cast: the kiosk has forgotten its voter, and the token
    # is used.
    db.session.refresh(kiosk)
    assert kiosk.check_in_id is None
    used = kiosk_token(client, token)
    assert "has been used" in error_messages(soup(used))["token"]
    assert db.session.scalar(select(func.count()).select_from(VoterMark)) == 1


def test_a_kiosk_forgets_its_voter_after_a_while_and_when_stopped(app, client, db):
    council, hood, officer, other, resident, funding_round, paper = setup(db)
    entry = enrol(council, hood, reference="WALK-IN-2")
    event = an_event(funding_round, officer)
    sign_in(client, "desk@example.org", PASSWORD)
    _, token = check_in(client, event, entry)
    make_kiosk(client, event)
    kiosk_token(client, token)
    kiosk = db.session.scalar(select(Kiosk))
    assert kiosk.check_in_id is not None
    kiosk.idle_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    pot = paper.pots[0]
    response = client.get(f"/kiosk/ballot/{pot.id}", follow_redirects=True)
    assert "went back to its start" in response.get_data(as_text=True)
    db.session.refresh(kiosk)
    assert kiosk.check_in_id is None
    # The token still works for what is left on it.
    assert kiosk_token(client, token).status_code == 303
    # Stopped by an officer elsewhere: the kiosk says so and takes nothing.
    events.end_kiosk(_db.session, event, kiosk.id, actor=officer, now=utcnow())
    _db.session.commit()
    stopped = client.get(f"/kiosk/ballot/{pot.id}")
    assert stopped.status_code == 410
    assert "stopped" in stopped.get_data(as_text=True)
    assert client.get("/").status_code == 200  # an ordinary browser again


def test_desk_refusals_say_why_and_change_nothing(app, client, db):
    council, hood, officer, other, resident, funding_round, paper = setup(db)
    entry = enrol(council, hood, reference="P1")
    event = an_event(funding_round, officer)
    # An officer not at this desk sees the event but cannot check people in.
    sign_in(client, "other@example.org", PASSWORD)
    page = get_page(client, desk(event) + "?q=P1")
    assert page.select_one("#people form") is None
    token = page.select_one("[name=csrf_token]")
    response = client.post(
        desk(event),
        data={"csrf_token": _csrf(client, event), "entry": entry.id},
        follow_redirects=True,
    )
    assert "Only the officers at this event" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    # Unknown and another round's ids.
    assert client.get(f"{M}/events/999999").status_code == 404
    assert client.get(f"{M}/events/{event.id}x").status_code == 404
    other_round, _ = voting_round(council)
    assert (
        client.get(f"/officers/home/rounds/{other_round.slug}/events/{event.id}").status_code == 404
    )
    del token


def _csrf(client, event):
    page = BeautifulSoup(client.get(f"{M}/events/{event.id}").get_data(as_text=True), "html.parser")
    return page.select_one("[name=csrf_token]")["value"]


def test_lost_slip_and_release(app, client, db):
    council, hood, officer, other, resident, funding_round, paper = setup(db)
    entry = enrol(council, hood, user=resident, reference="P1")
    event = an_event(funding_round, officer)
    sign_in(client, "desk@example.org", PASSWORD)
    _, first = check_in(client, event, entry)
    found = db.session.scalar(select(CheckIn))
    csrf = _csrf(client, event)
    base = f"{M}/events/{event.id}/check-ins/{found.id}"
    second = soup(client.post(base + "/token", data={"csrf_token": csrf}))
    new = second.select_one("#token").get_text().strip()
    assert new != first
    assert events.token_hash(first, b"x") != found.token_hash
    released = client.post(base + "/release", data={"csrf_token": csrf}, follow_redirects=True)
    assert "no longer checked in" in released.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"event.token_replaced", "event.check_in_released"} <= actions
    # A closed event takes no more check-ins.
    client.post(f"{M}/events/{event.id}/close", data={"csrf_token": csrf})
    db.session.refresh(event)
    assert event.closed_at is not None
    _, token = check_in_refused(client, event, entry)
    assert token is None


def check_in_refused(client, event, entry):
    page = soup(client.get(desk(event) + f"?q={entry.reference}"))
    assert page.select_one("#people form[action$='/desk']") is None
    return page, None


def _csrf_of(client, url):
    page = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    return page.select_one("[name=csrf_token]")["value"]


def test_after_voting_the_event_page_counts_kiosk_ballots_and_leads_to_the_big_screen(
    app, client, db
):
    from app.workflow.models import Phase

    council, hood, officer, other, resident, funding_round, paper = setup(db)
    entry = enrol(council, hood, reference="P1")
    event = an_event(funding_round, officer)
    sign_in(client, "desk@example.org", PASSWORD)
    _, token = check_in(client, event, entry)
    page = get_page(client, f"{M}/events/{event.id}")
    assert page.select_one("#present-results") is None
    assert "until voting closes" in page.get_text()
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    page = get_page(client, f"{M}/events/{event.id}")
    assert page.select_one("#present-results")["href"].endswith("/results/present")
    assert "0 ballots were cast at kiosks" in page.select_one("#event-ballots").get_text()
