"""Voting in the room at a general meeting (docs/governance.md, "The member ballot box"):
voting cards given at the door and the meeting's kiosks, built as a decision-day event's are
(``app.workflow.events``).

At the door an officer checks a member in (``meetings.check_in``) and gives them a **voting
card** (``give_card``): a random code, shown once, printed as a code and a QR code. Only its
SHA-256 is kept (``meeting_cards``), so nobody reading the database can vote with it. The card
works at the meeting's kiosks for every item of that meeting while it is open, once per item
(the ballot box's mark decides), and at no other meeting. A lost card is replaced
(``replace=True``): the old one stops working; a card can also be taken back
(``revoke_card``).

A **kiosk** is a device an officer of the organisation signed in for the meeting
(``open_kiosk``); its browser keeps only a random secret, whose hash is here
(``meeting_kiosks``). A member types or scans their card; the kiosk then holds the card (on the
server, for ``KIOSK_IDLE`` unused) and shows the ballot of the item open now; the ballot is
cast through ``ballots.members.cast`` with ``MemberChannel.ROOM``, the receipt is shown once,
and the kiosk forgets the card. Nothing of the member is kept in the browser.

Motions and elections are both voted at the kiosk (``ROOM_BALLOTS``): a motion's ballot is
for, against or abstain; an election's is the ranked ballot of the member's own constituency
(``elections.place_of``), numbered as on paper and checked before it is cast.

Every function takes a session, the actor and the time, refuses with a ``DomainError`` saying
why, changes nothing when it refuses, and never commits. Officers' steps are audited (whose
card, never how anyone voted); casting at a kiosk is not, as an online vote is not.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.events import KIOSK_IDLE, kiosk_secret_hash
from app.workflow.governance import elections, meetings
from app.workflow.governance.meetings import WrongState, open_item, require_officer
from app.workflow.governance.models import (
    ItemKind,
    Meeting,
    MeetingCard,
    MeetingItem,
    MeetingKiosk,
    MeetingState,
    MeetingVoter,
)
from app.workflow.governance.motions import manifest_of
from app.workflow.models import User
from app.workflow.organisations import Member
from ballots import members as box
from ballots import roll
from ballots.db import begin_write
from ballots.errors import AlreadyVoted, RoundClosed
from ballots.models import MemberChannel
from ballots.refusals import N_

# A card's code: 16 characters of the codes' alphabet (80 bits), typed as XXXX-XXXX-XXXX-XXXX
# or scanned. Kiosks limit wrong tries, and only the code's SHA-256 is kept: with no key
# behind it, the code itself must be too long to find from its hash.
CARD_LENGTH = 16
CHOICES = box.CHOICES
# The kinds of item a kiosk takes a ballot on.
ROOM_BALLOTS = frozenset({ItemKind.MOTION, ItemKind.ELECTION})


class CardRefused(DomainError):
    """A card code that is not right at this kiosk: unknown, another meeting's, or no longer
    in force. Counted by the kiosk's limit on wrong tries. Status 422."""


class NothingToVote(DomainError):
    """A right card with nothing to vote on now. Status 409 (not a wrong try)."""

    status = 409


class RoomNotFound(DomainError):
    status = 404


# --- Cards ------------------------------------------------------------------------------------


def new_card_code() -> str:
    return "".join(secrets.choice(roll.ALPHABET) for _ in range(CARD_LENGTH))


