"""verification day: a verification, and the code that made it, keep the day and no finer time

Revision ID: 0016_verification_day
Revises: 0015_secret_ballot
Create Date: 2026-12-02 10:00:00.000000

Someone who verifies their account and then votes straight away gave, in
``verifications.created_at`` and ``verification_codes.used_at``, the moment they voted to the
second, and the times of all the verifications put the voters in the order of the ballot log.
Both become the day in London that time fell on:

- ``verifications.created_at`` (a timestamp, UTC) becomes ``verified_on`` (a date);
- ``verification_codes.used_at`` becomes ``used_on`` (a date, still empty for a code not yet
  used: the compare-and-set that uses a code once is on it being empty).

Existing rows are converted, each UTC time to its Europe/London date. The downgrade gives each
day back as the instant it began in London (the times are gone for good).

Neither table has triggers, and nothing refers to either, so SQLite's rebuild of them in batch
mode cascades into nothing.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_verification_day"
down_revision = "0015_secret_ballot"
branch_labels = None
depends_on = None

LONDON = ZoneInfo("Europe/London")
# (table, the time it had, the day it keeps, whether every row has one)
COLUMNS = (
    ("verifications", "created_at", "verified_on", True),
    ("verification_codes", "used_at", "used_on", False),
)


def london_date(value: datetime) -> date:
    """The day in London at ``value``, a time stored in UTC (SQLite keeps it without a zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON).date()


def london_midnight(day: date) -> datetime:
    """The instant (UTC) the London day ``day`` began."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def _convert(table: str, source: str, target: str, source_type, target_type, change) -> None:
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column(source, source_type))
    values = [
        {"row_id": row_id, "value": change(value)}
        for row_id, value in bind.execute(
            sa.select(rows.c.id, rows.c[source]).where(rows.c[source].is_not(None))
        )
    ]
    if values:  # one executemany
        written = sa.table(table, sa.column("id"), sa.column(target, target_type))
        bind.execute(
            written.update()
            .where(written.c.id == sa.bindparam("row_id"))
            .values({target: sa.bindparam("value")}),
            values,
        )


def _sqlite_time(value: datetime) -> datetime:
    # As the app stores times on SQLite: UTC, without a zone.
    return value.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else value


def upgrade():
    for table, old, new, required in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(new, sa.Date(), nullable=True))
        _convert(table, old, new, sa.DateTime(timezone=True), sa.Date(), london_date)
        with op.batch_alter_table(table) as batch:
            batch.drop_column(old)
            if required:
                batch.alter_column(new, existing_type=sa.Date(), nullable=False)


def downgrade():
    for table, old, new, required in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(old, sa.DateTime(timezone=True), nullable=True))
        _convert(
            table,
            new,
            old,
            sa.Date(),
            sa.DateTime(timezone=True),
            lambda day: _sqlite_time(london_midnight(day)),
        )
        with op.batch_alter_table(table) as batch:
            batch.drop_column(new)
            if required:
                batch.alter_column(old, existing_type=sa.DateTime(timezone=True), nullable=False)
