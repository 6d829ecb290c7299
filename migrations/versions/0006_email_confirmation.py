"""email confirmation: when each person confirmed their account's email address

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:30:00.000000

Accounts made before addresses were confirmed are taken as confirmed (at their creation), so
nobody who could propose and support before this change is stopped by it. Adding and dropping
a nullable column needs no table rebuild on SQLite (3.35 and later) or PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE users SET email_confirmed_at = created_at")


def downgrade():
    op.drop_column("users", "email_confirmed_at")
