"""meetings: general meetings of an organisation's members, their motions, elections and
proxies, and the member ballot box

Revision ID: 0021_meetings
Revises: 0020_organisations
Create Date: 2026-12-03 18:48:37.500060

- ``meetings`` and ``meeting_voters`` (who may vote: the register at the record date, frozen
  when notice is given; ``present_at`` for the quorum);
- ``meeting_items``: motions (with their threshold; an amendment names the motion it amends)
  and elections (their rule and deadlines, the ballot order's seed), each with the manifest
  frozen when it opens, its log head and its declared result;
- ``constituencies`` and ``constituency_classes`` (a class votes in at most one constituency
  of an election: ``uq_constituency_classes_item_id_class_id``), ``nominations``;
- ``proxies``: at most one appointment in force per member for a meeting and per item
  (partial unique indexes);
- the member ballot box: ``member_marks`` (one per member and item:
  ``uq_member_marks_item_id_member_id``), ``member_ballots``, ``member_receipts`` and
  ``member_log``, the items' hash chains, append-only like ``ballot_log``;
- ``member_claims``: a code emailed to a member's address on the register, to link the
  account that asked for it to the member.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_meetings"
down_revision = "0020_organisations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "annual",
                "general",
                "special",
                name="meeting_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("online_voting", sa.Boolean(), nullable=False),
        sa.Column("motions_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "notice",
                "open",
                "closed",
                name="meeting_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notice_given_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("record_date", sa.Date(), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state = 'draft' OR (notice_given_at IS NOT NULL AND record_date IS NOT NULL)",
            name=op.f("ck_meetings_notice_fixes_record_date"),
        ),
        sa.CheckConstraint("length(slug) > 0", name=op.f("ck_meetings_slug_not_empty")),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_meetings_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["chair_id"], ["users.id"], name=op.f("fk_meetings_chair_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_meetings_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_meetings_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("organisation_id", "slug", name="uq_meetings_organisation_id_slug"),
    )
    op.create_table(
        "meeting_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "motion",
                "election",
                name="item_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "declared",
                name="item_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "threshold",
            sa.Enum(
                "ordinary",
                "special",
                "other",
                name="threshold_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("threshold_numerator", sa.Integer(), nullable=True),
        sa.Column("threshold_denominator", sa.Integer(), nullable=True),
        sa.Column("threshold_more_than", sa.Boolean(), nullable=True),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("proposer_id", sa.Integer(), nullable=True),
        sa.Column("seconder_id", sa.Integer(), nullable=True),
        sa.Column("tabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("casting_vote", sa.String(length=8), nullable=True),
        sa.Column("rule", sa.String(length=16), nullable=True),
        sa.Column("nominations_close_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawals_close_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ballot_seed", sa.String(length=64), nullable=True),
        sa.Column("manifest_json", sa.Text(), nullable=True),
        sa.Column("manifest_hash", sa.String(length=64), nullable=True),
        sa.Column("log_head_hash", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amends_id IS NULL OR kind = 'motion'",
            name=op.f("ck_meeting_items_amendments_are_motions"),
        ),
        sa.CheckConstraint(
            "casting_vote IS NULL OR casting_vote IN ('for', 'against')",
            name=op.f("ck_meeting_items_casting_vote_for_or_against"),
        ),
        sa.CheckConstraint(
            "kind = 'election' OR threshold IS NOT NULL",
            name=op.f("ck_meeting_items_motion_has_threshold"),
        ),
        sa.CheckConstraint(
            "kind = 'motion' OR rule IN ('scottish', 'meek')",
            name=op.f("ck_meeting_items_election_has_rule"),
        ),
        sa.CheckConstraint(
            "state = 'draft' OR (manifest_json IS NOT NULL AND manifest_hash IS NOT NULL)",
            name=op.f("ck_meeting_items_voting_has_manifest"),
        ),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_meeting_items_title_not_empty")),
        sa.CheckConstraint(
            "proposer_id IS NULL OR seconder_id IS NULL OR proposer_id <> seconder_id",
            name=op.f("ck_meeting_items_seconder_not_proposer"),
        ),
        sa.CheckConstraint(
            "threshold_numerator IS NULL OR (threshold_denominator > 0 AND "
            "2 * threshold_numerator >= threshold_denominator AND "
            "threshold_numerator <= threshold_denominator)",
            name=op.f("ck_meeting_items_threshold_from_half_to_all"),
        ),
        sa.ForeignKeyConstraint(
            ["amends_id"],
            ["meeting_items.id"],
            name=op.f("fk_meeting_items_amends_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_items_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"],
            ["members.id"],
            name=op.f("fk_meeting_items_proposer_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["seconder_id"],
            ["members.id"],
            name=op.f("fk_meeting_items_seconder_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_items")),
        sa.UniqueConstraint(
            "meeting_id", "position", name=op.f("uq_meeting_items_meeting_id_position")
        ),
    )
    op.create_table(
        "meeting_voters",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("membership_class_id", sa.Integer(), nullable=False),
        sa.Column("present_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_voters_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_meeting_voters_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["membership_class_id"],
            ["membership_classes.id"],
            name=op.f("fk_meeting_voters_membership_class_id_membership_classes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_meeting_voters")),
    )
    with op.batch_alter_table("meeting_voters", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_voters_class", ["meeting_id", "membership_class_id"], unique=False
        )

    op.create_table(
        "constituencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_constituencies_name_not_empty")),
        sa.CheckConstraint(
            "seats >= 1 AND seats <= 100", name=op.f("ck_constituencies_seats_range")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_items.id"],
            name=op.f("fk_constituencies_item_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_constituencies")),
        sa.UniqueConstraint("id", "item_id", name=op.f("uq_constituencies_id_item_id")),
        sa.UniqueConstraint("item_id", "position", name=op.f("uq_constituencies_item_id_position")),
    )
    op.create_table(
        "member_ballots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("constituency", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_items.id"],
            name=op.f("fk_member_ballots_item_id_meeting_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_ballots")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("member_ballots", schema=None) as batch_op:
        batch_op.create_index("ix_member_ballots_item", ["item_id", "constituency"], unique=False)

    op.create_table(
        "proxies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("holder_is_chair", sa.Boolean(), nullable=False),
        sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appointed_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(holder_id IS NULL) = holder_is_chair",
            name=op.f("ck_proxies_holder_is_a_member_or_the_chair"),
        ),
        sa.CheckConstraint(
            "holder_id IS NULL OR holder_id <> member_id", name=op.f("ck_proxies_not_own_proxy")
        ),
        sa.ForeignKeyConstraint(
            ["appointed_by_id"],
            ["users.id"],
            name=op.f("fk_proxies_appointed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["members.id"],
            name=op.f("fk_proxies_holder_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_items.id"],
            name=op.f("fk_proxies_item_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_proxies_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_proxies_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proxies")),
    )
    with op.batch_alter_table("proxies", schema=None) as batch_op:
        batch_op.create_index("ix_proxies_holder", ["meeting_id", "holder_id"], unique=False)
        batch_op.create_index(
            "uq_proxies_active_for_item",
            ["item_id", "member_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND item_id IS NOT NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND item_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_proxies_active_for_meeting",
            ["meeting_id", "member_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND item_id IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND item_id IS NULL"),
        )

    op.create_table(
        "constituency_classes",
        sa.Column("constituency_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("membership_class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["constituency_id", "item_id"],
            ["constituencies.id", "constituencies.item_id"],
            name="fk_constituency_classes_constituency_in_item",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["membership_class_id"],
            ["membership_classes.id"],
            name=op.f("fk_constituency_classes_membership_class_id_membership_classes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "constituency_id", "membership_class_id", name=op.f("pk_constituency_classes")
        ),
        sa.UniqueConstraint(
            "item_id", "membership_class_id", name="uq_constituency_classes_item_id_class_id"
        ),
    )
    op.create_table(
        "member_log",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "genesis",
                "ballot",
                "supersede",
                "close",
                name="member_log_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ballot_id", sa.String(length=32), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('genesis', 'close')) = (ballot_id IS NULL)",
            name=op.f("ck_member_log_ballot_entries_name_one"),
        ),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_member_log_sequence_not_negative")),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["member_ballots.id"],
            name=op.f("fk_member_log_ballot_id_member_ballots"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_items.id"],
            name=op.f("fk_member_log_item_id_meeting_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("item_id", "sequence", name=op.f("pk_member_log")),
        sa.UniqueConstraint("ballot_id", "kind", name=op.f("uq_member_log_ballot_id_kind")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_member_log_entry_hash")),
    )
    op.create_table(
        "member_marks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "online",
                "room",
                "paper",
                "proxy",
                name="member_channel",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("proxy_holder_id", sa.Integer(), nullable=True),
        sa.Column("proxy_ballot_id", sa.String(length=32), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "proxy_ballot_id IS NULL OR channel = 'proxy'",
            name=op.f("ck_member_marks_only_proxy_ballots_linked"),
        ),
        sa.CheckConstraint(
            "proxy_holder_id IS NULL OR channel = 'proxy'",
            name=op.f("ck_member_marks_only_proxy_marks_name_proxy"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_items.id"],
            name=op.f("fk_member_marks_item_id_meeting_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_marks_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proxy_ballot_id"],
            ["member_ballots.id"],
            name=op.f("fk_member_marks_proxy_ballot_id_member_ballots"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proxy_holder_id"],
            ["members.id"],
            name=op.f("fk_member_marks_proxy_holder_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_member_marks_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_marks")),
        sa.UniqueConstraint("item_id", "member_id", name="uq_member_marks_item_id_member_id"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("member_marks", schema=None) as batch_op:
        batch_op.create_index("ix_member_marks_item", ["item_id"], unique=False)

    op.create_table(
        "member_receipts",
        sa.Column("receipt_hash", sa.String(length=64), nullable=False),
        sa.Column("ballot_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["member_ballots.id"],
            name=op.f("fk_member_receipts_ballot_id_member_ballots"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("receipt_hash", name=op.f("pk_member_receipts")),
        sa.UniqueConstraint("ballot_id", name=op.f("uq_member_receipts_ballot_id")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("constituency_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column("seconder_id", sa.Integer(), nullable=False),
        sa.Column("nominated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "member_id <> proposer_id AND member_id <> seconder_id",
            name=op.f("ck_nominations_not_self_nominated"),
        ),
        sa.CheckConstraint(
            "proposer_id <> seconder_id", name=op.f("ck_nominations_seconder_not_proposer")
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituencies.id"],
            name=op.f("fk_nominations_constituency_id_constituencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_nominations_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"],
            ["members.id"],
            name=op.f("fk_nominations_proposer_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["seconder_id"],
            ["members.id"],
            name=op.f("fk_nominations_seconder_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
        sa.UniqueConstraint(
            "constituency_id", "member_id", name="uq_nominations_constituency_id_member_id"
        ),
    )
    _append_only("member_log")
    _append_only("member_receipts")
    op.create_table(
        "member_claims",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_tries", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "wrong_tries >= 0", name=op.f("ck_member_claims_member_claim_tries_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_claims_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_member_claims_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_claims")),
    )
    with op.batch_alter_table("member_claims", schema=None) as batch_op:
        batch_op.create_index("ix_member_claims_user", ["user_id"], unique=False)


def _append_only(table: str) -> None:
    # As 0001's create_append_only_triggers (copied: a migration describes the schema as it
    # was when written).
    if op.get_bind().dialect.name == "postgresql":
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
    op.drop_table("member_claims")
    op.drop_table("nominations")
    op.drop_table("member_receipts")
    with op.batch_alter_table("member_marks", schema=None) as batch_op:
        batch_op.drop_index("ix_member_marks_item")

    op.drop_table("member_marks")
    op.drop_table("member_log")
    op.drop_table("constituency_classes")
    with op.batch_alter_table("proxies", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_proxies_active_for_meeting",
            sqlite_where=sa.text("revoked_at IS NULL AND item_id IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND item_id IS NULL"),
        )
        batch_op.drop_index(
            "uq_proxies_active_for_item",
            sqlite_where=sa.text("revoked_at IS NULL AND item_id IS NOT NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND item_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_proxies_holder")

    op.drop_table("proxies")
    with op.batch_alter_table("member_ballots", schema=None) as batch_op:
        batch_op.drop_index("ix_member_ballots_item")

    op.drop_table("member_ballots")
    op.drop_table("constituencies")
    with op.batch_alter_table("meeting_voters", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_voters_class")

    op.drop_table("meeting_voters")
    op.drop_table("meeting_items")
    op.drop_table("meetings")
