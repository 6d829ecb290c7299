"""Decision-day events: a round's voting at a community centre, with a check-in desk and
kiosks (docs/events.md).

An officer creates an event for a round (place, times, the pots it takes votes for, the
officers at its desk). At the desk an officer finds the person on the round's roll (or
registers them there and then, ``app.workflow.registrations``) and checks them in: they get a
one-time token, printed as a short code and a QR code, that lets them vote once in each of
their pots at one of the event's kiosks. A check-in marks the roll entry for the whole round:
the ballot box then refuses that person online and on paper (``ballots.errors.CheckedIn``).

A kiosk is a device an officer signed in for the event: it shows only the ballot. The voter at
a kiosk, and when it falls back to its start screen, are kept on the server (``kiosks``), never
in the browser. Every ballot goes through ``ballots.box.cast`` with ``Channel.EVENT``: the voter
mark's unique key is what makes it once, whatever the kiosks and the web do at the same time.

Nothing here keeps the time of a check-in, and the audit trail names the officer and the
event, never the person: the times of check-ins would otherwise line voters up with the ballot
log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError, WrongPhase
from app.workflow.models import (
    Council,
    Event,
    EventOfficer,
    EventPot,
    FundingRound,
    Kiosk,
    Membership,
    Neighbourhood,
    Phase,
    Pot,
    Role,
    User,
)
from app.workflow.voting import paper_for
from ballots import box, roll
from ballots.errors import AlreadyVoted, NotEligible
from ballots.models import Channel, CheckIn, RollEntry, VoterMark, name_key, reference_key
from ballots.paper import BallotPaper, PotPaper
from ballots.refusals import N_, Listed, Refusal
from votes.ballot import Ballot

# A check-in token: 8 characters from the codes' alphabet (40 bits), typed or scanned at a
# kiosk as XXXX-XXXX. Kiosks limit wrong tries, so it cannot be guessed; only its HMAC is kept.
TOKEN_LENGTH = 8
# A kiosk goes back to its start screen, forgetting its voter, after this long unused (its page
# warns 30 seconds before, with a button for more time).
KIOSK_IDLE = timedelta(minutes=5)
# The longest an event may last.
LONGEST_EVENT = timedelta(days=14)
# How many people the desk's search shows at once.
DESK_ROWS = 25


class EventRefused(DomainError):
    """An event, check-in or kiosk request the rules refuse. Status 422 unless it says."""


class EventNotFound(EventRefused):
    status = 404


class EventClosed(EventRefused):
    status = 409


class TokenRefused(EventRefused):
    """A kiosk token that is not right, or has nothing left to vote for."""


# --- Events -------------------------------------------------------------------------------------


def _check_event_fields(
    session: Session,
    funding_round: FundingRound,
    *,
    name: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    pot_ids: list[int],
    officer_ids: list[int],
) -> tuple[list[Pot], list[User]]:
    if not name.strip():
        raise EventRefused(N_("Enter the event's name"), "name")
    if not place.strip():
        raise EventRefused(N_("Enter where the event is"), "place")
    if ends_at <= starts_at:
        raise EventRefused(N_("The event must end after it starts"), "ends_at")
    if ends_at - starts_at > LONGEST_EVENT:
        raise EventRefused(N_("An event can last at most 14 days"), "ends_at")
    pots = [p for p in funding_round.pots if p.id in set(pot_ids)]
    if not pot_ids or len(pots) != len(set(pot_ids)):
        raise EventRefused(N_("Choose the pots the event takes votes for"), "pots")
    officers = (
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                User.id.in_(officer_ids),
                Membership.council_id == funding_round.council_id,
                Membership.role.in_((Role.OFFICER, Role.ADMIN)),
            )
            .distinct()
        ).all()
        if officer_ids
        else []
    )
    if len(officers) != len(set(officer_ids)):
        raise EventRefused(N_("Choose officers of this council for the desk"), "officers")
    return pots, list(officers)


def create_event(
    session: Session,
    funding_round: FundingRound,
    *,
    name: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    pot_ids: list[int],
    officer_ids: list[int],
    actor: User,
) -> Event:
    """An event of a round not yet past voting; audited (``event.created``)."""
    if funding_round.phase.index > Phase.VOTING.index:
        raise WrongPhase(N_("Voting in this round has ended: it can have no more events."))
    pots, officers = _check_event_fields(
        session,
        funding_round,
        name=name,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        pot_ids=pot_ids,
        officer_ids=officer_ids,
    )
    event = Event(
        council_id=funding_round.council_id,
        round_id=funding_round.id,
        name=name.strip(),
        place=place.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.id,
    )
    session.add(event)
    session.flush()
    session.add_all(EventPot(event_id=event.id, pot_id=p.id) for p in pots)
    session.add_all(EventOfficer(event_id=event.id, user_id=u.id) for u in officers)
    session.flush()
    audit.record(
        session,
        action="event.created",
        actor=actor,
        round=funding_round,
        subject=event,
        after={
            "name": event.name,
            "place": event.place,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "pots": [p.name for p in pots],
            "officers": [u.display_name for u in officers],
        },
    )
    session.expire(event, ["pots", "officers"])
    return event


def events_of(session: Session, funding_round: FundingRound) -> list[Event]:
    return list(
        session.scalars(
            select(Event).where(Event.round_id == funding_round.id).order_by(Event.starts_at)
        )
    )


def event_of(session: Session, funding_round: FundingRound, event_id: int) -> Event:
    """The round's event with this id; ``EventNotFound`` for any other (another round's too)."""
    event = session.get(Event, event_id)
    if event is None or event.round_id != funding_round.id:
        raise EventNotFound(N_("There is no such event in this round."))
    return event


def is_open(event: Event, now: datetime) -> bool:
    """Whether the event takes check-ins and kiosk ballots now."""
    return (
        event.closed_at is None
        and event.round.phase == Phase.VOTING
        and event.starts_at <= now < event.ends_at
    )


def require_open(event: Event, now: datetime) -> None:
    if event.round.phase != Phase.VOTING:
        raise EventClosed(N_("Voting in this round is not open, so the event takes no votes."))
    if event.closed_at is not None:
        raise EventClosed(N_("Voting at this event has been closed."))
    if now < event.starts_at:
        raise EventClosed(
            N_("The event has not started yet: it takes votes from the time it starts.")
        )
    if now >= event.ends_at:
        raise EventClosed(N_("The event is over: it takes no more votes."))


def close_event(session: Session, event: Event, *, actor: User, now: datetime) -> None:
    """No more check-ins or kiosk ballots at the event; its kiosks stop. Audited. People
    checked in who did not vote stay checked in (an officer can release them)."""
    if event.closed_at is not None:
        raise EventClosed(N_("Voting at this event has already been closed."))
    event.closed_at = now
    session.execute(
        update(Kiosk)
        .where(Kiosk.event_id == event.id, Kiosk.ended_at.is_(None))
        .values(ended_at=now, check_in_id=None, idle_at=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        action="event.closed",
        actor=actor,
        round=event.round,
        subject=event,
        after={"name": event.name},
    )


def may_run_desk(user: User, event: Event) -> bool:
    """The event's desk officers, and the council's administrators."""
    return user.has_role(event.council_id, Role.ADMIN) or any(
        o.id == user.id for o in event.officers
    )


def require_desk(user: User, event: Event) -> None:
    if not may_run_desk(user, event):
        raise EventRefused(
            N_("Only the officers at this event's desk, or an administrator, can do this."),
        )


# --- The desk -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskRow:
    """A person on the round's roll as the desk sees them."""

    entry: RollEntry
    neighbourhood: str
    check_in: CheckIn | None
    checked_in_at: str | None  # the event's name, when checked in
    voted: int  # pots they have voted in, by any channel


