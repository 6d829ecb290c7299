"""Time the network's open data: building every published pot's files and the network's ZIP
from nothing, from the cache, and after one thing it shows has changed; the open data page;
one pot's download.

Builds a network of ``--councils`` councils (13) with ``--rounds`` published rounds each (10)
of ``--pots`` pots (5) and ``--projects`` projects per pot (10); every pot gets between
``--min-ballots`` and ``--max-ballots`` approval ballots (200 to 2,000; about 715,000 in all
with the defaults), written in bulk with SQL as casting writes them (the ballots and their
hash-chained log; no roll, marks or receipts, which open data never reads). Half the
councils keep voters' neighbourhood and age band. Each round then closes (sealing the log
and counting every pot) and is published as an officer would.

    .venv/bin/python bench/open_data.py                   # SQLite in a temporary file
    DATABASE_URL=postgresql://... .venv/bin/python bench/open_data.py   # an empty database
    .venv/bin/python bench/open_data.py --councils 2 --rounds 2 --max-ballots 300   # quick

Each figure is the median of ``--repeats`` runs (cold runs clear the process's cache first;
"kept on disk" is a new worker's first request, the files built by another into the folder
``OPEN_DATA_DIR`` names).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CHUNK = 5_000
BANDS = ("11-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown")


def _bulk(session, model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[i : i + CHUNK])


def build_network(session, args) -> int:
    """The network; returns the number of ballots written."""
    from app.workflow import rounds
    from app.workflow.models import (
        Council,
        FundingRound,
        Membership,
        Neighbourhood,
        Phase,
        Pot,
        Proposal,
        ProposalStatus,
        Role,
        User,
    )
    from ballots import box
    from ballots.models import LogEntry, StoredBallot, random_key
    from ballots.paper import ballot_paper
    from bench._database import ballot_entry
    from votes.model import Ballot, BallotKind

    rng = random.Random(args.seed)
    written = 0
    for c in range(args.councils):
        council = Council(slug=f"council-{c:02d}", name=f"Council {c:02d}")
        council.open_data_voter_details = c % 2 == 0
        session.add(council)
        session.flush()
        hoods = [
            Neighbourhood(council=council, slug=f"ward-{i}", name=f"Ward {i}", population=100)
            for i in range(args.pots)
        ]
        session.add_all(hoods)
        officer = User(
            email=f"officer@{council.slug}.example",
            password_hash="-",  # noqa: S106 - never signs in: only publishes
            display_name="Officer",
            email_confirmed_at=NOW,
        )
        session.add(officer)
        session.flush()
        session.add(Membership(user=officer, council=council, role=Role.OFFICER))
        for r in range(args.rounds):
            funding_round = FundingRound(
                council=council,
                slug=f"round-{r:02d}",
                title=f"Round {r:02d}",
                total_budget_pence=args.pots * 100_000_00,
                phase=Phase.SUPPORTS,
                ballot_kind="approval",
                rule="mes" if r % 2 else "greedy",
                min_ballots_to_publish=10,
                supports_enabled=True,
                support_threshold=0,
            )
            session.add(funding_round)
            for i, hood in enumerate(hoods):
                funding_round.pots.append(
                    Pot(name=hood.name, neighbourhood=hood, budget_pence=100_000_00, position=i)
                )
            session.flush()
            _bulk(
                session,
                Proposal,
                [
                    {
                        "round_id": funding_round.id,
                        "pot_id": pot.id,
                        "title": f"Project {pot.id}-{k}",
                        "summary": "What it would do.",
                        "description": "",
                        "category": ("Parks", "Youth", "Streets")[k % 3],
                        "estimated_cost_pence": 5_000_00 + k * 2_000_00,
                        "final_cost_pence": 5_000_00 + k * 2_000_00,
                        "status": ProposalStatus.FEASIBLE,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for pot in funding_round.pots
                    for k in range(args.projects)
                ],
            )
            session.commit()
            rounds.change_phase(
                session,
                funding_round,
                target=Phase.VOTING,
                expected=Phase.SUPPORTS,
                actor=officer,
                now=NOW,
            )
            session.commit()
            paper = ballot_paper(funding_round.manifest_json)
            head = box.log_head(session, funding_round.id)
            previous, sequence = head.entry_hash, head.sequence
            stored, log = [], []
            for pot in paper.pots:
                ids = [p.id for p in pot.projects]
                for _ in range(rng.randint(args.min_ballots, args.max_ballots)):
                    chosen = tuple(rng.sample(ids, rng.randint(1, min(4, len(ids)))))
                    voter = None
                    if paper.voter_details is not None:
                        voter = {
                            "age_band": rng.choice(BANDS),
                            "neighbourhood": pot.neighbourhood,
                        }
                    content = box.encode_ballot(Ballot(chosen), BallotKind.APPROVAL, voter)
                    ballot_id = random_key()
                    stored.append(
                        {
                            "id": ballot_id,
                            "round_id": funding_round.id,
                            "pot_id": pot.id,
                            "content": content,
                        }
                    )
                    sequence += 1
                    row = ballot_entry(
                        funding_round.id, sequence, ballot_id, pot.id, content, previous
                    )
                    log.append(row)
                    previous = row["entry_hash"]
            _bulk(session, StoredBallot, stored)
            _bulk(session, LogEntry, log)
            written += len(stored)
            session.commit()
            rounds.change_phase(
                session,
                funding_round,
                target=Phase.CLOSED,
                expected=Phase.VOTING,
                actor=officer,
                now=NOW,
            )
            session.commit()
            rounds.publish_results(session, funding_round, actor=officer, now=NOW, confirmed=True)
            session.commit()
    return written


def timed(fn, repeats: int, before=None) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--councils", type=int, default=13)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pots", type=int, default=5)
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--min-ballots", type=int, default=200)
    parser.add_argument("--max-ballots", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()

    from app.web.extensions import db
    from app.workflow import open_data
    from app.workflow.models import Proposal
    from bench._database import bench_app, database, migrated

    url, tmp = database()
    app = bench_app(url)
    with app.app_context():
        migrated(app)
        start = time.perf_counter()
        ballots = build_network(db.session, args)
        built_in = time.perf_counter() - start
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        dialect = db.engine.dialect.name
        session = db.session
        pots = len(open_data.published_pots(session))
        rows = []
        cold, data = timed(
            lambda: open_data.network_zip(session), args.repeats, open_data.clear_cache
        )
        rows.append(("network ZIP, nothing cached", cold))
        warm, _ = timed(lambda: open_data.network_zip(session), args.repeats)
        rows.append(("network ZIP, cached", warm))
        fingerprint, _ = timed(lambda: open_data.network_fingerprint(session), args.repeats)
        rows.append(("  of which the fingerprint", fingerprint))
        folder = Path(tempfile.mkdtemp()) / "open-data"
        store = open_data.Store(folder)
        open_data.clear_cache()
        open_data.network_zip(session, store)
        on_disk, _ = timed(
            lambda: open_data.network_zip(session, store), args.repeats, open_data.clear_cache
        )
        rows.append(("network ZIP, kept on disk (new worker)", on_disk))
        stored_bytes = sum(p.stat().st_size for p in folder.iterdir())

        def one_change():
            proposal = session.scalar(select(Proposal).order_by(Proposal.id).limit(1))
            proposal.category = f"Changed {time.perf_counter()}"
            session.commit()

        changed, _ = timed(lambda: open_data.network_zip(session), args.repeats, one_change)
        rows.append(("network ZIP, one project changed", changed))
        session.remove()
    client = app.test_client()
    with app.app_context():
        open_data.clear_cache()
    page_cold, _ = timed(
        lambda: client.get("/network/open-data"),
        args.repeats,
        lambda: open_data.clear_cache(),
    )
    rows.append(("open data page, nothing cached", page_cold))
    page_warm, response = timed(lambda: client.get("/network/open-data"), args.repeats)
    assert response.status_code == 200
    rows.append(("open data page, cached", page_warm))
    with app.app_context():
        first = open_data.published_pots(db.session)[0]
        pot_url = (
            f"/councils/{first.council.slug}/rounds/{first.funding_round.slug}/results/"
            f"{first.pot_id}/open-data.pb"
        )
        db.session.remove()
    pot_cold, _ = timed(lambda: client.get(pot_url), args.repeats, open_data.clear_cache)
    rows.append(("one pot's .pb, nothing cached", pot_cold))
    pot_warm, response = timed(lambda: client.get(pot_url), args.repeats)
    assert response.status_code == 200
    rows.append(("one pot's .pb, cached", pot_warm))
    print(f"database: {dialect}")
    print(
        f"{args.councils} councils x {args.rounds} published rounds x {args.pots} pots = "
        f"{pots} pots, {args.projects} projects each, {ballots:,} ballots "
        f"({args.min_ballots} to {args.max_ballots} a pot); built in {built_in:.0f} s"
    )
    print(
        f"the ZIP: {len(data) / 1024 / 1024:.1f} MB; kept on disk: "
        f"{stored_bytes / 1024 / 1024:.1f} MB; median of {args.repeats}"
    )
    print(f"{'what':<36} {'seconds':>9}")
    for label, seconds in rows:
        print(f"{label:<36} {seconds:9.3f}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
