"""The outbox: a message is a row of the transaction that causes it, and the worker delivers
it through GOV.UK Notify (here the fake in tests/fake_notify.py) with retries, back-off, a
dead-letter state, a rate per channel and a purge (docs/messages.md)."""

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from app.web.extensions import db as flask_db
from app.web.extensions import mail
from app.web.messages import worker
from app.workflow import outbox
from app.workflow.models import Message, MessageChannel, MessageOptOut, MessageState
from ballots.db import utcnow
from tests.factories import create_council, create_user

EMAIL = MessageChannel.EMAIL
TEMPLATE = str(uuid.uuid4())
WELSH_TEMPLATE = str(uuid.uuid4())


def messages(db) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message)))


def queue_link(db, user, kind="password_reset", **kw) -> Message:
    message = outbox.queue(
        db.session,
        kind,
        to=user.email,
        language=kw.pop("language", "en"),
        data={"link": "http://localhost/auth/reset/abc", "lasts_seconds": 3600},
        user=user,
        **kw,
    )
    db.session.commit()
    return message


@pytest.fixture
def notify(app, fake_notify):
    """The app sending through the fake Notify, with a template for password resets."""
    fake_notify.add_template(TEMPLATE, "email", ["name", "link", "lasts"])
    fake_notify.add_template(WELSH_TEMPLATE, "email", ["name", "link", "lasts"])
    app.config.update(
        NOTIFY_API_KEY=fake_notify.api_key,
        NOTIFY_BASE_URL=fake_notify.base_url,
        NOTIFY_TEMPLATES={"password_reset": {"en": TEMPLATE, "cy": WELSH_TEMPLATE}},
        MESSAGE_RETRY_SECONDS=30,
    )
    return fake_notify


def make_due(db) -> None:
    """Jump over every wait: what is queued for later is due now."""
    db.session.execute(update(Message).values(available_at=None))
    db.session.commit()


def test_a_rolled_back_action_sends_nothing_and_a_committed_one_waits_for_the_worker(app, db):
    jo = create_user(email="jo@example.org")
    db.session.commit()
    outbox.queue(db.session, "account_exists", to=jo.email, language="en")
    db.session.rollback()
    assert messages(db) == []

    queue_link(db, jo)
    [queued] = messages(db)
    assert (queued.state, queued.attempts, queued.recipient) == (
        MessageState.QUEUED,
        0,
        "jo@example.org",
    )
    with mail.record_messages() as sent:
        done = worker.deliver_due(app)
    assert done["sent"] == 1 and [m.recipients for m in sent] == [["jo@example.org"]]


def test_through_notify_a_429_and_a_500_are_tried_again_with_a_growing_wait(app, db, notify):
    jo = create_user(email="jo@example.org", display_name="Jo")
    db.session.commit()
    queue_link(db, jo)
    notify.fail_next(429)
    notify.fail_next(500)

    assert worker.deliver_due(app)["retry"] == 1
    [m] = messages(db)
    first_wait = m.available_at - utcnow()
    assert m.state == MessageState.QUEUED and m.attempts == 1 and "429" in m.last_error
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=37)
    # Not due yet: nothing is sent, nothing is asked of Notify.
    assert worker.deliver_due(app)["retry"] == 0 and len(notify.requests) == 1

    make_due(db)
    assert worker.deliver_due(app)["retry"] == 1
    [m] = messages(db)
    assert m.attempts == 2 and "500" in m.last_error
    assert m.available_at - utcnow() > timedelta(seconds=55)  # doubled

    make_due(db)
    assert worker.deliver_due(app)["sent"] == 1
    [m] = messages(db)
    [got] = notify.sent
    assert got["to"] == "jo@example.org" and got["template_id"] == TEMPLATE
    assert got["personalisation"]["name"] == "Jo" and got["reference"] == m.id
    assert m.state == MessageState.SENT and m.provider_id == got["id"]
    # A link that resets a password is not kept once it went.
    assert m.recipient is None and m.data is None and m.purged_at is not None


def test_notify_refusing_a_message_for_good_puts_it_in_the_dead_letters(app, db, notify):
    jo = create_user(email="jo@example.org")
    db.session.commit()
    queue_link(db, jo)
    notify.fail_next(400, message="email_address Not a valid email address")

    assert worker.deliver_due(app)["failed"] == 1
    [m] = messages(db)
    assert m.state == MessageState.FAILED and m.failed_at is not None
    assert "Not a valid email address" in m.last_error
    assert worker.deliver_due(app)["sent"] == 0  # a failed message is not tried by itself


def test_a_message_with_no_notify_template_fails_saying_which(app, db, notify):
    jo = create_user(email="jo@example.org")
    db.session.commit()
    outbox.queue(db.session, "account_exists", to=jo.email, language="en")
    db.session.commit()
    assert worker.deliver_due(app)["failed"] == 1
    [m] = messages(db)
    assert "no GOV.UK Notify template for account_exists (email) in en" in m.last_error
    assert notify.requests == []


