"""The ballot box's tables: the electoral roll, verification codes, who has voted, the ballots,
their receipts and the ballot log.

Two groups that must never meet:

- who: ``roll_entries``, ``verification_codes``, ``verifications`` and ``voter_marks`` (this
  roll entry has voted in that pot, online or on paper);
- what: ``ballots``, ``receipts`` and ``ballot_log``.

Nothing in the second group refers to a person, an account, a session, an address or a time,
and its keys are random, so a ballot cannot be joined back to its voter. Marks carry no time and
have random keys too, so their order says nothing about the order ballots were cast in. On
SQLite both are ``WITHOUT ROWID`` tables, stored in key order (random) rather than in insertion
order. The who group keeps no time of day for anything a voter does on the way to voting:
a verification keeps its day (London), and so does the code that made it.

Tables here refer to the web app's tables by name (``"rounds.id"``) so this package never
imports the app.
"""

from __future__ import annotations

import enum
import secrets
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
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
from sqlalchemy.orm import Mapped, mapped_column

from ballots.db import Base, UTCDateTime, utcnow


def random_key() -> str:
    """128 random bits as 32 hex digits: a key that says nothing about when a row was written."""
    return secrets.token_hex(16)


class Channel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"
    EVENT = "event"  # at a kiosk of a decision-day event, with a check-in token


class RollSource(enum.StrEnum):
    """How a person came to be on the roll (None on the entry: imported with the roll)."""

    REGISTERED = "registered"  # registered themselves at an address in the council's gazetteer
    IN_PERSON = "in_person"  # registered by an officer who saw them (at an event or an office)


def name_key(name: str) -> str:
    """A person's name as registrations are matched: case, accents, spacing and punctuation
    left out (``Siân O'Neill`` is ``sian oneill``)."""
    folded = unicodedata.normalize("NFKD", name).casefold()
    kept = "".join(ch for ch in folded if ch.isalnum() or ch.isspace())
    return " ".join(kept.split())


def postcode_key(postcode: str) -> str:
    """A postcode as it is matched: upper-cased, without spaces (``se11 5ab`` is ``SE115AB``)."""
    return "".join(ch for ch in postcode.upper() if ch.isalnum())


class LogKind(enum.StrEnum):
    GENESIS = "genesis"  # commits to the round's manifest hash
    BALLOT = "ballot"  # commits to one ballot
    SUPERSEDE = "supersede"  # a ballot replaced by a later one (vote changing)
    CLOSE = "close"  # voting closed: nothing can follow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


COUNCIL_SCOPE = "council"


