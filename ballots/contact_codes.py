"""Six-digit codes texted or emailed, when a person asks, to the mobile number or email address
they have on the roll: another way to verify an account as a roll entry, ending in the same
``Verification`` as a posted code (``ballots.roll.verify``) and so in the same exactly-once
cast.

A code is 6 digits from ``secrets.randbelow`` (one in a million), stored only as HMAC-SHA256
under the key posted codes use (``roll.code_hash``). It works for ``CONTACT_CODE_LIFETIME``
(10 minutes) and ``CONTACT_CODE_TRIES`` (5) wrong tries, after which it is dead and a new one
must be asked for. Each try is counted before its code is compared (compare-and-set on
``wrong_tries``), so concurrent tries are counted one at a time; the caller commits a wrong
try (``CodeInvalid``) and rolls back every other refusal.

Asking for a code answers nothing about the roll: ``request_code`` returns None, storing
nothing, when the number or address is not on the roll, when everyone on the roll with it is
verified already, and when it has been sent ``SENDS_PER_ENTRY`` codes in the last
``SEND_WINDOW``; the page then says the same as when a code went.

Counting what was sent, across every worker and host: a code's row is kept after a newer one
replaces it or its tries run out (dead: ``wrong_tries`` at ``CONTACT_CODE_TRIES``, so it
matches nothing) until ``SEND_WINDOW`` after it was made, which is ``expires_at`` plus the
5 minutes by which the window outlasts a code. The codes a roll entry was sent in the last
15 minutes are therefore its rows whose ``expires_at`` is later than 5 minutes ago, counted
in the database under a lock of the entry's own (an advisory lock on PostgreSQL, the write
lock on SQLite), so two requests at once cannot both take the last place. Older rows are
deleted: the entry's own when it is next asked for, everyone's by ``forget_spent`` (the
message worker's purge). The right code deletes the entry's rows and the account's in the
council, so nothing keeps when an account was verified.

Several people may share one mobile number or address (a household): a request goes to the
first of them on the roll who is not verified yet, so each in turn can verify from their own
account.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ballots import contacts
from ballots.db import begin_write
from ballots.errors import (
    CodeBusy,
    CodeExpired,
    CodeInvalid,
    CodeSpent,
    CodeUsed,
    ContactInvalid,
)
from ballots.models import ContactCode, RollEntry, Verification
from ballots.refusals import N_, Nn_
from ballots.roll import add_verification, code_hash, refuse_if_verified

CODE_DIGITS = 6
CONTACT_CODE_LIFETIME = timedelta(minutes=10)
CONTACT_CODE_TRIES = 5
SENDS_PER_ENTRY = 3
SEND_WINDOW = timedelta(minutes=15)
# How long a row is kept after its code expires, so that it still counts towards the window.
_KEPT_AFTER_EXPIRY = SEND_WINDOW - CONTACT_CODE_LIFETIME
# The first half of the advisory lock a roll entry's sending is counted under (PostgreSQL);
# the entry's id is the second.
SEND_LOCK = 0x64657663  # "devc"

SMS, EMAIL = "sms", "email"

ALREADY_VERIFIED = N_(
    "You, or someone with this number or address, are already verified on this roll."
)
ACCOUNT_VERIFIED = N_("Your account is already verified on this roll.")


@dataclass(frozen=True)
class IssuedContactCode:
    """A code made for one roll entry, to send once (only its hash is kept)."""

    roll_entry_id: int
    scope: str
    channel: str  # "sms" or "email"
    to: str  # the number (+447...) or address, as on the roll
    code: str  # 6 digits, shown in the message only
    expires_at: datetime
    language: str | None  # the entry's (None: the council's first)


def read_contact(text: str) -> tuple[str, str]:
    """What a person typed to be sent a code: ``("sms", "+447...")`` for a UK mobile number
    (as ``contacts.uk_mobile`` reads it), ``("email", address)`` for an email address (its
    domain in small letters), else ``ContactInvalid``."""
    if "@" in text:
        address = contacts.email_address(text)
        if address is not None:
            return EMAIL, address
    else:
        number = contacts.uk_mobile(text)
        if number is not None:
            return SMS, number
    raise ContactInvalid()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalise(code: str) -> str:
    """The digits typed, spaces and dashes left out (``123 456`` is ``123456``)."""
    return "".join(ch for ch in code if ch in "0123456789")


def _entry_for(
    session: Session, *, council_id: int, scope: str, channel: str, to: str
) -> RollEntry | None:
    """The first entry on the roll with this number or address that has verified no account.
    An address is matched as written first (the index on it), then without regard to case."""
    verified = select(Verification.id).where(Verification.roll_entry_id == RollEntry.id).exists()
    on_roll = select(RollEntry).where(
        RollEntry.council_id == council_id, RollEntry.scope == scope, ~verified
    )
    if channel == SMS:
        return session.scalar(on_roll.where(RollEntry.phone == to).order_by(RollEntry.id).limit(1))
    exact = session.scalar(on_roll.where(RollEntry.email == to).order_by(RollEntry.id).limit(1))
    if exact is not None:
        return exact
    return session.scalar(
        on_roll.where(func.lower(RollEntry.email) == to.lower()).order_by(RollEntry.id).limit(1)
    )


def _lock_sending(session: Session, entry_id: int) -> None:
    """Hold the entry's sending lock until the transaction ends (PostgreSQL; SQLite's write
    lock, taken already, does the same)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(SEND_LOCK, entry_id)))


