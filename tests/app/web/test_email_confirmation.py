"""New accounts confirm their email address through an emailed link before they propose or
support projects, so that one person cannot make many accounts from invented addresses."""

import re
import time

import pytest
from sqlalchemy import func, select

from app.web.extensions import mail
from app.web.sessions import policy
from app.workflow.models import AuditEvent, Proposal, Role, Support, User
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.app.web.test_proposals import ROUND, idea, support
from tests.factories import PASSWORD, create_user

LINK = re.compile(r"http://localhost/auth/confirm-email/\S+")
NOT_YET = (
    "Confirm your email address before you {what}: open the link we emailed to "
    "new@lambeth.example. Your account page can send it again."
)


@pytest.fixture
def newcomer(db, lambeth):
    user = create_user(
        email="new@lambeth.example",
        display_name="Nia Newcomer",
        home=lambeth.hoods[0],
        roles={lambeth.council: Role.RESIDENT},
        confirmed=False,
    )
    db.session.commit()
    return user


def confirmed_at(db, email: str):
    db.session.expire_all()
    return db.session.scalar(select(User.email_confirmed_at).where(User.email == email))


def banner(page) -> str:
    return " ".join(page.select_one(".govuk-notification-banner").get_text().split())


def test_registering_emails_a_link_that_must_be_opened_before_proposing(
    client, db, lambeth, open_round
):
    brixton = lambeth.hoods[0]
    form = {
        "email": "new@lambeth.example",
        "display_name": "Nia Newcomer",
        "home_neighbourhood": str(brixton.id),
        "password": "a long enough password",
        "confirm_password": "a long enough password",
    }
    with mail.record_messages() as outbox:
        registered = submit(client, "/auth/register", form)
    assert banner(get_page(client, registered.headers["Location"])) == (
        "Success Registration received. We have emailed you a link to confirm your address: "
        "open it before you propose or support projects. Sign in with your email address and "
        "password."
    )
    [message] = outbox
    assert message.recipients == ["new@lambeth.example"]
    assert message.subject == "Confirm your email address for Devolve"
    link = LINK.search(message.body).group()
    assert confirmed_at(db, "new@lambeth.example") is None

    sign_in(client, "new@lambeth.example", "a long enough password")
    assert get_page(client, "/account/").select_one("#confirm-email")
    refused = submit(client, f"{ROUND}/propose", idea(open_round.pots[0]))
    assert refused.status_code == 200
    assert error_messages(soup(refused))["title"] == NOT_YET.format(what="propose a project")
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0

    opened = client.get(link)
    assert opened.headers["Location"].endswith("/account/")
    account = get_page(client, "/account/")
    assert banner(account) == (
        "Success The email address new@lambeth.example is confirmed: its account can now "
        "propose and support projects."
    )
    assert account.select_one("#confirm-email") is None
    assert confirmed_at(db, "new@lambeth.example") is not None
    proposed = submit(client, f"{ROUND}/propose", idea(open_round.pots[0]))
    assert proposed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 1

    # Opening the link again is harmless: still confirmed, recorded once.
    assert client.get(link).status_code == 302
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.email_confirmed")
    ).all()
    uid = db.session.scalar(select(User.id).where(User.email == "new@lambeth.example"))
    assert [(e.actor_id, e.subject_id) for e in events] == [(uid, uid)]


def test_an_unconfirmed_resident_cannot_support_until_confirmed(client, db, newcomer, supporting):
    sign_in(client, "new@lambeth.example", PASSWORD)
    refused = support(client, supporting)
    page = get_page(client, refused.headers["Location"])
    assert NOT_YET.format(what="support proposals") in page.get_text(" ", strip=True)
    assert db.session.scalar(select(func.count()).select_from(Support)) == 0


def test_the_account_page_sends_a_new_link(client, db, newcomer, lambeth):
    sign_in(client, "new@lambeth.example", PASSWORD)
    with mail.record_messages() as outbox:
        sent = submit(
            client,
            "/account/",
            {},
            post_to="/auth/confirm-email",
            form_selector="#confirm-email form",
        )
    assert sent.headers["Location"].endswith("/account/")
    assert banner(get_page(client, "/account/")) == (
        "Success We have sent a new link to new@lambeth.example"
    )
    [message] = outbox
    client.get(LINK.search(message.body).group())
    assert confirmed_at(db, "new@lambeth.example") is not None

    # Once confirmed, the page offers nothing and a direct request sends nothing.
    page = get_page(client, "/account/")
    assert page.select_one("#confirm-email") is None
    token = page.select_one("input[name=csrf_token]")["value"]
    with mail.record_messages() as nothing:
        client.post("/auth/confirm-email", data={"csrf_token": token}, buffered=True)
    assert nothing == []
    assert banner(get_page(client, "/account/")) == (
        "Success Your email address is already confirmed"
    )


def test_asking_for_a_link_needs_a_signed_in_person(client, newcomer):
    token = soup(client.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    with mail.record_messages() as outbox:
        response = client.post("/auth/confirm-email", data={"csrf_token": token}, buffered=True)
    assert response.status_code == 302
    assert "/auth/sign-in?next=" in response.headers["Location"]
    assert outbox == []


def test_an_expired_or_altered_link_is_refused_and_confirms_nothing(
    client, db, newcomer, monkeypatch
):
    from app.workflow import accounts

    with client.application.test_request_context():
        real_time = time.time
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 7 * 24 * 3600 - 1)
        expired = accounts.email_confirmation_token(policy(), newcomer)
        monkeypatch.setattr("itsdangerous.timed.time.time", real_time)
        good = accounts.email_confirmation_token(policy(), newcomer)
    page = get_page(client, f"/auth/confirm-email/{expired}", status=400)
    assert page.select_one("#link-problem").get_text() == (
        "This link has expired: a link to confirm your email address works for 7 days. "
        "Ask for a new one."
    )
    for token in (good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), "nonsense"):
        page = get_page(client, f"/auth/confirm-email/{token}", status=400)
        assert "cannot be used" in page.select_one("#link-problem").get_text()
    assert confirmed_at(db, "new@lambeth.example") is None
    assert client.get(f"/auth/confirm-email/{good}").status_code == 302
    assert confirmed_at(db, "new@lambeth.example") is not None


def test_a_password_reset_link_also_confirms_the_address(client, db, newcomer):
    with mail.record_messages() as outbox:
        submit(client, "/auth/reset-password", {"email": "new@lambeth.example"})
    link = re.search(r"http://localhost/auth/reset-password/\S+", outbox[0].body).group()
    submit(
        client,
        link,
        {"password": "a brand new passphrase", "confirm_password": "a brand new passphrase"},
    )
    assert confirmed_at(db, "new@lambeth.example") is not None
