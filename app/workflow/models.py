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
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
    false,
    text,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.workflow.branding import check_colour
from ballots.db import Base, UTCDateTime, utcnow
from ballots.models import random_key
from ballots.phases import Phase
from ballots.refusals import N_
from votes.model import BallotKind, TieBreak
from votes.rules import RULES

if TYPE_CHECKING:
    from app.workflow.organisations.models import OrganisationOfficer


def _one_of(column: str, values: list[str]) -> str:
    """SQL: ``column`` holds one of ``values`` (SQL's three-valued logic lets NULL through, so a
    NOT NULL column gets the rest of the rule from its nullability)."""
    return f"{column} IN ({_sql_list(values)})"


def _sql_list(values: list[str]) -> str:
    """``'a', 'b'``: names from the code as SQL string literals (none contains a quote)."""
    return ", ".join(f"'{v}'" for v in values)


# The names votes/ knows, sorted so the constraints' text (compared with the migrated
# schema's in tests/app/workflow/test_schema_matches_models.py) does not depend on the order
# they are declared in.
BALLOT_KINDS = sorted(k.value for k in BallotKind)
RULE_NAMES = sorted({rule for rules in RULES.values() for rule in rules})
TIE_BREAKS = sorted(t.value for t in TieBreak)
# A round whose voting has opened has a frozen manifest.
PHASES_WITH_MANIFEST = [p.value for p in Phase if p.index >= Phase.VOTING.index]


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
    OFFICER = "officer"  # they run rounds (council officers, and councillors who do)
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "resident": N_("Resident"),
            "officer": N_("Officer"),
            "auditor": N_("Auditor"),
            "admin": N_("Administrator"),
        }[self.value]


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
            "submitted": N_("Submitted"),
            "withdrawn": N_("Withdrawn"),
            "feasible": N_("Feasible"),
            "not_feasible": N_("Not feasible"),
            "merged": N_("Merged"),
            "hidden": N_("Hidden"),
        }[self.value]


class SplitMethod(enum.StrEnum):
    """How a round's budget was split into pots."""

    COUNCIL = "council"  # one council-wide pot
    EXPLICIT = "explicit"  # amounts typed in per neighbourhood
    EQUAL = "equal"
    POPULATION = "population"
    NEED = "need"  # by the neighbourhoods' need weights

    @property
    def label(self) -> str:
        return {
            "council": N_("One council-wide pot"),
            "explicit": N_("Amounts set for each neighbourhood"),
            "equal": N_("Shared equally between neighbourhoods"),
            "population": N_("Shared by population"),
            "need": N_("Shared by need weight"),
        }[self.value]


class ContributionKind(enum.StrEnum):
    MONEY = "money"
    IN_KIND = "in_kind"

    @property
    def label(self) -> str:
        return {"money": N_("Money"), "in_kind": N_("In kind")}[self.value]


class Translated:
    """A row whose own text columns are in ``language`` and whose ``translations`` hold the
    same texts in other languages: ``{"cy": {"title": "..."}}`` (``app.workflow.languages``)."""

    # Server defaults only, so an insert names these columns only when they are set (and a
    # row written by older code, or at an older revision, gets them from the database).
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    translations: Mapped[dict] = mapped_column(JSON, server_default="{}")
    # Read back when first used, not returned by every insert.
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012


