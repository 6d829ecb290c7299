"""The tables of an organisation's general meetings: who may vote at each (fixed at the record
date), the agenda's items (motions, amendments and elections), the constituencies of an
election and their candidates, and proxies. See docs/governance.md.

The ballots themselves are in the member ballot box (``ballots.members``): marks, ballots,
receipts and each item's hash-chained log. Nothing here says how anyone voted.
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
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.workflow.models import User, _enum
from app.workflow.organisations.models import Member, MembershipClass, Organisation
from ballots.db import Base, UTCDateTime, utcnow
from ballots.refusals import N_

# Constraint names the workflow recognises when the database refuses a second of something.
ONE_MEETING_SLUG = "uq_meetings_organisation_id_slug"
ONE_CLASS_PER_ELECTION = "uq_constituency_classes_item_id_class_id"
ONE_NOMINATION = "uq_nominations_constituency_id_member_id"
ONE_ACTIVE_PROXY = "uq_proxies_active_for_meeting"
ONE_ACTIVE_ITEM_PROXY = "uq_proxies_active_for_item"


class MeetingKind(enum.StrEnum):
    ANNUAL = "annual"
    GENERAL = "general"
    SPECIAL = "special"

    @property
    def label(self) -> str:
        return {
            "annual": N_("Annual general meeting"),
            "general": N_("General meeting"),
            "special": N_("Special general meeting"),
        }[self.value]


class MeetingState(enum.StrEnum):
    DRAFT = "draft"  # the agenda is being drawn up; nobody has been given notice
    NOTICE = "notice"  # notice given: record date and agenda fixed
    OPEN = "open"  # the meeting is under way: the chair opens and closes items
    CLOSED = "closed"  # over: every item closed


class ItemKind(enum.StrEnum):
    MOTION = "motion"
    ELECTION = "election"


class ItemState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # voting under way: the manifest is frozen and the log started
    CLOSED = "closed"  # voting over: the log sealed
    DECLARED = "declared"  # the result declared for the minutes


class ProposalState(enum.StrEnum):
    WAITING = "waiting"  # proposed by a member, waiting for the seconder
    SECONDED = "seconded"  # the seconder confirmed it: the motion is on the agenda
    DECLINED = "declined"  # the seconder would not second it
    WITHDRAWN = "withdrawn"  # the proposer took it back


class ThresholdKind(enum.StrEnum):
    ORDINARY = "ordinary"
    SPECIAL = "special"
    OTHER = "other"  # the organisation's own, given as a share


class Meeting(Base):
    """A general meeting of an organisation's members."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind, "meeting_kind"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(Text, default="")
    # Members may vote online while an item is open, as well as in the room.
    online_voting: Mapped[bool] = mapped_column(Boolean, default=True)
    # Motions must be tabled by then to be on the agenda (UTC).
    motions_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state: Mapped[MeetingState] = mapped_column(
        _enum(MeetingState, "meeting_state"), default=MeetingState.DRAFT
    )
    notice_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Members on the register on this date (the date of notice) may vote: meeting_voters.
    record_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    chair_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    items: Mapped[list[MeetingItem]] = relationship(
        back_populates="meeting", order_by="MeetingItem.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("organisation_id", "slug", name=ONE_MEETING_SLUG),
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint(
            "state = 'draft' OR (notice_given_at IS NOT NULL AND record_date IS NOT NULL)",
            name="notice_fixes_record_date",
        ),
    )


class MeetingVoter(Base):
    """A member entitled to vote at a meeting: on the register at its record date. Frozen when
    notice is given, so later changes to the register do not change who votes. ``present_at``
    is when they were checked in at the door (for the quorum)."""

    __tablename__ = "meeting_voters"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True
    )
    membership_class_id: Mapped[int] = mapped_column(
        ForeignKey("membership_classes.id", ondelete="RESTRICT")
    )
    present_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    member: Mapped[Member] = relationship()
    membership_class: Mapped[MembershipClass] = relationship()

    __table_args__ = (Index("ix_meeting_voters_class", "meeting_id", "membership_class_id"),)


