"""scheduled move failures: the last time the scheduler could not move a round, and why

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:20:00.000000

`flask advance-phases` moves every due round; when one round's move fails with an error (not
a precondition it reports), the others still move, and this row tells the round's officers
what failed and when until the round next moves.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PHASES = ("draft", "proposals", "review", "supports", "voting", "closed", "published", "delivery")


def upgrade():
    op.create_table(
        "scheduled_move_failures",
        sa.Column("round_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "target",
            sa.Enum(*PHASES, name="phase", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_scheduled_move_failures_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_scheduled_move_failures")),
    )


def downgrade():
    op.drop_table("scheduled_move_failures")
