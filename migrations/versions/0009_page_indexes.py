"""page indexes: what the public pages look up, found without reading whole tables

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:10:00.000000

Whether a round has its own roll (every voting and results page asks) looks for any roll
entry in the round's scope; the unique constraint on the roll starts with the council, so it
could only be answered by reading every council's roll. A round's ballots, and its log's
supersede and close entries, were found by reading every round's ballots and the whole log;
the round page loads the partners' contributions of the proposals it lists.

Turnout by neighbourhood, on the results page, counted every voter mark of the round on each
view; it is now counted once when voting closes, into ``round_turnout``. Rounds closed before
this migration have no rows there and are still counted from the marks.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_roll_entries_scope", "roll_entries", ["scope"]),
    ("ix_ballots_round_pot", "ballots", ["round_id", "pot_id"]),
    ("ix_ballot_log_round_kind", "ballot_log", ["round_id", "kind"]),
    ("ix_contributions_proposal", "contributions", ["proposal_id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_table(
        "round_turnout",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("voted", sa.Integer(), nullable=False),
        sa.Column("roll", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "voted >= 0 AND roll >= 0", name=op.f("ck_round_turnout_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhoods.id"],
            name=op.f("fk_round_turnout_neighbourhood_id_neighbourhoods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_turnout_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "neighbourhood_id", name=op.f("pk_round_turnout")),
    )


def downgrade():
    op.drop_table("round_turnout")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
