"""append-only results: a stored pot result can be neither changed nor deleted

Revision ID: 0013_append_only_results
Revises: 0012_code_tries
Create Date: 2026-12-01 16:00:00.000000

pot_results had a trigger refusing UPDATE (0008) but none refusing DELETE, so a result could
be removed (directly, or by deleting its round or pot, whose foreign keys cascade) and a
different one inserted. It now gets the trigger every other append-only table has (ballots,
receipts, voter_marks, ballot_log, audit_events): UPDATE and DELETE raise
"pot_results is append-only: ... refused". The narrower pot_results_fixed trigger of 0008 is
replaced by it.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_append_only_results"
down_revision = "0012_code_tries"
branch_labels = None
depends_on = None

RESULT_FIXED = "a stored pot result cannot change"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS pot_results_fixed ON pot_results")
        op.execute("DROP FUNCTION IF EXISTS devolve_result_fixed()")
        # The same function as 0001 and 0003 define (replaced with itself).
        op.execute(
            """
            CREATE OR REPLACE FUNCTION devolve_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER pot_results_append_only BEFORE UPDATE OR DELETE ON pot_results "
            "FOR EACH ROW EXECUTE FUNCTION devolve_append_only()"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS pot_results_fixed")
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER pot_results_no_{action.lower()} BEFORE {action} ON pot_results "
                f"BEGIN SELECT RAISE(ABORT, 'pot_results is append-only: {action} refused'); END"
            )


def downgrade():
    """Back to 0008's trigger, which refuses UPDATE only."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS pot_results_append_only ON pot_results")
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
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS pot_results_no_{action}")
        op.execute(
            "CREATE TRIGGER pot_results_fixed BEFORE UPDATE ON pot_results "
            f"BEGIN SELECT RAISE(ABORT, '{RESULT_FIXED}'); END"
        )