def test_after_max_attempts_a_message_gives_up(app, db, notify):
    app.config["MESSAGE_MAX_ATTEMPTS"] = 3
    jo = create_user(email="jo@example.org")
    db.session.commit()
    queue_link(db, jo)
    notify.fail_next(503, count=3)
    outcomes = []
    for _ in range(3):
        outcomes.append(max(worker.deliver_due(app), key=lambda k: k != "held"))
        make_due(db)
    [m] = messages(db)
    assert m.state == MessageState.FAILED and m.attempts == 3
    assert outcomes[-1] == "failed"


def test_officers_retry_clears_the_attempts_and_it_goes(app, db, notify):
    council = create_council(slug="home")
    officer = create_user(email="officer@example.org")
    jo = create_user(email="jo@example.org")
    db.session.commit()
    queue_link(db, jo, council=council)
    notify.fail_next(400)
    worker.deliver_due(app)
    [m] = messages(db)
    assert outbox.retry(db.session, council=council, message_ids=[m.id], actor=officer) == 1
    db.session.commit()
    assert worker.deliver_due(app)["sent"] == 1
    assert messages(db)[0].state == MessageState.SENT


def test_a_welsh_account_gets_the_welsh_template(app, db, notify):
    jo = create_user(email="jo@example.org")
    db.session.commit()
    queue_link(db, jo, language="cy")
    worker.deliver_due(app)
    assert [s["template_id"] for s in notify.sent] == [WELSH_TEMPLATE]


def test_a_claim_left_by_a_worker_that_died_is_taken_again_once_its_lease_ends(app, db):
    jo = create_user(email="jo@example.org")
    db.session.commit()
    queue_link(db, jo)
    [claimed] = outbox.claim(db.session, EMAIL, limit=10)
    assert claimed.state == MessageState.SENDING
    # Another worker finds nothing while the lease lasts...
    assert outbox.claim(db.session, EMAIL, limit=10) == []
    # ...and takes it once the lease is over.
    later = utcnow() + timedelta(seconds=outbox.RetryPolicy().lease_seconds + 1)
    [again] = outbox.claim(db.session, EMAIL, limit=10, now=later)
    assert again.id == claimed.id and again.attempts == 2


def test_the_rate_per_channel_holds_back_what_is_over_it(app, db):
    app.config["MESSAGE_RATES"] = {"email": 3, "sms": 600, "letter": 600}
    for i in range(5):
        outbox.queue(db.session, "account_exists", to=f"p{i}@example.org", language="en")
    db.session.commit()
    with mail.record_messages() as sent:
        first = worker.deliver_due(app)
        second = worker.deliver_due(app)
    assert first["sent"] == 3 and second["sent"] == 0 and second["held"] == 1
    assert len(sent) == 3
    states = [m.state for m in messages(db)]
    assert states.count(MessageState.SENT) == 3 and states.count(MessageState.QUEUED) == 2


def test_opting_out_cancels_what_is_queued_and_stops_what_comes(app, db):
    jo = create_user(email="jo@example.org")
    council = create_council(slug="home")
    db.session.commit()
    data = {"council_id": council.id, "waiting": 1, "reported": 0}
    outbox.queue(db.session, "officer_review", to=jo.email, language="en", user=jo, data=data)
    db.session.commit()
    assert outbox.set_opt_out(db.session, jo, "officer_alerts", out=True)
    db.session.commit()
    [cancelled] = messages(db)
    assert cancelled.state == MessageState.CANCELLED and cancelled.recipient is None
    again = outbox.queue(db.session, "officer_review", to=jo.email, language="en", user=jo)
    assert again is None
    assert db.session.scalar(select(func.count()).select_from(MessageOptOut)) == 1
    # What answers their own action still goes.
    assert queue_link(db, jo) is not None


def test_sent_messages_are_emptied_after_the_retention_period(app, db):
    jo = create_user(email="jo@example.org")
    db.session.commit()
    outbox.queue(db.session, "account_exists", to=jo.email, language="en")
    db.session.commit()
    worker.deliver_due(app)
    [m] = messages(db)
    assert m.recipient == "jo@example.org"
    assert outbox.purge(db.session, retention_days=7) == 0
    eight_days_on = utcnow() + timedelta(days=8)
    assert outbox.purge(db.session, retention_days=7, now=eight_days_on) == 1
    db.session.commit()
    [m] = messages(db)
    assert (m.recipient, m.data, m.state) == (None, None, MessageState.SENT)
    assert m.purged_at is not None


def test_a_vote_confirmation_keeps_no_time_and_is_deleted_once_sent(app, db):
    council = create_council(slug="home")
    jo = create_user(email="jo@example.org")
    db.session.commit()
    outbox.queue(
        db.session, "vote_confirmation", to=jo.email, language="en", user=jo, council=council
    )
    db.session.commit()
    [m] = messages(db)
    assert m.created_at is None
    # Worded from a round that is gone: it cannot be sent, and gives up.
    assert worker.deliver_due(app)["failed"] == 1
    [m] = messages(db)
    assert m.failed_at.minute % 10 == 0 and m.failed_at.second == 0  # coarse, not the moment
    outbox.purge(db.session, retention_days=7, now=utcnow() + timedelta(days=8))
    db.session.commit()
    assert messages(db) == []