class Council(Translated, Base):
    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The council's brand colour, "#rrggbb", used for the header. Dark enough for white text.
    colour: Mapped[str] = mapped_column(String(7), default="#0b0c0c")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The languages the council speaks, in the order it shows them: "en", "en cy", "cy en".
    languages: Mapped[str] = mapped_column(String(40), server_default="en")
    # The ways a resident may become eligible to vote (``app.workflow.eligibility.WAYS``,
    # space-separated): posted codes from an imported roll, codes texted or emailed to the
    # contact on the roll, registering at an address in the council's gazetteer, and being
    # registered in person by an officer. A round may choose its own (``rounds.eligibility``).
    eligibility: Mapped[str] = mapped_column(String(80), server_default="code")
    # How many people may register at one gazetteer address and be eligible at once; those
    # after them wait for an officer (empty or 0: everyone waits).
    registrations_per_address: Mapped[int | None] = mapped_column(
        Integer, nullable=True, server_default=sql_text("NULL")
    )
    # Shown on the network's pages (the network home, the comparison, what worked) beside
    # the other councils of the deployment; a council that leaves keeps its own pages.
    in_network: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("true"))
    # Open data: a published pot's ballots carry each voter's neighbourhood and age band
    # (nothing finer), for rounds whose voting opens while this is set (frozen in the
    # manifest, so voters are told on the ballot).
    open_data_voter_details: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="council", order_by="Neighbourhood.name"
    )
    rounds: Mapped[list[FundingRound]] = relationship(
        back_populates="council", order_by="FundingRound.created_at.desc()"
    )

    @property
    def spoken_languages(self) -> tuple[str, ...]:
        return tuple((self.languages or "").split()) or ("en",)

    @validates("colour")
    def _check_colour(self, key: str, colour: str) -> str:
        return check_colour(colour)

    __table_args__ = (
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        CheckConstraint("length(colour) = 7", name="colour_hex"),
        CheckConstraint(
            "registrations_per_address IS NULL OR registrations_per_address >= 0",
            name="registrations_per_address_not_negative",
        ),
    )


class Neighbourhood(Translated, Base):
    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[int] = mapped_column(Integer, default=0)
    # A relative weight for formula splits (e.g. youth need); None when the council sets none.
    need_weight: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), nullable=True)
    # Where it is: a GeoJSON geometry (Polygon or MultiPolygon, longitude and latitude in
    # WGS 84) as canonical JSON, from the boundaries the council uploads; None until then.
    boundary: Mapped[str | None] = mapped_column(
        Text, nullable=True, server_default=sql_text("NULL")
    )

    council: Mapped[Council] = relationship(back_populates="neighbourhoods")

    __table_args__ = (
        UniqueConstraint("council_id", "slug"),
        UniqueConstraint("council_id", "name"),
        CheckConstraint("population >= 0", name="population_not_negative"),
        CheckConstraint("need_weight IS NULL OR need_weight >= 0", name="need_weight_not_negative"),
    )


