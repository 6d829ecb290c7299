"""The tables of organisations with members: an organisation a council (or the network, the
deployment itself) hosts, its rules, its membership classes, its register of members and its
officers.

An organisation's rules default to the common co-operative model rules: one member one vote,
28 days' notice of a general meeting, a special resolution carried by at least three quarters
of the votes cast and an ordinary one by more than half, abstentions not counted as votes
cast, a quorum of 10 members (proxies counting towards it), the chair's casting vote on a tie.
An organisation may set its own, within the bounds the CHECK constraints below state.

Meetings, motions, elections and proxies hang off ``organisations.id`` (and take their voters
from ``app.workflow.organisations.eligible_members``); they are not here.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.workflow.models import Council, User, _enum
from ballots.db import Base, UTCDateTime, utcnow
from ballots.refusals import N_

# The unique key that means "this member number is already on the organisation's register".
ONE_NUMBER = "uq_members_organisation_id_member_number"
# At most this many members of one organisation can be on its register (a typing slip in a
# quorum beyond it is refused).
MOST_MEMBERS = 1_000_000


class OrganisationKind(enum.StrEnum):
    HOUSING_COOPERATIVE = "housing_cooperative"
    TRUST_SCHOOL = "trust_school"
    SOCIAL_ENTERPRISE = "social_enterprise"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "housing_cooperative": N_("Housing co-operative"),
            "trust_school": N_("Trust school"),
            "social_enterprise": N_("Social enterprise"),
            "other": N_("Other organisation"),
        }[self.value]


class OrganisationRole(enum.StrEnum):
    """What an officer of an organisation is: its secretary (who keeps the register), its
    chair, or another officer."""

    SECRETARY = "secretary"
    CHAIR = "chair"
    OFFICER = "officer"

    @property
    def label(self) -> str:
        return {
            "secretary": N_("Secretary"),
            "chair": N_("Chair"),
            "officer": N_("Officer"),
        }[self.value]


def threshold_check(name: str) -> str:
    """SQL: the ``name`` threshold (``name_numerator``/``name_denominator``, "more than" or
    "at least") lies between one half and the whole, and "more than the whole" is not one."""
    n, d, more = f"{name}_numerator", f"{name}_denominator", f"{name}_more_than"
    return (
        f"{d} >= 1 AND {d} <= 100 AND {n} <= {d} AND 2 * {n} >= {d} AND NOT ({more} AND {n} = {d})"
    )


class Organisation(Base):
    """An organisation with members (a housing co-operative, a trust school, a social
    enterprise), hosted by a council, or by the network when ``council_id`` is NULL."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int | None] = mapped_column(
        ForeignKey("councils.id", ondelete="CASCADE"), nullable=True
    )
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(_enum(OrganisationKind, "organisation_kind"))
    # Its rules. Days' notice of a general meeting; the members on the register on the day
    # notice is given may vote at it.
    notice_days: Mapped[int] = mapped_column(Integer, default=28)
    # How many other members' proxies one member may hold.
    proxy_cap: Mapped[int] = mapped_column(Integer, default=5)
    # The share of the votes cast that carries a resolution: numerator/denominator, and
    # whether it must be more than that share (else at least it).
    special_numerator: Mapped[int] = mapped_column(Integer, default=3)
    special_denominator: Mapped[int] = mapped_column(Integer, default=4)
    special_more_than: Mapped[bool] = mapped_column(Boolean, default=False)
    ordinary_numerator: Mapped[int] = mapped_column(Integer, default=1)
    ordinary_denominator: Mapped[int] = mapped_column(Integer, default=2)
    ordinary_more_than: Mapped[bool] = mapped_column(Boolean, default=True)
    # A general meeting is quorate with this many members present, or, when a percentage is
    # set, that share of the members eligible if it is more.
    quorum_members: Mapped[int] = mapped_column(Integer, default=10)
    quorum_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quorum_counts_proxies: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whether an abstention is a vote cast (counted in the share a resolution needs).
    abstentions_count: Mapped[bool] = mapped_column(Boolean, default=False)
    chair_casting_vote: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    council: Mapped[Council | None] = relationship()
    classes: Mapped[list[MembershipClass]] = relationship(
        back_populates="organisation", order_by="MembershipClass.code"
    )
    officers: Mapped[list[OrganisationOfficer]] = relationship(
        back_populates="organisation", order_by="OrganisationOfficer.id"
    )

    __table_args__ = (
        UniqueConstraint("council_id", "slug"),
        # NULLs are distinct in a unique constraint: the network's organisations need their own.
        Index(
            "uq_organisations_network_slug",
            "slug",
            unique=True,
            sqlite_where=text("council_id IS NULL"),
            postgresql_where=text("council_id IS NULL"),
        ),
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("notice_days >= 14 AND notice_days <= 90", name="notice_days_range"),
        CheckConstraint("proxy_cap >= 0 AND proxy_cap <= 50", name="proxy_cap_range"),
        CheckConstraint(threshold_check("special"), name="special_threshold_range"),
        CheckConstraint(threshold_check("ordinary"), name="ordinary_threshold_range"),
        CheckConstraint(
            f"quorum_members >= 1 AND quorum_members <= {MOST_MEMBERS}",
            name="quorum_members_range",
        ),
        CheckConstraint(
            "quorum_percent IS NULL OR (quorum_percent >= 1 AND quorum_percent <= 100)",
            name="quorum_percent_range",
        ),
    )

    @property
    def hosted_by_network(self) -> bool:
        return self.council_id is None


