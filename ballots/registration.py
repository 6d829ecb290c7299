"""Becoming eligible without a posted code: a resident registering at an address in the
council's gazetteer, approved at once (up to the council's limit per address) or by an
officer; and an officer registering someone they have seen, in person.

Every path ends where a posted code does: a roll entry (``RollEntry``, with the person's name,
the address's UPRN and how they came: ``RollSource``), verified as the resident's account
when they registered themselves, and then the same exactly-once cast.

A person is on a roll once. People are matched by name as ``name_key`` gives it (case,
accents, spacing and punctuation left out: ``SIÂN O'NEILL`` is ``Siân O'Neill``) and date of
birth: at the same address (UPRN), or where either has none. The unique index
``uq_roll_entries_person`` (council, roll, name, date of birth, UPRN) is the last word when two
requests race; entries without an address are held by the check here alone (a database
index treats each empty UPRN as different).

Nothing here keeps a time of day: a registration keeps the days it was made and decided, and
its verification the day, as a posted code's does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import column, func, or_, select, table, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ballots.box import violates
from ballots.db import begin_write
from ballots.errors import (
    AlreadyOnRoll,
    AlreadyRegistered,
    RegistrationDecided,
    RegistrationNotFound,
    RegistrationRefused,
)
from ballots.models import (
    COUNCIL_SCOPE,
    GazetteerAddress,
    Registration,
    RegistrationState,
    RollEntry,
    RollSource,
    Verification,
    name_key,
    round_scope,
)
from ballots.refusals import N_
from ballots.roll import new_reference

# The oldest anyone registering can be: an older date of birth is a typing slip.
OLDEST = 120
LONGEST_NAME = 200
# The unique keys a registration's writes can break when two requests race.
ONE_PERSON = "uq_roll_entries_person"
ONE_REGISTRATION = "uq_registrations_user_id_council_id_scope"
ONE_VERIFICATION = "uq_verifications_user_id_council_id_scope"

_councils = table("councils", column("id"), column("slug"))
_neighbourhoods = table("neighbourhoods", column("id"), column("council_id"))


def reference_prefix(slug: str) -> str:
    """A council's references start with the first three letters of its slug, in capitals
    (``lambeth``: ``LAM``)."""
    letters = re.sub(r"[^A-Za-z]", "", slug).upper()
    return letters[:3] or "REG"


def _roll(scope: str, round_id: int | None) -> int | None:
    """The roll entry's round (None on the council's roll), checked against ``scope``."""
    if scope == COUNCIL_SCOPE:
        return None
    if round_id is None or scope != round_scope(round_id):
        raise ValueError(f"scope {scope!r} is not the roll of round {round_id!r}")
    return round_id


def _checked_person(name: str, date_of_birth: date | None, today: date) -> tuple[str, str]:
    """The name as written (spaces squashed) and as matched; refused with the field to fix."""
    written = " ".join((name or "").split())
    key = name_key(written)
    if not key:
        raise RegistrationRefused(N_("Enter the person's full name."), field="name")
    if len(written) > LONGEST_NAME:
        raise RegistrationRefused(
            N_("The name must be %(most)s characters or fewer."),
            field="name",
            most=LONGEST_NAME,
        )
    if date_of_birth is None:
        raise RegistrationRefused(N_("Enter the date of birth."), field="date_of_birth")
    if date_of_birth > today:
        raise RegistrationRefused(
            N_("The date of birth must be in the past."), field="date_of_birth"
        )
    if date_of_birth.year < today.year - OLDEST:
        raise RegistrationRefused(
            N_("Enter a real date of birth: that would be over %(most)s years ago."),
            field="date_of_birth",
            most=OLDEST,
        )
    return written, key


def _address(session: Session, council_id: int, address_id: int | None) -> GazetteerAddress:
    """The council's address, locked until the transaction ends (PostgreSQL; SQLite holds its
    write lock), so two registrations at one address are counted one after the other."""
    address = None
    if address_id is not None:
        address = session.scalar(
            select(GazetteerAddress).where(GazetteerAddress.id == address_id).with_for_update()
        )
    if address is None or address.council_id != council_id:
        raise RegistrationRefused(
            N_("That address is not in the council's address list. Choose one from the list."),
            field="address",
        )
    return address


def on_roll(
    session: Session,
    *,
    council_id: int,
    scope: str,
    key: str,
    date_of_birth: date,
    uprn: str | None,
) -> RollEntry | None:
    """The person already on the roll with this name (``name_key``) and date of birth: at
    ``uprn``, or with no address; with ``uprn`` None, at any address."""
    same = select(RollEntry).where(
        RollEntry.council_id == council_id,
        RollEntry.scope == scope,
        RollEntry.name_key == key,
        RollEntry.date_of_birth == date_of_birth,
    )
    if uprn is not None:
        same = same.where(or_(RollEntry.uprn == uprn, RollEntry.uprn.is_(None)))
    return session.scalars(same.limit(1)).first()


def _refuse_if_on_roll(session: Session, council_id: int, scope: str, key, born, uprn) -> None:
    found = on_roll(
        session, council_id=council_id, scope=scope, key=key, date_of_birth=born, uprn=uprn
    )
    if found is None:
        return
    if uprn is None:
        raise AlreadyOnRoll(
            N_(
                "Someone with this name and date of birth is already on this roll (reference "
                "%(reference)s). A person can be on the roll once."
            ),
            reference=found.reference,
        )
    raise AlreadyOnRoll()


def _refuse_if_account_on_roll(session: Session, council_id: int, scope: str, user_id) -> None:
    verified = session.scalar(
        select(Verification.id).where(
            Verification.user_id == user_id,
            Verification.council_id == council_id,
            Verification.scope == scope,
        )
    )
    if verified is not None:
        raise AlreadyRegistered(
            N_("Your account is already verified on this roll: you can vote with it.")
        )


def people_at(session: Session, *, council_id: int, scope: str, uprn: str) -> int:
    """How many people are on the roll at the address: every entry with its UPRN (an
    approved registration is one of them)."""
    return session.scalar(
        select(func.count()).where(
            RollEntry.council_id == council_id, RollEntry.scope == scope, RollEntry.uprn == uprn
        )
    )


def _prefix(session: Session, council_id: int) -> str:
    slug = session.scalar(select(_councils.c.slug).where(_councils.c.id == council_id))
    return reference_prefix(slug or "")


def _flushed(session: Session) -> None:
    """Flush in a savepoint, turning a race another request won into its refusal."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        if violates(error, ONE_PERSON):
            raise AlreadyOnRoll() from None
        if violates(error, ONE_REGISTRATION) or violates(error, ONE_VERIFICATION):
            raise AlreadyRegistered(
                N_("Your account has already registered, or is verified, on this roll.")
            ) from None
        raise


