"""The migrations build exactly the schema the models declare: tables, columns, indexes and
constraints (so an index added to one and not the other is caught here).

Alembic's ``compare_metadata`` compares tables, columns (names, types, nullability), indexes,
unique constraints and foreign keys (their columns, target and ON DELETE). It does not compare
CHECK constraints at all, nor which name a constraint has, so the tests below compare those
from the reflected schema: every constraint's name, each foreign key's columns, target and ON
DELETE, and (on SQLite, which keeps a CHECK's text as it was written) each CHECK's text.
PostgreSQL rewrites a CHECK's text (``IN (...)`` becomes ``= ANY (ARRAY[...])``), so there the
names are compared.
Nothing here compares triggers, a partial index's WHERE, server defaults or SQLite's WITHOUT
ROWID: the append-only, index and migration tests check what depends on those.
"""

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint, inspect


def test_the_migrated_database_has_what_the_models_declare(app, db):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert differences == []


def _text(sql: str) -> str:
    """A CHECK's text with its spacing and outer brackets left out."""
    sql = re.sub(r"\s+", " ", sql).strip()
    while sql.startswith("(") and sql.endswith(")") and _balanced(sql[1:-1]):
        sql = sql[1:-1].strip()
    return sql


def _balanced(sql: str) -> bool:
    depth = 0
    for ch in sql:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _declared(db, table):
    dialect = db.engine.dialect
    # As CREATE TABLE writes a CHECK: columns without their table's name.
    compiler = dialect.ddl_compiler(dialect, None).sql_compiler
    checks, foreign_keys, uniques = {}, {}, {}
    for c in table.constraints:
        if isinstance(c, CheckConstraint):
            compiled = compiler.process(c.sqltext, include_table=False, literal_binds=True)
            checks[c.name] = _text(compiled)
        elif isinstance(c, ForeignKeyConstraint):
            foreign_keys[c.name] = (
                [col.name for col in c.columns],
                c.elements[0].column.table.name,
                [e.column.name for e in c.elements],
                (c.ondelete or "NO ACTION").upper(),
            )
        elif isinstance(c, UniqueConstraint):
            uniques[c.name] = [col.name for col in c.columns]
    return checks, foreign_keys, uniques


def _reflected(inspector, table_name):
    checks = {c["name"]: _text(c["sqltext"]) for c in inspector.get_check_constraints(table_name)}
    foreign_keys = {
        fk["name"]: (
            fk["constrained_columns"],
            fk["referred_table"],
            fk["referred_columns"],
            (fk.get("options", {}).get("ondelete") or "NO ACTION").upper(),
        )
        for fk in inspector.get_foreign_keys(table_name)
    }
    uniques = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints(table_name)}
    return checks, foreign_keys, uniques


def test_every_constraint_is_in_the_migrated_database_by_name(app, db):
    inspector = inspect(db.engine)
    sqlite = db.engine.dialect.name == "sqlite"
    for table in db.metadata.sorted_tables:
        declared_checks, declared_fks, declared_uniques = _declared(db, table)
        checks, fks, uniques = _reflected(inspector, table.name)
        if sqlite:
            assert checks == declared_checks, table.name
        else:
            assert set(checks) == set(declared_checks), table.name
        assert fks == declared_fks, table.name
        assert uniques == declared_uniques, table.name
        assert inspector.get_pk_constraint(table.name)["name"] == f"pk_{table.name}", table.name


def test_the_comparison_sees_a_check_the_models_lack(app, db):
    """The test above can fail: a CHECK the migrations made and the models lost is a difference."""
    from app.workflow.models import FundingRound

    table = FundingRound.__table__
    dropped = next(c for c in table.constraints if c.name == "ck_rounds_voting_has_manifest")
    table.constraints.discard(dropped)
    try:
        declared_checks, _, _ = _declared(db, table)
        checks, _, _ = _reflected(inspect(db.engine), table.name)
        assert set(checks) - set(declared_checks) == {"ck_rounds_voting_has_manifest"}
    finally:
        table.constraints.add(dropped)


def test_the_moderation_reports_table_has_its_new_name(app, db):
    inspector = inspect(db.engine)
    names = inspector.get_table_names()
    assert "proposal_reports" in names
    assert "proposal_flags" not in names


def test_the_page_indexes_are_in_the_migrated_database(app, db):
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

    from app.web.extensions import db
    from tests.app.workflow.test_migrations import database_at

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
