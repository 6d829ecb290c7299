"""delivery updates: officers' dated progress on funded projects

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "delivery_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "delayed",
                "delivered",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("percent_complete", sa.Integer(), nullable=False),
        sa.Column("spent_pence", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "percent_complete >= 0 AND percent_complete <= 100",
            name=op.f("ck_delivery_updates_percent_in_range"),
        ),
        sa.CheckConstraint("spent_pence >= 0", name=op.f("ck_delivery_updates_spent_not_negative")),
        sa.CheckConstraint("length(note) > 0", name=op.f("ck_delivery_updates_note_not_empty")),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_delivery_updates_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_delivery_updates_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_updates")),
    )
    op.create_index(
        "ix_delivery_updates_proposal", "delivery_updates", ["proposal_id", "happened_on"]
    )


def downgrade():
    op.drop_index("ix_delivery_updates_proposal", table_name="delivery_updates")
    op.drop_table("delivery_updates")