def request_code(
    session: Session,
    *,
    council_id: int,
    scope: str,
    user_id: int,
    contact: str,
    key: bytes,
    now: datetime,
) -> IssuedContactCode | None:
    """A new code for the account to verify as the entry on this roll (``scope``) with the
    mobile number or email address ``contact``, or None, with nothing stored, when there is
    no such entry, every such entry is verified, or it has had ``SENDS_PER_ENTRY`` codes in
    the last ``SEND_WINDOW``: the caller says the same whichever, so the roll cannot be
    probed. Any earlier code of the account in the council stops working.

    Refused: ``ContactInvalid`` (neither a UK mobile nor an email address) and ``CodeUsed``
    (the account is verified on this roll already), before anything is looked up. The caller
    sends the code (to ``IssuedContactCode.to``) and commits."""
    channel, to = read_contact(contact)
    begin_write(session)  # SQLite: the count and the insert under one write lock
    already = session.scalar(
        select(Verification.id).where(
            Verification.user_id == user_id,
            Verification.council_id == council_id,
            Verification.scope == scope,
        )
    )
    if already is not None:
        raise CodeUsed(ACCOUNT_VERIFIED)
    entry = _entry_for(session, council_id=council_id, scope=scope, channel=channel, to=to)
    if entry is None:
        return None
    _lock_sending(session, entry.id)
    counted_after = now - _KEPT_AFTER_EXPIRY
    session.execute(
        delete(ContactCode)
        .where(ContactCode.roll_entry_id == entry.id, ContactCode.expires_at <= counted_after)
        .execution_options(synchronize_session=False)
    )
    sent = session.scalar(
        select(func.count())
        .select_from(ContactCode)
        .where(ContactCode.roll_entry_id == entry.id, ContactCode.expires_at > counted_after)
    )
    if sent >= SENDS_PER_ENTRY:
        return None
    # The account's earlier codes die (kept, to be counted, until their window is over).
    session.execute(
        update(ContactCode)
        .where(
            ContactCode.user_id == user_id,
            ContactCode.council_id == council_id,
            ContactCode.wrong_tries < CONTACT_CODE_TRIES,
        )
        .values(wrong_tries=CONTACT_CODE_TRIES)
        .execution_options(synchronize_session=False)
    )
    code = new_code()
    expires_at = now + CONTACT_CODE_LIFETIME
    session.add(
        ContactCode(
            council_id=council_id,
            roll_entry_id=entry.id,
            user_id=user_id,
            channel=channel,
            code_hash=code_hash(code, key),
            expires_at=expires_at,
            wrong_tries=0,
        )
    )
    session.flush()
    # To the number or address as the roll has it (an address may have been typed in
    # other letters).
    to = entry.phone if channel == SMS else entry.email
    return IssuedContactCode(entry.id, entry.scope, channel, to, code, expires_at, entry.language)


