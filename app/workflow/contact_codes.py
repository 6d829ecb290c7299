"""Verifying an account with a six-digit code texted or emailed to the number or address on
the roll (``ballots.contact_codes``), where the council or one of its rounds offers it
(the eligibility way ``contact``).

Asking sends a code through the outbox in the same transaction (``contact_code``, a secret
kind that keeps no time: docs/messages.md) and answers the same whether or not anything was
sent, so the roll cannot be probed. Nothing here commits: the caller's transaction does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.workflow import eligibility, outbox
from app.workflow.clock import london_date
from app.workflow.errors import DomainError
from app.workflow.models import Council, MessageChannel, User
from app.workflow.voting import verifying_rounds
from ballots import contact_codes, roll
from ballots.errors import CodeInvalid, CodeUnreachable, CodeUsed
from ballots.models import COUNCIL_SCOPE, RollEntry, round_scope
from ballots.refusals import N_

WAY = "contact"


class NotOffered(DomainError):
    """Neither the council nor any of its current rounds offers codes by text message or
    email. Status 404: there is no such page for it."""

    status = 404


def scopes(session: Session, council: Council) -> list[str]:
    """The rolls a code by text or email may be asked for on, in the order they are tried:
    the council's roll when the council offers the way, or one of its current rounds without
    a roll of its own does; then each current round's own roll, when that round offers it."""
    found = []
    own = []
    council_roll = eligibility.allows(council, None, WAY)
    for funding_round in verifying_rounds(council):
        if not eligibility.allows(council, funding_round, WAY):
            continue
        if roll.has_round_roll(session, funding_round.id):
            own.append(round_scope(funding_round.id))
        else:
            council_roll = True
    if council_roll:
        found.append(COUNCIL_SCOPE)
    return found + sorted(own, key=lambda scope: int(scope.split(":")[1]))


def offered(session: Session, council: Council) -> bool:
    """Whether the verify page offers codes by text message or email."""
    return bool(scopes(session, council))


def offered_scopes(session: Session, council: Council) -> list[str]:
    """``scopes``, refused with ``NotOffered`` (naming the council) when there are none."""
    found = scopes(session, council)
    if not found:
        raise NotOffered(
            N_(
                "%(council)s does not send codes by text message or email. Verify with the "
                "reference and code the council sent you."
            ),
            council=council.name,
        )
    return found


def request_code(
    session: Session,
    council: Council,
    user: User,
    contact: str,
    *,
    key: bytes,
    now: datetime,
    by_text: bool = True,
) -> bool:
    """Send the account a code to the mobile number or email address ``contact`` if it is on
    one of the rolls that offer codes by text or email (``scopes``, tried in order: the first
    with an entry not yet verified), queued in this transaction. Returns whether one was sent,
    which the page must not tell.

    Refused, nothing sent: ``NotOffered``; ``ContactInvalid`` (neither a UK mobile number nor
    an email address); ``CodeUnreachable`` for a mobile number when texts cannot be sent
    (``by_text`` false: production without GOV.UK Notify); ``CodeUsed`` when the account is
    verified on every such roll."""
    scopes_offered = offered_scopes(session, council)
    channel, _ = contact_codes.read_contact(contact)
    if channel == contact_codes.SMS and not by_text:
        raise CodeUnreachable(
            N_("Codes cannot be sent by text message here yet. Enter your email address."),
            field="contact",
        )
    verified_everywhere = True
    for scope in scopes_offered:
        try:
            issued = contact_codes.request_code(
                session,
                council_id=council.id,
                scope=scope,
                user_id=user.id,
                contact=contact,
                key=key,
                now=now,
            )
        except CodeUsed:
            continue
        verified_everywhere = False
        if issued is not None:
            _send(session, council, issued, now)
            return True
    if verified_everywhere:
        raise CodeUsed(
            N_("Your account is already verified on %(council)s's roll."), council=council.name
        )
    return False


def _send(
    session: Session, council: Council, issued: contact_codes.IssuedContactCode, now: datetime
) -> None:
    """The code's message, to the number or address on the roll, in the entry's language (or
    the council's first). Not tied to the account, and keeping no time (an unordered kind):
    when someone asked for a code is close to when they voted."""
    outbox.queue(
        session,
        "contact_code",
        to=issued.to,
        channel=MessageChannel(issued.channel),
        language=issued.language or council.spoken_languages[0],
        data={"council_id": council.id, "code": issued.code},
        council=council,
        now=now,
    )


def verify_account(
    session: Session,
    council: Council,
    user: User,
    code: str,
    *,
    key: bytes,
    now: datetime,
) -> RollEntry | CodeInvalid:
    """Verify the account with the code it was last sent in this council: the roll entry, or
    the ``CodeInvalid`` refusal *returned*, not raised, because a wrong try stays counted and
    so must be committed. Every other refusal is raised (nothing is kept): ``NotOffered``,
    ``CodeExpired``, ``CodeSpent``, ``CodeBusy``, ``CodeUsed``."""
    offered_scopes(session, council)
    try:
        return contact_codes.check_code(
            session,
            council_id=council.id,
            user_id=user.id,
            code=code,
            key=key,
            now=now,
            today=london_date(now),
        )
    except CodeInvalid as error:
        return error


def forget_spent(session: Session, *, now: datetime) -> int:
    """Delete the codes that no longer work or count (the message worker's purge)."""
    return contact_codes.forget_spent(session, now=now)
