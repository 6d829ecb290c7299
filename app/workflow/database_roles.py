"""The app's own database role on PostgreSQL: it can read and append to the ballot box, the
ballot log, the results and the audit trail, and never rewrite them.

Production uses two roles. The owner (MIGRATION_DATABASE_URL) runs the migrations and owns
every table; the app (DATABASE_URL) connects as a separate role that is given only what the
code uses. On the append-only tables that is SELECT and INSERT: no UPDATE, DELETE or TRUNCATE,
and, not owning them, it cannot ALTER them or disable their triggers. On the workflow tables
(rounds, proposals, users, ...) it keeps SELECT, INSERT, UPDATE and DELETE, and USAGE on the
sequences behind their ids. The triggers stay as a second lock: they stop the owner's console
as well, and the grants stop an app that has been taken over from truncating round them.

The grants are computed from the database's catalogue when they are applied, so run
``flask --app wsgi create-app-role`` again after each ``flask db upgrade`` (the README's
recipe does): it is idempotent, and it first takes back whatever the role had on the tables.
Between an upgrade and the re-run, default privileges give a new table's rows SELECT, INSERT,
UPDATE and DELETE (never TRUNCATE), so a new workflow table works at once; a new append-only
table is narrowed to SELECT and INSERT by the re-run, and its trigger holds meanwhile.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

# Rows the app writes once and then only reads. All but round_turnout and pot_figures have
# triggers refusing UPDATE and DELETE (migrations 0001, 0003, 0013, 0015, 0021); round_turnout
# is counted once, when voting closes, pot_figures with a pot's result, and member_ballots
# are written once by the member ballot box.
READ_AND_INSERT = (
    "audit_events",
    "ballots",
    "receipts",
    "voter_marks",
    "ballot_log",
    "pot_results",
    "round_turnout",
    "pot_figures",
    "ballot_mixes",
    "ballot_decryptions",
    "decrypted_ballots",
    "member_ballots",
    "member_receipts",
    "member_log",
)
# Read by nothing but `flask db current`; only the owner moves it.
READ_ONLY = ("alembic_version",)
WORKFLOW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleError(Exception):
    """The role cannot be made the app's role as asked; the message says why."""


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def table_privileges(conn: Connection) -> dict[str, str]:
    """Each table of the public schema and what the app's role may do to its rows."""
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).scalars()
    out = {}
    for table in tables:
        if table in READ_ONLY:
            out[table] = "SELECT"
        elif table in READ_AND_INSERT:
            out[table] = "SELECT, INSERT"
        else:
            out[table] = WORKFLOW_PRIVILEGES
    return out


def tables_owner(conn: Connection) -> str:
    """The role owning the migrated tables (the one that ran the migrations)."""
    owner = conn.execute(
        text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = :t"),
        {"t": "alembic_version"},
    ).scalar()
    if owner is None:
        raise RoleError("The database has not been migrated: run `flask db upgrade` first.")
    return owner


def grant_statements(conn: Connection, name: str, owner: str) -> list[str]:
    """The statements that give ``name`` exactly the app's rights (taking back any others)."""
    role = _quote(conn, name)
    owner_q = _quote(conn, owner)
    database = _quote(conn, conn.execute(text("SELECT current_database()")).scalar_one())
    statements = []
    # Usually there through PUBLIC; granted only if not (which needs the database's owner).
    can_connect, can_use = conn.execute(
        text(
            "SELECT has_database_privilege(:n, current_database(), 'CONNECT'), "
            "has_schema_privilege(:n, 'public', 'USAGE') FROM pg_roles WHERE rolname = :n"
        ),
        {"n": name},
    ).one_or_none() or (False, False)
    if not can_connect:
        statements.append(f"GRANT CONNECT ON DATABASE {database} TO {role}")
    if not can_use:
        statements.append(f"GRANT USAGE ON SCHEMA public TO {role}")
    statements += [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
    ]
    for table, privileges in table_privileges(conn).items():
        statements.append(f"GRANT {privileges} ON {_quote(conn, table)} TO {role}")
    statements += [
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public "
        f"GRANT {WORKFLOW_PRIVILEGES} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    return statements


def check_role_name(name: str) -> None:
    if not ROLE_NAME.fullmatch(name):
        raise RoleError(
            f"{name!r} is not a role name this command makes: use lower-case letters, digits "
            "and _, starting with a letter or _, at most 63 characters."
        )


def create_app_role(conn: Connection, name: str, password: str | None = None) -> list[str]:
    """Create (if missing) the login role ``name`` and give it the app's rights, on the
    connection's database, which must be connected as the tables' owner or a superuser
    (creating the role needs CREATEROLE; an existing role, made by a DBA, needs nothing more).

    A role it creates gets ``password`` (sent to the server already SCRAM-hashed, so it
    appears in no statement or log); an existing role's password is left alone. Refuses a
    role that owns the tables, belongs to their owner, is a superuser or may create tables:
    such a role could still rewrite them. Returns the statements run. The caller commits.
    """
    check_role_name(name)
    if conn.dialect.name != "postgresql":
        raise RoleError("create-app-role is for PostgreSQL: SQLite has no roles.")
    owner = tables_owner(conn)
    if name == owner:
        raise RoleError(
            f"{name} owns the tables: the app must connect as another role (DATABASE_URL), "
            "and the migrations as the owner (MIGRATION_DATABASE_URL)."
        )
    role = _quote(conn, name)
    ran = []
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).scalar()
    if not exists:
        create = f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        if password:
            raw = conn.connection.driver_connection
            hashed = raw.pgconn.encrypt_password(password.encode(), name.encode()).decode()
            conn.exec_driver_sql(f"{create} PASSWORD '{hashed}'")
            ran.append(f"{create} PASSWORD '(the SCRAM hash of DATABASE_URL's password)'")
        else:
            conn.execute(text(create))
            ran.append(create)
    superuser, member = conn.execute(
        text("SELECT rolsuper, pg_has_role(:n, :owner, 'MEMBER') FROM pg_roles WHERE rolname = :n"),
        {"n": name, "owner": owner},
    ).one()
    if superuser or member:
        raise RoleError(
            f"{name} is {'a superuser' if superuser else f'a member of {owner}'}: it could "
            "alter the tables and switch their triggers off. Use a role of its own."
        )
    if conn.execute(
        text("SELECT has_schema_privilege(:n, 'public', 'CREATE')"), {"n": name}
    ).scalar():
        raise RoleError(
            f"{name} may create tables in the schema public (PostgreSQL before 15 lets every "
            "role): run REVOKE CREATE ON SCHEMA public FROM PUBLIC as the database's owner."
        )
    for statement in grant_statements(conn, name, owner):
        conn.execute(text(statement))
        ran.append(statement)
    return ran
