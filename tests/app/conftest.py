"""The app fixtures (database, app, db, client, runner) live in tests/conftest.py, shared with
tests/ballots; the helpers stay importable from here."""

from tests.conftest import PostgresDatabase, SqliteDatabase, make_config, migrate

__all__ = ["PostgresDatabase", "SqliteDatabase", "make_config", "migrate"]