def desk_search(session: Session, event: Event, query: str) -> list[DeskRow]:
    """People on the roll the round uses matching ``query``: the reference (as on a letter,
    any case or spacing), or part of a registered name."""
    query = query.strip()
    if not query:
        return []
    scope = roll.roll_scope_for(session, event.round_id)
    matches = [RollEntry.reference_key == reference_key(query)]
    key = name_key(query)
    if len(key) >= 2:
        matches.append(RollEntry.name_key.contains(key, autoescape=True))
    entries = session.scalars(
        select(RollEntry)
        .where(
            RollEntry.council_id == event.council_id,
            RollEntry.scope == scope,
            or_(*matches),
        )
        .order_by(RollEntry.name_key, RollEntry.reference)
        .limit(DESK_ROWS)
    ).all()
    return [_row(session, event, entry) for entry in entries]


def _row(session: Session, event: Event, entry: RollEntry) -> DeskRow:
    check_in = session.scalar(
        select(CheckIn).where(CheckIn.roll_entry_id == entry.id, CheckIn.round_id == event.round_id)
    )
    at = session.get(Event, check_in.event_id).name if check_in is not None else None
    voted = session.scalar(
        select(func.count()).where(
            VoterMark.roll_entry_id == entry.id, VoterMark.round_id == event.round_id
        )
    )
    hood = session.get(Neighbourhood, entry.neighbourhood_id)
    return DeskRow(entry, hood.name if hood else "", check_in, at, voted or 0)