def format_card(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def card_hash(code: str) -> str:
    """The SHA-256 kept for a card: the code as typed, in capitals without spaces or dashes."""
    return hashlib.sha256(b"meeting-card:" + roll.normalise_code(code).encode()).hexdigest()


@dataclass(frozen=True)
class Card:
    """A card just given, its code shown once (to print, or to read out)."""

    card: MeetingCard
    voter: MeetingVoter
    code: str  # XXXX-XXXX-XXXX-XXXX
    replaced: bool  # an earlier card of the member's stopped working


def card_in_force(session: Session, meeting: Meeting, member_id: int) -> MeetingCard | None:
    return session.scalar(
        select(MeetingCard).where(
            MeetingCard.meeting_id == meeting.id,
            MeetingCard.member_id == member_id,
            MeetingCard.revoked_at.is_(None),
        )
    )


def _let_go(session: Session, card: MeetingCard, now: datetime) -> None:
    """The card stops working: revoked, and any kiosk holding it goes back to its start."""
    card.revoked_at = now
    session.execute(
        update(MeetingKiosk)
        .where(MeetingKiosk.card_id == card.id)
        .values(card_id=None, idle_at=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def _audit(session: Session, action: str, actor: User, meeting: Meeting, **after) -> None:
    audit.record(
        session,
        action=action,
        actor=actor,
        organisation=meeting.organisation,
        subject=meeting,
        after=after,
    )


def give_card(
    session: Session,
    meeting: Meeting,
    *,
    actor: User,
    member_number: str,
    now: datetime,
    replace: bool = False,
) -> Card:
    """Give the member with this number a voting card for the meeting, checking them in
    (``meetings.check_in``) if they are not yet: the door's one step. With ``replace``, a card
    they hold stops working (a lost card). Audited (``meeting.card_given`` or
    ``meeting.card_replaced``, with the member's number).

    Refused for anyone but the organisation's officers, before notice or after the meeting
    closed, for a member with no vote at it, and (without ``replace``) for one who already
    holds a card."""
    require_officer(actor, meeting.organisation)
    begin_write(session)
    if meeting.state not in (MeetingState.NOTICE, MeetingState.OPEN):
        raise WrongState(N_("Voting cards are given while the meeting is under way."))
    voter = meetings.voter_by_number(session, meeting, member_number, "member_number")
    number = voter.member.member_number
    existing = card_in_force(session, meeting, voter.member_id)
    if existing is not None and not replace:
        raise DomainError(
            N_(
                "Member %(number)s already has a voting card. If it is lost, give them a new "
                "card: the old one then stops working."
            ),
            "member_number",
            number=number,
        )
    if voter.present_at is None:
        meetings.check_in(session, meeting, actor=actor, member_number=number, now=now)
    if existing is not None:
        _let_go(session, existing, now)
    code = new_card_code()
    card = MeetingCard(
        meeting_id=meeting.id,
        member_id=voter.member_id,
        code_hash=card_hash(code),
        issued_at=now,
        issued_by_id=actor.id,
    )
    session.add(card)
    session.flush()
    action = "meeting.card_replaced" if existing is not None else "meeting.card_given"
    _audit(session, action, actor, meeting, member_number=number)
    return Card(card, voter, format_card(code), existing is not None)


def revoke_card(
    session: Session, meeting: Meeting, *, actor: User, member_number: str, now: datetime
) -> MeetingVoter:
    """Take back the member's card: it stops working at once, even at a kiosk showing its
    ballot. The member stays checked in. Audited (``meeting.card_revoked``). Refused for
    anyone but the organisation's officers and for a member holding no card."""
    require_officer(actor, meeting.organisation)
    begin_write(session)
    voter = meetings.voter_by_number(session, meeting, member_number, "member_number")
    card = card_in_force(session, meeting, voter.member_id)
    if card is None:
        raise DomainError(
            N_("Member %(number)s holds no voting card."),
            "member_number",
            number=voter.member.member_number,
        )
    _let_go(session, card, now)
    _audit(
        session, "meeting.card_revoked", actor, meeting, member_number=voter.member.member_number
    )
    return voter


def cards_given(session: Session, meeting: Meeting) -> int:
    """How many members hold a card in force (a count only)."""
    return session.scalar(
        select(func.count())
        .select_from(MeetingCard)
        .where(MeetingCard.meeting_id == meeting.id, MeetingCard.revoked_at.is_(None))
    )


# --- Kiosks -------------------------------------------------------------------------------------


def open_kiosk(
    session: Session, meeting: Meeting, *, actor: User, now: datetime
) -> tuple[MeetingKiosk, str]:
    """Sign a device in as one of the meeting's kiosks: the kiosk, and the secret its browser
    keeps (only its hash is stored). Audited. Refused for anyone but the organisation's
    officers, and before notice or after the meeting closed."""
    require_officer(actor, meeting.organisation)
    begin_write(session)
    if meeting.state not in (MeetingState.NOTICE, MeetingState.OPEN):
        raise WrongState(N_("Kiosks are set up once notice is given, until the meeting closes."))
    secret = secrets.token_urlsafe(32)
    count = session.scalar(
        select(func.count()).select_from(MeetingKiosk).where(MeetingKiosk.meeting_id == meeting.id)
    )
    kiosk = MeetingKiosk(
        meeting_id=meeting.id,
        name=f"Kiosk {(count or 0) + 1}",
        token_hash=kiosk_secret_hash(secret),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(kiosk)
    session.flush()
    _audit(session, "meeting.kiosk_opened", actor, meeting, kiosk=kiosk.name)
    return kiosk, secret


def kiosks_of(session: Session, meeting: Meeting) -> list[MeetingKiosk]:
    """The meeting's running kiosks."""
    return list(
        session.scalars(
            select(MeetingKiosk)
            .where(MeetingKiosk.meeting_id == meeting.id, MeetingKiosk.ended_at.is_(None))
            .order_by(MeetingKiosk.id)
        )
    )


def end_kiosk(
    session: Session, meeting: Meeting, kiosk_id: int, *, actor: User, now: datetime
) -> MeetingKiosk:
    """Stop one of the meeting's kiosks: its browser then shows only that it has stopped.
    Audited."""
    require_officer(actor, meeting.organisation)
    begin_write(session)
    kiosk = session.get(MeetingKiosk, kiosk_id)
    if kiosk is None or kiosk.meeting_id != meeting.id:
        raise RoomNotFound(N_("There is no such kiosk at this meeting."))
    if kiosk.ended_at is not None:
        raise WrongState(N_("%(kiosk)s has already been stopped."), kiosk=kiosk.name)
    kiosk.ended_at = now
    finish(kiosk)
    session.flush()
    _audit(session, "meeting.kiosk_stopped", actor, meeting, kiosk=kiosk.name)
    return kiosk


def kiosk_for(session: Session, secret: str | None) -> MeetingKiosk | None:
    """The running kiosk whose browser holds ``secret``; None for none, a stopped one, or one
    of a meeting that has closed."""
    if not secret:
        return None
    kiosk = session.scalar(
        select(MeetingKiosk).where(MeetingKiosk.token_hash == kiosk_secret_hash(secret))
    )
    if kiosk is None or kiosk.ended_at is not None:
        return None
    if kiosk.meeting.state is MeetingState.CLOSED:
        return None
    return kiosk


def finish(kiosk: MeetingKiosk) -> None:
    """The kiosk forgets the card: back to its start screen."""
    kiosk.card_id = None
    kiosk.idle_at = None


@dataclass(frozen=True)
class AtKiosk:
    """The member voting at a kiosk now: their card, their entry among the meeting's voters,
    and the item open now (None: voting on it has closed since)."""

    kiosk: MeetingKiosk
    card: MeetingCard
    voter: MeetingVoter
    item: MeetingItem | None

    def ballot(self, item_id: int) -> MeetingItem:
        """The item whose ballot the kiosk shows: the one open now, and only it."""
        if self.item is None or self.item.id != item_id:
            raise RoundClosed(N_("Voting on this item has closed."))
        return self.item


def _wrong_card() -> CardRefused:
    return CardRefused(
        N_("That card is not right. Check the code on your voting card and try again."), "card"
    )


def _nothing_to_vote(session: Session, meeting: Meeting, card: MeetingCard) -> NothingToVote | None:
    """Why this card has nothing to vote on now, or None when it has."""
    if meeting.state is not MeetingState.OPEN:
        return NothingToVote(N_("The meeting has not started: voting opens item by item."), "card")
    item = open_item(session, meeting)
    if item is None:
        return NothingToVote(
            N_("No item is open for voting now. Wait for the chair to open the next one."), "card"
        )
    if item.kind not in ROOM_BALLOTS:
        return NothingToVote(
            N_("%(title)s is not voted at the kiosk: ask at the desk for a ballot paper."),
            "card",
            title=item.title,
        )
    if item.kind is ItemKind.ELECTION:
        try:
            elections.place_of(session, item, session.get(Member, card.member_id))
        except DomainError as error:
            return NothingToVote(error.message, "card")
    if box.has_voted(session, item.id, card.member_id) not in (None, MemberChannel.PROXY):
        return NothingToVote(
            N_("You have already voted on %(title)s. Wait for the next item."),
            "card",
            title=item.title,
        )
    return None


def start_member(session: Session, kiosk: MeetingKiosk, code: str, *, now: datetime) -> AtKiosk:
    """A card typed or scanned at the kiosk: the kiosk now holds it (for ``KIOSK_IDLE``
    unused) and shows the ballot of the item open now. Refused (``CardRefused``) for a code
    that is no card of this meeting, the same answer for any other meeting's card, or a card
    replaced or taken back; (``NothingToVote``) before the meeting starts, when no item is
    open, for an item the kiosk does not take, and once the card has voted on the item (a
    member's own vote still replaces their proxy's)."""
    begin_write(session)
    meeting = kiosk.meeting
    card = session.scalar(select(MeetingCard).where(MeetingCard.code_hash == card_hash(code)))
    if card is None or card.meeting_id != meeting.id:
        raise _wrong_card()
    if card.revoked_at is not None:
        raise CardRefused(
            N_("This card has been replaced or taken back. Ask at the desk for a new one."),
            "card",
        )
    reason = _nothing_to_vote(session, meeting, card)
    if reason is not None:
        raise reason
    kiosk.card_id = card.id
    kiosk.idle_at = now + KIOSK_IDLE
    session.flush()
    return _at_kiosk(session, kiosk, card)


def _at_kiosk(session: Session, kiosk: MeetingKiosk, card: MeetingCard) -> AtKiosk:
    voter = session.get(MeetingVoter, (card.meeting_id, card.member_id))
    item = open_item(session, kiosk.meeting)
    if item is not None and item.kind not in ROOM_BALLOTS:
        item = None
    return AtKiosk(kiosk, card, voter, item)


def kiosk_member(session: Session, kiosk: MeetingKiosk, *, now: datetime) -> AtKiosk | None:
    """The member at the kiosk, if one is there and it has been used within ``KIOSK_IDLE``
    (each call counts as a use); otherwise the kiosk is cleared and None. A card taken back
    meanwhile, or a meeting no longer under way, clears it too."""
    if kiosk.card_id is None:
        return None
    card = session.get(MeetingCard, kiosk.card_id)
    if (
        kiosk.idle_at is None
        or kiosk.idle_at <= now
        or card is None
        or card.revoked_at is not None
        or kiosk.meeting.state is not MeetingState.OPEN
    ):
        finish(kiosk)
        return None
    kiosk.idle_at = now + KIOSK_IDLE
    return _at_kiosk(session, kiosk, card)


def place_at_kiosk(session: Session, member: AtKiosk) -> elections.Place:
    """The kiosk member's constituency in the election open now (its manifest entry)."""
    return elections.place_of(session, member.item, member.voter.member)


def ranking_at_kiosk(session: Session, member: AtKiosk, numbers: Mapping[str, str]) -> list[str]:
    """The candidates of the kiosk member's constituency in the order of the numbers typed
    beside them (``elections.ranking_from_numbers``, refusing numbers that give no order)."""
    place = place_at_kiosk(session, member)
    candidates = [c["id"] for c in place.constituency["candidates"]]
    return elections.ranking_from_numbers(candidates, numbers)


def cast_at_kiosk(
    session: Session,
    member: AtKiosk,
    item_id: int,
    *,
    choice: str | None = None,
    numbers: Mapping[str, str] | None = None,
    now: datetime,
) -> box.MemberCast:
    """Cast the kiosk member's vote on the item open now, with ``MemberChannel.ROOM``, once
    (the ballot box's mark decides, against every other kiosk, the web, paper and proxies),
    and the kiosk forgets the card: a motion's ``choice``, or an election's ``numbers`` (each
    candidate id of the member's constituency and the number typed beside it). Returns the
    receipt, shown once. Refused while the item is not the one open (``RoundClosed``), for a
    choice not in ``CHOICES`` (beside ``choice``) or numbers that give no order, and once the
    card has voted on it (``AlreadyVoted``, naming the item)."""
    item = member.ballot(item_id)
    # The officer who made the kiosk answers for what it records.
    recorder = member.kiosk.created_by_id
    try:
        if item.kind is ItemKind.ELECTION:
            cast = elections.cast_ranking(
                session,
                item,
                place_at_kiosk(session, member),
                ranking_at_kiosk(session, member, numbers or {}),
                MemberChannel.ROOM,
                recorder,
            )
        else:
            if choice not in CHOICES:
                raise DomainError(N_("Choose for, against or abstain."), "choice")
            cast = box.cast(
                session,
                item_id=item.id,
                manifest=manifest_of(item),
                member_id=member.card.member_id,
                ballot={"choice": choice},
                channel=MemberChannel.ROOM,
                recorded_by_id=recorder,
            )
    except AlreadyVoted:
        raise AlreadyVoted(N_("You have already voted on %(title)s."), title=item.title) from None
    finish(member.kiosk)
    session.flush()
    return cast


__all__ = [
    "CARD_LENGTH",
    "ROOM_BALLOTS",
    "AtKiosk",
    "Card",
    "CardRefused",
    "NothingToVote",
    "RoomNotFound",
]
