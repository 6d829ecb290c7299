"""The worker that empties the outbox: ``flask --app wsgi send-messages`` beside gunicorn, on
as many hosts as wanted (docs/messages.md).

Each round of work takes each channel in turn: it claims the due messages the channel's rate
still allows (``MESSAGE_RATE_<CHANNEL>`` a minute, counted in the database, so across every
worker on every host), words each in its person's language, hands it to the channel's gateway,
and records what happened, one message per transaction. Every ten minutes it also empties
what old messages said (``MESSAGE_RETENTION_DAYS``).

In development and tests (``MESSAGES_IN_PROCESS``) the messages a request queued are also
sent by the same process once its response has gone, so the demo needs no worker.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy import event

from app.web.extensions import db
from app.web.messages import gateways as gateways_module
from app.web.messages.gateways import Undelivered
from app.web.messages.wording import NotWorded, word
from app.workflow import contact_codes, outbox
from app.workflow.models import Message, MessageChannel
from ballots.db import utcnow

log = logging.getLogger("devolve.messages")
PURGE_EVERY = timedelta(minutes=10)


def policy(app: Flask) -> outbox.RetryPolicy:
    return outbox.RetryPolicy(
        max_attempts=app.config["MESSAGE_MAX_ATTEMPTS"],
        base_seconds=app.config["MESSAGE_RETRY_SECONDS"],
        max_seconds=app.config["MESSAGE_RETRY_MAX_SECONDS"],
    )


def rate(app: Flask, channel: MessageChannel) -> int:
    return int(app.config["MESSAGE_RATES"][channel.value])


def deliver_one(app: Flask, message: Message, gateway, rules: outbox.RetryPolicy) -> str:
    """Send one claimed message and record what happened; returns ``sent``, ``retry``,
    ``failed`` or ``cancelled``. Nothing it raises escapes: a gateway that breaks in a way
    nobody foresaw is a failure to try again."""
    session = db.session
    if not outbox.still_wanted(session, message):
        session.commit()
        return "cancelled"
    try:
        worded = word(session, message)
        provider_id = gateway.send(message, worded)
    except NotWorded as e:
        outbox.failed(session, message, str(e), permanent=True, policy=rules)
        session.commit()
        return "failed"
    except Undelivered as e:
        gave_up = outbox.failed(session, message, e.reason, permanent=e.permanent, policy=rules)
        session.commit()
        log.warning("%s message %s not sent: %s", message.kind, message.id, e.reason)
        return "failed" if gave_up else "retry"
    except Exception as e:  # noqa: BLE001 (one broken message must not stop the others)
        log.exception("%s message %s: the gateway failed", message.kind, message.id)
        session.rollback()
        message = session.get(Message, message.id)
        gave_up = outbox.failed(
            session, message, f"unexpected error: {e}", permanent=False, policy=rules
        )
        session.commit()
        return "failed" if gave_up else "retry"
    outbox.sent(session, message, provider_id=provider_id)
    session.commit()
    return "sent"


def deliver_due(
    app: Flask,
    *,
    channels: Iterable[MessageChannel] = tuple(MessageChannel),
    batch: int = 50,
    only: Iterable[str] | None = None,
) -> Counter:
    """One round of work: each channel's due messages, as many as its rate allows, at most
    ``batch``; or only the messages ``only`` names. Returns how many went each way."""
    done: Counter = Counter()
    rules = policy(app)
    # A claim must outlast the batch it covers, each message waiting at most the gateway's
    # timeout, or another worker would take the same messages again while they are sent.
    longest = batch * int(app.config["NOTIFY_TIMEOUT_SECONDS"]) + 60
    rules = replace(rules, lease_seconds=max(rules.lease_seconds, longest))
    by_channel = gateways_module.gateways(app)
    only = list(only) if only is not None else None
    for channel in channels:
        claimed = outbox.claim(
            db.session, channel, limit=batch, policy=rules, ids=only, per_minute=rate(app, channel)
        )
        if claimed is None:
            done["held"] += 1
            continue
        for message in claimed:
            done[deliver_one(app, message, by_channel[channel], rules)] += 1
    return done


def run(app: Flask, *, once: bool = False, batch: int = 50, idle: float = 2.0) -> Counter:
    """Work until stopped (or, ``once``, until nothing is due): the worker's loop."""
    total: Counter = Counter()
    last_purge = None
    while True:
        with app.app_context():
            now = utcnow()
            if last_purge is None or now - last_purge >= PURGE_EVERY:
                purged = outbox.purge(
                    db.session, retention_days=app.config["MESSAGE_RETENTION_DAYS"]
                )
                # Codes by text or email that neither work nor count any more (their rows
                # tie an account to a roll entry, with a time).
                contact_codes.forget_spent(db.session, now=now)
                db.session.commit()
                if purged:
                    log.info("emptied %d old messages", purged)
                last_purge = now
            done = deliver_due(app, batch=batch)
        total.update(done)
        busy = sum(n for k, n in done.items() if k != "held")
        if once and not busy and not done.get("held"):
            return total
        if not busy:
            time.sleep(idle)
        elif done.get("held"):
            time.sleep(1.0)


def summary(done: Counter) -> str:
    """What a run did, in words: "12 sent, 1 to try again, 0 failed"."""
    return (
        f"{done.get('sent', 0)} sent, {done.get('retry', 0)} to try again later, "
        f"{done.get('failed', 0)} failed, {done.get('cancelled', 0)} no longer wanted"
    )


# ---------------------------------------------------------------------------------------------
# Development and tests: a request's messages go as soon as its response has.


def queued(message: Message | None) -> None:
    """Note that this request (or command) queued ``message``, for in-process delivery."""
    if message is not None:
        g.setdefault("devolve_queued_messages", []).append(message.id)


def deliver_noted(app: Flask) -> None:
    """Send what this command queued, now, when messages go in-process (development): a
    command's own commit has already made them safe, so this only saves waiting for a
    worker. In production the worker sends them."""
    ids = g.pop("devolve_queued_messages", None)
    if ids and app.config.get("MESSAGES_IN_PROCESS"):
        _deliver_now(app, ids)


def _note_new_messages(session, flush_context) -> None:
    """Every message a request or command adds (through ``outbox.queue``, from any layer) is
    noted for in-process delivery; one rolled back is simply not found when it is sent."""
    if not has_app_context() or not current_app.config.get("MESSAGES_IN_PROCESS"):
        return
    for obj in session.new:
        if isinstance(obj, Message):
            queued(obj)


def register(app: Flask) -> None:
    if not event.contains(db.session, "after_flush", _note_new_messages):
        event.listen(db.session, "after_flush", _note_new_messages)

    @app.after_request
    def deliver_after_the_response(response):
        # Once the response has gone (the server closes it), so how long a page takes never
        # tells whether it sent a message; one rolled back is simply not found. Development
        # and tests only: production leaves every message to the worker.
        ids = g.pop("devolve_queued_messages", None)
        if ids and app.config.get("MESSAGES_IN_PROCESS"):
            base = request.host_url
            response.call_on_close(lambda: _deliver_now(app, ids, base))
        return response


def _deliver_now(app: Flask, ids: list[str], base: str | None = None) -> None:
    with app.app_context():
        g.devolve_site_url = base  # links in them point where the request came from
        try:
            deliver_due(app, only=ids, batch=max(len(ids), 1))
        except Exception:  # noqa: BLE001 (the worker will find them)
            log.exception("could not send this request's messages at once")
