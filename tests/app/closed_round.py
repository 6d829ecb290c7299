"""A round with ballots of a given kind, closed through the officers' phase change (which seals
the log and counts every pot), for the results, exports and API tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.web.extensions import db
from app.workflow import rounds
from app.workflow.models import Council, FundingRound, Neighbourhood, Phase
from ballots import box
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council
from votes.model import Ballot

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CONFIG = {
    "approval": {},
    "knapsack": {},
    "single-choice": {},
    "ranked": {"max_choices": 3},
    "cumulative": {"points": 6, "max_points_per_project": 4},
}


def ballots_for(kind: str, ids: list[str], n: int) -> list[Ballot]:
    """``n`` valid ballots, deterministic, favouring the first project."""
    out = []
    for i in range(n):
        if kind == "single-choice":
            out.append(Ballot((ids[i % 2],)))
        elif kind == "ranked":
            order = ids if i % 3 else [ids[1], ids[0], ids[2]]
            out.append(Ballot(tuple(order[: 1 + i % 3])))
        elif kind == "cumulative":
            out.append(Ballot((ids[0], ids[1 + i % 2]), (4, 2)))
        elif kind == "knapsack":
            out.append(Ballot((ids[0], ids[1]) if i % 2 else (ids[0],)))
        else:
            out.append(Ballot(tuple(ids[: 1 + i % 3])))
    return out


def officer(council: Council):
    """An officer of ``council`` (publishing is an officer's act, never the scheduler's)."""
    from app.workflow.models import Role
    from tests.factories import create_user

    return create_user(roles={council: Role.OFFICER})


def closed_round(
    council: Council | None = None,
    *,
    kind: str = "approval",
    ballots: int = 12,
    rule: str = "greedy",
    phase: Phase = Phase.CLOSED,
    min_ballots: int = 10,
    scale: int = 100,
    voters: list[tuple[Neighbourhood, date | None]] | None = None,
) -> FundingRound:
    """A round whose one pot (£50,000; projects £10k, £20k, £30k; ``scale=1`` makes them
    pence instead of pounds) got ``ballots`` ballots, then closed (and published when
    ``phase`` says so) as an officer would. The rule is frozen into the manifest.
    ``voters``: each ballot's voter's neighbourhood and date of birth (default: all in one
    new neighbourhood, no date of birth); the neighbourhoods must exist already."""
    council = council or create_council()
    hood = place(council, name=f"Ward {kind}")
    funding_round, paper = voting_round(
        council,
        kind=kind,
        rule=rule,
        costs=((10_000 * scale, 20_000 * scale, 30_000 * scale),),
        budgets=(50_000 * scale,),
        min_ballots_to_publish=min_ballots,
        **CONFIG[kind],
    )
    db.session.commit()
    pot = paper.pots[0]
    ids = [p.id for p in pot.projects]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    for i, ballot in enumerate(ballots_for(kind, ids, ballots)):
        home, born = voters[i] if voters is not None else (hood, None)
        entry = enrol(council, home, reference=f"{kind}-{funding_round.id}-{i}", born=born)
        box.cast(db.session, paper, entry, pot.id, ballot, today=date(2026, 5, 1))
        db.session.commit()
    for target in (Phase.CLOSED, Phase.PUBLISHED, Phase.DELIVERY):
        if target.index > phase.index:
            break
        if target == Phase.PUBLISHED:
            rounds.publish_results(
                db.session, funding_round, actor=officer(council), now=NOW, confirmed=True
            )
            db.session.commit()
            continue
        rounds.change_phase(
            db.session,
            funding_round,
            target=target,
            expected=funding_round.phase,
            actor=None,
            now=NOW,
        )
        db.session.commit()
    return funding_round