class MembershipClass(Base):
    """A class of membership of one organisation (tenant, employee, parent, staff,
    community): ``code`` as a register file names it, ``name`` as pages show it."""

    __tablename__ = "membership_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))

    organisation: Mapped[Organisation] = relationship(back_populates="classes")

    __table_args__ = (
        UniqueConstraint("organisation_id", "code"),
        # (id, organisation_id) is unique so a member's class must be one of its organisation's.
        UniqueConstraint("id", "organisation_id"),
        CheckConstraint("length(code) > 0", name="code_not_empty"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class Member(Base):
    """A member on an organisation's register, from the day they joined to the day they left
    (None: still a member). ``account_id``: the account they sign in with, once linked."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    member_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # A UK mobile number as +447 and 9 digits (``ballots.contacts.uk_mobile``).
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    membership_class_id: Mapped[int] = mapped_column()
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    # Joined on the class id alone: organisation_id is written through ``organisation``; the
    # composite foreign key in the database checks that the two agree.
    membership_class: Mapped[MembershipClass] = relationship(
        primaryjoin="MembershipClass.id == foreign(Member.membership_class_id)"
    )

    __table_args__ = (
        UniqueConstraint("organisation_id", "member_number", name=ONE_NUMBER),
        UniqueConstraint("organisation_id", "account_id"),
        ForeignKeyConstraint(
            ["membership_class_id", "organisation_id"],
            ["membership_classes.id", "membership_classes.organisation_id"],
            name="fk_members_class_in_organisation",
            ondelete="RESTRICT",
        ),
        CheckConstraint("length(member_number) > 0", name="member_number_not_empty"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joining"),
        Index("ix_members_organisation_name", "organisation_id", "name"),
    )

    def is_member_on(self, day: date) -> bool:
        """On the register on ``day``: joined on or before it, and not left by it."""
        return self.joined_on <= day and (self.left_on is None or self.left_on > day)


class OrganisationOfficer(Base):
    """A person (an account) who is one of an organisation's officers: they keep its register
    and its rules."""

    __tablename__ = "organisation_officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[OrganisationRole] = mapped_column(_enum(OrganisationRole, "organisation_role"))
    appointed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="officers")
    user: Mapped[User] = relationship(foreign_keys=[user_id], back_populates="organisation_offices")

    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id"),
        Index("ix_organisation_officers_user", "user_id"),
    )
