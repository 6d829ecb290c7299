"""Plain factory functions for test data, with keyword defaults. Each adds and flushes."""

from __future__ import annotations

import itertools
from datetime import date

from app.web.extensions import db
from app.web.sessions import policy
from app.workflow.accounts import grant_role, hash_password
from app.workflow.models import (
    Council,
    FundingRound,
    Neighbourhood,
    Phase,
    Pot,
    Proposal,
    ProposalStatus,
    Role,
    User,
)
from ballots.db import utcnow

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def create_council(
    *, slug: str | None = None, name: str | None = None, colour: str = "#00594f"
) -> Council:
    n = _n()
    council = Council(slug=slug or f"council-{n}", name=name or f"Council {n}", colour=colour)
    db.session.add(council)
    db.session.flush()
    return council


def create_neighbourhood(
    council: Council, *, name: str | None = None, population: int = 1000, need_weight=None
) -> Neighbourhood:
    n = _n()
    name = name or f"Neighbourhood {n}"
    hood = Neighbourhood(
        council=council,
        name=name,
        slug=name.lower().replace(" ", "-"),
        population=population,
        need_weight=need_weight,
    )
    db.session.add(hood)
    db.session.flush()
    return hood


def create_user(
    *,
    email: str | None = None,
    password: str = PASSWORD,
    display_name: str = "Test Person",
    home: Neighbourhood | None = None,
    date_of_birth: date | None = None,
    roles: dict[Council, Role] | None = None,
    confirmed: bool = True,
) -> User:
    user = User(
        email=email or f"person{_n()}@example.org",
        password_hash=hash_password(policy(), password),
        display_name=display_name,
        home_neighbourhood=home,
        date_of_birth=date_of_birth,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    for council, role in (roles or {}).items():
        grant_role(db.session, user, council, role)
    db.session.flush()
    return user


def create_round(
    council: Council,
    *,
    slug: str | None = None,
    title: str = "Youth services",
    phase: Phase = Phase.PROPOSALS,
    total_budget_pence: int = 100_000_00,
    pots: list[tuple[Neighbourhood | None, int]] | None = None,
) -> FundingRound:
    n = _n()
    funding_round = FundingRound(
        council=council,
        slug=slug or f"round-{n}",
        title=title,
        description="A round for testing.",
        total_budget_pence=total_budget_pence,
        # The database refuses a round in voting or later without a manifest: frozen below.
        phase=min(phase, Phase.SUPPORTS, key=lambda p: p.index),
    )
    db.session.add(funding_round)  # before the pots: reading a neighbourhood may autoflush
    for i, (hood, pence) in enumerate(pots or [(None, total_budget_pence)]):
        funding_round.pots.append(
            Pot(
                name=hood.name if hood else "Council-wide",
                neighbourhood=hood,
                budget_pence=pence,
                position=i,
            )
        )
    db.session.add(funding_round)
    db.session.flush()
    if phase.index >= Phase.VOTING.index:
        from app.workflow import rounds

        # As when voting opens: the pots, with no proposals on the ballot yet.
        manifest = rounds.canonical_json(rounds.build_manifest(db.session, funding_round))
        funding_round.manifest_json = manifest
        funding_round.manifest_hash = rounds.manifest_hash(manifest)
        funding_round.phase = phase
        db.session.flush()
    return funding_round


def create_proposal(
    pot: Pot,
    *,
    title: str | None = None,
    cost_pence: int = 5_000_00,
    status: ProposalStatus = ProposalStatus.SUBMITTED,
    author: User | None = None,
) -> Proposal:
    proposal = Proposal(
        round_id=pot.round_id,
        pot_id=pot.id,
        author=author,
        title=title or f"Proposal {_n()}",
        summary="A summary.",
        description="A description.",
        estimated_cost_pence=cost_pence,
        final_cost_pence=cost_pence if status == ProposalStatus.FEASIBLE else None,
        status=status,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal
