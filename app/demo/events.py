"""A demo decision-day event: Lambeth's open youth round has one on now, at a library, with
the Lambeth officer at its desk, so the check-in desk and a kiosk can be tried straight away.
Idempotent (a round that has an event is left alone)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import events
from app.workflow.clock import london_midnight, london_today, utcnow
from app.workflow.models import Event, FundingRound, Neighbourhood, Phase, User
from ballots import roll
from ballots.models import COUNCIL_SCOPE, RollEntry, RollSource, name_key

ROUND = "youth-services-2026"
OFFICER = "officer.lambeth@devolve.example"
# Someone an officer registered in person, with no account: found at the desk by name.
WALK_IN = ("Amara Okafor", date(2010, 6, 1), "Brixton")


def seed(session: Session) -> None:
    funding_round = session.scalar(select(FundingRound).where(FundingRound.slug == ROUND))
    officer = session.scalar(select(User).where(User.email == OFFICER))
    if funding_round is None or officer is None or funding_round.phase != Phase.VOTING:
        return
    if session.scalar(select(Event.id).where(Event.round_id == funding_round.id)) is not None:
        return
    # On from the start of today for a week, whenever the demo is seeded.
    starts = london_midnight(london_today(utcnow()))
    events.create_event(
        session,
        funding_round,
        name="Youth decision day",
        place="Brixton Library, Brixton Oval, London SW2 1JQ",
        starts_at=starts,
        ends_at=starts + timedelta(days=7),
        pot_ids=[p.id for p in funding_round.pots],
        officer_ids=[officer.id],
        actor=officer,
    )
    council = funding_round.council
    council.eligibility = "code contact register in_person"
    name, born, hood_name = WALK_IN
    hood = session.scalar(
        select(Neighbourhood).where(
            Neighbourhood.council_id == council.id, Neighbourhood.name == hood_name
        )
    )
    session.add(
        RollEntry(
            council_id=council.id,
            scope=COUNCIL_SCOPE,
            reference=roll.new_reference("LAM"),
            neighbourhood_id=hood.id,
            date_of_birth=born,
            name=name,
            name_key=name_key(name),
            source=RollSource.IN_PERSON,
        )
    )
