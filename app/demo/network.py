"""The demo network's history: earlier rounds of the demo councils, and two more councils, so
the network's pages (the home, councils side by side, what worked) have years to compare.

Each round goes through the workflow as a real one does: proposals found feasible, voting
opened (the manifest frozen), ballots cast through ``ballots.box.cast`` by people on the
round's own roll, voting closed (the log sealed and every pot counted, with its figures),
results published and, for the older rounds, delivery updates. Dates are in the round's year.
Idempotent: a round whose slug exists is left alone. The figures are illustrative.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import accounts, delivery, rounds
from app.workflow.models import (
    Contribution,
    ContributionKind,
    Council,
    DeliveryStatus,
    FundingRound,
    Neighbourhood,
    Phase,
    PhaseDates,
    Pot,
    Proposal,
    ProposalStatus,
    Role,
    SplitMethod,
    User,
)
from app.workflow.rounds import split_budget
from ballots import box
from ballots.models import RollEntry, round_scope
from ballots.paper import ballot_paper
from ballots.roll import new_reference
from votes.model import Ballot, BallotKind

# Councils that joined the network later: (slug, name, colour, description, neighbourhoods).
COUNCILS = [
    (
        "salford",
        "Salford City Council",
        "#6b2c91",
        "Salford's neighbourhoods share a fund for community projects.",
        [("Eccles", 38000), ("Swinton", 41000), ("Walkden", 36000), ("Ordsall", 16000)],
    ),
    (
        "stevenage",
        "Stevenage Borough Council",
        "#0b5394",
        "Stevenage residents choose the projects of its community chest.",
        [("Bedwell", 9000), ("Chells", 9500), ("Old Town", 11000), ("Shephall", 8500)],
    ),
]


@dataclass(frozen=True)
class Past:
    council: str
    slug: str
    title: str
    year: int
    kind: str
    rule: str
    split: str  # "need", "population", "equal" or "council"
    budget: int  # £
    voters: int  # ballots a pot, before each pot's own spread
    delivered: float  # share of funded projects delivered (delivery rounds)
    config: dict


HISTORY = [
    Past(
        "lambeth",
        "youth-services-2023",
        "Youth services 2023",
        2023,
        "approval",
        "greedy",
        "need",
        100_000,
        18,
        1.0,
        {"min_age": 11, "max_age": 25},
    ),
    Past(
        "lambeth",
        "youth-services-2024",
        "Youth services 2024",
        2024,
        "approval",
        "mes-add1",
        "need",
        120_000,
        26,
        0.8,
        {"min_age": 11, "max_age": 25},
    ),
    Past(
        "liverpool",
        "environment-2023",
        "Neighbourhood environment 2023",
        2023,
        "knapsack",
        "greedy",
        "equal",
        40_000,
        16,
        1.0,
        {},
    ),
    Past(
        "liverpool",
        "environment-2024",
        "Neighbourhood environment 2024",
        2024,
        "approval",
        "mes-add1",
        "population",
        45_000,
        24,
        0.5,
        {},
    ),
    Past(
        "rochdale",
        "township-grants-2025",
        "Township grants 2025",
        2025,
        "cumulative",
        "greedy",
        "equal",
        50_000,
        20,
        0.6,
        {"points": 10, "max_points_per_project": 5},
    ),
    Past(
        "oldham",
        "community-dividend-2024",
        "Community dividend fund 2024",
        2024,
        "ranked",
        "mes",
        "council",
        70_000,
        60,
        1.0,
        {"max_choices": 3},
    ),
    Past(
        "salford",
        "neighbourhood-fund-2024",
        "Neighbourhood fund 2024",
        2024,
        "approval",
        "greedy",
        "population",
        80_000,
        22,
        1.0,
        {"max_choices": 3},
    ),
    Past(
        "salford",
        "neighbourhood-fund-2025",
        "Neighbourhood fund 2025",
        2025,
        "approval",
        "mes-add1",
        "population",
        90_000,
        34,
        0.4,
        {"max_choices": 3},
    ),
    Past(
        "stevenage",
        "community-chest-2025",
        "Community chest 2025",
        2025,
        "approval",
        "greedy",
        "equal",
        30_000,
        14,
        0.5,
        {},
    ),
    Past(
        "stevenage",
        "community-chest-2026",
        "Community chest 2026",
        2026,
        "approval",
        "mes-add1",
        "equal",
        36_000,
        22,
        0.0,
        {},
    ),
]

# Projects each pot offers: (title, summary, cost £ before the pot's own scale).
PROJECTS = [
    ("Youth club evenings", "Two evenings a week at the community centre.", 9_000),
    ("Street trees", "Trees on the streets with none.", 6_000),
    ("Play area repairs", "New surfacing and swings.", 12_000),
    ("Community garden", "Raised beds and a tool shed.", 4_500),
    ("Warm space", "A warm, staffed room through the winter.", 7_500),
    ("Bike repair days", "Free repairs once a month.", 3_000),
]


def seed(session: Session) -> None:
    admin = session.scalar(select(User).where(User.email == "admin@devolve.example"))
    councils = {c.slug: c for c in session.scalars(select(Council))}
    for slug, name, colour, description, hoods in COUNCILS:
        if slug in councils:
            continue
        council = Council(slug=slug, name=name, colour=colour, description=description)
        session.add(council)
        session.flush()
        for hood, population in hoods:
            session.add(
                Neighbourhood(
                    council_id=council.id,
                    slug=hood.lower().replace(" ", "-"),
                    name=hood,
                    population=population,
                )
            )
        session.flush()
        if admin is not None:
            accounts.grant_role(session, admin, council, Role.ADMIN)
        councils[slug] = council
    session.flush()
    for past in HISTORY:
        council = councils.get(past.council)
        if council is None or admin is None:
            continue
        exists = session.scalar(
            select(FundingRound.id).where(
                FundingRound.council_id == council.id, FundingRound.slug == past.slug
            )
        )
        if exists is None:
            _round(session, council, past, admin)
    session.flush()


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _round(session: Session, council: Council, past: Past, admin: User) -> None:
    rng = random.Random(f"{council.slug}/{past.slug}")  # noqa: S311 (demo data, repeatable)
    hoods = sorted(council.neighbourhoods, key=lambda h: h.name)
    funding_round = FundingRound(
        council=council,
        slug=past.slug,
        title=past.title,
        description=f"The {past.year} round, counted and published.",
        total_budget_pence=past.budget * 100,
        phase=Phase.REVIEW,
        ballot_kind=past.kind,
        rule=past.rule,
        split_method=SplitMethod(past.split),
        min_ballots_to_publish=10,
        created_by_id=admin.id,
        created_at=_at(date(past.year, 1, 10)),
    )
    for name, value in past.config.items():
        setattr(funding_round, name, value)
    session.add(funding_round)
    if past.split == "council":
        funding_round.pots.append(
            Pot(name=f"{council.name} (council-wide)", budget_pence=past.budget * 100)
        )
    else:
        weights = {
            "need": [h.need_weight or 1 for h in hoods],
            "population": [h.population for h in hoods],
            "equal": [1] * len(hoods),
        }[past.split]
        for i, (hood, share) in enumerate(
            zip(hoods, split_budget(past.budget * 100, weights), strict=True)
        ):
            funding_round.pots.append(
                Pot(name=hood.name, neighbourhood=hood, budget_pence=share, position=i)
            )
    session.flush()
    start = date(past.year, 2, 1)
    for i, phase in enumerate(rounds.phases_of(funding_round)):
        if phase == Phase.DRAFT:
            continue
        first = start + timedelta(days=21 * i)
        funding_round.phase_dates.append(
            PhaseDates(
                phase=phase,
                starts_at=rounds.london_midnight(first),
                ends_at=rounds.london_midnight(first + timedelta(days=21)),
            )
        )
    authors = session.scalars(
        select(User).where(User.home_neighbourhood_id.in_([h.id for h in hoods]))
    ).all()
    for pot in funding_round.pots:
        scale = pot.budget_pence / (sum(c for _t, _s, c in PROJECTS) * 100 * 0.55)
        offered = rng.sample(PROJECTS, 5 if pot.neighbourhood else 6)
        for title, summary, cost in offered:
            pence = max(500_00, round(cost * 100 * scale / 100_00) * 100_00)
            hood = pot.neighbourhood or rng.choice(hoods)
            session.add(
                Proposal(
                    round_id=funding_round.id,
                    pot_id=pot.id,
                    author_id=(authors[rng.randrange(len(authors))].id if authors else None),
                    title=f"{title} in {hood.name}",
                    summary=summary,
                    description=summary,
                    category="Community",
                    estimated_cost_pence=pence,
                    final_cost_pence=pence,
                    status=ProposalStatus.FEASIBLE,
                    review_reason="Checked by officers: it can be delivered for this cost.",
                    neighbourhood_id=hood.id,
                    created_at=_at(start),
                )
            )
    session.flush()
    session.refresh(funding_round)
    voting = funding_round.dates_for(Phase.VOTING)
    opened = voting.starts_at + timedelta(hours=9)
    closed = voting.ends_at + timedelta(hours=9)
    for target in [p for p in rounds.phases_of(funding_round) if p.index > Phase.REVIEW.index]:
        if target == Phase.VOTING:
            _move(session, funding_round, target, opened, admin)
            _cast(session, funding_round, past, rng, voting.starts_at.date() + timedelta(days=3))
            break
        _move(session, funding_round, target, opened - timedelta(days=1), admin)
    _move(session, funding_round, Phase.CLOSED, closed, admin)
    rounds.publish_results(
        session, funding_round, actor=admin, now=closed + timedelta(days=2), confirmed=True
    )
    if past.year < 2026:
        _move(session, funding_round, Phase.DELIVERY, closed + timedelta(days=30), admin)
        _deliver(session, funding_round, past, rng, admin, closed.date())


def _move(session, funding_round, target: Phase, now: datetime, admin: User) -> None:
    rounds.change_phase(
        session, funding_round, target=target, expected=funding_round.phase, actor=admin, now=now
    )
    session.flush()


def _cast(session, funding_round, past: Past, rng: random.Random, today: date) -> None:
    """Ballots in every pot from people on the round's own roll (more on the roll than vote),
    each choosing the projects it likes best, some projects more liked than others."""
    paper = ballot_paper(funding_round.manifest_json)
    scope = round_scope(funding_round.id)
    for pot in paper.pots:
        hood_ids = (
            [h.id for h in funding_round.council.neighbourhoods]
            if pot.neighbourhood is None
            else [
                next(
                    h.id
                    for h in funding_round.council.neighbourhoods
                    if h.slug == pot.neighbourhood
                )
            ]
        )
        voters = max(12, round(past.voters * rng.uniform(0.7, 1.4)))
        on_roll = voters * rng.randint(3, 7)
        ids = [p.id for p in pot.projects]
        liked = {i: rng.uniform(0.2, 1.0) for i in ids}
        for n in range(on_roll):
            entry = RollEntry(
                council_id=funding_round.council_id,
                round_id=funding_round.id,
                scope=scope,
                reference=new_reference("NET"),
                neighbourhood_id=hood_ids[n % len(hood_ids)],
                date_of_birth=_born(funding_round, rng, today),
            )
            session.add(entry)
            session.flush()
            if n >= voters:
                continue
            ballot = _ballot(paper, pot, ids, liked, rng)
            if ballot is not None:
                box.cast(session, paper, entry, pot.id, ballot, today=today)


def _born(funding_round, rng: random.Random, today: date) -> date | None:
    """A date of birth within the round's ages (none when it has no age limit)."""
    if funding_round.min_age is None and funding_round.max_age is None:
        return None
    low = (funding_round.min_age or 18) + 1
    high = max(low, (funding_round.max_age or 80) - 1)
    return date(today.year - rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))


