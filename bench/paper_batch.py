"""A file of 10,000 paper ballots: checked, then stored in one transaction, against the same
ballots entered one at a time (the single paper ballot page's path) as the baseline, measured
in the same run.

One round of one council is open for voting, with one council-wide pot of 30 projects
(approval ballots). 10,000 people on the roll have a row each in a file (1 to 5 choices by
ballot number); ``app.workflow.paper_batches.check`` reads and decides every row, and
``store`` casts them all through ``ballots.box.cast`` and commits once. The baseline enters
``--baseline`` other people's ballots with ``app.workflow.voters.enter_paper_ballot``, one
committed transaction each, as the page does. Rows per second are printed for each, with the
statements each sent (per row, for the store and the baseline). With ``--encrypted`` a second
round encrypting its ballots to three trustees (docs/secrecy.md) stores ``--encrypted`` rows
too.

    .venv/bin/python bench/paper_batch.py                          # SQLite in a temporary file
    DATABASE_URL=postgresql://... .venv/bin/python bench/paper_batch.py   # an empty database
    .venv/bin/python bench/paper_batch.py --rows 2000 --baseline 200     # quicker
    .venv/bin/python bench/paper_batch.py --encrypted 1000

Target: 10,000 rows stored within a minute on both databases, at a constant number of
statements per row (issue "every channel", point 5).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.cast import PROJECTS, _secret_round, build_app  # noqa: E402


def seed(app, people: int):
    """The round, its officer and ``people`` on the council's roll (REF-0 ...)."""
    from app.web.extensions import db
    from app.workflow.models import Role
    from ballots.models import COUNCIL_SCOPE, RollEntry, reference_key
    from tests.ballots.helpers import place, voting_round
    from tests.factories import create_council, create_user

    with app.app_context():
        council = create_council(slug="bench")
        hood = place(council)
        costs = (tuple(5_000_00 + 1_000_00 * i for i in range(PROJECTS)),)
        funding_round, paper = voting_round(council, costs=costs, budgets=(200_000_00,))
        funding_round.slug = "paper"
        officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
        db.session.commit()
        db.session.add_all(
            RollEntry(
                council_id=council.id,
                round_id=None,
                scope=COUNCIL_SCOPE,
                reference=f"REF-{i}",
                reference_key=reference_key(f"REF-{i}"),
                neighbourhood_id=hood.id,
            )
            for i in range(people)
        )
        db.session.commit()
        return council.id, funding_round.id, officer.id


def a_file(references: list[str], rng: random.Random) -> str:
    """A row per reference, 1 to 5 choices by ballot number, separated by semicolons."""
    lines = ["reference,choices"]
    for reference in references:
        chosen = rng.sample(range(1, PROJECTS + 1), rng.randint(1, 5))
        lines.append(f"{reference},{';'.join(map(str, chosen))}")
    return "\r\n".join(lines) + "\r\n"


class Statements:
    """How many statements the block sent."""

    def __init__(self, engine):
        self.engine, self.n = engine, 0

    def _count(self, *_args) -> None:
        self.n += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def batch(app, round_id: int, officer_id: int, text: str) -> dict[str, float]:
    """Check the file, then store it in one transaction: seconds and statements of each."""
    from app.web.extensions import db
    from app.workflow import paper_batches
    from app.workflow.clock import london_today
    from app.workflow.models import FundingRound, User
    from app.workflow.voting import paper_for

    with app.app_context():
        funding_round = db.session.get(FundingRound, round_id)
        officer = db.session.get(User, officer_id)
        pot = paper_for(funding_round).pots[0]
        with Statements(db.engine) as sent:
            started = time.perf_counter()
            report = paper_batches.check(
                db.session,
                funding_round,
                pot,
                text=text,
                filename="bench.csv",
                actor=officer,
                today=london_today(),
            )
            db.session.commit()
            checked = time.perf_counter() - started
        check_statements = sent.n
        assert not report.refused, report.refused[:3]
        with Statements(db.engine) as sent:
            started = time.perf_counter()
            done = paper_batches.store(
                db.session, report.batch.id, funding_round, actor=officer, today=london_today()
            )
            db.session.commit()
            stored = time.perf_counter() - started
        assert done.stored == len(report.rows)
        return {
            "rows": done.stored,
            "check": checked,
            "check_statements": check_statements,
            "store": stored,
            "store_statements": sent.n,
        }