def _threshold_from_half_to_all() -> CheckConstraint:
    """A motion's own threshold (its columns ``threshold_numerator`` and ``_denominator``),
    when it has one, is a share from one half to the whole."""
    return CheckConstraint(
        "threshold_numerator IS NULL OR (threshold_denominator > 0 AND "
        "2 * threshold_numerator >= threshold_denominator AND "
        "threshold_numerator <= threshold_denominator)",
        name="threshold_from_half_to_all",
    )


class MeetingItem(Base):
    """An item of a meeting's agenda: a motion (or an amendment to one) or an election."""

    __tablename__ = "meeting_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "item_kind"))
    title: Mapped[str] = mapped_column(String(200))
    # A motion's wording (what the members are asked to resolve), or an election's notes.
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ItemState] = mapped_column(
        _enum(ItemState, "item_state"), default=ItemState.DRAFT
    )
    # Motions: the threshold, and for an amendment the motion it amends (voted first).
    threshold: Mapped[ThresholdKind | None] = mapped_column(
        _enum(ThresholdKind, "threshold_kind"), nullable=True
    )
    threshold_numerator: Mapped[int | None] = mapped_column(Integer, nullable=True)
    threshold_denominator: Mapped[int | None] = mapped_column(Integer, nullable=True)
    threshold_more_than: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    amends_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_items.id", ondelete="CASCADE"), nullable=True
    )
    proposer_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), nullable=True
    )
    seconder_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), nullable=True
    )
    tabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The chair's casting vote on a tie ("for" or "against"), given when the result is declared.
    casting_vote: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Elections: the count's rule (votes.stv), and the nomination and withdrawal deadlines.
    rule: Mapped[str | None] = mapped_column(String(16), nullable=True)
    nominations_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawals_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The random seed the ballot order (and the count's lot) is drawn from: in the manifest.
    ballot_seed: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Frozen when the item opens, as for a round: what the ballot offers and how it is counted.
    manifest_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    manifest_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    log_head_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The declared result (canonical JSON of the count or the decision), fixed once declared.
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    amends: Mapped[MeetingItem | None] = relationship(remote_side=[id])
    proposer: Mapped[Member | None] = relationship(foreign_keys=[proposer_id])
    seconder: Mapped[Member | None] = relationship(foreign_keys=[seconder_id])
    constituencies: Mapped[list[Constituency]] = relationship(
        back_populates="item", order_by="Constituency.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("kind = 'election' OR threshold IS NOT NULL", name="motion_has_threshold"),
        _threshold_from_half_to_all(),
        CheckConstraint(
            "kind = 'motion' OR rule IN ('scottish', 'meek')", name="election_has_rule"
        ),
        CheckConstraint(
            "casting_vote IS NULL OR casting_vote IN ('for', 'against')",
            name="casting_vote_for_or_against",
        ),
        CheckConstraint("amends_id IS NULL OR kind = 'motion'", name="amendments_are_motions"),
        CheckConstraint(
            "state = 'draft' OR (manifest_json IS NOT NULL AND manifest_hash IS NOT NULL)",
            name="voting_has_manifest",
        ),
        CheckConstraint(
            "proposer_id IS NULL OR seconder_id IS NULL OR proposer_id <> seconder_id",
            name="seconder_not_proposer",
        ),
    )


class Constituency(Base):
    """A part of an election: its seats and the membership classes that vote in it
    (``constituency_classes``)."""

    __tablename__ = "constituencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("meeting_items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    seats: Mapped[int] = mapped_column(Integer)

    item: Mapped[MeetingItem] = relationship(back_populates="constituencies")
    classes: Mapped[list[ConstituencyClass]] = relationship(
        back_populates="constituency", cascade="all, delete-orphan"
    )
    nominations: Mapped[list[Nomination]] = relationship(
        back_populates="constituency", order_by="Nomination.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("item_id", "position"),
        UniqueConstraint("id", "item_id"),
        CheckConstraint("seats >= 1 AND seats <= 100", name="seats_range"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class ConstituencyClass(Base):
    """A membership class votes in this constituency. A class votes in at most one
    constituency of an election (the unique key on item and class), so no member votes
    twice."""

    __tablename__ = "constituency_classes"

    constituency_id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column()
    membership_class_id: Mapped[int] = mapped_column(
        ForeignKey("membership_classes.id", ondelete="RESTRICT"), primary_key=True
    )

    constituency: Mapped[Constituency] = relationship(back_populates="classes")
    membership_class: Mapped[MembershipClass] = relationship()

    __table_args__ = (
        ForeignKeyConstraint(
            ["constituency_id", "item_id"],
            ["constituencies.id", "constituencies.item_id"],
            name="fk_constituency_classes_constituency_in_item",
            ondelete="CASCADE",
        ),
        UniqueConstraint("item_id", "membership_class_id", name=ONE_CLASS_PER_ELECTION),
    )


class Nomination(Base):
    """A member nominated as a candidate in a constituency, with their statement and the
    members who proposed and seconded them; withdrawn if ``withdrawn_at``."""

    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    constituency_id: Mapped[int] = mapped_column(
        ForeignKey("constituencies.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    statement: Mapped[str] = mapped_column(Text, default="")
    proposer_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    seconder_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    nominated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    constituency: Mapped[Constituency] = relationship(back_populates="nominations")
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    proposer: Mapped[Member] = relationship(foreign_keys=[proposer_id])
    seconder: Mapped[Member] = relationship(foreign_keys=[seconder_id])

    __table_args__ = (
        UniqueConstraint("constituency_id", "member_id", name=ONE_NOMINATION),
        CheckConstraint("proposer_id <> seconder_id", name="seconder_not_proposer"),
        CheckConstraint(
            "member_id <> proposer_id AND member_id <> seconder_id", name="not_self_nominated"
        ),
    )


class Proxy(Base):
    """A member's appointment of a proxy for a meeting (``item_id`` NULL) or one item: another
    member who may vote, or the chair. Revoked if ``revoked_at``; at most one appointment in
    force per member and meeting or item (a partial unique index)."""

    __tablename__ = "proxies"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_items.id", ondelete="CASCADE"), nullable=True
    )
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), nullable=True
    )
    holder_is_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    appointed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    holder: Mapped[Member | None] = relationship(foreign_keys=[holder_id])

    __table_args__ = (
        CheckConstraint(
            "(holder_id IS NULL) = holder_is_chair", name="holder_is_a_member_or_the_chair"
        ),
        CheckConstraint("holder_id IS NULL OR holder_id <> member_id", name="not_own_proxy"),
        # At most one appointment in force per member: for the whole meeting, and per item.
        Index(
            ONE_ACTIVE_PROXY,
            "meeting_id",
            "member_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL AND item_id IS NULL"),
            postgresql_where=text("revoked_at IS NULL AND item_id IS NULL"),
        ),
        Index(
            ONE_ACTIVE_ITEM_PROXY,
            "item_id",
            "member_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL AND item_id IS NOT NULL"),
            postgresql_where=text("revoked_at IS NULL AND item_id IS NOT NULL"),
        ),
        Index("ix_proxies_holder", "meeting_id", "holder_id"),
    )


