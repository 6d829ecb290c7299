"""The linkage attack, rerun against the database (docs/secrecy.md, "Nothing else links a voter
to a ballot"): someone who can only read the tables tries to say which ballot is whose.

Thirty voters, each on the roll in an order that has nothing to do with when they vote, verify
their accounts through the roll's codes, one a day, and vote straight after, each with a
different ballot (so a guess can be scored). The attacker then reads the tables and links each
voter to a ballot by

(a) the transaction id (``xmin``, PostgreSQL only) their mark shares with the ballot written
    with it;
(b) the physical order of the rows: ``ctid`` on PostgreSQL; on SQLite, whose ballot and mark
    tables are ``WITHOUT ROWID``, the primary key's order and the order ``SELECT *`` returns;
(c) the order of the marks set against the order of the public ballot log;
(d) the days (and the order) of the verifications set against the log.

In an encrypted round the ballots that can be read are the decrypted ones, in the shuffled
order of the last mix: every method must do no better than chance. In a plain round the same
attack links every voter on either database: by the verifications' days and order on both
(the day is all a verification keeps of its time, but here each voter verified on a day of
their own, and verifications are numbered in order), and on PostgreSQL also by ``xmin`` and
by ``ctid``. That is what shows the attack works and the test can fail. What those link in an
encrypted round is a voter to their ciphertext, which no one party can decrypt, and which is
only ever decrypted after the shuffle.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from app.web.extensions import db
from app.workflow import secrecy
from app.workflow.models import ProposalStatus
from app.workflow.voting import verify_account
from ballots import box, roll
from ballots.models import COUNCIL_SCOPE, RollEntry
from tests.app import secret_round as sr
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council, create_proposal, create_user
from votes.model import Ballot

VOTERS = 30
KEY = b"k" * 32
FIRST_DAY = date(2026, 5, 1)
# For a guess that is a fixed pairing of the 30 voters with the 30 ballots, and ballots in an
# order the shuffle makes uniformly random, the voters guessed right are the fixed points of a
# uniformly random permutation: about Poisson(1), 1 expected. P(9 or more) = 1.1e-6, so over
# the dozen or so methods a run scores, a false failure has odds of about 1 in 70,000, while a
# method that leaked anything like the plain round's links (all 30) would fail at once.
CHANCE_BOUND = 8
# "Most voters" in the plain round, where the attack must work.
LINKED = 25


def _ballots(ids: list[str]) -> list[Ballot]:
    """30 different approval ballots of 5 projects (there are 31 non-empty ones)."""
    subsets = [
        c for size in range(1, len(ids) + 1) for c in itertools.combinations(sorted(ids), size)
    ]
    return [Ballot(tuple(s)) for s in subsets[:VOTERS]]


def _vote(council, paper, pot_id: int, ballots: list[Ballot], seed: int) -> dict[int, str]:
    """Enrol the voters in a shuffled order, issue their codes, and have voter ``i`` verify
    on day ``i`` and vote straight after with ``ballots[i]``. Returns each roll entry's
    ballot, as stored (what the attacker must find)."""
    hood = place(council, name=f"Linkage {paper.round_id}")
    order = list(range(VOTERS))
    random.Random(seed).shuffle(order)  # noqa: S311  (a fixed roll order, not a secret)
    entries: dict[int, RollEntry] = {}
    for k, i in enumerate(order):  # references in the roll's order, not the voting order
        entries[i] = enrol(council, hood, reference=f"L{paper.round_id}-{k:02d}")
    issued = roll.issue_codes(
        db.session,
        council_id=council.id,
        scope=COUNCIL_SCOPE,
        key=KEY,
        now=datetime(2026, 4, 20, 9, tzinfo=UTC),
    )
    db.session.commit()
    codes = {c.reference: c.code for c in issued}
    truth = {}
    for i in range(VOTERS):
        day = FIRST_DAY + timedelta(days=i)
        reference = entries[i].reference
        verified = verify_account(
            db.session,
            council,
            create_user(),
            reference,
            codes[reference],
            key=KEY,
            now=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10),
        )
        db.session.commit()
        assert verified.id == entries[i].id
        box.cast(db.session, paper, verified, pot_id, ballots[i], today=day)
        db.session.commit()
        truth[verified.id] = box.encode_ballot(ballots[i], paper.kind)
    return truth


# --- The attacker: SQL reads only -----------------------------------------------------------


def _rows(sql: str, round_id: int) -> list:
    return db.session.execute(text(sql), {"r": round_id}).all()


def _all_rows_of(table: str, columns: str, round_id: int) -> list:
    """``SELECT *`` as it comes off the disk: no WHERE, so no index chooses the order."""
    rows = db.session.execute(text(f"SELECT {columns}, round_id FROM {table}")).all()  # noqa: S608
    return [row[:-1] for row in rows if row[-1] == round_id]


def _voter_orders(round_id: int, postgres: bool) -> dict[str, list[int]]:
    """Each way the attacker can put the voters (roll entries) in an order."""
    orders = {
        "marks by key": [r[0] for r in _rows(MARKS + " ORDER BY m.id", round_id)],
        "marks as stored": [r[0] for r in _all_rows_of("voter_marks", "roll_entry_id", round_id)],
        # Ties (none here: one voter a day) broken by the roll entry, which says nothing.
        "verification days": [
            r[0] for r in _rows(VERIFIED + " ORDER BY v.verified_on, v.roll_entry_id", round_id)
        ],
        "verification order": [r[0] for r in _rows(VERIFIED + " ORDER BY v.id", round_id)],
        "codes used": [r[0] for r in _rows(CODES + " ORDER BY c.used_on, c.id", round_id)],
    }
    if postgres:
        orders["marks by ctid"] = [r[0] for r in _rows(MARKS + " ORDER BY m.ctid", round_id)]
        orders["marks by xmin"] = [
            r[0] for r in _rows(MARKS + " ORDER BY m.xmin::text::bigint, m.ctid", round_id)
        ]
    return orders


MARKS = "SELECT m.roll_entry_id FROM voter_marks m WHERE m.round_id = :r"
VERIFIED = (
    "SELECT v.roll_entry_id FROM verifications v "
    "JOIN voter_marks m ON m.roll_entry_id = v.roll_entry_id WHERE m.round_id = :r"
)
CODES = (
    "SELECT c.roll_entry_id FROM verification_codes c "
    "JOIN voter_marks m ON m.roll_entry_id = c.roll_entry_id "
    "WHERE m.round_id = :r AND c.used_on IS NOT NULL"
)


def _ballot_orders(round_id: int, table: str, postgres: bool) -> dict[str, list[str]]:
    """Each way the attacker can put the readable ballots in an order: the log's (a plain
    round's ballots, or a decrypted pot's positions, where the k-th is guessed to be the k-th
    ballot logged), the key's, the disk's (and on PostgreSQL ctid's and xmin's)."""
    if table == "ballots":
        by_log = "SELECT b.content FROM ballots b JOIN ballot_log l ON l.ballot_id = b.id "
        by_log += "WHERE b.round_id = :r AND l.kind = 'ballot' ORDER BY l.sequence"
        key = "id"
    else:
        by_log = "SELECT content FROM decrypted_ballots WHERE round_id = :r ORDER BY position"
        key = "pot_id, position"
    one = f"SELECT content FROM {table} WHERE round_id = :r ORDER BY "  # noqa: S608
    orders = {
        "the log": [r[0] for r in _rows(by_log, round_id)],
        "key": [r[0] for r in _rows(one + key, round_id)],
        "as stored": [r[0] for r in _all_rows_of(table, "content", round_id)],
    }
    if postgres:
        orders["ctid"] = [r[0] for r in _rows(one + "ctid", round_id)]
        orders["xmin"] = [r[0] for r in _rows(one + "xmin::text::bigint, ctid", round_id)]
    return orders


def _by_shared_xmin(round_id: int, encrypted: bool) -> dict[int, str]:
    """(a) on PostgreSQL: each mark's ballot by the transaction both were written in. In an
    encrypted round that finds the voter's ciphertext, whose place in the log is then the
    attacker's best guess at its place among the decrypted ballots."""
    if not encrypted:
        rows = _rows(
            "SELECT m.roll_entry_id, b.content FROM voter_marks m "
            "JOIN ballots b ON b.xmin::text = m.xmin::text AND b.round_id = m.round_id "
            "WHERE m.round_id = :r",
            round_id,
        )
        return dict(rows)
    logged = _rows(
        "SELECT m.roll_entry_id, l.sequence FROM voter_marks m "
        "JOIN ballots b ON b.xmin::text = m.xmin::text AND b.round_id = m.round_id "
        "JOIN ballot_log l ON l.ballot_id = b.id AND l.kind = 'ballot' "
        "WHERE m.round_id = :r ORDER BY l.sequence",
        round_id,
    )
    decrypted = [
        r[0]
        for r in _rows(
            "SELECT content FROM decrypted_ballots WHERE round_id = :r ORDER BY position",
            round_id,
        )
    ]
    return {entry: decrypted[rank] for rank, (entry, _) in enumerate(logged)}