def one_at_a_time(app, round_id: int, officer_id: int, references: list[str], rng) -> dict:
    """The single paper ballot's path: one ballot, one committed transaction, each."""
    from app.web.extensions import db
    from app.workflow import voters
    from app.workflow.clock import london_today
    from app.workflow.models import FundingRound, User
    from app.workflow.voting import paper_for
    from votes.model import Ballot

    with app.app_context():
        funding_round = db.session.get(FundingRound, round_id)
        officer = db.session.get(User, officer_id)
        paper = paper_for(funding_round)
        pot = paper.pots[0]
        ids = [p.id for p in pot.projects]
        with Statements(db.engine) as sent:
            started = time.perf_counter()
            for reference in references:
                ballot = Ballot(tuple(rng.sample(ids, rng.randint(1, 5))))
                voters.enter_paper_ballot(
                    db.session,
                    funding_round,
                    paper,
                    pot,
                    reference=reference,
                    ballot=ballot,
                    actor=officer,
                    today=london_today(),
                )
                db.session.commit()
            took = time.perf_counter() - started
        return {"rows": len(references), "store": took, "store_statements": sent.n}


def encrypted(app, council_id: int, officer_id: int, rows: int, start: int) -> dict:
    """``rows`` of the roll's people stored in a round encrypting its ballots."""
    from app.web.extensions import db
    from app.workflow.models import Council

    with app.app_context():
        council = db.session.get(Council, council_id)
        paper = _secret_round(council, tuple(5_000_00 + 1_000_00 * i for i in range(PROJECTS)))
        round_id = paper.round_id
    text = a_file([f"REF-{i}" for i in range(start, start + rows)], random.Random(3))
    return batch(app, round_id, officer_id, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=500, help="ballots entered one by one")
    parser.add_argument("--encrypted", type=int, default=0, help="rows in an encrypted round")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        print(f"database: {url.split('://')[0]}")
        app = build_app(url)
        people = args.rows + args.baseline + args.encrypted
        council_id, round_id, officer_id = seed(app, people)
        text = a_file([f"REF-{i}" for i in range(args.rows)], rng)
        print(f"file: {args.rows:,} rows, {len(text.encode()):,} bytes")
        single = one_at_a_time(
            app,
            round_id,
            officer_id,
            [f"REF-{i}" for i in range(args.rows, args.rows + args.baseline)],
            rng,
        )
        filed = batch(app, round_id, officer_id, text)
        results = [("one at a time (baseline)", single), ("file: store", filed)]
        if args.encrypted:
            secret = encrypted(app, council_id, officer_id, args.encrypted, people - args.encrypted)
            results.append(("file: store, encrypted round", secret))
        print(
            f"file: check {filed['check']:.2f} s ({filed['rows'] / filed['check']:,.0f} rows/s, "
            f"{filed['check_statements']} statements in all)"
        )
        print(f"{'path':<30}{'rows':>8}{'seconds':>10}{'rows/s':>10}{'statements/row':>16}")
        for name, r in results:
            print(
                f"{name:<30}{r['rows']:>8,}{r['store']:>10.2f}{r['rows'] / r['store']:>10,.0f}"
                f"{r['store_statements'] / r['rows']:>16.2f}"
            )
        ratio = (filed["rows"] / filed["store"]) / (single["rows"] / single["store"])
        print(f"file against one at a time: {ratio:.1f}x the rows per second")


if __name__ == "__main__":
    main()
