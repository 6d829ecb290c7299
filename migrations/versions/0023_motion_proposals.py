"""motion proposals: members propose a motion for a draft meeting, and another member seconds it

Revision ID: 0023_motion_proposals
Revises: 0022_meeting_cards
Create Date: 2026-12-04 19:40:00.000000

- ``motion_proposals``: a motion (or amendment) a member proposes for a draft meeting, naming
  the member they ask to second it (``ck_motion_proposals_seconder_not_proposer``), with its
  threshold as a motion has it; ``state`` is waiting, seconded, declined or withdrawn
  (``ck_motion_proposals_proposal_state``), decided at ``decided_at`` unless it waits
  (``ck_motion_proposals_decided_unless_waiting``); ``item_id`` is the motion tabled when it
  was seconded. A table of its own rather than a state of ``meeting_items``: a proposal is
  not on the agenda, and nothing that reads the agenda has to leave it out.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_motion_proposals"
down_revision = "0022_meeting_cards"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "motion_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column("seconder_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column(
            "threshold",
            sa.Enum(
                "ordinary",
                "special",
                "other",
                name="threshold_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("threshold_numerator", sa.Integer(), nullable=True),
        sa.Column("threshold_denominator", sa.Integer(), nullable=True),
        sa.Column("threshold_more_than", sa.Boolean(), nullable=True),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "waiting",
                "seconded",
                "declined",
                "withdrawn",
                name="proposal_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "proposer_id <> seconder_id", name=op.f("ck_motion_proposals_seconder_not_proposer")
        ),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_motion_proposals_title_not_empty")),
        sa.CheckConstraint(
            "threshold_numerator IS NULL OR (threshold_denominator > 0 AND "
            "2 * threshold_numerator >= threshold_denominator AND "
            "threshold_numerator <= threshold_denominator)",
            name=op.f("ck_motion_proposals_threshold_from_half_to_all"),
        ),
        sa.CheckConstraint(
            "(state = 'waiting') = (decided_at IS NULL)",
            name=op.f("ck_motion_proposals_decided_unless_waiting"),
        ),
        sa.ForeignKeyConstraint(
            ["amends_id"],
            ["meeting_items.id"],
            name=op.f("fk_motion_proposals_amends_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_items.id"],
            name=op.f("fk_motion_proposals_item_id_meeting_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_motion_proposals_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"],
            ["members.id"],
            name=op.f("fk_motion_proposals_proposer_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["seconder_id"],
            ["members.id"],
            name=op.f("fk_motion_proposals_seconder_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_motion_proposals")),
    )
    with op.batch_alter_table("motion_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_motion_proposals_meeting", ["meeting_id"], unique=False)
        batch_op.create_index("ix_motion_proposals_proposer", ["proposer_id"], unique=False)
        batch_op.create_index(
            "ix_motion_proposals_seconder", ["seconder_id", "state"], unique=False
        )


def downgrade():
    with op.batch_alter_table("motion_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_motion_proposals_seconder")
        batch_op.drop_index("ix_motion_proposals_proposer")
        batch_op.drop_index("ix_motion_proposals_meeting")
    op.drop_table("motion_proposals")
