"""Two-factor sign-in, through the forms: staff enrol an authenticator before anything else and
prove a code at each sign-in; a code works once; recovery codes work once each; wrong codes
are limited per account; an administrator resets a colleague's second factor (audited);
residents may opt in; the demo's staff sign in with the printed secret."""

from __future__ import annotations

import time

import pyotp
from flask import current_app
from sqlalchemy import func, select

from app.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from app.workflow.models import AuditEvent, RecoveryCode, Role, SignIn, User
from tests.app import pages
from tests.app.pages import error_messages, soup
from tests.app.web.test_sessions import fresh, signed_in
from tests.factories import PASSWORD, create_user


def submit(client, url: str, data: dict, **kwargs):
    """The form on ``url`` sent, in an app context of its own (see test_sessions)."""
    with current_app.app_context():
        return pages.submit(client, url, data, **kwargs)


def get_page(client, url: str, status: int = 200):
    with current_app.app_context():
        return pages.get_page(client, url, status)


def password_step(client, email: str, password: str = PASSWORD):
    return submit(client, "/auth/sign-in", {"email": email, "password": password})


def unused_code(secret: str, last_step: int | None) -> str:
    totp = pyotp.TOTP(secret)
    while True:
        step = totp.timecode(time.time())
        for candidate in (step, step + 1):
            if last_step is None or candidate > last_step:
                return totp.generate_otp(candidate)
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)


def reload(db, user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def enrol(client, db, user: User) -> list[str]:
    """Enrol through the set-up page (after the password); the recovery codes shown."""
    page = get_page(client, "/auth/two-factor/set-up")
    secret = "".join(page.select_one("#totp-secret").get_text().split())
    response = submit(client, "/auth/two-factor/set-up", {"code": unused_code(secret, None)})
    assert response.headers["Location"].endswith("/auth/two-factor/recovery-codes")
    codes = get_page(client, "/auth/two-factor/recovery-codes")
    return [c.get_text() for c in codes.select("#recovery-codes code")]


def test_staff_enrol_an_authenticator_before_they_are_signed_in(app, client, db, lambeth):
    response = password_step(client, lambeth.officer.email)
    assert response.headers["Location"].endswith("/auth/two-factor/set-up")
    # The password alone signs nobody in: staff pages send them to sign in.
    assert fresh(app, client, "GET", "/officers/lambeth").status_code == 302
    assert fresh(app, client, "GET", "/account/").status_code == 302
    page = get_page(client, "/auth/two-factor/set-up")
    svg = page.select_one("#qr-code svg")
    assert svg is not None and svg.get("role") == "img" and svg.select_one("title")
    assert not page.select("#qr-code img, script[src]:not([src^='/static/'])")
    secret = "".join(page.select_one("#totp-secret").get_text().split())
    assert secret == reload(db, lambeth.officer).totp_secret and len(secret) == 32
    # The same secret on a reload: the app may have scanned it already.
    again = get_page(client, "/auth/two-factor/set-up")
    assert "".join(again.select_one("#totp-secret").get_text().split()) == secret
    wrong = submit(client, "/auth/two-factor/set-up", {"code": "000000"})
    assert wrong.status_code == 200
    assert error_messages(soup(wrong))["code"].startswith("The code is not right")
    assert reload(db, lambeth.officer).totp_confirmed_at is None
    letters = submit(client, "/auth/two-factor/set-up", {"code": "12345a"})
    assert error_messages(soup(letters))["code"] == "The code is 6 digits, like 123456"
    response = submit(client, "/auth/two-factor/set-up", {"code": unused_code(secret, None)})
    assert response.headers["Location"].endswith("/auth/two-factor/recovery-codes")
    shown = get_page(client, "/auth/two-factor/recovery-codes")
    codes = [c.get_text() for c in shown.select("#recovery-codes code")]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes}
    # Shown once: a reload shows how many are left, not the codes.
    later = get_page(client, "/auth/two-factor/recovery-codes")
    assert not later.select("#recovery-codes") and "10 unused recovery codes" in later.get_text()
    assert fresh(app, client, "GET", "/officers/lambeth").status_code == 200
    officer = reload(db, lambeth.officer)
    assert officer.totp_confirmed_at is not None