def _enrol(session: Session, registration: Registration, address: GazetteerAddress, today):
    """The registration's roll entry, verified as its account (as ``roll.verify`` ends)."""
    entry = RollEntry(
        council_id=registration.council_id,
        round_id=None if registration.scope == COUNCIL_SCOPE else registration.round_id,
        scope=registration.scope,
        reference=new_reference(_prefix(session, registration.council_id)),
        neighbourhood_id=address.neighbourhood_id,
        date_of_birth=registration.date_of_birth,
        name=registration.name,
        name_key=registration.name_key,
        uprn=address.uprn,
        source=RollSource.REGISTERED,
    )
    session.add(entry)
    _flushed(session)
    session.add(
        Verification(
            user_id=registration.user_id,
            roll_entry_id=entry.id,
            council_id=registration.council_id,
            scope=registration.scope,
            verified_on=today,
        )
    )
    registration.roll_entry_id = entry.id
    registration.state = RegistrationState.APPROVED
    return entry


def register(
    session: Session,
    *,
    council_id: int,
    scope: str,
    round_id: int | None,
    user_id: int,
    address_id: int,
    name: str,
    date_of_birth: date | None,
    today: date,
    per_address: int | None,
) -> Registration:
    """Register the account's holder, ``name`` born on ``date_of_birth``, at a gazetteer
    address, for the roll ``scope``. ``round_id``: the round they registered through (the
    roll's own round when ``scope`` is one's; any round, or None, for the council's roll).

    Approved at once, on the roll and verified as the account (``verified_on`` = ``today``),
    while fewer than ``per_address`` people are on the roll at the address (None or 0:
    nobody is approved at once); otherwise pending, for an officer.

    Refused (``RegistrationRefused``, with the field) for an address not in the council's
    list, no name, a date of birth in the future or over ``OLDEST`` years ago;
    ``AlreadyRegistered`` when the account has registered on this roll before or is verified
    on it; ``AlreadyOnRoll`` when the person is. Nothing is kept when it refuses (the caller
    rolls back)."""
    _roll(scope, round_id)
    begin_write(session)
    written, key = _checked_person(name, date_of_birth, today)
    address = _address(session, council_id, address_id)
    before = session.scalars(
        select(Registration).where(
            Registration.user_id == user_id,
            Registration.council_id == council_id,
            Registration.scope == scope,
        )
    ).first()
    if before is not None:
        raise _registered_before(before)
    _refuse_if_account_on_roll(session, council_id, scope, user_id)
    _refuse_if_on_roll(session, council_id, scope, key, date_of_birth, address.uprn)
    registration = Registration(
        council_id=council_id,
        scope=scope,
        round_id=round_id,
        user_id=user_id,
        address_id=address.id,
        name=written,
        name_key=key,
        date_of_birth=date_of_birth,
        state=RegistrationState.PENDING,
        reason="",
        created_on=today,
    )
    session.add(registration)
    _flushed(session)
    at_once = (
        per_address
        and people_at(session, council_id=council_id, scope=scope, uprn=address.uprn) < per_address
    )
    if at_once:
        _enrol(session, registration, address, today)
        registration.decided_on = today
        _flushed(session)
    return registration