class User(Base):
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
    # What session cookies carried before sign-ins were kept on the server (SignIn): no longer
    # read, so an old cookie naming it signs nobody in. Left for a later migration to drop.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the person opened the link emailed to this address (None: not yet). Proposing and
    # supporting wait for it, so one person cannot make many accounts from invented addresses.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Two-factor sign-in (app.web.two_factor): the TOTP secret (base32), set when enrolment starts
    # and in force once a code from it was proven (confirmed_at); the last time step a code was
    # accepted for, so no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The language the person chose with the switch on every page: their pages, and what is
    # sent to them. None until they choose.
    # (A server default of NULL, so an insert leaves the column out unless it is set.)
    language: Mapped[str | None] = mapped_column(
        String(8), nullable=True, server_default=sql_text("NULL")
    )
    # An administrator of the network (the deployment itself, not one council): they may host
    # organisations that belong to no council. Given from the command line (``flask
    # network-admin``), never from a page.
    network_admin: Mapped[bool] = mapped_column(Boolean, server_default=false())
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012

    home_neighbourhood: Mapped[Neighbourhood | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    # The organisations this person is an officer of (app.workflow.organisations).
    organisation_offices: Mapped[list[OrganisationOfficer]] = relationship(
        back_populates="user",
        foreign_keys="OrganisationOfficer.user_id",
        cascade="all, delete-orphan",
    )

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    # Not columns: the signed-in browser's sign-in (app.web.sessions), set when it is loaded.
    sign_in_token = None
    sign_in_id = None

    # What a signed-in person is to the web layer's sign-in manager (Flask-Login's user
    # protocol), written out so the workflow does not import Flask.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str | None:
        # What the session cookie carries: the token of this browser's sign-in, which ends on
        # the server when the person signs out.
        return self.sign_in_token

    @property
    def is_staff(self) -> bool:
        """An officer, administrator or auditor anywhere, a network administrator, or an
        officer of an organisation (who sees its register of members): two factors and a
        short idle limit."""
        return (
            any(m.role != Role.RESIDENT for m in self.memberships)
            or bool(self.network_admin)
            or bool(self.organisation_offices)
        )

    @property
    def two_factor_enrolled(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def needs_two_factor(self) -> bool:
        """Staff always; residents once they have opted in."""
        return self.is_staff or self.two_factor_enrolled

    def role_in(self, council: Council | int) -> Role | None:
        council_id = council if isinstance(council, int) else council.id
        for m in self.memberships:
            if m.council_id == council_id:
                return m.role
        return None

    def has_role(self, council: Council | int, *roles: Role) -> bool:
        role = self.role_in(council)
        return role is not None and (role in roles or role == Role.ADMIN)


class SignIn(Base):
    """One browser's sign-in: the session cookie carries a random token whose SHA-256 is kept
    here, so ending the row (signing out, signing out everywhere, a new password, too long
    without activity) ends that session on the server at once, on every worker."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Updated at most once a minute (app.web.sessions), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "Firefox on Windows": enough for the account page, not a fingerprint.
    user_agent: Mapped[str] = mapped_column(String(100), default="")
    # When the second factor was proven; None: the password alone (then, for anyone who needs
    # two factors, the browser is not signed in yet).
    two_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_sign_ins_user_ended", "user_id", "ended_at"),)


class RecoveryCode(Base):
    """A single-use code that stands in for the authenticator (kept as an HMAC, never as the
    code); used_at is set once, by a compare-and-set, so no code works twice."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)


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


class FundingRound(Translated, Base):
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
    # How many projects a ballot may choose (ranked: max_choices is k, the number of ranks).
    min_choices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_choices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Cumulative ballots: the points each voter shares out, and the cap on one project.
    points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_points_per_project: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A resident votes only in their home neighbourhood's pot (and the council-wide pot).
    home_pot_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # Eligibility by age on the day of voting; None is no limit.
    min_age: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_age: Mapped[int | None] = mapped_column(Integer, nullable=True)
    allow_vote_change: Mapped[bool] = mapped_column(Boolean, default=False)
    # A ballot choosing nothing is refused unless the officer allows blank ballots.
    allow_blank_ballots: Mapped[bool] = mapped_column(Boolean, default=False)
    # Results are not published below this many ballots, so no one's vote can be inferred.
    min_ballots_to_publish: Mapped[int] = mapped_column(Integer, default=10)
    supports_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Supports a proposal needs to reach the ballot (when supports are enabled).
    support_threshold: Mapped[int] = mapped_column(Integer, default=0)
    split_method: Mapped[SplitMethod] = mapped_column(
        _enum(SplitMethod, "split_method"), default=SplitMethod.COUNCIL
    )
    # Frozen when voting opens: everything a ballot depends on, as canonical JSON, and its
    # SHA-256 (64 hex digits), shown on the round page.
    manifest_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    manifest_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The ballot log's head once voting closed (its close entry): published then, and, like
    # the manifest hash, fixed from then on by a trigger in the database.
    log_head_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    voting_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Remind residents who have not voted this many days before voting closes (empty: never),
    # and when that reminder was queued (once a round).
    # (Server defaults of NULL, so an insert leaves them out unless set: new rounds get their
    # 3 days from ``rounds.create_round``.)
    reminder_days: Mapped[int | None] = mapped_column(
        Integer, nullable=True, server_default=sql_text("NULL")
    )
    reminder_queued_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, server_default=sql_text("NULL")
    )
    # The ways to become eligible for this round (as ``councils.eligibility``); empty: the
    # council's.
    eligibility: Mapped[str | None] = mapped_column(
        String(80), nullable=True, server_default=sql_text("NULL")
    )
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
    phase_dates: Mapped[list[PhaseDates]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("council_id", "slug"),
        CheckConstraint("total_budget_pence > 0", name="budget_positive"),
        CheckConstraint("min_choices IS NULL OR min_choices >= 0", name="min_choices_not_negative"),
        CheckConstraint("max_choices IS NULL OR max_choices > 0", name="max_choices_positive"),
        CheckConstraint(
            "min_choices IS NULL OR max_choices IS NULL OR min_choices <= max_choices",
            name="choices_in_order",
        ),
        CheckConstraint("points IS NULL OR points > 0", name="points_positive"),
        CheckConstraint(
            "max_points_per_project IS NULL OR max_points_per_project > 0",
            name="max_points_positive",
        ),
        CheckConstraint(
            "min_age IS NULL OR (min_age >= 0 AND min_age <= 120)", name="min_age_range"
        ),
        CheckConstraint(
            "max_age IS NULL OR (max_age >= 0 AND max_age <= 120)", name="max_age_range"
        ),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="ages_in_order"
        ),
        CheckConstraint("min_ballots_to_publish >= 0", name="min_ballots_not_negative"),
        CheckConstraint("support_threshold >= 0", name="support_threshold_not_negative"),
        CheckConstraint(
            "reminder_days IS NULL OR (reminder_days >= 1 AND reminder_days <= 60)",
            name="reminder_days_range",
        ),
        CheckConstraint(
            "manifest_hash IS NULL OR length(manifest_hash) = 64", name="manifest_hash_sha256"
        ),
        # Ballots are checked and counted against the manifest: voting cannot run without one.
        CheckConstraint(
            f"phase NOT IN ({_sql_list(PHASES_WITH_MANIFEST)}) "
            "OR (manifest_json IS NOT NULL AND manifest_hash IS NOT NULL)",
            name="voting_has_manifest",
        ),
        CheckConstraint(_one_of("ballot_kind", BALLOT_KINDS), name="ballot_kind_known"),
        CheckConstraint(_one_of("rule", RULE_NAMES), name="rule_known"),
        CheckConstraint(_one_of("tie_break", TIE_BREAKS), name="tie_break_known"),
        # A cap above the points a voter has would be no cap (rounds.voting_config_problems).
        CheckConstraint(
            "points IS NULL OR max_points_per_project IS NULL OR max_points_per_project <= points",
            name="points_cap_within_points",
        ),
    )

    @property
    def is_public(self) -> bool:
        return self.phase != Phase.DRAFT

    @property
    def is_frozen(self) -> bool:
        """Voting has opened: pots, costs, the proposal list and the voting rules are fixed."""
        return self.phase.index >= Phase.VOTING.index

    def dates_for(self, phase: Phase) -> PhaseDates | None:
        for d in self.phase_dates:
            if d.phase == phase:
                return d
        return None


