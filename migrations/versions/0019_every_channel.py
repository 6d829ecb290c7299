"""every channel: decision-day events and kiosks, more ways to be eligible, bulk paper ballots

Revision ID: 0019_every_channel
Revises: 0018_outbox
Create Date: 2026-12-03 13:00:00.000000

- ``voter_marks.channel`` may also be ``event``: a ballot cast at an event's kiosk.
- ``roll_entries``: ``email`` (a one-time code may be emailed there), ``name``, ``name_key``
  and ``uprn`` (for people who registered at a gazetteer address or in person), ``source``
  (how they came to be on the roll; empty: imported), and a unique index so a person (name,
  date of birth, address) is on a roll once.
- ``contact_codes``: six-digit codes texted or emailed to the contact on a roll entry.
- ``gazetteer_addresses``: the council's address list (UPRN, address, postcode, neighbourhood).
- ``registrations``: residents registering at a gazetteer address, approved at once or by an
  officer.
- ``events``, ``event_pots``, ``event_officers``: decision-day events of a round.
- ``check_ins``: a person checked in at an event, with the hash of their kiosk token.
- ``kiosks``: devices signed in as an event's kiosk.
- ``paper_batches``: a CSV of paper ballots between its reconciliation and the decision.
- ``councils.eligibility`` and ``.registrations_per_address``, ``rounds.eligibility``: the
  ways to become eligible. Existing councils keep the one they had: codes from the roll.

SQLite: the new columns are added in place; ``voter_marks`` is rebuilt for its new CHECK,
keeping its append-only triggers and WITHOUT ROWID (as 0014 does).
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0019_every_channel"
down_revision = "0018_outbox"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _rebuilt(table: str):
    """``batch_alter_table`` that keeps the table's SQLite triggers and WITHOUT ROWID."""
    triggers = []
    kwargs = {}
    if _sqlite():
        triggers = (
            op.get_bind()
            .exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
            .scalars()
            .all()
        )
        kwargs["table_kwargs"] = {"sqlite_with_rowid": False}
        kwargs["recreate"] = "always"
    with op.batch_alter_table(table, **kwargs) as batch:
        yield batch
    for sql in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {sql.split()[2]}")
        op.execute(sql)