def attack(round_id: int, truth: dict[int, str], *, encrypted: bool) -> dict[str, int]:
    """Every method's score: how many voters it pairs with their own ballot (``truth``, which
    the attacker does not have, is only for the scoring)."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    table = "decrypted_ballots" if encrypted else "ballots"
    scores = {}
    voters = _voter_orders(round_id, postgres)
    ballots = _ballot_orders(round_id, table, postgres)
    assert all(len(v) == VOTERS for v in [*voters.values(), *ballots.values()])
    for (who, voter_order), (what, ballot_order) in itertools.product(
        voters.items(), ballots.items()
    ):
        scores[f"{who} / {what}"] = _score(truth, dict(zip(voter_order, ballot_order, strict=True)))
    if postgres:
        scores["shared xmin"] = _score(truth, _by_shared_xmin(round_id, encrypted))
    return scores


def _score(truth: dict[int, str], guess: dict[int, str]) -> int:
    return sum(guess.get(entry) == content for entry, content in truth.items())


# --- The rounds ---------------------------------------------------------------------------


def _encrypted_round() -> tuple[int, dict[int, str]]:
    made = sr.make_key()
    pot = made.funding_round.pots[0]
    for cost in (5_000_00, 15_000_00):  # five projects: enough for 30 different ballots
        create_proposal(pot, cost_pence=cost, status=ProposalStatus.FEASIBLE)
    db.session.commit()
    sr.open_voting(made)
    paper = made.paper
    pot_paper = paper.pots[0]
    ballots = _ballots([p.id for p in pot_paper.projects])
    truth = _vote(made.funding_round.council, paper, pot_paper.id, ballots, 1)
    sr.close(made)
    secrecy.upload_mix(
        db.session, made.trustees[1], pot_paper.id, json.dumps(made.trustee_mix(2, pot_paper.id))
    )
    db.session.commit()
    for position in (1, 3):
        secrecy.upload_decryption(
            db.session,
            made.trustees[position - 1],
            pot_paper.id,
            json.dumps(made.decryption(position, pot_paper.id)),
            now=sr.NOW,
        )
        db.session.commit()
    counted = db.session.execute(
        text("SELECT count(*) FROM decrypted_ballots WHERE round_id = :r"), {"r": paper.round_id}
    ).scalar_one()
    assert counted == VOTERS
    return paper.round_id, truth


def _plain_round() -> tuple[int, dict[int, str]]:
    council = create_council()
    funding_round, paper = voting_round(
        council, costs=((5_000_00, 10_000_00, 15_000_00, 20_000_00, 30_000_00),)
    )
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    db.session.commit()
    pot = paper.pots[0]
    ballots = _ballots([p.id for p in pot.projects])
    return paper.round_id, _vote(council, paper, pot.id, ballots, 2)


def _report(name: str, scores: dict[str, int]) -> str:
    return f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(scores.items()))


def test_nothing_links_a_voter_to_a_decrypted_ballot_better_than_chance(db):
    round_id, truth = _encrypted_round()
    scores = attack(round_id, truth, encrypted=True)
    print(_report("encrypted", scores))  # noqa: T201  (the figures, with -s)
    beaten = {method: score for method, score in scores.items() if score > CHANCE_BOUND}
    assert beaten == {}, _report("encrypted", scores)


def test_the_same_attack_links_the_voters_of_a_plain_round(db):
    """The attack is real: against a plain round it finds most voters' ballots, by at least
    one method on each database."""
    round_id, truth = _plain_round()
    scores = attack(round_id, truth, encrypted=False)
    print(_report("plain", scores))  # noqa: T201
    assert max(scores.values()) >= LINKED, _report("plain", scores)
    # The marks' keys are random: in their order they link no better than chance.
    assert scores["marks by key / the log"] <= CHANCE_BOUND
    if db.session.get_bind().dialect.name == "postgresql":
        # But PostgreSQL writes rows in the order they come and numbers its transactions in
        # order: a mark's transaction, or its place on the disk, finds its ballot.
        assert scores["shared xmin"] == VOTERS
        assert scores["marks by ctid / ctid"] == VOTERS
        assert scores["marks by xmin / the log"] == VOTERS
    else:
        # On SQLite the marks are stored in their keys' order.
        assert scores["marks as stored / the log"] <= CHANCE_BOUND
    # On either, the verifications' order (their days, and their sequential ids) is the order
    # their people went on to vote in.
    assert scores["verification days / the log"] == VOTERS