def _registered_before(before: Registration) -> AlreadyRegistered:
    if before.state == RegistrationState.PENDING:
        return AlreadyRegistered(
            N_("You have already registered on this roll: an officer will check it soon.")
        )
    if before.state == RegistrationState.APPROVED:
        return AlreadyRegistered(
            N_("You have already registered on this roll and been approved: you can vote.")
        )
    return AlreadyRegistered(
        N_(
            "Your registration on this roll was refused: %(reason)s. Contact the council if "
            "you think this is wrong."
        ),
        reason=before.reason,
    )


def _pending(session: Session, council_id: int, registration_id: int) -> Registration:
    """The council's waiting registration, locked until the transaction ends (PostgreSQL;
    SQLite holds its write lock), so two officers' decisions are taken one after the other."""
    begin_write(session)
    registration = session.scalar(
        select(Registration)
        .where(Registration.id == registration_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if registration is None or registration.council_id != council_id:
        raise RegistrationNotFound()
    if registration.state != RegistrationState.PENDING:
        raise RegistrationDecided(
            N_("This registration was already approved.")
            if registration.state == RegistrationState.APPROVED
            else N_("This registration was already refused.")
        )
    return registration


def approve(
    session: Session,
    registration_id: int,
    officer_id: int,
    today: date,
    *,
    council_id: int,
) -> RollEntry:
    """An officer approves a waiting registration of ``council_id``'s: the person goes on the
    roll, verified as the account that registered (``verified_on`` = ``today``), whatever the
    limit per address (the officer has checked). Returns the roll entry.

    Refused: ``RegistrationNotFound`` (no such registration, or another council's),
    ``RegistrationDecided`` (not waiting), ``AlreadyOnRoll`` (the person is on the roll by
    now, registered another way), ``AlreadyRegistered`` (the account was verified by a code
    meanwhile). Nothing changes when it refuses."""
    registration = _pending(session, council_id, registration_id)
    address = _address(session, council_id, registration.address_id)
    scope = registration.scope
    _refuse_if_account_on_roll(session, council_id, scope, registration.user_id)
    _refuse_if_on_roll(
        session, council_id, scope, registration.name_key, registration.date_of_birth, address.uprn
    )
    entry = _enrol(session, registration, address, today)
    registration.decided_by_id = officer_id
    registration.decided_on = today
    _flushed(session)
    return entry


def refuse(
    session: Session,
    registration_id: int,
    officer_id: int,
    reason: str,
    today: date,
    *,
    council_id: int,
) -> Registration:
    """An officer refuses a waiting registration of ``council_id``'s, saying why (shown to
    the resident). Refused: no reason (``RegistrationRefused``, field ``reason``),
    ``RegistrationNotFound``, ``RegistrationDecided``."""
    reason = " ".join((reason or "").split())
    registration = _pending(session, council_id, registration_id)
    if not reason:
        raise RegistrationRefused(
            N_("Say why the registration is refused: the resident is told."), field="reason"
        )
    registration.state = RegistrationState.REFUSED
    registration.reason = reason
    registration.decided_by_id = officer_id
    registration.decided_on = today
    session.flush()
    return registration


@dataclass(frozen=True)
class Waiting:
    """A registration waiting for an officer, with what might make it a duplicate: the other
    registrations (any state) and roll entries of the council with the same name (as
    matched) and date of birth, and how many others are at its address on its roll (people
    on the roll there, and other registrations waiting there)."""

    registration: Registration
    address: GazetteerAddress
    same_registrations: list[Registration]
    same_entries: list[RollEntry]
    others_at_address: int

    @property
    def duplicated(self) -> bool:
        return bool(self.same_registrations or self.same_entries)


QUEUE_LENGTH = 200


def duplicates(session: Session, council_id: int, limit: int = QUEUE_LENGTH) -> list[Waiting]:
    """The council's waiting registrations, oldest first (the first ``limit``), each with its
    possible duplicates (``Waiting``). A few queries, whatever the queue's length."""
    rows = session.execute(
        select(Registration, GazetteerAddress)
        .join(GazetteerAddress, GazetteerAddress.id == Registration.address_id)
        .where(
            Registration.council_id == council_id,
            Registration.state == RegistrationState.PENDING,
        )
        .order_by(Registration.created_on, Registration.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    people = {(r.name_key, r.date_of_birth) for r, _ in rows}
    same_regs = defaultdict(list)
    for other in session.scalars(
        select(Registration)
        .where(
            Registration.council_id == council_id,
            tuple_(Registration.name_key, Registration.date_of_birth).in_(people),
        )
        .order_by(Registration.id)
    ):
        same_regs[(other.name_key, other.date_of_birth)].append(other)
    same_entries = defaultdict(list)
    for entry in session.scalars(
        select(RollEntry)
        .where(
            RollEntry.council_id == council_id,
            tuple_(RollEntry.name_key, RollEntry.date_of_birth).in_(people),
        )
        .order_by(RollEntry.id)
    ):
        same_entries[(entry.name_key, entry.date_of_birth)].append(entry)
    places = {(r.scope, a.uprn) for r, a in rows}
    on_roll_at = dict(
        ((scope, uprn), n)
        for scope, uprn, n in session.execute(
            select(RollEntry.scope, RollEntry.uprn, func.count())
            .where(
                RollEntry.council_id == council_id,
                tuple_(RollEntry.scope, RollEntry.uprn).in_(places),
            )
            .group_by(RollEntry.scope, RollEntry.uprn)
        )
    )
    waiting_at = dict(
        ((scope, address_id), n)
        for scope, address_id, n in session.execute(
            select(Registration.scope, Registration.address_id, func.count())
            .where(
                Registration.council_id == council_id,
                Registration.state == RegistrationState.PENDING,
                Registration.address_id.in_({a.id for _, a in rows}),
            )
            .group_by(Registration.scope, Registration.address_id)
        )
    )
    out = []
    for registration, address in rows:
        person = (registration.name_key, registration.date_of_birth)
        out.append(
            Waiting(
                registration,
                address,
                [r for r in same_regs[person] if r.id != registration.id],
                same_entries[person],
                on_roll_at.get((registration.scope, address.uprn), 0)
                + waiting_at.get((registration.scope, address.id), 1)
                - 1,
            )
        )
    return out


def waiting_count(session: Session, council_id: int) -> int:
    return session.scalar(
        select(func.count()).where(
            Registration.council_id == council_id,
            Registration.state == RegistrationState.PENDING,
        )
    )


def register_in_person(
    session: Session,
    *,
    council_id: int,
    scope: str,
    round_id: int | None,
    officer_id: int,
    name: str,
    date_of_birth: date | None,
    address_id: int | None = None,
    neighbourhood_id: int | None = None,
    today: date,
) -> RollEntry:
    """An officer who has seen the person (at an event's desk, at a council office) puts
    them on the roll ``scope`` (``round_id``: the round's, for a round's own roll): a
    ``RollEntry`` with ``source`` ``IN_PERSON``, at a gazetteer address, or with no address
    in ``neighbourhood_id``. No account is needed: they may vote at an event's kiosk, or
    verify an account later. ``officer_id``: who saw them (the caller audits it).

    Refused (``RegistrationRefused``, with the field) for no name, an impossible date of
    birth, an address not in the council's list, no address and no neighbourhood of the
    council's; ``AlreadyOnRoll`` when the person is on the roll (at that address or none; with
    no address, anywhere). Flushed, not committed; nothing is kept when it refuses."""
    del officer_id  # named by the caller's audit record, not by the roll entry
    roll_round = _roll(scope, round_id)
    begin_write(session)
    written, key = _checked_person(name, date_of_birth, today)
    uprn = None
    if address_id is not None:
        address = _address(session, council_id, address_id)
        uprn, neighbourhood_id = address.uprn, address.neighbourhood_id
    elif neighbourhood_id is None or not session.scalar(
        select(_neighbourhoods.c.id).where(
            _neighbourhoods.c.id == neighbourhood_id, _neighbourhoods.c.council_id == council_id
        )
    ):
        raise RegistrationRefused(
            N_("Choose the person's address, or their neighbourhood if it is not listed."),
            field="neighbourhood",
        )
    _refuse_if_on_roll(session, council_id, scope, key, date_of_birth, uprn)
    entry = RollEntry(
        council_id=council_id,
        round_id=roll_round,
        scope=scope,
        reference=new_reference(_prefix(session, council_id)),
        neighbourhood_id=neighbourhood_id,
        date_of_birth=date_of_birth,
        name=written,
        name_key=key,
        uprn=uprn,
        source=RollSource.IN_PERSON,
    )
    session.add(entry)
    _flushed(session)
    return entry