class PhaseDates(Base):
    """When one phase of a round is scheduled to start and end (UTC)."""

    __tablename__ = "round_phase_dates"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(_enum(Phase, "phase"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    round: Mapped[FundingRound] = relationship(back_populates="phase_dates")

    __table_args__ = (
        UniqueConstraint("round_id", "phase"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )


class Pot(Translated, Base):
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


class Proposal(Translated, Base):
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
    # Where the project would be, as a point (WGS 84), picked from the council's address list
    # (``address_uprn``) or on the map; and the neighbourhood that point is in (set with the
    # point, from the address's neighbourhood or the uploaded boundaries).
    latitude: Mapped[Decimal | None] = mapped_column(
        Numeric(9, 6), nullable=True, server_default=sql_text("NULL")
    )
    longitude: Mapped[Decimal | None] = mapped_column(
        Numeric(9, 6), nullable=True, server_default=sql_text("NULL")
    )
    address_uprn: Mapped[str | None] = mapped_column(
        String(12), nullable=True, server_default=sql_text("NULL")
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL"),
        nullable=True,
        server_default=sql_text("NULL"),
    )
    estimated_cost_pence: Mapped[int] = mapped_column(BigInteger)
    final_cost_pence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus, "proposal_status"), default=ProposalStatus.SUBMITTED
    )
    # The officers' public reason for their feasibility decision.
    review_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Hidden by moderators (abusive content): when, and the reason its author is told.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), nullable=True
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
    merged_into: Mapped[Proposal | None] = relationship(remote_side="Proposal.id")
    neighbourhood: Mapped[Neighbourhood | None] = relationship(foreign_keys=[neighbourhood_id])
    contributions: Mapped[list[Contribution]] = relationship(
        back_populates="proposal", order_by="Contribution.id", cascade="all, delete-orphan"
    )
    reports: Mapped[list[ProposalReport]] = relationship(
        back_populates="proposal", order_by="ProposalReport.id", cascade="all, delete-orphan"
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
        CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"
        ),
        CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name="point_has_both_coordinates"
        ),
        CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90 "
            "AND longitude >= -180 AND longitude <= 180)",
            name="point_on_earth",
        ),
        Index("ix_proposals_round_status", "round_id", "status"),
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None or self.status == ProposalStatus.HIDDEN

    @property
    def money_pledged_pence(self) -> int:
        """Money partners have pledged towards this proposal (in-kind help is not counted)."""
        return sum(
            c.amount_pence or 0 for c in self.contributions if c.kind == ContributionKind.MONEY
        )

    @property
    def cost_to_pot_pence(self) -> int | None:
        """What the pot must pay: the final cost less partners' money; None before a final cost."""
        if self.final_cost_pence is None:
            return None
        return max(self.final_cost_pence - self.money_pledged_pence, 0)

    @property
    def cost_pence(self) -> int:
        """The cost residents see: the officers' final cost once set, else the estimate."""
        return (
            self.final_cost_pence
            if self.final_cost_pence is not None
            else self.estimated_cost_pence
        )


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
    # An event about an organisation with members (its council is its host's, or None for
    # the network's).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True
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
        Index("ix_audit_events_organisation_created", "organisation_id", "created_at"),
    )


