"""A round in its voting phase, frozen as the app freezes it, and people on its roll."""

from __future__ import annotations

from datetime import date

from app.web.extensions import db
from app.workflow import rounds
from app.workflow.models import Council, FundingRound, Neighbourhood, Phase, ProposalStatus, User
from ballots.models import COUNCIL_SCOPE, RollEntry, Verification, round_scope
from ballots.paper import BallotPaper, ballot_paper
from tests.factories import create_council, create_neighbourhood, create_proposal, create_round


def voting_round(
    council: Council | None = None,
    *,
    kind: str = "approval",
    costs: tuple[tuple[int, ...], ...] = ((10_000_00, 20_000_00, 30_000_00),),
    budgets: tuple[int, ...] = (50_000_00,),
    neighbourhoods: tuple[Neighbourhood | None, ...] | None = None,
    phase: Phase = Phase.VOTING,
    manifest_without: tuple[str, ...] = (),
    **config,
) -> tuple[FundingRound, BallotPaper]:
    """A round with one pot per budget (the first council-wide unless ``neighbourhoods`` says
    otherwise), feasible proposals costing ``costs`` in each, configured by ``config`` and
    frozen with its manifest (less the keys in ``manifest_without``, as manifests frozen by
    earlier versions lack them)."""
    council = council or create_council()
    hoods = neighbourhoods if neighbourhoods is not None else (None,) * len(budgets)
    funding_round = create_round(
        council,
        phase=Phase.SUPPORTS,
        total_budget_pence=sum(budgets),
        pots=list(zip(hoods, budgets, strict=True)),
    )
    funding_round.ballot_kind = kind
    funding_round.rule = "greedy"
    for name, value in config.items():
        setattr(funding_round, name, value)
    for pot, pot_costs in zip(funding_round.pots, costs, strict=True):
        for cost in pot_costs:
            create_proposal(pot, cost_pence=cost, status=ProposalStatus.FEASIBLE)
    db.session.flush()
    db.session.refresh(funding_round)
    manifest = rounds.build_manifest(db.session, funding_round)
    for key in manifest_without:
        del manifest[key]
    text = rounds.canonical_json(manifest)
    funding_round.manifest_json = text
    funding_round.manifest_hash = rounds.manifest_hash(text)
    funding_round.phase = phase
    db.session.commit()
    return funding_round, ballot_paper(text)


def enrol(
    council: Council,
    hood: Neighbourhood,
    *,
    user: User | None = None,
    reference: str | None = None,
    born: date | None = None,
    round_id: int | None = None,
) -> RollEntry:
    """Someone on the roll (verified as ``user`` when one is given)."""
    scope = round_scope(round_id) if round_id else COUNCIL_SCOPE
    entry = RollEntry(
        council_id=council.id,
        round_id=round_id,
        scope=scope,
        reference=reference or f"REF{db.session.query(RollEntry).count() + 1:05d}",
        neighbourhood_id=hood.id,
        date_of_birth=born,
    )
    db.session.add(entry)
    db.session.flush()
    if user is not None:
        db.session.add(
            Verification(
                user_id=user.id,
                roll_entry_id=entry.id,
                council_id=council.id,
                scope=scope,
                verified_on=date(2026, 5, 1),
            )
        )
    db.session.commit()
    return entry


def place(council: Council, name: str = "Centre") -> Neighbourhood:
    return create_neighbourhood(council, name=name)
