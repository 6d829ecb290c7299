"""Exactly once in the room at a general meeting, by the database: one voting card used at
fifty meeting kiosks at once, against a real gunicorn with several worker processes, stores
one ballot, gives one receipt and keeps the item's log whole.

Runs on a SQLite file and, when DATABASE_URL is set, on PostgreSQL (as test_concurrency.py).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from sqlalchemy import select

from app.web.extensions import db as _db
from app.workflow.clock import utcnow
from app.workflow.governance import room
from ballots import members as box
from ballots.models import MemberBallot, MemberChannel, MemberMark, MemberReceipt
from tests.app import meeting_world as w
from tests.ballots.test_concurrency import Browser, count, server  # noqa: F401

KIOSKS = 50


def kiosk_browser(app, port, meeting, officer) -> Browser:
    """A browser holding a new meeting kiosk's secret in its (signed) session cookie, as the
    officer's "make this device a kiosk" leaves it."""
    _kiosk, secret = room.open_kiosk(_db.session, meeting, actor=officer, now=utcnow())
    _db.session.commit()
    browser = Browser(port)
    serializer = app.session_interface.get_signing_serializer(app)
    browser.cookies[app.config["SESSION_COOKIE_NAME"]] = serializer.dumps({"meeting_kiosk": secret})
    return browser


def csrf_of(browser, path: str) -> str:
    status, _, text = browser.request("GET", path)
    assert status == 200, (path, status)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


def use_card(browser, code: str, item_id: int, csrf: str):
    """Type the card at the kiosk and cast at once: (status of the cast, its page)."""
    status, headers, _ = browser.request(
        "POST", "/meeting-kiosk/", urlencode({"csrf_token": csrf, "card": code})
    )
    if status != 303 or not headers.get("Location", "").endswith(f"/ballot/{item_id}"):
        return status, ""
    body = urlencode({"csrf_token": csrf, "choice": "for"})
    status, _, text = browser.request("POST", f"/meeting-kiosk/ballot/{item_id}/cast", body)
    return status, text


def test_one_card_at_fifty_kiosks_at_once_casts_one_ballot(app, db, server):  # noqa: F811
    c = w.coop()
    meeting, item = w.ready(c)
    w.open_item(c, item)
    card = room.give_card(
        _db.session, meeting, actor=c.officer, member_number="3", now=w.ON_THE_DAY
    )
    _db.session.commit()
    browsers = [kiosk_browser(app, server, meeting, c.officer) for _ in range(KIOSKS)]
    tokens = [csrf_of(b, "/meeting-kiosk/") for b in browsers]
    start = threading.Barrier(KIOSKS)
    item_id, code = item.id, card.code  # read here: the threads have no application context

    def go(i):
        start.wait()
        return use_card(browsers[i], code, item_id, tokens[i])

    with ThreadPoolExecutor(max_workers=KIOSKS) as pool:
        results = list(pool.map(go, range(KIOSKS)))
    statuses = sorted({s for s, _ in results})
    assert all(s < 500 for s, _ in results), statuses
    receipts = [text for s, text in results if s == 200 and 'id="receipt-code"' in text]
    assert len(receipts) == 1, statuses
    assert count(db, MemberMark) == 1
    assert count(db, MemberBallot) == 1
    assert count(db, MemberReceipt) == 1
    assert db.session.scalar(select(MemberMark.channel)) == MemberChannel.ROOM
    assert box.verify_item_log(db.session, item_id) == []
