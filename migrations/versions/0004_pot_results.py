"""pot results: each closed pot's stored tally

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pot_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("pot_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("tie_break", sa.String(length=32), nullable=False),
        sa.Column("manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("log_head_hash", sa.String(length=64), nullable=False),
        sa.Column("ballot_count", sa.Integer(), nullable=False),
        sa.Column("withheld", sa.Boolean(), nullable=False),
        sa.Column("outcome_json", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ballot_count >= 0", name=op.f("ck_pot_results_ballot_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["pot_id"], ["pots.id"], name=op.f("fk_pot_results_pot_id_pots"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_pot_results_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pot_results")),
        sa.UniqueConstraint("round_id", "pot_id", name=op.f("uq_pot_results_round_id_pot_id")),
    )


def downgrade():
    op.drop_table("pot_results")
