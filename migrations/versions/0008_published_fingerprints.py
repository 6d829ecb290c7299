"""published fingerprints: the sealed log head on the round, and neither it nor the manifest
can change once published

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:40:00.000000

The manifest hash is published when voting opens and the ballot log's head when voting
closes. Triggers refuse, in the database itself, any UPDATE that changes either once it is
set, and any UPDATE of a stored pot result; so a rewrite has to get past the database as well
as past the auditors who were sent the fingerprints. Rounds closed before this migration take
their sealed head from their log's close entry.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# No apostrophes: these go inside SQL string literals.
MANIFEST_FIXED = "the manifest of a round cannot change once voting has opened"
HEAD_FIXED = "the sealed ballot log head of a round cannot change once voting has closed"
RESULT_FIXED = "a stored pot result cannot change"


def upgrade():
    op.add_column("rounds", sa.Column("log_head_hash", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE rounds SET log_head_hash = (SELECT entry_hash FROM ballot_log "
        "WHERE ballot_log.round_id = rounds.id AND ballot_log.kind = 'close')"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION devolve_fingerprints_fixed() RETURNS trigger AS $$
            BEGIN
                IF OLD.manifest_hash IS NOT NULL AND (
                    NEW.manifest_hash IS DISTINCT FROM OLD.manifest_hash
                    OR NEW.manifest_json IS DISTINCT FROM OLD.manifest_json
                ) THEN
                    RAISE EXCEPTION '{MANIFEST_FIXED}';
                END IF;
                IF OLD.log_head_hash IS NOT NULL
                    AND NEW.log_head_hash IS DISTINCT FROM OLD.log_head_hash THEN
                    RAISE EXCEPTION '{HEAD_FIXED}';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER rounds_fingerprints_fixed BEFORE UPDATE ON rounds "
            "FOR EACH ROW EXECUTE FUNCTION devolve_fingerprints_fixed()"
        )
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION devolve_result_fixed() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{RESULT_FIXED}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER pot_results_fixed BEFORE UPDATE ON pot_results "
            "FOR EACH ROW EXECUTE FUNCTION devolve_result_fixed()"
        )
    else:
        op.execute(
            "CREATE TRIGGER rounds_manifest_fixed BEFORE UPDATE OF manifest_hash, manifest_json "
            "ON rounds WHEN OLD.manifest_hash IS NOT NULL AND ("
            "NEW.manifest_hash IS NOT OLD.manifest_hash "
            "OR NEW.manifest_json IS NOT OLD.manifest_json) "
            f"BEGIN SELECT RAISE(ABORT, '{MANIFEST_FIXED}'); END"
        )
        op.execute(
            "CREATE TRIGGER rounds_log_head_fixed BEFORE UPDATE OF log_head_hash ON rounds "
            "WHEN OLD.log_head_hash IS NOT NULL AND NEW.log_head_hash IS NOT OLD.log_head_hash "
            f"BEGIN SELECT RAISE(ABORT, '{HEAD_FIXED}'); END"
        )
        op.execute(
            "CREATE TRIGGER pot_results_fixed BEFORE UPDATE ON pot_results "
            f"BEGIN SELECT RAISE(ABORT, '{RESULT_FIXED}'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rounds_fingerprints_fixed ON rounds")
        op.execute("DROP TRIGGER IF EXISTS pot_results_fixed ON pot_results")
        op.execute("DROP FUNCTION IF EXISTS devolve_fingerprints_fixed()")
        op.execute("DROP FUNCTION IF EXISTS devolve_result_fixed()")
    else:
        for name in ("rounds_manifest_fixed", "rounds_log_head_fixed", "pot_results_fixed"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("log_head_hash")
