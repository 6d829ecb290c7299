"""Forgotten passwords: a link by email, which works once and for a limited time, through the
forms as a person would use them."""

import re
import smtplib
import time

import pytest
from flask import g
from sqlalchemy import select

from app.web.extensions import mail
from app.workflow.models import AuditEvent, Message, MessageState, User
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.factories import PASSWORD, create_user

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"http://localhost/auth/reset-password/\S+")


@pytest.fixture
def jo(db):
    user = create_user(email="jo@example.org", display_name="Jo Bloggs")
    db.session.commit()
    return user


def ask_for_link(client, email: str):
    """Ask for a reset link: the response and the emails sent."""
    with mail.record_messages() as outbox:
        response = submit(client, "/auth/reset-password", {"email": email})
    return response, outbox


def banner(client, response) -> str:
    page = get_page(client, response.headers["Location"])
    return " ".join(page.select_one(".govuk-notification-banner").get_text().split())


def password_hash(db, email: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.email == email))


def test_a_link_by_email_lets_you_choose_a_new_password_once(client, db, jo, caplog):
    sign_in_page = get_page(client, "/auth/sign-in")
    link_to_reset = sign_in_page.find("a", string="Forgotten your password?")
    assert link_to_reset["href"] == "/auth/reset-password"

    response, outbox = ask_for_link(client, "  JO@Example.org ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/sign-in")
    assert banner(client, response) == (
        "Success If jo@example.org has an account, we have sent it a link to choose a new "
        "password. The link works for 1 hour."
    )
    [message] = outbox
    assert message.recipients == ["jo@example.org"]
    assert message.subject == "Choose a new password for Devolve"
    assert message.body.startswith("Hello Jo Bloggs,")
    link = LINK.search(message.body).group()
    # Without a mail server nothing is sent: the message is in the log for developers.
    assert link in caplog.text

    page = get_page(client, link)
    assert page.h1.get_text(strip=True) == "Choose a new password"
    before = password_hash(db, "jo@example.org")
    mismatched = submit(
        client, link, {"password": NEW_PASSWORD, "confirm_password": "something else"}
    )
    assert mismatched.status_code == 200
    assert error_messages(soup(mismatched)) == {"confirm_password": "The passwords do not match"}
    short = submit(client, link, {"password": "short", "confirm_password": "short"})
    assert error_messages(soup(short))["password"] == (
        "Password must be between 10 and 256 characters"
    )
    assert password_hash(db, "jo@example.org") == before

    done = submit(client, link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert banner(client, done) == (
        "Success Your password has been changed. Sign in with your new password."
    )
    assert sign_in(client, "jo@example.org", PASSWORD).status_code == 200
    assert sign_in(client, "jo@example.org", NEW_PASSWORD).status_code == 302
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "account.password_reset")
    )
    assert (event.actor_id, event.subject_id, event.council_id) == (jo.id, jo.id, None)

    # The same link a second time: refused, and it changes nothing.
    again = get_page(client, link, status=400)
    assert again.h1.get_text(strip=True) == "This link cannot be used"
    assert "already been used" in again.select_one("#link-problem").get_text()
    after = password_hash(db, "jo@example.org")
    reused = client.post(link, data={"password": "yet another password"})
    assert reused.status_code == 400
    assert password_hash(db, "jo@example.org") == after


def test_an_email_without_an_account_gets_the_same_answer_and_no_email(client, db, jo):
    known, sent = ask_for_link(client, "jo@example.org")
    said = banner(client, known)
    unknown, nothing = ask_for_link(client, "nobody@example.org")
    assert (len(sent), len(nothing)) == (1, 0)
    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    assert banner(client, unknown) == said.replace("jo@", "nobody@")


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "Enter your email address"),
        ("not-an-email", "Enter an email address in the correct format, like name@example.com"),
    ],
)
def test_a_malformed_email_is_explained_and_sends_nothing(client, jo, email, message):
    response, outbox = ask_for_link(client, email)
    assert response.status_code == 200
    assert error_messages(soup(response)) == {"email": message}
    assert outbox == []