class ProposalReport(Base):
    """A resident's report that a proposal needs moderation: one per resident per proposal."""

    __tablename__ = "proposal_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an officer makes a moderation decision on the proposal.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    proposal: Mapped[Proposal] = relationship(back_populates="reports")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)


class Contribution(Base):
    """A partner's money or in-kind help towards a proposal (e.g. Oldham's community dividend).

    Money reduces what the pot must pay; in-kind help is shown, with an optional estimated
    value that is not deducted.
    """

    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    partner_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ContributionKind] = mapped_column(_enum(ContributionKind, "contribution_kind"))
    amount_pence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="contributions")
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount_pence IS NULL OR amount_pence >= 0", name="amount_not_negative"),
        CheckConstraint("kind <> 'money' OR amount_pence IS NOT NULL", name="money_has_amount"),
        # Pledged money is deducted from what the pot pays: a pledge of nothing is no pledge.
        CheckConstraint("kind <> 'money' OR amount_pence > 0", name="money_amount_positive"),
        CheckConstraint("length(partner_name) > 0", name="partner_name_not_empty"),
        # The round page loads the contributions of the proposals it lists.
        Index("ix_contributions_proposal", "proposal_id"),
    )


class PotResult(Base):
    """A closed pot's tally: what was counted (manifest and ballot log head), by which rule,
    and the outcome with its explanations as canonical JSON (``votes.verify.result_document``).

    One row per pot, written when voting closes (or by ``flask tally``); a re-run must give the
    same outcome, so the row is never overwritten. ``withheld`` pots (fewer ballots than the
    round's minimum) are published without per-project figures.
    """

    __tablename__ = "pot_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    pot_id: Mapped[int] = mapped_column()
    rule: Mapped[str] = mapped_column(String(32))
    tie_break: Mapped[str] = mapped_column(String(32))
    manifest_hash: Mapped[str] = mapped_column(String(64))
    log_head_hash: Mapped[str] = mapped_column(String(64))
    ballot_count: Mapped[int] = mapped_column(Integer)
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome_json: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Joined on the pot id alone, as Proposal.pot: the composite foreign key checks the round.
    pot: Mapped[Pot] = relationship(primaryjoin="Pot.id == foreign(PotResult.pot_id)")

    __table_args__ = (
        UniqueConstraint("round_id", "pot_id"),
        # A result is for a pot of the round it says it is for.
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_pot_results_pot_in_round",
            ondelete="CASCADE",
        ),
        CheckConstraint("ballot_count >= 0", name="ballot_count_not_negative"),
        CheckConstraint(_one_of("rule", RULE_NAMES), name="rule_known"),
        CheckConstraint(_one_of("tie_break", TIE_BREAKS), name="tie_break_known"),
        CheckConstraint("length(manifest_hash) = 64", name="manifest_hash_sha256"),
        CheckConstraint("length(log_head_hash) = 64", name="log_head_hash_sha256"),
    )


