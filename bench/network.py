"""Time the network's pages for 13 councils with 10 published rounds each (6 neighbourhood
pots of 10 projects a round, delivery updates and partners' pledges) against a council's own
page, in the same run.

Cold is the first request of a new process (templates compiled, nothing kept) and the first
request after the figures kept between requests are dropped; warm is the median of repeated
requests. The target: the comparison page under 200 ms warm and under 1 s cold.

    .venv/bin/python bench/network.py                   # SQLite in a temporary file
    DATABASE_URL=postgresql://... .venv/bin/python bench/network.py   # an empty database

The rows are bulk-inserted as counting and publishing leave them (results, the figures stored
with them, turnout per neighbourhood); the pages read only those: no ballot is counted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from app.workflow.models import (  # noqa: E402
    Contribution,
    ContributionKind,
    Council,
    DeliveryStatus,
    DeliveryUpdate,
    FundingRound,
    Neighbourhood,
    Phase,
    PhaseDates,
    Pot,
    PotFigures,
    PotResult,
    Proposal,
    ProposalStatus,
    RoundTurnout,
)
from votes.verify import canonical_json  # noqa: E402

COUNCILS, ROUNDS, HOODS, PROJECTS = 13, 10, 6, 10
KINDS = ("approval", "approval", "knapsack", "cumulative", "ranked")
RULES = ("mes-add1", "mes", "greedy")
HASH = "0" * 64


def build(session) -> int:
    """The network's rows; the number of rounds."""
    rng = random.Random(20)  # noqa: S311 - benchmark data
    rounds = 0
    for c in range(COUNCILS):
        council = Council(slug=f"council-{c}", name=f"Council {c:02d}", colour="#00594f")
        session.add(council)
        session.flush()
        hoods = []
        for h in range(HOODS):
            hood = Neighbourhood(
                council_id=council.id,
                slug=f"ward-{h}",
                name=f"Ward {h}",
                population=rng.randint(8_000, 60_000),
            )
            session.add(hood)
            hoods.append(hood)
        session.flush()
        for r in range(ROUNDS):
            year = 2017 + r
            kind = KINDS[(c + r) % len(KINDS)]
            rule = RULES[(c + r) % len(RULES)] if kind != "cumulative" else "greedy"
            funding_round = FundingRound(
                council_id=council.id,
                slug=f"round-{year}",
                title=f"Neighbourhood grants {year}",
                total_budget_pence=HOODS * 50_000_00,
                phase=Phase.DELIVERY if r < ROUNDS - 1 else Phase.PUBLISHED,
                ballot_kind=kind,
                rule=rule,
                manifest_json="{}",
                manifest_hash=HASH,
                log_head_hash=HASH,
            )
            session.add(funding_round)
            session.flush()
            end = datetime(year, 6, 1, tzinfo=UTC)
            session.add(
                PhaseDates(
                    round_id=funding_round.id,
                    phase=Phase.VOTING,
                    starts_at=end - timedelta(days=21),
                    ends_at=end,
                )
            )
            _pots(session, rng, funding_round, hoods, rule, year)
            rounds += 1
    session.commit()
    return rounds


