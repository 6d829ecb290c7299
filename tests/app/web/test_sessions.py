"""Sessions end on the server: signing out, signing out everywhere, a new password and too long
without activity each end them at once, whatever copy of the cookie is kept.

Each request after signing in runs in an app context of its own, as on a server: the test's
context would otherwise keep the signed-in person in ``g`` from one request to the next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import event, select, update

from app.web import sessions
from app.web.extensions import db as _db
from app.workflow import accounts, sign_ins
from app.workflow.models import SignIn, User
from ballots.db import utcnow
from tests.app.pages import csrf_token, sign_in, soup
from tests.factories import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def fresh(app, client, method: str, url: str, **kwargs):
    """One request in its own app context, as a server runs it."""
    with app.app_context():
        response = client.open(url, method=method, **kwargs)
        response.get_data()
        return response


def signed_in(app, client) -> bool:
    response = fresh(app, client, "GET", "/account/")
    return response.status_code == 200


def copy_of(app, client):
    """Another browser holding the same cookie (an attacker who copied it, say)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def post_form(app, client, page: str, action: str):
    with app.app_context():
        token = csrf_token(client, page, f"form[action='{action}']")
    return fresh(app, client, "POST", action, data={"csrf_token": token})


def rows(db, user) -> list[SignIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(SignIn).where(SignIn.user_id == user.id)))


def test_signing_out_ends_the_session_so_a_replayed_cookie_opens_nothing(app, db, lambeth):
    client = app.test_client()
    assert sign_in(client, lambeth.resident.email, PASSWORD).status_code == 302
    stolen = copy_of(app, client)
    assert signed_in(app, stolen)
    response = post_form(app, client, "/account/", "/auth/sign-out")
    assert response.status_code == 302
    assert not signed_in(app, client)
    replayed = fresh(app, stolen, "GET", "/account/")
    assert replayed.status_code == 302
    assert "/auth/sign-in" in replayed.headers["Location"]
    [row] = rows(db, lambeth.resident)
    assert row.ended_reason == "signed_out" and row.ended_at is not None


def test_a_replayed_staff_cookie_after_sign_out_opens_no_staff_page(app, db, lambeth):
    client = app.test_client()
    assert sign_in(client, lambeth.auditor.email, PASSWORD).status_code == 302
    stolen = copy_of(app, client)
    assert fresh(app, stolen, "GET", "/auditors/lambeth").status_code == 200
    post_form(app, client, "/account/", "/auth/sign-out")
    assert fresh(app, stolen, "GET", "/auditors/lambeth").status_code == 302


def test_the_remember_cookie_dies_with_the_session(app, db, lambeth):
    client = app.test_client()
    sign_in(client, lambeth.resident.email, PASSWORD)
    cookie = client.get_cookie("session").value
    token = app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
    post_form(app, client, "/account/", "/auth/sign-out")
    # Flask-Login's remember-me cookie would carry the same token: it signs nobody in either.
    remembered = app.test_client()
    remembered.set_cookie("remember_token", encode_cookie(token))
    assert not signed_in(app, remembered)
    # Whereas a live one would (so the check above can fail).
    live = app.test_client()
    sign_in(live, lambeth.resident.email, PASSWORD)
    cookie = live.get_cookie("session").value
    token = app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
    other = app.test_client()
    other.set_cookie("remember_token", encode_cookie(token))
    assert signed_in(app, other)