def _ballot(paper, pot, ids, liked, rng) -> Ballot | None:
    # One to three projects, the better liked more often.
    chosen: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        left = [i for i in ids if i not in chosen]
        if not left:
            break
        chosen.append(rng.choices(left, weights=[liked[i] ** 2 for i in left])[0])
    kind = paper.kind
    if kind is BallotKind.RANKED:
        chosen.sort(key=lambda i: -liked[i] * rng.uniform(0.5, 1.5))
        return Ballot(tuple(chosen[: paper.rules.max_choices or len(chosen)]))
    if kind is BallotKind.CUMULATIVE:
        # Every point given, no project over the cap: as many projects as the cap needs.
        points = paper.rules.points or 10
        cap = paper.rules.max_points_per_project or points
        need = -(-points // cap)
        picks = chosen + [i for i in sorted(ids, key=lambda i: -liked[i]) if i not in chosen]
        picks = picks[: max(need, len(chosen))]
        if len(picks) * cap < points:
            return None
        given = [points // len(picks)] * len(picks)
        for k in range(points - sum(given)):
            given[k] += 1
        return Ballot(tuple(picks), tuple(given))
    if paper.rules.max_choices:
        chosen = chosen[: paper.rules.max_choices]
    if kind is BallotKind.KNAPSACK:
        kept, cost = [], 0
        for i in chosen:
            if cost + pot.project(i).cost <= pot.budget_pence:
                kept.append(i)
                cost += pot.project(i).cost
        chosen = kept
    return Ballot(tuple(chosen)) if chosen else None


def _deliver(session, funding_round, past: Past, rng, admin: User, closed: date) -> None:
    funded = sorted(delivery.funded_ids(session, funding_round))
    done = round(len(funded) * past.delivered)
    for n, proposal_id in enumerate(funded):
        proposal = session.get(Proposal, proposal_id)
        cost = proposal.final_cost_pence or proposal.estimated_cost_pence
        if n % 3 == 0:
            session.add(
                Contribution(
                    proposal=proposal,
                    partner_name=f"{funding_round.council.name.split()[0]} Community Partners",
                    kind=ContributionKind.MONEY,
                    amount_pence=cost // 5,
                    description="Matched funding from local partners",
                )
            )
        first = closed + timedelta(days=60)
        updates = [(DeliveryStatus.IN_PROGRESS, 40, cost * 2 // 5, first, "Work has started.")]
        if n < done:
            updates.append(
                (DeliveryStatus.DELIVERED, 100, cost, first + timedelta(days=90), "Finished.")
            )
        for status, percent, spent, day, note in updates:
            delivery.record_update(
                session,
                proposal,
                actor=admin,
                status=status,
                percent_complete=percent,
                spent_pence=spent,
                note=note,
                happened_on=day,
                today=day,
            )
    session.flush()
