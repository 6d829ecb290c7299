"""A pot filled with many ballots at once, written with SQL rather than one cast at a time.

For the tests and benchmarks that need a pot far larger than casting one ballot per
transaction could build in reasonable time. What is written is what casting writes: a roll
entry and an online voter mark per voter, the ballot under a random id with its receipt, and
the round's hash chain (genesis, one entry per ballot, and for each replaced ballot a
supersede entry followed by its replacement), with the hashes of ``ballots.box``. The tables
refuse UPDATE and DELETE, so everything is inserted once, in order.

PostgreSQL gets the rows through COPY; SQLite through executemany.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterator, Sequence

from flask import current_app, has_app_context
from sqlalchemy import text
from sqlalchemy.orm import Session

from ballots import box
from ballots.models import COUNCIL_SCOPE
from ballots.paper import BallotPaper, PotPaper
from votes.model import Ballot, BallotKind


def approval_choices(project_ids: Sequence[str], rng: random.Random) -> tuple[str, ...]:
    """An approval ballot as residents fill them in: 1 to 5 projects, the popular ones
    (earlier in the list, by a Zipf-like weight) chosen more often."""
    weights = [1 / (i + 1) ** 0.8 for i in range(len(project_ids))]
    k = rng.choices((1, 2, 3, 4, 5), weights=(20, 30, 25, 15, 10))[0]
    chosen: set[str] = set()
    while len(chosen) < min(k, len(project_ids)):
        chosen.add(rng.choices(project_ids, weights=weights)[0])
    return tuple(sorted(chosen))


def _key(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def fill_pot(
    session: Session,
    paper: BallotPaper,
    pot: PotPaper,
    *,
    neighbourhood_id: int,
    ballots: int,
    replaced: int = 0,
    seed: int = 1,
) -> Counter[str]:
    """``ballots`` voters' ballots in ``pot`` of the round whose ballot paper is ``paper``,
    ``replaced`` of them changed once (their first ballot superseded by a second), all online,
    the voters on the roll in ``neighbourhood_id``. Flushes nothing through the ORM: the
    caller commits, then closes the round through the app. Returns how many counted ballots
    chose each project.

    Call it on a round in voting with no ballots yet (the genesis entry is written here)."""
    council_id, round_id, manifest_hash = paper.council_id, paper.round_id, paper.manifest_hash
    pot_id, project_ids = pot.id, [p.id for p in pot.projects]
    rng = random.Random(seed)
    conn = session.connection()
    start = session.execute(text("SELECT COALESCE(MAX(id), 0) FROM roll_entries")).scalar_one()
    # Written as text: the ORM's default for created_at is not the database's.
    created = "2026-05-01 00:00:00" + ("+00" if conn.dialect.name == "postgresql" else "")
    roll = [
        (
            start + i + 1,
            council_id,
            COUNCIL_SCOPE,
            f"BULK{round_id}X{i}",
            f"BULK{round_id}X{i}",  # its reference_key
            neighbourhood_id,
            created,
        )
        for i in range(ballots)
    ]
    marks = [(_key(rng), start + i + 1, round_id, pot_id, "online") for i in range(ballots)]

    def content() -> tuple[str, tuple[str, ...]]:
        choices = approval_choices(project_ids, rng)
        return box.encode_ballot(Ballot(choices), BallotKind.APPROVAL), choices

    stored: list[tuple[str, int, int, str]] = []
    receipts: list[tuple[str, str]] = []
    log: list[tuple[int, int, str, str | None, str, str, str]] = []
    previous = box.ZERO_HASH

    def append(kind: str, payload: str, ballot_id: str | None) -> None:
        nonlocal previous
        sequence = len(log)
        digest = box.entry_hash(round_id, sequence, kind, payload, previous)
        log.append((round_id, sequence, kind, ballot_id, payload, previous, digest))
        previous = digest

    def cast(body: str) -> str:
        ballot_id = _key(rng)
        stored.append((ballot_id, round_id, pot_id, body))
        receipts.append((hashlib.sha256(_key(rng).encode()).hexdigest(), ballot_id))
        append("ballot", box.ballot_hash(ballot_id, pot_id, body), ballot_id)
        return ballot_id

    counted: Counter[str] = Counter()
    append("genesis", manifest_hash, None)
    for i in range(ballots):
        body, choices = content()
        first = cast(body)
        if i < replaced:
            append("supersede", box.ballot_hash(first, pot_id, body), first)
            body, choices = content()
            cast(body)
        counted.update(choices)
    tables = (
        (
            "roll_entries",
            (
                "id",
                "council_id",
                "scope",
                "reference",
                "reference_key",
                "neighbourhood_id",
                "created_at",
            ),
            roll,
        ),
        ("voter_marks", ("id", "roll_entry_id", "round_id", "pot_id", "channel"), marks),
        ("ballots", ("id", "round_id", "pot_id", "content"), stored),
        ("receipts", ("receipt_hash", "ballot_id"), receipts),
        (
            "ballot_log",
            (
                "round_id",
                "sequence",
                "kind",
                "ballot_id",
                "payload_hash",
                "previous_hash",
                "entry_hash",
            ),
            log,
        ),
    )
    for table, columns, rows in tables:
        _insert(conn, table, columns, rows)
    if conn.dialect.name == "postgresql":
        # The ids were given here, not by the sequence: move it past them.
        top = conn.exec_driver_sql("SELECT MAX(id) FROM roll_entries").scalar_one()
        setval = f"SELECT setval(pg_get_serial_sequence('roll_entries', 'id'), {int(top)})"
        if has_app_context() and current_app.config.get("MIGRATION_DATABASE_URL"):
            # The app's role may use the sequence, not move it: the owner does (setval is not
            # transactional, so the other connection's change holds at once).
            from tests.conftest import owner_connection

            with owner_connection() as owner:
                owner.exec_driver_sql(setval)
        else:
            conn.exec_driver_sql(setval)
        conn.exec_driver_sql("ANALYZE roll_entries, voter_marks, ballots, receipts, ballot_log")
    return counted


def _chunks(rows: list, size: int = 5000) -> Iterator[list]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _insert(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    raw = conn.connection.driver_connection
    for chunk in _chunks(rows):
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)  # noqa: S608 (names are ours)