class RoundTurnout(Base):
    """Per neighbourhood, how many people on a closed round's roll voted (in at least one
    pot) and how many were on it, counted once when voting closed, when the marks stopped
    changing: the results page shows them without counting every mark again."""

    __tablename__ = "round_turnout"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True
    )
    voted: Mapped[int] = mapped_column(Integer)
    roll: Mapped[int] = mapped_column(Integer)

    neighbourhood: Mapped[Neighbourhood] = relationship()

    __table_args__ = (CheckConstraint("voted >= 0 AND roll >= 0", name="counts_not_negative"),)


class PotFigures(Base):
    """What a counted pot's ballots say beyond its result, worked out once with the result
    (``app.workflow.network``) so the network's pages never count ballots on a request: how
    many ballots chose something, and under the round's rule and under greedy (for contrast)
    which projects are funded, the money they take and how many of those ballots have at
    least one choice funded. Canonical JSON; written once, never changed. None for a pot
    withheld for too few ballots."""

    __tablename__ = "pot_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    pot_id: Mapped[int] = mapped_column()
    document: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("round_id", "pot_id"),
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_pot_figures_pot_in_round",
            ondelete="CASCADE",
        ),
    )


class DeliveryStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DELAYED = "delayed"
    DELIVERED = "delivered"

    @property
    def label(self) -> str:
        return {
            "not_started": N_("Not started"),
            "in_progress": N_("In progress"),
            "delayed": N_("Delayed"),
            "delivered": N_("Delivered"),
        }[self.value]


class DeliveryUpdate(Base):
    """An officer's dated update on a funded project: status, percentage done, money spent so
    far and what happened. The newest update is the project's current state."""

    __tablename__ = "delivery_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"))
    percent_complete: Mapped[int] = mapped_column(Integer)
    spent_pence: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text)
    happened_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "percent_complete >= 0 AND percent_complete <= 100", name="percent_in_range"
        ),
        CheckConstraint("spent_pence >= 0", name="spent_not_negative"),
        CheckConstraint("length(note) > 0", name="note_not_empty"),
        # The delivery page reads "delivered" as done: a delivered project is 100% complete.
        CheckConstraint(
            "status <> 'delivered' OR percent_complete = 100", name="delivered_is_complete"
        ),
        Index("ix_delivery_updates_proposal", "proposal_id", "happened_on"),
    )


class ScheduledMoveFailure(Base):
    """The last time the scheduler (``flask advance-phases``) failed to move a round: when,
    to which phase and why. One per round, shown on the round's officer page until the round
    next moves; the audit trail keeps every failure."""

    __tablename__ = "scheduled_move_failures"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    target: Mapped[Phase] = mapped_column(_enum(Phase, "phase"))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text)


SECRECY_VERSIONS = ["encrypted-v1"]


