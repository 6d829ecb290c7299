"""Nothing in the ballot box can be joined back to a voter: the migrated schema is inspected,
so a column added later (a user id, a session, an address, a time) fails here."""

import re

import pytest
from sqlalchemy import inspect, text

from tests.conftest import owner_connection

# The tables that say what was voted. voter_marks (who voted) must never be reachable from them.
# (ballot_mixes names who mixed: the server or a trustee, never a voter.)
BALLOT_TABLES = ("ballots", "receipts", "ballot_log", "decrypted_ballots", "ballot_decryptions")
ALLOWED_REFERENCES = {"rounds", "pots", "ballots"}
# Words that name a link when they are a word of the column's name ("ip", "at"), and
# fragments that do anywhere in it ("userid", "timestamp").
LINK_WORDS = {
    "ip",
    "at",
    "on",
    "by",
    "who",
    "when",
    "day",
    "addr",
    "address",
    "host",
    "agent",
    "device",
    "browser",
    "cookie",
    "token",
    "email",
    "name",
    "account",
    "person",
    "channel",
    "mark",
}
LINK_FRAGMENTS = re.compile(r"user|voter|session|time|date|created|updated|roll|verif|people")


def looks_like_a_link(name: str) -> bool:
    name = name.lower()
    return bool(LINK_FRAGMENTS.search(name)) or bool(set(re.split(r"[_\W]+", name)) & LINK_WORDS)


def links(inspector, table: str) -> list[str]:
    """Every way ``table`` could point at a voter."""
    found = []
    for col in inspector.get_columns(table):
        if looks_like_a_link(col["name"]):
            found.append(f"{table}.{col['name']} looks like a link to a voter or a time")
        if "time" in str(col["type"]).lower() or "date" in str(col["type"]).lower():
            found.append(f"{table}.{col['name']} holds a time")
    for fk in inspector.get_foreign_keys(table):
        if fk["referred_table"] not in ALLOWED_REFERENCES:
            found.append(f"{table} refers to {fk['referred_table']}")
    return found


def test_the_ballot_tables_have_no_link_to_a_voter(db):
    inspector = inspect(db.engine)
    problems = [p for t in BALLOT_TABLES for p in links(inspector, t)]
    assert problems == []


def test_ballot_keys_are_random_text_not_a_sequence(db):
    inspector = inspect(db.engine)
    for table in ("ballots", "voter_marks"):
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        assert pk == ["id"]
        (column,) = [c for c in inspector.get_columns(table) if c["name"] == "id"]
        assert "CHAR" in str(column["type"]).upper(), f"{table}.id is {column['type']}"
        assert not column.get("autoincrement") or column["autoincrement"] == "auto"
        assert column.get("default") is None  # no sequence behind it


def test_sqlite_stores_the_ballot_tables_in_key_order(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("WITHOUT ROWID is SQLite's")
    with db.engine.connect() as conn:
        for table in ("ballots", "voter_marks", "receipts"):
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
            ).scalar_one()
            assert "WITHOUT ROWID" in sql.upper(), table


def test_voter_marks_keep_no_time(db):
    inspector = inspect(db.engine)
    names = [c["name"] for c in inspector.get_columns("voter_marks")]
    assert not [n for n in names if re.search(r"time|_at$|date|created", n)]


@pytest.mark.parametrize(
    "column",
    ["user_id INTEGER", "session_hash TEXT", "ip TEXT", "cast_at TIMESTAMP", "x DATE"],
)
def test_the_check_catches_a_link(db, column):
    with owner_connection() as conn:  # the app's role may not create tables
        conn.execute(text(f"CREATE TABLE leaky (id VARCHAR(32) PRIMARY KEY, {column})"))
    assert links(inspect(db.engine), "leaky")
    with owner_connection() as conn:
        conn.execute(text("DROP TABLE leaky"))


def test_the_check_catches_a_reference_to_the_marks(db):
    with owner_connection() as conn:
        conn.execute(
            text(
                "CREATE TABLE leaky (id VARCHAR(32) PRIMARY KEY, "
                "m VARCHAR(32) REFERENCES voter_marks (id))"
            )
        )
    assert links(inspect(db.engine), "leaky") == ["leaky refers to voter_marks"]
    with owner_connection() as conn:
        conn.execute(text("DROP TABLE leaky"))
