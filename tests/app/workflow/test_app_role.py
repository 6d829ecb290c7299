"""The app's own PostgreSQL role (`flask create-app-role`, app/roles.py): it reads and appends
to the ballot box, the ballot log, the results and the audit trail and cannot update, delete,
truncate or alter them, nor switch their triggers off; it casts, closes and counts.

On PostgreSQL the whole suite runs as such a role (tests/conftest.py), so every other test is
also a proof that the app works with these rights and no more. These tests run on PostgreSQL
(CI's second pass, DATABASE_URL=postgresql://...); on SQLite only the refusal to run there.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.web.extensions import db
from app.workflow.database_roles import READ_AND_INSERT
from app.workflow.models import AuditEvent, PotResult, RoundTurnout
from ballots.models import LogEntry, Receipt, StoredBallot, VoterMark
from tests.app.closed_round import closed_round
from tests.conftest import owner_connection

APPEND_ONLY_MODELS = (StoredBallot, Receipt, VoterMark, LogEntry, PotResult, AuditEvent)


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("database roles are PostgreSQL's: run with DATABASE_URL=postgresql://...")
    return app


def app_role() -> str:
    return db.engine.url.username


def counts() -> dict[str, int]:
    return {
        m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
        for m in (*APPEND_ONLY_MODELS, RoundTurnout)
    }


def privilege_error(error: pytest.ExceptionInfo) -> str:
    """The server's refusal: a lack of privilege (SQLSTATE 42501), never a trigger's error."""
    assert isinstance(error.value, DBAPIError)
    assert error.value.orig.sqlstate == "42501", error.value
    return str(error.value.orig)


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("TRUNCATE ballots", "permission denied for table ballots"),
        ("TRUNCATE audit_events, pot_results", "permission denied for table audit_events"),
        ("TRUNCATE rounds CASCADE", "permission denied for table rounds"),
        ("DELETE FROM ballot_log", "permission denied for table ballot_log"),
        ("DELETE FROM voter_marks", "permission denied for table voter_marks"),
        ("DELETE FROM round_turnout", "permission denied for table round_turnout"),
        ("UPDATE audit_events SET action = 'x'", "permission denied for table audit_events"),
        ("UPDATE pot_results SET outcome_json = '{}'", "permission denied for table pot_results"),
        ("UPDATE receipts SET ballot_id = ballot_id", "permission denied for table receipts"),
        ("UPDATE ballots SET content = '{}'", "permission denied for table ballots"),
        ("ALTER TABLE ballot_log DISABLE TRIGGER ALL", "must be owner of table ballot_log"),
        (
            "ALTER TABLE pot_results DISABLE TRIGGER pot_results_append_only",
            "must be owner of table pot_results",
        ),
        ("DROP TRIGGER audit_events_append_only ON audit_events", "must be owner of"),
        ("DROP TABLE ballots CASCADE", "must be owner of table ballots"),
        ("CREATE TABLE copy_of_ballots (id text)", "permission denied for schema public"),
        ("SET ROLE postgres", "permission denied to set role"),
    ],
)
def test_the_app_role_cannot_rewrite_the_append_only_tables(postgres, statement, refusal):
    closed_round()
    before = counts()
    assert all(before.values()), before
    with pytest.raises(DBAPIError) as error:
        db.session.execute(text(statement))
    db.session.rollback()
    assert refusal in privilege_error(error)
    assert counts() == before


def test_the_app_role_casts_closes_and_counts(postgres, runner):
    """closed_round casts 12 ballots and closes through the officers' phase change, which
    seals the log, counts the pot and writes turnout and the audit trail: all as the app."""
    assert db.session.scalar(text("SELECT current_user")) == app_role()
    owner = db.session.scalar(text("SELECT tableowner FROM pg_tables WHERE tablename = 'ballots'"))
    assert owner != app_role()
    funding_round = closed_round()
    assert counts()["ballots"] == 12
    assert db.session.scalar(select(PotResult.ballot_count)) == 12
    result = runner.invoke(args=["tally", str(funding_round.id)])
    assert result.exit_code == 0, result.output
    assert "12 ballots, greedy" in result.output


def rights(role: str) -> dict[str, set[str]]:
    """What ``role`` may do to each table, as the server says."""
    kinds = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    with owner_connection() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        return {
            table: {
                kind
                for kind in kinds
                if conn.execute(
                    text("SELECT has_table_privilege(:r, :t, :k)"),
                    {"r": role, "t": f"public.{table}", "k": kind},
                ).scalar()
            }
            for table in tables
        }


def test_the_rights_are_read_and_insert_on_every_append_only_table(postgres):
    with owner_connection() as conn:
        guarded = set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'devolve_append_only'"
                )
            ).scalars()
        )
    assert guarded == {"audit_events", "ballots", "receipts", "voter_marks", "ballot_log"} | {
        "pot_results",
        "ballot_mixes",
        "ballot_decryptions",
        "decrypted_ballots",
        "member_receipts",
        "member_log",
    }
    # A table given an append-only trigger by a later migration must be listed too.
    assert guarded <= set(READ_AND_INSERT)
    granted = rights(app_role())
    for table, kinds in granted.items():
        if table in READ_AND_INSERT:
            assert kinds == {"SELECT", "INSERT"}, table
        elif table == "alembic_version":
            assert kinds == {"SELECT"}
        else:
            assert kinds == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table


def test_create_app_role_is_idempotent_and_takes_back_other_rights(postgres, runner):
    role = app_role()
    before = rights(role)
    with owner_connection() as conn:
        conn.execute(text(f'GRANT TRUNCATE, UPDATE ON ballots, audit_events TO "{role}"'))
    assert {"TRUNCATE", "UPDATE"} <= rights(role)["ballots"]
    # No NAME: DATABASE_URL's user, connecting as MIGRATION_DATABASE_URL's (the owner).
    for _ in range(2):
        result = runner.invoke(args=["create-app-role"])
        assert result.exit_code == 0, result.output
        assert f"GRANT SELECT, INSERT ON ballots TO {role};" in result.output
        assert "run this again after each `flask db upgrade`" in result.output
        assert rights(role) == before


def test_print_sql_changes_nothing(postgres, runner):
    role = app_role()
    with owner_connection() as conn:
        conn.execute(text(f'GRANT TRUNCATE ON ballots TO "{role}"'))
    result = runner.invoke(args=["create-app-role", role, "--print-sql"])
    assert result.exit_code == 0, result.output
    assert f"GRANT SELECT, INSERT ON pot_results TO {role};" in result.output
    assert "TRUNCATE" in rights(role)["ballots"]
    runner.invoke(args=["create-app-role", role])
    assert "TRUNCATE" not in rights(role)["ballots"]


def test_create_app_role_refuses_roles_that_could_rewrite_the_tables(postgres, runner):
    with owner_connection() as conn:
        owner = conn.execute(text("SELECT current_user")).scalar()
    result = runner.invoke(args=["create-app-role", owner])
    assert result.exit_code == 1
    assert f"{owner} owns the tables" in result.output
    member = f"{app_role()}_member"
    with owner_connection() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{member}"'))
        conn.execute(text(f'CREATE ROLE "{member}"'))
        conn.execute(text(f'GRANT "{owner}" TO "{member}"'))
    try:
        result = runner.invoke(args=["create-app-role", member])
        assert result.exit_code == 1
        assert "switch their triggers off" in result.output
        with owner_connection() as conn:
            granted = conn.execute(
                text("SELECT count(*) FROM information_schema.table_privileges WHERE grantee = :m"),
                {"m": member},
            ).scalar()
        assert granted == 0
    finally:
        with owner_connection() as conn:
            conn.execute(text(f'DROP ROLE "{member}"'))
    result = runner.invoke(args=["create-app-role", "app; DROP TABLE ballots"])
    assert result.exit_code == 1
    assert "is not a role name" in result.output


def test_a_table_a_later_migration_adds_works_at_once_and_cannot_be_truncated(postgres):
    """Default privileges: the owner's new table (and its id sequence) work for the app
    before create-app-role is run again; TRUNCATE is still not among them."""
    with owner_connection() as conn:
        conn.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, note text)"))
    try:
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO later_table (note) VALUES ('a')"))
            conn.execute(text("UPDATE later_table SET note = 'b'"))
            conn.execute(text("DELETE FROM later_table"))
        with pytest.raises(DBAPIError) as error, db.engine.begin() as conn:
            conn.execute(text("TRUNCATE later_table"))
        assert "permission denied for table later_table" in privilege_error(error)
    finally:
        with owner_connection() as conn:
            conn.execute(text("DROP TABLE later_table"))


def test_a_new_role_gets_the_password_in_database_url_as_a_scram_hash(postgres, runner):
    """(The test server trusts local connections, so signing in with it would prove nothing
    here: the stored verifier is what is checked.) An existing role's is left alone."""
    role = f"{app_role()}_new"
    postgres.config["SQLALCHEMY_DATABASE_URI"] = db.engine.url.set(
        username=role, password="app role password 1"
    ).render_as_string(hide_password=False)
    try:
        result = runner.invoke(args=["create-app-role"])
        assert result.exit_code == 0, result.output
        assert f"CREATE ROLE {role} LOGIN" in result.output
        assert "app role password 1" not in result.output

        def verifier() -> str:
            with owner_connection() as conn:
                return conn.execute(
                    text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}
                ).scalar()

        first = verifier()
        assert first.startswith("SCRAM-SHA-256$")
        assert rights(role) == rights(app_role())
        result = runner.invoke(args=["create-app-role"])
        assert result.exit_code == 0, result.output
        assert "CREATE ROLE" not in result.output
        assert verifier() == first
    finally:
        with owner_connection() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


def test_create_app_role_refuses_sqlite(app, runner):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite refusal")
    result = runner.invoke(args=["create-app-role", "devolve_app"])
    assert result.exit_code == 1
    assert "create-app-role is for PostgreSQL: SQLite has no roles." in result.output