def desk_row(session: Session, event: Event, entry_id: int) -> DeskRow:
    entry = _entry(session, event, entry_id)
    return _row(session, event, entry)


def _entry(session: Session, event: Event, entry_id: int) -> RollEntry:
    entry = session.get(RollEntry, entry_id)
    if (
        entry is None
        or entry.council_id != event.council_id
        or entry.scope != roll.roll_scope_for(session, event.round_id)
    ):
        raise EventNotFound(N_("That person is not on this round's roll."))
    return entry


def _paper(event: Event) -> BallotPaper:
    paper = paper_for(event.round)
    if paper is None or event.round.phase != Phase.VOTING:
        raise EventClosed(N_("Voting in this round is not open, so the event takes no votes."))
    return paper


def pots_left(
    session: Session, event: Event, paper: BallotPaper, entry: RollEntry, today: date
) -> list[PotPaper]:
    """The event's pots this person may vote in and has not yet voted in (``NotEligible``
    for age)."""
    covered = {p.id for p in event.pots}
    eligible = [p for p in roll.eligible_pots(session, paper, entry, today) if p.id in covered]
    return [p for p in eligible if box.has_voted(session, entry, p.id) is None]


@dataclass(frozen=True)
class Token:
    """A check-in's token, shown once: to print, or to read out."""

    check_in: CheckIn
    code: str  # XXXX-XXXX
    pots: list[PotPaper]


def new_token() -> str:
    return "".join(secrets.choice(roll.ALPHABET) for _ in range(TOKEN_LENGTH))