def reference_key(reference: str) -> str:
    """A roll reference as it is matched: upper-cased, with everything but letters and digits
    left out, so ``wlk-7qk2-94xd``, ``WLK 7QK2 94XD`` and ``WLK-7QK2-94XD`` are the same
    reference."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", reference).upper() if ch.isalnum())


def _reference_key_default(context) -> str:
    return reference_key(context.get_current_parameters()["reference"])


def round_scope(round_id: int) -> str:
    return f"round:{round_id}"


class RollEntry(Base):
    """One person on a council's electoral roll for participatory budgeting.

    ``scope`` is ``"council"`` for the council's standing roll, or ``"round:<id>"`` for a roll
    imported for one round (which then replaces the council roll for that round). References
    are unique per council and scope, as written and as matched (``reference_key``).
    """

    __tablename__ = "roll_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), nullable=True
    )
    scope: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64))
    # What references are matched by (see ``reference_key``), filled in from ``reference``.
    reference_key: Mapped[str] = mapped_column(String(64), default=_reference_key_default)
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT")
    )
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Where a code is posted, one line per line, the postcode last (GOV.UK Notify's letters
    # take up to seven lines); a UK mobile number a code may be texted to (+447..., as
    # imported and checked); and the language to write to the person in (empty: the
    # council's first).
    # (Server defaults of NULL, so an insert leaves them out unless they are set.)
    address: Mapped[str | None] = mapped_column(Text, nullable=True, server_default=text("NULL"))
    phone: Mapped[str | None] = mapped_column(
        String(20), nullable=True, server_default=text("NULL")
    )
    language: Mapped[str | None] = mapped_column(
        String(8), nullable=True, server_default=text("NULL")
    )
    # An email address a one-time code may be sent to (imported with the roll); the person's
    # name and the gazetteer address (UPRN) they registered at, for people who registered
    # rather than being imported (``name_key``: the name as matched); and how they came to be
    # on the roll (``RollSource``; empty: imported).
    email: Mapped[str | None] = mapped_column(
        String(254), nullable=True, server_default=text("NULL")
    )
    name: Mapped[str | None] = mapped_column(
        String(200), nullable=True, server_default=text("NULL")
    )
    name_key: Mapped[str | None] = mapped_column(
        String(200), nullable=True, server_default=text("NULL")
    )
    uprn: Mapped[str | None] = mapped_column(String(12), nullable=True, server_default=text("NULL"))
    source: Mapped[RollSource | None] = mapped_column(
        _enum(RollSource, "roll_source"), nullable=True, server_default=text("NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012

    __table_args__ = (
        UniqueConstraint("council_id", "scope", "reference"),
        # References are unique per roll as they are matched, not only as they are written;
        # verifying looks a reference up in every roll of the council (the index's prefix).
        Index(
            "uq_roll_entries_council_reference_key_scope",
            "council_id",
            "reference_key",
            "scope",
            unique=True,
        ),
        # Whether a round has its own roll looks for any entry in its scope, on every voting
        # page and results page: the unique constraint above cannot answer that by scope.
        Index("ix_roll_entries_scope", "scope"),
        # A person is on a roll once: the same name, date of birth and address cannot be
        # registered twice (imported entries have no name, and are not held by this).
        Index(
            "uq_roll_entries_person",
            "council_id",
            "scope",
            "name_key",
            "date_of_birth",
            "uprn",
            unique=True,
        ),
        # One-time codes by text or email are asked for by the number or address on the roll.
        Index("ix_roll_entries_council_phone", "council_id", "phone"),
        Index("ix_roll_entries_council_email", "council_id", "email"),
        CheckConstraint("length(reference) > 0", name="reference_not_empty"),
        CheckConstraint(
            "(round_id IS NULL AND scope = 'council') "
            "OR (round_id IS NOT NULL AND scope <> 'council')",
            name="scope_matches_round",
        ),
    )


class VerificationCode(Base):
    """A one-time code posted to a person on the roll. Only its HMAC-SHA256 is kept. Wrong
    tries never stop it working: they slow its reference down (``CodeTries``)."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entries.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The day (London) it verified an account, no finer: a time would put the verified
    # accounts in the order they were verified, and so, for people who vote straight after,
    # in the order of the ballot log. A code is used once: set by compare-and-set.
    used_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The account it verified.
    used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_verification_codes_roll_entry", "roll_entry_id"),)


class CodeTries(Base):
    """Wrong tries at verifying with one reference in one council, whether or not the
    reference is on a roll (so the waits do not tell which references are).

    Each try is claimed before its code is checked, by compare-and-set on ``wrong_tries``, so
    concurrent tries for one reference are checked one at a time; after a few, each waits
    until ``next_try_at``. A try with the right code removes the row."""

    __tablename__ = "code_tries"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    reference_key: Mapped[str] = mapped_column(String(64))
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    first_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("council_id", "reference_key"),
        CheckConstraint("wrong_tries >= 0", name="wrong_tries_not_negative"),
        # The officers' warning: a council's references with the most wrong tries.
        Index("ix_code_tries_council_tries", "council_id", "wrong_tries"),
    )


