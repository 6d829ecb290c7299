"""The ways a resident may become eligible to vote, chosen per council and per round.

Every way ends in the same place: a roll entry (``ballots.models.RollEntry``) verified as the
resident's account, or checked in at an event, and then the same exactly-once cast.

- ``code``: the council imports its roll and sends each person a code (posted or texted);
  they type it with their reference on the verify page.
- ``contact``: a six-digit code texted or emailed, when asked for, to the mobile number or
  email address the person has on the roll (10 minutes, 5 tries).
- ``register``: a resident picks their address from the council's gazetteer and registers;
  they are eligible at once up to the council's limit per address, or once an officer
  approves them.
- ``in_person``: an officer registers someone they have seen (at an event's desk or a council
  office), audited with the officer's name.

A council's ways are ``councils.eligibility``; a round's own (``rounds.eligibility``), when it
has them, replace the council's for that round.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError, WrongPhase
from app.workflow.models import Council, FundingRound, Phase, User
from ballots.refusals import N_, Text

# In the order they are offered.
WAYS = ("code", "contact", "register", "in_person")

# What each way is called on officers' pages.
WAY_NAMES = {
    "code": N_("Codes sent by the council to people on the imported roll"),
    "contact": N_("Six-digit codes texted or emailed to the number or address on the roll"),
    "register": N_("Registering at an address in the council's address list"),
    "in_person": N_("Registered in person by an officer"),
}


def parse(text: str | None) -> tuple[str, ...]:
    """Stored ways, in ``WAYS`` order (unknown words are left out)."""
    chosen = set((text or "").split())
    return tuple(way for way in WAYS if way in chosen)


def council_ways(council: Council) -> tuple[str, ...]:
    return parse(council.eligibility)


def ways(council: Council, funding_round: FundingRound | None = None) -> tuple[str, ...]:
    """The ways open for a round (its own when it has them, else the council's), or the
    council's when no round is given."""
    if funding_round is not None and funding_round.eligibility is not None:
        return parse(funding_round.eligibility)
    return council_ways(council)


def allows(council: Council, funding_round: FundingRound | None, way: str) -> bool:
    if way not in WAYS:
        raise ValueError(f"unknown way to become eligible: {way!r}")
    return way in ways(council, funding_round)


# The most people a council may let register at one address and be eligible at once.
MOST_PER_ADDRESS = 100
# A round's own ways may be set until voting is over.
_PAST_VOTING = (Phase.CLOSED, Phase.PUBLISHED, Phase.DELIVERY)


def checked(chosen: Iterable[str]) -> str:
    """The ways chosen, as stored (space-separated, in ``WAYS`` order); refused for an
    unknown way or none at all."""
    chosen = [str(way).strip() for way in chosen]
    unknown = sorted({way for way in chosen if way not in WAYS})
    if unknown:
        raise DomainError(
            N_("%(ways)s is not a way to become eligible."), field="ways", ways=", ".join(unknown)
        )
    if not chosen:
        raise DomainError(
            N_("Choose at least one way for people to become eligible to vote."), field="ways"
        )
    return " ".join(way for way in WAYS if way in chosen)


def set_ways(
    session: Session,
    council: Council,
    *,
    ways: Iterable[str],
    per_address: int | None,
    actor: User,
) -> None:
    """The council's ways to become eligible, and how many people may register at one
    address and be eligible at once (None or 0: an officer approves everyone), audited
    (``council.eligibility_changed``, with only what changed). Refused for an unknown way,
    none, or a limit below 0 or over ``MOST_PER_ADDRESS``."""
    stored = checked(ways)
    if per_address is not None and not 0 <= per_address <= MOST_PER_ADDRESS:
        raise DomainError(
            N_("The limit per address must be a whole number from 0 to %(most)s."),
            field="per_address",
            most=MOST_PER_ADDRESS,
        )
    before = {"ways": council.eligibility, "per_address": council.registrations_per_address}
    after = {"ways": stored, "per_address": per_address}
    council.eligibility = stored
    council.registrations_per_address = per_address
    old, new = audit.changes(before, after)
    if new:
        audit.record(
            session,
            action="council.eligibility_changed",
            actor=actor,
            council=council,
            subject=council,
            before=old,
            after=new,
        )
    session.flush()


def set_round_ways(
    session: Session,
    funding_round: FundingRound,
    *,
    ways: Iterable[str] | None,
    actor: User,
) -> None:
    """The round's own ways to become eligible, replacing the council's for it, or (None)
    the council's again; audited (``round.eligibility_changed``). Refused (``WrongPhase``)
    once voting is over, and as ``checked`` refuses."""
    check_ways_open(funding_round)
    stored = None if ways is None else checked(ways)
    if stored == funding_round.eligibility:
        return
    audit.record(
        session,
        action="round.eligibility_changed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before={"ways": funding_round.eligibility},
        after={"ways": stored},
    )
    funding_round.eligibility = stored
    session.flush()


def check_ways_open(funding_round: FundingRound) -> None:
    """Refused (``WrongPhase``) once voting in the round is over: its ways are fixed."""
    if funding_round.phase in _PAST_VOTING:
        raise WrongPhase(
            N_("The ways to become eligible cannot change once voting is over (%(phase)s)."),
            phase=Text(funding_round.phase.label).lowered(),
        )


def past_voting(funding_round: FundingRound) -> bool:
    return funding_round.phase in _PAST_VOTING
