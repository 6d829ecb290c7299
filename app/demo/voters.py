"""Demo voters: a roll for Lambeth and Oldham, verified demo residents, and a few ballots.

Called at the end of ``app.demo.seed_demo``; idempotent (a council whose roll exists is left
alone). Ballots go through ``ballots.box.cast`` like any other, so the ballot log is real. The
closed Oldham round gets its ballots while briefly in voting, then its close entry.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.demo import bilingual
from app.workflow.clock import london_today
from app.workflow.models import Council, FundingRound, Neighbourhood, Phase, User
from ballots import box, roll
from ballots.errors import NotEligible
from ballots.models import COUNCIL_SCOPE, RollEntry, Verification
from ballots.paper import ballot_paper
from votes.model import Ballot, BallotKind

# (council, reference prefix, neighbourhood, date of birth, demo account verified as this
# entry). Each reference gets random parts when the demo is seeded (``roll.new_reference``):
# a roll of sequential references would let anyone guess the next person's.
ROLL = [
    ("lambeth", "LAM", "Brixton", date(2008, 5, 14), "resident@devolve.example"),
    ("lambeth", "LAM", "Clapham", date(1984, 2, 2), "resident.clapham@devolve.example"),
    # Twelve young people (born 2003 to 2012: 14 to 23 years old) in each neighbourhood, so
    # every pot of the youth rounds has enough ballots for its results to be published.
    *[
        ("lambeth", "LAM", hood, date(2003 + n % 10, 1 + n % 12, 1 + n % 27), None)
        for n, hood in enumerate(
            ["Brixton", "Clapham", "Norwood", "Stockwell", "Streatham", "Vauxhall"] * 12, start=3
        )
    ],
    ("oldham", "OLD", "Shaw", date(1975, 11, 11), "resident.oldham@devolve.example"),
    *[
        ("oldham", "OLD", hood, None, None)
        for n, hood in enumerate(
            ["Chadderton", "Failsworth", "Royton", "Saddleworth", "Shaw"] * 10, start=2
        )
    ],
]
ROLL += bilingual.ROLL

# Demo ballots: Lambeth's open round gets a few (so its log has entries); the rounds past
# voting get enough to be counted (at least the 10 per pot below which results are withheld),
# so the demo shows published results with their chart and explanations. Oldham's closed
# neighbourhood grants are left one district short, so the check before publishing has a
# withheld pot to warn about.
BALLOTS = {
    "youth-services-2026": 8,
    "youth-services-2025": 72,
    "community-dividend-2026": 40,
    "neighbourhood-grants-2026": 50,
    "community-dividend-2025": 12,
    "secret-ballot-2026": 24,
}
BALLOTS.update(bilingual.BALLOTS)
# (neighbourhood, ballots): a district where fewer people voted than results need.
SHORT = {"neighbourhood-grants-2026": ("Saddleworth", 6)}


def seed(session: Session) -> None:
    councils = {c.slug: c for c in session.scalars(select(Council))}
    users = {u.email: u for u in session.scalars(select(User))}
    done = set(
        session.scalars(select(RollEntry.council_id).where(RollEntry.scope == COUNCIL_SCOPE))
    )
    added: dict[str, list[RollEntry]] = {}
    for council_slug, prefix, hood_name, born, email in ROLL:
        council = councils.get(council_slug)
        if council is None or council.id in done:
            continue
        hood = session.scalar(
            select(Neighbourhood).where(
                Neighbourhood.council_id == council.id, Neighbourhood.name == hood_name
            )
        )
        entry = RollEntry(
            council_id=council.id,
            scope=COUNCIL_SCOPE,
            reference=roll.new_reference(prefix),
            neighbourhood_id=hood.id,
            date_of_birth=born,
        )
        session.add(entry)
        session.flush()
        if email in users:
            session.add(
                Verification(
                    user_id=users[email].id,
                    roll_entry_id=entry.id,
                    council_id=council.id,
                    scope=COUNCIL_SCOPE,
                    verified_on=london_today(),
                )
            )
        else:
            added.setdefault(council_slug, []).append(entry)
    session.flush()
    rng = random.Random(2026)  # noqa: S311  (demo data, the same every time)
    for round_slug, n in BALLOTS.items():
        funding_round = session.scalar(select(FundingRound).where(FundingRound.slug == round_slug))
        if funding_round is None or not funding_round.manifest_json:
            continue
        entries = added.get(funding_round.council.slug, [])
        short = SHORT.get(round_slug)
        if short is not None:
            hood_id = session.scalar(
                select(Neighbourhood.id).where(
                    Neighbourhood.council_id == funding_round.council_id,
                    Neighbourhood.name == short[0],
                )
            )
            within = [e for e in entries if e.neighbourhood_id == hood_id][: short[1]]
            entries = [e for e in entries if e.neighbourhood_id != hood_id] + within
        if entries:
            _cast(session, funding_round, entries[:n], rng)


def _cast(session: Session, funding_round: FundingRound, entries, rng: random.Random) -> None:
    paper = ballot_paper(funding_round.manifest_json)
    phase = funding_round.phase
    if phase != Phase.VOTING:
        _set_phase(session, funding_round, Phase.VOTING)
    today = london_today()
    for entry in entries:
        pots = [p for p in _eligible(session, paper, entry, today) if p.projects]
        if not pots:
            continue
        pot = pots[0]
        ids = [p.id for p in pot.projects]
        ballot = _ballot(paper, pot, ids, rng)
        if ballot is not None:
            box.cast(session, paper, entry, pot.id, ballot, today=today)
    if phase != Phase.VOTING:
        _set_phase(session, funding_round, phase)
        box.close_log(session, funding_round.id, funding_round.manifest_hash)


def _eligible(session, paper, entry, today):
    try:
        return roll.eligible_pots(session, paper, entry, today)
    except NotEligible:
        return []


def _ballot(paper, pot, ids, rng: random.Random) -> Ballot | None:
    kind = paper.kind
    if kind is BallotKind.RANKED:
        k = paper.rules.max_choices or len(ids)
        return Ballot(tuple(rng.sample(ids, min(k, len(ids), rng.randint(1, 3)))))
    if kind is BallotKind.SINGLE:
        return Ballot((rng.choice(ids),))
    if kind is BallotKind.CUMULATIVE:
        return None
    limit = paper.rules.max_choices or len(ids)
    for _ in range(20):
        chosen = rng.sample(
            ids, rng.randint(max(1, paper.rules.min_choices or 1), min(limit, len(ids)))
        )
        cost = sum(pot.project(i).cost for i in chosen)
        if kind is not BallotKind.KNAPSACK or cost <= pot.budget_pence:
            return Ballot(tuple(chosen))
    return None


def _set_phase(session: Session, funding_round: FundingRound, phase: Phase) -> None:
    session.execute(
        update(FundingRound)
        .where(FundingRound.id == funding_round.id)
        .values(phase=phase)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(funding_round)