class Verification(Base):
    """An account verified as one roll entry: one account per entry, one entry per account
    and roll.

    ``verified_on`` is the day (London) and nothing finer: someone who verifies and then votes
    straight away would otherwise give the moment of their ballot, and the times of all the
    verifications would line up with the order of the ballot log."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    roll_entry_id: Mapped[int] = mapped_column(
        ForeignKey("roll_entries.id", ondelete="CASCADE"), unique=True
    )
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(32))
    verified_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("user_id", "council_id", "scope"),)


class VoterMark(Base):
    """This roll entry has voted in this pot. The unique constraint is what makes a second
    ballot impossible. No time is kept, and the key is random, so the marks cannot be put in
    the order the ballots were cast."""

    __tablename__ = "voter_marks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entries.id", ondelete="RESTRICT"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="RESTRICT"))
    pot_id: Mapped[int] = mapped_column()
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    # Paper ballots only: the officer who entered it (the audit log says so too).
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )

    __table_args__ = (
        UniqueConstraint("roll_entry_id", "pot_id"),
        # A mark is for a pot of its round (pots has a unique (id, round_id) for this).
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_voter_marks_pot_in_round",
            ondelete="RESTRICT",
        ),
        Index("ix_voter_marks_round", "round_id"),
        {"sqlite_with_rowid": False},
    )


class StoredBallot(Base):
    """What one ballot said, and nothing about who cast it or when.

    ``content`` is canonical JSON: ``{"choices": [...], "points": [...]}`` with project ids as
    strings (approval kinds sorted, ranked best first, cumulative sorted with their points).
    """

    __tablename__ = "ballots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="RESTRICT"))
    pot_id: Mapped[int] = mapped_column()
    # No channel either: a pot with one paper voter would give their ballot away.
    content: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        # A ballot is counted in its pot and logged in its round: the two must agree.
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_ballots_pot_in_round",
            ondelete="RESTRICT",
        ),
        Index("ix_ballots_pot", "pot_id"),
        # A round's ballots (counting, closing, the comparison of rules) without reading
        # every round's.
        Index("ix_ballots_round_pot", "round_id", "pot_id"),
        {"sqlite_with_rowid": False},
    )


class Receipt(Base):
    """The SHA-256 of a receipt code (128 random bits, shown once) and the ballot it is for."""

    __tablename__ = "receipts"

    receipt_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("ballots.id", ondelete="RESTRICT"), unique=True
    )

    __table_args__ = ({"sqlite_with_rowid": False},)


class LogEntry(Base):
    """One entry of a round's hash chain.

    ``entry_hash`` = SHA-256 of ``round_id|sequence|kind|payload_hash|previous_hash``. The
    genesis entry's payload is the manifest hash; a ballot's is the SHA-256 of its random id,
    pot and content (the random id keeps a small ballot from being guessed from its hash); a
    supersede entry's is the superseded ballot's; the close entry's is the SHA-256 of
    ``close|ballots={N}|receipts={R}``, the ballots counted and the receipts given out (so the
    log fixes how many ballots were on paper without saying which; logs sealed earlier have
    ``close|ballots={N}``). Entries are never changed (triggers refuse UPDATE and DELETE).
    """

    __tablename__ = "ballot_log"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="RESTRICT"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[LogKind] = mapped_column(_enum(LogKind, "log_kind"))
    ballot_id: Mapped[str | None] = mapped_column(
        ForeignKey("ballots.id", ondelete="RESTRICT"), nullable=True
    )
    payload_hash: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        # A ballot is logged once and superseded at most once.
        UniqueConstraint("ballot_id", "kind"),
        # A round's supersede and close entries without reading its whole log.
        Index("ix_ballot_log_round_kind", "round_id", "kind"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        CheckConstraint(
            "(kind IN ('genesis', 'close')) = (ballot_id IS NULL)", name="ballot_entries_name_one"
        ),
    )


# --- Encrypted rounds (docs/secrecy.md) ----------------------------------------------------------
# In a round whose ballots are encrypted, ``ballots.content`` holds the ballot's ciphertext (the
# canonical JSON of votes.secrecy's Ciphertext) and nothing else. After the close, a pot's
# ciphertexts are shuffled (``ballot_mixes``), the last mix is decrypted by the trustees
# (``ballot_decryptions``), and the plaintexts are stored in the last mix's order
# (``decrypted_ballots``), with no column shared with the ballots, the marks or the log.


class BallotMix(Base):
    """One shuffle of a closed pot's ciphertexts: its outputs and its proof, as the JSON file
    ``votes.secrecy.bundle.mix_result`` writes. Mix 1 is the server's, made at the close; the
    ones after it are the trustees'."""

    __tablename__ = "ballot_mixes"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="RESTRICT"), primary_key=True
    )
    pot_id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # "the server", or the trustee's number and name.
    mixed_by: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_ballot_mixes_pot_in_round",
            ondelete="RESTRICT",
        ),
        CheckConstraint("number >= 1", name="number_from_one"),
    )


