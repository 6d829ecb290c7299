"""The pages of the messages outbox, through the forms as people use them: the link in a
message that stops its kind (and a mail program's one-click POST, which has no CSRF token and
no cookie), a resident's choice of messages on their account, and a council's messages for
its officers, with failed ones tried again.

Each request runs in an app context of its own, as a server runs it: several browsers take
turns here, and one's signed-in person must not be seen by the next."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from app.web.extensions import db as _db
from app.web.messages import unsubscribe
from app.web.presenters import messages as words
from app.workflow import outbox
from app.workflow.models import (
    AuditEvent,
    Message,
    MessageChannel,
    MessageOptOut,
    MessageState,
    Role,
    User,
)
from ballots.models import random_key
from ballots.refusals import Refusal
from tests.app import pages
from tests.app.pages import error_messages, soup, summary_errors
from tests.factories import PASSWORD, create_user

FAILED_AT = datetime(2026, 7, 1, 11, 30, tzinfo=UTC)  # 12:30pm in London (summer time)


def get_page(app, client, url: str, status: int = 200):
    with app.app_context():
        return pages.get_page(client, url, status)


def submit(app, client, url: str, data: dict, **kwargs):
    with app.app_context():
        return pages.submit(client, url, data, **kwargs)


def post(app, client, url: str, **kwargs):
    with app.app_context():
        response = client.post(url, **kwargs)
        response.get_data()
        return response


def sign_in(app, client, email: str) -> None:
    with app.app_context():
        assert pages.sign_in(client, email, PASSWORD).status_code == 302


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def opt_outs(db) -> set[tuple[int, str]]:
    db.session.expire_all()
    return set(db.session.execute(select(MessageOptOut.user_id, MessageOptOut.topic)).all())


def link(user_id: int, topic: str) -> str:
    return f"/unsubscribe/{unsubscribe.token(user_id, topic)}"


# -- The link in a message -----------------------------------------------------------------


def test_the_link_names_the_kind_and_its_button_stops_it(app, client, db, lambeth):
    jordan = lambeth.resident.id
    url = link(jordan, "results")
    page = get_page(app, client, url)
    assert text(page.h1) == "Stop these messages?"
    assert text(page.select_one("#topic")) == "Results of rounds I took part in"
    [button] = page.select("main form button")
    assert text(button) == "Stop these messages"
    assert opt_outs(db) == set()  # looking changes nothing

    done = submit(app, client, url, {})
    assert done.status_code == 200
    confirmation = soup(done)
    pages.check_page(confirmation)
    assert text(confirmation.h1) == "You will no longer get these messages"
    assert "Results of rounds I took part in" in text(confirmation.select_one(".govuk-panel"))
    assert confirmation.find("a", string="Messages we send you")["href"] == "/account/messages"
    assert opt_outs(db) == {(jordan, "results")}

    # The same link again: the same answer, still one choice recorded.
    again = submit(app, client, url, {})
    assert again.status_code == 200
    assert text(soup(again).h1) == "You will no longer get these messages"
    assert opt_outs(db) == {(jordan, "results")}


def test_a_mail_programs_one_click_post_needs_no_csrf_token_and_no_cookie(app, db, lambeth):
    jordan, neighbour = lambeth.resident.id, lambeth.neighbour.id
    mail_program = app.test_client()
    response = post(
        app, mail_program, link(jordan, "reminders"), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert "You will no longer get these messages" in response.get_data(as_text=True)
    # Only the one (person, topic) the link names.
    assert opt_outs(db) == {(jordan, "reminders")}
    assert (neighbour, "reminders") not in opt_outs(db)

    # Everywhere else a POST without a CSRF token is still refused.
    refused = post(app, app.test_client(), "/account/messages", data={"topics": "results"})
    assert refused.status_code == 400


def _forged(user_id: int, topic: str) -> str:
    return URLSafeSerializer("another site's key", salt=unsubscribe.SALT).dumps([user_id, topic])


@pytest.mark.parametrize(
    "case", ["not-ours", "forged", "unknown-topic", "no-such-person", "gone", "wrong-shape"]
)
def test_a_link_that_is_not_ours_does_not_work_and_changes_nothing(app, client, db, lambeth, case):
    jordan = lambeth.resident
    token = {
        "not-ours": lambda: "not-a-token",
        "forged": lambda: _forged(jordan.id, "results"),
        "unknown-topic": lambda: unsubscribe.token(jordan.id, "everything"),
        "no-such-person": lambda: unsubscribe.token(99_999, "results"),
        "gone": lambda: unsubscribe.token(jordan.id, "results"),
        "wrong-shape": lambda: URLSafeSerializer(
            app.config["SECRET_KEY"], salt=unsubscribe.SALT
        ).dumps({"user": jordan.id}),
    }[case]()
    if case == "gone":
        db.session.delete(jordan)
        db.session.commit()
    url = f"/unsubscribe/{token}"
    page = get_page(app, client, url, status=404)
    assert text(page.h1) == "This link does not work"
    assert "Nothing has been changed" in text(page.select_one("main"))
    response = post(app, app.test_client(), url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)
    assert opt_outs(db) == set()


def test_stopping_a_kind_cancels_what_is_queued_and_queues_no_more(app, db, lambeth):
    jordan = lambeth.resident
    waiting = outbox.queue(
        db.session, "results_published", to=jordan.email, language="en", user=jordan
    )
    other_kind = outbox.queue(
        db.session, "proposal_status", to=jordan.email, language="en", user=jordan
    )
    db.session.commit()
    waiting_id, other_id = waiting.id, other_kind.id

    response = post(
        app, app.test_client(), link(jordan.id, "results"), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200

    db.session.expire_all()
    cancelled = db.session.get(Message, waiting_id)
    assert cancelled.state == MessageState.CANCELLED
    assert cancelled.recipient is None
    assert db.session.get(Message, other_id).state == MessageState.QUEUED
    jordan = db.session.get(User, jordan.id)
    later = outbox.queue(
        db.session, "results_published", to=jordan.email, language="en", user=jordan
    )
    assert later is None
    # Another kind still goes.
    assert outbox.queue(db.session, "proposal_status", to=jordan.email, language="en", user=jordan)


# -- A resident's choice, on their account ----------------------------------------------------


def ticked(page) -> dict[str, bool]:
    return {box["value"]: box.has_attr("checked") for box in page.select("input[name=topics]")}


def test_a_resident_chooses_their_messages_on_their_account(app, client, db, lambeth):
    jordan = lambeth.resident.id
    sign_in(app, client, lambeth.resident.email)
    account = get_page(app, client, "/account/")
    assert text(account.select_one("#messages-stopped")) == "We send you every kind of message."
    assert account.find("a", string="Choose which messages we send you")["href"] == (
        "/account/messages"
    )

    page = get_page(app, client, "/account/messages")
    assert text(page.h1) == "Messages we send you"
    everything = ["confirmations", "reminders", "results", "proposals", "delivery"]
    assert ticked(page) == dict.fromkeys(everything, True)  # no officers' alerts for a resident
    assert "officer" not in text(page.select_one("main")).lower()
    assert "confirming your email address" in text(page.select_one("#always-sent"))
    assert "voting codes" in text(page.select_one("#always-sent"))

    keep = [t for t in everything if t != "results"]
    saved = submit(app, client, "/account/messages", {"topics": keep})
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/account/"
    assert opt_outs(db) == {(jordan, "results")}
    account = get_page(app, client, "/account/")
    assert "Your choices are saved" in text(account.select_one(".govuk-notification-banner"))
    assert text(account.select_one("#messages-stopped")) == "Results of rounds I took part in"
    assert ticked(get_page(app, client, "/account/messages"))["results"] is False

    # Ticked again: the choice is gone.
    submit(app, client, "/account/messages", {"topics": everything})
    assert opt_outs(db) == set()

    # Nothing ticked: none of them.
    submit(app, client, "/account/messages", {})
    assert opt_outs(db) == {(jordan, t) for t in everything}


def test_officers_are_offered_their_alerts_too(app, client, db, lambeth):
    sign_in(app, client, lambeth.officer.email)
    page = get_page(app, client, "/account/messages")
    assert list(ticked(page)) == list(outbox.TOPICS)
    submit(app, client, "/account/messages", {"topics": ["results"]})
    assert (lambeth.officer.id, "officer_alerts") in opt_outs(db)


@pytest.mark.parametrize("topics", [["results", "everything"], ["officer_alerts"]])
def test_a_topic_not_offered_is_refused_and_nothing_changes(app, client, db, lambeth, topics):
    sign_in(app, client, lambeth.resident.email)
    refused = submit(app, client, "/account/messages", {"topics": topics})
    assert refused.status_code == 200
    page = soup(refused)
    assert error_messages(page) == {"topics": "There is no such kind of message."}
    assert summary_errors(page) == ["There is no such kind of message."]
    assert opt_outs(db) == set()


def test_outbox_set_preferences_refuses_an_unknown_topic_whole(db, lambeth):
    jordan = lambeth.resident
    with pytest.raises(Refusal):
        outbox.set_preferences(db.session, jordan, {"nonsense"})
    assert opt_outs(db) == set()
    assert outbox.set_preferences(db.session, jordan, set(outbox.TOPICS) - {"reminders"}) == 1
    assert outbox.set_preferences(db.session, jordan, set(outbox.TOPICS) - {"reminders"}) == 0


# -- A council's messages, for its officers ---------------------------------------------------


def message(council, channel, to, *, state=MessageState.FAILED, kind="results_published", **kw):
    row = Message(
        id=random_key(),
        kind=kind,
        channel=channel,
        state=state,
        recipient=to,
        language="en",
        data={},
        council_id=council.id,
        attempts=kw.pop("attempts", 8),
        last_error=kw.pop("last_error", "400 BadRequestError: email_address Not a valid email"),
        created_at=FAILED_AT,
        failed_at=FAILED_AT if state == MessageState.FAILED else None,
        sent_at=FAILED_AT if state == MessageState.SENT else None,
        **kw,
    )
    _db.session.add(row)
    _db.session.flush()
    return row


@pytest.fixture
def failures(db, lambeth):
    email = message(lambeth.council, MessageChannel.EMAIL, "jordan.smith@example.org")
    sms = message(
        lambeth.council,
        MessageChannel.SMS,
        "+44 7700 900123",
        kind="voting_code",
        attempts=3,
        last_error="429 RateLimitError",
    )
    letter = message(
        lambeth.council,
        MessageChannel.LETTER,
        "Jordan Smith\n1 Acre Lane\nLondon\nsw2 5sd",
        kind="voting_code",
    )
    message(lambeth.council, MessageChannel.EMAIL, "a@example.org", state=MessageState.QUEUED)
    message(lambeth.council, MessageChannel.EMAIL, "b@example.org", state=MessageState.SENT)
    theirs = message(lambeth.liverpool, MessageChannel.EMAIL, "scouse@example.org")
    db.session.commit()
    return {"email": email.id, "sms": sms.id, "letter": letter.id, "theirs": theirs.id}


def state_of(db, message_id: str) -> tuple[MessageState, int]:
    db.session.expire_all()
    row = db.session.get(Message, message_id)
    return row.state, row.attempts


def retried_events(db) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "messages.retried"))
    )


def test_officers_see_counts_and_failed_messages_with_addresses_hidden(
    app, client, db, lambeth, failures
):
    sign_in(app, client, lambeth.officer.email)
    dashboard = get_page(app, client, "/officers/lambeth")
    messages_link = dashboard.select_one("#messages-link")
    assert messages_link.a["href"] == "/officers/lambeth/messages"
    assert "3 could not be sent" in text(messages_link)

    page = get_page(app, client, "/officers/lambeth/messages")
    counts = {
        text(row.select_one(".govuk-summary-list__key")): text(
            row.select_one(".govuk-summary-list__value")
        )
        for row in page.select("#message-counts .govuk-summary-list__row")
    }
    assert counts == {
        "Waiting to be sent": "1",
        "Being sent": "0",
        "Sent": "1",
        "Could not be sent": "3",
        "Cancelled: the person chose not to get them": "0",
    }
    rows = {
        row.select_one("input[name=messages]")["value"]: [
            text(cell) for cell in row.select("td")[1:]
        ]
        for row in page.select("#failed-messages tbody tr")
    }
    assert set(rows) == {failures["email"], failures["sms"], failures["letter"]}
    assert rows[failures["email"]] == [
        "Results published",
        "Email",
        "j•••@example.org",
        "1 July 2026 at 12:30pm",
        "8",
        "400 BadRequestError: email_address Not a valid email",
    ]
    assert rows[failures["sms"]][:3] == ["Voting code", "Text message", "•••123"]
    assert rows[failures["letter"]][:3] == ["Voting code", "Letter", "SW2 5SD"]
    body = page.get_text(" ")
    for whole in ("jordan.smith", "7700", "Acre Lane", "Jordan Smith", "scouse@example.org"):
        assert whole not in body


def test_trying_again_queues_the_ticked_messages_afresh_and_is_audited(
    app, client, db, lambeth, failures
):
    sign_in(app, client, lambeth.officer.email)
    url = "/officers/lambeth/messages"
    done = submit(app, client, url, {"messages": [failures["email"]], "action": "chosen"})
    assert done.status_code == 302
    assert state_of(db, failures["email"]) == (MessageState.QUEUED, 0)
    assert db.session.get(Message, failures["email"]).failed_at is None
    assert state_of(db, failures["sms"]) == (MessageState.FAILED, 3)
    [event] = retried_events(db)
    assert event.council_id == lambeth.council.id
    assert event.actor_id == lambeth.officer.id
    assert event.after == {"messages": 1, "kinds": ["results_published"]}
    page = get_page(app, client, url)
    assert "1 message will be tried again." in text(page.select_one(".govuk-notification-banner"))

    everything = submit(app, client, url, {"action": "all"})
    assert everything.status_code == 302
    assert state_of(db, failures["sms"]) == (MessageState.QUEUED, 0)
    assert state_of(db, failures["letter"]) == (MessageState.QUEUED, 0)
    assert state_of(db, failures["theirs"]) == (MessageState.FAILED, 8)  # Liverpool's
    assert len(retried_events(db)) == 2
    assert get_page(app, client, "/officers/lambeth").select_one("#messages-link strong") is None


@pytest.mark.parametrize(
    ("ticked_ids", "said"),
    [
        ([], "Choose the messages to try again."),
        (["not-a-message"], "A message you asked to try again is not one of the failed ones."),
        (["theirs"], "A message you asked to try again is not one of the failed ones."),
        (["email", "queued"], "A message you asked to try again is not one of the failed ones."),
    ],
)
def test_ids_that_are_not_failed_messages_of_the_council_are_refused(
    app, client, db, lambeth, failures, ticked_ids, said
):
    queued = db.session.scalar(select(Message.id).where(Message.state == MessageState.QUEUED))
    ids = {**failures, "queued": queued}
    sign_in(app, client, lambeth.officer.email)
    refused = submit(
        app,
        client,
        "/officers/lambeth/messages",
        {"messages": [ids.get(i, i) for i in ticked_ids], "action": "chosen"},
    )
    assert refused.status_code == 200
    page = soup(refused)
    pages.check_page(page)
    assert error_messages(page) == {"messages": said}
    assert summary_errors(page) == [said]
    assert state_of(db, failures["email"]) == (MessageState.FAILED, 8)
    assert state_of(db, failures["theirs"]) == (MessageState.FAILED, 8)
    assert retried_events(db) == []


def test_another_councils_officer_can_neither_see_nor_retry(app, client, db, lambeth, failures):
    sign_in(app, client, lambeth.scouse.email)
    get_page(app, client, "/officers/lambeth/messages", status=403)
    with app.app_context():
        token = pages.csrf_token(client, "/officers/liverpool/messages")
    forbidden = post(
        app,
        client,
        "/officers/lambeth/messages",
        data={"csrf_token": token, "messages": failures["email"], "action": "chosen"},
    )
    assert forbidden.status_code == 403
    # Lambeth's message, through Liverpool's own page: not one of Liverpool's.
    refused = submit(
        app,
        client,
        "/officers/liverpool/messages",
        {"messages": [failures["email"]], "action": "chosen"},
    )
    assert error_messages(soup(refused)) == {
        "messages": "A message you asked to try again is not one of the failed ones."
    }
    # "Try all again" on Liverpool's page tries Liverpool's alone.
    submit(app, client, "/officers/liverpool/messages", {"action": "all"})
    assert state_of(db, failures["theirs"]) == (MessageState.QUEUED, 0)
    assert state_of(db, failures["email"]) == (MessageState.FAILED, 8)
    [event] = retried_events(db)
    assert event.council_id == lambeth.liverpool.id


def test_residents_and_auditors_are_refused(app, db, lambeth, failures):
    for person in (lambeth.resident, lambeth.auditor):
        client = app.test_client()
        sign_in(app, client, person.email)
        get_page(app, client, "/officers/lambeth/messages", status=403)
        with app.app_context():
            token = pages.csrf_token(client, "/account/messages")
        response = post(
            app,
            client,
            "/officers/lambeth/messages",
            data={"csrf_token": token, "action": "all"},
        )
        assert response.status_code == 403
    assert state_of(db, failures["email"]) == (MessageState.FAILED, 8)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "messages.retried")
        )
        == 0
    )


def test_nothing_failed_says_so(app, client, db, lambeth):
    create_user(email="admin@lambeth.example", roles={lambeth.council: Role.ADMIN})
    db.session.commit()
    sign_in(app, client, "admin@lambeth.example")
    page = get_page(app, client, "/officers/lambeth/messages")
    assert page.select("main form[method=post]") == []
    assert "None: every message has been sent" in text(page.select_one("#messages"))
    with app.app_context():
        token = pages.csrf_token(client, "/account/messages")
    refused = post(
        app, client, "/officers/lambeth/messages", data={"csrf_token": token, "action": "all"}
    )
    assert refused.status_code == 200
    assert error_messages(soup(refused)) == {
        "messages": "There are no failed messages to try again."
    }


# -- What the pages say -------------------------------------------------------------------


def test_every_kind_of_message_has_a_readable_name(app):
    assert set(words.KIND_NAMES) == set(outbox.KINDS)


@pytest.mark.parametrize(
    ("channel", "to", "shown"),
    [
        (MessageChannel.EMAIL, "jo@example.org", "j•••@example.org"),
        (MessageChannel.EMAIL, "not an address", "•••"),
        (MessageChannel.SMS, "07700 900 456", "•••456"),
        (MessageChannel.SMS, "12", "•••"),
        (MessageChannel.LETTER, "Flat 2\n10 High Street\nCardiff\nCF10 1AA", "CF10 1AA"),
        (MessageChannel.LETTER, "Somewhere without a postcode", "•••"),
        (MessageChannel.EMAIL, None, "•••"),
    ],
)
def test_a_recipient_is_masked(channel, to, shown):
    assert words.masked(Message(channel=channel, recipient=to)) == shown