class MemberClaim(Base):
    """A six-digit code emailed to the address a member has on the register, so that the
    account that asked for it can be linked to the member (``governance.claims``). Only its
    HMAC is kept; it works for a while and a few wrong tries; asking again replaces it, and it
    is removed once used."""

    __tablename__ = "member_claims"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("wrong_tries >= 0", name="member_claim_tries_not_negative"),
        Index("ix_member_claims_user", "user_id"),
    )


ONE_CARD_IN_FORCE = "uq_meeting_cards_in_force"


class MeetingCard(Base):
    """A member's voting card for one meeting: a random code given at the door, shown once
    (printed as a code and a QR code), that lets them vote at the meeting's kiosks on each item
    while it is open (the ballot box's mark makes it once per item). Only the code's SHA-256
    is kept. A new card revokes the old one (``revoked_at``): at most one card in force per
    member and meeting (a partial unique index). The card belongs to one of the meeting's
    voters (the composite foreign key), so nobody without a vote can hold one."""

    __tablename__ = "meeting_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column()
    member_id: Mapped[int] = mapped_column()
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["meeting_id", "member_id"],
            ["meeting_voters.meeting_id", "meeting_voters.member_id"],
            name="fk_meeting_cards_voter",
            ondelete="CASCADE",
        ),
        Index(
            ONE_CARD_IN_FORCE,
            "meeting_id",
            "member_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class MeetingKiosk(Base):
    """A device an officer of the organisation signed in as a kiosk for one meeting: it shows
    only the ballot of the item open now. The device holds a random secret (``token_hash`` is
    its SHA-256). The card being used at it now, and when it falls back to its start screen,
    are kept here, on the server, and cleared when the member has voted or walks away.

    Not a row of ``kiosks``: an event's kiosk belongs to an event and holds a check-in, and
    every query of the events' kiosks would otherwise have to leave the meetings' out."""

    __tablename__ = "meeting_kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    card_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_cards.id", ondelete="SET NULL"), nullable=True
    )
    idle_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    meeting: Mapped[Meeting] = relationship()
    card: Mapped[MeetingCard | None] = relationship()

    __table_args__ = (Index("ix_meeting_kiosks_meeting", "meeting_id"),)