def format_token(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


def token_hash(token: str, key: bytes) -> str:
    return hmac.new(
        key, b"token:" + roll.normalise_code(token).encode(), hashlib.sha256
    ).hexdigest()


def check_in(
    session: Session,
    event: Event,
    entry_id: int,
    *,
    actor: User,
    key: bytes,
    now: datetime,
    today: date,
) -> Token:
    """Check the person in and give them a token for the event's pots they may vote in and
    have not voted in. Refused: the event not open, not the desk's officer, not on the roll,
    not old enough, nothing left to vote for, already checked in (at this event or another of
    the round's). Audited with the officer and the event, not the person."""
    require_open(event, now)
    require_desk(actor, event)
    paper = _paper(event)
    entry = _entry(session, event, entry_id)
    existing = session.scalar(
        select(CheckIn.event_id).where(
            CheckIn.roll_entry_id == entry.id, CheckIn.round_id == event.round_id
        )
    )
    if existing is not None:
        raise _already_checked_in(session, existing, entry)
    try:
        pots = pots_left(session, event, paper, entry, today)
    except NotEligible as error:
        raise EventRefused(error.message) from None
    if not pots:
        raise AlreadyVoted(
            N_(
                "%(reference)s has nothing left to vote for at this event: they have voted in "
                "every pot of theirs that it covers, or none of its pots is theirs."
            ),
            reference=entry.reference,
        )
    code = new_token()
    record = CheckIn(
        event_id=event.id,
        round_id=event.round_id,
        roll_entry_id=entry.id,
        token_hash=token_hash(code, key),
        pot_ids=" ".join(str(p.id) for p in pots),
        checked_in_by_id=actor.id,
        checked_in_on=today,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # checked in at another desk at the same moment: the caller rolls back
        raise AlreadyVoted(
            N_("%(reference)s has just been checked in at another desk."),
            reference=entry.reference,
        ) from None
    _audit(session, "event.checked_in", actor, event)
    return Token(record, format_token(code), pots)


def _already_checked_in(session: Session, event_id: int, entry: RollEntry) -> Refusal:
    name = session.get(Event, event_id).name
    return AlreadyVoted(
        N_(
            "%(reference)s is already checked in, at %(event)s. If their slip is lost, "
            "give them a new token instead."
        ),
        reference=entry.reference,
        event=name,
    )


def _audit(session: Session, action: str, actor: User, event: Event, **more) -> None:
    audit.record(
        session,
        action=action,
        actor=actor,
        round=event.round,
        subject=event,
        after={"event": event.name, **more},
    )


def _check_in_of(session: Session, event: Event, check_in_id: str) -> CheckIn:
    found = session.get(CheckIn, check_in_id)
    if found is None or found.event_id != event.id:
        raise EventNotFound(N_("There is no such check-in at this event."))
    return found


def new_token_for(
    session: Session,
    event: Event,
    check_in_id: str,
    *,
    actor: User,
    key: bytes,
    now: datetime,
    today: date,
) -> Token:
    """A lost slip: a new token for the same check-in; the old one stops working."""
    require_open(event, now)
    require_desk(actor, event)
    paper = _paper(event)
    found = _check_in_of(session, event, check_in_id)
    entry = session.get(RollEntry, found.roll_entry_id)
    pots = [p for p in pots_left(session, event, paper, entry, today) if p.id in _pots(found)]
    if not pots:
        raise AlreadyVoted(
            N_("%(reference)s has already voted in every pot their token was for."),
            reference=entry.reference,
        )
    code = new_token()
    found.token_hash = token_hash(code, key)
    session.execute(
        update(Kiosk)
        .where(Kiosk.check_in_id == found.id)
        .values(check_in_id=None, idle_at=None)
        .execution_options(synchronize_session=False)
    )
    _audit(session, "event.token_replaced", actor, event)
    return Token(found, format_token(code), pots)


def release(session: Session, event: Event, check_in_id: str, *, actor: User) -> RollEntry:
    """Undo a check-in of someone who has cast no ballot at the event (they left, or were
    checked in by mistake): they may then vote online or on paper again. Audited."""
    require_desk(actor, event)
    found = _check_in_of(session, event, check_in_id)
    entry = session.get(RollEntry, found.roll_entry_id)
    voted_here = session.scalar(
        select(func.count()).where(
            VoterMark.roll_entry_id == entry.id,
            VoterMark.round_id == event.round_id,
            VoterMark.channel == Channel.EVENT,
        )
    )
    if voted_here:
        raise EventRefused(
            N_(
                "%(reference)s has already voted at the event, so their check-in stays: "
                "it is what stops them voting again online or on paper."
            ),
            reference=entry.reference,
        )
    session.execute(
        update(Kiosk)
        .where(Kiosk.check_in_id == found.id)
        .values(check_in_id=None, idle_at=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(CheckIn).where(CheckIn.id == found.id).execution_options(synchronize_session=False)
    )
    _audit(session, "event.check_in_released", actor, event)
    return entry


def _pots(found: CheckIn) -> set[int]:
    return {int(p) for p in found.pot_ids.split()}


@dataclass(frozen=True)
class EventFigures:
    checked_in: int
    ballots: int  # cast at the round's events, all of them (counts of marks only)
    kiosks: int


def figures(session: Session, event: Event) -> EventFigures:
    """Counts only: people checked in here, kiosks running. Ballots cast at kiosks are
    counted per round (marks keep no event), and shown only once voting has closed."""
    checked_in = session.scalar(select(func.count()).where(CheckIn.event_id == event.id))
    kiosks = session.scalar(
        select(func.count()).where(Kiosk.event_id == event.id, Kiosk.ended_at.is_(None))
    )
    ballots = 0
    if event.round.phase.index > Phase.VOTING.index:
        ballots = session.scalar(
            select(func.count()).where(
                VoterMark.round_id == event.round_id, VoterMark.channel == Channel.EVENT
            )
        )
    return EventFigures(checked_in or 0, ballots or 0, kiosks or 0)


# --- Kiosks -------------------------------------------------------------------------------------


def kiosk_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_kiosk(session: Session, event: Event, *, actor: User, now: datetime) -> tuple[Kiosk, str]:
    """Sign a device in as one of the event's kiosks: returns the kiosk and the secret its
    browser keeps (only its hash is stored). Audited."""
    require_open(event, now)
    require_desk(actor, event)
    secret = secrets.token_urlsafe(32)
    count = session.scalar(select(func.count()).where(Kiosk.event_id == event.id)) or 0
    kiosk = Kiosk(
        event_id=event.id,
        name=f"Kiosk {count + 1}",
        token_hash=kiosk_secret_hash(secret),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(kiosk)
    session.flush()
    _audit(session, "event.kiosk_opened", actor, event, kiosk=kiosk.name)
    return kiosk, secret


def kiosks_of(session: Session, event: Event) -> list[Kiosk]:
    return list(session.scalars(select(Kiosk).where(Kiosk.event_id == event.id).order_by(Kiosk.id)))


def end_kiosk(session: Session, event: Event, kiosk_id: int, *, actor: User, now: datetime):
    require_desk(actor, event)
    kiosk = session.get(Kiosk, kiosk_id)
    if kiosk is None or kiosk.event_id != event.id:
        raise EventNotFound(N_("There is no such kiosk at this event."))
    if kiosk.ended_at is not None:
        raise EventClosed(N_("%(kiosk)s has already been stopped."), kiosk=kiosk.name)
    kiosk.ended_at = now
    kiosk.check_in_id = None
    kiosk.idle_at = None
    _audit(session, "event.kiosk_stopped", actor, event, kiosk=kiosk.name)
    return kiosk


def kiosk_for(session: Session, secret: str | None) -> Kiosk | None:
    """The running kiosk whose browser holds ``secret``; None for none, or a stopped one."""
    if not secret:
        return None
    kiosk = session.scalar(select(Kiosk).where(Kiosk.token_hash == kiosk_secret_hash(secret)))
    if kiosk is None or kiosk.ended_at is not None:
        return None
    return kiosk


@dataclass(frozen=True)
class KioskVoter:
    """The person voting at a kiosk now: their check-in, roll entry and the pots left."""

    kiosk: Kiosk
    event: Event
    paper: BallotPaper
    check_in: CheckIn
    entry: RollEntry
    pots: list[PotPaper]

    def pot(self, pot_id: int) -> PotPaper:
        for pot in self.pots:
            if pot.id == pot_id:
                return pot
        raise TokenRefused(N_("That ballot is not one your token is for, or it is already cast."))


def start_voter(
    session: Session, kiosk: Kiosk, token: str, *, key: bytes, now: datetime, today: date
) -> KioskVoter:
    """A voter's token typed or scanned at the kiosk: the kiosk now holds them (for
    ``KIOSK_IDLE`` unused). Refused: the event not open, a token that is not right (the same
    answer for any token not of this event), nothing left to vote for."""
    event = kiosk.event
    require_open(event, now)
    found = session.scalar(
        select(CheckIn).where(
            CheckIn.token_hash == token_hash(token, key), CheckIn.event_id == event.id
        )
    )
    if found is None:
        raise TokenRefused(
            N_("That token is not right. Check the code on your slip and try again."), "token"
        )
    kiosk.check_in_id = found.id
    kiosk.idle_at = now + KIOSK_IDLE
    voter = _voter(session, kiosk, found, today)
    if not voter.pots:
        kiosk.check_in_id = None
        kiosk.idle_at = None
        raise TokenRefused(
            N_("This token has been used: every ballot it was for has been cast."), "token"
        )
    return voter


def _voter(session: Session, kiosk: Kiosk, found: CheckIn, today: date) -> KioskVoter:
    event = kiosk.event
    paper = _paper(event)
    entry = session.get(RollEntry, found.roll_entry_id)
    wanted = _pots(found)
    pots = [p for p in pots_left(session, event, paper, entry, today) if p.id in wanted]
    return KioskVoter(kiosk, event, paper, found, entry, pots)


def kiosk_voter(session: Session, kiosk: Kiosk, *, now: datetime, today: date) -> KioskVoter | None:
    """The voter at the kiosk, if one is there and it has been used within ``KIOSK_IDLE``
    (each call counts as a use); otherwise the kiosk is cleared and None."""
    if kiosk.check_in_id is None:
        return None
    if kiosk.idle_at is None or kiosk.idle_at <= now or not is_open(kiosk.event, now):
        finish(kiosk)
        return None
    found = session.get(CheckIn, kiosk.check_in_id)
    if found is None:
        finish(kiosk)
        return None
    kiosk.idle_at = now + KIOSK_IDLE
    return _voter(session, kiosk, found, today)


def finish(kiosk: Kiosk) -> None:
    """The kiosk forgets its voter: back to the start screen."""
    kiosk.check_in_id = None
    kiosk.idle_at = None


def cast_at_kiosk(
    session: Session,
    voter: KioskVoter,
    pot: PotPaper,
    ballot: Ballot,
    *,
    now: datetime,
    today: date,
) -> box.Cast:
    """Cast the kiosk voter's ballot in one of their token's pots, once (the mark's unique
    key decides, against every other kiosk, the web and paper). ``AlreadyVoted`` names the
    pot."""
    require_open(voter.event, now)
    try:
        return box.cast(
            session, voter.paper, voter.entry, pot.id, ballot, today=today, channel=Channel.EVENT
        )
    except AlreadyVoted:
        raise AlreadyVoted(
            N_("A ballot has already been cast with this token in %(pot)s."), pot=pot.name
        ) from None


def describe_pots(pots: list[PotPaper]) -> Listed:
    return Listed([p.name for p in pots])


def council_officers(session: Session, council: Council) -> list[User]:
    """Who can be put at an event's desk: the council's officers and administrators."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.council_id == council.id,
                Membership.role.in_((Role.OFFICER, Role.ADMIN)),
            )
            .distinct()
            .order_by(User.display_name)
        )
    )


__all__ = [
    "KIOSK_IDLE",
    "DeskRow",
    "EventClosed",
    "EventNotFound",
    "EventRefused",
    "KioskVoter",
    "Token",
    "TokenRefused",
]
