"""A cast costs the same at any round size: the confirm step in an empty round against one that
already holds 250,000 ballots.

Three rounds of one council are open for voting side by side, with the same ballot paper (one
council-wide pot of 30 projects). Two are empty, one of them encrypting its ballots to three
trustees (docs/secrecy.md); the third's pot is filled first with 250,000
ballots (roll entries, voter marks, ballots, receipts and the hash-chained log, bulk-inserted
with the hashes of ``ballots.box``: see ``tests/ballots/bulk.py``). Then signed-in, verified
residents cast one approval ballot each through the Flask test client, in turn in the empty,
the full and the encrypted round: ballot page, confirm, receipt. Only the confirm step (the request
that casts) is timed; the median and p95 of each round are printed with the ratio full / empty,
and the statements each confirm sent.

    .venv/bin/python bench/cast.py                         # SQLite in a temporary file
    DATABASE_URL=postgresql://... .venv/bin/python bench/cast.py   # an empty database
    .venv/bin/python bench/cast.py --ballots 20000 --voters 100    # quicker

The targets: full / empty within 1.5 (issue "city scale", point 1); encryption adds under
20 ms to a cast (issue "a ballot secret from the database", point 6).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

PROJECTS = 30
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def build_app(url: str):
    from app import create_app
    from config import TestingConfig

    config = type(
        "BenchConfig",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "TESTING": False},
    )
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade(directory=str(ROOT / "migrations"))
    return app


def seed(app, ballots: int, voters: int):
    """Two voting rounds (empty and full) and ``voters`` residents verified on the roll."""
    from app.web.extensions import db
    from app.workflow.models import Role
    from tests.ballots.bulk import fill_pot
    from tests.ballots.helpers import enrol, place, voting_round
    from tests.factories import create_council, create_user

    with app.app_context():
        council = create_council(slug="bench")
        hood = place(council)
        costs = (tuple(5_000_00 + 1_000_00 * i for i in range(PROJECTS)),)
        papers = {}
        for name in ("empty", "full"):
            funding_round, paper = voting_round(council, costs=costs, budgets=(200_000_00,))
            funding_round.slug = name
            db.session.commit()
            papers[name] = paper
        papers["secret"] = _secret_round(council, costs[0])
        started = time.perf_counter()
        paper = papers["full"]
        fill_pot(db.session, paper, paper.pots[0], neighbourhood_id=hood.id, ballots=ballots)
        db.session.commit()
        took = time.perf_counter() - started
        print(f"filled the full round with {ballots:,} ballots in {took:.1f} s")
        emails = []
        for i in range(voters):
            user = create_user(
                email=f"voter{i}@example.org", roles={council: Role.RESIDENT}, home=hood
            )
            enrol(council, hood, user=user, reference=f"BENCH-VOTER-{i}")
            emails.append(user.email)
        pots = {
            name: (paper.pots[0].id, [p.id for p in paper.pots[0].projects])
            for name, paper in papers.items()
        }
        return emails, pots


def _secret_round(council, costs):
    """A round like the others whose manifest, frozen as voting opens, carries a key made by
    three trustees (two needed): its ballots are encrypted as they are cast."""
    from app.web.extensions import db
    from app.workflow import rounds
    from app.workflow.models import Phase, ProposalStatus
    from ballots.paper import ballot_paper
    from tests.factories import create_proposal, create_round
    from votes.secrecy import keys

    funding_round = create_round(
        council, slug="secret", phase=Phase.SUPPORTS, total_budget_pence=200_000_00
    )
    funding_round.ballot_kind, funding_round.rule = "approval", "greedy"
    for cost in costs:
        create_proposal(funding_round.pots[0], cost_pence=cost, status=ProposalStatus.FEASIBLE)
    db.session.flush()
    states = [keys.new_trustee(f"Trustee {i}") for i in (1, 2, 3)]
    ceremony = keys.make_ceremony(
        "bench/secret",
        2,
        [{"name": t["name"], "transport_key": keys.transport_key(t)} for t in states],
    )
    parts = [keys.keygen(t, ceremony) for t in states]
    checks = [keys.check(t, ceremony, parts) for t in states]
    manifest = rounds.build_manifest(db.session, funding_round)
    manifest["secrecy"] = {
        "version": "encrypted-v1",
        "trustee_mixes": 0,
        "key": keys.key_document(ceremony, parts, checks),
    }
    text = rounds.canonical_json(manifest)
    funding_round.manifest_json = text
    funding_round.manifest_hash = rounds.manifest_hash(text)
    funding_round.phase = Phase.VOTING
    db.session.commit()
    return ballot_paper(text)


def sign_in(app, email: str):
    from tests.factories import PASSWORD

    client = app.test_client()
    token = TOKEN.search(client.get("/auth/sign-in").get_data(as_text=True)).group(1)
    response = client.post(
        "/auth/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 302, f"sign-in failed: {response.status_code}"
    return client


def cast_once(app, client, name: str, pot_id: int, project: str) -> tuple[float, int]:
    """Ballot page, confirm (timed, with its statements counted), receipt."""
    from app.web.extensions import db

    url = f"/councils/bench/rounds/{name}/vote/{pot_id}"
    page = client.get(url)
    assert page.status_code == 200, f"ballot page: {page.status_code}"
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    with app.app_context():
        engine = db.engine
    sent = [0]

    def count(*_args) -> None:
        sent[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    response = client.post(url + "/confirm", data={"csrf_token": token, "choices": project})
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 302, f"confirm: {response.status_code}"
    receipt = client.get(response.headers["Location"])
    assert receipt.status_code == 200 and b"receipt-code" in receipt.data, "no receipt"
    return elapsed, sent[0]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=250_000)
    parser.add_argument("--voters", type=int, default=300, help="casts measured, in all")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        print(f"database: {url.split('://')[0]}")
        app = build_app(url)
        emails, pots = seed(app, args.ballots, args.voters)
        clients = [sign_in(app, email) for email in emails]
        names = ("empty", "full", "secret")
        times: dict[str, list[float]] = {name: [] for name in names}
        statements: dict[str, set[int]] = {name: set() for name in names}
        for i, client in enumerate(clients):
            name = names[i % 3]
            pot_id, projects = pots[name]
            elapsed, sent = cast_once(app, client, name, pot_id, projects[i % len(projects)])
            times[name].append(elapsed)
            statements[name].add(sent)
        with app.app_context():
            from app.web.extensions import db
            from ballots.models import StoredBallot

            held = dict(
                db.session.execute(
                    select(StoredBallot.round_id, func.count()).group_by(StoredBallot.round_id)
                ).all()
            )
        print(f"ballots now held: {sorted(held.values())}")
        print(f"{'round':<8}{'casts':>7}{'median ms':>11}{'p95 ms':>9}{'statements':>12}")
        for name in names:
            t = times[name]
            sent = "/".join(map(str, sorted(statements[name])))
            print(
                f"{name:<8}{len(t):>7}{statistics.median(t) * 1000:>11.1f}"
                f"{percentile(t, 0.95) * 1000:>9.1f}{sent:>12}"
            )
        ratio = statistics.median(times["full"]) / statistics.median(times["empty"])
        print(f"confirm step, full / empty (median): {ratio:.2f}x (target: within 1.5x)")
        added = statistics.median(times["secret"]) - statistics.median(times["empty"])
        print(
            f"confirm step, encrypted round against a plain one (both empty, median): "
            f"{added * 1000:+.1f} ms (target: under 20 ms)"
        )


if __name__ == "__main__":
    main()
