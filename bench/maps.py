"""Time the public round page with its map against the same page without one: a round of 200
proposals in 6 neighbourhoods, every proposal placed at a point, the council's 6 boundaries
as detailed as the upload keeps them (2,000 points each); and the same round in a council with
no boundaries and no points (so no map); and the bytes each page weighs.

    .venv/bin/python bench/maps.py                   # SQLite in a temporary file
    DATABASE_URL=postgresql://... .venv/bin/python bench/maps.py   # an empty database

The first request of each page is timed apart (it draws each boundary once; later requests
use the drawing kept in the process), then the median of ``--repeats``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import shapely  # noqa: E402

from app.workflow import boundaries  # noqa: E402
from app.workflow.models import (  # noqa: E402
    Council,
    FundingRound,
    Neighbourhood,
    Phase,
    Pot,
    Proposal,
    ProposalStatus,
)

HOODS = 6
PROPOSALS = 200


def _ring(cx: float, cy: float, r: float, n: int = 4000) -> list[tuple[float, float]]:
    """A wiggly closed ring of ``n`` points (more than the upload keeps)."""
    out = []
    for i in range(n):
        a = 2 * math.pi * i / n
        k = 1 + 0.08 * math.sin(17 * a) + 0.03 * math.sin(91 * a)
        out.append((cx + r * k * math.cos(a) * 1.6, cy + r * k * math.sin(a)))
    return out


def build(session, slug: str, *, mapped: bool) -> FundingRound:
    council = Council(slug=slug, name=f"{slug.title()} Council", colour="#00594f")
    session.add(council)
    session.flush()
    hoods = []
    for i in range(HOODS):
        hood = Neighbourhood(council=council, slug=f"n{i}", name=f"Neighbourhood {i + 1}")
        cx, cy = -1.0 + 0.05 * (i % 3), 52.0 + 0.04 * (i // 3)
        if mapped:
            shape = shapely.Polygon(_ring(cx, cy, 0.018))
            hood.boundary = boundaries.canonical(boundaries._simplified(shape))
        hood.centre = (cx, cy)
        hoods.append(hood)
    session.add_all(hoods)
    funding_round = FundingRound(
        council=council,
        slug="ideas",
        title="Ideas",
        description="",
        total_budget_pence=600_000_00,
        phase=Phase.SUPPORTS,
    )
    session.add(funding_round)
    for i, hood in enumerate(hoods):
        funding_round.pots.append(
            Pot(name=hood.name, neighbourhood=hood, budget_pence=100_000_00, position=i)
        )
    session.flush()
    for n in range(PROPOSALS):
        pot = funding_round.pots[n % HOODS]
        hood = hoods[n % HOODS]
        cx, cy = hood.centre
        a = n * 2.4
        proposal = Proposal(
            round_id=funding_round.id,
            pot_id=pot.id,
            title=f"Project {n + 1}",
            summary="A summary.",
            description="A description.",
            estimated_cost_pence=1_000_00 + n,
            final_cost_pence=1_000_00 + n,
            status=ProposalStatus.FEASIBLE,
        )
        if mapped:
            proposal.longitude = Decimal(f"{cx + 0.01 * math.cos(a):.6f}")
            proposal.latitude = Decimal(f"{cy + 0.008 * math.sin(a):.6f}")
            proposal.neighbourhood_id = hood.id
        session.add(proposal)
    session.commit()
    return funding_round


def timed(client, url: str, repeats: int) -> tuple[float, float, int]:
    start = time.perf_counter()
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    cold = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return cold, statistics.median(times), len(response.get_data())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    from app.web.extensions import db
    from bench._database import bench_app, database, migrated

    url, tmp = database()
    app = bench_app(url)
    with app.app_context():
        migrated(app)
        build(db.session, "mapped", mapped=True)
        build(db.session, "plain", mapped=False)
        dialect = db.engine.dialect.name
        db.session.remove()
    client = app.test_client()
    print(f"database: {dialect}; {PROPOSALS} proposals, {HOODS} boundaries of 2,000 points")
    print(f"{'page':<34} {'first ms':>9} {'median ms':>10} {'KB':>7}")
    for label, path in [
        ("round page, map and table", "/councils/mapped/rounds/ideas"),
        ("round page, no map", "/councils/plain/rounds/ideas"),
    ]:
        cold, median, size = timed(client, path, args.repeats)
        print(f"{label:<34} {cold * 1000:9.1f} {median * 1000:10.1f} {size / 1024:7.1f}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