def test_choosing_a_new_password_signs_the_account_out_everywhere(app, client, db, jo):
    # The tests' app context outlives each request, and Flask-Login and Flask-WTF keep the
    # signed-in user and the CSRF token in ``g``: forget them at each request, so that each
    # client is seen as itself.
    @app.before_request
    def forget_the_last_client():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    elsewhere = app.test_client()
    assert sign_in(elsewhere, "jo@example.org", PASSWORD).status_code == 302
    assert elsewhere.get("/account/").status_code == 200
    _, [message] = ask_for_link(client, "jo@example.org")
    link = LINK.search(message.body).group()
    submit(client, link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    signed_out = elsewhere.get("/account/")
    assert signed_out.status_code == 302
    assert "/auth/sign-in" in signed_out.headers["Location"]


def test_an_expired_or_altered_link_is_refused_and_changes_nothing(client, db, jo, monkeypatch):
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 3601)
    _, [old] = ask_for_link(client, "jo@example.org")
    monkeypatch.setattr("itsdangerous.timed.time.time", real_time)
    _, [fresh] = ask_for_link(client, "jo@example.org")
    expired = LINK.search(old.body).group()
    good = LINK.search(fresh.body).group()
    before = password_hash(db, "jo@example.org")

    page = get_page(client, expired, status=400)
    assert page.select_one("#link-problem").get_text() == (
        "This link has expired: a link to reset your password works for 1 hour. Ask for a new one."
    )
    altered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for link in (altered, "http://localhost/auth/reset-password/nonsense"):
        page = get_page(client, link, status=400)
        assert "cannot be used" in page.select_one("#link-problem").get_text()
    for link in (expired, altered):
        response = client.post(link, data={"password": NEW_PASSWORD})
        assert response.status_code == 400
    assert password_hash(db, "jo@example.org") == before
    # The fresh link still works.
    done = submit(client, good, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302


def test_asking_for_links_is_rate_limited(app, client, jo):
    app.config["EMAIL_LINK_RATE_LIMIT"] = "2 per hour"
    for _ in range(2):
        assert ask_for_link(client, "jo@example.org")[0].status_code == 302
    response, outbox = ask_for_link(client, "jo@example.org")
    assert response.status_code == 429
    assert outbox == []


def test_a_mail_server_failure_gets_the_same_answer_and_the_email_waits_to_be_tried_again(
    client, db, jo, monkeypatch, caplog
):
    def refuse(message):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(mail, "send", refuse)
    response = submit(client, "/auth/reset-password", {"email": "jo@example.org"})
    assert response.status_code == 302
    assert banner(client, response).startswith("Success If jo@example.org has an account")
    assert "password_reset message" in caplog.text and "connection lost" in caplog.text
    [waiting] = db.session.scalars(select(Message)).all()
    assert (waiting.kind, waiting.state, waiting.attempts) == (
        "password_reset",
        MessageState.QUEUED,
        1,
    )
    assert waiting.recipient == "jo@example.org" and waiting.available_at is not None
    assert "connection lost" in waiting.last_error


def test_registering_an_existing_email_tells_its_owner_by_email(client, db, jo):
    from tests.factories import create_council, create_neighbourhood

    hood = create_neighbourhood(create_council(slug="lambeth", name="Lambeth"), name="Brixton")
    db.session.commit()
    form = {
        "display_name": "Someone",
        "home_neighbourhood": str(hood.id),
        "password": "a long enough password",
        "confirm_password": "a long enough password",
    }
    with mail.record_messages() as outbox:
        submit(client, "/auth/register", {**form, "email": "new@example.org"})
        submit(client, "/auth/register", {**form, "email": "Jo@Example.org"})
    confirm, message = outbox
    assert confirm.recipients == ["new@example.org"]
    assert confirm.subject == "Confirm your email address for Devolve"
    assert message.recipients == ["jo@example.org"]
    assert message.subject == "You already have a Devolve account"
    assert "http://localhost/auth/sign-in" in message.body
    assert "http://localhost/auth/reset-password" in message.body


def test_links_in_emails_use_the_public_address_not_the_host_asked_for(app, client, jo):
    """Whoever asks for a link chooses the Host header: with PUBLIC_URL set, it is ignored."""
    app.config["PUBLIC_URL"] = "https://pb.example.org"
    forged = "http://attacker.example"
    page = soup(client.get("/auth/reset-password", base_url=forged))
    token = page.select_one("input[name=csrf_token]")["value"]
    with mail.record_messages() as outbox:
        client.post(
            "/auth/reset-password",
            data={"csrf_token": token, "email": "jo@example.org"},
            base_url=forged,
            buffered=True,
        )
    [message] = outbox
    assert "https://pb.example.org/auth/reset-password/" in message.body
    assert "attacker.example" not in message.body


def test_the_email_goes_out_only_once_the_answer_has(client, jo):
    """How long the page takes must not tell whether an email was sent."""
    page = soup(client.get("/auth/reset-password"))
    token = page.select_one("input[name=csrf_token]")["value"]
    with mail.record_messages() as outbox:
        response = client.post(
            "/auth/reset-password", data={"csrf_token": token, "email": "jo@example.org"}
        )
        assert response.status_code == 302
        assert outbox == []
        response.close()  # what the server does once the response is sent
        assert [m.recipients for m in outbox] == [["jo@example.org"]]
