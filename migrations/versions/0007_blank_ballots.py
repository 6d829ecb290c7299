"""blank ballots: whether a round accepts a ballot that chooses nothing

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:40:00.000000

New rounds refuse blank ballots unless an officer allows them. Rounds already in the database
keep what they had: those whose voting has opened froze their rules in the manifest (which
then has no ``allow_blank_ballots`` key and is read as allowing them); the others start with
blank ballots refused, like any new round, and an officer can allow them before voting opens.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "rounds",
        sa.Column(
            "allow_blank_ballots", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )


def downgrade():
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("allow_blank_ballots")
