"""The demo's housing co-operative: owned by its tenants and staff, hosted by Rochdale, with a
register of tenant and employee members, its secretary and chair, and (``meeting``) an annual
general meeting that elects its representative body in two constituencies, votes on a special
resolution to change its rules, and has proxies appointed.

Idempotent like the rest of the demo: the organisation is looked up by its slug, members by
their numbers.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow.clock import london_today
from app.workflow.models import Council, User
from app.workflow.organisations import (
    Member,
    Organisation,
    OrganisationRole,
    add_class,
    add_member,
    appoint_officer,
    create_organisation,
)

NAME = "Hollingworth Tenants' and Staff Housing Co-operative"
SLUG = "hollingworth-housing"
SECRETARY = "officer.rochdale@devolve.example"
CHAIR = "chair.hollingworth@devolve.example"
# The demo resident who is also a tenant member (and so votes at the meeting online).
TENANT = "resident@devolve.example"

FIRST = [
    "Aisha", "Ben", "Carys", "Dev", "Eilidh", "Femi", "Grace", "Harun", "Imogen", "Jamal",
    "Kasia", "Liam", "Maryam", "Niall", "Olu", "Priya", "Quinn", "Rhys", "Sana", "Tom",
]  # fmt: skip
LAST = [
    "Ahmed", "Brennan", "Chowdhury", "Davies", "Evans", "Fletcher", "Gill", "Hussain",
    "Iqbal", "Jones", "Kowalski", "Lees", "Mahmood", "Nolan", "Okafor", "Patel",
]  # fmt: skip
# How the demo's logins describe the co-operative's people.
ROLES = {
    CHAIR: f"Chair of {NAME} (Rochdale)",
    SECRETARY: f"Officer in Rochdale Council; secretary of {NAME}",
}
TENANTS = 48
EMPLOYEES = 16


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def seed(session: Session, users: dict[str, User]) -> Organisation:
    """The co-operative and its register (created when missing)."""
    council = session.scalar(select(Council).where(Council.slug == "rochdale"))
    secretary = users[SECRETARY]
    organisation = session.scalar(
        select(Organisation).where(Organisation.council_id == council.id, Organisation.slug == SLUG)
    )
    if organisation is None:
        organisation = create_organisation(
            session, council, actor=secretary, name=NAME, kind="housing_cooperative"
        )
        organisation.slug = SLUG
        add_class(session, organisation, actor=secretary, code="employee", name="Employee")
        appoint_officer(
            session, organisation, actor=secretary, email=CHAIR, role=OrganisationRole.CHAIR
        )
    today = london_today()
    rng = random.Random(19)
    existing = set(
        session.scalars(
            select(Member.member_number).where(Member.organisation_id == organisation.id)
        )
    )
    for i in range(TENANTS + EMPLOYEES):
        tenant = i < TENANTS
        number = f"T{i + 1:04d}" if tenant else f"E{i - TENANTS + 1:04d}"
        name = _name(rng)
        joined = date(2015 + i % 10, 1 + i % 12, 1 + i % 28)
        if number in existing:
            continue
        member = add_member(
            session,
            organisation,
            actor=secretary,
            member_number=number,
            name=name,
            membership_class="tenant" if tenant else "employee",
            joined_on=min(joined, today),
            email=f"{number.lower()}@hollingworth.example",
            today=today,
        )
        if number == "T0001":
            member.account_id = users[TENANT].id
    session.flush()
    return organisation