def test_an_enrolled_account_proves_a_code_at_each_sign_in_and_no_code_works_twice(
    app, db, lambeth
):
    first = app.test_client()
    password_step(first, lambeth.officer.email)
    enrol(first, db, lambeth.officer)
    secret = reload(db, lambeth.officer).totp_secret

    client = app.test_client()
    response = submit(
        client,
        "/auth/sign-in?next=/officers/lambeth/staff",
        {"email": lambeth.officer.email, "password": PASSWORD},
    )
    assert response.headers["Location"].endswith("/auth/two-factor")
    assert fresh(app, client, "GET", "/officers/lambeth").status_code == 302
    wrong = submit(client, "/auth/two-factor", {"code": "123456"})
    assert wrong.status_code == 200 and "The code is not right" in wrong.get_data(as_text=True)
    code = unused_code(secret, reload(db, lambeth.officer).totp_last_step)
    proven = submit(client, "/auth/two-factor", {"code": code})
    assert proven.headers["Location"] == "/officers/lambeth/staff"  # where they were going
    assert fresh(app, client, "GET", "/officers/lambeth").status_code == 200

    # Someone who saw that code (over a shoulder, from a phishing page) cannot use it.
    thief = app.test_client()
    password_step(thief, lambeth.officer.email)
    replay = submit(thief, "/auth/two-factor", {"code": code})
    assert replay.status_code == 200
    assert "That code has already been used" in error_messages(soup(replay))["code"]
    assert fresh(app, thief, "GET", "/officers/lambeth").status_code == 302


def test_recovery_codes_stand_in_for_the_authenticator_once_each(app, db, lambeth):
    client = app.test_client()
    password_step(client, lambeth.auditor.email)
    codes = enrol(client, db, lambeth.auditor)
    other = app.test_client()
    password_step(other, lambeth.auditor.email)
    typed = codes[0].lower().replace("-", " ")  # as read from paper
    response = submit(other, "/auth/two-factor", {"code": typed})
    assert response.status_code == 302
    page = soup(fresh(app, other, "GET", "/auditors/lambeth"))
    assert "You used a recovery code: 9 left" in page.get_text()
    third = app.test_client()
    password_step(third, lambeth.auditor.email)
    again = submit(third, "/auth/two-factor", {"code": codes[0]})
    assert "it has already been used" in error_messages(soup(again))["code"]
    assert not signed_in(app, third)


def test_wrong_codes_are_limited_per_account_whatever_the_address(app, db, lambeth):
    # Four tries per account: the set-up's code is one of them.
    app.config["TWO_FACTOR_ACCOUNT_RATE_LIMIT"] = "4 per 15 minutes"
    client = app.test_client()
    password_step(client, lambeth.officer.email)
    enrol(client, db, lambeth.officer)
    answers = []
    for n in range(5):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        password_step(browser, lambeth.officer.email)
        answers.append(submit(browser, "/auth/two-factor", {"code": "000000"}))
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert "Too many tries: try again in 15 minutes" in answers[-1].get_data(as_text=True)
    # Another account's codes are not held up.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    password_step(other, lambeth.auditor.email)
    enrol(other, db, lambeth.auditor)


def test_an_administrator_resets_a_colleagues_second_factor_and_it_is_audited(app, db, lambeth):
    admin = create_user(email="admin@lambeth.example", roles={lambeth.council: Role.ADMIN})
    create_user(email="admin@liverpool.example", roles={lambeth.liverpool: Role.ADMIN})
    db.session.commit()
    officer_browser = app.test_client()
    password_step(officer_browser, lambeth.officer.email)
    enrol(officer_browser, db, lambeth.officer)
    admin_browser = app.test_client()
    password_step(admin_browser, admin.email)
    enrol(admin_browser, db, admin)

    page = get_page(admin_browser, "/officers/lambeth/staff")
    rows = {" ".join(r.get_text(" ").split()) for r in page.select("#staff tbody tr")}
    assert any(r.startswith("Priya officer@lambeth.example Officer Set up") for r in rows)
    assert not any("resident@lambeth.example" in r for r in rows)

    url = f"/officers/lambeth/staff/{lambeth.officer.id}/reset-two-factor"
    response = submit(admin_browser, "/officers/lambeth/staff", {}, post_to=url)
    assert response.status_code == 302
    officer = reload(db, lambeth.officer)
    assert officer.totp_secret is None and officer.totp_confirmed_at is None
    assert (
        db.session.scalar(
            select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == officer.id)
        )
        == 0
    )
    assert not signed_in(app, officer_browser)
    assert db.session.scalars(
        select(SignIn.ended_reason).where(SignIn.user_id == officer.id)
    ).all() == ["two_factor_reset"]
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.two_factor_reset")
    ).all()
    assert (event.actor_id, event.council_id, event.subject_id) == (
        admin.id,
        lambeth.council.id,
        officer.id,
    )
    # Their next sign-in enrols a new authenticator.
    again = password_step(app.test_client(), officer.email)
    assert again.headers["Location"].endswith("/auth/two-factor/set-up")