def _pots(session, rng, funding_round, hoods, rule, year) -> None:
    for position, hood in enumerate(hoods):
        pot = Pot(
            round_id=funding_round.id,
            neighbourhood_id=hood.id,
            name=hood.name,
            budget_pence=50_000_00,
            position=position,
        )
        session.add(pot)
        session.flush()
        costs = [rng.randint(2, 20) * 1_000_00 for _ in range(PROJECTS)]
        ids = []
        for i, cost in enumerate(costs):
            proposal = Proposal(
                round_id=funding_round.id,
                pot_id=pot.id,
                title=f"Project {i}",
                summary="A project",
                estimated_cost_pence=cost,
                final_cost_pence=cost,
                status=ProposalStatus.FEASIBLE,
            )
            session.add(proposal)
            ids.append(proposal)
        session.flush()
        voters = rng.randint(200, 3_000)
        roll = voters * rng.randint(4, 12)
        withheld = rng.random() < 0.03
        session.execute(
            insert(RoundTurnout).values(
                round_id=funding_round.id, neighbourhood_id=hood.id, voted=voters, roll=roll
            )
        )
        session.execute(
            insert(PotResult).values(
                round_id=funding_round.id,
                pot_id=pot.id,
                rule=rule,
                tie_break="cost-votes",
                manifest_hash=HASH,
                log_head_hash=HASH,
                ballot_count=voters if not withheld else 5,
                withheld=withheld,
                outcome_json="{}",
                computed_at=datetime(year, 6, 2, tzinfo=UTC),
            )
        )
        if withheld:
            continue
        funded, spent = [], 0
        for p in ids:
            if spent + p.final_cost_pence <= pot.budget_pence and rng.random() < 0.6:
                funded.append(p)
                spent += p.final_cost_pence
        greedy = funded[:-1] + [p for p in ids if p not in funded][:1]
        document = {
            "version": 1,
            "ballots": voters,
            "voters": voters,
            "rules": [
                {
                    "rule": rule,
                    "funded": [str(p.id) for p in funded],
                    "spent_pence": spent,
                    "satisfied": int(voters * 0.8),
                    "choices_funded": voters * 2,
                }
            ]
            + (
                [
                    {
                        "rule": "greedy",
                        "funded": [str(p.id) for p in greedy],
                        "spent_pence": sum(p.final_cost_pence for p in greedy),
                        "satisfied": int(voters * 0.7),
                        "choices_funded": voters * 2,
                    }
                ]
                if rule != "greedy"
                else []
            ),
            "costs": {str(p.id): p.final_cost_pence for p in {*funded, *greedy}},
        }
        session.execute(
            insert(PotFigures).values(
                round_id=funding_round.id,
                pot_id=pot.id,
                document=canonical_json(document),
                computed_at=datetime(year, 6, 2, tzinfo=UTC),
            )
        )
        updates, pledges = [], []
        for p in funded:
            if rng.random() < 0.3:
                pledges.append(
                    {
                        "proposal_id": p.id,
                        "partner_name": "Partners",
                        "kind": ContributionKind.MONEY,
                        "amount_pence": p.final_cost_pence // 4,
                        "description": "",
                    }
                )
            if year < 2026:
                for step, status in enumerate(
                    (DeliveryStatus.IN_PROGRESS, DeliveryStatus.DELIVERED)
                ):
                    updates.append(
                        {
                            "proposal_id": p.id,
                            "status": status,
                            "percent_complete": 50 * (step + 1),
                            "spent_pence": p.final_cost_pence // (2 - step),
                            "note": "Update",
                            "happened_on": date(year, 8 + 2 * step, 1),
                        }
                    )
        if pledges:
            session.execute(insert(Contribution), pledges)
        if updates:
            session.execute(insert(DeliveryUpdate), updates)


def _app(url: str):
    from bench._database import bench_app

    return bench_app(url)


def cold_process(url: str, path: str) -> float:
    """Milliseconds for ``path`` as the first request of a new process."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from bench.network import _app; app = _app(sys.argv[2]); c = app.test_client();"
        "t = time.perf_counter(); r = c.get(sys.argv[3]); d = time.perf_counter() - t;"
        "assert r.status_code == 200, r.status_code; print(d * 1000)"
    )
    out = subprocess.run(  # noqa: S603 - this interpreter, this file
        [sys.executable, "-c", code, str(ROOT), url, path],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def timed(client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    from app.web.extensions import db
    from app.workflow import network
    from bench._database import database, migrated

    url, tmp = database()
    app = _app(url)
    with app.app_context():
        migrated(app)
        start = time.perf_counter()
        rounds = build(db.session)
        built = time.perf_counter() - start
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        dialect = db.engine.dialect.name
        db.session.remove()
    pages = {
        "council page (baseline)": "/councils/council-0",
        "network home": "/",
        "side by side, by council": "/network/compare",
        "side by side, by round": "/network/compare?view=rounds",
        "side by side, 2024, approval": "/network/compare?year=2024&kind=approval",
        "what worked": "/network/what-worked",
    }
    print(
        f"database: {dialect}; {COUNCILS} councils, {rounds} published rounds, "
        f"built in {built:.1f} s"
    )
    cold = {name: cold_process(url, path) for name, path in pages.items()}
    client = app.test_client()
    for path in pages.values():
        timed(client, path)  # templates compiled
    dropped = {}
    for name, path in pages.items():
        network._cache.clear()
        dropped[name] = timed(client, path)
    warm = {
        name: statistics.median(timed(client, path) for _ in range(args.repeats))
        for name, path in pages.items()
    }
    base = warm["council page (baseline)"]
    print(
        f"{'page':32} {'new process':>12} {'figures dropped':>16} {'warm':>9} {'warm/baseline':>14}"
    )
    for name in pages:
        print(
            f"{name:32} {cold[name]:>9.0f} ms {dropped[name]:>13.0f} ms {warm[name]:>6.1f} ms "
            f"{warm[name] / base:>13.2f}x"
        )
    sizes = {name: len(client.get(path).data) for name, path in pages.items()}
    print(
        "page sizes: " + ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in sizes.items())
    )
    slow = warm["side by side, by council"] > 200 or cold["side by side, by council"] > 1000
    print("target (warm < 200 ms, cold < 1 s):", "missed" if slow else "met")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
