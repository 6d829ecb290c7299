"""code tries: wrong tries slow a reference down instead of killing its code; references
matched without regard to case, spaces or punctuation

Revision ID: 0012_code_tries
Revises: 0011_sessions_two_factor
Create Date: 2026-12-01 16:00:00.000000

``roll_entries.reference_key`` is each reference as it is matched (upper-cased, letters and
digits only), filled in here for every existing entry; the migration stops, naming them, if
two references of one roll become the same, for the council to correct first. It is added
without rebuilding ``roll_entries`` (whose rebuild on SQLite would cascade into codes and
verifications), so on SQLite the column keeps an empty-text server default, never used.

``verification_codes.wrong_tries`` goes: codes no longer stop working after wrong tries. The
tries they had counted are carried into ``code_tries``, one row per council and reference, so
the officers still see a reference that was under attack.
"""

import unicodedata
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_code_tries"
down_revision = "0011_sessions_two_factor"
branch_labels = None
depends_on = None


def reference_key(reference: str) -> str:
    """``ballots.models.reference_key`` as it was when this migration was written."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", reference).upper() if ch.isalnum())


def upgrade():
    bind = op.get_bind()
    entries = sa.table(
        "roll_entries",
        sa.column("id"),
        sa.column("council_id"),
        sa.column("scope"),
        sa.column("reference"),
        sa.column("reference_key"),
    )
    rows = bind.execute(
        sa.select(entries.c.id, entries.c.council_id, entries.c.scope, entries.c.reference)
    ).all()
    seen = defaultdict(list)
    for row in rows:
        seen[(row.council_id, row.scope, reference_key(row.reference))].append(row.reference)
    clashes = [refs for (_, _, key), refs in seen.items() if len(refs) > 1 or not key]
    if clashes:
        raise RuntimeError(
            "These roll references are the same once case, spaces and punctuation are "
            f"ignored (or have no letter or digit); correct them first: {clashes}"
        )
    # Checked before anything changes: SQLite's DDL is not rolled back.
    op.add_column(
        "roll_entries",
        sa.Column("reference_key", sa.String(length=64), nullable=False, server_default=""),
    )
    if rows:  # one executemany: a council's roll can hold hundreds of thousands of people
        bind.execute(
            entries.update()
            .where(entries.c.id == sa.bindparam("entry_id"))
            .values(reference_key=sa.bindparam("key")),
            [{"entry_id": row.id, "key": reference_key(row.reference)} for row in rows],
        )
    if bind.dialect.name != "sqlite":
        op.alter_column("roll_entries", "reference_key", server_default=None)
    op.create_index(
        "uq_roll_entries_council_reference_key_scope",
        "roll_entries",
        ["council_id", "reference_key", "scope"],
        unique=True,
    )

    op.create_table(
        "code_tries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("reference_key", sa.String(length=64), nullable=False),
        sa.Column("wrong_tries", sa.Integer(), nullable=False),
        sa.Column("first_wrong_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_wrong_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("wrong_tries >= 0", name=op.f("ck_code_tries_wrong_tries_not_negative")),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_code_tries_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_tries")),
        sa.UniqueConstraint(
            "council_id", "reference_key", name=op.f("uq_code_tries_council_id_reference_key")
        ),
    )
    op.create_index(
        "ix_code_tries_council_tries", "code_tries", ["council_id", "wrong_tries"], unique=False
    )

    codes = sa.table("verification_codes", sa.column("roll_entry_id"), sa.column("wrong_tries"))
    counted = bind.execute(
        sa.select(entries.c.council_id, entries.c.reference, sa.func.max(codes.c.wrong_tries))
        .join(codes, codes.c.roll_entry_id == entries.c.id)
        .where(codes.c.wrong_tries > 0)
        .group_by(entries.c.council_id, entries.c.reference)
    ).all()
    tries = defaultdict(int)
    for council_id, reference, wrong in counted:
        key = (council_id, reference_key(reference))
        tries[key] = max(tries[key], wrong)
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as the app stores times there: UTC, without a zone
    if tries:
        op.bulk_insert(
            sa.table(
                "code_tries",
                sa.column("council_id"),
                sa.column("reference_key"),
                sa.column("wrong_tries"),
                sa.column("first_wrong_at", sa.DateTime(timezone=True)),
                sa.column("last_wrong_at", sa.DateTime(timezone=True)),
            ),
            [
                {
                    "council_id": c,
                    "reference_key": k,
                    "wrong_tries": n,
                    "first_wrong_at": now,
                    "last_wrong_at": now,
                }
                for (c, k), n in sorted(tries.items())
            ],
        )
    # verification_codes is rebuilt on SQLite: nothing refers to it, so nothing cascades.
    with op.batch_alter_table("verification_codes") as batch:
        batch.drop_constraint(op.f("ck_verification_codes_wrong_tries_not_negative"), type_="check")
        batch.drop_column("wrong_tries")


def downgrade():
    with op.batch_alter_table("verification_codes") as batch:
        batch.add_column(sa.Column("wrong_tries", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            op.f("ck_verification_codes_wrong_tries_not_negative"), "wrong_tries >= 0"
        )
    op.drop_index("ix_code_tries_council_tries", table_name="code_tries")
    op.drop_table("code_tries")
    op.drop_index("uq_roll_entries_council_reference_key_scope", table_name="roll_entries")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Dropped without a rebuild (SQLite 3.35+): nothing else refers to the column.
        bind.exec_driver_sql("ALTER TABLE roll_entries DROP COLUMN reference_key")
    else:
        op.drop_column("roll_entries", "reference_key")