def test_resets_are_refused_for_oneself_other_councils_and_non_administrators(app, db, lambeth):
    admin = create_user(email="admin@lambeth.example", roles={lambeth.council: Role.ADMIN})
    db.session.commit()
    admin_browser = app.test_client()
    password_step(admin_browser, admin.email)
    enrol(admin_browser, db, admin)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    def reset(browser, council: str, user: User):
        return submit(
            browser,
            "/account/",
            {},
            post_to=f"/officers/{council}/staff/{user.id}/reset-two-factor",
            form_selector="form[action$='sign-out-everywhere']",
        )

    own = reset(admin_browser, "lambeth", admin)
    assert own.status_code == 302
    page = soup(fresh(app, admin_browser, "GET", own.headers["Location"]))
    assert "You cannot reset your own second factor" in page.get_text()
    assert reload(db, admin).totp_confirmed_at is not None
    # Liverpool's officer: not Lambeth's staff, and this admin has no role in Liverpool.
    assert reset(admin_browser, "lambeth", lambeth.scouse).status_code == 404
    assert reset(admin_browser, "liverpool", lambeth.scouse).status_code == 403
    # A resident of Lambeth is not a colleague.
    assert reset(admin_browser, "lambeth", lambeth.resident).status_code == 404
    officer_browser = app.test_client()
    password_step(officer_browser, lambeth.officer.email)
    enrol(officer_browser, db, lambeth.officer)
    assert reset(officer_browser, "lambeth", admin).status_code == 403
    assert fresh(app, officer_browser, "GET", "/officers/lambeth/staff").status_code == 403
    after = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert after == before  # no reset was recorded: none happened
    assert reload(db, admin).totp_confirmed_at is not None


def test_a_resident_may_opt_in_and_then_proves_a_code_too(app, db, lambeth):
    client = app.test_client()
    assert password_step(client, lambeth.resident.email).status_code == 302
    page = soup(fresh(app, client, "GET", "/account/"))
    assert page.select_one("#two-factor-status").get_text().startswith("Off")
    elsewhere = app.test_client()
    password_step(elsewhere, lambeth.resident.email)
    enrol(client, db, lambeth.resident)
    page = soup(fresh(app, client, "GET", "/account/"))
    assert page.select_one("#two-factor-status").get_text().startswith("On")
    # The browser that proved only a password is signed out; this one stays in.
    assert not signed_in(app, elsewhere)
    assert signed_in(app, client)
    later = app.test_client()
    assert (
        password_step(later, lambeth.resident.email)
        .headers["Location"]
        .endswith("/auth/two-factor")
    )
    assert not signed_in(app, later)


def test_the_demo_staff_sign_in_with_the_printed_secret(app, runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert DEMO_TOTP_SECRET in result.output
    assert f"pyotp.TOTP('{DEMO_TOTP_SECRET}').now()" in result.output
    client = app.test_client()
    response = password_step(client, "officer.lambeth@devolve.example", DEMO_PASSWORD)
    assert response.headers["Location"].endswith("/auth/two-factor")
    code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    assert submit(client, "/auth/two-factor", {"code": code}).status_code == 302
    assert fresh(app, client, "GET", "/officers/lambeth").status_code == 200
    # Demo residents keep one step.
    resident = app.test_client()
    assert (
        password_step(resident, "resident@devolve.example", DEMO_PASSWORD)
        .headers["Location"]
        .endswith("/")
    )


def test_a_password_proven_long_ago_does_not_wait_for_its_code_forever(app, db, lambeth):
    from datetime import timedelta

    from sqlalchemy import update

    from ballots.db import utcnow

    client = app.test_client()
    password_step(client, lambeth.officer.email)
    enrol(client, db, lambeth.officer)
    later = app.test_client()
    password_step(later, lambeth.officer.email)
    db.session.execute(
        update(SignIn)
        .where(SignIn.two_factor_at.is_(None))
        .values(created_at=utcnow() - timedelta(minutes=11))
    )
    db.session.commit()
    code = unused_code(reload(db, lambeth.officer).totp_secret, None)
    response = submit(later, "/auth/sign-in", {"code": code}, post_to="/auth/two-factor")
    assert response.status_code == 302
    assert "/auth/sign-in" in response.headers["Location"]
    page = soup(fresh(app, later, "GET", response.headers["Location"]))
    assert "Your sign-in was not finished in time: sign in again" in page.get_text()
    assert not signed_in(app, later)


def test_the_demo_with_its_printed_secrets_is_refused_in_production(app, runner, db):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "seed-demo is for development only" in result.output
    assert DEMO_TOTP_SECRET not in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
