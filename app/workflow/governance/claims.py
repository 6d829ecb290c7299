"""A member links their own account to their member record (docs/governance.md, "Who is a
member"): signed in, they give their member number; a six-digit code goes to the email
address the member has on the organisation's register; typing it links the account, so they
can vote online and appoint a proxy. An officer can also link an account by its email address
(``meetings.link_account``).

A code is 6 digits (``ballots.contact_codes.new_code``), stored only as HMAC-SHA256 under the
key posted codes use (``ballots.roll.code_hash``). It works for ``CLAIM_LIFETIME`` and
``CLAIM_TRIES`` wrong tries, each counted before the code is compared (compare-and-set), and
only for the account that asked. Asking answers nothing about the register: the page says the
same whether or not the number is on it, has an address, or is linked already; a new code is
made at most once a ``CLAIM_PAUSE``.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.workflow import audit, outbox
from app.workflow.clock import london_date
from app.workflow.errors import DomainError
from app.workflow.governance.meetings import member_of_account
from app.workflow.governance.models import MemberClaim
from app.workflow.models import User
from app.workflow.organisations import Member, NotAllowed, Organisation, member_by_number
from ballots.contact_codes import new_code, normalise
from ballots.db import begin_write
from ballots.refusals import N_
from ballots.roll import code_hash

CLAIM_LIFETIME = timedelta(minutes=30)
CLAIM_TRIES = 5
CLAIM_PAUSE = timedelta(minutes=1)


class ClaimRefused(DomainError):
    """A code that is wrong, expired or used up. Status 422."""


def _require_account(actor: User | None, organisation: Organisation, session: Session) -> None:
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(N_("Sign in first."))
    linked = member_of_account(session, organisation, actor)
    if linked is not None:
        raise DomainError(
            N_("Your account is already linked to member %(number)s."),
            number=linked.member_number,
        )


def ask_code(
    session: Session,
    organisation: Organisation,
    *,
    actor: User,
    member_number: str,
    key: bytes,
    now: datetime,
) -> None:
    """Email a code to the address the member with ``member_number`` has on the register, to
    link ``actor``'s account to them (the message in the outbox, in this transaction). Does
    nothing, and says nothing different, when no such member is on the register today, they
    have no address, their record is linked to an account already, or a code went to them
    less than ``CLAIM_PAUSE`` ago. Refused when the number is empty or ``actor`` is already
    linked to a member of the organisation."""
    _require_account(actor, organisation, session)
    begin_write(session)
    number = (member_number or "").strip()
    if not number:
        raise DomainError(N_("Enter your member number."), "member_number")
    member = member_by_number(session, organisation.id, number)
    if (
        member is None
        or not member.email
        or member.account_id is not None
        or not member.is_member_on(london_date(now))
    ):
        return
    claim = session.get(MemberClaim, member.id)
    if claim is not None and claim.made_at > now - CLAIM_PAUSE:
        return
    code = new_code()
    if claim is None:
        claim = MemberClaim(member_id=member.id)
        session.add(claim)
    claim.user_id = actor.id
    claim.code_hash = code_hash(code, key)
    claim.made_at = now
    claim.expires_at = now + CLAIM_LIFETIME
    claim.wrong_tries = 0
    session.flush()
    outbox.queue(
        session,
        "member_code",
        to=member.email,
        language=actor.language or "en",
        data={"organisation": organisation.name, "member_number": number, "code": code},
        council=organisation.council,
        now=now,
    )


def claim_account(
    session: Session,
    organisation: Organisation,
    *,
    actor: User,
    code: str,
    key: bytes,
    now: datetime,
) -> Member | ClaimRefused:
    """Link ``actor``'s account to the member whose code this is, audited, and return the
    member; or, for a wrong code, count the try and *return* the refusal for the caller to
    commit and then raise (a wrong try counts). Refused (raised) when ``actor`` is already
    linked, the code is empty, no code was asked for by ``actor``, or it has expired or run out
    of tries."""
    _require_account(actor, organisation, session)
    begin_write(session)
    typed = normalise(code or "")
    if not typed:
        raise DomainError(N_("Enter the code from the email."), "code")
    claim = session.scalar(
        select(MemberClaim)
        .join(Member, Member.id == MemberClaim.member_id)
        .where(MemberClaim.user_id == actor.id, Member.organisation_id == organisation.id)
        .order_by(MemberClaim.made_at.desc())
        .limit(1)
    )
    if claim is None or claim.expires_at <= now:
        raise ClaimRefused(
            N_("That code has expired, or none was sent: ask for a new one."), "code"
        )
    counted = session.execute(
        update(MemberClaim)
        .where(MemberClaim.member_id == claim.member_id, MemberClaim.wrong_tries < CLAIM_TRIES)
        .values(wrong_tries=MemberClaim.wrong_tries + 1)
    ).rowcount
    if not counted:
        raise ClaimRefused(N_("Too many wrong codes: ask for a new one."), "code")
    if not hmac.compare_digest(claim.code_hash, code_hash(typed, key)):
        return ClaimRefused(N_("That is not the code in the email."), "code")
    member = session.get(Member, claim.member_id)
    session.execute(delete(MemberClaim).where(MemberClaim.member_id == member.id))
    if member.account_id is not None:
        raise ClaimRefused(N_("That member's record is already linked to an account."), "code")
    member.account_id = actor.id
    session.flush()
    audit.record(
        session,
        action="organisation.member_claimed",
        actor=actor,
        organisation=organisation,
        subject=member,
        after={"member_number": member.member_number, "account": actor.id},
    )
    return member
