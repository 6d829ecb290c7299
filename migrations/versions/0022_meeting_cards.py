"""meeting cards and kiosks: members vote in the room at a meeting's kiosks with a voting card

Revision ID: 0022_meeting_cards
Revises: 0021_meetings
Create Date: 2026-12-03 19:30:00.000000

- ``meeting_cards``: a member's voting card for one meeting, given at the door; only the
  code's SHA-256 is kept (``code_hash``, unique); a new card revokes the old one, so at most
  one card is in force per member and meeting (``uq_meeting_cards_in_force``, partial); the
  card belongs to one of the meeting's voters (``fk_meeting_cards_voter``);
- ``meeting_kiosks``: a device an officer made a kiosk for a meeting (its secret's SHA-256),
  with the card in use at it now and when it falls back to its start screen. A table of its
  own rather than a meeting column on ``kiosks``: an event's kiosk holds a check-in, and the
  events' queries of their kiosks stay as they are.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_meeting_cards"
down_revision = "0021_meetings"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_meeting_cards_issued_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id", "member_id"],
            ["meeting_voters.meeting_id", "meeting_voters.member_id"],
            name="fk_meeting_cards_voter",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_cards")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_meeting_cards_code_hash")),
    )
    with op.batch_alter_table("meeting_cards", schema=None) as batch_op:
        batch_op.create_index(
            "uq_meeting_cards_in_force",
            ["meeting_id", "member_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.create_table(
        "meeting_kiosks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("idle_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["meeting_cards.id"],
            name=op.f("fk_meeting_kiosks_card_id_meeting_cards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_meeting_kiosks_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_kiosks_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_kiosks")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_meeting_kiosks_token_hash")),
    )
    with op.batch_alter_table("meeting_kiosks", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_kiosks_meeting", ["meeting_id"], unique=False)


def downgrade():
    with op.batch_alter_table("meeting_kiosks", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_kiosks_meeting")
    op.drop_table("meeting_kiosks")
    with op.batch_alter_table("meeting_cards", schema=None) as batch_op:
        batch_op.drop_index("uq_meeting_cards_in_force")
    op.drop_table("meeting_cards")
