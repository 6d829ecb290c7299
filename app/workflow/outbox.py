"""The outbox: every message to a person is a row written in the same transaction as what
causes it, and delivered afterwards by a worker (``flask send-messages``; docs/messages.md).

A rolled-back action therefore sends nothing, and a committed one is never lost: the row waits
until a worker claims it. Workers on several hosts claim rows with ``SELECT ... FOR UPDATE
SKIP LOCKED`` (PostgreSQL) so no two take the same one; a worker that dies holding a claim
loses it when its lease runs out, and another takes the row again (so a message is sent at
least once: the gateway's reference is the row's id, so a duplicate can be traced).

A failure the gateway may get over (a 429, a 5xx, a timeout) is tried again after a growing
wait (``RetryPolicy``); a refusal it will not (a 400: a bad address) or too many failures give
up: the row is ``failed``, shown to the council's officers, who can try it again.

This module knows the rows, not the gateways: how a message is worded and sent is the web
layer's (``app.web.messages``). Nothing here imports Flask.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.models import (
    Council,
    Message,
    MessageChannel,
    MessageOptOut,
    MessageState,
    Role,
    User,
)
from ballots.db import begin_write, utcnow
from ballots.models import random_key
from ballots.refusals import N_, Refusal

EMAIL, SMS, LETTER = MessageChannel.EMAIL, MessageChannel.SMS, MessageChannel.LETTER

# What a person may choose not to be sent, each with the words for their account page.
TOPICS = {
    "confirmations": N_("A confirmation each time I vote"),
    "reminders": N_("A reminder before voting closes when I have not voted"),
    "results": N_("Results of rounds I took part in"),
    "proposals": N_("News of my proposals: reviewed, merged, hidden, on the ballot, funded"),
    "delivery": N_("Progress of funded projects I proposed or supported"),
    "officer_alerts": N_("As an officer: what needs me (reviews, reports, failures)"),
}


@dataclass(frozen=True)
class Kind:
    """What is true of every message of a kind, whatever its words.

    ``topic``: the person can opt out of it (None: it answers their own action, or is the
    council's duty, and always goes). ``secret``: it carries something that must not be kept
    once it went (a link that proves the address, a voting code): emptied on delivery.
    ``unordered``: it follows a ballot, or comes just before one, so it keeps no time and is
    deleted once sent (its rows must not give the order people voted in)."""

    name: str
    channels: frozenset[MessageChannel]
    topic: str | None = None
    secret: bool = False
    unordered: bool = False


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {k.name: k for k in kinds}


ONLY_EMAIL = frozenset({EMAIL})
KINDS = _kinds(
    Kind("confirm_email", ONLY_EMAIL, secret=True),
    Kind("password_reset", ONLY_EMAIL, secret=True),
    Kind("account_exists", ONLY_EMAIL),
    Kind("fingerprints", ONLY_EMAIL),
    Kind("voting_code", frozenset({LETTER, SMS}), secret=True),
    # Asked for on the verify page, to the number or address on the roll: the code is a
    # secret, and when it was asked for is about when its person votes, so no time is kept.
    Kind("contact_code", frozenset({SMS, EMAIL}), secret=True, unordered=True),
    # To the address a member has on an organisation's register, asked for by an account
    # to be linked to the member (``governance.claims``).
    Kind("member_code", ONLY_EMAIL, secret=True),
    # To the member asked to second another member's motion (``governance.motions``): it
    # answers a request made of them, so it always goes.
    Kind("second_request", ONLY_EMAIL),
    Kind("vote_confirmation", ONLY_EMAIL, topic="confirmations", unordered=True),
    Kind("voting_reminder", ONLY_EMAIL, topic="reminders"),
    Kind("results_published", ONLY_EMAIL, topic="results"),
    Kind("proposal_status", ONLY_EMAIL, topic="proposals"),
    Kind("delivery_update", ONLY_EMAIL, topic="delivery"),
    Kind("officer_review", ONLY_EMAIL, topic="officer_alerts"),
    Kind("phase_stuck", ONLY_EMAIL, topic="officer_alerts"),
    Kind("messages_failed", ONLY_EMAIL, topic="officer_alerts"),
)


class UnknownMessage(DomainError):
    """An id that is not one of the messages asked about (another council's, or gone)."""

    status = 404


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown message kind {name!r}: add it to outbox.KINDS") from None


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before trying a message again, and when to give up."""

    max_attempts: int = 8
    base_seconds: int = 30
    max_seconds: int = 3600
    lease_seconds: int = 300

    def wait(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: doubling from ``base_seconds``, at most
        ``max_seconds``, with up to a fifth more at random so that failures do not come back
        all together."""
        seconds = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds)
        return timedelta(seconds=seconds * (1 + random.random() / 5))


# ---------------------------------------------------------------------------------------------
# Queueing: in the caller's transaction; the caller commits.


def opted_out(session: Session, user_id: int | None, topic: str | None) -> bool:
    if user_id is None or topic is None:
        return False
    return session.get(MessageOptOut, (user_id, topic)) is not None


def queue(
    session: Session,
    kind_name: str,
    *,
    to: str,
    language: str,
    data: dict | None = None,
    channel: MessageChannel = EMAIL,
    user: User | None = None,
    council: Council | None = None,
    now: datetime | None = None,
    about: str | None = None,
    once_within: timedelta | None = None,
) -> Message | None:
    """Add one message to the outbox in ``session``'s transaction (the caller commits), or
    nothing (None) when its person has opted out of its topic. ``data`` is what the message
    says, as JSON values: ids and numbers, worded when it is sent, in ``language``.
    ``about`` with ``once_within``: nothing either when a message of this kind about the same
    thing went to the same address that recently (a notice the scheduler would otherwise
    repeat every few minutes)."""
    rule = kind(kind_name)
    if channel not in rule.channels:
        raise ValueError(f"{kind_name} messages are not sent by {channel.value}")
    if not (to or "").strip():
        raise ValueError(f"a {kind_name} message needs someone to send it to")
    if user is not None and opted_out(session, user.id, rule.topic):
        return None
    now = now or utcnow()
    if (
        about is not None
        and once_within is not None
        and _sent_lately(session, kind_name, about, to.strip(), now - once_within)
    ):
        return None
    message = Message(
        id=random_key(),
        kind=kind_name,
        channel=channel,
        state=MessageState.QUEUED,
        recipient=to.strip(),
        language=language,
        data=dict(data or {}),
        user_id=user.id if user is not None else None,
        council_id=council.id if council is not None else None,
        attempts=0,
        last_error="",
        about=about,
        created_at=None if rule.unordered else now,
    )
    session.add(message)
    return message


def _sent_lately(session: Session, kind_name: str, about: str, to: str, since: datetime) -> bool:
    return (
        session.scalar(
            select(Message.id)
            .where(
                Message.kind == kind_name,
                Message.about == about,
                Message.created_at >= since,
                Message.recipient == to,
                Message.state != MessageState.CANCELLED,
            )
            .limit(1)
        )
        is not None
    )


@dataclass(frozen=True)
class Recipient:
    """One person in a message sent to many: their address, language and account."""

    to: str
    language: str
    user_id: int | None = None
    data: dict | None = None


def queue_many(
    session: Session,
    kind_name: str,
    recipients: Iterable[Recipient],
    *,
    data: dict | None = None,
    channel: MessageChannel = EMAIL,
    council_id: int | None = None,
    now: datetime | None = None,
    batch: int = 5000,
) -> int:
    """Add one message each to many people in ``session``'s transaction, in batches of
    multi-row inserts (a round's reminder to 100,000 residents is one transaction). Those who
    opted out of the kind's topic are left out (the caller's query may already have done so);
    ``data`` is shared, a recipient's own ``data`` laid over it. Returns how many were queued."""
    rule = kind(kind_name)
    if channel not in rule.channels:
        raise ValueError(f"{kind_name} messages are not sent by {channel.value}")
    created = None if rule.unordered else (now or utcnow())
    shared = dict(data or {})
    count = 0
    rows: list[dict] = []

    def flush() -> None:
        nonlocal rows, count
        if rows:
            session.execute(insert(Message), rows)
            count += len(rows)
            rows = []

    for r in recipients:
        if not (r.to or "").strip():
            continue
        rows.append(
            {
                "id": random_key(),
                "kind": kind_name,
                "channel": channel,
                "state": MessageState.QUEUED,
                "recipient": r.to.strip(),
                "language": r.language,
                "data": {**shared, **(r.data or {})},
                "user_id": r.user_id,
                "council_id": council_id,
                "attempts": 0,
                "last_error": "",
                "created_at": created,
            }
        )
        if len(rows) >= batch:
            flush()
    flush()
    return count


def not_opted_out(user_id_column, topic: str | None):
    """SQL: the person (``user_id_column``) has not opted out of ``topic``, for queries that
    choose recipients in bulk."""
    if topic is None:
        return True
    return (
        ~select(MessageOptOut.user_id)
        .where(MessageOptOut.user_id == user_id_column, MessageOptOut.topic == topic)
        .exists()
    )


# ---------------------------------------------------------------------------------------------
# Choosing not to be sent a topic.


def set_opt_out(session: Session, user: User, topic: str, *, out: bool) -> bool:
    """Record that ``user`` does (``out``) or does not want ``topic``'s messages; returns
    whether anything changed. Queued messages of the topic to them are cancelled too."""
    if topic not in TOPICS:
        raise Refusal(N_("There is no such kind of message."), field="topic")
    existing = session.get(MessageOptOut, (user.id, topic))
    if out == (existing is not None):
        return False
    if out:
        session.add(MessageOptOut(user_id=user.id, topic=topic, created_at=utcnow()))
        names = [k.name for k in KINDS.values() if k.topic == topic]
        session.execute(
            update(Message)
            .where(
                Message.user_id == user.id,
                Message.kind.in_(names),
                Message.state == MessageState.QUEUED,
            )
            .values(state=MessageState.CANCELLED, recipient=None, data=None, purged_at=utcnow())
        )
    else:
        session.delete(existing)
    return True


def opt_outs(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(select(MessageOptOut.topic).where(MessageOptOut.user_id == user_id)))


# The topic only officers are sent: what needs them in their council.
OFFICER_TOPICS = frozenset({"officer_alerts"})


def topics_for(user: User) -> list[str]:
    """The topics ``user`` is offered on their account page, in ``TOPICS``' order: the
    officers' alerts only to someone who is an officer (or administrator) of some council."""
    officer = any(m.role in (Role.OFFICER, Role.ADMIN) for m in user.memberships)
    return [t for t in TOPICS if officer or t not in OFFICER_TOPICS]


def stopped_topics(session: Session, user: User) -> list[str]:
    """The topics ``user`` is offered and has chosen not to be sent, in ``TOPICS``' order."""
    out = opt_outs(session, user.id)
    return [t for t in topics_for(user) if t in out]


def set_preferences(
    session: Session, user: User, wanted: Iterable[str], *, asked: Iterable[str] | None = None
) -> int:
    """``user`` wants the topics in ``wanted`` and not the others of ``asked`` (the topics
    their page showed; every topic when None), the caller commits. A topic that is not one of
    ``TOPICS`` (or not one asked about) is refused and nothing changes. Returns how many
    topics changed."""
    wanted = set(wanted)
    asked = list(TOPICS) if asked is None else list(dict.fromkeys(asked))
    if not set(asked) <= set(TOPICS) or not wanted <= set(asked):
        raise Refusal(N_("There is no such kind of message."), field="topics")
    return sum(set_opt_out(session, user, topic, out=topic not in wanted) for topic in asked)


class LinkDoesNotWork(DomainError):
    """An unsubscribe link we did not sign, or naming a person who no longer exists or a topic
    we do not have."""

    status = 404

    def __init__(
        self,
        message: str = N_(
            "The link may be incomplete, or the account it was for may have been closed. "
            "Nothing has been changed."
        ),
        field: str | None = None,
        **params,
    ) -> None:
        super().__init__(message, field, **params)


def linked_person(session: Session, user_id: int, topic: str) -> User:
    """The person an unsubscribe link names, for its ``topic``; refused when either is gone."""
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or topic not in TOPICS:
        raise LinkDoesNotWork()
    return user


def unsubscribe(session: Session, user_id: int, topic: str) -> bool:
    """The link in a message was used: its person is sent no more of its topic (the caller
    commits). Using it again changes nothing. Returns whether anything changed."""
    return set_opt_out(session, linked_person(session, user_id, topic), topic, out=True)


# ---------------------------------------------------------------------------------------------
# Delivering: what a worker does.


def _due(now: datetime):
    return or_(
        (Message.state == MessageState.QUEUED)
        & or_(Message.available_at.is_(None), Message.available_at <= now),
        # A worker that died holding a claim: its lease is over.
        (Message.state == MessageState.SENDING) & (Message.claimed_until < now),
    )


MINUTE = timedelta(minutes=1)
# The advisory lock a channel's rate is counted under (one per channel, from this number).
RATE_LOCK = 0x6465766F6C7600


def in_flight_or_sent_since(session: Session, channel: MessageChannel, since: datetime) -> int:
    """Messages of ``channel`` sent since ``since`` or being sent now, by every worker on
    every host: what the rate per channel counts."""
    return session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.channel == channel,
            or_(
                Message.sent_at >= since,
                (Message.state == MessageState.SENDING) & (Message.claimed_until >= since),
            ),
        )
    )