class RoundSecrecy(Base):
    """A round whose ballots are encrypted to its trustees (docs/secrecy.md); a round with no
    row here stores its ballots as they are, as every round made before encryption does.

    ``ceremony`` is frozen (canonical JSON) once every trustee has registered their transport
    key; ``key_document`` once every trustee has accepted the key. It goes into the manifest.
    """

    __tablename__ = "round_secrecy"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[str] = mapped_column(String(16), default="encrypted-v1")
    threshold: Mapped[int] = mapped_column(Integer)
    # Mixes the trustees must add after the server's before the ballots are decrypted.
    trustee_mixes: Mapped[int] = mapped_column(Integer, default=0)
    ceremony: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_document: Mapped[str | None] = mapped_column(Text, nullable=True)

    funding_round: Mapped[FundingRound] = relationship()
    trustees: Mapped[list[RoundTrustee]] = relationship(
        primaryjoin="RoundSecrecy.round_id == foreign(RoundTrustee.round_id)",
        order_by="RoundTrustee.position",
        viewonly=True,
    )

    __table_args__ = (
        CheckConstraint(_one_of("version", SECRECY_VERSIONS), name="version_known"),
        # At least two trustees must take part in any decryption: no one person can read it.
        CheckConstraint("threshold >= 2", name="threshold_from_two"),
        CheckConstraint("trustee_mixes >= 0", name="trustee_mixes_not_negative"),
        CheckConstraint("key_document IS NULL OR ceremony IS NOT NULL", name="key_needs_ceremony"),
    )


class RoundTrustee(Base):
    """One of a round's trustees. They reach their page by a link whose SHA-256 is
    ``token_hash`` (shown once to the officer who adds them). What they upload is public: their
    transport key, their part of the key (commitments, proof and the shares encrypted to the
    other trustees) and their acceptance of it. No secret share is ever held here."""

    __tablename__ = "round_trustees"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    transport_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    key_part: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_check: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The last challenge sent to prove the share is still held, and when it was proven.
    held_challenge: Mapped[str | None] = mapped_column(String(64), nullable=True)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When an officer recorded that this trustee has lost their key file (or its passphrase).
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("round_id", "position"),
        UniqueConstraint("round_id", "transport_key"),
        CheckConstraint("position >= 1", name="position_from_one"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("key_check IS NULL OR key_part IS NOT NULL", name="check_needs_part"),
        CheckConstraint(
            "key_part IS NULL OR transport_key IS NOT NULL", name="part_needs_transport_key"
        ),
    )


class MessageChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


