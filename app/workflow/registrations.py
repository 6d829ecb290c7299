"""Becoming eligible by address or in person, for the council workflow: importing the
council's address list (gazetteer), a resident registering at their address, officers
approving or refusing the registrations that wait, and an officer registering someone they
have seen. The rules are ``ballots.gazetteer`` and ``ballots.registration``; this adds who may,
in which rounds, and the audit trail.

The audit trail names the officer and the registration or roll entry (its id and reference),
never the person's name or date of birth: those stay on the registration and the roll. A
resident's own registration, approved at once or not, is not audited at all: its time would
be the time they became able to vote, which nothing keeps finer than the day (a posted code's
verification is not audited either). An officer's refusal keeps its reason on the
registration (the resident is shown it), not in the trail.

Every function takes the session first, refuses with the project's refusals and changes
nothing when it refuses; none commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.workflow import audit, eligibility
from app.workflow.eligibility import set_round_ways, set_ways
from app.workflow.models import Council, Event, FundingRound, Neighbourhood, Phase, Role, User
from app.workflow.voters import neighbourhood_spellings
from app.workflow.voting import NotAResident
from ballots import gazetteer, registration, roll
from ballots.errors import NotEligible, NotVerified, RoundClosed
from ballots.models import COUNCIL_SCOPE, GazetteerAddress, Registration, RollEntry
from ballots.refusals import N_

__all__ = [
    "ByNeighbourhood",
    "address_counts",
    "check_can_register",
    "check_can_register_in_person",
    "addresses_at",
    "approve",
    "event_of",
    "import_gazetteer",
    "own_registration",
    "queue",
    "refuse",
    "register",
    "register_in_person",
    "verified_on_roll",
    "waiting",
    "rounds_taking_registrations",
    "scope_of",
    "set_round_ways",
    "set_ways",
]


def import_gazetteer(
    session: Session, council: Council, *, actor: User, text: str
) -> gazetteer.Imported:
    """Add and update the council's addresses from a CSV gazetteer extract
    (``ballots.gazetteer``), audited (``gazetteer.imported``: how many added, updated and
    unchanged). Refused with ``GazetteerInvalid`` (every problem, by row): nothing changes."""
    imported = gazetteer.import_gazetteer(
        session,
        council_id=council.id,
        text=text,
        neighbourhoods=neighbourhood_spellings(session, council),
    )
    audit.record(
        session,
        action="gazetteer.imported",
        actor=actor,
        council=council,
        after={
            "addresses": int(imported),
            "added": imported.added,
            "updated": imported.updated,
            "unchanged": imported.unchanged,
        },
    )
    return imported


@dataclass(frozen=True)
class ByNeighbourhood:
    neighbourhood: Neighbourhood
    addresses: int


def address_counts(session: Session, council: Council) -> list[ByNeighbourhood]:
    """How many of the council's addresses are in each of its neighbourhoods (all of them,
    none included), by name."""
    counts = dict(
        session.execute(
            select(GazetteerAddress.neighbourhood_id, func.count())
            .where(GazetteerAddress.council_id == council.id)
            .group_by(GazetteerAddress.neighbourhood_id)
        ).all()
    )
    return [ByNeighbourhood(h, counts.get(h.id, 0)) for h in council.neighbourhoods]


def addresses_at(session: Session, council: Council, postcode: str) -> list[GazetteerAddress]:
    return gazetteer.addresses_at(session, council.id, postcode)


def _scope(session: Session, funding_round: FundingRound) -> tuple[str, int | None]:
    """The roll people join through this round: its own when it has one, else the
    council's; and the roll's round (None for the council's)."""
    scope = roll.roll_scope_for(session, funding_round.id)
    return scope, None if scope == COUNCIL_SCOPE else funding_round.id


def _check_round(funding_round: FundingRound, way: str, closed: str) -> None:
    """Refused unless the round takes ``way`` and is not yet past voting."""
    council = funding_round.council
    if not eligibility.allows(council, funding_round, way):
        raise NotEligible(
            N_("This round does not take registrations at an address.")
            if way == "register"
            else N_("This round does not take people registered in person by an officer.")
        )
    if eligibility.past_voting(funding_round):
        raise RoundClosed(closed)


def register(
    session: Session,
    council: Council,
    funding_round: FundingRound,
    user: User,
    *,
    address_id: int,
    name: str,
    date_of_birth: date | None,
    today: date,
) -> Registration:
    """A resident of the council registers at a gazetteer address for the roll the round
    uses (its own, else the council's): approved at once up to the council's limit per
    address, else waiting for an officer (``ballots.registration.register``).

    Refused: ``NotAResident``; ``NotEligible`` when the round does not take registrations at
    an address; ``RoundClosed`` once voting is over; and as ``register`` refuses."""
    check_can_register(council, funding_round, user)
    scope, _ = _scope(session, funding_round)
    return registration.register(
        session,
        council_id=council.id,
        scope=scope,
        round_id=funding_round.id,
        user_id=user.id,
        address_id=address_id,
        name=name,
        date_of_birth=date_of_birth,
        today=today,
        per_address=council.registrations_per_address,
    )


def check_can_register(council: Council, funding_round: FundingRound, user: User) -> None:
    """Refused unless the account may register at an address through this round:
    ``NotAResident``, ``NotEligible`` (the round does not take it), ``RoundClosed`` (past
    voting)."""
    if not user.has_role(council, Role.RESIDENT):
        raise NotAResident(N_("Only residents of %(council)s can register."), council=council.name)
    _check_round(funding_round, "register", N_("Registering for this round has closed."))


def check_can_register_in_person(funding_round: FundingRound) -> None:
    """Refused unless the round takes people registered in person by an officer and is not
    yet past voting: ``NotEligible``, ``RoundClosed``."""
    _check_round(funding_round, "in_person", N_("Registering people for this round has closed."))


def verified_on_roll(
    session: Session, council: Council, funding_round: FundingRound, user: User
) -> bool:
    """Whether the account is verified on the roll the round uses (it can vote with it)."""
    try:
        roll.roll_entry_for(
            session, user_id=user.id, council_id=council.id, round_id=funding_round.id
        )
    except NotVerified:
        return False
    return True


def own_registration(
    session: Session, council: Council, funding_round: FundingRound, user: User
) -> Registration | None:
    """The account's registration on the roll the round uses, if it has one."""
    scope, _ = _scope(session, funding_round)
    return session.scalars(
        select(Registration).where(
            Registration.user_id == user.id,
            Registration.council_id == council.id,
            Registration.scope == scope,
        )
    ).first()


def rounds_taking_registrations(session: Session, council: Council) -> list[FundingRound]:
    """The council's public rounds, not yet past voting, that take registrations at an
    address."""
    del session  # the rounds are the council's, already loaded
    return [
        r
        for r in council.rounds
        if r.phase != Phase.DRAFT
        and not eligibility.past_voting(r)
        and eligibility.allows(council, r, "register")
    ]


def _decided_round(session: Session, decided: Registration) -> FundingRound | None:
    return session.get(FundingRound, decided.round_id) if decided.round_id else None


def approve(
    session: Session, council: Council, registration_id: int, *, actor: User, today: date
) -> RollEntry:
    """An officer approves a waiting registration: the person is on the roll and the account
    verified. Audited (``registration.approved``: the registration, its reference, which
    roll), under the round it came through."""
    entry = registration.approve(session, registration_id, actor.id, today, council_id=council.id)
    decided = session.get(Registration, registration_id)
    audit.record(
        session,
        action="registration.approved",
        actor=actor,
        council=council,
        round=_decided_round(session, decided),
        subject=decided,
        after={"reference": entry.reference, "roll": _roll_name(entry.scope)},
    )
    return entry


def refuse(
    session: Session,
    council: Council,
    registration_id: int,
    *,
    actor: User,
    reason: str,
    today: date,
) -> Registration:
    """An officer refuses a waiting registration, saying why (the resident sees it; the
    audit record ``registration.refused`` names the registration, not the reason, which may
    name the person)."""
    refused = registration.refuse(
        session, registration_id, actor.id, reason, today, council_id=council.id
    )
    audit.record(
        session,
        action="registration.refused",
        actor=actor,
        council=council,
        round=_decided_round(session, refused),
        subject=refused,
        after={"roll": _roll_name(refused.scope)},
    )
    return refused


def _roll_name(scope: str) -> str:
    return "council" if scope == COUNCIL_SCOPE else "round"


def queue(session: Session, council: Council) -> list[registration.Waiting]:
    """The registrations waiting for an officer, oldest first, with their possible
    duplicates."""
    return registration.duplicates(session, council.id)


def waiting(session: Session, council: Council) -> int:
    return registration.waiting_count(session, council.id)


def register_in_person(
    session: Session,
    council: Council,
    funding_round: FundingRound,
    *,
    actor: User,
    name: str,
    date_of_birth: date | None,
    address_id: int | None,
    neighbourhood_id: int | None,
    today: date,
) -> RollEntry:
    """An officer puts someone they have seen on the roll the round uses, at a gazetteer
    address or (none listed) in a neighbourhood (``ballots.registration.register_in_person``),
    audited with the officer (``roll.registered_in_person``: the entry's reference and roll,
    not the name). Refused (``NotEligible``) when the round does not take people registered
    in person, ``RoundClosed`` once voting is over, and as the ballot box refuses."""
    check_can_register_in_person(funding_round)
    scope, round_id = _scope(session, funding_round)
    entry = registration.register_in_person(
        session,
        council_id=council.id,
        scope=scope,
        round_id=round_id,
        officer_id=actor.id,
        name=name,
        date_of_birth=date_of_birth,
        address_id=address_id,
        neighbourhood_id=neighbourhood_id,
        today=today,
    )
    audit.record(
        session,
        action="roll.registered_in_person",
        actor=actor,
        round=funding_round,
        subject=entry,
        after={
            "reference": entry.reference,
            "roll": _roll_name(scope),
            "address": address_id is not None,
        },
    )
    return entry


def event_of(session: Session, funding_round: FundingRound, event_id: int | None) -> Event | None:
    """The round's event with this id, or None (no id, or another round's)."""
    if event_id is None:
        return None
    event = session.get(Event, event_id)
    return event if event is not None and event.round_id == funding_round.id else None


def scope_of(session: Session, funding_round: FundingRound) -> str:
    return _scope(session, funding_round)[0]
