"""the secret ballot: trustees, the round's key, and a closed pot's mixes, decryptions and
decrypted ballots

Revision ID: 0015_secret_ballot
Revises: 0014_schema_states_rules
Create Date: 2026-12-01 23:00:00.000000

New tables only (docs/secrecy.md), so nothing existing is rebuilt and every round made before
this stays as it is, with no ``round_secrecy`` row: a plain round.

- ``round_secrecy``: a round whose ballots are encrypted: t, the trustee mixes required, the
  key ceremony and the key document once made;
- ``round_trustees``: a round's trustees and what they uploaded (all of it public);
- ``ballot_mixes``, ``ballot_decryptions``, ``decrypted_ballots``: the ballot box after an
  encrypted round closes. Append-only, like the ballots (the same trigger function as 0003).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_secret_ballot"
down_revision = "0014_schema_states_rules"
branch_labels = None
depends_on = None

APPEND_ONLY = ("ballot_mixes", "ballot_decryptions", "decrypted_ballots")


def _pot_in_round(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["pot_id", "round_id"],
        ["pots.id", "pots.round_id"],
        name=f"fk_{table}_pot_in_round",
        ondelete="RESTRICT",
    )


def upgrade():
    op.create_table(
        "round_secrecy",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("trustee_mixes", sa.Integer(), nullable=False),
        sa.Column("ceremony", sa.Text(), nullable=True),
        sa.Column("key_document", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "version IN ('encrypted-v1')", name=op.f("ck_round_secrecy_version_known")
        ),
        sa.CheckConstraint("threshold >= 2", name=op.f("ck_round_secrecy_threshold_from_two")),
        sa.CheckConstraint(
            "trustee_mixes >= 0", name=op.f("ck_round_secrecy_trustee_mixes_not_negative")
        ),
        sa.CheckConstraint(
            "key_document IS NULL OR ceremony IS NOT NULL",
            name=op.f("ck_round_secrecy_key_needs_ceremony"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_secrecy_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_round_secrecy")),
    )
    op.create_table(
        "round_trustees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("transport_key", sa.String(length=64), nullable=True),
        sa.Column("key_part", sa.Text(), nullable=True),
        sa.Column("key_check", sa.Text(), nullable=True),
        sa.Column("held_challenge", sa.String(length=64), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("position >= 1", name=op.f("ck_round_trustees_position_from_one")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_round_trustees_name_not_empty")),
        sa.CheckConstraint(
            "key_check IS NULL OR key_part IS NOT NULL",
            name=op.f("ck_round_trustees_check_needs_part"),
        ),
        sa.CheckConstraint(
            "key_part IS NULL OR transport_key IS NOT NULL",
            name=op.f("ck_round_trustees_part_needs_transport_key"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_trustees_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_trustees")),
        sa.UniqueConstraint(
            "round_id", "position", name=op.f("uq_round_trustees_round_id_position")
        ),
        sa.UniqueConstraint(
            "round_id", "transport_key", name=op.f("uq_round_trustees_round_id_transport_key")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_round_trustees_token_hash")),
    )
    op.create_table(
        "ballot_mixes",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("pot_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mixed_by", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_ballot_mixes_number_from_one")),
        _pot_in_round("ballot_mixes"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_ballot_mixes_round_id_rounds"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("round_id", "pot_id", "number", name=op.f("pk_ballot_mixes")),
    )
    op.create_table(
        "ballot_decryptions",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("pot_id", sa.Integer(), nullable=False),
        sa.Column("trustee", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.CheckConstraint("trustee >= 1", name=op.f("ck_ballot_decryptions_trustee_from_one")),
        _pot_in_round("ballot_decryptions"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_ballot_decryptions_round_id_rounds"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "pot_id", "trustee", name=op.f("pk_ballot_decryptions")
        ),
    )
    op.create_table(
        "decrypted_ballots",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("pot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.CheckConstraint("position >= 1", name=op.f("ck_decrypted_ballots_position_from_one")),
        _pot_in_round("decrypted_ballots"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_decrypted_ballots_round_id_rounds"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "pot_id", "position", name=op.f("pk_decrypted_ballots")
        ),
    )
    for table in APPEND_ONLY:
        _append_only(table)


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION devolve_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION devolve_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )


def downgrade():
    for table in reversed(APPEND_ONLY):
        op.drop_table(table)  # its triggers go with it
    op.drop_table("round_trustees")
    op.drop_table("round_secrecy")
