"""languages: a person's language, the languages a council speaks, texts in more than one

Revision ID: 0017_languages
Revises: 0016_verification_day
Create Date: 2026-12-02 04:00:00.000000

- ``users.language``: the language a person chose (the switch on every page), used for what is
  sent to them; empty until they choose.
- ``councils.languages``: the languages a council speaks, in the order it shows them, as codes
  separated by spaces: ``en`` (English only), ``en cy`` (bilingual, English first), ``cy en``
  (bilingual, Welsh first).
- ``language`` and ``translations`` on councils, neighbourhoods, rounds, pots and proposals:
  the language the row's own text columns are in, and the same texts in other languages as
  ``{"<code>": {"<column>": "<text>"}}``. A proposal's author may write in either language
  only, or both.

Plain column additions with constant defaults: SQLite adds them in place (no table rebuild, so
the rounds' triggers are untouched).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_languages"
down_revision = "0016_verification_day"
branch_labels = None
depends_on = None

TEXT_TABLES = ("councils", "neighbourhoods", "rounds", "pots", "proposals")


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(8), nullable=True))
    op.add_column(
        "councils",
        sa.Column("languages", sa.String(40), nullable=False, server_default="en"),
    )
    for table in TEXT_TABLES:
        op.add_column(
            table, sa.Column("language", sa.String(8), nullable=False, server_default="en")
        )
        op.add_column(
            table, sa.Column("translations", sa.JSON(), nullable=False, server_default="{}")
        )


def _drop(table: str, column: str) -> None:
    # In place on SQLite too (3.35+ drops a column itself): a batch rebuild of rounds would
    # drop a table that others refer to, and lose its triggers.
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def downgrade() -> None:
    for table in reversed(TEXT_TABLES):
        _drop(table, "translations")
        _drop(table, "language")
    _drop("councils", "languages")
    _drop("users", "language")
