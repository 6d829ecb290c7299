"""Exactly once at a decision-day event, by the database: one check-in token used at 200 kiosks
at once, and a token used at kiosks while the same person casts online, against a real
gunicorn with several worker processes, store one ballot.

Runs on a SQLite file and, when DATABASE_URL is set, on PostgreSQL (as test_concurrency.py).
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from app.web.extensions import db as _db
from app.workflow import events
from app.workflow.clock import london_today, utcnow
from app.workflow.models import Role
from ballots import box
from ballots.models import Channel, CheckIn, LogEntry, Receipt, StoredBallot, VoterMark
from tests.ballots.helpers import enrol, place, voting_round
from tests.ballots.test_concurrency import WORKERS, Browser, count, server  # noqa: F401
from tests.factories import PASSWORD, create_council, create_user

KIOSKS = 200


def an_event(council, funding_round):
    officer = create_user(email="desk@example.org", roles={council: Role.OFFICER})
    now = utcnow()
    event = events.create_event(
        _db.session,
        funding_round,
        name="Decision day",
        place="Hall",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        pot_ids=[p.id for p in funding_round.pots],
        officer_ids=[officer.id],
        actor=officer,
    )
    _db.session.commit()
    return event, officer


def kiosk_browser(app, port, event, officer) -> Browser:
    """A browser holding a new kiosk's secret in its (signed) session cookie, as the officer's
    "make this device a kiosk" leaves it."""
    _kiosk, secret = events.open_kiosk(_db.session, event, actor=officer, now=utcnow())
    _db.session.commit()
    browser = Browser(port)
    serializer = app.session_interface.get_signing_serializer(app)
    browser.cookies[app.config["SESSION_COOKIE_NAME"]] = serializer.dumps({"kiosk": secret})
    return browser


def csrf_of(browser, path: str) -> str:
    status, _, text = browser.request("GET", path)
    assert status == 200, (path, status)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


def use_token(browser, token: str, pot, csrf: str):
    """Type the token at the kiosk and cast at once: (status of the cast, its page)."""
    status, headers, _ = browser.request(
        "POST", "/kiosk/", urlencode({"csrf_token": csrf, "token": token})
    )
    if status != 303 or not headers.get("Location", "").endswith(f"/kiosk/ballot/{pot.id}"):
        return status, ""
    body = urlencode({"csrf_token": csrf, "choices": [pot.projects[0].id]}, doseq=True)
    status, _, text = browser.request("POST", f"/kiosk/ballot/{pot.id}/cast", body)
    return status, text


def check_one_ballot(db, funding_round, channel=Channel.EVENT) -> None:
    assert count(db, VoterMark) == 1
    assert count(db, StoredBallot) == 1
    assert count(db, Receipt) == 1
    assert count(db, LogEntry) == 2  # the genesis entry and the one ballot
    assert db.session.scalar(select(VoterMark.channel)) == channel
    assert box.verify_log(db.session, funding_round.id) == []


def test_one_token_at_two_hundred_kiosks_at_once_casts_one_ballot(app, db, server):  # noqa: F811
    council = create_council(slug="fair")
    hood = place(council)
    funding_round, paper = voting_round(council)
    entry = enrol(council, hood, reference="FAIR-1")
    event, officer = an_event(council, funding_round)
    token = events.check_in(
        _db.session,
        event,
        entry.id,
        actor=officer,
        key=_key(app),
        now=utcnow(),
        today=london_today(),
    )
    _db.session.commit()
    pot = paper.pots[0]
    browsers = [kiosk_browser(app, server, event, officer) for _ in range(KIOSKS)]
    tokens = [csrf_of(b, "/kiosk/") for b in browsers]
    start = threading.Barrier(KIOSKS)

    def go(i):
        start.wait()
        return use_token(browsers[i], token.code, pot, tokens[i])

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=KIOSKS) as pool:
        results = list(pool.map(go, range(KIOSKS)))
    elapsed = time.monotonic() - began
    statuses = sorted({s for s, _ in results})
    assert all(s < 500 for s, _ in results), statuses
    receipts = [text for s, text in results if s == 200 and 'id="receipt-code"' in text]
    assert len(receipts) == 1, statuses
    check_one_ballot(db, funding_round)
    print(
        f"\n{KIOSKS} kiosks with one token on {db.engine.dialect.name} with {WORKERS} workers: "
        f"{elapsed:.1f}s, statuses {statuses}, 1 ballot"
    )


def test_a_token_at_kiosks_while_the_person_votes_online_casts_one_ballot(app, db, server):  # noqa: F811
    council = create_council(slug="both")
    hood = place(council)
    user = create_user(email="both@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council)
    entry = enrol(council, hood, user=user, reference="BOTH-1")
    event, officer = an_event(council, funding_round)
    pot = paper.pots[0]
    # The resident has their ballot open online before they walk into the event.
    online = Browser(server)
    csrf = online.csrf("/auth/sign-in")
    online.request(
        "POST",
        "/auth/sign-in",
        urlencode({"csrf_token": csrf, "email": "both@example.org", "password": PASSWORD}),
    )
    base = f"/councils/both/rounds/{funding_round.slug}/vote/{pot.id}"
    online_csrf = online.csrf(base)
    online_body = urlencode(
        {"csrf_token": online_csrf, "choices": [pot.projects[1].id]}, doseq=True
    )
    kiosks = [kiosk_browser(app, server, event, officer) for _ in range(20)]
    kiosk_csrf = [csrf_of(b, "/kiosk/") for b in kiosks]
    # Checked in at the desk, they go to a kiosk while the open page is sent many times.
    token = events.check_in(
        _db.session,
        event,
        entry.id,
        actor=officer,
        key=_key(app),
        now=utcnow(),
        today=london_today(),
    )
    _db.session.commit()
    total = len(kiosks) + 40
    start = threading.Barrier(total)

    def go(i):
        start.wait()
        if i < len(kiosks):
            return "kiosk", *use_token(kiosks[i], token.code, pot, kiosk_csrf[i])
        copy = Browser(server)
        copy.cookies = dict(online.cookies)
        status, headers, _ = copy.request("POST", base + "/confirm", online_body)
        return "online", status, headers.get("Location", "")

    with ThreadPoolExecutor(max_workers=total) as pool:
        results = list(pool.map(go, range(total)))
    assert all(s < 500 for _, s, _ in results), sorted({s for _, s, _ in results})
    # Online is refused (checked in: 409), the kiosk casts once.
    assert {s for kind, s, _ in results if kind == "online"} == {409}
    assert sum(1 for kind, s, t in results if kind == "kiosk" and 'id="receipt-code"' in t) == 1
    check_one_ballot(db, funding_round)
    assert count(db, CheckIn) == 1


def _key(app) -> bytes:
    with app.test_request_context():
        from app.web.residents.voting import code_key

        return code_key()
