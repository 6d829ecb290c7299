"""Time the public pages of a small round against a large one: the round page (anonymous and a
signed-in resident), the receipt check, the published results, results in figures, a pot's
results and the open-data API's round endpoints.

The small round has 100 ballots and 100 proposals; the large one 100,000 ballots and 5,000
proposals. Both have the same ballot paper (4 pots of 10 projects: the results pages show every
project on the ballot, so they grow with those and only those); the other proposals were found
not feasible and are listed on the round page. Each page is fetched through the Flask test
client, the two rounds alternately, and the median of several requests is printed for each
with the ratio large / small.

    .venv/bin/python bench/pages.py                   # SQLite in a temporary file
    DATABASE_URL=postgresql://... .venv/bin/python bench/pages.py   # an empty database

The ballot box's rows (roll entries, voter marks, ballots, receipts and a valid hash-chained
ballot log) are bulk-inserted with SQL, with the hashes of ``ballots.box``; closing and
publishing then go through the app (sealing the log and counting every pot).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, select  # noqa: E402

from app.web.sessions import policy  # noqa: E402
from app.workflow.models import (  # noqa: E402
    Contribution,
    ContributionKind,
    Council,
    FundingRound,
    Membership,
    Neighbourhood,
    Phase,
    Pot,
    Proposal,
    ProposalStatus,
    Role,
    Support,
    User,
)
from ballots import box  # noqa: E402
from ballots.models import (  # noqa: E402
    COUNCIL_SCOPE,
    Channel,
    LogEntry,
    Receipt,
    RollEntry,
    StoredBallot,
    Verification,
    VoterMark,
    random_key,
)
from bench._database import ballot_entry  # noqa: E402
from votes.model import Ballot, BallotKind  # noqa: E402

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
PASSWORD = "correct horse battery"  # noqa: S105 - a benchmark account on a throwaway database
POTS = 4
ON_BALLOT = 10  # projects per pot
CHUNK = 5_000


@dataclass(frozen=True)
class Built:
    council_slug: str
    round_slug: str
    round_id: int
    pot_id: int
    receipt: str  # a receipt code for one of the ballots
    resident_email: str


def _bulk(session, model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[i : i + CHUNK])


def build_round(
    session,
    *,
    name: str,
    ballots: int,
    proposals: int,
    supports: int = 0,
    contributions: int = 0,
    residents: int = 0,
    pots: int = POTS,
    on_ballot: int = ON_BALLOT,
    phase: Phase = Phase.PUBLISHED,
) -> Built:
    """A council with ``pots`` neighbourhoods and one round of ``proposals`` proposals
    (``on_ballot`` per pot on the ballot, the rest not feasible), ``supports`` supports and
    ``contributions`` partners' pledges, ``residents`` more accounts verified on the roll
    (enough for the supports), ``ballots`` approval ballots with receipts and their
    log, then moved to ``phase`` (voting, closed or published) as an officer would. Commits."""
    from app.workflow import rounds
    from app.workflow.accounts import hash_password

    council = Council(slug=name, name=f"{name.title()} Council")
    session.add(council)
    session.flush()
    hoods = []
    for i in range(pots):
        hood = Neighbourhood(council=council, slug=f"ward-{i}", name=f"Ward {i}", population=100)
        session.add(hood)
        hoods.append(hood)
    session.flush()
    officer = User(
        email=f"officer@{name}.example",
        password_hash=hash_password(policy(), PASSWORD),
        display_name="Officer",
        email_confirmed_at=NOW,
    )
    resident = User(
        email=f"resident@{name}.example",
        password_hash=officer.password_hash,
        display_name="Resident",
        home_neighbourhood=hoods[0],
        email_confirmed_at=NOW,
    )
    session.add_all([officer, resident])
    session.flush()
    session.add_all(
        [
            Membership(user=officer, council=council, role=Role.OFFICER),
            Membership(user=resident, council=council, role=Role.RESIDENT),
        ]
    )
    funding_round = FundingRound(
        council=council,
        slug="big-round",
        title=f"{name.title()} round",
        description="A round for timing pages.",
        total_budget_pence=pots * 100_000_00,
        phase=Phase.SUPPORTS,
        ballot_kind="approval",
        rule="greedy",
        min_ballots_to_publish=1,
        supports_enabled=True,
        support_threshold=0,
    )
    session.add(funding_round)
    for i, hood in enumerate(hoods):
        funding_round.pots.append(
            Pot(name=hood.name, neighbourhood=hood, budget_pence=100_000_00, position=i)
        )
    session.flush()
    rows = []
    for i in range(proposals):
        pot = funding_round.pots[i % pots]
        feasible = i < pots * on_ballot
        cost = 5_000_00 + (i % 17) * 1_000_00
        rows.append(
            {
                "round_id": funding_round.id,
                "pot_id": pot.id,
                "title": f"Proposal {i:05d}",
                "summary": f"What proposal {i} would do for {pot.name}.",
                "description": "A description.",
                "estimated_cost_pence": cost,
                "final_cost_pence": cost if feasible else None,
                "status": (ProposalStatus.FEASIBLE if feasible else ProposalStatus.NOT_FEASIBLE),
                "review_reason": "" if feasible else "Not something the council can fund.",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    _bulk(session, Proposal, rows)
    ids = session.scalars(
        select(Proposal.id).where(Proposal.round_id == funding_round.id).order_by(Proposal.id)
    ).all()
    _bulk(
        session,
        Contribution,
        [
            {
                "proposal_id": ids[i % len(ids)],
                "partner_name": f"Partner {i}",
                "kind": ContributionKind.MONEY,
                "amount_pence": 100_00,
                "description": "",
                "created_at": NOW,
            }
            for i in range(contributions)
        ],
    )
    supporters = []
    residents = max(residents, -(-supports // len(ids)))
    if residents:
        # Residents who support proposals (each at most once) and are verified on the roll.
        _bulk(
            session,
            User,
            [
                {
                    "email": f"supporter{k}@{name}.example",
                    "password_hash": officer.password_hash,
                    "display_name": f"Supporter {k}",
                    "session_token": random_key(),
                    "created_at": NOW,
                    "email_confirmed_at": NOW,
                }
                for k in range(residents)
            ],
        )
        supporters = session.scalars(
            select(User.id).where(User.email.like(f"supporter%@{name}.example")).order_by(User.id)
        ).all()
        _bulk(
            session,
            Support,
            [
                {
                    "proposal_id": ids[i % len(ids)],
                    "user_id": supporters[i // len(ids)],
                    "created_at": NOW,
                }
                for i in range(supports)
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
    from ballots.paper import ballot_paper

    paper = ballot_paper(funding_round.manifest_json)
    _cast_in_bulk(session, funding_round, paper, hoods, [resident.id, *supporters], ballots)
    receipt = f"BENCH-{name}-0"
    if phase.index >= Phase.CLOSED.index:
        rounds.change_phase(
            session,
            funding_round,
            target=Phase.CLOSED,
            expected=Phase.VOTING,
            actor=officer,
            now=NOW,
        )
        session.commit()
    if phase.index >= Phase.PUBLISHED.index:
        rounds.publish_results(session, funding_round, actor=officer, now=NOW, confirmed=True)
        session.commit()
    return Built(
        council_slug=council.slug,
        round_slug=funding_round.slug,
        round_id=funding_round.id,
        pot_id=funding_round.pots[0].id,
        receipt=receipt,
        resident_email=resident.email,
    )


def _cast_in_bulk(session, funding_round, paper, hoods, verified, ballots: int) -> None:
    """``ballots`` roll entries who voted once each, in turn in each pot, the first ones
    verified as the accounts ``verified``, and the ballot box rows casting would have
    written: marks, ballots, receipts (ballot i's code is ``BENCH-<council>-i``) and the log
    entries chained from the genesis entry."""
    council_id = funding_round.council_id
    name = funding_round.council.slug
    _bulk(
        session,
        RollEntry,
        [
            {
                "council_id": council_id,
                "round_id": None,
                "scope": COUNCIL_SCOPE,
                "reference": f"R{i:07d}",
                "neighbourhood_id": hoods[i % len(hoods)].id,
                "created_at": NOW,
            }
            for i in range(max(ballots, 1))
        ],
    )
    entries = session.scalars(
        select(RollEntry.id).where(RollEntry.council_id == council_id).order_by(RollEntry.id)
    ).all()
    _bulk(
        session,
        Verification,
        [
            {
                "user_id": user_id,
                "roll_entry_id": entry_id,
                "council_id": council_id,
                "scope": COUNCIL_SCOPE,
                "verified_on": NOW.date(),
            }
            for user_id, entry_id in zip(verified, entries, strict=False)
        ],
    )
    head = box.log_head(session, funding_round.id)
    previous, sequence = head.entry_hash, head.sequence
    marks, stored, receipts, log = [], [], [], []
    for i in range(ballots):
        pot = paper.pots[i % len(paper.pots)]
        ids = [p.id for p in pot.projects]
        choice = Ballot(tuple(ids[j] for j in range(len(ids)) if (i >> j) % 3 == 0) or (ids[0],))
        content = box.encode_ballot(choice, BallotKind.APPROVAL)
        ballot_id = random_key()
        marks.append(
            {
                "id": random_key(),
                "roll_entry_id": entries[i],
                "round_id": funding_round.id,
                "pot_id": pot.id,
                "channel": Channel.ONLINE,
            }
        )
        stored.append(
            {"id": ballot_id, "round_id": funding_round.id, "pot_id": pot.id, "content": content}
        )
        receipts.append(
            {"receipt_hash": box.receipt_hash(f"BENCH-{name}-{i}"), "ballot_id": ballot_id}
        )
        sequence += 1
        row = ballot_entry(funding_round.id, sequence, ballot_id, pot.id, content, previous)
        log.append(row)
        previous = row["entry_hash"]
    _bulk(session, VoterMark, marks)
    _bulk(session, StoredBallot, stored)
    _bulk(session, Receipt, receipts)
    _bulk(session, LogEntry, log)
    session.commit()


# --- Timing -----------------------------------------------------------------------------------


class Statements:
    """Counts the SQL statements the app's engine runs (``before_cursor_execute``)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs) -> None:  # noqa: ARG002
        self.count += 1


def pages(built: Built) -> dict[str, tuple[str, str]]:
    """Page name -> (method, url)."""
    base = f"/councils/{built.council_slug}/rounds/{built.round_slug}"
    api = f"/api/v1/rounds/{built.round_id}"
    return {
        "round page": ("GET", base),
        "round page, page 2": ("GET", base + "?page=2"),
        "round page (resident)": ("RESIDENT", base),
        "receipt check (form)": ("GET", base + "/receipt"),
        "receipt check (found)": ("POST", base + "/receipt"),
        "results": ("GET", base + "/results"),
        "results in figures": ("GET", base + "/results/figures"),
        "a pot's results": ("GET", base + f"/results/{built.pot_id}"),
        "API round": ("GET", api),
        "API proposals": ("GET", api + "/proposals"),
        "API results": ("GET", api + "/results"),
    }


def _token(client, url: str) -> str:
    import re

    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def fetch(clients, built: Built, method: str, url: str):
    anonymous, resident, token = clients
    if method == "POST":
        return anonymous.post(url, data={"csrf_token": token, "receipt": built.receipt})
    client = resident if method == "RESIDENT" else anonymous
    return client.get(url)


def time_pages(app, counter: Statements, small: Built, large: Built, repeats: int) -> list[tuple]:
    clients = {}
    for built in (small, large):
        anonymous, resident = app.test_client(), app.test_client()
        token = _token(resident, "/auth/sign-in")
        resident.post(
            "/auth/sign-in",
            data={"csrf_token": token, "email": built.resident_email, "password": PASSWORD},
        )
        # The session's CSRF token does not change: fetched once, so a POST is timed alone.
        clients[built] = (
            anonymous,
            resident,
            _token(anonymous, pages(built)["receipt check (form)"][1]),
        )
    out = []
    for label, (method, small_url) in pages(small).items():
        large_url = pages(large)[label][1]
        times = {small: [], large: []}
        counts = {}
        for _ in range(repeats):
            for built, url in ((small, small_url), (large, large_url)):
                before = counter.count
                start = time.perf_counter()
                response = fetch(clients[built], built, method, url)
                times[built].append(time.perf_counter() - start)
                status = response.status_code
                assert status == 200, f"{label}: {url} answered {status}"
                counts[built] = counter.count - before
        out.append(
            (
                label,
                statistics.median(times[small]),
                statistics.median(times[large]),
                counts[small],
                counts[large],
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--proposals", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()

    from app.web.extensions import db
    from bench._database import bench_app, database, migrated

    url, tmp = database()
    app = bench_app(url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        migrated(app)
        start = time.perf_counter()
        small = build_round(db.session, name="small", ballots=100, proposals=100)
        large = build_round(
            db.session, name="large", ballots=args.ballots, proposals=args.proposals
        )
        built_in = time.perf_counter() - start
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        dialect = db.engine.dialect.name
        counter = Statements(db.engine)
    # Requests run outside this app context: inside it, they would share its ``g`` (and with
    # it the signed-in user).
    rows = time_pages(app, counter, small, large, args.repeats)
    print(f"database: {dialect}")
    print(
        f"small: 100 ballots, 100 proposals; large: {args.ballots:,} ballots, "
        f"{args.proposals:,} proposals (built in {built_in:.0f} s); median of {args.repeats}"
    )
    print(f"{'page':<24} {'small ms':>9} {'large ms':>9} {'ratio':>6} {'statements':>11}")
    for label, t_small, t_large, n_small, n_large in rows:
        print(
            f"{label:<24} {t_small * 1000:9.1f} {t_large * 1000:9.1f} "
            f"{t_large / t_small:6.2f} {n_small:>5} {n_large:>5}"
        )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