class MotionProposal(Base):
    """A motion (or amendment) a member proposes for a draft meeting, naming the member they
    ask to second it. It goes on the agenda (``item_id``, a motion like any tabled by the
    officers) when the seconder seconds it, before the motions deadline; the seconder may
    decline it and the proposer withdraw it while it waits (``governance.motions``)."""

    __tablename__ = "motion_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    proposer_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    seconder_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    wording: Mapped[str] = mapped_column(Text)
    # As a motion's: meeting_items.threshold and its share.
    threshold: Mapped[ThresholdKind] = mapped_column(_enum(ThresholdKind, "threshold_kind"))
    threshold_numerator: Mapped[int | None] = mapped_column(Integer, nullable=True)
    threshold_denominator: Mapped[int | None] = mapped_column(Integer, nullable=True)
    threshold_more_than: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    amends_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_items.id", ondelete="CASCADE"), nullable=True
    )
    state: Mapped[ProposalState] = mapped_column(
        _enum(ProposalState, "proposal_state"), default=ProposalState.WAITING
    )
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The motion tabled when it was seconded.
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_items.id", ondelete="SET NULL"), nullable=True
    )

    meeting: Mapped[Meeting] = relationship()
    proposer: Mapped[Member] = relationship(foreign_keys=[proposer_id])
    seconder: Mapped[Member] = relationship(foreign_keys=[seconder_id])
    amends: Mapped[MeetingItem | None] = relationship(foreign_keys=[amends_id])
    item: Mapped[MeetingItem | None] = relationship(foreign_keys=[item_id])

    __table_args__ = (
        CheckConstraint("proposer_id <> seconder_id", name="seconder_not_proposer"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        _threshold_from_half_to_all(),
        CheckConstraint(
            "(state = 'waiting') = (decided_at IS NULL)", name="decided_unless_waiting"
        ),
        Index("ix_motion_proposals_meeting", "meeting_id"),
        Index("ix_motion_proposals_seconder", "seconder_id", "state"),
        Index("ix_motion_proposals_proposer", "proposer_id"),
    )