def test_send_messages_once_from_the_command_line(app, db, runner):
    for i in range(3):
        outbox.queue(db.session, "account_exists", to=f"p{i}@example.org", language="en")
    db.session.commit()
    with mail.record_messages() as sent:
        result = runner.invoke(args=["send-messages", "--once"])
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output and len(sent) == 3


def test_notify_templates_prints_each_kind_with_its_fields(app, runner):
    result = runner.invoke(args=["notify-templates", "--language", "cy"])
    assert result.exit_code == 0, result.output
    assert "=== vote_confirmation (email, cy) ===" in result.output
    assert "((voted))" in result.output and "((unsubscribe))" in result.output
    bad = runner.invoke(args=["notify-templates", "--language", "fr"])
    assert bad.exit_code != 0 and "'fr' is not one of the service's languages" in bad.output


def test_a_bad_notify_templates_setting_is_refused_naming_it(app, runner):
    app.config.update(NOTIFY_API_KEY="x" * 80, NOTIFY_TEMPLATES='{"no_such_kind": {"en": "x"}}')
    result = runner.invoke(args=["send-messages", "--once"])
    assert result.exit_code != 0
    assert "NOTIFY_TEMPLATES names an unknown kind 'no_such_kind'" in result.output


def test_workers_on_several_connections_never_claim_the_same_message(app, db, database):
    """Four workers, each with its own connection, claiming at once: every message is claimed
    exactly once (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a time)."""
    for i in range(200):
        outbox.queue(db.session, "account_exists", to=f"p{i}@example.org", language="en")
    db.session.commit()
    url = flask_db.engine.url
    claimed: list[list[str]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(n: int) -> None:
        sqlite = url.get_backend_name() == "sqlite"
        engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
        try:
            with Session(engine) as session:
                start.wait()
                while True:
                    got = outbox.claim(session, EMAIL, limit=7)
                    if not got:
                        return
                    claimed[n].extend(m.id for m in got)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    every = [i for c in claimed for i in c]
    assert len(every) == len(set(every)) == 200
    if database.dialect == "postgresql":
        assert sum(1 for c in claimed if c) >= 2  # they worked side by side


def test_a_key_that_is_not_a_notify_key_is_refused_naming_it(app, runner):
    app.config.update(NOTIFY_API_KEY="not-a-key")
    result = runner.invoke(args=["send-messages", "--once"])
    assert result.exit_code != 0
    assert "NOTIFY_API_KEY is not a GOV.UK Notify API key" in result.output


def test_an_email_has_its_plain_text_first_and_an_html_part_made_from_it(app, db):
    outbox.queue(db.session, "account_exists", to="jo@example.org", language="cy")
    db.session.commit()
    with mail.record_messages() as sent:
        worker.deliver_due(app)
    [email] = sent
    parts = [p.get_content_type() for p in email._message().walk()]
    assert parts.index("text/plain") < parts.index("text/html")
    assert email.html.startswith('<!DOCTYPE html>\n<html lang="cy">')
    assert '<a href="http://localhost/auth/sign-in">' in email.html
    assert "http://localhost/auth/sign-in" in email.body


def test_workers_claiming_at_once_keep_to_the_channels_rate_together(app, db, database):
    """Four workers, each with its own connection, claiming at once under a rate of 25 a
    minute: 25 are claimed in all, however the claims interleave."""
    for i in range(100):
        outbox.queue(db.session, "account_exists", to=f"p{i}@example.org", language="en")
    db.session.commit()
    url = flask_db.engine.url
    claimed: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work() -> None:
        sqlite = url.get_backend_name() == "sqlite"
        engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
        try:
            with Session(engine) as session:
                start.wait()
                for _ in range(5):
                    got = outbox.claim(session, EMAIL, limit=4, per_minute=25)
                    claimed.append(len(got or []))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(claimed) == 25


def test_with_messages_left_to_the_worker_a_request_never_sends_one(app, db, client, runner):
    """As in production (``MESSAGES_IN_PROCESS`` off): the request queues the email and the
    worker sends it; the request itself talks to no mail server."""
    from config import ProductionConfig
    from tests.app.pages import submit

    assert ProductionConfig.MESSAGES_IN_PROCESS is False
    app.config["MESSAGES_IN_PROCESS"] = False
    create_user(email="jo@example.org")
    db.session.commit()
    with mail.record_messages() as sent:
        response = submit(client, "/auth/reset-password", {"email": "jo@example.org"})
        response.close()
        assert sent == []
        [waiting] = messages(db)
        assert waiting.state == MessageState.QUEUED and waiting.kind == "password_reset"
        result = runner.invoke(args=["send-messages", "--once"])
    assert "1 sent" in result.output
    assert [m.recipients for m in sent] == [["jo@example.org"]]
