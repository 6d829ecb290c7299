"""The council workflow's tables: councils, neighbourhoods, people and their roles, rounds,
pots, proposals, supports and the audit trail.

The rules that must always hold are constraints in the database (unique, check, foreign keys),
so they hold for every worker on every host, whatever the application code does. Money is
integer pence (``*_pence``); times are UTC (``UTCDateTime``).
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballots.db import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum: a short string column with a CHECK listing the allowed values."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class Role(enum.StrEnum):
    RESIDENT = "resident"
    OFFICER = "officer"  # officers and councillors: they run rounds
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "resident": "Resident",
            "officer": "Officer or councillor",
            "auditor": "Auditor",
            "admin": "Administrator",
        }[self.value]


class Phase(enum.StrEnum):
    """A round's phases, in order. A round moves forward only once voting has opened."""

    DRAFT = "draft"
    PROPOSALS = "proposals"
    REVIEW = "review"
    SUPPORTS = "supports"
    VOTING = "voting"
    CLOSED = "closed"
    PUBLISHED = "published"
    DELIVERY = "delivery"

    @property
    def label(self) -> str:
        return {
            "draft": "Draft",
            "proposals": "Proposals open",
            "review": "Review",
            "supports": "Supports",
            "voting": "Voting",
            "closed": "Voting closed",
            "published": "Results published",
            "delivery": "Delivery",
        }[self.value]

    @property
    def index(self) -> int:
        return list(Phase).index(self)


class ProposalStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    FEASIBLE = "feasible"
    NOT_FEASIBLE = "not_feasible"
    MERGED = "merged"
    HIDDEN = "hidden"

    @property
    def label(self) -> str:
        return {
            "submitted": "Submitted",
            "withdrawn": "Withdrawn",
            "feasible": "Feasible",
            "not_feasible": "Not feasible",
            "merged": "Merged",
            "hidden": "Hidden",
        }[self.value]


class Council(Base):
    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The council's brand colour, "#rrggbb", used for the header. Dark enough for white text.
    colour: Mapped[str] = mapped_column(String(7), default="#0b0c0c")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="council", order_by="Neighbourhood.name"
    )
    rounds: Mapped[list[FundingRound]] = relationship(
        back_populates="council", order_by="FundingRound.created_at.desc()"
    )

    __table_args__ = (
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        CheckConstraint("length(colour) = 7", name="colour_hex"),
    )


class Neighbourhood(Base):
    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[int] = mapped_column(Integer, default=0)
    # A relative weight for formula splits (e.g. youth need); None when the council sets none.
    need_weight: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), nullable=True)

    council: Mapped[Council] = relationship(back_populates="neighbourhoods")

    __table_args__ = (
        UniqueConstraint("council_id", "slug"),
        UniqueConstraint("council_id", "name"),
        CheckConstraint("population >= 0", name="population_not_negative"),
        CheckConstraint("need_weight IS NULL OR need_weight >= 0", name="need_weight_not_negative"),
    )


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive in effect.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    home_neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL"), nullable=True
    )
    date_of_birth: Mapped[date | None] = mapped_column(nullable=True)
    # What the session cookie carries instead of the id: changing it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home_neighbourhood: Mapped[Neighbourhood | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    def get_id(self) -> str:
        return self.session_token

    def role_in(self, council: Council | int) -> Role | None:
        council_id = council if isinstance(council, int) else council.id
        for m in self.memberships:
            if m.council_id == council_id:
                return m.role
        return None

    def has_role(self, council: Council | int, *roles: Role) -> bool:
        role = self.role_in(council)
        return role is not None and (role in roles or role == Role.ADMIN)