def test_the_account_page_lists_sessions_and_signs_out_everywhere(app, db, lambeth):
    laptop, phone = app.test_client(), app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = FIREFOX
    phone.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    )
    sign_in(laptop, lambeth.resident.email, PASSWORD)
    sign_in(phone, lambeth.resident.email, PASSWORD)
    page = soup(fresh(app, laptop, "GET", "/account/"))
    listed = [" ".join(r.get_text().split()) for r in page.select("#sign-ins tbody tr")]
    assert len(listed) == 2
    assert any(r.startswith("Firefox on Windows This browser") for r in listed)
    assert any(r.startswith("Safari on iPhone") and "This browser" not in r for r in listed)
    # Without its CSRF token the button does nothing.
    fresh(app, laptop, "POST", "/account/sign-out-everywhere", data={})
    assert signed_in(app, phone) and signed_in(app, laptop)
    response = post_form(app, laptop, "/account/", "/account/sign-out-everywhere")
    assert response.status_code == 302
    assert "/auth/sign-in" in response.headers["Location"]
    assert not signed_in(app, laptop)
    assert not signed_in(app, phone)
    assert {r.ended_reason for r in rows(db, lambeth.resident)} == {"everywhere"}


def test_a_password_reset_ends_every_session_of_the_account(app, db, lambeth):
    elsewhere, other_account = app.test_client(), app.test_client()
    sign_in(elsewhere, lambeth.resident.email, PASSWORD)
    sign_in(other_account, lambeth.neighbour.email, PASSWORD)
    with app.test_request_context():
        token = accounts.password_reset_token(sessions.policy(), lambeth.resident)
    browser = app.test_client()
    url = f"/auth/reset-password/{token}"
    with app.app_context():
        csrf = csrf_token(browser, url)
    new = "a brand new password"
    response = fresh(
        app,
        browser,
        "POST",
        url,
        data={"csrf_token": csrf, "password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert not signed_in(app, elsewhere)
    assert signed_in(app, other_account)  # someone else's account is untouched
    assert {r.ended_reason for r in rows(db, lambeth.resident)} == {"password_reset"}


def age(db, user, by: timedelta) -> None:
    """Make the account's sign-ins look unused for ``by``."""
    db.session.execute(
        update(SignIn).where(SignIn.user_id == user.id).values(last_seen_at=utcnow() - by)
    )
    db.session.commit()


def test_a_staff_session_ends_after_its_idle_minutes_and_says_so(app, db, lambeth):
    client = app.test_client()
    sign_in(client, lambeth.officer.email, PASSWORD)
    age(db, lambeth.officer, timedelta(minutes=29))
    assert fresh(app, client, "GET", "/officers/lambeth").status_code == 200
    age(db, lambeth.officer, timedelta(minutes=31))
    response = fresh(app, client, "GET", "/officers/lambeth")
    assert response.status_code == 302
    page = soup(fresh(app, client, "GET", response.headers["Location"]))
    banners = [" ".join(b.get_text().split()) for b in page.select(".govuk-notification-banner")]
    assert banners == ["Important You were signed out after 30 minutes without activity"]
    assert [r.ended_reason for r in rows(db, lambeth.officer)] == ["idle"]
    # Signed in again, the page opens: the message was about the ended session only.
    sign_in(client, lambeth.officer.email, PASSWORD)
    assert fresh(app, client, "GET", "/officers/lambeth").status_code == 200


def test_a_resident_session_lasts_longer_and_its_limit_is_a_setting(app, db, lambeth):
    client = app.test_client()
    sign_in(client, lambeth.resident.email, PASSWORD)
    age(db, lambeth.resident, timedelta(hours=5))
    assert signed_in(app, client)
    age(db, lambeth.resident, timedelta(days=15))
    response = fresh(app, client, "GET", "/account/")
    assert response.status_code == 302
    page = soup(fresh(app, client, "GET", response.headers["Location"]))
    assert "You were signed out after 14 days without activity" in page.get_text()
    app.config["STAFF_SESSION_IDLE_MINUTES"] = 5
    officer = app.test_client()
    sign_in(officer, lambeth.officer.email, PASSWORD)
    age(db, lambeth.officer, timedelta(minutes=6))
    assert fresh(app, officer, "GET", "/officers/lambeth").status_code == 302


class Updates:
    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, conn, cursor, statement, *args) -> None:  # noqa: ARG002
        if statement.lstrip().upper().startswith("UPDATE SIGN_INS"):
            self.seen += 1


def test_last_used_is_written_at_most_once_a_minute(app, db, lambeth):
    client = app.test_client()
    sign_in(client, lambeth.resident.email, PASSWORD)
    updates = Updates()
    event.listen(_db.engine, "before_cursor_execute", updates)
    try:
        for _ in range(5):
            assert signed_in(app, client)
        assert updates.seen == 0
        age(db, lambeth.resident, timedelta(minutes=2))
        updates.seen = 0  # (that was the test's own UPDATE)
        for _ in range(5):
            assert signed_in(app, client)
        assert updates.seen == 1
    finally:
        event.remove(_db.engine, "before_cursor_execute", updates)
    [row] = rows(db, lambeth.resident)
    assert utcnow() - row.last_seen_at < timedelta(seconds=30)


def test_a_cookie_naming_no_sign_in_signs_nobody_in(app, db, lambeth):
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = db.session.scalar(
            select(User.session_token).where(User.id == lambeth.resident.id)
        )
    assert not signed_in(app, client)


@pytest.mark.parametrize(
    ("agent", "summary"),
    [
        (FIREFOX, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge on Windows",
        ),
        ("curl/8.5.0", "An unknown browser"),
        (None, "An unknown browser"),
    ],
)
def test_the_browser_summary_names_the_browser_and_system_only(agent, summary):
    assert sign_ins.browser_summary(agent) == summary


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(app, db, lambeth):
    here, there = app.test_client(), app.test_client()
    sign_in(here, lambeth.resident.email, PASSWORD)
    sign_in(there, lambeth.resident.email, PASSWORD)
    with app.app_context():
        token = csrf_token(here, "/account/password")
    new = "a much longer password"
    wrong = fresh(
        app,
        here,
        "POST",
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "not it",
            "password": new,
            "confirm_password": new,
        },
    )
    assert "Your current password is not right" in wrong.get_data(as_text=True)
    assert signed_in(app, there)
    response = fresh(
        app,
        here,
        "POST",
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "password": new,
            "confirm_password": new,
        },
    )
    assert response.status_code == 302
    assert signed_in(app, here)
    assert not signed_in(app, there)
    assert sorted(r.ended_reason or "" for r in rows(db, lambeth.resident)) == [
        "",
        "password_changed",
    ]
    assert (
        accounts.authenticate(db.session, sessions.policy(), lambeth.resident.email, new)
        is not None
    )


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, *args) -> None:  # noqa: ARG002
        self.seen.append(" ".join(statement.split()))


