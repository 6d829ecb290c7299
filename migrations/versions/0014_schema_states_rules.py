"""the schema states the rules the code relies on

Revision ID: 0014_schema_states_rules
Revises: 0013_append_only_results
Create Date: 2026-12-01 20:30:00.000000

- Ballots, voter marks and pot results name their round and their pot: a composite foreign key
  (pot_id, round_id) -> pots (id, round_id) now makes the pot one of that round's (it replaces
  the foreign key on pot_id alone, with the same ON DELETE).
- CHECK constraints: a round in voting or later has its manifest; ballot kinds, rules and
  tie-breaks are names votes/ knows (on rounds and pot_results); a points cap is at most the
  points; pot results' fingerprints are SHA-256 hex; a money pledge is more than nothing; a
  delivered project is 100% complete.
- proposal_flags becomes proposal_reports (the model's name), its constraints and sequence
  renamed to match. The audit action "proposal.flagged" is history and stays.

The lists of names below are copied, not imported: a migration describes the schema as it was
when written, and tests/app/workflow/test_schema_matches_models.py fails when the code's lists move on
without a migration.

SQLite alters a table by rebuilding it (batch mode). The rebuild drops the table's triggers
(the append-only and fixed-fingerprint ones), so they are read from sqlite_master first and
created again after; foreign keys are switched off for the rebuild and checked after, so
dropping the old ``rounds`` cascades into nothing. The upgrade switches them on again; the
downgrade leaves them off for the older downgrades that follow it (see ``downgrade``).

A database with a round in voting or later and no manifest is refused before anything changes,
naming the rounds: a manifest cannot honestly be made up after the ballots.
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_schema_states_rules"
down_revision = "0013_append_only_results"
branch_labels = None
depends_on = None

BALLOT_KINDS = ["approval", "cumulative", "knapsack", "ranked", "single-choice"]
RULE_NAMES = [
    "greedy",
    "greedy-per-cost",
    "irv",
    "max-welfare",
    "mes",
    "mes-add1",
    "mes-cardinality",
    "mes-greedy",
    "phragmen",
    "plurality",
]
TIE_BREAKS = ["cost-votes", "lexicographic"]
PHASES_WITH_MANIFEST = ["voting", "closed", "published", "delivery"]


def _one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({_sql_list(values)})"


def _sql_list(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


CHECKS = {
    "rounds": [
        (
            "ck_rounds_voting_has_manifest",
            f"phase NOT IN ({_sql_list(PHASES_WITH_MANIFEST)}) "
            "OR (manifest_json IS NOT NULL AND manifest_hash IS NOT NULL)",
        ),
        ("ck_rounds_ballot_kind_known", _one_of("ballot_kind", BALLOT_KINDS)),
        ("ck_rounds_rule_known", _one_of("rule", RULE_NAMES)),
        ("ck_rounds_tie_break_known", _one_of("tie_break", TIE_BREAKS)),
        (
            "ck_rounds_points_cap_within_points",
            "points IS NULL OR max_points_per_project IS NULL OR max_points_per_project <= points",
        ),
    ],
    "pot_results": [
        ("ck_pot_results_rule_known", _one_of("rule", RULE_NAMES)),
        ("ck_pot_results_tie_break_known", _one_of("tie_break", TIE_BREAKS)),
        ("ck_pot_results_manifest_hash_sha256", "length(manifest_hash) = 64"),
        ("ck_pot_results_log_head_hash_sha256", "length(log_head_hash) = 64"),
    ],
    "contributions": [
        ("ck_contributions_money_amount_positive", "kind <> 'money' OR amount_pence > 0"),
    ],
    "delivery_updates": [
        (
            "ck_delivery_updates_delivered_is_complete",
            "status <> 'delivered' OR percent_complete = 100",
        ),
    ],
}

# The tables whose pot must be a pot of their round, and their pot foreign key's ON DELETE.
POT_IN_ROUND = {"voter_marks": "RESTRICT", "ballots": "RESTRICT", "pot_results": "CASCADE"}
# Stored in key order, not insertion order (ballots/models.py): kept through the rebuild.
WITHOUT_ROWID = {"voter_marks", "ballots"}
# Each altered once (on SQLite, one rebuild each).
TABLES = list(dict.fromkeys([*CHECKS, *POT_IN_ROUND]))


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _sqlite_foreign_keys(on: bool) -> None:
    """Off for the rebuilds; then checked, the rebuilds committed and on again.

    The pragma does nothing inside a transaction, and copying rows into a rebuilt table opens
    one: without the commit the connection would go back to the app's pool with foreign keys
    off. The commit ends this migration's transaction early; alembic stamps the version in
    the next one."""
    bind = op.get_bind()
    if on:
        problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems}")
        raw = bind.connection.driver_connection
        if raw.in_transaction:
            raw.commit()
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if bool(bind.exec_driver_sql("PRAGMA foreign_keys").scalar()) != on:
        # Off inside a transaction would leave rebuilding rounds to cascade into its pots and
        # proposals: refuse rather than lose rows.
        raise RuntimeError(f"SQLite foreign keys could not be switched {'on' if on else 'off'}")


@contextmanager
def _altered(table: str, **kwargs):
    """``batch_alter_table`` that keeps the table's SQLite triggers and WITHOUT ROWID."""
    triggers = []
    if _sqlite():
        triggers = (
            op.get_bind()
            .exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
            .scalars()
            .all()
        )
        if table in WITHOUT_ROWID:
            kwargs["table_kwargs"] = {"sqlite_with_rowid": False}
    with op.batch_alter_table(table, **kwargs) as batch:
        yield batch
    for sql in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {sql.split()[2]}")
        op.execute(sql)


