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


MEETING_TITLE = "Annual general meeting 2026"
RULE_CHANGE = "Change rule 12: two independent members on the representative body"
# Members who appoint a proxy before the meeting: (member, holder: a member number or "chair").
PROXIES = [("T0040", "T0002"), ("T0041", "T0002"), ("T0042", "chair"), ("E0015", "E0001")]


def meeting(session: Session, organisation: Organisation, users: dict[str, User]):
    """The co-operative's annual general meeting, under way now: notice given five weeks ago
    (the record date), proxies appointed, the representative body's election declared
    (``election``), and the special resolution to change the rules open, with some members
    having voted in the room, by proxy and on paper. The demo tenant can vote on it online."""
    from datetime import timedelta

    from app.workflow.clock import utcnow
    from app.workflow.governance import meetings, motions, proxies
    from app.workflow.governance.models import Meeting

    existing = session.scalar(
        select(Meeting).where(
            Meeting.organisation_id == organisation.id, Meeting.title == MEETING_TITLE
        )
    )
    if existing is not None:
        return existing
    secretary, chair = users[SECRETARY], users[CHAIR]
    now = utcnow()
    drafted = now - timedelta(days=40)
    agm = meetings.create_meeting(
        session,
        organisation,
        actor=secretary,
        title=MEETING_TITLE,
        kind="annual",
        starts_at=now - timedelta(minutes=45),
        place="Hollingworth Community Centre, Rochdale",
        online_voting=True,
        motions_deadline=drafted + timedelta(days=2),
        now=drafted,
    )
    number = {m.member_number: m for m in _members(session, organisation)}
    election_item = election(session, agm, secretary, number, drafted)
    rule_change = motions.table_motion(
        session,
        agm,
        actor=secretary,
        title=RULE_CHANGE,
        wording=(
            "That rule 12 be changed so that the representative body may appoint up to two "
            "independent members, who are not tenants or employees, for two years at a time."
        ),
        threshold="special",
        proposer_id=number["T0003"].id,
        seconder_id=number["E0002"].id,
        now=drafted,
    )
    meetings.give_notice(session, agm, actor=secretary, now=now - timedelta(days=35))
    for member, holder in PROXIES:
        proxies.appoint_proxy(
            session,
            agm,
            actor=secretary,
            member_number=member,
            holder=holder,
            now=now - timedelta(days=3),
        )
    meetings.start_meeting(
        session, agm, actor=secretary, chair_id=chair.id, now=now - timedelta(minutes=40)
    )
    present = [f"T{i:04d}" for i in range(2, 31)] + [f"E{i:04d}" for i in range(1, 12)]
    for member in present:
        meetings.check_in(
            session, agm, actor=secretary, member_number=member, now=now - timedelta(minutes=38)
        )
    if election_item is not None:
        run_election(session, election_item, secretary, chair, present, now)
    motions.open_voting(session, rule_change, actor=chair, now=now - timedelta(minutes=5))
    rng = random.Random(12)
    for member in present[:24]:
        choice = rng.choices(["for", "against", "abstain"], weights=[8, 2, 1])[0]
        motions.record_paper(
            session, rule_change, actor=secretary, member_number=member, choice=choice, now=now
        )
    session.flush()
    return agm


def _members(session: Session, organisation: Organisation) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.organisation_id == organisation.id)))


ELECTION_TITLE = "Representative body 2026"
# (constituency, seats, class, candidates' numbers, proposer, seconder): 14 tenants standing
# for 6 places and 8 employees for 4, as in a year of Rochdale's tenants' and staff mutual.
CONSTITUENCIES = [
    ("Tenants", 6, "tenant", [f"T{i:04d}" for i in range(4, 18)], "T0018", "T0019"),
    ("Employees", 4, "employee", [f"E{i:04d}" for i in range(3, 11)], "E0011", "E0012"),
]


def election(session, agm, secretary, number, drafted):
    """The representative body's election in two constituencies, by Scottish STV, with its
    nominations (before notice is given)."""
    from datetime import timedelta

    from app.workflow.governance import elections

    item = elections.add_election(
        session,
        agm,
        actor=secretary,
        title=ELECTION_TITLE,
        rule="scottish",
        constituencies=[
            elections.ConstituencySpec(name, seats, [code])
            for name, seats, code, *_ in CONSTITUENCIES
        ],
        nominations_close_at=drafted + timedelta(days=10),
        withdrawals_close_at=drafted + timedelta(days=20),
        now=drafted,
    )
    for constituency, (_, _, _, standing, proposer, seconder) in zip(
        item.constituencies, CONSTITUENCIES, strict=True
    ):
        for candidate in standing:
            elections.nominate_by_numbers(
                session,
                item,
                actor=secretary,
                constituency_id=constituency.id,
                member=candidate,
                proposer=proposer,
                seconder=seconder,
                statement=(
                    f"I have been a {number[candidate].membership_class.name.lower()} member "
                    "since "
                    f"{number[candidate].joined_on.year} and want our homes run by the people "
                    "who live and work in them."
                ),
                now=drafted,
            )
    return item


def run_election(session, item, secretary, chair, present, now) -> None:
    """Open the election, enter the paper ballots of the members in the room (preferences
    leaning towards some candidates, so the count transfers surpluses and excludes), close
    it and declare the result."""
    from datetime import timedelta

    from app.workflow.governance import elections

    elections.open_election(
        session, item, actor=chair, now=now - timedelta(minutes=35), seed="19" * 32
    )
    manifest = elections.manifest_of(item)
    places = {place["classes"][0]: place for place in manifest["constituencies"]}
    rng = random.Random(2026)
    for member in present:
        place = places["tenant" if member.startswith("T") else "employee"]
        ids = [c["id"] for c in place["candidates"]]
        # A popularity per candidate, the same for every voter: a few are well known.
        weights = [1 + (int(cid) * 7) % 5 for cid in ids]
        ranking = []
        pool = list(zip(ids, weights, strict=True))
        for _ in range(rng.randint(1, min(6, len(ids)))):
            cid = rng.choices([c for c, _ in pool], weights=[w for _, w in pool])[0]
            ranking.append(cid)
            pool = [(c, w) for c, w in pool if c != cid]
        elections.record_paper(
            session,
            item,
            actor=secretary,
            member_number=member,
            numbers={cid: str(i + 1) for i, cid in enumerate(ranking)},
            now=now - timedelta(minutes=30),
        )
    elections.close_election(session, item, actor=chair, now=now - timedelta(minutes=20))
    elections.declare_election(session, item, actor=chair, now=now - timedelta(minutes=15))