def check_code(
    session: Session,
    *,
    council_id: int,
    user_id: int,
    code: str,
    key: bytes,
    now: datetime,
    today: date,
) -> RollEntry:
    """Verify the account as the roll entry its latest code in the council was sent for.

    The try is counted first, by compare-and-set on the code's ``wrong_tries``; a wrong code
    is ``CodeInvalid`` saying how many tries are left (the caller commits: the try counts),
    and the fifth kills the code. Refused before anything is counted: ``CodeExpired`` (no
    code, or past its 10 minutes), ``CodeSpent`` (tried wrongly 5 times, or replaced by a
    newer one), ``CodeBusy`` (another try at this moment). The right code deletes the code
    and records the verification with ``today`` (the London day, no time), refused with
    ``CodeUsed`` when the entry or the account is verified on that roll already (the caller
    rolls back)."""
    begin_write(session)  # SQLite: the try's count must not wait on a read-only snapshot
    found = session.scalar(
        select(ContactCode)
        .where(ContactCode.user_id == user_id, ContactCode.council_id == council_id)
        .order_by(ContactCode.id.desc())
        .limit(1)
    )
    if found is None:
        raise CodeExpired(N_("No code is waiting for your account. Ask for a code first."))
    tried, stored, entry_id = found.wrong_tries, found.code_hash, found.roll_entry_id
    if tried >= CONTACT_CODE_TRIES:
        raise CodeSpent()
    if found.expires_at <= now:
        raise CodeExpired(
            N_("This code has expired: a code works for 10 minutes. Ask for a new one."),
            field="code",
        )
    counted = session.execute(
        update(ContactCode)
        .where(ContactCode.id == found.id, ContactCode.wrong_tries == tried)
        .values(wrong_tries=tried + 1)
        .execution_options(synchronize_session=False)
        .returning(ContactCode.id)
    ).first()
    session.expire(found)  # its count was changed behind the session's back
    if counted is None:
        raise CodeBusy()
    if not hmac.compare_digest(stored, code_hash(normalise(code), key)):
        left = CONTACT_CODE_TRIES - tried - 1
        if left == 0:
            raise CodeInvalid(
                N_(
                    "That code is not right, and it has now been tried wrongly %(tries)s "
                    "times, so it no longer works. Ask for a new code."
                ),
                field="code",
                tries=CONTACT_CODE_TRIES,
            )
        raise CodeInvalid(
            Nn_(
                "That code is not right. Check the message and try again: %(num)s more try "
                "with this code.",
                "That code is not right. Check the message and try again: %(num)s more tries "
                "with this code.",
                left,
            ),
            field="code",
        )
    entry = session.get(RollEntry, entry_id)
    refuse_if_verified(session, entry=entry, user_id=user_id, message=ALREADY_VERIFIED)
    session.execute(
        delete(ContactCode)
        .where(
            or_(
                ContactCode.roll_entry_id == entry.id,
                (ContactCode.user_id == user_id) & (ContactCode.council_id == council_id),
            )
        )
        .execution_options(synchronize_session=False)
    )
    add_verification(session, entry=entry, user_id=user_id, today=today, message=ALREADY_VERIFIED)
    return entry


def forget_spent(session: Session, *, now: datetime) -> int:
    """Delete every code that no longer works and no longer counts towards a sending limit
    (the caller commits). Returns how many."""
    done = session.execute(
        delete(ContactCode)
        .where(ContactCode.expires_at <= now - _KEPT_AFTER_EXPIRY)
        .execution_options(synchronize_session=False)
    ).rowcount
    return done or 0