class Membership(Base):
    """A person's role in one council. One role per council; different councils, different roles."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    council: Mapped[Council] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "council_id"),)


class FundingRound(Base):
    """A devolved budget that residents propose for and vote on, split into pots."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    total_budget_pence: Mapped[int] = mapped_column(BigInteger)
    phase: Mapped[Phase] = mapped_column(_enum(Phase, "phase"), default=Phase.DRAFT)
    # Voting configuration: names from votes/ (ballot kind, rule, tie-breaking).
    ballot_kind: Mapped[str] = mapped_column(String(32), default="approval")
    rule: Mapped[str] = mapped_column(String(32), default="mes-add1")
    tie_break: Mapped[str] = mapped_column(String(32), default="cost-votes")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    council: Mapped[Council] = relationship(back_populates="rounds")
    pots: Mapped[list[Pot]] = relationship(
        back_populates="round", order_by="Pot.position", cascade="all, delete-orphan"
    )
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="round", order_by="Proposal.id", viewonly=True
    )

    __table_args__ = (
        UniqueConstraint("council_id", "slug"),
        CheckConstraint("total_budget_pence > 0", name="budget_positive"),
    )

    @property
    def is_public(self) -> bool:
        return self.phase != Phase.DRAFT


class Pot(Base):
    """A share of a round's budget: one neighbourhood's, or council-wide (no neighbourhood)."""

    __tablename__ = "pots"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    budget_pence: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer, default=0)

    round: Mapped[FundingRound] = relationship(back_populates="pots")
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="pot",
        primaryjoin="Pot.id == foreign(Proposal.pot_id)",
        order_by="Proposal.id",
        viewonly=True,
    )

    __table_args__ = (
        # (id, round_id) is unique so proposals can require their pot to be in their round.
        UniqueConstraint("id", "round_id"),
        UniqueConstraint("round_id", "neighbourhood_id"),
        # NULLs are distinct in a unique constraint: at most one council-wide pot needs its own.
        Index(
            "uq_pots_council_wide",
            "round_id",
            unique=True,
            sqlite_where=text("neighbourhood_id IS NULL"),
            postgresql_where=text("neighbourhood_id IS NULL"),
        ),
        CheckConstraint("budget_pence >= 0", name="budget_not_negative"),
    )

    @property
    def is_council_wide(self) -> bool:
        return self.neighbourhood_id is None


class Proposal(Base):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    pot_id: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    estimated_cost_pence: Mapped[int] = mapped_column(BigInteger)
    final_cost_pence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus, "proposal_status"), default=ProposalStatus.SUBMITTED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    round: Mapped[FundingRound] = relationship(back_populates="proposals")
    # Joined on the pot id alone: round_id is written through ``round``; the composite foreign
    # key in the database checks that the two agree.
    pot: Mapped[Pot] = relationship(
        back_populates="proposals",
        primaryjoin="Pot.id == foreign(Proposal.pot_id)",
    )
    author: Mapped[User | None] = relationship()
    supports: Mapped[list[Support]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan"
    )

    __table_args__ = (
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_proposals_pot_in_round",
            ondelete="CASCADE",
        ),
        CheckConstraint("estimated_cost_pence > 0", name="estimated_cost_positive"),
        CheckConstraint(
            "final_cost_pence IS NULL OR final_cost_pence > 0", name="final_cost_positive"
        ),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        Index("ix_proposals_round_status", "round_id", "status"),
    )

    @property
    def cost_pence(self) -> int:
        """The cost residents see: the officers' final cost once set, else the estimate."""
        return self.final_cost_pence if self.final_cost_pence is not None else self.estimated_cost_pence


class Support(Base):
    """A resident's support for a proposal: at most one per resident per proposal."""

    __tablename__ = "supports"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="supports")

    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)


class AuditEvent(Base):
    """Who did what, when, with the state before and after. Rows are never changed or deleted:
    triggers in the database refuse UPDATE and DELETE (see the migration)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    council_id: Mapped[int | None] = mapped_column(
        ForeignKey("councils.id", ondelete="RESTRICT"), nullable=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="RESTRICT"), nullable=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None] = mapped_column(nullable=True)
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_audit_events_round_created", "round_id", "created_at"),
        Index("ix_audit_events_council_created", "council_id", "created_at"),
    )
