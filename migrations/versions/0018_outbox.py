"""outbox: messages written with what causes them, opt-outs, posted codes, voting reminders

Revision ID: 0018_outbox
Revises: 0017_languages
Create Date: 2026-12-02 09:00:00.000000

- ``messages``: one row per message to one person (docs/messages.md), written in the
  transaction of the event that causes it and delivered by ``flask send-messages``. A random
  key, and no creation time for the kinds that follow a ballot.
- ``message_opt_outs``: a person's "do not send me these".
- ``roll_entries.address``, ``.phone`` and ``.language``: where a voting code is posted or
  texted, and in which language, imported with the roll.
- ``rounds.reminder_days`` and ``.reminder_queued_at``: the reminder before voting closes.
  Rounds made before this revision have none (empty); new rounds default to 3 days.

The new columns are added in place (SQLite too: a column's own CHECK is allowed by ADD
COLUMN), so no table that others refer to is rebuilt and no trigger is lost.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_outbox"
down_revision = "0017_languages"
branch_labels = None
depends_on = None

CHANNELS = "'email', 'sms', 'letter'"
STATES = "'queued', 'sending', 'sent', 'failed', 'cancelled'"


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column(
            "channel",
            sa.String(32),
            sa.CheckConstraint(f"channel IN ({CHANNELS})", name="message_channel"),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.String(32),
            sa.CheckConstraint(f"state IN ({STATES})", name="message_state"),
            nullable=False,
        ),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=True),
        sa.Column(
            "council_id",
            sa.Integer(),
            sa.ForeignKey("councils.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("about", sa.String(64), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        sa.CheckConstraint(
            "purged_at IS NULL OR (recipient IS NULL AND data IS NULL)", name="purged_is_empty"
        ),
        sa.CheckConstraint(
            "state <> 'sending' OR (claim IS NOT NULL AND claimed_until IS NOT NULL)",
            name="sending_is_claimed",
        ),
    )
    op.create_index("ix_messages_due", "messages", ["state", "channel", "available_at"])
    op.create_index("ix_messages_channel_sent", "messages", ["channel", "sent_at"])
    op.create_index("ix_messages_about", "messages", ["kind", "about"])
    op.create_index("ix_messages_council_state", "messages", ["council_id", "state"])
    op.create_table(
        "message_opt_outs",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("topic", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("roll_entries", sa.Column("address", sa.Text(), nullable=True))
    op.add_column("roll_entries", sa.Column("phone", sa.String(20), nullable=True))
    op.add_column("roll_entries", sa.Column("language", sa.String(8), nullable=True))
    op.add_column(
        "rounds",
        sa.Column(
            "reminder_days",
            sa.Integer(),
            sa.CheckConstraint(
                "reminder_days IS NULL OR (reminder_days >= 1 AND reminder_days <= 60)",
                name="reminder_days_range",
            ),
            nullable=True,
        ),
    )
    op.add_column("rounds", sa.Column("reminder_queued_at", sa.DateTime(timezone=True), nullable=True))


def _drop(table: str, column: str) -> None:
    # In place on SQLite too (3.35+), as 0017 does: no rebuild of tables others refer to.
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def downgrade() -> None:
    _drop("rounds", "reminder_queued_at")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("reminder_days_range", "rounds", type_="check")
    _drop("rounds", "reminder_days")
    _drop("roll_entries", "language")
    _drop("roll_entries", "phone")
    _drop("roll_entries", "address")
    op.drop_table("message_opt_outs")
    op.drop_index("ix_messages_council_state", "messages")
    op.drop_index("ix_messages_about", "messages")
    op.drop_index("ix_messages_channel_sent", "messages")
    op.drop_index("ix_messages_due", "messages")
    op.drop_table("messages")