class BallotDecryption(Base):
    """One trustee's partial decryption of a pot's last mix, with its proofs, as the JSON file
    ``votes.secrecy.bundle.decryption_result`` writes."""

    __tablename__ = "ballot_decryptions"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="RESTRICT"), primary_key=True
    )
    pot_id: Mapped[int] = mapped_column(primary_key=True)
    trustee: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_ballot_decryptions_pot_in_round",
            ondelete="RESTRICT",
        ),
        CheckConstraint("trustee >= 1", name="trustee_from_one"),
    )


class DecryptedBallot(Base):
    """A ballot as the trustees' decryptions give it, at its place in the pot's last mix.
    ``content`` is canonical JSON as for a plain round's ballots. Nothing here is shared with
    the ballots, the marks or the log: the shuffle is what separates them."""

    __tablename__ = "decrypted_ballots"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="RESTRICT"), primary_key=True
    )
    pot_id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    content: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_decrypted_ballots_pot_in_round",
            ondelete="RESTRICT",
        ),
        CheckConstraint("position >= 1", name="position_from_one"),
    )


# --- More ways to be eligible, and decision-day events (issue: every channel) ---------------


class ContactCode(Base):
    """A six-digit code texted or emailed to the number or address on a roll entry, to verify
    the account that asked for it. Only its HMAC is kept; it works for ``CONTACT_CODE_LIFETIME``
    and ``CONTACT_CODE_TRIES`` wrong tries (``ballots.contact_codes``). The row is removed when
    the code is used, so nothing keeps the time an account was verified."""

    __tablename__ = "contact_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entries.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "sms" or "email": where it went.
    channel: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("channel IN ('sms', 'email')", name="contact_code_channel"),
        CheckConstraint("wrong_tries >= 0", name="contact_code_tries_not_negative"),
        Index("ix_contact_codes_user", "user_id", "council_id"),
        Index("ix_contact_codes_roll_entry", "roll_entry_id"),
    )


class GazetteerAddress(Base):
    """One address from the council's gazetteer (a local land and property gazetteer extract):
    its UPRN, the address as written, its postcode and the neighbourhood it is in."""

    __tablename__ = "gazetteer_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    uprn: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(10))
    # The postcode as matched (``postcode_key``).
    postcode_key: Mapped[str] = mapped_column(String(8))
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT")
    )
    # Where it is (WGS 84), when the extract gives it: a proposal placed at this address is
    # drawn there on the maps.
    latitude: Mapped[Decimal | None] = mapped_column(
        Numeric(9, 6), nullable=True, server_default=text("NULL")
    )
    longitude: Mapped[Decimal | None] = mapped_column(
        Numeric(9, 6), nullable=True, server_default=text("NULL")
    )

    __table_args__ = (
        UniqueConstraint("council_id", "uprn"),
        CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name="point_has_both_coordinates"
        ),
        Index("ix_gazetteer_addresses_postcode", "council_id", "postcode_key"),
        CheckConstraint("length(uprn) > 0", name="uprn_not_empty"),
    )


class RegistrationState(enum.StrEnum):
    PENDING = "pending"  # waiting for an officer
    APPROVED = "approved"  # on the roll
    REFUSED = "refused"  # an officer said no, and why


