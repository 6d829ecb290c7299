"""The migrations build exactly the schema the models declare: tables, columns, indexes and
constraints (so an index added to one and not the other is caught here)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def test_the_migrated_database_has_what_the_models_declare(app, db):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert differences == []


def test_the_page_indexes_are_in_the_migrated_database(app, db):
    from sqlalchemy import inspect

    inspector = inspect(db.engine)
    indexes = {
        table: {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
        for table in ("roll_entries", "ballots", "ballot_log", "contributions")
    }
    assert indexes["roll_entries"]["ix_roll_entries_scope"] == ["scope"]
    assert indexes["ballots"]["ix_ballots_round_pot"] == ["round_id", "pot_id"]
    assert indexes["ballot_log"]["ix_ballot_log_round_kind"] == ["round_id", "kind"]
    assert indexes["contributions"]["ix_contributions_proposal"] == ["proposal_id"]


def test_0009_upgrades_and_downgrades(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from app.web.extensions import db
    from tests.app.test_migrations import database_at

    with database_at(tmp_path, "0008"):
        upgrade(revision="0009")
        assert "round_turnout" in inspect(db.engine).get_table_names()
        downgrade(revision="0008")
        inspector = inspect(db.engine)
        assert "round_turnout" not in inspector.get_table_names()
        assert "ix_roll_entries_scope" not in {
            i["name"] for i in inspector.get_indexes("roll_entries")
        }
        upgrade(revision="0009")