def claim(
    session: Session,
    channel: MessageChannel,
    *,
    limit: int,
    policy: RetryPolicy = RetryPolicy(),
    now: datetime | None = None,
    ids: Iterable[str] | None = None,
    per_minute: int | None = None,
) -> list[Message] | None:
    """Claim up to ``limit`` due messages of ``channel`` for this worker, and commit the
    claim: another worker (on any host) skips them. On PostgreSQL the rows are locked with
    ``FOR UPDATE SKIP LOCKED`` while they are claimed; SQLite has one writer at a time, which
    gives the same. Unordered kinds come in their random key's order, the rest oldest first.
    ``ids``: only these (a request's own messages, sent at once in development).

    ``per_minute``: the channel's rate, counted across every worker: no more are claimed than
    it leaves of the last minute, and None is returned (held back) when it leaves none. On
    PostgreSQL the count and the claim are made under a lock of the channel's own, so two
    workers cannot both take the last places."""
    now = now or utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"
    if per_minute is not None:
        if postgres:
            session.execute(
                select(func.pg_advisory_xact_lock(RATE_LOCK + list(MessageChannel).index(channel)))
            )
        else:
            begin_write(session)  # SQLite: the write lock, taken before counting
        limit = min(limit, per_minute - in_flight_or_sent_since(session, channel, now - MINUTE))
        if limit <= 0:
            session.rollback()
            return None
    if limit <= 0:
        return []
    token = secrets.token_hex(16)
    candidates = (
        select(Message.id)
        .where(Message.channel == channel, _due(now))
        .where(Message.id.in_(list(ids)) if ids is not None else True)
        .order_by(Message.available_at.is_not(None), Message.created_at, Message.id)
        .limit(limit)
    )
    if postgres:
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        session.rollback()
        return []
    session.execute(
        update(Message)
        .where(Message.id.in_(ids), _due(now))
        .values(
            state=MessageState.SENDING,
            claim=token,
            claimed_until=now + timedelta(seconds=policy.lease_seconds),
            attempts=Message.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return list(
        session.scalars(
            select(Message).where(Message.claim == token, Message.state == MessageState.SENDING)
        )
    )


def still_wanted(session: Session, message: Message) -> bool:
    """Whether ``message`` should still go: its person has not opted out of its kind since it
    was queued. One that should not is cancelled (the caller commits)."""
    rule = kind(message.kind)
    if not opted_out(session, message.user_id, rule.topic):
        return True
    message.state = MessageState.CANCELLED
    _empty(message, utcnow())
    return False


def _empty(message: Message, now: datetime) -> None:
    message.recipient = None
    message.data = None
    message.purged_at = now


def sent(session: Session, message: Message, *, provider_id: str | None, now=None) -> None:
    """``message`` went (the caller commits). A secret is not kept a moment longer; an
    unordered message is deleted."""
    now = now or utcnow()
    rule = kind(message.kind)
    if rule.unordered:
        session.delete(message)
        return
    message.state = MessageState.SENT
    message.sent_at = now
    message.provider_id = provider_id
    message.claim = None
    message.claimed_until = None
    message.last_error = ""
    if rule.secret:
        _empty(message, now)


def failed(
    session: Session,
    message: Message,
    error: str,
    *,
    permanent: bool,
    policy: RetryPolicy = RetryPolicy(),
    now: datetime | None = None,
) -> bool:
    """``message`` could not be sent (the caller commits). It is tried again after a wait,
    unless the gateway refused it for good or it has failed ``max_attempts`` times: then it
    is ``failed`` (officers see it and can try again). Returns whether it gave up."""
    now = now or utcnow()
    message.claim = None
    message.claimed_until = None
    message.last_error = error[:2000]
    if permanent or message.attempts >= policy.max_attempts:
        message.state = MessageState.FAILED
        message.failed_at = _coarse(message, now)
        message.available_at = None
        return True
    message.state = MessageState.QUEUED
    message.available_at = _coarse(message, now + policy.wait(message.attempts))
    return False


def _coarse(message: Message, when: datetime) -> datetime:
    """For an unordered kind, ``when`` rounded up to the next ten minutes: the times of its
    failures must not give the order its people voted in."""
    if not kind(message.kind).unordered:
        return when
    step = 600
    seconds = when.timestamp()
    return datetime.fromtimestamp((int(seconds) // step + 1) * step, tz=when.tzinfo)


def retry(session: Session, *, council: Council | None, message_ids: Iterable[str], actor) -> int:
    """An officer asks for failed messages of ``council`` to be tried again (the caller
    commits): they are queued afresh, their attempts counted from nothing. Returns how many;
    an id that is not a failed message of the council is refused and nothing changes."""
    ids = list(dict.fromkeys(message_ids))
    if not ids:
        raise Refusal(N_("Choose the messages to try again."), field="messages")
    found = session.scalars(
        select(Message).where(
            Message.id.in_(ids),
            Message.council_id.is_(None) if council is None else Message.council_id == council.id,
            Message.state == MessageState.FAILED,
            Message.purged_at.is_(None),
        )
    ).all()
    if len(found) != len(ids):
        raise UnknownMessage(N_("A message you asked to try again is not one of the failed ones."))
    for m in found:
        m.state = MessageState.QUEUED
        m.attempts = 0
        m.available_at = None
        m.failed_at = None
    if council is not None:
        audit.record(
            session,
            action="messages.retried",
            actor=actor,
            council=council,
            subject=council,
            after={"messages": len(found), "kinds": sorted({m.kind for m in found})},
        )
    return len(found)


def purge(session: Session, *, retention_days: int, now: datetime | None = None) -> int:
    """Empty what messages said, and whom to, ``retention_days`` after they went or failed
    (the caller commits); their kind, channel, state and times stay, for the counts. Returns
    how many were emptied."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    done = session.execute(
        update(Message)
        .where(
            Message.purged_at.is_(None),
            or_(
                (Message.state == MessageState.SENT) & (Message.sent_at < cutoff),
                (Message.state == MessageState.FAILED) & (Message.failed_at < cutoff),
            ),
        )
        .values(recipient=None, data=None, last_error="", purged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Failed unordered messages are not kept past the same time either.
    session.execute(
        delete(Message)
        .where(
            Message.kind.in_([k.name for k in KINDS.values() if k.unordered]),
            Message.state.in_([MessageState.FAILED, MessageState.CANCELLED]),
            or_(Message.failed_at < cutoff, Message.failed_at.is_(None)),
        )
        .execution_options(synchronize_session=False)
    )
    return done or 0


def counts(session: Session, council: Council) -> dict[MessageState, int]:
    """How many of ``council``'s messages are in each state."""
    rows = session.execute(
        select(Message.state, func.count())
        .where(Message.council_id == council.id)
        .group_by(Message.state)
    ).all()
    out = dict.fromkeys(MessageState, 0)
    out.update({state: n for state, n in rows})
    return out


def retry_all(session: Session, *, council: Council, actor) -> int:
    """Every failed message of ``council`` is tried again (the caller commits); as ``retry``."""
    ids = session.scalars(
        select(Message.id).where(
            Message.council_id == council.id,
            Message.state == MessageState.FAILED,
            Message.purged_at.is_(None),
        )
    ).all()
    if not ids:
        raise Refusal(N_("There are no failed messages to try again."), field="messages")
    return retry(session, council=council, message_ids=ids, actor=actor)


def failed_messages(session: Session, council: Council, *, limit: int = 200) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.council_id == council.id,
                Message.state == MessageState.FAILED,
                Message.purged_at.is_(None),
            )
            .order_by(Message.failed_at.desc(), Message.id)
            .limit(limit)
        )
    )
