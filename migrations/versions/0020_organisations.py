"""organisations with members: their rules, membership classes, register and officers

Revision ID: 0020_organisations
Revises: 0019_every_channel
Create Date: 2026-12-04 10:00:00.000000

- ``organisations``: an organisation with members (a housing co-operative, a trust school, a
  social enterprise) hosted by a council, or by the network when ``council_id`` is NULL; its
  slug is unique per host (a partial unique index for the network's, whose NULLs a unique
  constraint would not compare). Its rules default to the common co-operative model rules:
  28 days' notice, at most 5 proxies a member, special resolutions at least 3/4, ordinary ones
  more than 1/2, a quorum of 10 members counting proxies, abstentions not votes cast, the
  chair's casting vote.
- ``membership_classes``: an organisation's classes of membership (tenant, staff, ...).
- ``members``: the register; a member number is unique in its organisation
  (``uq_members_organisation_id_member_number``) and a member's class is one of its
  organisation's (a composite foreign key).
- ``organisation_officers``: who keeps an organisation's register and rules.
- ``users.network_admin``: administrators of the network, who may host organisations of
  their own. Nobody is one until given it.
- ``audit_events.organisation_id``: an event about an organisation.

SQLite: ``users`` gains its column in place; ``audit_events`` is rebuilt for its new foreign
key, keeping its append-only triggers (as 0014 and 0019 do).
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0020_organisations"
down_revision = "0019_every_channel"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _rebuilt(table: str):
    """``batch_alter_table`` that keeps the table's SQLite triggers."""
    triggers = []
    if _sqlite():
        triggers = (
            op.get_bind()
            .exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
            .scalars()
            .all()
        )
    with op.batch_alter_table(table) as batch:
        yield batch
    for sql in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {sql.split()[2]}")
        op.execute(sql)


def _threshold(name: str) -> str:
    # As app/workflow/organisations/models.py writes it (copied: a migration describes the
    # schema as it was when written).
    n, d, more = f"{name}_numerator", f"{name}_denominator", f"{name}_more_than"
    return (
        f"{d} >= 1 AND {d} <= 100 AND {n} <= {d} AND 2 * {n} >= {d} AND NOT ({more} AND {n} = {d})"
    )


def _user(column: str, ondelete: str, nullable: bool) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete=ondelete),
        nullable=nullable,
    )


def _organisation() -> sa.Column:
    return sa.Column(
        "organisation_id",
        sa.Integer(),
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("network_admin", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "council_id",
            sa.Integer(),
            sa.ForeignKey("councils.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "kind",
            sa.String(32),
            sa.CheckConstraint(
                "kind IN ('housing_cooperative', 'trust_school', 'social_enterprise', 'other')",
                name="organisation_kind",
            ),
            nullable=False,
        ),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("proxy_cap", sa.Integer(), nullable=False),
        sa.Column("special_numerator", sa.Integer(), nullable=False),
        sa.Column("special_denominator", sa.Integer(), nullable=False),
        sa.Column("special_more_than", sa.Boolean(), nullable=False),
        sa.Column("ordinary_numerator", sa.Integer(), nullable=False),
        sa.Column("ordinary_denominator", sa.Integer(), nullable=False),
        sa.Column("ordinary_more_than", sa.Boolean(), nullable=False),
        sa.Column("quorum_members", sa.Integer(), nullable=False),
        sa.Column("quorum_percent", sa.Integer(), nullable=True),
        sa.Column("quorum_counts_proxies", sa.Boolean(), nullable=False),
        sa.Column("abstentions_count", sa.Boolean(), nullable=False),
        sa.Column("chair_casting_vote", sa.Boolean(), nullable=False),
        _user("created_by_id", "SET NULL", True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("council_id", "slug"),
        sa.CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
        sa.CheckConstraint("notice_days >= 14 AND notice_days <= 90", name="notice_days_range"),
        sa.CheckConstraint("proxy_cap >= 0 AND proxy_cap <= 50", name="proxy_cap_range"),
        sa.CheckConstraint(_threshold("special"), name="special_threshold_range"),
        sa.CheckConstraint(_threshold("ordinary"), name="ordinary_threshold_range"),
        sa.CheckConstraint(
            "quorum_members >= 1 AND quorum_members <= 1000000", name="quorum_members_range"
        ),
        sa.CheckConstraint(
            "quorum_percent IS NULL OR (quorum_percent >= 1 AND quorum_percent <= 100)",
            name="quorum_percent_range",
        ),
    )
    op.create_index(
        "uq_organisations_network_slug",
        "organisations",
        ["slug"],
        unique=True,
        sqlite_where=sa.text("council_id IS NULL"),
        postgresql_where=sa.text("council_id IS NULL"),
    )
    op.create_table(
        "membership_classes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organisation(),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.UniqueConstraint("organisation_id", "code"),
        sa.UniqueConstraint("id", "organisation_id"),
        sa.CheckConstraint("length(code) > 0", name="code_not_empty"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organisation(),
        sa.Column("member_number", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("membership_class_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        _user("account_id", "SET NULL", True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "organisation_id", "member_number", name="uq_members_organisation_id_member_number"
        ),
        sa.UniqueConstraint("organisation_id", "account_id"),
        sa.ForeignKeyConstraint(
            ["membership_class_id", "organisation_id"],
            ["membership_classes.id", "membership_classes.organisation_id"],
            name="fk_members_class_in_organisation",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint("length(member_number) > 0", name="member_number_not_empty"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joining"),
    )
    op.create_index("ix_members_organisation_name", "members", ["organisation_id", "name"])
    op.create_table(
        "organisation_officers",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organisation(),
        _user("user_id", "CASCADE", False),
        sa.Column(
            "role",
            sa.String(32),
            sa.CheckConstraint(
                "role IN ('secretary', 'chair', 'officer')", name="organisation_role"
            ),
            nullable=False,
        ),
        _user("appointed_by_id", "SET NULL", True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organisation_id", "user_id"),
    )
    op.create_index("ix_organisation_officers_user", "organisation_officers", ["user_id"])
    with _rebuilt("audit_events") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_audit_events_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(
            "ix_audit_events_organisation_created", ["organisation_id", "created_at"]
        )


def downgrade() -> None:
    events = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM audit_events WHERE organisation_id IS NOT NULL"))
        .scalar()
    )
    if events:
        raise RuntimeError(
            f"{events} audit events are about organisations: this revision cannot be undone "
            "without losing them from the audit trail"
        )
    with _rebuilt("audit_events") as batch:
        batch.drop_index("ix_audit_events_organisation_created")
        batch.drop_constraint(
            op.f("fk_audit_events_organisation_id_organisations"), type_="foreignkey"
        )
        batch.drop_column("organisation_id")
    for table in ("organisation_officers", "members", "membership_classes", "organisations"):
        op.drop_table(table)
    # In place on SQLite too (3.35+): a rebuild of users would drop a table others refer to.
    op.execute("ALTER TABLE users DROP COLUMN network_admin")