class Registration(Base):
    """A resident's registration at a gazetteer address, for a roll: approved at once (up to
    the council's limit per address) or by an officer, when it becomes a roll entry verified
    as the account that registered."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(32))
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), nullable=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address_id: Mapped[int] = mapped_column(
        ForeignKey("gazetteer_addresses.id", ondelete="RESTRICT")
    )
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    state: Mapped[RegistrationState] = mapped_column(_enum(RegistrationState, "registration_state"))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    roll_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("roll_entries.id", ondelete="SET NULL"), nullable=True
    )
    created_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        # One registration per account and roll.
        UniqueConstraint("user_id", "council_id", "scope"),
        # The officers' queue, and the registrations at one address.
        Index("ix_registrations_council_state", "council_id", "state"),
        Index("ix_registrations_address", "address_id"),
        CheckConstraint(
            "state <> 'approved' OR roll_entry_id IS NOT NULL", name="approved_is_on_roll"
        ),
    )


class CheckIn(Base):
    """A person checked in at a decision-day event's desk for a round, and the hash of the
    one-time token that lets them vote at the event's kiosks in ``pot_ids`` (space-separated
    pot ids). One per roll entry and round: once checked in, a person votes at the event and
    nowhere else. Only the day is kept."""

    __tablename__ = "check_ins"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="RESTRICT"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="RESTRICT"))
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entries.id", ondelete="RESTRICT"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pot_ids: Mapped[str] = mapped_column(String(400))
    checked_in_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    checked_in_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("roll_entry_id", "round_id"),
        Index("ix_check_ins_event", "event_id"),
    )


# --- Members' votes (ballots.members, docs/governance.md) ---------------------------------------
# The member ballot box: the same design as residents' (a mark that makes a second ballot
# impossible, a ballot under a random key with no time and no voter, a receipt, a hash chain per
# item), for the items of an organisation's general meetings (the app's meeting_items).


class MemberChannel(enum.StrEnum):
    ONLINE = "online"
    ROOM = "room"  # at a kiosk in the meeting room
    PAPER = "paper"  # a paper ballot in the room, entered by an officer
    PROXY = "proxy"  # cast by the member's proxy


class MemberMark(Base):
    """This member has voted on this item (``channel`` says how; ``proxy_holder_id`` who for
    them, if by proxy). The unique key is what makes a second ballot impossible. While the item
    is open, a proxy's ballot is linked (``proxy_ballot_id``) so that the member's own vote can
    replace it; the link is removed when voting closes."""

    __tablename__ = "member_marks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    item_id: Mapped[int] = mapped_column(ForeignKey("meeting_items.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    channel: Mapped[MemberChannel] = mapped_column(_enum(MemberChannel, "member_channel"))
    proxy_holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), nullable=True
    )
    proxy_ballot_id: Mapped[str | None] = mapped_column(
        ForeignKey("member_ballots.id", ondelete="RESTRICT"), nullable=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )

    __table_args__ = (
        UniqueConstraint("item_id", "member_id", name="uq_member_marks_item_id_member_id"),
        # Only a proxy's mark names a proxy (NULL on one: the chair, who need not be a member).
        CheckConstraint(
            "proxy_holder_id IS NULL OR channel = 'proxy'", name="only_proxy_marks_name_proxy"
        ),
        CheckConstraint(
            "proxy_ballot_id IS NULL OR channel = 'proxy'", name="only_proxy_ballots_linked"
        ),
        Index("ix_member_marks_item", "item_id"),
        {"sqlite_with_rowid": False},
    )


class MemberBallot(Base):
    """What one member's ballot said, and nothing about who cast it or when: canonical JSON
    (``{"choice": "for"}`` for a motion, ``{"ranking": [...]}`` for an election, candidates as
    their ids in the manifest), in ``constituency`` for an election."""

    __tablename__ = "member_ballots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    item_id: Mapped[int] = mapped_column(ForeignKey("meeting_items.id", ondelete="RESTRICT"))
    constituency: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_member_ballots_item", "item_id", "constituency"),
        {"sqlite_with_rowid": False},
    )


class MemberReceipt(Base):
    """The SHA-256 of a member's receipt code and the ballot it is for."""

    __tablename__ = "member_receipts"

    receipt_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("member_ballots.id", ondelete="RESTRICT"), unique=True
    )

    __table_args__ = ({"sqlite_with_rowid": False},)


class MemberLogEntry(Base):
    """One entry of an item's hash chain, as ``ballot_log`` is for a round's:
    ``entry_hash`` = SHA-256 of ``item|item_id|sequence|kind|payload_hash|previous_hash``
    (``item|`` keeps an item's chain from ever matching a round's). Never changed."""

    __tablename__ = "member_log"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_items.id", ondelete="RESTRICT"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[LogKind] = mapped_column(_enum(LogKind, "member_log_kind"))
    ballot_id: Mapped[str | None] = mapped_column(
        ForeignKey("member_ballots.id", ondelete="RESTRICT"), nullable=True
    )
    payload_hash: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        UniqueConstraint("ballot_id", "kind"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        CheckConstraint(
            "(kind IN ('genesis', 'close')) = (ballot_id IS NULL)", name="ballot_entries_name_one"
        ),
    )