class MessageState(enum.StrEnum):
    """``queued`` (waiting, perhaps for ``available_at`` after a failure), ``sending`` (claimed
    by a worker until ``claimed_until``), ``sent``, ``failed`` (given up: officers can retry it)
    or ``cancelled`` (its person opted out of its kind before it went)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Message(Base):
    """One message to one person, written in the transaction of what causes it (the outbox:
    docs/messages.md) and delivered afterwards by ``flask send-messages``.

    The key is random and, for kinds that follow a ballot (``unordered`` in
    ``app.workflow.outbox``), no time is kept and the row is deleted once sent: the messages
    must not put voters in the order of the ballot log. ``recipient`` and ``data`` (what the
    message says) are emptied ``MESSAGE_RETENTION_DAYS`` after it went, or at once for kinds
    that carry a secret (a link that signs in, a voting code).
    """

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[MessageChannel] = mapped_column(_enum(MessageChannel, "message_channel"))
    state: Mapped[MessageState] = mapped_column(
        _enum(MessageState, "message_state"), default=MessageState.QUEUED
    )
    # An email address, a mobile number, or a postal address (one line per line).
    recipient: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    council_id: Mapped[int | None] = mapped_column(
        ForeignKey("councils.id", ondelete="CASCADE"), nullable=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not before this (after a failure); empty: as soon as a worker is free.
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # What it is about, for a notice sent at most once in a while (``outbox.queue``'s
    # ``once_within``): e.g. "round:12" for a round that could not move on schedule.
    about: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The gateway's id for it (GOV.UK Notify's notification id).
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User | None] = relationship()
    council: Mapped[Council | None] = relationship()

    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        CheckConstraint(
            "purged_at IS NULL OR (recipient IS NULL AND data IS NULL)", name="purged_is_empty"
        ),
        CheckConstraint(
            "state <> 'sending' OR (claim IS NOT NULL AND claimed_until IS NOT NULL)",
            name="sending_is_claimed",
        ),
        # What a worker claims next, channel by channel.
        Index("ix_messages_due", "state", "channel", "available_at"),
        # What went in the last minute, for the rate per channel; what is old enough to purge.
        Index("ix_messages_channel_sent", "channel", "sent_at"),
        # Has this notice already gone out lately (``once_within``)?
        Index("ix_messages_about", "kind", "about"),
        # The officers' page of a council's messages.
        Index("ix_messages_council_state", "council_id", "state"),
    )


class MessageOptOut(Base):
    """This person has asked not to be sent messages about ``topic`` (``app.workflow.outbox``
    lists the topics): by the link in one of them, or on their account page."""

    __tablename__ = "message_opt_outs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Base):
    """A decision-day event for a round in voting: where and when, the pots it takes votes
    for and the officers at its check-in desk. People checked in there vote at its kiosks."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When an officer closed its voting (no more check-ins or kiosk ballots); empty: open
    # while the round is in voting and the event is on.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[FundingRound] = relationship()
    pots: Mapped[list[Pot]] = relationship(secondary="event_pots", order_by="Pot.position")
    officers: Mapped[list[User]] = relationship(
        secondary="event_officers", order_by="User.display_name"
    )

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="event_ends_after_start"),
        CheckConstraint("length(name) > 0", name="event_name_not_empty"),
        Index("ix_events_round", "round_id"),
    )


class EventPot(Base):
    """A pot an event takes votes for."""

    __tablename__ = "event_pots"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    pot_id: Mapped[int] = mapped_column(ForeignKey("pots.id", ondelete="CASCADE"), primary_key=True)


class EventOfficer(Base):
    """An officer at an event's check-in desk."""

    __tablename__ = "event_officers"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Kiosk(Base):
    """A device an officer signed in as a kiosk for an event: it shows only the ballot. The
    device holds a random secret (``token_hash`` is its SHA-256); the voter at it now (their
    check-in) and when the kiosk falls back to its start screen are kept here, on the server,
    and cleared when they finish."""

    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    check_in_id: Mapped[str | None] = mapped_column(
        ForeignKey("check_ins.id", ondelete="SET NULL"), nullable=True
    )
    idle_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    event: Mapped[Event] = relationship()

    __table_args__ = (Index("ix_kiosks_event", "event_id"),)


class PaperBatchState(enum.StrEnum):
    CHECKED = "checked"  # uploaded and reconciled; nothing stored yet
    STORED = "stored"  # its accepted rows were cast
    DISCARDED = "discarded"  # the officer did not store it, or it went stale


class PaperBatch(Base):
    """A CSV of paper ballots for one pot, between its reconciliation report and the
    officer's decision. The file (which pairs roll references with ballots) is kept only
    until then: ``content`` is emptied when the batch is stored or discarded."""

    __tablename__ = "paper_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    pot_id: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[PaperBatchState] = mapped_column(_enum(PaperBatchState, "paper_batch_state"))
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_refused: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_paper_batches_pot_in_round",
            ondelete="CASCADE",
        ),
        CheckConstraint("state = 'checked' OR content IS NULL", name="decided_batch_is_emptied"),
        Index("ix_paper_batches_round", "round_id"),
    )


# The tables of organisations and of their meetings (modules of their own), registered with
# the metadata whenever these are: users and the audit trail refer to them. Last, so the names
# they import exist.
import app.workflow.governance.models  # noqa: E402,F401
import app.workflow.organisations.models  # noqa: E402,F401
