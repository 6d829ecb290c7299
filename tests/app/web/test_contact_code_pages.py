"""Verifying with a six-digit code by text message or email (issue #18): a resident asks on
the verify page, gets a real text (or email) through GOV.UK Notify (the fake), types its code
and can vote; a number or address not on the roll, another council, a council or round that
does not offer it, a wrong code: each says why and changes nothing but the counted try."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from app.web.messages.wording import notify_text
from app.workflow import contact_codes
from app.workflow.clock import utcnow
from app.workflow.models import Message, MessageChannel, Role, User
from ballots import roll
from ballots.errors import CodeUnreachable
from ballots.models import ContactCode, RollEntry, Verification, VoterMark
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.ballots.helpers import place, voting_round
from tests.ballots.test_pages import vote_through_pages
from tests.factories import PASSWORD, create_council, create_user

SMS_TEMPLATE = "6a1f3b2c-1d4e-4f5a-8b6c-7d8e9f0a1b01"
EMAIL_TEMPLATE = "6a1f3b2c-1d4e-4f5a-8b6c-7d8e9f0a1b02"
FIELDS = ["council", "code", "lasts"]
VERIFY = "/councils/home/verify"
ASK = VERIFY + "/contact"
CODE = ASK + "/code"
TODAY = date(2026, 11, 23)
MAYBE_SENT = "If that number or address is on the roll, we have sent a code to it."


@pytest.fixture
def home(db):
    """Home Council offering codes by text or email, with a round open for voting, two people
    on its roll (one with a mobile number, one with an email address) and a resident."""
    council = create_council(slug="home", name="Home Council")
    council.eligibility = "code contact"
    centre = place(council, "Centre")
    create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=centre)
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    roll.import_roll(
        db.session,
        council_id=council.id,
        round_id=None,
        text=(
            "reference,neighbourhood,phone,email\n"
            "R1,Centre,07700 900123,\n"
            "R2,Centre,,Sam@Example.org\n"
        ),
        neighbourhoods={"centre": centre.id},
        today=TODAY,
    )
    db.session.commit()
    council.centre_id = centre.id
    return council, funding_round, paper


@pytest.fixture
def notify(app, fake_notify):
    """Texts and emails through the fake GOV.UK Notify, with our own words as its templates."""
    with app.test_request_context():
        _, sms = notify_text("contact_code", MessageChannel.SMS, "en")
        subject, email = notify_text("contact_code", MessageChannel.EMAIL, "en")
    fake_notify.add_template(SMS_TEMPLATE, "sms", fields=FIELDS, body=sms)
    fake_notify.add_template(EMAIL_TEMPLATE, "email", fields=FIELDS, body=email, subject=subject)
    app.config.update(
        NOTIFY_API_KEY=fake_notify.api_key,
        NOTIFY_BASE_URL=fake_notify.base_url,
        NOTIFY_TEMPLATES=json.dumps(
            {
                "contact_code.sms": {"en": SMS_TEMPLATE},
                "contact_code.email": {"en": EMAIL_TEMPLATE},
            }
        ),
    )
    return fake_notify


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def banner(page) -> str:
    return " ".join(
        " ".join(b.get_text().split()) for b in page.select(".govuk-notification-banner")
    )


def ask(client, contact: str):
    return submit(client, ASK, {"contact": contact})


def enter(client, code: str):
    return submit(client, CODE, {"code": code})


def test_a_resident_gets_a_text_types_its_code_and_can_vote(client, db, home, notify):
    _, _, paper = home
    sign_in(client, "voter@example.org", PASSWORD)
    verify_page = get_page(client, VERIFY)
    link = verify_page.select_one("#by-contact ~ p a")
    assert link.get_text(strip=True) == "Get a code by text message or email"
    assert link["href"] == ASK
    get_page(client, ASK)

    response = ask(client, "07700-900-123")
    assert response.status_code == 302 and response.headers["Location"] == CODE
    page = get_page(client, CODE)
    assert MAYBE_SENT in banner(page)
    assert page.select_one("#new-code")["href"] == ASK

    [text] = notify.sent
    assert (text["channel"], text["to"]) == ("sms", "+447700900123")
    code = text["personalisation"]["code"]
    assert len(code) == 6 and code.isdigit()
    assert text["body"].strip() == (
        f"Your Devolve code for Home Council is {code}. It works for 10 minutes. Nobody from "
        "the council will ask you for it."
    )
    # The message is gone once sent (a secret that keeps no time); only the code's HMAC is kept.
    assert count(db, Message) == 0
    assert db.session.scalar(select(ContactCode.code_hash)) != code

    response = enter(client, code)
    assert response.status_code == 302 and response.headers["Location"] == "/councils/home"
    assert "Your account is verified on Home Council's roll" in banner(
        get_page(client, "/councils/home")
    )
    [verification] = db.session.scalars(select(Verification)).all()
    assert db.session.get(RollEntry, verification.roll_entry_id).reference == "R1"
    assert count(db, ContactCode) == 0

    response = vote_through_pages(client, paper, {"choices": [paper.pots[0].projects[0].id]})
    assert response.status_code == 302
    assert count(db, VoterMark) == 1


def test_an_email_address_gets_an_email_and_the_code_in_it_works(client, db, home, notify):
    sign_in(client, "voter@example.org", PASSWORD)
    assert ask(client, "sam@EXAMPLE.org").status_code == 302
    [email] = notify.sent
    assert (email["channel"], email["to"]) == ("email", "Sam@example.org")
    assert email["subject"] == "Your code for Home Council"
    code = email["personalisation"]["code"]
    assert code in email["body"] and "It works for 10 minutes" in email["body"]
    assert "http" not in email["body"]  # no link beside a code
    assert enter(client, code).status_code == 302
    assert count(db, Verification) == 1


def test_the_next_page_is_kept_through_both_steps(client, db, home, notify):
    sign_in(client, "voter@example.org", PASSWORD)
    target = "/councils/home/rounds/vote/vote"
    page = get_page(client, f"{VERIFY}?next={target}")
    assert unquote(page.select_one("#by-contact ~ p a")["href"]) == f"{ASK}?next={target}"
    response = submit(client, f"{ASK}?next={target}", {"contact": "07700900123"})
    assert unquote(response.headers["Location"]) == f"{CODE}?next={target}"
    code = notify.sent[0]["personalisation"]["code"]
    response = submit(client, response.headers["Location"], {"code": code})
    assert response.headers["Location"] == target


def test_a_number_not_on_the_roll_is_answered_the_same_and_nothing_is_sent(
    client, db, home, notify
):
    sign_in(client, "voter@example.org", PASSWORD)
    for contact in ("07700 900999", "nobody@example.org"):
        response = ask(client, contact)
        assert response.status_code == 302 and response.headers["Location"] == CODE
        assert MAYBE_SENT in banner(get_page(client, CODE))
    assert notify.sent == []
    assert count(db, ContactCode) == 0 and count(db, Message) == 0
    response = enter(client, "123456")
    assert response.status_code == 422
    assert error_messages(soup(response))["code"] == (
        "No code is waiting for your account. Ask for a code first."
    )


def test_what_is_neither_a_number_nor_an_address_is_refused_beside_the_field(
    client, db, home, notify
):
    sign_in(client, "voter@example.org", PASSWORD)
    for typed in ("029 2087 2087", "sam@example", "hello"):
        response = ask(client, typed)
        assert response.status_code == 422
        assert error_messages(soup(response))["contact"] == (
            "Enter a UK mobile number, like 07700 900123, or an email address, like "
            "name@example.org."
        )
    response = ask(client, "")
    assert error_messages(soup(response))["contact"] == "Enter your mobile number or email address"
    assert notify.sent == [] and count(db, ContactCode) == 0


def test_wrong_codes_say_how_many_tries_are_left_then_the_code_is_dead(client, db, home, notify):
    sign_in(client, "voter@example.org", PASSWORD)
    ask(client, "07700900123")
    code = notify.sent[0]["personalisation"]["code"]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in ("4 more tries", "3 more tries", "2 more tries", "1 more try"):
        response = enter(client, wrong)
        assert response.status_code == 200
        assert error_messages(soup(response))["code"] == (
            f"That code is not right. Check the message and try again: {left} with this code."
        )
    response = enter(client, wrong)
    assert (
        "it has now been tried wrongly 5 times, so it no longer works"
        in (error_messages(soup(response))["code"])
    )
    response = enter(client, code)
    assert response.status_code == 429
    assert "Ask for a new code" in error_messages(soup(response))["code"]
    assert count(db, Verification) == 0
    # A new code works.
    ask(client, "07700900123")
    assert enter(client, notify.sent[1]["personalisation"]["code"]).status_code == 302
    assert count(db, Verification) == 1


def test_another_councils_roll_and_code_do_not_work_here(client, db, home, notify):
    away = create_council(slug="away", name="Away Council")
    away.eligibility = "contact"
    db.session.commit()
    sign_in(client, "voter@example.org", PASSWORD)
    # Home's number on Away's page: the same answer, and nothing sent.
    response = submit(client, "/councils/away/verify/contact", {"contact": "07700900123"})
    assert response.status_code == 302
    assert notify.sent == [] and count(db, ContactCode) == 0
    # Home's code on Away's page: nothing is waiting there.
    ask(client, "07700900123")
    code = notify.sent[0]["personalisation"]["code"]
    response = submit(client, "/councils/away/verify/contact/code", {"code": code})
    assert response.status_code == 422
    assert "No code is waiting" in error_messages(soup(response))["code"]
    assert count(db, Verification) == 0
    assert db.session.scalar(select(ContactCode.wrong_tries)) == 0
    assert enter(client, code).status_code == 302  # and it still works at home


def test_a_council_that_does_not_offer_it_says_so_and_changes_nothing(client, db, home, notify):
    council, funding_round, _ = home
    council.eligibility = "code"
    db.session.commit()
    sign_in(client, "voter@example.org", PASSWORD)
    assert get_page(client, VERIFY).select_one("#by-contact") is None
    for url in (ASK, CODE):
        page = get_page(client, url, status=404)
        assert "Home Council does not send codes by text message or email" in page.get_text()
    token = soup(client.get(VERIFY)).select_one("input[name=csrf_token]")["value"]
    response = client.post(ASK, data={"csrf_token": token, "contact": "07700900123"})
    assert response.status_code == 404
    assert notify.sent == [] and count(db, ContactCode) == 0


def test_a_round_may_offer_it_when_its_council_does_not(client, db, home, notify):
    council, funding_round, _ = home
    council.eligibility = "code"
    funding_round.eligibility = "contact"
    db.session.commit()
    sign_in(client, "voter@example.org", PASSWORD)
    assert get_page(client, VERIFY).select_one("#by-contact") is not None
    assert ask(client, "07700900123").status_code == 302
    assert enter(client, notify.sent[0]["personalisation"]["code"]).status_code == 302
    # The round uses the council's roll: that is where the account is verified.
    assert db.session.scalar(select(Verification.scope)) == "council"


def test_a_round_that_does_not_allow_it_is_not_offered_it(client, db, home, notify):
    council, funding_round, _ = home
    council.eligibility = "contact"
    funding_round.eligibility = "code"
    # The round has its own roll, with the number on it; the council's roll does not.
    db.session.execute(RollEntry.__table__.delete())
    db.session.commit()
    roll.import_roll(
        db.session,
        council_id=council.id,
        round_id=funding_round.id,
        text="reference,neighbourhood,phone\nV1,Centre,07700900123\n",
        neighbourhoods={"centre": council.centre_id},
        today=TODAY,
    )
    db.session.commit()
    sign_in(client, "voter@example.org", PASSWORD)
    assert ask(client, "07700900123").status_code == 302
    assert notify.sent == [] and count(db, ContactCode) == 0


def test_asking_is_limited_per_account(client, db, home, notify):
    sign_in(client, "voter@example.org", PASSWORD)
    for n in range(5):
        assert ask(client, f"07700 90099{n}").status_code == 302
    response = ask(client, "07700900123")
    assert response.status_code == 429
    assert "This account has asked for many codes" in soup(response).get_text()
    assert notify.sent == [] and count(db, ContactCode) == 0


def test_an_account_verified_already_is_told_so(client, db, home, notify):
    sign_in(client, "voter@example.org", PASSWORD)
    ask(client, "07700900123")
    enter(client, notify.sent[0]["personalisation"]["code"])
    response = ask(client, "sam@example.org")
    assert response.status_code == 409
    assert error_messages(soup(response))["contact"] == (
        "Your account is already verified on Home Council's roll."
    )
    assert len(notify.sent) == 1 and count(db, ContactCode) == 0


def test_notify_templates_prints_the_code_by_text_and_by_email(app, runner):
    result = runner.invoke(args=["notify-templates", "--language", "en"])
    assert result.exit_code == 0, result.output
    text = result.output.split("=== contact_code (sms, en) ===\n", 1)[1].split("===", 1)[0]
    assert text.strip() == (
        "Your Devolve code for ((council)) is ((code)). It works for ((lasts)). Nobody from the "
        "council will ask you for it."
    )
    email = result.output.split("=== contact_code (email, en) ===\n", 1)[1].split("===", 1)[0]
    assert email.startswith("Subject: Your code for ((council))\n") and "((code))" in email


def test_without_a_way_to_send_texts_a_number_is_refused_and_an_address_still_works(db, home):
    council, _, _ = home
    user = db.session.scalar(select(User).where(User.email == "voter@example.org"))
    asked = {"key": b"k" * 32, "now": utcnow(), "by_text": False}
    with pytest.raises(CodeUnreachable) as caught:
        contact_codes.request_code(db.session, council, user, "07700900123", **asked)
    assert caught.value.field == "contact"
    assert "Enter your email address" in caught.value.message
    assert count(db, ContactCode) == 0
    assert contact_codes.request_code(db.session, council, user, "sam@example.org", **asked)


def test_the_council_roll_is_tried_first_then_rounds_with_their_own(db, home):
    council, funding_round, _ = home
    assert contact_codes.scopes(db.session, council) == ["council"]
    roll.import_roll(
        db.session,
        council_id=council.id,
        round_id=funding_round.id,
        text="reference,neighbourhood,phone\nV1,Centre,07700900300\n",
        neighbourhoods={"centre": council.centre_id},
        today=TODAY,
    )
    db.session.commit()
    assert contact_codes.scopes(db.session, council) == ["council", f"round:{funding_round.id}"]
    council.eligibility = "code"
    db.session.commit()
    assert contact_codes.scopes(db.session, council) == []
    funding_round.eligibility = "contact"
    db.session.commit()
    assert contact_codes.scopes(db.session, council) == [f"round:{funding_round.id}"]


def test_the_message_worker_forgets_codes_that_no_longer_work_or_count(db, home, runner):
    council, _, _ = home
    user = db.session.scalar(select(User).where(User.email == "voter@example.org"))
    key = b"k" * 32
    contact_codes.request_code(
        db.session, council, user, "sam@example.org", key=key, now=utcnow() - timedelta(minutes=16)
    )
    contact_codes.request_code(db.session, council, user, "07700900123", key=key, now=utcnow())
    db.session.commit()
    assert count(db, ContactCode) == 2
    result = runner.invoke(args=["send-messages", "--once"])
    assert result.exit_code == 0, result.output
    assert [c.channel for c in db.session.scalars(select(ContactCode))] == ["sms"]