def _channels(values: str) -> None:
    if _sqlite():
        bind = op.get_bind()
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    with _rebuilt("voter_marks") as batch:
        batch.drop_constraint(op.f("ck_voter_marks_channel"), type_="check")
        batch.create_check_constraint("channel", f"channel IN ({values})")
    if _sqlite():
        bind = op.get_bind()
        problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems}")
        raw = bind.connection.driver_connection
        if raw.in_transaction:
            raw.commit()
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    _channels("'online', 'paper', 'event'")
    op.add_column("roll_entries", sa.Column("email", sa.String(254), nullable=True))
    op.add_column("roll_entries", sa.Column("name", sa.String(200), nullable=True))
    op.add_column("roll_entries", sa.Column("name_key", sa.String(200), nullable=True))
    op.add_column("roll_entries", sa.Column("uprn", sa.String(12), nullable=True))
    op.add_column(
        "roll_entries",
        sa.Column(
            "source",
            sa.String(16),
            sa.CheckConstraint("source IN ('registered', 'in_person')", name="roll_source"),
            nullable=True,
        ),
    )
    op.create_index(
        "uq_roll_entries_person",
        "roll_entries",
        ["council_id", "scope", "name_key", "date_of_birth", "uprn"],
        unique=True,
    )
    op.create_index("ix_roll_entries_council_phone", "roll_entries", ["council_id", "phone"])
    op.create_index("ix_roll_entries_council_email", "roll_entries", ["council_id", "email"])
    op.add_column(
        "councils",
        sa.Column("eligibility", sa.String(80), server_default="code", nullable=False),
    )
    op.add_column(
        "councils",
        sa.Column(
            "registrations_per_address",
            sa.Integer(),
            sa.CheckConstraint(
                "registrations_per_address IS NULL OR registrations_per_address >= 0",
                name="registrations_per_address_not_negative",
            ),
            nullable=True,
        ),
    )
    op.add_column("rounds", sa.Column("eligibility", sa.String(80), nullable=True))

    op.create_table(
        "contact_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "council_id",
            sa.Integer(),
            sa.ForeignKey("councils.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "roll_entry_id",
            sa.Integer(),
            sa.ForeignKey("roll_entries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_tries", sa.Integer(), nullable=False),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="contact_code_channel"),
        sa.CheckConstraint("wrong_tries >= 0", name="contact_code_tries_not_negative"),
    )
    op.create_index("ix_contact_codes_user", "contact_codes", ["user_id", "council_id"])
    op.create_index("ix_contact_codes_roll_entry", "contact_codes", ["roll_entry_id"])

    op.create_table(
        "gazetteer_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "council_id",
            sa.Integer(),
            sa.ForeignKey("councils.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("uprn", sa.String(12), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(10), nullable=False),
        sa.Column("postcode_key", sa.String(8), nullable=False),
        sa.Column(
            "neighbourhood_id",
            sa.Integer(),
            sa.ForeignKey("neighbourhoods.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.UniqueConstraint("council_id", "uprn"),
        sa.CheckConstraint("length(uprn) > 0", name="uprn_not_empty"),
    )
    op.create_index(
        "ix_gazetteer_addresses_postcode", "gazetteer_addresses", ["council_id", "postcode_key"]
    )

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "council_id",
            sa.Integer(),
            sa.ForeignKey("councils.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column(
            "round_id", sa.Integer(), sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "address_id",
            sa.Integer(),
            sa.ForeignKey("gazetteer_addresses.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.String(16),
            sa.CheckConstraint(
                "state IN ('pending', 'approved', 'refused')", name="registration_state"
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "decided_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column(
            "roll_entry_id",
            sa.Integer(),
            sa.ForeignKey("roll_entries.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("user_id", "council_id", "scope"),
        sa.CheckConstraint(
            "state <> 'approved' OR roll_entry_id IS NOT NULL", name="approved_is_on_roll"
        ),
    )
    op.create_index("ix_registrations_council_state", "registrations", ["council_id", "state"])
    op.create_index("ix_registrations_address", "registrations", ["address_id"])

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "council_id",
            sa.Integer(),
            sa.ForeignKey("councils.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "round_id", sa.Integer(), sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="event_ends_after_start"),
        sa.CheckConstraint("length(name) > 0", name="event_name_not_empty"),
    )
    op.create_index("ix_events_round", "events", ["round_id"])
    op.create_table(
        "event_pots",
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "pot_id", sa.Integer(), sa.ForeignKey("pots.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "event_officers",
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "check_ins",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("rounds.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column(
            "roll_entry_id",
            sa.Integer(),
            sa.ForeignKey("roll_entries.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("pot_ids", sa.String(400), nullable=False),
        sa.Column(
            "checked_in_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("checked_in_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("roll_entry_id", "round_id"),
    )
    op.create_index("ix_check_ins_event", "check_ins", ["event_id"])
    op.create_table(
        "kiosks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "check_in_id",
            sa.String(32),
            sa.ForeignKey("check_ins.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("idle_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_kiosks_event", "kiosks", ["event_id"])
    op.create_table(
        "paper_batches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "round_id", sa.Integer(), sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("pot_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column(
            "state",
            sa.String(32),
            sa.CheckConstraint(
                "state IN ('checked', 'stored', 'discarded')", name="paper_batch_state"
            ),
            nullable=False,
        ),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_refused", sa.Integer(), nullable=False),
        sa.Column(
            "uploaded_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_paper_batches_pot_in_round",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("state = 'checked' OR content IS NULL", name="decided_batch_is_emptied"),
    )
    op.create_index("ix_paper_batches_round", "paper_batches", ["round_id"])


def _drop(table: str, column: str) -> None:
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def downgrade() -> None:
    events = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM voter_marks WHERE channel = 'event'"))
        .scalar()
    )
    if events:
        raise RuntimeError(
            f"{events} ballots were cast at events: this revision cannot be undone without "
            "losing them"
        )
    for table in (
        "paper_batches",
        "kiosks",
        "check_ins",
        "event_officers",
        "event_pots",
        "events",
        "registrations",
        "gazetteer_addresses",
        "contact_codes",
    ):
        op.drop_table(table)
    _drop("rounds", "eligibility")
    if not _sqlite():
        op.drop_constraint(
            op.f("ck_councils_registrations_per_address_not_negative"), "councils", type_="check"
        )
        op.drop_constraint(op.f("ck_roll_entries_roll_source"), "roll_entries", type_="check")
    _drop("councils", "registrations_per_address")
    _drop("councils", "eligibility")
    for index in (
        "ix_roll_entries_council_email",
        "ix_roll_entries_council_phone",
        "uq_roll_entries_person",
    ):
        op.drop_index(index, "roll_entries")
    for column in ("source", "uprn", "name_key", "name", "email"):
        _drop("roll_entries", column)
    _channels("'online', 'paper'")