def test_a_signed_in_request_finds_its_sign_in_account_and_roles_in_one_statement(app, db, lambeth):
    client = app.test_client()
    sign_in(client, lambeth.officer.email, PASSWORD)
    seen = Statements()
    event.listen(_db.engine, "before_cursor_execute", seen)
    try:
        assert fresh(app, client, "GET", "/councils/lambeth").status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", seen)
    touching = [s for s in seen.seen if "sign_ins" in s]
    assert len(touching) == 1 and touching[0].startswith("SELECT")
    assert "FROM sign_ins JOIN users" in touching[0] and "memberships" in touching[0]
    assert not [s for s in seen.seen if s.startswith("SELECT") and "FROM users" in s]


def test_0011_upgrades_and_downgrades(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from tests.app.workflow.test_migrations import database_at

    with database_at(tmp_path, "0010"):
        upgrade(revision="0011_sessions_two_factor")
        inspector = inspect(_db.engine)
        assert {"sign_ins", "recovery_codes"} <= set(inspector.get_table_names())
        assert "totp_secret" in {c["name"] for c in inspector.get_columns("users")}
        downgrade(revision="0010")
        inspector = inspect(_db.engine)
        assert not {"sign_ins", "recovery_codes"} & set(inspector.get_table_names())
        assert "totp_secret" not in {c["name"] for c in inspector.get_columns("users")}
        upgrade(revision="0011_sessions_two_factor")