def _report_table(name: str) -> sa.Table:
    """The moderation reports' table as it is called ``name``, its constraints named for it."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=f"fk_{name}_proposal_id_proposals",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{name}_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("proposal_id", "user_id", name=f"uq_{name}_proposal_id_user_id"),
    )


def _rename_reports(old: str, new: str) -> None:
    op.rename_table(old, new)
    if _sqlite():
        # Rebuilt from the new definition, so the constraints inside CREATE TABLE carry the
        # new name (SQLite cannot rename a constraint).
        with op.batch_alter_table(new, copy_from=_report_table(new), recreate="always"):
            pass
        return
    # PostgreSQL renames a primary key's or unique constraint's index with it.
    for constraint in ("pk_{}", "fk_{}_proposal_id_proposals", "fk_{}_user_id_users"):
        op.execute(
            f"ALTER TABLE {new} RENAME CONSTRAINT {constraint.format(old)} "
            f"TO {constraint.format(new)}"
        )
    op.execute(
        f"ALTER TABLE {new} RENAME CONSTRAINT uq_{old}_proposal_id_user_id "
        f"TO uq_{new}_proposal_id_user_id"
    )
    op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq")


def _refuse_rounds_without_manifest() -> None:
    """A round in voting or later without a manifest cannot be given one after the fact (its
    ballots were not checked against it): say which rounds, rather than a bare CHECK error."""
    stranded = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT id FROM rounds WHERE phase IN ({_sql_list(PHASES_WITH_MANIFEST)}) "
                "AND (manifest_json IS NULL OR manifest_hash IS NULL) ORDER BY id"
            )
        )
        .scalars()
        .all()
    )
    if stranded:
        raise RuntimeError(
            "rounds in voting or later without a manifest (ids "
            f"{', '.join(map(str, stranded))}): move them back to a phase before voting, or "
            "freeze their manifest, then upgrade again"
        )


def upgrade():
    _refuse_rounds_without_manifest()
    if _sqlite():
        _sqlite_foreign_keys(False)
    for table in TABLES:
        with _altered(table) as batch:
            for name, condition in CHECKS.get(table, []):
                batch.create_check_constraint(op.f(name), condition)
            if table in POT_IN_ROUND:
                batch.drop_constraint(op.f(f"fk_{table}_pot_id_pots"), type_="foreignkey")
                batch.create_foreign_key(
                    op.f(f"fk_{table}_pot_in_round"),
                    "pots",
                    ["pot_id", "round_id"],
                    ["id", "round_id"],
                    ondelete=POT_IN_ROUND[table],
                )
    _rename_reports("proposal_flags", "proposal_reports")
    if _sqlite():
        _sqlite_foreign_keys(True)


def downgrade():
    if _sqlite():
        _sqlite_foreign_keys(False)
    _rename_reports("proposal_reports", "proposal_flags")
    for table in TABLES:
        with _altered(table) as batch:
            if table in POT_IN_ROUND:
                batch.drop_constraint(op.f(f"fk_{table}_pot_in_round"), type_="foreignkey")
                batch.create_foreign_key(
                    op.f(f"fk_{table}_pot_id_pots"),
                    "pots",
                    ["pot_id"],
                    ["id"],
                    ondelete=POT_IN_ROUND[table],
                )
            for name, _ in CHECKS.get(table, []):
                batch.drop_constraint(op.f(name), type_="check")
    if _sqlite():
        # Checked, and left off: the older downgrades run after this one (0008's rebuilds
        # rounds) rely on foreign keys being off, and inside their transaction they
        # cannot switch them off themselves. A new connection has them on again.
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems}")
