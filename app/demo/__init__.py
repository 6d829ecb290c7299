"""Demo councils, neighbourhoods, rounds in every phase, proposals and accounts.

``seed_demo`` is idempotent: everything is looked up by its natural key (a slug, an email, a
round and title) and created only when missing, so running it twice changes nothing.
The figures are illustrative, not the councils' real budgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import bilingual, coop, network, secret, voters
from app.demo import events as demo_events
from app.demo import places as demo_places
from app.workflow import accounts, rounds
from app.workflow.clock import london_today, utcnow
from app.workflow.models import (
    Contribution,
    ContributionKind,
    Council,
    FundingRound,
    Neighbourhood,
    Phase,
    PhaseDates,
    Pot,
    Proposal,
    ProposalReport,
    ProposalStatus,
    Role,
    SplitMethod,
    Support,
    User,
)
from app.workflow.rounds import split_budget
from ballots.phases import COUNTABLE

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (printed on purpose: demo only)
# The demo's staff sign in with two factors like real staff; this is their authenticator's
# secret (printed with the logins), so a code is one command away:
# python -c "import pyotp; print(pyotp.TOTP('DEVOLVEDEMOSTAFFSECRETTWOSIXABCD').now())"
DEMO_TOTP_SECRET = "DEVOLVEDEMOSTAFFSECRETTWOSIXABCD"  # noqa: S105  (demo only, printed)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


# (slug, name, colour, description, [(neighbourhood, population, need weight)])
COUNCILS = [
    (
        "lambeth",
        "Lambeth Council",
        "#00594f",
        "Lambeth lets each neighbourhood choose its youth services.",
        [
            ("Brixton", 78000, "1.60"),
            ("Clapham", 64000, "0.70"),
            ("Norwood", 52000, "1.10"),
            ("Stockwell", 41000, "1.40"),
            ("Streatham", 70000, "0.90"),
            ("Vauxhall", 38000, "1.20"),
        ],
    ),
    (
        "liverpool",
        "Liverpool City Council",
        "#8a1c1c",
        "Liverpool devolves its neighbourhood environmental spend.",
        [
            ("Anfield", 14500, None),
            ("Everton", 16200, None),
            ("Garston", 13100, None),
            ("Toxteth", 17800, None),
            ("Walton", 15400, None),
        ],
    ),
    (
        "rochdale",
        "Rochdale Borough Council",
        "#4b2e83",
        "Rochdale's townships decide on community grants.",
        [
            ("Heywood", 28000, None),
            ("Middleton", 43000, None),
            ("Pennines", 37000, None),
            ("Rochdale Township", 103000, None),
        ],
    ),
    (
        "oldham",
        "Oldham Council",
        "#1d4f91",
        "Oldham's community dividend fund, topped up by partners.",
        [
            ("Chadderton", 34000, None),
            ("Failsworth", 21000, None),
            ("Royton", 21500, None),
            ("Saddleworth", 25000, None),
            ("Shaw", 22000, None),
        ],
    ),
    bilingual.COUNCIL,
]

# (council, slug, title, description, total £, phase, split, kind, rule, proposals)
# split: "need" (by need weight), "population", "equal", or "council" (one council-wide pot).
# proposals: (neighbourhood or None, title, summary, cost £, status)
ROUNDS = [
    (
        "oldham",
        "secret-ballot-2026",
        "Community dividend: secret ballot rehearsal",
        "A rehearsal of a secret ballot: every ballot was encrypted to three trustees as it was "
        "cast, and nobody can read one until two of them decrypt the shuffled ballots.",
        12_000,
        Phase.CLOSED,
        "council",
        "approval",
        "greedy",
        [
            (
                None,
                "Community fridge",
                "A shared fridge for surplus food at the library.",
                2_500,
                "feasible",
            ),
            (None, "Repair café tools", "Tools for a monthly repair café.", 1_800, "feasible"),
            (None, "Bus shelter benches", "Benches in four bus shelters.", 4_000, "feasible"),
            (
                None,
                "Allotment water butts",
                "Water butts for the town allotments.",
                1_200,
                "feasible",
            ),
            (None, "Youth football kits", "Kits for two junior teams.", 3_000, "feasible"),
        ],
    ),
    (
        "lambeth",
        "youth-services-2026",
        "Youth services 2026",
        "Young people aged 11 to 25 choose the youth services in their neighbourhood. "
        "The budget is weighted towards the neighbourhoods with the greatest need.",
        300_000,
        Phase.VOTING,
        "need",
        "approval",
        "mes-add1",
        [
            (
                "Brixton",
                "Late-night youth club",
                "Open the Brixton youth club until 10pm on Fridays and Saturdays.",
                18_000,
                "feasible",
            ),
            (
                "Brixton",
                "Music studio for young people",
                "A recording studio with mentors from local artists.",
                32_000,
                "feasible",
            ),
            (
                "Brixton",
                "Detached youth workers",
                "Two youth workers meeting young people where they are.",
                45_000,
                "feasible",
            ),
            (
                "Brixton",
                "Football coaching on the estate",
                "Weekly coaching on the Loughborough estate pitch.",
                9_500,
                "feasible",
            ),
            (
                "Clapham",
                "Holiday activity camp",
                "Free activities and lunch for 120 young people in the summer.",
                21_000,
                "feasible",
            ),
            (
                "Clapham",
                "Careers mentoring",
                "Mentors from local employers for 16 to 25 year olds.",
                12_000,
                "feasible",
            ),
            (
                "Norwood",
                "Skate park repairs",
                "Resurface the Norwood skate park and add lighting.",
                26_000,
                "feasible",
            ),
            (
                "Norwood",
                "Girls' sports sessions",
                "Weekly sessions led by women coaches.",
                8_000,
                "feasible",
            ),
            (
                "Stockwell",
                "Mental health drop-in",
                "A weekly drop-in with trained counsellors.",
                30_000,
                "feasible",
            ),
            (
                "Stockwell",
                "Boxing gym membership",
                "Free membership for 80 young people for a year.",
                14_000,
                "feasible",
            ),
            (
                "Streatham",
                "Coding club",
                "After-school coding club with laptops to borrow.",
                11_000,
                "feasible",
            ),
            (
                "Streatham",
                "Youth-led radio station",
                "Training and airtime for a community radio show.",
                16_000,
                "feasible",
            ),
            (
                "Vauxhall",
                "Cooking on a budget",
                "Cooking classes for young people leaving care.",
                7_500,
                "feasible",
            ),
            (
                "Vauxhall",
                "Study space with Wi-Fi",
                "A quiet study room open after school.",
                19_000,
                "feasible",
            ),
        ],
    ),
    (
        "lambeth",
        "youth-services-2025",
        "Youth services 2025",
        "Last year's youth services round, now being delivered.",
        150_000,
        Phase.PUBLISHED,
        "need",
        "approval",
        "mes-add1",
        [
            (
                "Brixton",
                "Youth club refurbishment",
                "New kitchen and games room.",
                30_000,
                "feasible",
            ),
            (
                "Clapham",
                "Climbing wall sessions",
                "Weekly climbing for 11 to 16 year olds.",
                9_000,
                "feasible",
            ),
            (
                "Brixton",
                "Saturday music workshops",
                "Drumming and DJ workshops at the Brixton youth club.",
                12_000,
                "feasible",
            ),
            (
                "Brixton",
                "Youth-led podcast",
                "Equipment and training for a young people's podcast.",
                7_000,
                "feasible",
            ),
            (
                "Clapham",
                "Climbing wall sessions",
                "Weekly climbing for 11 to 16 year olds.",
                9_000,
                "feasible",
            ),
            (
                "Clapham",
                "Homework club",
                "A supervised homework club after school.",
                6_000,
                "feasible",
            ),
            (
                "Clapham",
                "Summer swimming passes",
                "Free swimming for the summer.",
                8_500,
                "feasible",
            ),
            (
                "Norwood",
                "Youth theatre",
                "A term of drama workshops and a show.",
                11_000,
                "feasible",
            ),
            ("Norwood", "BMX track day", "Coaching and bikes to borrow.", 5_000, "feasible"),
            ("Norwood", "Gaming café", "A weekly supervised gaming night.", 9_500, "feasible"),
            ("Stockwell", "Street dance classes", "Free classes twice a week.", 6_500, "feasible"),
            (
                "Stockwell",
                "Cycle repair workshop",
                "Learn to fix a bike, keep a bike.",
                8_000,
                "feasible",
            ),
            (
                "Stockwell",
                "Youth counselling",
                "Six free sessions for anyone who asks.",
                15_000,
                "feasible",
            ),
            ("Streatham", "Park basketball court", "Resurface and new hoops.", 18_000, "feasible"),
            (
                "Streatham",
                "Film-making course",
                "Make a short film in the holidays.",
                9_000,
                "feasible",
            ),
            (
                "Streatham",
                "Weekend sports hall",
                "Open the sports hall on Sundays.",
                12_500,
                "feasible",
            ),
            (
                "Vauxhall",
                "Riverside youth hub",
                "A pop-up hub by the river in summer.",
                14_000,
                "feasible",
            ),
            (
                "Vauxhall",
                "First aid training",
                "Certified first aid for 16 to 25s.",
                4_500,
                "feasible",
            ),
            (
                "Vauxhall",
                "Art on the estate",
                "Young people paint a mural with an artist.",
                7_000,
                "feasible",
            ),
        ],
    ),
    (
        "lambeth",
        "parks-2027",
        "Parks and green spaces 2027",
        "A round being prepared by officers: not yet open to residents.",
        150_000,
        Phase.DRAFT,
        "population",
        "approval",
        "greedy",
        [],
    ),
    (
        "liverpool",
        "environment-2026",
        "Neighbourhood environment fund 2026",
        "Each neighbourhood decides how to spend its share of the environmental budget: "
        "street trees, alley gates, community gardens and clean-ups.",
        200_000,
        Phase.PROPOSALS,
        "population",
        "knapsack",
        "greedy",
        [
            (
                "Anfield",
                "Street trees on Breck Road",
                "Plant 30 street trees.",
                15_000,
                "submitted",
            ),
            (
                "Anfield",
                "Alley gating",
                "Gates for 6 alleys with fly-tipping.",
                12_600,
                "submitted",
            ),
            (
                "Everton",
                "Community garden",
                "Raised beds and a tool shed in Everton Park.",
                8_400,
                "submitted",
            ),
            (
                "Everton",
                "Monthly clean-up days",
                "Skips and equipment for volunteers.",
                4_800,
                "submitted",
            ),
            (
                "Garston",
                "Wildflower verges",
                "Sow wildflowers on 2km of verges.",
                6_000,
                "submitted",
            ),
            (
                "Toxteth",
                "Rain gardens",
                "Three rain gardens to reduce flooding.",
                22_000,
                "submitted",
            ),
            ("Toxteth", "Bike hangars", "Secure bike storage on four streets.", 9_900, "submitted"),
            (
                "Walton",
                "Pond restoration",
                "Restore the pond in Walton Hall Park.",
                18_500,
                "submitted",
            ),
        ],
    ),
    (
        "liverpool",
        "environment-2025",
        "Neighbourhood environment fund 2025",
        "Officers are checking last autumn's ideas before residents vote.",
        180_000,
        Phase.REVIEW,
        "equal",
        "approval",
        "mes-greedy",
        [
            (
                "Garston",
                "Riverside path lighting",
                "Solar lights along the riverside path.",
                19_000,
                "submitted",
            ),
            ("Walton", "Tree pits and planters", "Planters on County Road.", 7_200, "feasible"),
            ("Everton", "Graffiti removal", "A year of graffiti removal.", 5_500, "not_feasible"),
        ],
    ),
    (
        "rochdale",
        "township-grants-2026",
        "Township community grants 2026",
        "Residents show which ideas they support before the vote.",
        120_000,
        Phase.SUPPORTS,
        "population",
        "cumulative",
        "mes-greedy",
        [
            (
                "Heywood",
                "Heritage trail signs",
                "Signs along the Heywood heritage trail.",
                6_000,
                "feasible",
            ),
            (
                "Middleton",
                "Defibrillators",
                "Four public-access defibrillators.",
                7_600,
                "feasible",
            ),
            (
                "Middleton",
                "Warm space at the library",
                "Winter warm space with hot drinks.",
                9_000,
                "feasible",
            ),
            (
                "Pennines",
                "Footpath repairs",
                "Repair 3km of moorland footpath.",
                14_000,
                "feasible",
            ),
            (
                "Rochdale Township",
                "Market hall stalls",
                "Free stalls for new local traders.",
                11_000,
                "feasible",
            ),
            (
                "Rochdale Township",
                "Youth football kits",
                "Kits for 12 junior teams.",
                5_400,
                "feasible",
            ),
        ],
    ),
    (
        "oldham",
        "community-dividend-2026",
        "Community dividend fund 2026",
        "Oldham's community dividend fund, topped up by partners. Residents ranked up to "
        "three projects; every ranked choice counts (3 points for a first choice, 2 for a "
        "second, 1 for a third) and the Method of Equal Shares decided what is funded.",
        60_000,
        Phase.PUBLISHED,
        "council",
        "ranked",
        "mes",
        [
            (
                None,
                "Food bank delivery van",
                "An electric van for the food bank.",
                38_000,
                "feasible",
            ),
            (None, "Saddleworth walking festival", "A week of guided walks.", 6_500, "feasible"),
            (None, "Repair café", "Monthly repair café in Chadderton.", 4_000, "feasible"),
            (None, "Community allotments", "Ten new allotment plots in Shaw.", 12_000, "feasible"),
            (
                None,
                "Digital skills for older people",
                "Weekly sessions in libraries.",
                8_500,
                "feasible",
            ),
        ],
    ),
    (
        "oldham",
        "neighbourhood-grants-2026",
        "Neighbourhood grants 2026",
        "Each Oldham district chooses its small grants. Voting has closed; officers are "
        "checking the count before it is published.",
        24_000,
        Phase.CLOSED,
        "population",
        "approval",
        "mes-add1",
        [
            (
                "Chadderton",
                "Chadderton Hall Park bulbs",
                "Plant 5,000 spring bulbs.",
                3_000,
                "feasible",
            ),
            (
                "Chadderton",
                "Chess club boards",
                "Boards and clocks for the library club.",
                1_200,
                "feasible",
            ),
            (
                "Chadderton",
                "Canal towpath litter picks",
                "Kit for monthly litter picks.",
                2_500,
                "feasible",
            ),
            (
                "Failsworth",
                "Pole clock repainting",
                "Repaint the Failsworth Pole clock.",
                4_500,
                "feasible",
            ),
            ("Failsworth", "Youth football nets", "New nets and corner flags.", 1_800, "feasible"),
            ("Failsworth", "Community fridge", "A fridge sharing surplus food.", 3_200, "feasible"),
            (
                "Royton",
                "Royton in Bloom planters",
                "Twenty planters on the high street.",
                4_000,
                "feasible",
            ),
            (
                "Royton",
                "Lunch club minibus day",
                "A day trip for the lunch club.",
                1_500,
                "feasible",
            ),
            (
                "Royton",
                "Park gym signs",
                "Signs showing how to use the outdoor gym.",
                900,
                "feasible",
            ),
            (
                "Saddleworth",
                "Brass band instruments",
                "Loan instruments for young players.",
                5_000,
                "feasible",
            ),
            ("Saddleworth", "Footpath stiles", "Replace six broken stiles.", 3_500, "feasible"),
            (
                "Saddleworth",
                "Village hall heating",
                "A thermostat and draught-proofing.",
                2_800,
                "feasible",
            ),
            ("Shaw", "Shaw market bunting", "Bunting for the summer market.", 800, "feasible"),
            (
                "Shaw",
                "Dementia café",
                "A monthly café for people with dementia.",
                2_400,
                "feasible",
            ),
            (
                "Shaw",
                "Crompton pool lessons",
                "Swimming lessons for 40 children.",
                3_600,
                "feasible",
            ),
        ],
    ),
    (
        "oldham",
        "community-dividend-2025",
        "Community dividend fund 2025",
        "Funded projects from last year, with progress updates.",
        80_000,
        Phase.DELIVERY,
        "council",
        "approval",
        "greedy",
        [
            (
                None,
                "Failsworth Christmas lights",
                "New lights for the high street.",
                15_000,
                "feasible",
            ),
            (None, "Royton park benches", "Twelve new benches.", 6_000, "feasible"),
        ],
    ),
]

ROUNDS += bilingual.ROUNDS

# (email, display name, home neighbourhood (council slug, name), date of birth, {council: role})
PEOPLE = [
    ("admin@devolve.example", "Alex Admin", None, None, {c[0]: Role.ADMIN for c in COUNCILS}),
    (
        "officer.lambeth@devolve.example",
        "Priya Officer",
        ("lambeth", "Brixton"),
        None,
        {"lambeth": Role.OFFICER},
    ),
    (
        "officer.liverpool@devolve.example",
        "Sean Officer",
        ("liverpool", "Everton"),
        None,
        {"liverpool": Role.OFFICER},
    ),
    (
        "officer.rochdale@devolve.example",
        "Aisha Officer",
        ("rochdale", "Middleton"),
        None,
        {"rochdale": Role.OFFICER},
    ),
    (
        # One person, different roles in different councils.
        "sam.officer@devolve.example",
        "Sam Councillor",
        ("rochdale", "Heywood"),
        None,
        {"oldham": Role.OFFICER, "rochdale": Role.RESIDENT},
    ),
    (
        # The chair of the demo housing co-operative (app.demo.coop): staff of the co-operative,
        # so two factors, though a resident of the council.
        "chair.hollingworth@devolve.example",
        "Chris Okafor",
        ("rochdale", "Middleton"),
        None,
        {"rochdale": Role.RESIDENT},
    ),
    (
        "auditor@devolve.example",
        "Morgan Auditor",
        None,
        None,
        {"lambeth": Role.AUDITOR, "liverpool": Role.AUDITOR, "oldham": Role.AUDITOR},
    ),
    (
        "resident@devolve.example",
        "Jordan Resident",
        ("lambeth", "Brixton"),
        date(2008, 5, 14),
        {"lambeth": Role.RESIDENT},
    ),
    (
        "resident.clapham@devolve.example",
        "Chris Resident",
        ("lambeth", "Clapham"),
        date(1984, 2, 2),
        {"lambeth": Role.RESIDENT},
    ),
    (
        "resident.liverpool@devolve.example",
        "Kelly Resident",
        ("liverpool", "Toxteth"),
        date(1990, 9, 30),
        {"liverpool": Role.RESIDENT},
    ),
    (
        "resident.rochdale@devolve.example",
        "Robin Resident",
        ("rochdale", "Pennines"),
        date(1999, 4, 1),
        {"rochdale": Role.RESIDENT},
    ),
    (
        "resident.oldham@devolve.example",
        "Dev Resident",
        ("oldham", "Shaw"),
        date(1975, 11, 11),
        {"oldham": Role.RESIDENT},
    ),
]
PEOPLE += bilingual.PEOPLE


def _get_or_create(session: Session, model, lookup: dict, **values):
    obj = session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        session.add(obj)
        session.flush()
    return obj


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("'", "").split())


def seed_demo(
    session: Session, policy: accounts.Policy, trustee_keys: Path | None = None
) -> list[DemoLogin]:
    """Create whatever of the demo is missing; return the demo logins (one password for all,
    hashed as ``policy`` says). The secret ballot rehearsal's trustee key files are written
    under ``trustee_keys`` (``app.demo.secret``)."""
    councils: dict[str, Council] = {}
    hoods: dict[tuple[str, str], Neighbourhood] = {}
    for slug, name, colour, description, neighbourhoods in COUNCILS:
        council = _get_or_create(
            session, Council, {"slug": slug}, name=name, colour=colour, description=description
        )
        councils[slug] = council
        for hood, population, weight in neighbourhoods:
            hoods[slug, hood] = _get_or_create(
                session,
                Neighbourhood,
                {"council_id": council.id, "slug": _slug(hood)},
                name=hood,
                population=population,
                need_weight=Decimal(weight) if weight else None,
            )

    users: dict[str, User] = {}
    logins = []
    for email, display_name, home, dob, roles in PEOPLE:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                password_hash=accounts.hash_password(policy, DEMO_PASSWORD),
                display_name=display_name,
                home_neighbourhood=hoods[home] if home else None,
                date_of_birth=dob,
                email_confirmed_at=utcnow(),
            )
            session.add(user)
            session.flush()
            for council_slug, role in roles.items():
                accounts.grant_role(session, user, councils[council_slug], role)
            if any(role != Role.RESIDENT for role in roles.values()) or email == coop.CHAIR:
                user.totp_secret = DEMO_TOTP_SECRET
                user.totp_confirmed_at = utcnow()
        users[email] = user
        logins.append(
            DemoLogin(
                email,
                coop.ROLES.get(email)
                or ", ".join(f"{r.label} in {councils[c].name}" for c, r in roles.items()),
            )
        )
    session.flush()

    for (
        council_slug,
        slug,
        title,
        description,
        total,
        phase,
        split,
        kind,
        rule,
        proposals,
    ) in ROUNDS:
        council = councils[council_slug]
        existing = session.scalar(
            select(FundingRound).where(
                FundingRound.council_id == council.id, FundingRound.slug == slug
            )
        )
        if existing is not None:
            continue
        authors = [u for u in users.values() if u.role_in(council) == Role.RESIDENT] or [
            users["admin@devolve.example"]
        ]
        funding_round = FundingRound(
            council=council,
            slug=slug,
            title=title,
            description=description,
            total_budget_pence=total * 100,
            # Before voting until _configure freezes the manifest: the database refuses a
            # round in voting or later without one.
            phase=min(phase, Phase.SUPPORTS, key=lambda p: p.index),
            ballot_kind=kind,
            rule=rule,
            split_method=SplitMethod(split),
            created_by_id=users["admin@devolve.example"].id,
        )
        session.add(funding_round)
        council_hoods = [hoods[k] for k in hoods if k[0] == council_slug]
        if split == "council":
            funding_round.pots.append(
                Pot(name=f"{council.name} (council-wide)", budget_pence=total * 100, position=0)
            )
        else:
            weights = {
                "need": [h.need_weight or 0 for h in council_hoods],
                "population": [h.population for h in council_hoods],
                "equal": [1] * len(council_hoods),
            }[split]
            for i, (hood, share) in enumerate(
                zip(council_hoods, split_budget(total * 100, weights), strict=True)
            ):
                funding_round.pots.append(
                    Pot(name=hood.name, neighbourhood=hood, budget_pence=share, position=i)
                )
        session.flush()
        pots = {p.neighbourhood.name if p.neighbourhood else None: p for p in funding_round.pots}
        for i, (hood, p_title, summary, cost, status) in enumerate(proposals):
            status = ProposalStatus(status)
            session.add(
                Proposal(
                    round_id=funding_round.id,
                    pot_id=pots[hood].id,
                    author_id=authors[i % len(authors)].id,
                    title=p_title,
                    summary=summary,
                    description=summary,
                    category="Youth" if council_slug == "lambeth" else "Community",
                    estimated_cost_pence=cost * 100,
                    final_cost_pence=cost * 100 if status == ProposalStatus.FEASIBLE else None,
                    status=status,
                    review_reason="Checked by officers: it can be delivered for this cost."
                    if status == ProposalStatus.FEASIBLE
                    else (
                        "The council already funds this through its street cleaning contract."
                        if status == ProposalStatus.NOT_FEASIBLE
                        else ""
                    ),
                )
            )
        session.flush()
        session.refresh(funding_round)
        _configure(session, funding_round, users, phase, trustee_keys)
    session.flush()
    bilingual.apply(session)  # the Welsh council's English texts, its people's language
    voters.seed(session)  # voter rolls, verified demo residents and a few ballots
    demo_events.seed(session)  # a decision-day event on now, for the desk and a kiosk
    organisation = coop.seed(session, users)  # a tenants' and staff housing co-operative
    coop.meeting(session, organisation, users)  # its AGM: an election, a rule change, proxies
    session.flush()
    network.seed(session)  # earlier rounds and two more councils, for the network's pages
    demo_places.seed(session)  # neighbourhood boundaries and proposals' points, for the maps
    _count_closed_rounds(session)
    return logins


def _count_closed_rounds(session: Session) -> None:
    """Demo rounds seeded past voting get the sealed log and stored count that closing voting
    would have given them."""
    from app.workflow import results, secrecy
    from ballots import box

    for funding_round in session.scalars(
        select(FundingRound).where(FundingRound.phase.in_(COUNTABLE))
    ).all():
        if funding_round.manifest_json and not results.results_for(session, funding_round):
            box.open_log(session, funding_round.id, funding_round.manifest_hash)
            box.close_log(session, funding_round.id, funding_round.manifest_hash)
            if secrecy.is_encrypted(funding_round):
                # As closing does: the server's shuffle; the count waits for the trustees.
                results.publish_head(session, funding_round)
                secrecy.at_close(session, funding_round)
            else:
                results.tally_round(session, funding_round, utcnow())


# Voting configuration per demo round (anything not listed keeps its default).
CONFIG = {
    "youth-services-2026": {"min_age": 11, "max_age": 25, "home_pot_only": True},
    "youth-services-2025": {"min_age": 11, "max_age": 25, "home_pot_only": True},
    "township-grants-2026": {
        "supports_enabled": True,
        "support_threshold": 2,
        "points": 10,
        "max_points_per_project": 5,
    },
    "community-dividend-2026": {"max_choices": 3},
    "neighbourhood-grants-2026": {"home_pot_only": True, "max_choices": 2},
}
CONFIG.update(bilingual.CONFIG)


def _configure(
    session: Session,
    funding_round: FundingRound,
    users: dict[str, User],
    target: Phase,
    trustee_keys: Path | None = None,
) -> None:
    """Dates around today for every phase, the voting configuration, partners' money, some
    supports and a report; a frozen manifest for rounds at or past voting; then the round is
    put in ``target``."""
    for name, value in CONFIG.get(funding_round.slug, {}).items():
        setattr(funding_round, name, value)
    phases = rounds.phases_of(funding_round)
    now_index = phases.index(target)
    today = london_today()
    for i, phase in enumerate(phases):
        if phase == Phase.DRAFT:
            continue
        first = today + timedelta(days=21 * (i - now_index) - 7)
        funding_round.phase_dates.append(
            PhaseDates(
                phase=phase,
                starts_at=rounds.london_midnight(first),
                ends_at=rounds.london_midnight(first + timedelta(days=21)),
            )
        )
    by_title = {p.title: p for p in funding_round.proposals}
    if funding_round.slug == "community-dividend-2026":
        van = by_title["Food bank delivery van"]
        session.add_all(
            [
                Contribution(
                    proposal=van,
                    partner_name="Oldham Co-operative Partners",
                    kind=ContributionKind.MONEY,
                    amount_pence=8_000_00,
                    description="Community dividend towards the van",
                ),
                Contribution(
                    proposal=van,
                    partner_name="Oldham Volunteer Drivers",
                    kind=ContributionKind.IN_KIND,
                    amount_pence=None,
                    description="Two volunteer drivers for a year",
                ),
            ]
        )
    if funding_round.slug == "township-grants-2026":
        for email in ("sam.officer@devolve.example", "resident.rochdale@devolve.example"):
            for title in ("Defibrillators", "Warm space at the library"):
                session.add(Support(proposal_id=by_title[title].id, user_id=users[email].id))
        session.add(
            Support(
                proposal_id=by_title["Heritage trail signs"].id,
                user_id=users["resident.rochdale@devolve.example"].id,
            )
        )
    if funding_round.slug == "environment-2026":
        session.add(
            ProposalReport(
                proposal_id=by_title["Alley gating"].id,
                user_id=users["resident.liverpool@devolve.example"].id,
                reason="The summary names a neighbour's house.",
            )
        )
    session.flush()
    session.refresh(funding_round)
    if funding_round.slug == secret.ROUND_SLUG:
        secret.prepare(session, funding_round, users["admin@devolve.example"], trustee_keys)
    if target.index >= Phase.VOTING.index:
        text = rounds.canonical_json(rounds.build_manifest(session, funding_round))
        funding_round.manifest_json = text
        funding_round.manifest_hash = rounds.manifest_hash(text)
        funding_round.voting_opened_at = rounds.london_midnight(
            rounds.first_day(funding_round.dates_for(Phase.VOTING))
        )
    funding_round.phase = target
